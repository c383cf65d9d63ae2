/* Unit tests for the MMIO bus (vmm/bus.c) beyond test_boot.c's basic case:
 * little-endian packing at every width, the per-device size mask, region
 * edges and the top of the address space, lookups among many regions,
 * the unhandled counter, and device errors reading as zero. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"
#include "util.h"

/* A device that records its last access and answers reads with a pattern
 * built from the offset, or fails with 'fail' when set. */
struct rec_dev {
	unsigned id;
	uint64_t off, val;
	unsigned size, reads, writes;
	int fail;
};

static int rec_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct rec_dev *d = dev;

	d->reads++;
	d->off = off;
	d->size = size;
	if (d->fail) {
		*val = 0xffffffffffffffffULL; /* the bus must not pass this on */
		return d->fail;
	}
	*val = 0x0807060504030201ULL + ((uint64_t)d->id << 56) + off;
	return 0;
}

static int rec_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct rec_dev *d = dev;

	d->writes++;
	d->off = off;
	d->size = size;
	d->val = val;
	return d->fail;
}

static const struct bus_dev_ops ops_any = {
	.name = "any", .sizes = BUS_SIZE_ANY, .read = rec_read, .write = rec_write,
};
static const struct bus_dev_ops ops_1_8 = {
	.name = "1and8", .sizes = BUS_SIZE_1 | BUS_SIZE_8, .read = rec_read, .write = rec_write,
};
static const struct bus_dev_ops ops_none = {
	.name = "noops", .sizes = BUS_SIZE_ANY,
};

/* Writes of 1, 2, 4 and 8 bytes reach the device as the little-endian
 * value of exactly that many guest bytes; reads fill exactly 'size' bytes,
 * low byte first, and leave the rest of the buffer alone. */
