/* Unit tests for vmm/ras/ghes.c: the GHESv2 read-ack protocol and the
 * per-source queues, against a byte array standing in for guest RAM laid
 * out as the firmware leaves "etc/hardware_errors". */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"
#include "ras/cper.h"
#include "ras/ghes.h"
#include "util.h"

#define RAM_BASE  0x40000000ULL
#define RAM_SIZE  0x10000ULL
#define BLOB_OFF  0x1000ULL          /* where "firmware" put the blob */
#define BLOCK_LEN 0x400u
#define NSRC      3u
#define MAXQ      4u

/* The layout under test: NSRC sources of BLOCK_LEN-byte blocks. */
static const struct ghes_layout LAY = { .ncpus = NSRC - 1, .nsources = NSRC, .block_len = BLOCK_LEN };

/* Fake guest memory: RAM array plus a log of writes (for ordering checks). */
struct fake_ram {
	uint8_t mem[RAM_SIZE];
	uint64_t poison_lo, poison_hi;  /* reads/writes here fail with -EIO */
	struct { uint64_t gpa; size_t len; } wlog[64];
	unsigned nw;
};

static int fake_check(struct fake_ram *f, uint64_t gpa, size_t len)
{
	if (!range_within(gpa, len, RAM_BASE, RAM_SIZE))
		return -EFAULT;
	if (gpa < f->poison_hi && gpa + len > f->poison_lo)
		return -EIO;
	return 0;
}

static int fake_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct fake_ram *f = opaque;
	int r = fake_check(f, gpa, len);

	if (r == 0)
		memcpy(buf, f->mem + (gpa - RAM_BASE), len);
	return r;
}

static int fake_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct fake_ram *f = opaque;
	int r = fake_check(f, gpa, len);

	if (r)
		return r;
	memcpy(f->mem + (gpa - RAM_BASE), buf, len);
	if (f->nw < ARRAY_SIZE(f->wlog)) {
		f->wlog[f->nw].gpa = gpa;
		f->wlog[f->nw].len = len;
		f->nw++;
	}
	return 0;
}

struct fixture {
	struct fake_ram ram;
	struct guest_mem gm;
	struct ghes *g;
	uint64_t base;
};

static uint64_t block_gpa(const struct fixture *fx, unsigned i)
{
	return fx->base + ghes_block_offset(&LAY, i);
}

static uint64_t ack_gpa(const struct fixture *fx, unsigned i)
{
	return fx->base + ghes_ack_offset(&LAY, i);
}

static uint8_t *at(struct fixture *fx, uint64_t gpa)
{
	return fx->ram.mem + (gpa - RAM_BASE);
}

/* What firmware does: allocate the blob, patch the block address slots,
 * leave read_ack = 1. */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	unsigned i;

	if (!fx)
		return -1;
	fx->gm.read = fake_read;
	fx->gm.write = fake_write;
	fx->gm.opaque = &fx->ram;
	fx->base = RAM_BASE + BLOB_OFF;
	for (i = 0; i < NSRC; i++) {
		put_le64(at(fx, fx->base + ghes_addr_offset(&LAY, i)), block_gpa(fx, i));
		put_le64(at(fx, ack_gpa(fx, i)), 1);
	}
	fx->g = ghes_create(&fx->gm, &LAY, MAXQ);
	if (!fx->g) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ghes_destroy(fx->g);
	free(fx);
	return 0;
}

static void make_rec(uint8_t rec[CPER_MEM_ERROR_RECORD_LEN], uint64_t pa)
{
	struct cper_mem_error e = { .gpa = pa };
	size_t len;

	assert_int_equal(cper_build_mem_error(rec, CPER_MEM_ERROR_RECORD_LEN, &e, &len), 0);
}

/* The guest's side: check the block, clear Block Status, ack. */
static uint64_t guest_consume(struct fixture *fx, unsigned i)
{
	uint8_t *blk = at(fx, block_gpa(fx, i));
	uint64_t pa;

	assert_int_not_equal(get_le32(blk), 0);
	assert_int_equal(cper_check_record(blk, BLOCK_LEN), 0);
	pa = get_le64(blk + CPER_OFF_SECTION_PA);
	put_le32(blk, 0);
	put_le64(at(fx, ack_gpa(fx, i)), 1);
	return pa;
}

