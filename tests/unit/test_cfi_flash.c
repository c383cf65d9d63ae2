/* Unit tests for the CFI flash command state machine
 * (vmm/devices/cfi_flash.c): query table, ID, erase, word and buffered
 * program in the exact sequences edk2's VirtNorFlashDxe sends, status,
 * lock/unlock, romd callbacks, and hostile accesses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/cfi_flash.h"
#include "util.h"

#define SMALL_SIZE (4 * CFI_FLASH_BLOCK_SIZE) /* 1 MiB, 4 blocks */
#define BLK(n)     ((uint64_t)(n) * CFI_FLASH_BLOCK_SIZE)
#define DUAL(c)    ((uint32_t)(c) << 16 | (uint32_t)(c))

struct ctx {
	uint8_t *storage;
	struct cfi_flash *f;
	int romd_calls;
	bool romd_last;
};

static void romd_cb(void *opaque, bool romd)
{
	struct ctx *c = opaque;

	c->romd_calls++;
	c->romd_last = romd;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->storage = malloc(SMALL_SIZE);
	if (!c->storage)
		return -1;
	memset(c->storage, 0, SMALL_SIZE);
	c->f = cfi_flash_create(c->storage, SMALL_SIZE, romd_cb, c);
	if (!c->f)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	cfi_flash_destroy(c->f);
	free(c->storage);
	free(c);
	return 0;
}

/* SEND_NOR_COMMAND as edk2 does: the command in both 16-bit halves. */
static void cmd(struct cfi_flash *f, uint64_t off, uint8_t c)
{
	assert_int_equal(cfi_flash_bus_ops.write(f, off, 4, DUAL(c)), 0);
}

static void wr32(struct cfi_flash *f, uint64_t off, uint32_t v)
{
	assert_int_equal(cfi_flash_bus_ops.write(f, off, 4, v), 0);
}

static uint64_t rd(struct cfi_flash *f, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(cfi_flash_bus_ops.read(f, off, size, &v), 0);
	return v;
}

/* NorFlashReadStatusRegister: 0x70 at the bank base, read the base. */
static uint32_t read_status(struct cfi_flash *f)
{
	cmd(f, 0, 0x70);
	return (uint32_t)rd(f, 0, 4);
}

static void test_create_args(void **state)
{
	uint8_t b[16];

	assert_null(cfi_flash_create(NULL, SMALL_SIZE, NULL, NULL));
	assert_null(cfi_flash_create(b, 0, NULL, NULL));
	assert_null(cfi_flash_create(b, CFI_FLASH_BLOCK_SIZE + 4096, NULL, NULL));
	assert_null(cfi_flash_create(b, 3 * CFI_FLASH_BLOCK_SIZE, NULL, NULL));
	assert_null(cfi_flash_create(b, CFI_FLASH_BLOCK_SIZE / 2, NULL, NULL));
}

static void test_query_table_64m(void **state)
{
	uint64_t size = 64ULL << 20;
	uint8_t *st = calloc(1, size);
	struct cfi_flash *f;

	assert_non_null(st);
	f = cfi_flash_create(st, size, NULL, NULL);
	assert_non_null(f);
	/* Linux enters query mode at word address 0x55. */
	cmd(f, 0x55 * 4, 0x98);
	assert_int_equal(rd(f, 0x10 * 4, 4), DUAL('Q'));
	assert_int_equal(rd(f, 0x11 * 4, 4), DUAL('R'));
	assert_int_equal(rd(f, 0x12 * 4, 4), DUAL('Y'));
	assert_int_equal(rd(f, 0x13 * 4, 4), DUAL(0x01)); /* command set 0x0001 */
	assert_int_equal(rd(f, 0x14 * 4, 4), 0);
	assert_int_equal(rd(f, 0x15 * 4, 4), DUAL(0x31)); /* PRI table at 0x31 */
	assert_int_equal(rd(f, 0x27 * 4, 4), DUAL(25));   /* 32 MiB per chip */
	assert_int_equal(rd(f, 0x2A * 4, 4), DUAL(11));   /* 2 KiB buffer per chip */
	assert_int_equal(rd(f, 0x2C * 4, 4), DUAL(1));    /* one region */
	assert_int_equal(rd(f, 0x2D * 4, 4), DUAL(0xFF)); /* 256 blocks - 1 */
	assert_int_equal(rd(f, 0x2E * 4, 4), 0);
	assert_int_equal(rd(f, 0x2F * 4, 4), 0);          /* 128 KiB per chip / 256 */
	assert_int_equal(rd(f, 0x30 * 4, 4), DUAL(0x02));
	assert_int_equal(rd(f, 0x31 * 4, 4), DUAL('P'));
	assert_int_equal(rd(f, 0x32 * 4, 4), DUAL('R'));
	assert_int_equal(rd(f, 0x33 * 4, 4), DUAL('I'));
	assert_int_equal(rd(f, 0x34 * 4, 4), DUAL('1'));
	assert_int_equal(rd(f, 0x35 * 4, 4), DUAL('0'));
	assert_int_equal(rd(f, 0x40 * 4, 4), 0);          /* past the table */
	assert_int_equal(rd(f, BLK(5), 4), 0);            /* no aliasing */
	/* Narrow and wide reads see the same bank words. */
	assert_int_equal(rd(f, 0x40, 1), 'Q');
	assert_int_equal(rd(f, 0x41, 1), 0);
	assert_int_equal(rd(f, 0x42, 2), 'Q');
	assert_int_equal(rd(f, 0x40, 8), (uint64_t)DUAL('R') << 32 | DUAL('Q'));
	/* Back to read array. */
	st[0x40] = 0x5a;
	cmd(f, 0, 0xFF);
	assert_int_equal(rd(f, 0x40, 1), 0x5a);
	cfi_flash_destroy(f);
	free(st);
}

