/* Unit tests for the poisoned-page set (vmm/ras/poison.c) and the
 * non-queuing GHES write used for SEA sources (ghes_try_write). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "guest_mem.h"
#include "ras/cper.h"
#include "ras/ghes.h"
#include "ras/poison.h"
#include "util.h"

static void test_poison_set(void **state)
{
	struct poison *p = poison_create();
	uint64_t out[8], *all;
	size_t n;

	assert_non_null(p);
	assert_int_equal(poison_add(p, 0x50000000), 1);
	assert_int_equal(poison_add(p, 0x40001000), 1);
	assert_int_equal(poison_add(p, 0x48000000), 1);
	assert_int_equal(poison_add(p, 0x40001000), 0); /* duplicate */
	assert_true(poison_contains(p, 0x48000000));
	assert_false(poison_contains(p, 0x48001000));
	assert_int_equal(poison_list(p, out, 8), 3);
	assert_int_equal(out[0], 0x40001000); /* sorted */
	assert_int_equal(out[1], 0x48000000);
	assert_int_equal(out[2], 0x50000000);
	assert_int_equal(poison_list(p, out, 1), 3); /* count even when cut */
	/* Remove the middle one; others stay sorted; twice is a no-op. */
	assert_int_equal(poison_remove(p, 0x48000000), 1);
	assert_int_equal(poison_remove(p, 0x48000000), 0);
	assert_int_equal(poison_remove(p, 0x60000000), 0);
	assert_false(poison_contains(p, 0x48000000));
	assert_int_equal(poison_list(p, out, 8), 2);
	assert_int_equal(out[0], 0x40001000);
	assert_int_equal(out[1], 0x50000000);
	assert_int_equal(poison_add(p, 0x48000000), 1);
	all = poison_take_all(p, &n);
	assert_non_null(all);
	assert_int_equal(n, 3);
	free(all);
	assert_int_equal(poison_list(p, NULL, 0), 0);
	assert_null(poison_take_all(p, &n));
	poison_destroy(p);
}

static void test_poison_many(void **state)
{
	struct poison *p = poison_create();
	uint64_t i, out[1000];

	/* Descending inserts exercise growth and ordered insertion. */
	for (i = 1000; i > 0; i--)
		assert_int_equal(poison_add(p, i * 0x1000), 1);
	assert_int_equal(poison_list(p, out, 1000), 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(out[i], (i + 1) * 0x1000);
	poison_destroy(p);
}

/* A byte array standing in for guest RAM at 0x40000000. */
#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x10000ULL
static uint8_t ram[RAM_SIZE];

static int ram_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	if (!range_within(gpa, len, RAM_BASE, RAM_SIZE))
		return -EFAULT;
	memcpy(buf, ram + (gpa - RAM_BASE), len);
	return 0;
}

static int ram_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	if (!range_within(gpa, len, RAM_BASE, RAM_SIZE))
		return -EFAULT;
	memcpy(ram + (gpa - RAM_BASE), buf, len);
	return 0;
}

static const struct guest_mem gm = { ram_read, ram_write, NULL, NULL };

