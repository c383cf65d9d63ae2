/* Unit tests for the split virtqueue (vmm/virtio/virtqueue.c) against a
 * fake guest RAM and a driver that lays out rings as Linux does: direct and
 * indirect chains, used ring, index wrap-around, notification suppression
 * with and without the event index (VIRTIO 1.2 2.7.7, 2.7.10), and hostile
 * tables (loops, bad indexes, nested/unnegotiated indirect, bad lengths,
 * buffers wrapping or outside RAM, order, over-long chains, poisoned ring). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virtio/virtqueue.h"
#include "vring_driver.h"

#define RING   FAKE_RAM_BASE			/* the queue's rings */
#define BUF    (FAKE_RAM_BASE + 0x10000)	/* data buffers */
#define ITABLE (FAKE_RAM_BASE + 0x20000)	/* indirect tables */
#define RAM_END (FAKE_RAM_BASE + FAKE_RAM_SIZE)

struct ctx {
	struct fake_ram ram;
	struct vring_drv drv;
	struct virtqueue vq;
	struct vq_chain c;
};

#include "vq_fixture.h"

/* A queue of 'size' entries at RING, enabled with the given features. */
static void start(struct ctx *t, uint16_t size, bool event_idx, bool indirect)
{
	drv_init(&t->drv, &t->ram, RING, size);
	assert_int_equal(vq_enable(&t->vq, size, t->drv.desc, t->drv.avail, t->drv.used,
				   event_idx, indirect), 0);
}

static void test_enable_checks(void **state)
{
	struct ctx *t = *state;
	struct virtqueue *vq = &t->vq;

	/* Size: a power of two in 1..VQ_MAX_SIZE. */
	assert_int_equal(vq_enable(vq, 0, RING, RING + 0x1000, RING + 0x2000, false, false), -EINVAL);
	assert_int_equal(vq_enable(vq, 3, RING, RING + 0x1000, RING + 0x2000, false, false), -EINVAL);
	assert_int_equal(vq_enable(vq, 512, RING, RING + 0x2000, RING + 0x3000, false, false), -EINVAL);
	/* Alignment: desc 16, avail 2, used 4. */
	assert_int_equal(vq_enable(vq, 8, RING + 8, RING + 0x1000, RING + 0x2000, false, false), -EINVAL);
	assert_int_equal(vq_enable(vq, 8, RING, RING + 0x1001, RING + 0x2000, false, false), -EINVAL);
	assert_int_equal(vq_enable(vq, 8, RING, RING + 0x1000, RING + 0x2002, false, false), -EINVAL);
	/* Rings outside RAM, straddling its end, wrapping 2^64. */
	assert_int_equal(vq_enable(vq, 8, 0x1000, RING + 0x1000, RING + 0x2000, false, false), -EINVAL);
	assert_int_equal(vq_enable(vq, 8, RING, RING + 0x1000, RAM_END - 8, false, false), -EINVAL);
	assert_int_equal(vq_enable(vq, 8, RING, RAM_END - 4, RING + 0x2000, false, false), -EINVAL);
	assert_int_equal(vq_enable(vq, 8, 0xfffffffffffffff0ull, RING + 0x1000, RING + 0x2000,
				   false, false), -EINVAL);
	assert_false(vq->enabled);
	assert_int_equal(vq_pop(vq, &t->c), 0);
	/* The largest queue, rings at the very end of RAM, is fine. */
	assert_int_equal(vq_enable(vq, VQ_MAX_SIZE, RING, RAM_END - (6 + 2 * VQ_MAX_SIZE),
				   RAM_END - 0x1000, true, true), 0);
	assert_true(vq->enabled);
	assert_int_equal(vq->size, VQ_MAX_SIZE);
	assert_true(vq->event_idx);
	assert_true(vq->indirect);
	vq_reset(vq);
	assert_false(vq->enabled);
	assert_int_equal(vq_pop(vq, &t->c), 0);
}

