/* Unit tests for the packed virtqueue (vmm/virtio/virtqueue_packed.c,
 * VIRTIO 1.2 section 2.8) through the layout-blind vq_* interface, against
 * a fake guest RAM and a driver that lays out the ring as Linux does:
 * chains, used descriptors (Buffer ID, length, WRITE and the wrap-counter
 * bits), out-of-order completion, wrap counters flipping at the ring's end
 * (also inside a chain), indirect tables, event suppression in both
 * directions with and without EVENT_IDX, reset; and hostile rings
 * (buffers outside RAM or wrapping, over-long chains, a chain going round
 * the ring, indirect misuse, more chains than the ring holds, a poisoned
 * ring, pushes of chains not in flight). */
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
#include "vring_packed_driver.h"

#define RING   FAKE_RAM_BASE			/* the descriptor ring */
#define BUF    (FAKE_RAM_BASE + 0x10000)	/* data buffers */
#define ITABLE (FAKE_RAM_BASE + 0x20000)	/* indirect tables */
#define RAM_END (FAKE_RAM_BASE + FAKE_RAM_SIZE)

struct ctx {
	struct fake_ram ram;
	struct pvring_drv drv;
	struct virtqueue vq;
	struct vq_chain c;
};

#include "vq_fixture.h"

/* A packed queue of 'size' entries at RING, enabled with the features. */
static void start(struct ctx *t, uint16_t size, bool event_idx, bool indirect)
{
	pdrv_init(&t->drv, &t->ram, RING, size);
	assert_int_equal(vq_enable_packed(&t->vq, size, t->drv.desc, t->drv.driver, t->drv.device,
					  event_idx, indirect), 0);
}

/* Pop one single-buffer chain, push it back with 'written', read the used
 * descriptor: its id must be 'id'. */
static void cycle_one(struct ctx *t, uint16_t id, uint32_t written)
{
	struct pbuf b = { BUF, 64, true };
	uint16_t uid = 0, uflags = 0;
	uint32_t ulen = 0;

	pdrv_add(&t->drv, &b, 1, id);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(t->c.n, 1);
	assert_int_equal(vq_push(&t->vq, t->c.head, written), 0);
	assert_true(pdrv_get_used(&t->drv, &uid, &ulen, &uflags));
	assert_int_equal(uid, id);
	assert_int_equal(ulen, written);
}

static void test_enable_checks(void **state)
{
	struct ctx *t = *state;
	struct virtqueue *vq = &t->vq;
	uint64_t drv = RING + 0x1000, dev = RING + 0x1004;

	assert_int_equal(vq_enable_packed(vq, 0, RING, drv, dev, false, false), -EINVAL);
	assert_int_equal(vq_enable_packed(vq, VQ_MAX_SIZE + 1, RING, drv, dev, false, false), -EINVAL);
	/* Alignment (2.8.10.1): ring 16, event structures 4. */
	assert_int_equal(vq_enable_packed(vq, 8, RING + 8, drv, dev, false, false), -EINVAL);
	assert_int_equal(vq_enable_packed(vq, 8, RING, drv + 2, dev, false, false), -EINVAL);
	assert_int_equal(vq_enable_packed(vq, 8, RING, drv, dev + 2, false, false), -EINVAL);
	/* Wholly in RAM, overflow included. */
	assert_int_equal(vq_enable_packed(vq, 8, 0x1000, drv, dev, false, false), -EINVAL);
	assert_int_equal(vq_enable_packed(vq, 8, RAM_END - 64, drv, dev, false, false), -EINVAL);
	assert_int_equal(vq_enable_packed(vq, 8, RING, RAM_END, dev, false, false), -EINVAL);
	assert_int_equal(vq_enable_packed(vq, 8, RING, drv, RAM_END, false, false), -EINVAL);
	assert_int_equal(vq_enable_packed(vq, 8, RING, drv, 0x1000, false, false), -EINVAL);
	assert_int_equal(vq_enable_packed(vq, 8, 0xfffffffffffffff0ull, drv, dev, false, false),
			 -EINVAL);
	assert_false(vq->enabled);
	/* A size that is not a power of two is fine for packed (2.8.10.1). */
	assert_int_equal(vq_enable_packed(vq, 3, RING, drv, dev, false, false), 0);
	assert_true(vq->enabled && vq->packed);
	assert_int_equal(vq->size, 3);
	/* Both wrap counters start at 1, positions at 0. */
	assert_true(vq->pk.avail_wrap && vq->pk.used_wrap);
	assert_int_equal(vq->pk.next_avail, 0);
	assert_int_equal(vq->pk.next_used, 0);
	assert_int_equal(vq->pk.nfree, 3);
	/* The ring exactly at the end of RAM. */
	assert_int_equal(vq_enable_packed(vq, VQ_MAX_SIZE, RAM_END - 16 * VQ_MAX_SIZE, drv, dev,
					  false, false), 0);
}