static void test_try_write(void **state)
{
	const unsigned n = 2, blen = 0x1000;
	uint64_t base = RAM_BASE + 0x1000;
	uint8_t rec[CPER_MEM_ERROR_RECORD_LEN];
	struct cper_mem_error e = { .gpa = 0x40fa6000 };
	const struct ghes_layout lay = { .ncpus = n - 1, .nsources = n, .block_len = blen };
	struct ghes *g = ghes_create(&gm, &lay, 4);
	size_t len;
	unsigned i;

	assert_non_null(g);
	memset(ram, 0, sizeof(ram));
	assert_int_equal(cper_build_mem_error(rec, sizeof(rec), &e, &len), 0);
	/* Base unknown: busy, nothing queued. */
	assert_int_equal(ghes_try_write(g, 0, rec, len), -EBUSY);
	assert_false(ghes_pending(g));
	/* Firmware's blob: slots point at the blocks, read_ack = 1. */
	for (i = 0; i < n; i++) {
		put_le64(ram + (base - RAM_BASE) + ghes_addr_offset(&lay, i),
			 base + ghes_block_offset(&lay, i));
		put_le64(ram + (base - RAM_BASE) + ghes_ack_offset(&lay, i), 1);
	}
	assert_int_equal(ghes_set_base(g, base), 0);
	assert_int_equal(ghes_try_write(g, 1, rec, len), 0);
	assert_memory_equal(ram + (base - RAM_BASE) + ghes_block_offset(&lay, 1), rec, len);
	assert_int_equal(get_le64(ram + (base - RAM_BASE) + ghes_ack_offset(&lay, 1)), 0);
	/* Not acked: busy, and still nothing queued (the access repeats). */
	assert_int_equal(ghes_try_write(g, 1, rec, len), -EBUSY);
	assert_false(ghes_pending(g));
	/* The other source is independent. */
	assert_int_equal(ghes_try_write(g, 0, rec, len), 0);
	/* Guest acks source 1: the next write goes through. */
	put_le64(ram + (base - RAM_BASE) + ghes_ack_offset(&lay, 1), 1);
	assert_int_equal(ghes_try_write(g, 1, rec, len), 0);
	/* Bad arguments. */
	assert_int_equal(ghes_try_write(g, 2, rec, len), -EINVAL);
	assert_int_equal(ghes_try_write(g, 0, rec, blen + 1), -EMSGSIZE);
	/* A slot pointing outside RAM is an error, never an access. */
	put_le64(ram + (base - RAM_BASE) + ghes_ack_offset(&lay, 0), 1);
	put_le64(ram + (base - RAM_BASE) + ghes_addr_offset(&lay, 0), 0xffffffffffff0000ULL);
	assert_true(ghes_try_write(g, 0, rec, len) < 0);
	ghes_destroy(g);
}

/* A lost 2 MiB huge page: 512 pages added in one merge with the set's own,
 * the new ones reported in order, the set sorted and without duplicates. */
static void test_poison_add_many(void **state)
{
	struct poison *p = poison_create();
	uint64_t v[512], fresh[512], out[520], bad[2] = { 0x3000, 0x2000 };
	size_t i;

	assert_non_null(p);
	/* Two pages inside the block and one on each side are known. */
	assert_int_equal(poison_add(p, 0x40000000 - 0x1000), 1);
	assert_int_equal(poison_add(p, 0x40005000), 1);
	assert_int_equal(poison_add(p, 0x401ff000), 1);
	assert_int_equal(poison_add(p, 0x40200000), 1);
	for (i = 0; i < 512; i++)
		v[i] = 0x40000000 + i * 0x1000;
	assert_int_equal(poison_add_many(p, v, 512, fresh), 510);
	assert_int_equal(fresh[0], 0x40000000);
	assert_int_equal(fresh[4], 0x40004000);
	assert_int_equal(fresh[5], 0x40006000);   /* 0x40005000 was known */
	assert_int_equal(fresh[509], 0x401fe000);
	assert_int_equal(poison_list(p, out, ARRAY_SIZE(out)), 514);
	for (i = 0; i < 514; i++)
		assert_int_equal(out[i], 0x40000000 - 0x1000 + i * 0x1000);
	/* Again: nothing new; still a working set afterwards. */
	assert_int_equal(poison_add_many(p, v, 512, NULL), 0);
	assert_int_equal(poison_add(p, 0x40100000), 0);
	assert_int_equal(poison_add(p, 0x50000000), 1);
	assert_int_equal(poison_remove(p, 0x40100000), 1);
	assert_int_equal(poison_list(p, NULL, 0), 514);
	/* Unsorted input is refused and changes nothing; empty is a no-op. */
	assert_int_equal(poison_add_many(p, bad, 2, NULL), -EINVAL);
	assert_int_equal(poison_add_many(p, v, 0, NULL), 0);
	assert_false(poison_contains(p, 0x2000));
	poison_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poison_set),
		cmocka_unit_test(test_poison_many),
		cmocka_unit_test(test_poison_add_many),
		cmocka_unit_test(test_try_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
