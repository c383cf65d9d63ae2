/* Split virtqueue, device side (VIRTIO 1.2 section 2.7): descriptor chains
 * (2.7.5), indirect tables (2.7.5.3), used ring (2.7.8) and notification
 * suppression with or without the event index (2.7.7, 2.7.10); the chain
 * builder both layouts share, and the vq_* entry points, which hand a
 * packed queue to virtqueue_packed.c. Every value the guest wrote is
 * checked before use; a malformed ring breaks the queue.
 * Zero-length descriptors are accepted (they still count towards the chain
 * bounds and the readable-before-writable rule) but left out of buf[]. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "virtio/virtqueue.h"
#include "virtio/virtqueue_impl.h"

/* Available ring (2.7.6): le16 flags, le16 idx, le16 ring[size], le16
 * used_event. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VQ_AVAIL_IDX  2
#define VQ_AVAIL_RING 4

/* Used ring (2.7.8): le16 flags, le16 idx, {le32 id, le32 len}[size], le16
 * avail_event. */
#define VIRTQ_USED_F_NO_NOTIFY 1u
#define VQ_USED_IDX  2
#define VQ_USED_RING 4
#define VQ_USED_ELEM 8

/* Descriptor (2.7.5): le64 addr, le32 len, le16 flags, le16 next. */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Ring byte sizes for a queue of 'size' entries (2.7, table "Virtqueue
 * Part Sizes"). */
static uint64_t vq_desc_bytes(uint16_t size) { return (uint64_t)VQ_DESC_SIZE * size; }
static uint64_t vq_avail_bytes(uint16_t size) { return 6 + 2 * (uint64_t)size; }
static uint64_t vq_used_bytes(uint16_t size) { return 6 + (uint64_t)VQ_USED_ELEM * size; }

/* Mark the queue broken and say why (once per rate-limit window). */
int vq_malformed(struct virtqueue *vq, const char *why)
{
	vq->broken = true;
	vq->st.malformed++;
	pr_warn_rl("virtqueue: %s; queue stopped until device reset", why);
	return -EINVAL;
}

/* 16-bit ring fields through an aligned host variable, so that guest_mem
 * makes one access (guest_mem.h): indexes must not tear. */
int vq_read16(const struct virtqueue *vq, uint64_t gpa, uint16_t *v)
{
	uint16_t raw;
	int r = guest_mem_read(vq->gm, gpa, &raw, sizeof(raw));

	if (r)
		return r;
	*v = get_le16((const uint8_t *)&raw);
	return 0;
}

int vq_write16(const struct virtqueue *vq, uint64_t gpa, uint16_t v)
{
	uint16_t raw;

	put_le16((uint8_t *)&raw, v);
	return guest_mem_write(vq->gm, gpa, &raw, sizeof(raw));
}

static int vq_read_desc(const struct virtqueue *vq, uint64_t table, uint32_t i,
			struct vq_desc *d)
{
	uint8_t b[VQ_DESC_SIZE];
	int r = guest_mem_read(vq->gm, table + (uint64_t)i * VQ_DESC_SIZE, b, sizeof(b));

	if (r)
		return r;
	d->addr = get_le64(b);
	d->len = get_le32(b + 8);
	d->flags = get_le16(b + 12);
	d->next = get_le16(b + 14);
	return 0;
}

void vq_init(struct virtqueue *vq, const struct guest_mem *gm)
{
	memset(vq, 0, sizeof(*vq));
	vq->gm = gm;
}

void vq_reset(struct virtqueue *vq)
{
	struct vq_stats st = vq->st;

	vq_init(vq, vq->gm);
	vq->st = st;
}

/* True when a ring of 'len' bytes at 'gpa' is aligned and wholly in RAM
 * (split: 2.7, table "Virtqueue Part Alignment"; packed: 2.8.10.1). */
bool vq_ring_ok(const struct virtqueue *vq, uint64_t gpa, uint64_t len, uint64_t align)
{
	return IS_ALIGNED(gpa, align) && guest_mem_map(vq->gm, gpa, len);
}

void vq_start(struct virtqueue *vq, uint16_t size, uint64_t desc, uint64_t driver,
	      uint64_t device, bool event_idx, bool indirect)
{
	vq_reset(vq);
	vq->size = size;
	vq->desc_gpa = desc;
	vq->avail_gpa = driver;
	vq->used_gpa = device;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->enabled = true;
}

int vq_enable(struct virtqueue *vq, uint16_t size, uint64_t desc, uint64_t avail,
	      uint64_t used, bool event_idx, bool indirect)
{
	if (!size || size > VQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	/* Alignment: section 2.7, table "Virtqueue Part Alignment". */
	if (!vq_ring_ok(vq, desc, vq_desc_bytes(size), 16) ||
	    !vq_ring_ok(vq, avail, vq_avail_bytes(size), 2) ||
	    !vq_ring_ok(vq, used, vq_used_bytes(size), 4))
		return -EINVAL;
	vq_start(vq, size, desc, avail, used, event_idx, indirect);
	/* The driver has seen used index 0: the event test starts there. */
	vq->signalled_valid = true;
	return 0;
}

/* Switch the walk to the indirect table that descriptor 'd' points to
 * (2.7.5.3.1: only with the feature, never nested, never with NEXT, a
 * whole number of descriptors, wholly in RAM). */
static int vq_enter_indirect(struct virtqueue *vq, struct vq_walk *w, const struct vq_desc *d)
{
	if (!vq->indirect)
		return vq_malformed(vq, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
	if (w->in_indirect)
		return vq_malformed(vq, "indirect descriptor inside an indirect table");
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return vq_malformed(vq, "indirect descriptor with NEXT");
	if (!d->len || d->len % VQ_DESC_SIZE)
		return vq_malformed(vq, "indirect table length not a multiple of 16");
	if (!guest_mem_map(vq->gm, d->addr, d->len))
		return vq_malformed(vq, "indirect table outside guest RAM");
	w->table = d->addr;
	w->entries = d->len / VQ_DESC_SIZE;
	w->visited = 0;
	w->in_indirect = true;
	return 0;
}

void vq_chain_start(struct vq_chain *c, uint16_t head)
{
	c->head = head;
	c->n = c->nread = 0;
	c->read_len = c->write_len = 0;
}

int vq_add_buf(struct virtqueue *vq, struct vq_walk *w, uint64_t addr, uint32_t len,
	       bool writes, struct vq_chain *c)
{
	struct vq_buf *b;
	void *hva;

	if (++w->total > VQ_MAX_CHAIN)
		return vq_malformed(vq, "descriptor chain longer than VQ_MAX_CHAIN");
	if (!writes && w->seen_write)
		return vq_malformed(vq, "readable descriptor after a writable one");
	w->seen_write |= writes;
	if (!len)
		return 0;
	/* map() checks addr + len for overflow and RAM bounds. */
	hva = guest_mem_map(vq->gm, addr, len);
	if (!hva)
		return vq_malformed(vq, "buffer outside guest RAM");
	b = &c->buf[c->n++];
	b->gpa = addr;
	b->len = len;
	b->device_writes = writes;
	b->hva = hva;
	if (writes) {
		c->write_len += len;
	} else {
		c->nread++;
		c->read_len += len;
	}
	return 0;
}

/* Walk the chain starting at descriptor 'head' into *c. */
static int vq_walk_chain(struct virtqueue *vq, uint16_t head, struct vq_chain *c)
{
	struct vq_walk w = { .table = vq->desc_gpa, .entries = vq->size };
	struct vq_desc d;
	uint32_t i = head;
	int r;

	vq_chain_start(c, head);
	for (;;) {
		/* More reads than entries in this table: a loop. */
		if (++w.visited > w.entries)
			return vq_malformed(vq, "descriptor loop");
		if (vq_read_desc(vq, w.table, i, &d))
			return vq_malformed(vq, "descriptor table unreadable");
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			r = vq_enter_indirect(vq, &w, &d);
			if (r)
				return r;
			i = 0;
			continue;
		}
		r = vq_add_buf(vq, &w, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE, c);
		if (r)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= w.entries)
			return vq_malformed(vq, "next descriptor index out of range");
	}
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	uint16_t avail_idx, head;
	uint64_t slot;
	int r;

	if (vq->packed)
		return vq_packed_pop(vq, c);
	if (!vq->enabled || vq->broken)
		return 0;
	if (vq_read16(vq, vq->avail_gpa + VQ_AVAIL_IDX, &avail_idx))
		return vq_malformed(vq, "available ring unreadable");
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return vq_malformed(vq, "available index more than the queue size ahead");
	/* The ring entries the driver published before avail->idx (2.7.13.3). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	slot = vq->avail_gpa + VQ_AVAIL_RING + 2ull * (vq->last_avail & (vq->size - 1));
	if (vq_read16(vq, slot, &head))
		return vq_malformed(vq, "available ring unreadable");
	if (head >= vq->size)
		return vq_malformed(vq, "head descriptor index out of range");
	r = vq_walk_chain(vq, head, c);
	if (r)
		return r;
	vq->last_avail++;
	if (vq->event_idx && !vq->notify_off) {
		/* Ask for a notification at the next buffer (2.7.10); the
		 * full barrier orders this store before the next avail->idx
		 * load, or a buffer added in between could go unnoticed. */
		if (vq_write16(vq, vq->used_gpa + VQ_USED_RING +
			       (uint64_t)VQ_USED_ELEM * vq->size, vq->last_avail))
			return vq_malformed(vq, "used ring unwritable");
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	vq->st.popped++;
	return 1;
}

int vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	uint8_t elem[VQ_USED_ELEM];
	uint64_t slot;

	if (vq->packed)
		return vq_packed_push(vq, head, written);
	if (!vq->enabled || vq->broken || head >= vq->size)
		return -EINVAL;
	slot = vq->used_gpa + VQ_USED_RING + (uint64_t)VQ_USED_ELEM * (vq->used_idx & (vq->size - 1));
	put_le32(elem, head);
	put_le32(elem + 4, written);
	if (guest_mem_write(vq->gm, slot, elem, sizeof(elem)))
		return vq_malformed(vq, "used ring unwritable");
	/* The element before the index that publishes it (2.7.8.2). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (vq_write16(vq, vq->used_gpa + VQ_USED_IDX, (uint16_t)(vq->used_idx + 1)))
		return vq_malformed(vq, "used ring unwritable");
	vq->used_idx++;
	vq->st.pushed++;
	return 0;
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old, v;
	bool valid, need;

	if (vq->packed)
		return vq_packed_should_notify(vq);
	if (!vq->enabled || vq->broken)
		return false;
	/* used->idx must be visible before we read the driver's wish, which
	 * the driver writes before re-reading used->idx (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	if (valid && old == vq->used_idx)
		return false;			/* nothing new since last time */
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (vq->event_idx) {
		if (vq_read16(vq, vq->avail_gpa + VQ_AVAIL_RING + 2ull * vq->size, &v)) {
			vq_malformed(vq, "available ring unreadable");
			return false;
		}
		need = !valid || vq_need_event(v, vq->used_idx, old);
	} else {
		if (vq_read16(vq, vq->avail_gpa, &v)) {
			vq_malformed(vq, "available ring unreadable");
			return false;
		}
		need = !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	if (need)
		vq->st.notifies++;
	return need;
}

void vq_set_notify(struct virtqueue *vq, bool enable)
{
	int r = 0;

	if (vq->packed) {
		vq_packed_set_notify(vq, enable);
		return;
	}
	vq->notify_off = !enable;
	if (!vq->enabled || vq->broken)
		return;
	if (vq->event_idx) {
		/* Disabling needs no write: avail_event stays behind. */
		if (enable)
			r = vq_write16(vq, vq->used_gpa + VQ_USED_RING +
				       (uint64_t)VQ_USED_ELEM * vq->size, vq->last_avail);
	} else {
		r = vq_write16(vq, vq->used_gpa, enable ? 0 : VIRTQ_USED_F_NO_NOTIFY);
	}
	if (r) {
		vq_malformed(vq, "used ring unwritable");
		return;
	}
	/* The caller pops again next: order this store before that load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