static void test_direct_chain(void **state)
{
	struct ctx *t = *state;
	struct pbuf b[3] = { { BUF, 16, false }, { BUF + 0x100, 512, false },
			     { BUF + 0x1000, 1, true } };
	uint16_t id = 0, flags = 0;
	uint32_t len = 0;

	start(t, 8, false, false);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);	/* nothing yet */
	pdrv_add(&t->drv, b, 3, 7);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_true(t->c.head < t->vq.size);
	assert_int_equal(t->c.n, 3);
	assert_int_equal(t->c.nread, 2);
	assert_int_equal(t->c.read_len, 528);
	assert_int_equal(t->c.write_len, 1);
	assert_int_equal(t->c.buf[1].gpa, BUF + 0x100);
	assert_int_equal(t->c.buf[1].len, 512);
	assert_false(t->c.buf[1].device_writes);
	assert_true(t->c.buf[2].device_writes);
	assert_ptr_equal(t->c.buf[2].hva, fake_ram_ptr(&t->ram, BUF + 0x1000));
	assert_int_equal(t->vq.st.popped, 1);
	/* The chain took three ring descriptors. */
	assert_int_equal(t->vq.pk.next_avail, 3);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
	/* Nothing used yet. */
	assert_false(pdrv_get_used(&t->drv, &id, &len, &flags));
	assert_int_equal(vq_push(&t->vq, t->c.head, 1), 0);
	assert_int_equal(t->vq.st.pushed, 1);
	/* One used descriptor at position 0: Buffer ID from the chain,
	 * length, WRITE (data written), AVAIL = USED = wrap counter 1. */
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags));
	assert_int_equal(id, 7);
	assert_int_equal(len, 1);
	assert_int_equal(flags, PD_F_AVAIL | PD_F_USED | PD_F_WRITE);
	assert_int_equal(t->drv.next_used, 3);
	assert_int_equal(t->vq.pk.next_used, 3);
	/* A second push of the same chain is refused, the queue lives on. */
	assert_int_equal(vq_push(&t->vq, t->c.head, 1), -EINVAL);
	assert_false(t->vq.broken);
	assert_int_equal(t->vq.st.pushed, 1);
}

static void test_used_without_data(void **state)
{
	struct ctx *t = *state;
	struct pbuf b = { BUF, 100, false };
	uint16_t id = 0, flags = 0;
	uint32_t len = 0;

	start(t, 4, false, false);
	/* A stale used descriptor in the ring must be overwritten whole. */
	pdrv_add(&t->drv, &b, 1, 3);
	put_le32(fake_ram_ptr(&t->ram, RING + 8), 100);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_push(&t->vq, t->c.head, 0), 0);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags));
	assert_int_equal(id, 3);
	assert_int_equal(len, 0);
	/* Nothing written: no WRITE bit (2.8.3). */
	assert_int_equal(flags, PD_F_AVAIL | PD_F_USED);
}

