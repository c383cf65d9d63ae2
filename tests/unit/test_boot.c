/* Unit tests for the arm64 Image header checks and direct-boot layout
 * (vmm/arch/arm64/boot.c) and the MMIO bus (vmm/bus.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "arch/arm64/boot.h"
#include "bus.h"
#include "util.h"

#define MB (1ULL << 20)

/* A minimal Image: header, optionally a PE header with one section whose
 * raw data ends at 'raw_end'. */
static uint8_t *make_image(size_t size, uint64_t image_size, int pe, uint32_t raw_end)
{
	uint8_t *d = calloc(1, size);

	assert_non_null(d);
	put_le64(d + 0x08, 0);           /* text_offset */
	put_le64(d + 0x10, image_size);  /* image_size */
	put_le64(d + 0x18, 0xa);         /* flags: LE, 4K pages, anywhere */
	put_le32(d + 0x38, ARM64_IMAGE_MAGIC);
	if (pe) {
		d[0] = 'M';
		d[1] = 'Z';
		put_le32(d + 0x3c, 0x40);        /* PE header offset */
		put_le32(d + 0x40, 0x00004550);  /* "PE\0\0" */
		put_le16(d + 0x40 + 6, 1);       /* one section */
		put_le16(d + 0x40 + 20, 0);      /* no optional header */
		put_le32(d + 0x40 + 24 + 16, raw_end - 0x200); /* SizeOfRawData */
		put_le32(d + 0x40 + 24 + 20, 0x200);           /* PointerToRawData */
	}
	return d;
}

static void test_image_ok(void **state)
{
	struct arm64_image img;
	const char *why = NULL;
	uint8_t *d = make_image(8192, 4 * MB, 1, 8192);

	assert_int_equal(arm64_image_parse(d, 8192, &img, &why), 0);
	assert_int_equal(img.image_size, 4 * MB);
	assert_int_equal(img.text_offset, 0);
	free(d);
}

static void test_image_bad(void **state)
{
	struct arm64_image img;
	const char *why = NULL;
	uint8_t *d = make_image(8192, 4 * MB, 1, 8192);

	/* Truncated: the section says 8192 bytes, the file has 4096. */
	assert_int_equal(arm64_image_parse(d, 4096, &img, &why), -EINVAL);
	assert_non_null(strstr(why, "truncated"));
	/* Too short for a header at all. */
	assert_int_equal(arm64_image_parse(d, 32, &img, &why), -ENOEXEC);
	/* Wrong magic. */
	d[0x38] = 'X';
	assert_int_equal(arm64_image_parse(d, 8192, &img, &why), -ENOEXEC);
	d[0x38] = 'A';
	/* Big-endian kernel. */
	put_le64(d + 0x18, 1);
	assert_int_equal(arm64_image_parse(d, 8192, &img, &why), -ENOEXEC);
	put_le64(d + 0x18, 0xa);
	/* text_offset not page aligned. */
	put_le64(d + 0x08, 0x123);
	assert_int_equal(arm64_image_parse(d, 8192, &img, &why), -EINVAL);
	put_le64(d + 0x08, 0);
	/* image_size far smaller than the file. */
	free(d);
	d = make_image(3 * MB, 4096, 0, 0);
	assert_int_equal(arm64_image_parse(d, 3 * MB, &img, &why), -EINVAL);
	free(d);
}

static void test_plan(void **state)
{
	struct arm64_image img = { .text_offset = 0, .image_size = 40 * MB };
	struct boot_layout lay;
	const uint64_t base = 0x40000000;

	assert_int_equal(boot_plan(base, 256 * MB, &img, 10 * MB, &lay), 0);
	assert_int_equal(lay.kernel, base);
	assert_true(IS_ALIGNED(lay.dtb, SZ_2M));
	assert_true(lay.dtb + DTB_MAX_SIZE <= base + 256 * MB);
	assert_true(lay.initrd >= lay.kernel_end);
	assert_true(lay.initrd + lay.initrd_size <= lay.dtb);
	assert_true(IS_ALIGNED(lay.initrd, SZ_4K));
	/* Initrd larger than what is left. */
	assert_int_equal(boot_plan(base, 64 * MB, &img, 30 * MB, &lay), -ENOSPC);
	/* Kernel alone too big. */
	assert_int_equal(boot_plan(base, 32 * MB, &img, 0, &lay), -ENOSPC);
	/* No initrd. */
	assert_int_equal(boot_plan(base, 64 * MB, &img, 0, &lay), 0);
	assert_int_equal(lay.initrd, 0);
}

/* Found by tests/fuzz/fuzz_boot.c (tests/fuzz/crashes/boot): an image_size
 * that puts kernel_end in the last 4 KiB below 2^64 made the page-aligned
 * end wrap to 0, and the layout was accepted. */
static void test_plan_kernel_end_wraps(void **state)
{
	const uint64_t base = 0x40000000;
	struct arm64_image img = { .text_offset = 0, .image_size = UINT64_MAX - base };
	struct boot_layout lay;

	assert_int_equal(boot_plan(base, 256 * MB, &img, 0, &lay), -ENOSPC);
	img.image_size = UINT64_MAX - base - 4094;
	assert_int_equal(boot_plan(base, 256 * MB, &img, 1 * MB, &lay), -ENOSPC);
	img.image_size = UINT64_MAX - base + 1;	/* kernel_end itself wraps */
	assert_int_equal(boot_plan(base, 256 * MB, &img, 0, &lay), -ENOSPC);
}

struct reg_dev {
	uint64_t last_off, last_val;
	unsigned last_size, writes;
};