static void test_direct_chain(void **state)
{
	struct ctx *t = *state;
	struct vq_chain *c = &t->c;
	uint32_t id, len;

	start(t, 8, false, false);
	assert_int_equal(vq_pop(&t->vq, c), 0);		/* nothing yet */
	/* Header (readable 16), data (readable 512), status (writable 1),
	 * chained 5 -> 2 -> 7. */
	drv_desc(&t->drv, 5, BUF, 16, DRV_F_NEXT, 2);
	drv_desc(&t->drv, 2, BUF + 0x100, 512, DRV_F_NEXT, 7);
	drv_desc(&t->drv, 7, BUF + 0x1000, 1, DRV_F_WRITE, 0);
	drv_publish(&t->drv, 5);
	assert_int_equal(vq_pop(&t->vq, c), 1);
	assert_int_equal(c->head, 5);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->nread, 2);
	assert_int_equal(c->read_len, 528);
	assert_int_equal(c->write_len, 1);
	assert_int_equal(c->buf[0].gpa, BUF);
	assert_int_equal(c->buf[0].len, 16);
	assert_false(c->buf[0].device_writes);
	assert_ptr_equal(c->buf[0].hva, fake_ram_ptr(&t->ram, BUF));
	assert_ptr_equal(c->buf[1].hva, fake_ram_ptr(&t->ram, BUF + 0x100));
	assert_true(c->buf[2].device_writes);
	assert_int_equal(c->buf[2].len, 1);
	assert_ptr_equal(c->buf[2].hva, fake_ram_ptr(&t->ram, BUF + 0x1000));
	assert_int_equal(vq_pop(&t->vq, c), 0);
	assert_int_equal(t->vq.st.popped, 1);

	/* Give it back: used element {5, 1}, then used->idx. */
	assert_false(drv_get_used(&t->drv, &id, &len));
	assert_int_equal(vq_push(&t->vq, 5, 1), 0);
	assert_int_equal(drv_used_idx(&t->drv), 1);
	assert_true(drv_get_used(&t->drv, &id, &len));
	assert_int_equal(id, 5);
	assert_int_equal(len, 1);
	assert_int_equal(t->vq.st.pushed, 1);
	/* A head the queue cannot have is refused, without breaking it. */
	assert_int_equal(vq_push(&t->vq, 8, 0), -EINVAL);
	assert_false(t->vq.broken);
}

/* Chains of one writable buffer, through 70000 round trips on a queue of
 * 4: the 16-bit indexes and the ring slots wrap around. */
static void test_index_wrap(void **state)
{
	struct ctx *t = *state;
	uint32_t id, len, i;

	start(t, 4, false, false);
	for (i = 0; i < 70000; i++) {
		uint16_t d = (uint16_t)(i % 4);

		drv_desc(&t->drv, d, BUF + 64 * d, 64, DRV_F_WRITE, 0);
		drv_publish(&t->drv, d);
		assert_int_equal(vq_pop(&t->vq, &t->c), 1);
		assert_int_equal(t->c.head, d);
		assert_int_equal(vq_push(&t->vq, t->c.head, i & 63), 0);
		assert_true(drv_get_used(&t->drv, &id, &len));
		assert_int_equal(id, d);
		assert_int_equal(len, i & 63);
	}
	assert_int_equal(t->vq.last_avail, (uint16_t)70000);
	assert_int_equal(drv_used_idx(&t->drv), (uint16_t)70000);
	/* A full ring (idx exactly size ahead) is legal. */
	for (i = 0; i < 4; i++) {
		drv_desc(&t->drv, i, BUF, 8, 0, 0);
		drv_publish(&t->drv, (uint16_t)i);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
	assert_false(t->vq.broken);
}

static void test_indirect_chain(void **state)
{
	struct ctx *t = *state;
	struct vq_chain *c = &t->c;

	start(t, 8, false, true);
	/* One indirect descriptor (its WRITE flag is ignored, 2.7.5.3.2)
	 * pointing at a table of 3, chained 0 -> 2 -> 1 inside the table. */
	drv_desc_at(&t->ram, ITABLE, 0, BUF, 16, DRV_F_NEXT, 2);
	drv_desc_at(&t->ram, ITABLE, 2, BUF + 0x200, 4096, DRV_F_NEXT | DRV_F_WRITE, 1);
	drv_desc_at(&t->ram, ITABLE, 1, BUF + 0x2000, 1, DRV_F_WRITE, 0);
	drv_desc(&t->drv, 3, ITABLE, 48, DRV_F_INDIRECT | DRV_F_WRITE, 0);
	drv_publish(&t->drv, 3);
	assert_int_equal(vq_pop(&t->vq, c), 1);
	assert_int_equal(c->head, 3);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->nread, 1);
	assert_int_equal(c->read_len, 16);
	assert_int_equal(c->write_len, 4097);
	assert_int_equal(c->buf[1].gpa, BUF + 0x200);
	assert_ptr_equal(c->buf[2].hva, fake_ram_ptr(&t->ram, BUF + 0x2000));

	/* Direct descriptors followed by one indirect one (valid, 2.7.5.3.2). */
	drv_desc(&t->drv, 0, BUF + 0x3000, 10, DRV_F_NEXT, 1);
	drv_desc(&t->drv, 1, ITABLE + 0x100, 16, DRV_F_INDIRECT, 0);
	drv_desc_at(&t->ram, ITABLE + 0x100, 0, BUF + 0x4000, 20, DRV_F_WRITE, 0);
	drv_publish(&t->drv, 0);
	assert_int_equal(vq_pop(&t->vq, c), 1);
	assert_int_equal(c->head, 0);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->nread, 1);
	assert_int_equal(c->buf[0].len, 10);
	assert_int_equal(c->buf[1].len, 20);
	assert_true(c->buf[1].device_writes);
	assert_false(t->vq.broken);
}

