/* Unit tests for the fw_cfg device model (vmm/fwcfg/fwcfg.c): registers,
 * file directory, DMA (READ/SKIP/SELECT/WRITE) and hostile descriptors,
 * against a 1 MiB byte array standing in for guest RAM at 0x40000000. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fwcfg/fwcfg.h"
#include "util.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (1024 * 1024)
#define DESC     (RAM_BASE + 0x1000)
#define BUF      (RAM_BASE + 0x2000)

static uint8_t ram[RAM_SIZE];

static int ram_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	if (!range_within(gpa, len, RAM_BASE, RAM_SIZE))
		return -EFAULT;
	memcpy(buf, ram + (gpa - RAM_BASE), len);
	return 0;
}

static int ram_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	if (!range_within(gpa, len, RAM_BASE, RAM_SIZE))
		return -EFAULT;
	memcpy(ram + (gpa - RAM_BASE), buf, len);
	return 0;
}

static const struct guest_mem gm = { .read = ram_read, .write = ram_write };

static uint8_t *hva(uint64_t gpa) { return ram + (gpa - RAM_BASE); }

static int setup(void **state)
{
	memset(ram, 0xAA, sizeof(ram));
	*state = fwcfg_create(&gm);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	fwcfg_destroy(*state);
	return 0;
}

/* Register helpers, as a little-endian CPU issues the accesses. */
static void sel(struct fwcfg *f, uint16_t key)
{
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_SELECTOR, 2, __builtin_bswap16(key)), 0);
}

static uint64_t rd(struct fwcfg *f, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(fwcfg_bus_ops.read(f, FWCFG_REG_DATA, size, &v), 0);
	return v;
}

/* Build a descriptor at gpa and trigger it with a 64-bit write. */
static void put_desc(uint64_t gpa, uint32_t control, uint32_t len, uint64_t addr)
{
	put_be32(hva(gpa), control);
	put_be32(hva(gpa) + 4, len);
	put_be64(hva(gpa) + 8, addr);
}

static uint32_t dma_at(struct fwcfg *f, uint64_t desc, uint32_t control, uint32_t len, uint64_t addr)
{
	put_desc(desc, control, len, addr);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA, 8, __builtin_bswap64(desc)), 0);
	return get_be32(hva(desc));
}

static uint32_t dma(struct fwcfg *f, uint32_t control, uint32_t len, uint64_t addr)
{
	return dma_at(f, DESC, control, len, addr);
}

static uint32_t ctl_sel(uint16_t key, uint32_t op)
{
	return (uint32_t)key << 16 | FWCFG_DMA_SELECT | op;
}

static void test_signature_and_id(void **state)
{
	struct fwcfg *f = *state;

	sel(f, FWCFG_KEY_SIGNATURE);
	assert_int_equal(rd(f, 4), 'Q' | 'E' << 8 | 'M' << 16 | (uint32_t)'U' << 24);
	assert_int_equal(rd(f, 4), 0); /* past the end */
	sel(f, FWCFG_KEY_ID);
	assert_int_equal(rd(f, 4), FWCFG_ID_TRADITIONAL | FWCFG_ID_DMA);
	/* Empty directory: count 0. */
	sel(f, FWCFG_KEY_FILE_DIR);
	assert_int_equal(rd(f, 4), 0);
}

static void test_directory_sorted(void **state)
{
	struct fwcfg *f = *state;
	static const char *names[] = { "etc/b", "zz", "etc/acpi/tables", "etc/a" };
	static const char *sorted[] = { "etc/a", "etc/acpi/tables", "etc/b", "zz" };
	uint8_t dir[4 + 4 * FWCFG_DIR_ENTRY_SIZE];
	char content[8];

	for (unsigned i = 0; i < 4; i++) {
		snprintf(content, sizeof(content), "%s", names[i]);
		assert_int_equal(fwcfg_add_file(f, names[i], content, (uint32_t)strlen(content) + 1, false), 0);
	}
	sel(f, FWCFG_KEY_FILE_DIR);
	for (unsigned i = 0; i < sizeof(dir); i++)
		dir[i] = (uint8_t)rd(f, 1);
	assert_int_equal(get_be32(dir), 4);
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = dir + 4 + i * FWCFG_DIR_ENTRY_SIZE;
		char name[FWCFG_FILE_NAME_MAX + 1] = { 0 };
		size_t want = strlen(sorted[i]) + 1;

		memcpy(name, e + 8, FWCFG_FILE_NAME_MAX);
		assert_string_equal(name, sorted[i]);
		assert_int_equal(get_be16(e + 4), FWCFG_KEY_FILE_FIRST + i);
		assert_int_equal(get_be16(e + 6), 0);
		assert_int_equal(get_be32(e), want > 7 ? 8 : want);
		/* The selector really reaches that file. */
		sel(f, (uint16_t)(FWCFG_KEY_FILE_FIRST + i));
		assert_int_equal(rd(f, 1), (uint8_t)sorted[i][0]);
	}
	/* Nothing past the directory. */
	sel(f, FWCFG_KEY_FILE_DIR);
	assert_int_equal(dma(f, FWCFG_DMA_SKIP, sizeof(dir), 0), 0);
	assert_int_equal(rd(f, 8), 0);
}