static void test_out_of_order(void **state)
{
	struct ctx *t = *state;
	struct pbuf a[2] = { { BUF, 8, false }, { BUF + 0x100, 8, true } };
	struct pbuf b = { BUF + 0x200, 8, true };
	struct pbuf c = { BUF + 0x300, 8, true };
	uint16_t ha, hb, hc, id = 0, flags = 0;
	uint32_t len = 0;

	start(t, 8, false, false);
	pdrv_add(&t->drv, a, 2, 100);	/* positions 0-1 */
	pdrv_add(&t->drv, &b, 1, 200);	/* position 2 */
	pdrv_add(&t->drv, &c, 1, 300);	/* position 3 */
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	ha = t->c.head;
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	hb = t->c.head;
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	hc = t->c.head;
	assert_true(ha != hb && hb != hc && ha != hc);
	/* B first: written at position 0, the position moves by B's one
	 * descriptor; then A at position 1, moving by two; then C at 3. */
	assert_int_equal(vq_push(&t->vq, hb, 5), 0);
	assert_int_equal(vq_push(&t->vq, ha, 6), 0);
	assert_int_equal(vq_push(&t->vq, hc, 7), 0);
	assert_int_equal(get_le16(fake_ram_ptr(&t->ram, RING + 12)), 200);
	assert_int_equal(get_le16(fake_ram_ptr(&t->ram, RING + 16 + 12)), 100);
	assert_int_equal(get_le16(fake_ram_ptr(&t->ram, RING + 48 + 12)), 300);
	assert_int_equal(t->vq.pk.next_used, 4);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 200 && len == 5);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 100 && len == 6);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 300 && len == 7);
	assert_false(pdrv_get_used(&t->drv, &id, &len, &flags));
	/* All slots are free again. */
	assert_int_equal(t->vq.pk.nfree, 8);
}

static void test_wrap_counters(void **state)
{
	struct ctx *t = *state;
	uint16_t id = 0, flags = 0;
	uint32_t len = 0;
	unsigned i;

	start(t, 4, false, false);
	for (i = 0; i < 4; i++)
		cycle_one(t, (uint16_t)i, 10);
	/* Lap 1 done: both counters flipped to 0, position 0 again. */
	assert_false(t->vq.pk.avail_wrap);
	assert_false(t->vq.pk.used_wrap);
	assert_int_equal(t->vq.pk.next_avail, 0);
	assert_int_equal(t->vq.pk.next_used, 0);
	/* Position 0 still holds lap 1's used descriptor (AVAIL|USED): not
	 * available in lap 2. */
	assert_int_equal(pdrv_flags_at(&t->drv, 0), PD_F_AVAIL | PD_F_USED | PD_F_WRITE);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
	/* Lap 2: available is AVAIL=0 USED=1; used is AVAIL=0 USED=0. */
	cycle_one(t, 9, 10);
	assert_int_equal(pdrv_flags_at(&t->drv, 0), PD_F_WRITE);
	/* Lap 1 style flags in lap 2 are not available. */
	pdrv_raw(&t->drv, 1, BUF, 8, 1, PD_F_AVAIL);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
	assert_false(pdrv_get_used(&t->drv, &id, &len, &flags));
	for (i = 0; i < 3; i++)
		cycle_one(t, (uint16_t)(20 + i), 1);
	/* Lap 3: counters back at 1. */
	assert_true(t->vq.pk.avail_wrap && t->vq.pk.used_wrap);
	cycle_one(t, 30, 2);
	assert_int_equal(pdrv_flags_at(&t->drv, 0), PD_F_AVAIL | PD_F_USED | PD_F_WRITE);
}