/* Zero-length descriptors are accepted and left out of buf[]. */
static void test_zero_length(void **state)
{
	struct ctx *t = *state;
	struct vq_chain *c = &t->c;

	start(t, 8, false, false);
	drv_desc(&t->drv, 0, BUF, 0, DRV_F_NEXT, 1);
	drv_desc(&t->drv, 1, BUF + 8, 8, DRV_F_NEXT, 2);
	/* Even a zero-length one at an address outside RAM: never mapped. */
	drv_desc(&t->drv, 2, 0x10, 0, DRV_F_WRITE, 0);
	drv_publish(&t->drv, 0);
	assert_int_equal(vq_pop(&t->vq, c), 1);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->nread, 1);
	assert_int_equal(c->buf[0].gpa, BUF + 8);
	assert_int_equal(c->write_len, 0);
}

/* Without EVENT_IDX: avail->flags NO_INTERRUPT, used->flags NO_NOTIFY. */
static void test_notify_flags(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	assert_false(vq_should_notify(&t->vq));		/* nothing used yet */
	drv_desc(&t->drv, 0, BUF, 8, 0, 0);
	drv_publish(&t->drv, 0);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_push(&t->vq, 0, 0), 0);
	assert_true(vq_should_notify(&t->vq));
	assert_false(vq_should_notify(&t->vq));		/* already told */
	drv_set_avail_flags(&t->drv, 1);
	assert_int_equal(vq_push(&t->vq, 0, 0), 0);
	assert_false(vq_should_notify(&t->vq));
	drv_set_avail_flags(&t->drv, 0);
	assert_int_equal(vq_push(&t->vq, 0, 0), 0);
	assert_true(vq_should_notify(&t->vq));
	assert_int_equal(t->vq.st.notifies, 2);

	vq_set_notify(&t->vq, false);
	assert_int_equal(drv_used_flags(&t->drv), 1);
	vq_set_notify(&t->vq, true);
	assert_int_equal(drv_used_flags(&t->drv), 0);
	/* The avail_event slot is not used without the feature. */
	assert_int_equal(drv_avail_event(&t->drv), 0);
}

/* vring_need_event: notify iff (u16)(new - event - 1) < (u16)(new - old). */
static void test_need_event(void **state)
{
	assert_true(vq_need_event(0, 1, 0));
	assert_false(vq_need_event(0, 2, 1));
	assert_true(vq_need_event(1, 2, 0));
	assert_true(vq_need_event(5, 6, 5));
	assert_false(vq_need_event(6, 6, 5));		/* not reached yet */
	assert_false(vq_need_event(4, 6, 5));		/* already passed */
	assert_true(vq_need_event(0xffff, 0, 0xffff));	/* wrap */
	assert_true(vq_need_event(0xfffe, 2, 0xfffd));
	assert_false(vq_need_event(0xffff, 1, 0));
	assert_false(vq_need_event(3, 3, 3));		/* nothing new */
}