static void test_data_port_widths(void **state)
{
	struct fwcfg *f = *state;
	const uint8_t item[11] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

	assert_int_equal(fwcfg_add_item(f, 0x0005, item, sizeof(item)), 0);
	sel(f, 0x0005);
	assert_int_equal(rd(f, 1), 1);
	assert_int_equal(rd(f, 2), 0x0302);
	assert_int_equal(rd(f, 4), 0x07060504);
	assert_int_equal(rd(f, 8), 0x0b0a0908); /* 4 bytes then zeros */
	assert_int_equal(rd(f, 8), 0);
	assert_int_equal(rd(f, 1), 0);
	/* Reselecting rewinds. */
	sel(f, 0x0005);
	assert_int_equal(rd(f, 8), 0x0807060504030201ULL);
	/* Data-port writes are ignored. */
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DATA, 1, 0x55), 0);
	assert_int_equal(rd(f, 1), 9);
}

static void test_selector_endianness(void **state)
{
	struct fwcfg *f = *state;
	uint64_t v;

	/* The raw little-endian value 0x0100 is selector 0x0001 on the wire. */
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_SELECTOR, 2, 0x0100), 0);
	assert_int_equal(rd(f, 4), 3);
	/* Raw 0x0001 is selector 0x0100: unknown, reads zero. */
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_SELECTOR, 2, 0x0001), 0);
	assert_int_equal(rd(f, 4), 0);
	/* The DMA register reads "QEMU CFG" in address order. */
	assert_int_equal(fwcfg_bus_ops.read(f, FWCFG_REG_DMA, 8, &v), 0);
	uint8_t sigb[8];
	put_le64(sigb, v);
	assert_memory_equal(sigb, "QEMU CFG", 8);
	assert_int_equal(__builtin_bswap64(v), 0x51454d5520434647ULL);
	assert_int_equal(fwcfg_bus_ops.read(f, FWCFG_REG_DMA + 4, 4, &v), 0);
	assert_int_equal(v, ' ' | 'C' << 8 | 'F' << 16 | (uint32_t)'G' << 24);
}

static void test_bad_register_accesses(void **state)
{
	struct fwcfg *f = *state;
	uint64_t v;

	assert_int_equal(fwcfg_bus_ops.read(f, 1, 1, &v), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.read(f, 0, 3, &v), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.read(f, FWCFG_REG_SELECTOR, 2, &v), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.read(f, FWCFG_REG_DMA + 2, 4, &v), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.read(f, FWCFG_REG_DMA + 4, 8, &v), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.read(f, FWCFG_MMIO_SIZE, 1, &v), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_SELECTOR, 4, 0), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_SELECTOR, 1, 0), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_SELECTOR + 1, 2, 0), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA + 2, 4, 0), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA, 2, 0), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA + 4, 8, 0), -EINVAL);
	assert_int_equal(fwcfg_bus_ops.write(f, 3, 1, 0), -EINVAL);
	/* Nothing was triggered or selected. */
	struct fwcfg_stats st;
	fwcfg_get_stats(f, &st);
	assert_int_equal(st.dma_ok + st.dma_errors, 0);
}

