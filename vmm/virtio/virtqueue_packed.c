/* Packed virtqueue, device side (VIRTIO 1.2 section 2.8): one ring of
 * 16-byte descriptors that the driver makes available and the device
 * marks used, told apart by the AVAIL/USED flag bits against the two ring
 * wrap counters (2.8.1); chains by NEXT in ring order (2.8.6), indirect
 * tables (2.8.7), out-of-order completion with one used descriptor per
 * chain (2.8.6), and the driver/device event suppression structures
 * (2.8.10, 2.8.14). Every value the guest wrote is checked before use; a
 * malformed ring breaks the queue (virtqueue_impl.h). */
#include <errno.h>
#include <string.h>

#include "util.h"
#include "virtio/virtqueue.h"
#include "virtio/virtqueue_impl.h"

/* Packed descriptor (2.8.13): le64 addr, le32 len, le16 id, le16 flags. */
#define VQP_LEN   8
#define VQP_ID    12
#define VQP_FLAGS 14

/* Event suppression structure (2.8.14): le16 desc (offset in bits 0..14,
 * wrap counter in bit 15), le16 flags (bits 0..1). */
#define VQP_EVENT_DESC  0
#define VQP_EVENT_FLAGS 2
#define VQP_EVENT_SIZE  4
#define RING_EVENT_FLAGS_ENABLE  0x0u
#define RING_EVENT_FLAGS_DISABLE 0x1u
#define RING_EVENT_FLAGS_DESC    0x2u
#define RING_EVENT_WRAP_BIT      15

struct vqp_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

static int vqp_read_desc(const struct virtqueue *vq, uint64_t gpa, struct vqp_desc *d)
{
	uint8_t b[VQ_DESC_SIZE];
	int r = guest_mem_read(vq->gm, gpa, b, sizeof(b));

	if (r)
		return r;
	d->addr = get_le64(b);
	d->len = get_le32(b + VQP_LEN);
	d->id = get_le16(b + VQP_ID);
	d->flags = get_le16(b + VQP_FLAGS);
	return 0;
}

static uint64_t vqp_desc_gpa(const struct virtqueue *vq, uint16_t pos)
{
	return vq->desc_gpa + (uint64_t)VQ_DESC_SIZE * pos;
}

/* Advance ring position *pos by n (<= size), flipping *wrap at the end. */
static void vqp_advance(const struct virtqueue *vq, uint16_t *pos, bool *wrap, uint16_t n)
{
	uint32_t p = (uint32_t)*pos + n;

	if (p >= vq->size) {
		p -= vq->size;
		*wrap = !*wrap;
	}
	*pos = (uint16_t)p;
}

/* A descriptor is available when AVAIL matches the driver's wrap counter
 * and USED does not (2.8.1). */
static bool vqp_is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & VIRTQ_DESC_F_AVAIL) == wrap && !!(flags & VIRTQ_DESC_F_USED) != wrap;
}

int vq_enable_packed(struct virtqueue *vq, uint16_t size, uint64_t desc, uint64_t driver,
		     uint64_t device, bool event_idx, bool indirect)
{
	unsigned i;

	/* The queue size need not be a power of two (2.8.10.1). */
	if (!size || size > VQ_MAX_SIZE)
		return -EINVAL;
	if (!vq_ring_ok(vq, desc, (uint64_t)VQ_DESC_SIZE * size, 16) ||
	    !vq_ring_ok(vq, driver, VQP_EVENT_SIZE, 4) ||
	    !vq_ring_ok(vq, device, VQP_EVENT_SIZE, 4))
		return -EINVAL;
	vq_start(vq, size, desc, driver, device, event_idx, indirect);
	vq->packed = true;
	/* Both wrap counters start at 1 (2.8.1). */
	vq->pk.avail_wrap = vq->pk.used_wrap = true;
	/* Slots handed out lowest first. */
	for (i = 0; i < size; i++)
		vq->pk.free[i] = (uint16_t)(size - 1 - i);
	vq->pk.nfree = size;
	return 0;
}