static void test_le_packing(void **state)
{
	static const uint64_t want_w[] = {
		0, 0x11, 0x2211, 0, 0x44332211, 0, 0, 0, 0x8877665544332211ULL,
	};
	uint8_t data[16];
	struct rec_dev d = { .id = 0 };
	struct bus *b = bus_create();
	unsigned size, i;

	assert_non_null(b);
	assert_int_equal(bus_register(b, 0x1000, 0x100, &ops_any, &d), 0);
	for (size = 1; size <= 8; size *= 2) {
		for (i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(0x11 * (i + 1));
		assert_int_equal(bus_access(b, 0x1010, data, size, true), 0);
		assert_int_equal(d.size, size);
		assert_int_equal(d.off, 0x10);
		assert_int_equal(d.val, want_w[size]);

		memset(data, 0xee, sizeof(data));
		assert_int_equal(bus_access(b, 0x1020, data, size, false), 0);
		assert_int_equal(d.size, size);
		for (i = 0; i < size; i++)
			assert_int_equal(data[i], (uint8_t)(i + 1 + (i == 0 ? 0x20 : 0)));
		for (; i < sizeof(data); i++)
			assert_int_equal(data[i], 0xee);
	}
	assert_int_equal(d.writes, 4);
	assert_int_equal(d.reads, 4);
	bus_destroy(b);
}

/* Only the widths in ops->sizes are dispatched; others (and widths KVM
 * never produces) read as zero and ignore writes. None of these count as
 * unhandled: a device is there. */
static void test_size_mask(void **state)
{
	struct rec_dev d = { 0 };
	struct bus *b = bus_create();
	uint8_t data[8];
	static const unsigned bad[] = { 0, 2, 3, 4, 5, 6, 7 };
	unsigned i, j;

	assert_non_null(b);
	assert_int_equal(bus_register(b, 0x2000, 0x100, &ops_1_8, &d), 0);
	assert_int_equal(bus_access(b, 0x2000, data, 1, false), 0);
	assert_int_equal(bus_access(b, 0x2000, data, 8, true), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(data, 0xaa, sizeof(data));
		assert_int_equal(bus_access(b, 0x2000, data, bad[i], false), -EINVAL);
		for (j = 0; j < bad[i]; j++)
			assert_int_equal(data[j], 0);
		for (; j < sizeof(data); j++)
			assert_int_equal(data[j], 0xaa);
		assert_int_equal(bus_access(b, 0x2000, data, bad[i], true), -EINVAL);
	}
	/* A size no bus has (KVM never sends one above 8): refused, and the
	 * 8-byte data buffer is cleared but never overrun. */
	{
		uint8_t big[16];

		memset(big, 0xaa, sizeof(big));
		assert_int_equal(bus_access(b, 0x2000, big, 16, false), -EINVAL);
		for (j = 0; j < 8; j++)
			assert_int_equal(big[j], 0);
		for (; j < sizeof(big); j++)
			assert_int_equal(big[j], 0xaa);
	}
	assert_int_equal(d.reads, 1);
	assert_int_equal(d.writes, 1);
	assert_int_equal(b->unhandled, 0);
	bus_destroy(b);
}

/* The first and last byte of a region are inside; an access that starts
 * inside but ends past the region is refused whole; the byte after it
 * hits no device. Regions may touch. */
static void test_region_edges(void **state)
{
	struct rec_dev d1 = { .id = 1 }, d2 = { .id = 2 };
	struct bus *b = bus_create();
	uint8_t data[8];

	assert_non_null(b);
	assert_int_equal(bus_register(b, 0x3000, 0x10, &ops_any, &d1), 0);
	assert_int_equal(bus_register(b, 0x3010, 0x10, &ops_any, &d2), 0);
	assert_int_equal(bus_register(b, 0x300f, 1, &ops_any, &d2), -EEXIST);
	assert_int_equal(bus_register(b, 0x2ff0, 0x11, &ops_any, &d2), -EEXIST);
	assert_int_equal(bus_register(b, 0x3000, 0x20, &ops_any, &d2), -EEXIST);
	assert_int_equal(bus_register(b, 0x3004, 4, &ops_any, &d2), -EEXIST);
	assert_int_equal(b->nregions, 2);

	assert_int_equal(bus_access(b, 0x3000, data, 8, false), 0);
	assert_int_equal(d1.off, 0);
	assert_int_equal(bus_access(b, 0x3008, data, 8, false), 0);
	assert_int_equal(d1.off, 8);
	assert_int_equal(bus_access(b, 0x300f, data, 1, true), 0);
	assert_int_equal(d1.off, 0xf);
	/* Straddles d1 and d2: refused, neither device sees it. */
	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x300c, data, 8, false), -EINVAL);
	assert_int_equal(get_le64(data), 0);
	assert_int_equal(d1.reads, 2);
	assert_int_equal(d2.reads, 0);
	/* Next region: offset relative to its own base. */
	assert_int_equal(bus_access(b, 0x3010, data, 4, false), 0);
	assert_int_equal(d2.off, 0);
	assert_int_equal(get_le32(data), 0x04030201);
	assert_int_equal(bus_access(b, 0x301c, data, 8, true), -EINVAL);
	assert_int_equal(d2.writes, 0);
	assert_int_equal(bus_access(b, 0x3020, data, 1, false), -ENODEV);
	assert_int_equal(bus_access(b, 0x2fff, data, 1, false), -ENODEV);
	assert_int_equal(b->unhandled, 2);
	bus_destroy(b);
}

/* A region may end at the last address; accesses there do not wrap. */
static void test_top_of_address_space(void **state)
{
	struct rec_dev d = { 0 };
	struct bus *b = bus_create();
	uint8_t data[8];

	assert_non_null(b);
	assert_int_equal(bus_register(b, UINT64_MAX - 0xfff, 0x1000, &ops_any, &d), 0);
	assert_int_equal(bus_register(b, UINT64_MAX, 1, &ops_any, &d), -EEXIST);
	assert_int_equal(bus_register(b, UINT64_MAX - 0x1fff, 0x1001, &ops_any, &d), -EEXIST);
	assert_int_equal(bus_register(b, UINT64_MAX - 0x1fff, 0x1000, &ops_any, &d), 0);
	assert_int_equal(bus_access(b, UINT64_MAX, data, 1, false), 0);
	assert_int_equal(d.off, 0xfff);
	assert_int_equal(bus_access(b, UINT64_MAX - 7, data, 8, true), 0);
	assert_int_equal(d.off, 0xff8);
	assert_int_equal(bus_access(b, UINT64_MAX, data, 2, false), -EINVAL);
	assert_int_equal(bus_access(b, UINT64_MAX - 3, data, 8, false), -EINVAL);
	assert_int_equal(b->unhandled, 0);
	bus_destroy(b);
}