static void test_dma_read_skip_select(void **state)
{
	struct fwcfg *f = *state;
	uint8_t blob[300];

	for (unsigned i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(fwcfg_add_file(f, "etc/blob", blob, sizeof(blob), false), 0);

	/* SELECT + READ of the whole file. */
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_READ), sizeof(blob), BUF), 0);
	assert_memory_equal(hva(BUF), blob, sizeof(blob));
	/* Continue reading past the end: zeros, as QEMU. */
	assert_int_equal(dma(f, FWCFG_DMA_READ, 16, BUF), 0);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(hva(BUF)[i], 0);
	/* SELECT + SKIP, then READ continues at the offset. */
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_SKIP), 100, 0), 0);
	memset(hva(BUF), 0xAA, 64);
	assert_int_equal(dma(f, FWCFG_DMA_READ, 10, BUF), 0);
	assert_memory_equal(hva(BUF), blob + 100, 10);
	assert_int_equal(hva(BUF)[10], 0xAA); /* no overrun */
	/* SKIP past the end clamps; READ then yields zeros. */
	assert_int_equal(dma(f, FWCFG_DMA_SKIP, 0xFFFFFFFF, 0), 0);
	memset(hva(BUF), 0xAA, 4);
	assert_int_equal(dma(f, FWCFG_DMA_READ, 4, BUF), 0);
	assert_int_equal(get_le32(hva(BUF)), 0);
	/* SELECT alone succeeds and rewinds; data port sees offset 0. */
	assert_int_equal(dma(f, ctl_sel(0x20, 0), 0, 0), 0);
	assert_int_equal(rd(f, 1), blob[0]);
	/* Zero-length READ does nothing. */
	assert_int_equal(dma(f, FWCFG_DMA_READ, 0, 0), 0);
	/* Descriptor anywhere in RAM, e.g. its last 16 bytes. */
	assert_int_equal(dma_at(f, RAM_BASE + RAM_SIZE - 16, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ), 4, BUF), 0);
	assert_int_equal(get_le32(hva(BUF)), 3);

	struct fwcfg_stats st;
	fwcfg_get_stats(f, &st);
	assert_int_equal(st.dma_errors, 0);
	assert_int_equal(st.dma_ok, 9);
}

/* A reader item's source: 'len' pattern bytes; fails on demand and notes
 * where it was asked to write. */
struct src {
	uint8_t data[10000];
	int calls;
	int fail;
	uint8_t *last_dst;
};

static int src_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	struct src *s = opaque;

	s->calls++;
	s->last_dst = buf;
	if (s->fail || off > sizeof(s->data) || len > sizeof(s->data) - off)
		return -EIO;
	memcpy(buf, s->data + off, len);
	return 0;
}

static void *ram_map(void *opaque, uint64_t gpa, size_t len)
{
	return range_within(gpa, len, RAM_BASE, RAM_SIZE) ? hva(gpa) : NULL;
}

/* Reader items: DMA and the data port get the source's bytes, zeros past
 * the end; with a mappable guest buffer the reader writes straight into
 * it (no bounce copy); a failing reader completes the DMA with ERROR. */
static void test_reader_item(void **state)
{
	static const struct guest_mem gm_map = { .read = ram_read, .write = ram_write,
						 .map = ram_map };
	static struct src s;
	struct fwcfg *f = *state, *fm;

	for (unsigned i = 0; i < sizeof(s.data); i++)
		s.data[i] = (uint8_t)(i * 13 + 5);
	s.calls = s.fail = 0;
	assert_int_equal(fwcfg_add_item_reader(f, FWCFG_KEY_KERNEL_DATA, sizeof(s.data), NULL, &s),
			 -EINVAL);
	assert_int_equal(fwcfg_add_item_reader(f, FWCFG_KEY_KERNEL_DATA, sizeof(s.data), src_read, &s),
			 0);
	assert_int_equal(fwcfg_add_item_reader(f, FWCFG_KEY_KERNEL_DATA, 4, src_read, &s), -EEXIST);
	/* Without map(): through a bounce buffer, in 4 KiB pieces. */
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_KERNEL_DATA, FWCFG_DMA_READ), sizeof(s.data) + 8, BUF),
			 0);
	assert_memory_equal(hva(BUF), s.data, sizeof(s.data));
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(hva(BUF)[sizeof(s.data) + i], 0);
	assert_int_equal(s.calls, 3);
	/* The data port, at an offset after a SKIP. */
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_KERNEL_DATA, FWCFG_DMA_SKIP), 1000, 0), 0);
	assert_int_equal(rd(f, 4), get_le32(s.data + 1000));
	assert_int_equal(rd(f, 1), s.data[1004]);
	s.fail = 1;
	assert_int_equal(rd(f, 2), 0);
	assert_int_equal(dma(f, FWCFG_DMA_READ, 16, BUF), FWCFG_DMA_ERROR);
	s.fail = 0;

	/* With map(): one read, into guest RAM itself. */
	fm = fwcfg_create(&gm_map);
	assert_non_null(fm);
	assert_int_equal(fwcfg_add_item_reader(fm, FWCFG_KEY_INITRD_DATA, sizeof(s.data), src_read, &s),
			 0);
	memset(hva(BUF), 0xAA, sizeof(s.data));
	s.calls = 0;
	assert_int_equal(dma(fm, ctl_sel(FWCFG_KEY_INITRD_DATA, FWCFG_DMA_READ), sizeof(s.data), BUF), 0);
	assert_memory_equal(hva(BUF), s.data, sizeof(s.data));
	assert_int_equal(s.calls, 1);
	assert_ptr_equal(s.last_dst, hva(BUF));
	fwcfg_destroy(fm);
}