/* The buffers of indirect table 'd' (2.8.7): a whole number of packed
 * descriptors in RAM, used in table order; WRITE is the only flag that
 * counts, the others and the Buffer IDs are reserved and ignored. */
static int vqp_walk_indirect(struct virtqueue *vq, struct vq_walk *w, const struct vqp_desc *d,
			     struct vq_chain *c)
{
	struct vqp_desc e;
	uint32_t i, n;
	int r;

	if (!vq->indirect)
		return vq_malformed(vq, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
	if (!d->len || d->len % VQ_DESC_SIZE)
		return vq_malformed(vq, "indirect table length not a multiple of 16");
	if (!guest_mem_map(vq->gm, d->addr, d->len))
		return vq_malformed(vq, "indirect table outside guest RAM");
	n = d->len / VQ_DESC_SIZE;
	/* vq_add_buf() stops the walk after VQ_MAX_CHAIN entries. */
	for (i = 0; i < n; i++) {
		if (vqp_read_desc(vq, d->addr + (uint64_t)VQ_DESC_SIZE * i, &e))
			return vq_malformed(vq, "indirect table unreadable");
		r = vq_add_buf(vq, w, e.addr, e.len, e.flags & VIRTQ_DESC_F_WRITE, c);
		if (r)
			return r;
	}
	return 0;
}

/* Walk the chain whose first descriptor is at next_avail into *c: its
 * Buffer ID (from the last descriptor, 2.8.6) in *id, the ring descriptors
 * it takes in *ndesc. */
static int vqp_walk_chain(struct virtqueue *vq, struct vq_chain *c, uint16_t *id, uint16_t *ndesc)
{
	struct vq_walk w = { 0 };
	uint16_t pos = vq->pk.next_avail;
	bool wrap = vq->pk.avail_wrap;
	struct vqp_desc d;
	unsigned n = 0;
	int r;

	for (;;) {
		/* A list is at most Queue Size long (2.8.17): more is a
		 * driver going round the ring. */
		if (++n > vq->size)
			return vq_malformed(vq, "descriptor chain longer than the ring");
		if (vqp_read_desc(vq, vqp_desc_gpa(vq, pos), &d))
			return vq_malformed(vq, "descriptor ring unreadable");
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* An indirect descriptor is a list on its own, never
			 * part of a NEXT chain (2.8.19). */
			if (n != 1 || (d.flags & VIRTQ_DESC_F_NEXT))
				return vq_malformed(vq, "indirect descriptor in a chain");
			r = vqp_walk_indirect(vq, &w, &d, c);
		} else {
			r = vq_add_buf(vq, &w, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE, c);
		}
		if (r)
			return r;
		vqp_advance(vq, &pos, &wrap, 1);
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
	}
	*id = d.id;
	*ndesc = (uint16_t)n;
	return 0;
}

int vq_packed_pop(struct virtqueue *vq, struct vq_chain *c)
{
	struct vq_packed *pk = &vq->pk;
	uint16_t flags, id = 0, ndesc = 0, slot;
	int r;

	if (!vq->enabled || vq->broken)
		return 0;
	if (vq_read16(vq, vqp_desc_gpa(vq, pk->next_avail) + VQP_FLAGS, &flags))
		return vq_malformed(vq, "descriptor ring unreadable");
	if (!vqp_is_avail(flags, pk->avail_wrap))
		return 0;
	/* The rest of the chain the driver wrote before these flags
	 * (2.8.21.1). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	/* Every slot in flight means every ring descriptor is ours: a
	 * driver that makes more available rewrote ones it had not got
	 * back. */
	if (!pk->nfree)
		return vq_malformed(vq, "more chains available than the ring holds");
	slot = pk->free[pk->nfree - 1];
	vq_chain_start(c, slot);
	r = vqp_walk_chain(vq, c, &id, &ndesc);
	if (r)
		return r;
	pk->nfree--;
	pk->slot[slot] = (struct vq_packed_slot){ .id = id, .ndesc = ndesc };
	vqp_advance(vq, &pk->next_avail, &pk->avail_wrap, ndesc);
	vq->st.popped++;
	return 1;
}

