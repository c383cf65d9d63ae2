/* Unit tests for vmm/ras/pagemap.c: entry decoding, learning the hwpoison
 * swap type, chunked scans, debounce and the safety-net timer, against a
 * fake pagemap (a sparse temporary file with crafted entries at the offsets
 * Linux uses, va / page size * 8) and a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ras/pagemap.h"

#define PS        4096ULL
#define START     0x10000000ULL       /* the scanned range */
#define NPAGES    100ULL
#define VA(i)     (START + (i) * PS)
#define HWP       23u                 /* the fake kernel's hwpoison type */
#define MS        1000000ULL

struct fixture {
	char path[64];
	int fd;
	uint64_t clock;       /* ns */
	uint64_t tick;        /* added on every clock read */
	uint64_t found[2 * NPAGES];
	size_t nfound;
};

static uint64_t fake_now(void *opaque)
{
	struct fixture *fx = opaque;

	fx->clock += fx->tick;
	return fx->clock;
}

static void found_cb(void *opaque, uint64_t va)
{
	struct fixture *fx = opaque;

	assert_true(fx->nfound < 2 * NPAGES);
	fx->found[fx->nfound++] = va;
}

static uint64_t swap_entry(unsigned type, uint64_t offset)
{
	return PAGEMAP_SWAPPED | (offset << PAGEMAP_SWAP_TYPE_BITS) | type;
}

/* Write the entry of the page at va. */
static void put_entry(struct fixture *fx, uint64_t va, uint64_t e)
{
	assert_int_equal(pwrite(fx->fd, &e, sizeof(e), (off_t)(va / PS * 8)), (ssize_t)sizeof(e));
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->path, "/tmp/test_pagemap.XXXXXX");
	fx->fd = mkstemp(fx->path);
	if (fx->fd < 0) {
		free(fx);
		return -1;
	}
	fx->clock = 1000 * MS;
	/* The whole range exists (empty entries) plus one page beyond. */
	put_entry(fx, VA(NPAGES), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	close(fx->fd);
	unlink(fx->path);
	free(fx);
	return 0;
}

static struct pagemap_scan *make(struct fixture *fx, uint64_t npages, size_t chunk,
				 uint64_t interval_ns)
{
	struct pagemap_scan_cfg cfg = {
		.path = fx->path,
		.start = START,
		.len = npages * PS,
		.page_size = PS,
		.chunk_entries = chunk,
		.debounce_ns = 10 * MS,
		.interval_ns = interval_ns,
		.now_ns = fake_now,
		.clock_opaque = fx,
	};
	struct pagemap_scan *s = pagemap_scan_create(&cfg);

	assert_non_null(s);
	return s;
}

static struct pagemap_scan_stats stats(struct pagemap_scan *s)
{
	struct pagemap_scan_stats st;

	pagemap_scan_get_stats(s, &st);
	return st;
}

/* ---- tests ---- */

static void test_decode(void **state)
{
	uint64_t present = PAGEMAP_PRESENT | (1ULL << 56) | 0x12345;
	uint64_t sw = swap_entry(HWP, 0x4c032) | (1ULL << 55);   /* + soft-dirty */

	(void)state;
	assert_true(pagemap_present(present));
	assert_false(pagemap_swapped(present));
	assert_int_equal(pagemap_pfn(present), 0x12345);
	assert_true(pagemap_swapped(sw));
	assert_false(pagemap_present(sw));
	assert_int_equal(pagemap_swap_type(sw), HWP);
	assert_int_equal(pagemap_swap_offset(sw), 0x4c032);
	/* The offset uses all 50 bits (5-54), nothing above. */
	assert_int_equal(pagemap_swap_offset(swap_entry(1, (1ULL << 50) - 1)), (1ULL << 50) - 1);
	assert_true(pagemap_is_type(sw, HWP));
	assert_false(pagemap_is_type(sw, HWP - 1));
	assert_false(pagemap_is_type(swap_entry(0, 0), 0));          /* never type 0 */
	assert_false(pagemap_is_type(sw, PAGEMAP_TYPE_UNKNOWN));
	assert_false(pagemap_is_type(sw | PAGEMAP_PRESENT, HWP));    /* present wins */
	assert_false(pagemap_is_type(0, HWP));
}