struct cb_log {
	int calls;
	char name[FWCFG_FILE_NAME_MAX];
	uint8_t data[16];
	uint32_t len;
};

static void write_cb(void *opaque, const char *name, const uint8_t *data, uint32_t len)
{
	struct cb_log *log = opaque;

	log->calls++;
	snprintf(log->name, sizeof(log->name), "%s", name);
	log->len = len;
	memcpy(log->data, data, MIN(len, (uint32_t)sizeof(log->data)));
}

static void test_dma_write_and_callback(void **state)
{
	struct fwcfg *f = *state;
	struct cb_log log = { 0 };
	uint8_t zero8[8] = { 0 }, out[8];
	uint32_t len;

	assert_int_equal(fwcfg_add_file(f, "etc/hardware_errors_addr", zero8, 8, true), 0);
	assert_int_equal(fwcfg_add_file(f, "etc/ro", zero8, 8, false), 0);
	assert_int_equal(fwcfg_set_write_cb(f, "etc/hardware_errors_addr", write_cb, &log), 0);
	assert_int_equal(fwcfg_set_write_cb(f, "etc/ro", write_cb, &log), -EPERM);
	assert_int_equal(fwcfg_set_write_cb(f, "nope", write_cb, &log), -ENOENT);

	/* WRITE_POINTER as edk2 does it: select, write 8 bytes LE address. */
	put_le64(hva(BUF), 0x47650000ULL);
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_WRITE), 8, BUF), 0);
	assert_int_equal(log.calls, 1);
	assert_string_equal(log.name, "etc/hardware_errors_addr");
	assert_int_equal(log.len, 8);
	assert_int_equal(get_le64(log.data), 0x47650000ULL);
	assert_int_equal(get_le64(fwcfg_file_data(f, "etc/hardware_errors_addr", &len)), 0x47650000ULL);
	assert_int_equal(len, 8);

	/* Partial write at an offset: SKIP 4 then WRITE 4. */
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_SKIP), 4, 0), 0);
	put_le32(hva(BUF), 0x1);
	assert_int_equal(dma(f, FWCFG_DMA_WRITE, 4, BUF), 0);
	assert_int_equal(log.calls, 2);
	assert_int_equal(fwcfg_file_copy(f, "etc/hardware_errors_addr", out, sizeof(out)), 8);
	assert_int_equal(get_le64(out), 0x147650000ULL);

	/* Past the end of a writable file: ERROR, contents unchanged. */
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_SKIP), 4, 0), 0);
	assert_int_equal(dma(f, FWCFG_DMA_WRITE, 8, BUF), FWCFG_DMA_ERROR);
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_WRITE), 9, BUF), FWCFG_DMA_ERROR);
	/* Source outside RAM: ERROR, contents unchanged. */
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_WRITE), 8, RAM_BASE + RAM_SIZE - 4), FWCFG_DMA_ERROR);
	assert_int_equal(fwcfg_file_copy(f, "etc/hardware_errors_addr", out, sizeof(out)), 8);
	assert_int_equal(get_le64(out), 0x147650000ULL);
	assert_int_equal(log.calls, 2);

	/* Read-only file and read-only item: ERROR. */
	assert_int_equal(dma(f, ctl_sel(0x21, FWCFG_DMA_WRITE), 8, BUF), FWCFG_DMA_ERROR);
	assert_int_equal(get_le64(fwcfg_file_data(f, "etc/ro", NULL)), 0);
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_SIGNATURE, FWCFG_DMA_WRITE), 1, BUF), FWCFG_DMA_ERROR);
	sel(f, FWCFG_KEY_SIGNATURE);
	assert_int_equal(rd(f, 1), 'Q');
	assert_int_equal(log.calls, 2);
	/* Zero-length write: success, no callback. */
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_WRITE), 0, BUF), 0);
	assert_int_equal(log.calls, 2);
}