static void test_write_when_acked(void **state)
{
	struct fixture *fx = *state;
	uint8_t rec[CPER_MEM_ERROR_RECORD_LEN];
	struct ghes_stats st;
	unsigned last;

	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	make_rec(rec, 0x40fa6000);
	assert_int_equal(ghes_submit(fx->g, 1, rec, sizeof(rec)), 0);
	assert_memory_equal(at(fx, block_gpa(fx, 1)), rec, sizeof(rec));
	assert_int_equal(get_le64(at(fx, ack_gpa(fx, 1))), 0);     /* ours now */
	assert_int_equal(get_le32(at(fx, block_gpa(fx, 0))), 0);   /* others untouched */
	assert_int_equal(get_le64(at(fx, ack_gpa(fx, 0))), 1);
	/* ordering: read_ack cleared before the block; Block Status last */
	assert_true(fx->ram.nw >= 3);
	assert_int_equal(fx->ram.wlog[0].gpa, ack_gpa(fx, 1));
	last = fx->ram.nw - 1;
	assert_int_equal(fx->ram.wlog[last].gpa, block_gpa(fx, 1));
	assert_int_equal(fx->ram.wlog[last].len, 4);
	ghes_get_stats(fx->g, &st);
	assert_int_equal(st.written, 1);
	assert_int_equal(st.queued_now, 0);
	assert_false(ghes_pending(fx->g));
}

static int notified_mask;

static void note(void *opaque, unsigned source)
{
	int *calls = opaque;

	(*calls)++;
	notified_mask |= 1 << source;
}

static void test_queue_then_poll_fifo(void **state)
{
	struct fixture *fx = *state;
	uint8_t r1[CPER_MEM_ERROR_RECORD_LEN], r2[CPER_MEM_ERROR_RECORD_LEN],
		r3[CPER_MEM_ERROR_RECORD_LEN];
	struct ghes_stats st;
	int calls = 0;

	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	make_rec(r1, 0x41000000);
	make_rec(r2, 0x42000000);
	make_rec(r3, 0x43000000);
	assert_int_equal(ghes_submit(fx->g, 0, r1, sizeof(r1)), 0);
	/* not acked yet: queued, block still holds r1 */
	assert_int_equal(ghes_submit(fx->g, 0, r2, sizeof(r2)), 1);
	assert_int_equal(ghes_submit(fx->g, 0, r3, sizeof(r3)), 1);
	assert_true(ghes_pending(fx->g));
	assert_int_equal(ghes_queue_depth(fx->g, 0), 2);
	assert_int_equal(ghes_poll(fx->g, note, &calls), 0);  /* still no ack */
	assert_int_equal(calls, 0);
	assert_int_equal(get_le64(at(fx, block_gpa(fx, 0)) + CPER_OFF_SECTION_PA), 0x41000000);

	assert_int_equal(guest_consume(fx, 0), 0x41000000);
	notified_mask = 0;
	assert_int_equal(ghes_poll(fx->g, note, &calls), 1);
	assert_int_equal(calls, 1);
	assert_int_equal(notified_mask, 1 << 0);
	/* one record per ack: r3 still waits */
	assert_int_equal(ghes_poll(fx->g, note, &calls), 0);
	assert_int_equal(guest_consume(fx, 0), 0x42000000);
	assert_int_equal(ghes_poll(fx->g, note, &calls), 1);
	assert_int_equal(guest_consume(fx, 0), 0x43000000);
	assert_false(ghes_pending(fx->g));
	ghes_get_stats(fx->g, &st);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.queued_total, 2);
	assert_int_equal(st.max_depth, 2);
	assert_int_equal(st.dropped, 0);
}

static void test_submit_keeps_fifo(void **state)
{
	struct fixture *fx = *state;
	uint8_t r1[CPER_MEM_ERROR_RECORD_LEN], r2[CPER_MEM_ERROR_RECORD_LEN],
		r3[CPER_MEM_ERROR_RECORD_LEN];

	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	make_rec(r1, 0x41000000);
	make_rec(r2, 0x42000000);
	make_rec(r3, 0x43000000);
	assert_int_equal(ghes_submit(fx->g, 2, r1, sizeof(r1)), 0);
	assert_int_equal(ghes_submit(fx->g, 2, r2, sizeof(r2)), 1);
	guest_consume(fx, 2);
	/* acked with r2 waiting: submitting r3 writes r2 (0 = notify), queues r3 */
	assert_int_equal(ghes_submit(fx->g, 2, r3, sizeof(r3)), 0);
	assert_int_equal(guest_consume(fx, 2), 0x42000000);
	assert_int_equal(ghes_queue_depth(fx->g, 2), 1);
	assert_int_equal(ghes_poll(fx->g, NULL, NULL), 1);
	assert_int_equal(guest_consume(fx, 2), 0x43000000);
}