static void test_create_rejects_bad_config(void **state)
{
	struct fixture *fx = *state;
	struct pagemap_scan_cfg cfg = {
		.path = fx->path, .start = START + 1, .len = PS, .page_size = PS,
		.chunk_entries = 1,
	};

	assert_null(pagemap_scan_create(&cfg));
	assert_int_equal(errno, EINVAL);
	cfg.start = START;
	cfg.chunk_entries = 0;
	assert_null(pagemap_scan_create(&cfg));
	cfg.chunk_entries = 1;
	cfg.page_size = 3000;
	assert_null(pagemap_scan_create(&cfg));
	cfg.page_size = PS;
	cfg.path = "/nonexistent/pagemap";
	assert_null(pagemap_scan_create(&cfg));
	assert_int_equal(errno, ENOENT);
}

static void test_learn_type(void **state)
{
	struct fixture *fx = *state;
	struct pagemap_scan *s = make(fx, NPAGES, 16, 0);
	uint64_t e;

	put_entry(fx, VA(1), PAGEMAP_PRESENT | 0x777);
	put_entry(fx, VA(2), swap_entry(0, 0));      /* unprivileged view / swap file 0 */
	put_entry(fx, VA(3), swap_entry(HWP, 0x4c032));
	put_entry(fx, VA(4), swap_entry(2, 0x99));   /* a real swap file */

	assert_int_equal(pagemap_read_entry(s, VA(1) + 0x123, &e), 0);
	assert_int_equal(e, PAGEMAP_PRESENT | 0x777);
	assert_int_equal(pagemap_type(s), PAGEMAP_TYPE_UNKNOWN);
	assert_int_equal(pagemap_learn_type(s, VA(0)), 0);   /* empty */
	assert_int_equal(pagemap_learn_type(s, VA(1)), 0);   /* present */
	assert_int_equal(pagemap_learn_type(s, VA(2)), 0);   /* type 0 */
	assert_int_equal(pagemap_type(s), PAGEMAP_TYPE_UNKNOWN);
	assert_int_equal(pagemap_learn_type(s, VA(3) + 8), 1);
	assert_int_equal(pagemap_type(s), HWP);
	/* The first type learned stays. */
	assert_int_equal(pagemap_learn_type(s, VA(4)), 0);
	assert_int_equal(pagemap_type(s), HWP);
	assert_int_equal(pagemap_learn_type(s, VA(3)), 1);
	/* Set outright: only valid types. */
	assert_int_equal(pagemap_set_type(s, 0), -EINVAL);
	assert_int_equal(pagemap_set_type(s, 32), -EINVAL);
	assert_int_equal(pagemap_type(s), HWP);
	assert_int_equal(pagemap_set_type(s, 4), 0);
	assert_int_equal(pagemap_type(s), 4);
	/* Past the end of the (short) file. */
	assert_int_equal(pagemap_read_entry(s, VA(NPAGES + 50), &e), -ENODATA);
	pagemap_scan_destroy(s);
}