static void test_chain_across_ring_end(void **state)
{
	struct ctx *t = *state;
	struct pbuf three[3] = { { BUF, 8, false }, { BUF + 8, 8, false }, { BUF + 16, 8, true } };
	struct pbuf two[2] = { { BUF + 0x100, 32, false }, { BUF + 0x200, 64, true } };
	uint16_t id = 0, flags = 0;
	uint32_t len = 0;

	start(t, 4, false, false);
	pdrv_add(&t->drv, three, 3, 1);		/* positions 0-2 */
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_push(&t->vq, t->c.head, 8), 0);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 1);
	/* Positions 3 (lap 1) and 0 (lap 2, its flags in lap-2 form). */
	pdrv_add(&t->drv, two, 2, 2);
	assert_int_equal(pdrv_flags_at(&t->drv, 0), PD_F_USED | PD_F_WRITE);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(t->c.n, 2);
	assert_int_equal(t->c.buf[0].gpa, BUF + 0x100);
	assert_int_equal(t->c.buf[1].gpa, BUF + 0x200);
	assert_int_equal(t->c.write_len, 64);
	assert_int_equal(t->vq.pk.next_avail, 1);
	assert_false(t->vq.pk.avail_wrap);
	/* Used at position 3 with lap 1's bits; then position 1 of lap 2. */
	assert_int_equal(vq_push(&t->vq, t->c.head, 64), 0);
	assert_int_equal(pdrv_flags_at(&t->drv, 3), PD_F_AVAIL | PD_F_USED | PD_F_WRITE);
	assert_int_equal(t->vq.pk.next_used, 1);
	assert_false(t->vq.pk.used_wrap);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 2 && len == 64);
	assert_int_equal(t->drv.next_used, 1);
	assert_false(t->drv.used_wrap);
}

static void test_indirect(void **state)
{
	struct ctx *t = *state;
	struct pbuf b[3] = { { BUF, 16, false }, { BUF + 0x100, 4096, false },
			     { BUF + 0x2000, 1, true } };
	struct pbuf d = { BUF + 0x3000, 4, true };
	uint16_t id = 0, flags = 0;
	uint32_t len = 0;

	start(t, 8, false, true);
	pdrv_add_indirect(&t->drv, ITABLE, b, 3, 11);
	/* Reserved flags in table entries (NEXT here) are ignored: the
	 * table is used in order (2.8.7). */
	put_le16(fake_ram_ptr(&t->ram, ITABLE + 14), PD_F_NEXT);
	pdrv_add(&t->drv, &d, 1, 12);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(t->c.n, 3);
	assert_int_equal(t->c.nread, 2);
	assert_int_equal(t->c.read_len, 16 + 4096);
	assert_int_equal(t->c.buf[2].gpa, BUF + 0x2000);
	assert_true(t->c.buf[2].device_writes);
	/* An indirect chain takes one ring descriptor. */
	assert_int_equal(t->vq.pk.next_avail, 1);
	assert_int_equal(vq_push(&t->vq, t->c.head, 1), 0);
	assert_int_equal(t->vq.pk.next_used, 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(t->c.buf[0].gpa, BUF + 0x3000);
	assert_int_equal(vq_push(&t->vq, t->c.head, 4), 0);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 11 && len == 1);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 12 && len == 4);
}