/* Regions registered in any order are found by the binary search, each at
 * its first and last byte; gaps between them hit no device. */
static void test_many_regions(void **state)
{
	enum { N = 37 };
	struct rec_dev d[N];
	struct bus *b = bus_create();
	uint8_t data[8];
	unsigned i, k;

	assert_non_null(b);
	for (i = 0; i < N; i++) {
		k = (i * 17) % N; /* 17 is coprime with 37: a permutation */
		d[k] = (struct rec_dev){ .id = k };
		assert_int_equal(bus_register(b, 0x100000 + k * 0x2000, 0x1000, &ops_any, &d[k]), 0);
	}
	assert_int_equal(b->nregions, N);
	for (i = 1; i < N; i++)
		assert_true(b->regions[i - 1].base < b->regions[i].base);
	for (k = 0; k < N; k++) {
		uint64_t base = 0x100000 + k * 0x2000;

		assert_int_equal(bus_access(b, base, data, 1, false), 0);
		assert_int_equal(data[0], 0x01);
		assert_int_equal(bus_access(b, base + 0xff8, data, 8, false), 0);
		assert_int_equal(data[7], (uint8_t)(0x08 + k));
		assert_int_equal(d[k].off, 0xff8);
		assert_int_equal(d[k].reads, 2);
		assert_int_equal(bus_access(b, base + 0x1000, data, 1, false), -ENODEV);
		assert_int_equal(bus_access(b, base + 0x1fff, data, 1, false), -ENODEV);
	}
	assert_int_equal(bus_access(b, 0xfffff, data, 1, false), -ENODEV);
	assert_int_equal(b->unhandled, 2 * N + 1);
	bus_destroy(b);
}

/* A device's own error is returned and a failed read gives zeros, never
 * the value the device left behind; a region without read/write ops is
 * refused with -EPERM. Neither counts as unhandled. */
static void test_device_errors(void **state)
{
	struct rec_dev d = { .fail = -EIO };
	struct bus *b = bus_create();
	uint8_t data[8];

	assert_non_null(b);
	assert_int_equal(bus_register(b, 0x5000, 0x100, &ops_any, &d), 0);
	assert_int_equal(bus_register(b, 0x6000, 0x100, &ops_none, NULL), 0);
	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x5004, data, 4, false), -EIO);
	assert_int_equal(d.reads, 1);
	assert_int_equal(get_le32(data), 0);
	assert_int_equal(data[4], 0xaa);
	assert_int_equal(bus_access(b, 0x5004, data, 4, true), -EIO);
	assert_int_equal(d.writes, 1);
	d.fail = -EINVAL;
	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x5000, data, 8, false), -EINVAL);
	assert_int_equal(get_le64(data), 0);

	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x6000, data, 2, false), -EPERM);
	assert_int_equal(get_le16(data), 0);
	assert_int_equal(data[2], 0xaa);
	assert_int_equal(bus_access(b, 0x6000, data, 2, true), -EPERM);
	assert_int_equal(b->unhandled, 0);
	bus_destroy(b);
	bus_destroy(NULL);
}

/* An empty bus handles nothing and counts every access. */
static void test_empty_bus(void **state)
{
	struct bus *b = bus_create();
	uint8_t data[4] = { 1, 2, 3, 4 };

	assert_non_null(b);
	assert_int_equal(bus_access(b, 0, data, 4, false), -ENODEV);
	assert_int_equal(get_le32(data), 0);
	assert_int_equal(bus_access(b, UINT64_MAX, data, 1, true), -ENODEV);
	assert_int_equal(b->unhandled, 2);
	bus_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le_packing),
		cmocka_unit_test(test_size_mask),
		cmocka_unit_test(test_region_edges),
		cmocka_unit_test(test_top_of_address_space),
		cmocka_unit_test(test_many_regions),
		cmocka_unit_test(test_device_errors),
		cmocka_unit_test(test_empty_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