static void test_scan_in_chunks_finds_only_poisoned_pages(void **state)
{
	struct fixture *fx = *state;
	struct pagemap_scan *s = make(fx, NPAGES, 16, 0);
	static const uint64_t want[] = { VA(0), VA(15), VA(16), VA(57), VA(99) };
	unsigned i, steps = 0;
	int n, total = 0;

	for (i = 0; i < 5; i++)
		put_entry(fx, want[i], swap_entry(HWP, 0x1000 + i));
	put_entry(fx, VA(5), swap_entry(2, 0x55));           /* swapped out */
	put_entry(fx, VA(6), swap_entry(HWP + 1, 0x66));     /* e.g. migration */
	put_entry(fx, VA(7), PAGEMAP_PRESENT | HWP);          /* PFN bits alike */
	assert_int_equal(pagemap_learn_type(s, VA(0)), 1);
	assert_int_equal(stats(s).bytes_read, 8);

	/* Nothing scheduled without a request (no safety-net interval). */
	assert_int_equal(pagemap_scan_next(s), -1);
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 0);
	assert_false(pagemap_scan_busy(s));

	pagemap_scan_request(s);
	assert_true(pagemap_scan_busy(s));
	assert_int_equal(pagemap_scan_next(s), 10 * MS);
	fx->clock += 10 * MS - 1;
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 0);   /* debouncing */
	assert_int_equal(stats(s).bytes_read, 8);
	fx->clock += 1;
	assert_int_equal(pagemap_scan_next(s), 0);
	/* 100 entries, 16 per step: 7 steps, each reading at most 128 bytes. */
	while (pagemap_scan_busy(s)) {
		uint64_t before = stats(s).bytes_read;

		n = pagemap_scan_step(s, found_cb, fx);
		assert_true(n >= 0);
		total += n;
		steps++;
		assert_true(stats(s).bytes_read - before <= 16 * 8);
		if (steps == 1) {
			/* Pages 0 and 15 are in the first chunk, 16 is not. */
			assert_int_equal(n, 2);
			assert_int_equal(pagemap_scan_next(s), 0);
		}
		assert_true(steps <= 7);
	}
	assert_int_equal(steps, 7);
	assert_int_equal(total, 5);
	assert_int_equal(fx->nfound, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(fx->found[i], want[i]);
	assert_int_equal(stats(s).scans, 1);
	assert_int_equal(stats(s).pages_found, 5);
	assert_int_equal(stats(s).bytes_read, 8 + NPAGES * 8);
	assert_int_equal(pagemap_scan_next(s), -1);
	pagemap_scan_destroy(s);
}

static void test_burst_of_requests_costs_one_scan(void **state)
{
	struct fixture *fx = *state;
	struct pagemap_scan *s = make(fx, NPAGES, 64, 0);
	unsigned i;

	put_entry(fx, VA(70), swap_entry(HWP, 1));
	assert_int_equal(pagemap_learn_type(s, VA(70)), 1);
	for (i = 0; i < 16; i++) {
		pagemap_scan_request(s);
		fx->clock += MS / 2;
	}
	/* Still the first request's deadline: 10 ms after it. */
	assert_int_equal(pagemap_scan_next(s), 10 * MS - 8 * MS);
	fx->clock += 2 * MS;
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 0);  /* entries 0-63 */
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 1);  /* 64-99 */
	assert_false(pagemap_scan_busy(s));
	assert_int_equal(stats(s).scans, 1);
	assert_int_equal(stats(s).bytes_read, 8 + NPAGES * 8);

	/* A request while a scan runs: another scan follows it, debounced. */
	pagemap_scan_request(s);
	fx->clock += 10 * MS;
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 0);
	assert_true(pagemap_scan_busy(s));
	pagemap_scan_request(s);
	pagemap_scan_request(s);
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 1);
	assert_int_equal(stats(s).scans, 2);
	assert_true(pagemap_scan_busy(s));
	assert_int_equal(pagemap_scan_next(s), 10 * MS);
	fx->clock += 10 * MS;
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 0);
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 1);
	assert_false(pagemap_scan_busy(s));
	assert_int_equal(stats(s).scans, 3);
	/* The scan reports what it sees each time; the caller dedups. */
	assert_int_equal(fx->nfound, 3);
	pagemap_scan_destroy(s);
}

static void test_unknown_type_reads_nothing(void **state)
{
	struct fixture *fx = *state;
	struct pagemap_scan *s = make(fx, NPAGES, 16, 0);

	put_entry(fx, VA(3), swap_entry(HWP, 1));
	pagemap_scan_request(s);
	fx->clock += 10 * MS;
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 0);
	assert_false(pagemap_scan_busy(s));
	assert_int_equal(pagemap_scan_all(s, found_cb, fx), 0);
	assert_int_equal(stats(s).bytes_read, 0);
	assert_int_equal(stats(s).scans, 0);
	assert_int_equal(fx->nfound, 0);
	pagemap_scan_destroy(s);
}