static void test_zero_length(void **state)
{
	struct ctx *t = *state;
	struct pbuf b[3] = { { BUF, 0, false }, { BUF + 0x100, 8, false }, { 0, 0, true } };

	start(t, 8, false, false);
	pdrv_add(&t->drv, b, 3, 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(t->c.n, 1);
	assert_int_equal(t->c.buf[0].gpa, BUF + 0x100);
	/* ...but they still take ring positions. */
	assert_int_equal(t->vq.pk.next_avail, 3);
}

/* ---- notifications ---- */

static void test_notify_flags(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	/* Nothing used: no interrupt whatever the driver wants. */
	assert_false(vq_should_notify(&t->vq));
	pdrv_set_event(&t->drv, PD_EV_ENABLE, 0, false);
	cycle_one(t, 1, 1);
	assert_true(vq_should_notify(&t->vq));
	assert_int_equal(t->vq.st.notifies, 1);
	/* Asked again with nothing new: no. */
	assert_false(vq_should_notify(&t->vq));
	pdrv_set_event(&t->drv, PD_EV_DISABLE, 0, false);
	cycle_one(t, 2, 1);
	assert_false(vq_should_notify(&t->vq));
	assert_int_equal(t->vq.st.notifies, 1);
	/* DESC without EVENT_IDX, or the reserved value 3: notify. */
	pdrv_set_event(&t->drv, PD_EV_DESC, 7, false);
	cycle_one(t, 3, 1);
	assert_true(vq_should_notify(&t->vq));
	pdrv_set_event(&t->drv, 3, 0, false);
	cycle_one(t, 4, 1);
	assert_true(vq_should_notify(&t->vq));
	assert_int_equal(t->vq.st.notifies, 3);
}

static void test_event_desc(void **state)
{
	struct ctx *t = *state;
	struct pbuf two[2] = { { BUF, 8, false }, { BUF + 8, 8, true } };
	uint16_t id = 0, flags = 0;
	uint32_t len = 0;

	start(t, 4, true, false);
	/* The driver wants an event when position 1 of lap 1 is used. */
	pdrv_set_event(&t->drv, PD_EV_DESC, 1, true);
	cycle_one(t, 1, 1);			/* position 0 */
	assert_false(vq_should_notify(&t->vq));
	cycle_one(t, 2, 1);			/* position 1 */
	assert_true(vq_should_notify(&t->vq));
	/* Event at position 3: a two-descriptor chain at 2-3 covers it. */
	pdrv_set_event(&t->drv, PD_EV_DESC, 3, true);
	pdrv_add(&t->drv, two, 2, 5);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_push(&t->vq, t->c.head, 8), 0);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 5);
	assert_true(vq_should_notify(&t->vq));
	assert_false(t->vq.pk.used_wrap);	/* now in lap 2, position 0 */
	/* An event in lap 2 at position 1: position 0 does not reach it. */
	pdrv_set_event(&t->drv, PD_EV_DESC, 1, false);
	cycle_one(t, 6, 1);
	assert_false(vq_should_notify(&t->vq));
	/* An event of lap 2 far ahead (position 3, not reached) after a
	 * move across lap 2's position 1. */
	pdrv_set_event(&t->drv, PD_EV_DESC, 3, false);
	cycle_one(t, 7, 1);			/* position 1 */
	assert_false(vq_should_notify(&t->vq));
	assert_int_equal(t->vq.st.notifies, 2);
}

static void test_event_desc_previous_lap(void **state)
{
	struct ctx *t = *state;
	struct pbuf two[2] = { { BUF, 8, false }, { BUF + 8, 8, true } };
	uint16_t id = 0, flags = 0;
	uint32_t len = 0;
	unsigned i;

	start(t, 4, true, false);
	pdrv_set_event(&t->drv, PD_EV_DISABLE, 0, false);
	for (i = 0; i < 3; i++)
		cycle_one(t, (uint16_t)i, 1);	/* positions 0-2 */
	vq_should_notify(&t->vq);
	/* The event is at position 3 of lap 1; the device uses 3 and 0
	 * (one chain across the end): the event went by in lap 1. */
	pdrv_set_event(&t->drv, PD_EV_DESC, 3, true);
	pdrv_add(&t->drv, two, 2, 9);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_push(&t->vq, t->c.head, 8), 0);
	assert_true(pdrv_get_used(&t->drv, &id, &len, &flags) && id == 9);
	assert_int_equal(t->vq.pk.next_used, 1);
	assert_true(vq_should_notify(&t->vq));
	/* Lap 2 positions 1-2 used; an event at lap 1's position 0 is long
	 * gone (not in [1, 3)): no interrupt. */
	pdrv_set_event(&t->drv, PD_EV_DESC, 0, true);
	cycle_one(t, 10, 1);
	cycle_one(t, 11, 1);
	assert_false(vq_should_notify(&t->vq));
}

static void test_event_whole_ring(void **state)
{
	struct ctx *t = *state;
	unsigned i;

	start(t, 4, true, false);
	/* Four positions used without asking: every event position went by. */
	pdrv_set_event(&t->drv, PD_EV_DESC, 2, false);
	for (i = 0; i < 4; i++)
		cycle_one(t, (uint16_t)i, 1);
	assert_true(vq_should_notify(&t->vq));
}

