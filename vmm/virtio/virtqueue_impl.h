/* What the split (virtqueue.c) and packed (virtqueue_packed.c) halves of
 * the virtqueue share: the broken-ring report, 16-bit ring accesses and
 * the chain builder that checks every buffer against guest RAM. Private to
 * those two files; devices use virtqueue.h only. */
#ifndef MVR_VIRTQUEUE_IMPL_H
#define MVR_VIRTQUEUE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtqueue.h"

/* Descriptor flags of both layouts (2.7.5, 2.8.2-2.8.4). */
#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u
#define VIRTQ_DESC_F_INDIRECT 4u
/* Packed layout only (2.8.1): the ring wrap counter bits. */
#define VIRTQ_DESC_F_AVAIL    (1u << 7)
#define VIRTQ_DESC_F_USED     (1u << 15)
/* Both descriptor formats are 16 bytes. */
#define VQ_DESC_SIZE 16

/* Where a chain walk is: the table being read (split) and the checks that
 * span the whole chain (both layouts). */
struct vq_walk {
	uint64_t table;
	uint32_t entries;
	uint32_t visited;	/* descriptors read from this table */
	bool in_indirect;
	bool seen_write;	/* a device-writable descriptor came before */
	unsigned total;		/* descriptors (not tables) in the chain */
};

/* True when a ring part of 'len' bytes at 'gpa' is 'align'-aligned and
 * wholly in guest RAM. */
bool vq_ring_ok(const struct virtqueue *vq, uint64_t gpa, uint64_t len, uint64_t align);

/* Reset the queue (its counters kept) and enable it on the checked ring
 * parts: descriptors, then the driver and device areas (split: available
 * and used rings; packed: the event suppression structures). */
void vq_start(struct virtqueue *vq, uint16_t size, uint64_t desc, uint64_t driver,
	      uint64_t device, bool event_idx, bool indirect);

/* Mark the queue broken, count it, warn (rate-limited); returns -EINVAL. */
int vq_malformed(struct virtqueue *vq, const char *why);

/* One 16-bit little-endian ring field as a single access. 0 or -errno. */
int vq_read16(const struct virtqueue *vq, uint64_t gpa, uint16_t *v);
int vq_write16(const struct virtqueue *vq, uint64_t gpa, uint16_t v);

/* Empty chain 'c' with id 'head'. */
void vq_chain_start(struct vq_chain *c, uint16_t head);

/* Add the buffer [addr, addr+len) to chain c: bounded by VQ_MAX_CHAIN
 * descriptors (zero-length ones included), readable before writable,
 * wholly in guest RAM (zero-length buffers are counted, not listed).
 * 0, or vq_malformed()'s -EINVAL. */
int vq_add_buf(struct virtqueue *vq, struct vq_walk *w, uint64_t addr, uint32_t len,
	       bool writes, struct vq_chain *c);

/* The packed layout (virtqueue_packed.c); the public vq_* functions
 * dispatch to these when vq->packed. Same contracts. */
int vq_packed_pop(struct virtqueue *vq, struct vq_chain *c);
int vq_packed_push(struct virtqueue *vq, uint16_t head, uint32_t written);
bool vq_packed_should_notify(struct virtqueue *vq);
void vq_packed_set_notify(struct virtqueue *vq, bool enable);

#endif