static void test_safety_net_interval_and_cost_bound(void **state)
{
	struct fixture *fx = *state;
	struct pagemap_scan *s = make(fx, NPAGES, NPAGES, 1000 * MS);
	uint64_t t0 = fx->clock;

	put_entry(fx, VA(42), swap_entry(HWP, 1));
	assert_int_equal(pagemap_learn_type(s, VA(42)), 1);
	assert_int_equal(pagemap_scan_next(s), 1000 * MS);
	fx->clock = t0 + 999 * MS;
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 0);
	assert_int_equal(stats(s).scans, 0);
	fx->clock = t0 + 1000 * MS;
	/* Each clock read now costs 20 ms: the scan "takes" 20 ms. */
	fx->tick = 20 * MS;
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 1);
	fx->tick = 0;
	assert_int_equal(stats(s).scans, 1);
	assert_int_equal(stats(s).last_cost_ns, 20 * MS);
	assert_int_equal(stats(s).last_elapsed_ns, 40 * MS);
	/* The next one waits 100 x 20 ms = 2 s instead of 1 s. */
	assert_int_equal(pagemap_scan_next(s), 2000 * MS);
	pagemap_scan_destroy(s);
}

static void test_short_file_ends_the_scan(void **state)
{
	struct fixture *fx = *state;
	/* Twice the pages the file holds entries for. */
	struct pagemap_scan *s = make(fx, 2 * NPAGES, 32, 0);

	put_entry(fx, VA(90), swap_entry(HWP, 1));
	assert_int_equal(pagemap_learn_type(s, VA(90)), 1);
	pagemap_scan_request(s);
	fx->clock += 10 * MS;
	while (pagemap_scan_busy(s))
		assert_true(pagemap_scan_step(s, found_cb, fx) >= 0);
	assert_int_equal(fx->nfound, 1);
	assert_int_equal(fx->found[0], VA(90));
	assert_int_equal(stats(s).scans, 1);
	pagemap_scan_destroy(s);
}

static void test_scan_all_replaces_a_running_scan(void **state)
{
	struct fixture *fx = *state;
	struct pagemap_scan *s = make(fx, NPAGES, 8, 0);

	put_entry(fx, VA(1), swap_entry(HWP, 1));
	put_entry(fx, VA(98), swap_entry(HWP, 2));
	assert_int_equal(pagemap_learn_type(s, VA(1)), 1);
	pagemap_scan_request(s);
	fx->clock += 10 * MS;
	assert_int_equal(pagemap_scan_step(s, found_cb, fx), 1);
	pagemap_scan_request(s);    /* would run again */
	fx->nfound = 0;
	assert_int_equal(pagemap_scan_all(s, found_cb, fx), 2);
	assert_int_equal(fx->nfound, 2);
	assert_int_equal(fx->found[0], VA(1));
	assert_int_equal(fx->found[1], VA(98));
	assert_false(pagemap_scan_busy(s));
	assert_int_equal(pagemap_scan_next(s), -1);
	assert_int_equal(stats(s).scans, 1);
	pagemap_scan_destroy(s);
}

/* The real file, unprivileged or not: our own fresh pages never look
 * poisoned, and entries read back where Linux puts them. */
static void test_real_pagemap_of_own_memory(void **state)
{
	long ps = sysconf(_SC_PAGESIZE);
	static uint8_t page[1 << 16] __attribute__((aligned(1 << 16)));
	struct pagemap_scan_cfg cfg = {
		.start = (uint64_t)(uintptr_t)page,
		.len = sizeof(page),
		.page_size = (uint64_t)ps,
		.chunk_entries = 4,
	};
	struct pagemap_scan *s;
	uint64_t e;

	(void)state;
	page[0] = 1;
	s = pagemap_scan_create(&cfg);
	assert_non_null(s);
	assert_int_equal(pagemap_read_entry(s, (uint64_t)(uintptr_t)page, &e), 0);
	assert_true(pagemap_present(e));
	assert_int_equal(pagemap_learn_type(s, (uint64_t)(uintptr_t)page), 0);
	assert_int_equal(pagemap_scan_all(s, found_cb, NULL), 0);
	pagemap_scan_destroy(s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_decode),
		T(test_create_rejects_bad_config),
		T(test_learn_type),
		T(test_scan_in_chunks_finds_only_poisoned_pages),
		T(test_burst_of_requests_costs_one_scan),
		T(test_unknown_type_reads_nothing),
		T(test_safety_net_interval_and_cost_bound),
		T(test_short_file_ends_the_scan),
		T(test_scan_all_replaces_a_running_scan),
		T(test_real_pagemap_of_own_memory),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