static void push_n(struct ctx *t, unsigned n)
{
	while (n--)
		assert_int_equal(vq_push(&t->vq, 0, 0), 0);
}

/* With EVENT_IDX: used_event decides interrupts, avail_event asks for
 * notifications. */
static void test_event_idx(void **state)
{
	struct ctx *t = *state;
	unsigned i;

	start(t, 16, true, false);
	/* used_event 0 (zeroed ring): the first used buffer interrupts. */
	push_n(t, 1);
	assert_true(vq_should_notify(&t->vq));
	/* used 1 -> 2 does not pass used_event 0. */
	push_n(t, 1);
	assert_false(vq_should_notify(&t->vq));
	/* used_event 2: 2 -> 4 passes it. */
	drv_set_used_event(&t->drv, 2);
	push_n(t, 2);
	assert_true(vq_should_notify(&t->vq));
	/* used_event 10: 4 -> 7 not yet, 7 -> 11 yes, then quiet. */
	drv_set_used_event(&t->drv, 10);
	push_n(t, 3);
	assert_false(vq_should_notify(&t->vq));
	push_n(t, 4);
	assert_true(vq_should_notify(&t->vq));
	push_n(t, 1);
	assert_false(vq_should_notify(&t->vq));
	/* NO_INTERRUPT is ignored with EVENT_IDX. */
	drv_set_avail_flags(&t->drv, 1);
	drv_set_used_event(&t->drv, 12);
	push_n(t, 1);
	assert_true(vq_should_notify(&t->vq));
	assert_int_equal(t->vq.st.notifies, 4);

	/* Each pop asks for a notification at the next buffer ... */
	for (i = 0; i < 3; i++) {
		drv_desc(&t->drv, (uint16_t)i, BUF, 8, 0, 0);
		drv_publish(&t->drv, (uint16_t)i);
	}
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(drv_avail_event(&t->drv), 1);
	/* ... unless notifications are off; re-enabling catches up. */
	vq_set_notify(&t->vq, false);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(drv_avail_event(&t->drv), 1);
	assert_int_equal(drv_used_flags(&t->drv), 0);	/* flags unused */
	vq_set_notify(&t->vq, true);
	assert_int_equal(drv_avail_event(&t->drv), 3);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
}

/* Section 2.7.10's race: event index restarts from the enabled queue. */
static void test_event_idx_after_reset(void **state)
{
	struct ctx *t = *state;

	start(t, 8, true, false);
	push_n(t, 3);
	assert_true(vq_should_notify(&t->vq));
	vq_reset(&t->vq);
	assert_int_equal(t->vq.st.pushed, 3);		/* statistics kept */
	memset(fake_ram_ptr(&t->ram, RING), 0, 0x2000);
	start(t, 8, true, false);
	assert_int_equal(t->vq.used_idx, 0);
	push_n(t, 1);
	assert_true(vq_should_notify(&t->vq));
	assert_int_equal(drv_used_idx(&t->drv), 1);
}

/* ---- hostile descriptor tables ---- */

static void test_self_loop(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc(&t->drv, 4, BUF, 0, DRV_F_NEXT, 4);	/* zero length, too */
	drv_publish(&t->drv, 4);
	expect_malformed(t);
}