static void test_sources_independent(void **state)
{
	struct fixture *fx = *state;
	uint8_t a[CPER_MEM_ERROR_RECORD_LEN], b[CPER_MEM_ERROR_RECORD_LEN];
	int calls = 0;

	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	make_rec(a, 0x40001000);
	make_rec(b, 0x40002000);
	/* vCPU 0 and vCPU 1 each have a source: both write at once */
	assert_int_equal(ghes_submit(fx->g, 0, a, sizeof(a)), 0);
	assert_int_equal(ghes_submit(fx->g, 1, b, sizeof(b)), 0);
	/* vCPU 0's unacked record does not hold up vCPU 1 */
	guest_consume(fx, 1);
	make_rec(b, 0x40003000);
	assert_int_equal(ghes_submit(fx->g, 1, b, sizeof(b)), 0);
	make_rec(a, 0x40004000);
	assert_int_equal(ghes_submit(fx->g, 0, a, sizeof(a)), 1);
	assert_int_equal(ghes_queue_depth(fx->g, 0), 1);
	assert_int_equal(ghes_queue_depth(fx->g, 1), 0);
	assert_int_equal(guest_consume(fx, 0), 0x40001000);
	notified_mask = 0;
	assert_int_equal(ghes_poll(fx->g, note, &calls), 1);
	assert_int_equal(notified_mask, 1 << 0);
	assert_int_equal(guest_consume(fx, 0), 0x40004000);
	assert_int_equal(guest_consume(fx, 1), 0x40003000);
}

static void test_queue_limit(void **state)
{
	struct fixture *fx = *state;
	uint8_t rec[CPER_MEM_ERROR_RECORD_LEN];
	struct ghes_stats st;
	unsigned i;

	/* no base: everything queues, up to MAXQ */
	for (i = 0; i < MAXQ; i++) {
		make_rec(rec, 0x40000000 + 0x1000ULL * i);
		assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), 1);
	}
	make_rec(rec, 0x4ff00000);
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), -ENOSPC);
	/* an identical record merges instead of taking a slot */
	make_rec(rec, 0x40000000);
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), 1);
	/* another source has its own queue */
	assert_int_equal(ghes_submit(fx->g, 1, rec, sizeof(rec)), 1);
	ghes_get_stats(fx->g, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.coalesced, 1);
	assert_int_equal(st.queued_now, MAXQ + 1);
	assert_int_equal(st.max_depth, MAXQ);
	assert_int_equal(st.written, 0);
}

static void test_base_not_set(void **state)
{
	struct fixture *fx = *state;
	uint8_t rec[CPER_MEM_ERROR_RECORD_LEN];
	int calls = 0;

	make_rec(rec, 0x40fa6000);
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), 1);
	assert_int_equal(fx->ram.nw, 0);                 /* nothing written */
	assert_int_equal(ghes_poll(fx->g, note, &calls), 0);
	assert_int_equal(ghes_set_base(fx->g, 0), -EINVAL);
	assert_int_equal(ghes_set_base(fx->g, UINT64_MAX - 8), -EINVAL);
	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	assert_int_equal(ghes_poll(fx->g, note, &calls), 1);
	assert_int_equal(calls, 1);
	assert_int_equal(guest_consume(fx, 0), 0x40fa6000);
	/* reset forgets the base and drops what waits */
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), 0);
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), 1);
	ghes_reset(fx->g);
	assert_false(ghes_pending(fx->g));
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), 1);
}