static int dev_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	*val = 0x1122334455667788ULL + off;
	return 0;
}

static int dev_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct reg_dev *d = dev;

	d->last_off = off;
	d->last_val = val;
	d->last_size = size;
	d->writes++;
	return 0;
}

static const struct bus_dev_ops ops4 = {
	.name = "test", .sizes = BUS_SIZE_4, .read = dev_read, .write = dev_write,
};

static void test_bus(void **state)
{
	struct bus *b = bus_create();
	struct reg_dev d1 = { 0 }, d2 = { 0 };
	uint8_t data[8] = { 0x78, 0x56, 0x34, 0x12 };

	assert_int_equal(bus_register(b, 0x9000000, 0x1000, &ops4, &d1), 0);
	assert_int_equal(bus_register(b, 0x8000000, 0x1000, &ops4, &d2), 0);
	/* Overlaps and empty or wrapping regions are refused. */
	assert_int_equal(bus_register(b, 0x9000ffc, 8, &ops4, &d2), -EEXIST);
	assert_int_equal(bus_register(b, 0x8fff000, 0x2000, &ops4, &d2), -EEXIST);
	assert_int_equal(bus_register(b, 0x1000, 0, &ops4, &d2), -EINVAL);
	assert_int_equal(bus_register(b, UINT64_MAX - 4, 0x10, &ops4, &d2), -EINVAL);
	/* Little-endian packing of a write. */
	assert_int_equal(bus_access(b, 0x9000010, data, 4, true), 0);
	assert_int_equal(d1.last_off, 0x10);
	assert_int_equal(d1.last_val, 0x12345678);
	/* Reads unpack low bytes first. */
	assert_int_equal(bus_access(b, 0x8000000, data, 4, false), 0);
	assert_int_equal(get_le32(data), 0x55667788);
	/* Width the device did not declare: zero, not dispatched. */
	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x9000000, data, 2, false), -EINVAL);
	assert_int_equal(data[0], 0);
	assert_int_equal(bus_access(b, 0x9000000, data, 1, true), -EINVAL);
	assert_int_equal(d1.writes, 1);
	/* Access straddling the end of a region. */
	assert_int_equal(bus_access(b, 0x9000ffe, data, 4, false), -EINVAL);
	/* No device there. */
	assert_int_equal(bus_access(b, 0x7000000, data, 4, false), -ENODEV);
	assert_int_equal(b->unhandled, 1);
	/* Bad sizes from KVM never reach a device. */
	assert_int_equal(bus_access(b, 0x9000000, data, 3, true), -EINVAL);
	bus_destroy(b);
}

/* A loader that only sees the first bytes of the file: the same verdicts
 * as on the whole file, judged against the file's real size. */
static void test_image_parse_head(void **state)
{
	struct arm64_image img;
	const char *why = NULL;
	uint8_t *d = make_image(3 * MB, 4 * MB, 1, 3 * MB);

	assert_int_equal(arm64_image_parse_head(d, 4096, 3 * MB, &img, &why), 0);
	assert_int_equal(img.image_size, 4 * MB);
	/* The file is shorter than its PE section says. */
	assert_int_equal(arm64_image_parse_head(d, 4096, 2 * MB, &img, &why), -EINVAL);
	/* The section table lies beyond the bytes read. */
	assert_int_equal(arm64_image_parse_head(d, 0x60, 3 * MB, &img, &why), -EINVAL);
	/* A head longer than the file is cut to it. */
	assert_int_equal(arm64_image_parse_head(d, 4096, 32, &img, &why), -ENOEXEC);
	free(d);
}

static long max_rss_kb(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* boot_load_file reads the file straight into its destination: the bytes
 * arrive, and the process's peak RSS does not grow by a heap copy of the
 * file (the destination is resident before the load). */
static void test_load_file_no_copy(void **state)
{
	const size_t size = 24 * MB;
	char path[] = "/tmp/mvr-test-boot-XXXXXX";
	uint8_t *src, *dst;
	uint64_t got = 0;
	long before;
	int fd, lfd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	src = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(src != MAP_FAILED);
	for (size_t i = 0; i < size; i += 8)
		put_le64(src + i, i * 0x9e3779b97f4a7c15ULL);
	assert_int_equal(write(fd, src, size), (ssize_t)size);
	/* The source leaves memory before the load is measured. */
	assert_int_equal(munmap(src, size), 0);

	assert_int_equal(boot_open_file(path, &lfd, &got), 0);
	assert_int_equal(got, size);
	dst = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(dst != MAP_FAILED);
	memset(dst, 0, size);
	before = max_rss_kb();
	assert_int_equal(boot_load_file(lfd, size, dst), 0);
	assert_true(max_rss_kb() - before < (long)(size / 2 / 1024));
	for (size_t i = 0; i < size; i += 8)
		if (get_le64(dst + i) != i * 0x9e3779b97f4a7c15ULL)
			fail_msg("byte %zu differs", i);
	/* A file that changed size is refused, not half-loaded. */
	assert_int_equal(ftruncate(fd, size - 4096), 0);
	assert_int_equal(boot_load_file(lfd, size, dst), -ESTALE);
	munmap(dst, size);
	close(lfd);
	close(fd);
	unlink(path);
	assert_int_equal(boot_open_file("/tmp", &lfd, &got), -EISDIR);
	assert_int_equal(boot_open_file("/nonexistent/mvr", &lfd, &got), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_ok),
		cmocka_unit_test(test_image_bad),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_kernel_end_wraps),
		cmocka_unit_test(test_bus),
		cmocka_unit_test(test_image_parse_head),
		cmocka_unit_test(test_load_file_no_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