static void test_dma_hostile(void **state)
{
	struct fwcfg *f = *state;
	struct fwcfg_stats st;
	uint8_t guard[64];

	assert_int_equal(fwcfg_add_file(f, "w", (uint8_t[4]){ 0 }, 4, true), 0);
	/* Destination past RAM. */
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ), 4, RAM_BASE + RAM_SIZE), FWCFG_DMA_ERROR);
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ), 4, RAM_BASE + RAM_SIZE - 2), FWCFG_DMA_ERROR);
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ), 4, 0x1000), FWCFG_DMA_ERROR);
	/* Length 0xFFFFFFFF: more than RAM, ERROR, nothing written. */
	memset(hva(BUF), 0xAA, 0x1000);
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ), 0xFFFFFFFF, BUF), FWCFG_DMA_ERROR);
	for (unsigned i = 0; i < 0x1000; i++)
		assert_int_equal(hva(BUF)[i], 0xAA);
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_WRITE), 0xFFFFFFFF, BUF), FWCFG_DMA_ERROR);
	/* 64-bit wrap-around. */
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ), 0x100, 0xFFFFFFFFFFFFFFF0ULL), FWCFG_DMA_ERROR);
	assert_int_equal(dma(f, ctl_sel(0x20, FWCFG_DMA_WRITE), 4, 0xFFFFFFFFFFFFFFFEULL), FWCFG_DMA_ERROR);
	/* Combined operation bits. */
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ | FWCFG_DMA_WRITE), 4, BUF), FWCFG_DMA_ERROR);
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ | FWCFG_DMA_SKIP), 4, BUF), FWCFG_DMA_ERROR);
	assert_int_equal(dma(f, FWCFG_DMA_READ | FWCFG_DMA_WRITE | FWCFG_DMA_SKIP, 4, BUF), FWCFG_DMA_ERROR);
	/* Unknown selector: WRITE is an ERROR; READ yields zeros (QEMU
	 * behaviour; edk2 reads e.g. SETUP_SIZE and hangs on ERROR). */
	assert_int_equal(dma(f, ctl_sel(0x1234, FWCFG_DMA_WRITE), 4, BUF), FWCFG_DMA_ERROR);
	memset(hva(BUF), 0xAA, 8);
	assert_int_equal(dma(f, ctl_sel(0x1234, FWCFG_DMA_READ), 4, BUF), 0);
	assert_int_equal(get_le32(hva(BUF)), 0);
	assert_int_equal(hva(BUF)[4], 0xAA);
	assert_int_equal(dma(f, ctl_sel(0x1234, FWCFG_DMA_SKIP), 4, BUF), 0);

	/* Descriptor outside RAM, or straddling its end: dropped, nothing written. */
	fwcfg_get_stats(f, &st);
	uint64_t errs = st.dma_errors;
	memcpy(guard, hva(RAM_BASE + RAM_SIZE - sizeof(guard)), sizeof(guard));
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA, 8, __builtin_bswap64(0x1000)), 0);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA, 8, __builtin_bswap64(RAM_BASE + RAM_SIZE - 8)), 0);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA, 8, __builtin_bswap64(~0ULL - 4)), 0);
	assert_memory_equal(guard, hva(RAM_BASE + RAM_SIZE - sizeof(guard)), sizeof(guard));
	fwcfg_get_stats(f, &st);
	assert_int_equal(st.dma_errors, errs + 3);
	/* Descriptor whose read works but whose own control word is fine:
	 * the device still works afterwards. */
	assert_int_equal(dma(f, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ), 4, BUF), 0);
	assert_int_equal(get_le32(hva(BUF)), 3);
}

static void test_dma_split_32bit(void **state)
{
	struct fwcfg *f = *state;
	struct fwcfg_stats st;

	put_desc(DESC, ctl_sel(FWCFG_KEY_SIGNATURE, FWCFG_DMA_READ), 4, BUF);
	/* High half (0) at +0x10, then the low half at +0x14 triggers. */
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA, 4, __builtin_bswap32(DESC >> 32)), 0);
	fwcfg_get_stats(f, &st);
	assert_int_equal(st.dma_ok, 0); /* not yet */
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA + 4, 4, __builtin_bswap32((uint32_t)DESC)), 0);
	assert_int_equal(get_be32(hva(DESC)), 0);
	assert_memory_equal(hva(BUF), "QEMU", 4);

	/* A non-zero high half points outside RAM: dropped, and the high half
	 * is cleared by the trigger so the next low-only write works. */
	put_desc(DESC, ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ), 4, BUF);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA, 4, __builtin_bswap32(1)), 0);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA + 4, 4, __builtin_bswap32((uint32_t)DESC)), 0);
	assert_int_equal(get_be32(hva(DESC)), ctl_sel(FWCFG_KEY_ID, FWCFG_DMA_READ));
	fwcfg_get_stats(f, &st);
	assert_int_equal(st.dma_errors, 1);
	assert_int_equal(fwcfg_bus_ops.write(f, FWCFG_REG_DMA + 4, 4, __builtin_bswap32((uint32_t)DESC)), 0);
	assert_int_equal(get_be32(hva(DESC)), 0);
	assert_int_equal(get_le32(hva(BUF)), 3);
}