static void test_set_notify(void **state)
{
	struct ctx *t = *state;

	start(t, 8, false, false);
	put_le16(fake_ram_ptr(&t->ram, t->drv.device + 2), 0x5a5a);
	vq_set_notify(&t->vq, false);
	assert_int_equal(pdrv_device_flags(&t->drv), PD_EV_DISABLE);
	vq_set_notify(&t->vq, true);
	assert_int_equal(pdrv_device_flags(&t->drv), PD_EV_ENABLE);
	/* The same with EVENT_IDX: the device never asks for DESC. */
	vq_reset(&t->vq);
	start(t, 8, true, false);
	vq_set_notify(&t->vq, false);
	assert_int_equal(pdrv_device_flags(&t->drv), PD_EV_DISABLE);
	vq_set_notify(&t->vq, true);
	assert_int_equal(pdrv_device_flags(&t->drv), PD_EV_ENABLE);
	/* A disabled queue writes nothing. */
	vq_reset(&t->vq);
	put_le16(fake_ram_ptr(&t->ram, t->drv.device + 2), 0x5a5a);
	vq_set_notify(&t->vq, false);
	assert_int_equal(pdrv_device_flags(&t->drv), 0x5a5a);
}

static void test_reset(void **state)
{
	struct ctx *t = *state;
	unsigned i;

	start(t, 4, false, false);
	for (i = 0; i < 5; i++)
		cycle_one(t, (uint16_t)i, 1);
	/* One chain left in flight. */
	cycle_one(t, 5, 1);
	pdrv_add(&t->drv, &(struct pbuf){ BUF, 8, true }, 1, 6);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_false(t->vq.pk.avail_wrap);
	vq_reset(&t->vq);
	assert_false(t->vq.enabled);
	assert_false(t->vq.packed);
	assert_int_equal(t->vq.st.popped, 7);	/* statistics kept */
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
	assert_int_equal(vq_push(&t->vq, t->c.head, 0), -EINVAL);
	/* The driver starts over with a zeroed ring: wrap counters 1. */
	start(t, 4, false, false);
	assert_true(t->vq.pk.avail_wrap && t->vq.pk.used_wrap);
	assert_int_equal(t->vq.pk.nfree, 4);
	cycle_one(t, 40, 3);
	assert_int_equal(pdrv_flags_at(&t->drv, 0), PD_F_AVAIL | PD_F_USED | PD_F_WRITE);
	/* And a split queue after a packed one (a driver that changed its
	 * mind across a reset) starts clean too. */
	vq_reset(&t->vq);
	memset(fake_ram_ptr(&t->ram, RING), 0, 0x3000);
	assert_int_equal(vq_enable(&t->vq, 8, RING, RING + 128, RING + 0x1000, false, false), 0);
	assert_false(t->vq.packed);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
}

/* ---- hostile rings ---- */

static void test_buffer_outside_ram(void **state)
{
	struct ctx *t = *state;
	struct pbuf b = { RAM_END - 4, 8, false };

	start(t, 8, false, false);
	pdrv_add(&t->drv, &b, 1, 1);
	expect_malformed(t);
	assert_int_equal(t->vq.st.popped, 0);
}

static void test_buffer_below_ram(void **state)
{
	struct ctx *t = *state;
	struct pbuf b = { 0x1000, 8, true };

	start(t, 8, false, false);
	pdrv_add(&t->drv, &b, 1, 1);
	expect_malformed(t);
}

static void test_buffer_wraps(void **state)
{
	struct ctx *t = *state;
	struct pbuf b = { 0xfffffffffffffff0ull, 0x20, true };

	start(t, 8, false, false);
	pdrv_add(&t->drv, &b, 1, 1);
	expect_malformed(t);
}

static void test_readable_after_writable(void **state)
{
	struct ctx *t = *state;
	struct pbuf b[2] = { { BUF, 8, true }, { BUF + 8, 8, false } };

	start(t, 8, false, false);
	pdrv_add(&t->drv, b, 2, 1);
	expect_malformed(t);
}

static void test_chain_round_the_ring(void **state)
{
	struct ctx *t = *state;
	unsigned i;

	/* Every descriptor says NEXT: the chain would go round and round. */
	start(t, 8, false, false);
	for (i = 0; i < 8; i++)
		pdrv_raw(&t->drv, (uint16_t)i, BUF, 8, 1, PD_F_AVAIL | PD_F_NEXT);
	expect_malformed(t);
	/* Exactly the ring's length is still a chain. */
	vq_reset(&t->vq);
	start(t, 8, false, false);
	for (i = 0; i < 8; i++)
		pdrv_raw(&t->drv, (uint16_t)i, BUF + 16 * i, 8, 1,
			 PD_F_AVAIL | (i < 7 ? PD_F_NEXT : 0));
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(t->c.n, 8);
	assert_int_equal(t->vq.pk.next_avail, 0);
	assert_false(t->vq.pk.avail_wrap);
}