static void test_read_id_and_lock_status(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;

	cmd(f, 0, 0x90);
	assert_int_equal(rd(f, 0, 4), DUAL(CFI_FLASH_MANUFACTURER));
	assert_int_equal(rd(f, 4, 4), DUAL(CFI_FLASH_DEVICE_ID));
	assert_int_equal(rd(f, 8, 4), 0); /* block 0 unlocked */
	/* Lock block 1; edk2's NorFlashBlockIsLocked: 0x90 at block+8, read block+8. */
	cmd(f, BLK(1), 0x60);
	cmd(f, BLK(1), 0x01);
	cmd(f, BLK(1) + 8, 0x90);
	assert_int_equal(rd(f, BLK(1) + 8, 4), DUAL(1));
	assert_int_equal(rd(f, BLK(2) + 8, 4), 0);
	/* Unlock as NorFlashUnlockSingleBlock: 0x60, 0xD0, poll status, 0xFF. */
	cmd(f, BLK(1), 0x60);
	cmd(f, BLK(1), 0xD0);
	assert_int_equal(read_status(f) & DUAL(0x80), DUAL(0x80));
	cmd(f, BLK(1), 0xFF);
	cmd(f, BLK(1) + 8, 0x90);
	assert_int_equal(rd(f, BLK(1) + 8, 4), 0);
	cmd(f, 0, 0xFF);
	assert_true(cfi_flash_romd(f));
}

static void test_block_erase(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;

	memset(c->storage, 0x11, SMALL_SIZE);
	/* NorFlashEraseSingleBlock: 0x20 + 0xD0 at the block, poll, 0xFF. */
	cmd(f, BLK(2), 0x20);
	cmd(f, BLK(2), 0xD0);
	assert_int_equal(read_status(f), DUAL(0x80));
	cmd(f, 0, 0xFF);
	for (uint64_t i = 0; i < SMALL_SIZE; i++)
		assert_int_equal(c->storage[i], i >= BLK(2) && i < BLK(3) ? 0xFF : 0x11);
	/* Confirm anywhere inside the block erases that block. */
	cmd(f, BLK(3), 0x20);
	cmd(f, BLK(3) + 0x1234, 0xD0);
	cmd(f, 0, 0xFF);
	assert_int_equal(c->storage[BLK(3)], 0xFF);
	assert_int_equal(c->storage[SMALL_SIZE - 1], 0xFF);
	assert_int_equal(c->storage[BLK(1)], 0x11);
}

static void test_word_program(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;

	memset(c->storage, 0xFF, SMALL_SIZE);
	/* NorFlashWriteSingleWord: 0x40 at the word, data, poll, 0x50, 0xFF. */
	cmd(f, 0x100, 0x40);
	wr32(f, 0x100, 0x12345678);
	assert_int_equal(read_status(f), DUAL(0x80));
	cmd(f, 0, 0x50);
	cmd(f, 0, 0xFF);
	assert_int_equal(get_le32(c->storage + 0x100), 0x12345678);
	assert_int_equal(rd(f, 0x100, 4), 0x12345678); /* MMIO array read */
	/* Programming only clears bits. */
	cmd(f, 0x100, 0x10);
	wr32(f, 0x100, 0xFFFF0F0F);
	cmd(f, 0, 0xFF);
	assert_int_equal(get_le32(c->storage + 0x100), 0x12340608);
	/* A 16-bit data write programs just two bytes. */
	cmd(f, 0x200, 0x40);
	assert_int_equal(cfi_flash_bus_ops.write(f, 0x202, 2, 0xA55A), 0);
	cmd(f, 0, 0xFF);
	assert_int_equal(get_le32(c->storage + 0x200), 0xA55AFFFF);
	/* A data value that looks like a command is still data. */
	cmd(f, 0x300, 0x40);
	wr32(f, 0x300, DUAL(0x70));
	cmd(f, 0, 0xFF);
	assert_int_equal(get_le32(c->storage + 0x300), DUAL(0x70));
}