static void test_bad_block_address(void **state)
{
	struct fixture *fx = *state;
	uint8_t rec[CPER_MEM_ERROR_RECORD_LEN];
	struct ghes_stats st;

	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	make_rec(rec, 0x40fa6000);
	/* guest scribbled over slot 0: outside RAM */
	put_le64(at(fx, fx->base + ghes_addr_offset(&LAY, 0)), 0x1000);
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), -EFAULT);
	/* block straddles the end of RAM */
	put_le64(at(fx, fx->base + ghes_addr_offset(&LAY, 0)), RAM_BASE + RAM_SIZE - 100);
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), -EFAULT);
	/* wraps the address space */
	put_le64(at(fx, fx->base + ghes_addr_offset(&LAY, 0)), UINT64_MAX - 10);
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), -EFAULT);
	/* null */
	put_le64(at(fx, fx->base + ghes_addr_offset(&LAY, 0)), 0);
	assert_int_equal(ghes_submit(fx->g, 0, rec, sizeof(rec)), -EFAULT);
	/* base itself outside RAM: the read_ack read fails */
	assert_int_equal(ghes_set_base(fx->g, 0x100000000ULL), 0);
	assert_int_equal(ghes_submit(fx->g, 1, rec, sizeof(rec)), -EFAULT);
	/* poisoned blob page */
	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	fx->ram.poison_lo = block_gpa(fx, 2);
	fx->ram.poison_hi = block_gpa(fx, 2) + 8;
	assert_int_equal(ghes_submit(fx->g, 2, rec, sizeof(rec)), -EIO);
	ghes_get_stats(fx->g, &st);
	assert_int_equal(st.faults, 6);
	assert_int_equal(st.written, 0);
	/* a good source still works */
	assert_int_equal(ghes_submit(fx->g, 1, rec, sizeof(rec)), 0);
}

static void test_rejects_bad_args(void **state)
{
	struct fixture *fx = *state;
	uint8_t big[BLOCK_LEN + 1];
	struct guest_mem none = { 0 };

	memset(big, 1, sizeof(big));
	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	assert_int_equal(ghes_submit(fx->g, 0, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(ghes_submit(fx->g, 0, big, BLOCK_LEN), 0);  /* exactly fits */
	assert_int_equal(ghes_submit(fx->g, NSRC, big, 100), -EINVAL);
	assert_int_equal(ghes_submit(fx->g, 0, big, 3), -EINVAL);
	assert_int_equal(ghes_submit(fx->g, 0, NULL, 100), -EINVAL);
	assert_int_equal(ghes_queue_depth(fx->g, NSRC), 0);
	{
		const struct ghes_layout one = { 0, 1, BLOCK_LEN }, empty = { 0, 0, BLOCK_LEN },
					  tiny = { 0, 1, 8 }, huge = { 0, GHES_MAX_SOURCES + 1, BLOCK_LEN };

		assert_null(ghes_create(&none, &one, 1));
		assert_null(ghes_create(&fx->gm, &empty, 1));
		assert_null(ghes_create(&fx->gm, &tiny, 1));
		assert_null(ghes_create(&fx->gm, &huge, 1));
		assert_null(ghes_create(&fx->gm, &one, 0));
		assert_null(ghes_create(&fx->gm, NULL, 1));
	}
}

/* Two "vCPU threads" hammer their own sources while a third acks. */
struct worker {
	struct fixture *fx;
	unsigned source;
	int written;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t rec[CPER_MEM_ERROR_RECORD_LEN];
	unsigned k;

	for (k = 0; k < 200; k++) {
		make_rec(rec, 0x40000000 + 0x1000ULL * (k + 1000 * w->source));
		if (ghes_submit(w->fx->g, w->source, rec, sizeof(rec)) == 0)
			w->written++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *fx = *state;
	struct worker w[2] = { { fx, 0, 0 }, { fx, 1, 0 } };
	pthread_t t[2];
	struct ghes_stats st;
	unsigned i;

	assert_int_equal(ghes_set_base(fx->g, fx->base), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	ghes_get_stats(fx->g, &st);
	/* each source: one written, MAXQ queued, the rest dropped and counted */
	assert_int_equal(st.written, 2);
	assert_int_equal(st.queued_now, 2 * MAXQ);
	assert_int_equal(st.dropped, 2 * (200 - 1 - MAXQ));
	assert_int_equal(w[0].written + w[1].written, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_when_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_then_poll_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_keeps_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sources_independent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_base_not_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_block_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	log_level = LOG_ERROR;  /* the guest-fault tests warn on purpose */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