int vq_packed_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	struct vq_packed *pk = &vq->pk;
	uint64_t gpa = vqp_desc_gpa(vq, pk->next_used);
	struct vq_packed_slot s;
	uint8_t b[6];
	uint16_t flags;

	if (!vq->enabled || vq->broken || head >= vq->size || !pk->slot[head].ndesc)
		return -EINVAL;
	s = pk->slot[head];
	/* Used descriptor (2.8.6): len and Buffer ID, then the flags
	 * that hand it over: AVAIL and USED both equal to the Device Ring
	 * Wrap Counter, WRITE when the device wrote data (2.8.3). */
	put_le32(b, written);
	put_le16(b + 4, s.id);
	if (guest_mem_write(vq->gm, gpa + VQP_LEN, b, sizeof(b)))
		return vq_malformed(vq, "descriptor ring unwritable");
	flags = pk->used_wrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0;
	if (written)
		flags |= VIRTQ_DESC_F_WRITE;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (vq_write16(vq, gpa + VQP_FLAGS, flags))
		return vq_malformed(vq, "descriptor ring unwritable");
	/* The driver skips the rest of the chain's descriptors (2.8.6). */
	vqp_advance(vq, &pk->next_used, &pk->used_wrap, s.ndesc);
	pk->unsignalled += s.ndesc;
	pk->slot[head].ndesc = 0;
	pk->free[pk->nfree++] = head;
	vq->st.pushed++;
	return 0;
}

/* With EVENT_IDX and RING_EVENT_FLAGS_DESC: did the used positions
 * [next_used - adv, next_used) pass the driver's event descriptor
 * 'off_wrap' (2.8.10)? An event of the previous lap (wrap counter not the
 * current one) counts from one ring length back. */
static bool vqp_need_event(const struct virtqueue *vq, uint16_t off_wrap, uint32_t adv)
{
	uint16_t event = off_wrap & ~(1u << RING_EVENT_WRAP_BIT);
	bool wrap = off_wrap >> RING_EVENT_WRAP_BIT;
	uint16_t now = vq->pk.next_used;

	if (adv >= vq->size)
		return true;		/* the whole ring went by */
	if (wrap != vq->pk.used_wrap)
		event = (uint16_t)(event - vq->size);
	return vq_need_event(event, now, (uint16_t)(now - adv));
}

bool vq_packed_should_notify(struct virtqueue *vq)
{
	uint16_t off_wrap, flags;
	uint32_t adv;
	bool need;

	if (!vq->enabled || vq->broken)
		return false;
	/* The used flags must be visible before we read the driver's wish,
	 * which it writes before re-checking the ring (2.8.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	adv = vq->pk.unsignalled;
	if (!adv)
		return false;			/* nothing new since last time */
	vq->pk.unsignalled = 0;
	if (vq_read16(vq, vq->avail_gpa + VQP_EVENT_DESC, &off_wrap) ||
	    vq_read16(vq, vq->avail_gpa + VQP_EVENT_FLAGS, &flags)) {
		vq_malformed(vq, "driver event suppression unreadable");
		return false;
	}
	switch (flags & 3) {
	case RING_EVENT_FLAGS_DISABLE:
		need = false;
		break;
	case RING_EVENT_FLAGS_DESC:
		/* Only meaningful with EVENT_IDX; otherwise (and for the
		 * reserved value 3) notify rather than lose an event. */
		need = !vq->event_idx || vqp_need_event(vq, off_wrap, adv);
		break;
	default:
		need = true;
		break;
	}
	if (need)
		vq->st.notifies++;
	return need;
}

void vq_packed_set_notify(struct virtqueue *vq, bool enable)
{
	vq->notify_off = !enable;
	if (!vq->enabled || vq->broken)
		return;
	/* ENABLE/DISABLE also with EVENT_IDX: the device wants every
	 * notification while it waits (2.8.10). */
	if (vq_write16(vq, vq->used_gpa + VQP_EVENT_FLAGS,
		       enable ? RING_EVENT_FLAGS_ENABLE : RING_EVENT_FLAGS_DISABLE)) {
		vq_malformed(vq, "device event suppression unwritable");
		return;
	}
	/* The caller pops again next: order this store before that load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