static void test_buffered_program(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;
	uint64_t target = BLK(1) + 0x80;
	uint32_t words[32];

	memset(c->storage, 0xFF, SMALL_SIZE);
	for (unsigned i = 0; i < 32; i++)
		words[i] = 0x01010101u * i ^ 0xA5000000u;
	/* NorFlashWriteBuffer: 0xE8 at target, status bit 7 read at target. */
	cmd(f, target, 0xE8);
	assert_int_equal(rd(f, target, 4) & DUAL(0x80), DUAL(0x80));
	cmd(f, target, 32 - 1);
	for (unsigned i = 0; i < 32; i++)
		wr32(f, target + 4 * i, words[i]);
	/* Nothing is programmed before the confirm. */
	assert_int_equal(get_le32(c->storage + target), 0xFFFFFFFF);
	cmd(f, 0, 0xD0); /* confirm at the bank base, as edk2 */
	assert_int_equal(read_status(f), DUAL(0x80));
	cmd(f, 0, 0x50);
	cmd(f, 0, 0xFF);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(get_le32(c->storage + target + 4 * i), words[i]);
	assert_int_equal(get_le32(c->storage + target + 128), 0xFFFFFFFF);
	assert_int_equal(get_le32(c->storage + target - 4), 0xFFFFFFFF);

	/* Wrong confirm: sequence error, nothing programmed. */
	cmd(f, BLK(2), 0xE8);
	cmd(f, BLK(2), 0);
	wr32(f, BLK(2), 0);
	cmd(f, BLK(2), 0xFF);
	assert_int_equal(read_status(f), DUAL(0xB0));
	assert_int_equal(get_le32(c->storage + BLK(2)), 0xFFFFFFFF);
	cmd(f, 0, 0x50);
	/* Count too large (65536 writes). */
	cmd(f, BLK(2), 0xE8);
	wr32(f, BLK(2), DUAL(0xFFFF));
	assert_int_equal(read_status(f), DUAL(0xB0));
	cmd(f, 0, 0x50);
	/* Data outside the block of the 0xE8 address. */
	cmd(f, BLK(2), 0xE8);
	cmd(f, BLK(2), 1);
	wr32(f, BLK(2), 0);
	wr32(f, BLK(3), 0);
	assert_int_equal(read_status(f), DUAL(0xB0));
	cmd(f, 0, 0x50);
	cmd(f, 0, 0xFF);
	assert_int_equal(get_le32(c->storage + BLK(2)), 0xFFFFFFFF);
	assert_int_equal(get_le32(c->storage + BLK(3)), 0xFFFFFFFF);
	assert_true(cfi_flash_romd(f));
}

static void test_status_and_clear(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;

	assert_int_equal(read_status(f), DUAL(0x80));
	/* Erase setup followed by garbage: command sequence error. */
	cmd(f, 0, 0x20);
	cmd(f, 0, 0x42);
	assert_int_equal(read_status(f), DUAL(0xB0));
	/* Status persists across read-array and back. */
	cmd(f, 0, 0xFF);
	assert_int_equal(read_status(f), DUAL(0xB0));
	/* 8-byte status read: both bank words. */
	assert_int_equal(rd(f, 0, 8), (uint64_t)DUAL(0xB0) << 32 | DUAL(0xB0));
	assert_int_equal(rd(f, 1, 1), 0);
	assert_int_equal(rd(f, 2, 1), 0xB0);
	cmd(f, 0, 0x50);
	assert_int_equal(rd(f, 0, 4), DUAL(0x80)); /* still in status mode */
	/* Unknown first command: error bits, read array. */
	cmd(f, 0, 0x33);
	assert_int_equal(read_status(f), DUAL(0xB0));
	cmd(f, 0, 0x50);
	cmd(f, 0, 0xFF);
}