static void test_two_cycle(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc(&t->drv, 0, BUF, 8, DRV_F_NEXT, 1);
	drv_desc(&t->drv, 1, BUF, 8, DRV_F_NEXT, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_indirect_loop(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, true);
	drv_desc_at(&t->ram, ITABLE, 0, BUF, 8, DRV_F_NEXT, 1);
	drv_desc_at(&t->ram, ITABLE, 1, BUF, 8, DRV_F_NEXT, 0);
	drv_desc(&t->drv, 0, ITABLE, 32, DRV_F_INDIRECT, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_next_out_of_range(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc(&t->drv, 0, BUF, 8, DRV_F_NEXT, 8);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_indirect_next_out_of_range(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, true);
	/* Inside a table of 2, next 2 is out of range (even though the
	 * queue has 8 descriptors). */
	drv_desc_at(&t->ram, ITABLE, 0, BUF, 8, DRV_F_NEXT, 2);
	drv_desc(&t->drv, 0, ITABLE, 32, DRV_F_INDIRECT, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_head_out_of_range(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_publish(&t->drv, 8);
	expect_malformed(t);
}

static void test_avail_too_far(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc(&t->drv, 0, BUF, 8, 0, 0);
	drv_set_avail_idx(&t->drv, 9);
	expect_malformed(t);
}

static void test_avail_backwards(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc(&t->drv, 0, BUF, 8, 0, 0);
	drv_publish(&t->drv, 0);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	/* Going back by one is 0xffff ahead. */
	drv_set_avail_idx(&t->drv, 0);
	expect_malformed(t);
}

static void test_nested_indirect(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, true);
	drv_desc_at(&t->ram, ITABLE, 0, ITABLE + 0x100, 16, DRV_F_INDIRECT, 0);
	drv_desc_at(&t->ram, ITABLE + 0x100, 0, BUF, 8, 0, 0);
	drv_desc(&t->drv, 0, ITABLE, 16, DRV_F_INDIRECT, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_indirect_without_feature(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc_at(&t->ram, ITABLE, 0, BUF, 8, 0, 0);
	drv_desc(&t->drv, 0, ITABLE, 16, DRV_F_INDIRECT, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_indirect_with_next(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, true);
	drv_desc_at(&t->ram, ITABLE, 0, BUF, 8, 0, 0);
	drv_desc(&t->drv, 0, ITABLE, 16, DRV_F_INDIRECT | DRV_F_NEXT, 1);
	drv_desc(&t->drv, 1, BUF, 8, DRV_F_WRITE, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_indirect_bad_length(void **state)
{
	struct ctx *t = *state;
	static const uint32_t lens[] = { 24, 0, 15 };
	unsigned i;

	for (i = 0; i < 3; i++) {
		vq_reset(&t->vq);
		start(t, 8, false, true);
		drv_desc_at(&t->ram, ITABLE, 0, BUF, 8, 0, 0);
		drv_desc(&t->drv, 0, ITABLE, lens[i], DRV_F_INDIRECT, 0);
		drv_publish(&t->drv, 0);
		expect_malformed(t);
	}
}

static void test_indirect_table_outside_ram(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, true);
	drv_desc(&t->drv, 0, RAM_END - 16, 32, DRV_F_INDIRECT, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_buffer_wraps(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc(&t->drv, 0, 0xfffffffffffffff0ull, 0x20, DRV_F_WRITE, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

static void test_buffer_outside_ram(void **state)
{
	struct ctx *t = *state;
	static const uint64_t addr[] = { RAM_END - 8, FAKE_RAM_BASE - 8, 0x1000 };
	unsigned i;

	for (i = 0; i < 3; i++) {
		vq_reset(&t->vq);
		start(t, 8, false, false);
		drv_desc(&t->drv, 0, BUF, 8, DRV_F_NEXT, 1);
		drv_desc(&t->drv, 1, addr[i], 16, DRV_F_WRITE, 0);
		drv_publish(&t->drv, 0);
		expect_malformed(t);
	}
	/* The last byte of RAM is fine. */
	vq_reset(&t->vq);
	start(t, 8, false, false);
	drv_desc(&t->drv, 0, RAM_END - 1, 1, DRV_F_WRITE, 0);
	drv_publish(&t->drv, 0);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
}

static void test_readable_after_writable(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc(&t->drv, 0, BUF, 8, DRV_F_NEXT | DRV_F_WRITE, 1);
	drv_desc(&t->drv, 1, BUF + 8, 8, 0, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

/* A chain of 'n' one-byte buffers in an indirect table. */
static int pop_indirect_of(struct ctx *t, unsigned n)
{
	unsigned i;

	vq_reset(&t->vq);
	start(t, 8, false, true);
	for (i = 0; i < n; i++)
		drv_desc_at(&t->ram, ITABLE, i, BUF + i, 1, i + 1 < n ? DRV_F_NEXT : 0,
			    (uint16_t)(i + 1));
	drv_desc(&t->drv, 0, ITABLE, 16 * n, DRV_F_INDIRECT, 0);
	drv_publish(&t->drv, 0);
	return vq_pop(&t->vq, &t->c);
}

static void test_chain_too_long(void **state)
{
	struct ctx *t = *state;
	unsigned i;

	/* Indirect: VQ_MAX_CHAIN buffers fit, one more does not. */
	assert_int_equal(pop_indirect_of(t, VQ_MAX_CHAIN), 1);
	assert_int_equal(t->c.n, VQ_MAX_CHAIN);
	assert_int_equal(pop_indirect_of(t, VQ_MAX_CHAIN + 1), -EINVAL);
	assert_true(t->vq.broken);

	/* Direct, in a queue of 256: the same bound. */
	vq_reset(&t->vq);
	start(t, 256, false, false);
	for (i = 0; i <= VQ_MAX_CHAIN; i++)
		drv_desc(&t->drv, i, BUF + i, 1, i < VQ_MAX_CHAIN ? DRV_F_NEXT : 0,
			 (uint16_t)(i + 1));
	drv_publish(&t->drv, 0);
	expect_malformed(t);
	/* Direct descriptors before the indirect one count too. */
	vq_reset(&t->vq);
	start(t, 8, false, true);
	for (i = 0; i < VQ_MAX_CHAIN; i++)
		drv_desc_at(&t->ram, ITABLE, i, BUF + i, 1,
			    i + 1 < VQ_MAX_CHAIN ? DRV_F_NEXT : 0, (uint16_t)(i + 1));
	drv_desc(&t->drv, 0, BUF, 1, DRV_F_NEXT, 1);
	drv_desc(&t->drv, 1, ITABLE, 16 * VQ_MAX_CHAIN, DRV_F_INDIRECT, 0);
	drv_publish(&t->drv, 0);
	expect_malformed(t);
}

/* A poisoned ring page: the read fails (-EIO), the queue breaks, the VMM
 * carries on. */
static void test_poisoned_ring(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	drv_desc(&t->drv, 0, BUF, 8, 0, 0);
	drv_publish(&t->drv, 0);
	t->ram.poison_gpa = t->drv.desc;
	t->ram.poison_len = 4096;
	expect_malformed(t);
	t->ram.poison_len = 0;
}

/* A disabled or broken queue pops nothing and touches nothing. */
static void test_disabled_and_broken(void **state)
{
	struct ctx *t = *state;

	drv_init(&t->drv, &t->ram, RING, 8);
	drv_desc(&t->drv, 0, BUF, 8, 0, 0);
	drv_publish(&t->drv, 0);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
	assert_int_equal(vq_push(&t->vq, 0, 0), -EINVAL);
	assert_false(vq_should_notify(&t->vq));
	vq_set_notify(&t->vq, false);
	assert_int_equal(drv_used_flags(&t->drv), 0);
	start(t, 8, false, false);
	t->vq.broken = true;
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
	assert_int_equal(t->vq.last_avail, 0);
	assert_int_equal(t->vq.st.malformed, 0);
	/* Reset repairs it. */
	vq_reset(&t->vq);
	start(t, 8, false, false);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_enable_checks),
		T(test_direct_chain),
		T(test_index_wrap),
		T(test_indirect_chain),
		T(test_zero_length),
		T(test_notify_flags),
		T(test_need_event),
		T(test_event_idx),
		T(test_event_idx_after_reset),
		T(test_self_loop),
		T(test_two_cycle),
		T(test_indirect_loop),
		T(test_next_out_of_range),
		T(test_indirect_next_out_of_range),
		T(test_head_out_of_range),
		T(test_avail_too_far),
		T(test_avail_backwards),
		T(test_nested_indirect),
		T(test_indirect_without_feature),
		T(test_indirect_with_next),
		T(test_indirect_bad_length),
		T(test_indirect_table_outside_ram),
		T(test_buffer_wraps),
		T(test_buffer_outside_ram),
		T(test_readable_after_writable),
		T(test_chain_too_long),
		T(test_poisoned_ring),
		T(test_disabled_and_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