static void test_add_errors(void **state)
{
	struct fwcfg *f = *state;
	char longname[FWCFG_FILE_NAME_MAX + 1];
	uint8_t b = 1;

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(fwcfg_add_file(f, longname, &b, 1, false), -ENAMETOOLONG);
	longname[FWCFG_FILE_NAME_MAX - 1] = 0; /* 55 chars: fits */
	assert_int_equal(fwcfg_add_file(f, longname, &b, 1, false), 0);
	assert_int_equal(fwcfg_add_file(f, longname, &b, 1, false), -EEXIST);
	assert_int_equal(fwcfg_add_file(f, "", &b, 1, false), -EINVAL);
	assert_int_equal(fwcfg_add_item(f, FWCFG_KEY_FILE_FIRST, &b, 1), -EINVAL);
	assert_int_equal(fwcfg_add_item(f, FWCFG_KEY_FILE_DIR, &b, 1), -EINVAL);
	assert_int_equal(fwcfg_add_item(f, FWCFG_KEY_SIGNATURE, &b, 1), -EEXIST);
	assert_int_equal(fwcfg_add_item(f, 0x0002, NULL, 1), -EINVAL);
	assert_int_equal(fwcfg_add_item(f, 0x0002, NULL, 0), 0);
	assert_int_equal(fwcfg_add_u32(f, FWCFG_KEY_KERNEL_SIZE, 0x01020304), 0);
	sel(f, FWCFG_KEY_KERNEL_SIZE);
	assert_int_equal(rd(f, 4), 0x01020304);
	sel(f, 0x0002);
	assert_int_equal(rd(f, 8), 0);
	assert_null(fwcfg_file_data(f, "missing", NULL));
	assert_int_equal(fwcfg_file_copy(f, "missing", &b, 1), -ENOENT);
	/* Owned buffers are freed on failure (ASan would report a leak). */
	assert_int_equal(fwcfg_add_file_owned(f, longname, malloc(4), 4, false), -EEXIST);
	assert_int_equal(fwcfg_add_item_owned(f, 0x0005, malloc(4), 4), 0);
}

struct thr_arg {
	struct fwcfg *f;
	uint64_t desc, buf;
	uint16_t key;
	uint32_t expect;
	int bad;
};

static void *dma_thread(void *p)
{
	struct thr_arg *a = p;

	for (int i = 0; i < 2000; i++) {
		put_desc(a->desc, ctl_sel(a->key, FWCFG_DMA_READ), 4, a->buf);
		fwcfg_bus_ops.write(a->f, FWCFG_REG_DMA, 8, __builtin_bswap64(a->desc));
		if (get_be32(hva(a->desc)) != 0 || get_le32(hva(a->buf)) != a->expect)
			a->bad++;
		/* Interleave data-port traffic too (no cmocka asserts off the main thread). */
		fwcfg_bus_ops.write(a->f, FWCFG_REG_SELECTOR, 2, __builtin_bswap16(a->key));
	}
	return NULL;
}

static void test_concurrent_dma(void **state)
{
	struct fwcfg *f = *state;
	struct thr_arg a[2] = {
		{ f, RAM_BASE + 0x10000, RAM_BASE + 0x10100, FWCFG_KEY_ID, 3, 0 },
		{ f, RAM_BASE + 0x20000, RAM_BASE + 0x20100, FWCFG_KEY_SIGNATURE,
		  'Q' | 'E' << 8 | 'M' << 16 | (uint32_t)'U' << 24, 0 },
	};
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, dma_thread, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(a[0].bad + a[1].bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signature_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_port_widths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selector_endianness, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_register_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_read_skip_select, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_write_and_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_split_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_dma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_item, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