static void test_lock_unlock(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;

	memset(c->storage, 0x33, SMALL_SIZE);
	cmd(f, BLK(0), 0x60);
	cmd(f, BLK(0), 0x01);
	/* Erase of a locked block: SR1 | SR5, data kept. */
	cmd(f, BLK(0), 0x20);
	cmd(f, BLK(0), 0xD0);
	assert_int_equal(read_status(f), DUAL(0x80 | CFI_SR_LOCKED | CFI_SR_ERASE_ERR));
	cmd(f, 0, 0x50);
	/* Word program: SR1 | SR4. */
	cmd(f, 0x10, 0x40);
	wr32(f, 0x10, 0);
	assert_int_equal(read_status(f), DUAL(0x80 | CFI_SR_LOCKED | CFI_SR_PROGRAM_ERR));
	cmd(f, 0, 0x50);
	/* Buffered program too. */
	cmd(f, 0x20, 0xE8);
	cmd(f, 0x20, 0);
	wr32(f, 0x20, 0);
	cmd(f, 0, 0xD0);
	assert_int_equal(read_status(f), DUAL(0x80 | CFI_SR_LOCKED | CFI_SR_PROGRAM_ERR));
	cmd(f, 0, 0x50);
	cmd(f, 0, 0xFF);
	assert_int_equal(c->storage[0], 0x33);
	assert_int_equal(get_le32(c->storage + 0x10), 0x33333333);
	assert_int_equal(get_le32(c->storage + 0x20), 0x33333333);
	/* Other blocks are unaffected. */
	cmd(f, BLK(1), 0x20);
	cmd(f, BLK(1), 0xD0);
	assert_int_equal(read_status(f), DUAL(0x80));
	/* Lock setup followed by garbage: sequence error, still locked. */
	cmd(f, BLK(0), 0x60);
	cmd(f, BLK(0), 0x99);
	assert_int_equal(read_status(f), DUAL(0xB0));
	cmd(f, 0, 0x50);
	/* Unlock, then erase works. */
	cmd(f, BLK(0), 0x60);
	cmd(f, BLK(0), 0xD0);
	cmd(f, BLK(0), 0x20);
	cmd(f, BLK(0), 0xD0);
	assert_int_equal(read_status(f), DUAL(0x80));
	cmd(f, 0, 0xFF);
	assert_int_equal(c->storage[0], 0xFF);
	/* Lock-down (0x2F) also locks. */
	cmd(f, BLK(3), 0x60);
	cmd(f, BLK(3), 0x2F);
	cmd(f, BLK(3) + 8, 0x90);
	assert_int_equal(rd(f, BLK(3) + 8, 4), DUAL(1));
	cmd(f, 0, 0xFF);
}

static void test_romd_transitions(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;

	assert_true(cfi_flash_romd(f));
	cmd(f, 0, 0xFF); /* already read-array: no callback */
	assert_int_equal(c->romd_calls, 0);
	cmd(f, 0, 0x70);
	assert_int_equal(c->romd_calls, 1);
	assert_false(c->romd_last);
	assert_false(cfi_flash_romd(f));
	cmd(f, 0, 0x70);
	cmd(f, 0, 0x90);
	cmd(f, 0, 0x98);
	assert_int_equal(c->romd_calls, 1);
	cmd(f, 0, 0xFF);
	assert_int_equal(c->romd_calls, 2);
	assert_true(c->romd_last);
	/* Setup cycles leave read-array mode even before a read command. */
	cmd(f, 0, 0x40);
	assert_int_equal(c->romd_calls, 3);
	assert_false(c->romd_last);
	wr32(f, 0, 0);
	assert_int_equal(c->romd_calls, 3); /* status mode now */
	cmd(f, 0, 0x50);                    /* clear keeps status mode */
	assert_int_equal(c->romd_calls, 3);
	cmd(f, 0, 0xF0);                    /* AMD-style reset: read array */
	assert_int_equal(c->romd_calls, 4);
	assert_true(c->romd_last);
	/* Guest reset from the middle of a sequence. */
	cmd(f, 0, 0xE8);
	assert_int_equal(c->romd_calls, 5);
	cfi_flash_reset(f);
	assert_int_equal(c->romd_calls, 6);
	assert_true(c->romd_last);
	assert_int_equal(read_status(f), DUAL(0x80));
	cfi_flash_reset(f);
	assert_int_equal(c->romd_calls, 8); /* 0x70 turned it off, reset on */
}