static void test_chain_too_long(void **state)
{
	struct ctx *t = *state;
	struct pbuf b[VQ_MAX_CHAIN + 1];
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(b); i++)
		b[i] = (struct pbuf){ BUF + 16 * i, 16, false };
	/* VQ_MAX_CHAIN buffers are fine... */
	start(t, VQ_MAX_SIZE, false, false);
	pdrv_add(&t->drv, b, VQ_MAX_CHAIN, 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(t->c.n, VQ_MAX_CHAIN);
	/* ...one more is not, zero-length ones included. */
	vq_reset(&t->vq);
	start(t, VQ_MAX_SIZE, false, false);
	b[VQ_MAX_CHAIN].len = 0;
	pdrv_add(&t->drv, b, VQ_MAX_CHAIN + 1, 1);
	expect_malformed(t);
}

static void test_indirect_too_long(void **state)
{
	struct ctx *t = *state;
	uint8_t *tab = fake_ram_ptr(&t->ram, ITABLE);
	unsigned i;

	start(t, 8, false, true);
	/* A 4 KiB-entry table: the walk stops after VQ_MAX_CHAIN. */
	for (i = 0; i < 4096; i++) {
		put_le64(tab + 16 * i, BUF);
		put_le32(tab + 16 * i + 8, 0);
	}
	pdrv_add_flags(&t->drv, &(struct pbuf){ ITABLE, 16 * 4096, false }, 1, 1, PD_F_INDIRECT);
	expect_malformed(t);
}

static void test_indirect_misuse(void **state)
{
	struct ctx *t = *state;
	struct pbuf one = { BUF, 8, false };
	struct pbuf ind = { ITABLE, 16, false };
	struct pbuf pair[2] = { { BUF, 8, false }, { ITABLE, 16, false } };

	put_le64(fake_ram_ptr(&t->ram, ITABLE), BUF);
	put_le32(fake_ram_ptr(&t->ram, ITABLE + 8), 8);
	/* Without VIRTIO_F_INDIRECT_DESC. */
	start(t, 8, false, false);
	pdrv_add_flags(&t->drv, &ind, 1, 1, PD_F_INDIRECT);
	expect_malformed(t);
	/* With NEXT. */
	vq_reset(&t->vq);
	start(t, 8, false, true);
	pdrv_add_flags(&t->drv, &ind, 1, 1, PD_F_INDIRECT | PD_F_NEXT);
	pdrv_add(&t->drv, &one, 1, 2);
	expect_malformed(t);
	/* Inside a NEXT chain (2.8.19). */
	vq_reset(&t->vq);
	start(t, 8, false, true);
	pdrv_add(&t->drv, pair, 2, 1);
	put_le16(fake_ram_ptr(&t->ram, RING + 16 + 14),
		 pdrv_flags_at(&t->drv, 1) | PD_F_INDIRECT);
	expect_malformed(t);
	/* Length 0, not a multiple of 16, outside RAM, wrapping. */
	vq_reset(&t->vq);
	start(t, 8, false, true);
	pdrv_add_flags(&t->drv, &(struct pbuf){ ITABLE, 0, false }, 1, 1, PD_F_INDIRECT);
	expect_malformed(t);
	vq_reset(&t->vq);
	start(t, 8, false, true);
	pdrv_add_flags(&t->drv, &(struct pbuf){ ITABLE, 17, false }, 1, 1, PD_F_INDIRECT);
	expect_malformed(t);
	vq_reset(&t->vq);
	start(t, 8, false, true);
	pdrv_add_flags(&t->drv, &(struct pbuf){ RAM_END - 16, 32, false }, 1, 1, PD_F_INDIRECT);
	expect_malformed(t);
	vq_reset(&t->vq);
	start(t, 8, false, true);
	pdrv_add_flags(&t->drv, &(struct pbuf){ 0xfffffffffffffff0ull, 32, false }, 1, 1,
		       PD_F_INDIRECT);
	expect_malformed(t);
	/* A table entry outside RAM. */
	vq_reset(&t->vq);
	start(t, 8, false, true);
	pdrv_add_indirect(&t->drv, ITABLE, &(struct pbuf){ RAM_END, 1, true }, 1, 1);
	expect_malformed(t);
	assert_int_equal(t->vq.st.malformed, 8);
}