static void test_out_of_range_and_garbage(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;
	uint64_t v;
	uint32_t seed = 12345;

	assert_int_equal(cfi_flash_bus_ops.read(f, SMALL_SIZE, 1, &v), -EINVAL);
	assert_int_equal(cfi_flash_bus_ops.read(f, SMALL_SIZE - 4, 8, &v), -EINVAL);
	assert_int_equal(cfi_flash_bus_ops.read(f, ~0ULL, 4, &v), -EINVAL);
	assert_int_equal(cfi_flash_bus_ops.read(f, 0, 3 * 4, &v), -EINVAL);
	assert_int_equal(cfi_flash_bus_ops.write(f, SMALL_SIZE - 2, 4, DUAL(0x70)), -EINVAL);
	assert_int_equal(cfi_flash_bus_ops.write(f, ~0ULL - 1, 4, DUAL(0x70)), -EINVAL);
	assert_int_equal(cfi_flash_bus_ops.write(f, 0, 8, DUAL(0x70)), -EINVAL);
	assert_int_equal(cfi_flash_bus_ops.write(f, 0, 3, DUAL(0x70)), -EINVAL);
	assert_int_equal(c->romd_calls, 0); /* none of those took effect */
	assert_int_equal(rd(f, SMALL_SIZE - 8, 8), 0);

	/* Random commands, data and offsets: must never crash or overrun
	 * (ASan build); the device must then still work. */
	static const uint8_t cmds[] = { 0xFF, 0x70, 0x50, 0x90, 0x98, 0x20, 0xD0, 0x40,
					0x10, 0xE8, 0x60, 0x01, 0x2F, 0x00, 0xF0, 0x77 };
	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		uint64_t off = (seed >> 8) % SMALL_SIZE;
		unsigned size = 1u << ((seed >> 4) & 3);
		uint32_t val = (seed & 1) ? DUAL(cmds[(seed >> 28) & 15]) : seed * 2654435761u;

		off = ALIGN_DOWN(off, 4ULL);
		if (seed & 0x40)
			cfi_flash_bus_ops.read(f, off, size, &v);
		else if (size <= 4)
			cfi_flash_bus_ops.write(f, off, size, val);
	}
	cfi_flash_reset(f);
	assert_true(cfi_flash_romd(f));
	assert_true(c->romd_last);
	for (unsigned b = 0; b < 4; b++) {
		cmd(f, BLK(b), 0x60);
		cmd(f, BLK(b), 0xD0);
		cmd(f, BLK(b), 0x20);
		cmd(f, BLK(b), 0xD0);
	}
	cmd(f, 0, 0x50);
	assert_int_equal(read_status(f), DUAL(0x80));
	cmd(f, 0, 0xFF);
	for (uint64_t i = 0; i < SMALL_SIZE; i++)
		assert_int_equal(c->storage[i], 0xFF);
}

static int flush_calls, flush_ret;

static int flush_cb(void *opaque)
{
	(void)opaque;
	flush_calls++;
	return flush_ret;
}

/* Flush points: the end of a program/erase burst (back to read array),
 * reset; never when nothing was written. A failed flush shows as SR4. */
static void test_flush_points(void **state)
{
	struct ctx *c = *state;
	struct cfi_flash *f = c->f;

	flush_calls = 0;
	flush_ret = 0;
	cfi_flash_set_flush(f, flush_cb, NULL);
	/* Status and query reads, then read array: nothing written. */
	assert_int_equal(read_status(f), DUAL(0x80));
	cmd(f, 0, 0x98);
	cmd(f, 0, 0xFF);
	assert_int_equal(flush_calls, 0);
	/* A burst: two word programs and an erase, then read array. */
	cmd(f, 0, 0x40);
	wr32(f, 0, 0x12345678);
	cmd(f, 4, 0x40);
	wr32(f, 4, 0x9abcdef0);
	cmd(f, BLK(1), 0x20);
	cmd(f, BLK(1), 0xD0);
	assert_int_equal(flush_calls, 0);
	cmd(f, 0, 0xFF);
	assert_int_equal(flush_calls, 1);
	cmd(f, 0, 0xFF);
	assert_int_equal(flush_calls, 1);
	/* Written, still in status mode at reset: reset flushes. */
	cmd(f, 8, 0x40);
	wr32(f, 8, 0);
	cfi_flash_reset(f);
	assert_int_equal(flush_calls, 2);
	cfi_flash_flush(f);
	assert_int_equal(flush_calls, 2);
	/* A failed flush: program error from then on. */
	flush_ret = -EIO;
	cmd(f, 12, 0x40);
	wr32(f, 12, 0);
	cmd(f, 0, 0xFF);
	assert_int_equal(flush_calls, 3);
	assert_int_equal(read_status(f), DUAL(0x80 | CFI_SR_PROGRAM_ERR));
	cfi_flash_set_flush(f, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_query_table_64m),
		cmocka_unit_test_setup_teardown(test_read_id_and_lock_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_word_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffered_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_and_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_unlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_romd_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_points, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