static void test_more_than_the_ring(void **state)
{
	struct ctx *t = *state;
	struct pbuf b = { BUF, 8, true };

	start(t, 2, false, false);
	pdrv_add(&t->drv, &b, 1, 1);
	pdrv_add(&t->drv, &b, 1, 2);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	/* The driver reuses position 0 before getting it back. */
	pdrv_add(&t->drv, &b, 1, 3);
	expect_malformed(t);
}

static void test_poisoned_ring(void **state)
{
	struct ctx *t = *state;
	struct pbuf b = { BUF, 8, true };

	start(t, 8, false, false);
	pdrv_add(&t->drv, &b, 1, 1);
	t->ram.poison_gpa = RING;
	t->ram.poison_len = 16;
	expect_malformed(t);
	/* The driver event structure unreadable at notify time. */
	t->ram.poison_len = 0;
	vq_reset(&t->vq);
	start(t, 8, false, false);
	pdrv_add(&t->drv, &b, 1, 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_push(&t->vq, t->c.head, 1), 0);
	t->ram.poison_gpa = t->drv.driver;
	t->ram.poison_len = 4;
	assert_false(vq_should_notify(&t->vq));
	assert_true(t->vq.broken);
	/* The used descriptor unwritable at push time. */
	t->ram.poison_len = 0;
	vq_reset(&t->vq);
	start(t, 8, false, false);
	pdrv_add(&t->drv, &b, 1, 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	t->ram.poison_gpa = RING;
	t->ram.poison_len = 16;
	assert_int_equal(vq_push(&t->vq, t->c.head, 1), -EINVAL);
	assert_true(t->vq.broken);
	assert_int_equal(t->vq.st.malformed, 3);
}

static void test_bad_pushes(void **state)
{
	struct ctx *t = *state;
	struct pbuf b = { BUF, 8, true };

	start(t, 8, false, false);
	/* Nothing in flight: every head is refused, nothing is written. */
	assert_int_equal(vq_push(&t->vq, 0, 1), -EINVAL);
	assert_int_equal(vq_push(&t->vq, 7, 1), -EINVAL);
	assert_int_equal(vq_push(&t->vq, 8, 1), -EINVAL);
	assert_int_equal(vq_push(&t->vq, 0xffff, 1), -EINVAL);
	assert_int_equal(pdrv_flags_at(&t->drv, 0), 0);
	assert_false(t->vq.broken);
	pdrv_add(&t->drv, &b, 1, 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 1);
	assert_int_equal(vq_push(&t->vq, (uint16_t)(t->c.head ^ 1), 1), -EINVAL);
	assert_int_equal(vq_push(&t->vq, t->c.head, 1), 0);
	assert_int_equal(t->vq.st.pushed, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_enable_checks),
		T(test_direct_chain),
		T(test_used_without_data),
		T(test_out_of_order),
		T(test_wrap_counters),
		T(test_chain_across_ring_end),
		T(test_indirect),
		T(test_zero_length),
		T(test_notify_flags),
		T(test_event_desc),
		T(test_event_desc_previous_lap),
		T(test_event_whole_ring),
		T(test_set_notify),
		T(test_reset),
		T(test_buffer_outside_ram),
		T(test_buffer_below_ram),
		T(test_buffer_wraps),
		T(test_readable_after_writable),
		T(test_chain_round_the_ring),
		T(test_chain_too_long),
		T(test_indirect_too_long),
		T(test_indirect_misuse),
		T(test_more_than_the_ring),
		T(test_poisoned_ring),
		T(test_bad_pushes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
