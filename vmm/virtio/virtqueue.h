/* Virtqueue, device side: the split layout (VIRTIO 1.2 section 2.7) and
 * the packed layout (section 2.8, VIRTIO_F_RING_PACKED) behind one
 * interface, so that a device model does not care which one the driver
 * chose: vq_pop() a chain of checked buffers, vq_push() it back with the
 * bytes written, vq_should_notify() after pushing, vq_set_notify() around
 * a drain. Both layouts take direct and indirect descriptors (2.7.5.3,
 * 2.8.7) and suppress notifications with or without the event index
 * (2.7.7/2.7.10, 2.8.10). Pure: guest memory is reached only through
 * struct guest_mem, and nothing the guest wrote is trusted: every ring and
 * buffer address/length is checked against guest RAM with overflow-safe
 * arithmetic, a chain is bounded in length and a descriptor loop is
 * detected. A malformed ring marks the queue broken (the transport then
 * sets DEVICE_NEEDS_RESET); it never crashes the VMM and never touches
 * memory outside guest RAM.
 *
 * Not thread-safe: one owner (the device's I/O context) at a time; the
 * transport serialises setup/reset against it. */
#ifndef MVR_VIRTQUEUE_H
#define MVR_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* Largest queue the transport offers (QueueNumMax); a power of two. */
#define VQ_MAX_SIZE 256
/* Most buffers one chain may have (direct + indirect); longer chains are
 * malformed. Also the iovec count a device gets. */
#define VQ_MAX_CHAIN 128

/* One buffer of a chain: guest-physical range, and whether the device
 * writes it (VIRTQ_DESC_F_WRITE) or reads it. 'hva' is its host mapping
 * (guest_mem map), valid while the guest RAM mapping is. */
struct vq_buf {
	uint64_t gpa;
	uint32_t len;
	bool device_writes;
	void *hva;
};

/* A popped chain: readable buffers first, then writable ones (2.7.4.2:
 * a driver must not put readable after writable; such a chain is
 * malformed). Zero-length descriptors are accepted but not listed in
 * buf[] (every buffer a device sees has len >= 1 and a mapping). */
struct vq_chain {
	uint16_t head;			/* id to give back to vq_push(), < size
					 * (split: the head descriptor; packed:
					 * an in-flight slot) */
	unsigned n;			/* buffers in buf[] */
	unsigned nread;			/* the first nread are device-readable */
	uint64_t read_len;		/* sum of readable lengths */
	uint64_t write_len;		/* sum of writable lengths */
	struct vq_buf buf[VQ_MAX_CHAIN];
};

struct vq_stats {
	uint64_t popped;		/* chains handed to the device */
	uint64_t pushed;		/* used elements published */
	uint64_t notifies;		/* interrupts vq_should_notify() asked for */
	uint64_t malformed;		/* rings found broken */
};

/* A chain of the packed layout handed to the device and not yet pushed
 * back: the driver's Buffer ID and the ring descriptors it occupied. */
struct vq_packed_slot {
	uint16_t id;
	uint16_t ndesc;			/* 0: slot free */
};

/* Packed layout state (2.8.1): both wrap counters start at 1. */
struct vq_packed {
	uint16_t next_avail;		/* ring position of the next driver descriptor */
	uint16_t next_used;		/* ring position of the next used descriptor */
	bool avail_wrap;		/* Driver Ring Wrap Counter as we track it */
	bool used_wrap;			/* Device Ring Wrap Counter */
	uint32_t unsignalled;		/* descriptors used since vq_should_notify() */
	uint16_t nfree;			/* free[0..nfree) are free slots */
	uint16_t free[VQ_MAX_SIZE];
	struct vq_packed_slot slot[VQ_MAX_SIZE];
};

struct virtqueue {
	const struct guest_mem *gm;
	uint16_t size;			/* QueueNum (split: a power of two;
					 * <= VQ_MAX_SIZE) */
	/* Split: descriptor table, available ring, used ring. Packed:
	 * descriptor ring, driver and device event suppression (2.8.10). */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool packed;			/* VIRTIO_F_RING_PACKED layout */
	bool enabled;			/* set by vq_enable(), cleared by vq_reset() */
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool broken;			/* malformed guest input seen */
	bool notify_off;		/* vq_set_notify(false) in effect */
	uint16_t last_avail;		/* next avail ring index to consume */
	uint16_t used_idx;		/* next used ring index to publish */
	uint16_t signalled_used;	/* used_idx at the last vq_should_notify() */
	bool signalled_valid;		/* signalled_used means something */
	struct vq_stats st;
	struct vq_packed pk;		/* packed layout only */
};

/* Zero 'vq' and bind it to guest memory 'gm' (which must provide map()). */
void vq_init(struct virtqueue *vq, const struct guest_mem *gm);

/* Back to the state after vq_init() (device reset, queue disabled);
 * statistics are kept. */
void vq_reset(struct virtqueue *vq);

/* Start the queue with the driver's QueueNum and ring addresses (QueueReady
 * written 1). Checks: size a power of two in 1..VQ_MAX_SIZE, each ring
 * aligned as section 2.7 requires (desc 16, avail 2, used 4) and wholly in
 * guest RAM. Returns 0 or -EINVAL (queue stays disabled). */
int vq_enable(struct virtqueue *vq, uint16_t size, uint64_t desc, uint64_t avail,
	      uint64_t used, bool event_idx, bool indirect);

/* As vq_enable() for the packed layout (2.8): 'desc' the descriptor ring
 * (16-byte aligned, 16 * size bytes), 'driver' and 'device' the driver and
 * device event suppression structures (4-byte aligned, 4 bytes), all in
 * guest RAM; size 1..VQ_MAX_SIZE, not necessarily a power of two. Both
 * wrap counters start at 1. Returns 0 or -EINVAL (queue stays disabled). */
int vq_enable_packed(struct virtqueue *vq, uint16_t size, uint64_t desc, uint64_t driver,
		     uint64_t device, bool event_idx, bool indirect);

/* Take the next available chain into *c. Returns 1 (a chain), 0 (nothing
 * available, or the queue is disabled or broken) or -EINVAL (malformed:
 * bad index, address or length outside RAM, loop, chain too long, readable
 * after writable, indirect without the feature or nested; packed also: a
 * chain longer than the ring, an indirect descriptor inside a chain, more
 * chains available than the ring holds; the queue is then broken and logs
 * one rate-limited warning). */
int vq_pop(struct virtqueue *vq, struct vq_chain *c);

/* Give chain 'head' back with 'written' bytes written into its writable
 * buffers (split: used ring element, then used->idx with a release
 * barrier; packed: a used descriptor with the chain's Buffer ID at the
 * next used position, its flags last with a release barrier, and the
 * position moved on by the descriptors the chain took, flipping the wrap
 * counter at the ring's end; chains may come back in any order).
 * Returns 0, or -EINVAL ('head' >= size, or with packed not a chain in
 * flight; queue disabled/broken; or a guest-memory error: the queue is
 * then broken). */
int vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/* After one or more vq_push(): whether the driver wants an interrupt now
 * (split: avail->flags NO_INTERRUPT, or used_event with EVENT_IDX, section
 * 2.7.10; packed: the driver event suppression flags, or its descriptor
 * offset and wrap counter with EVENT_IDX, 2.8.10). Records the
 * notification when it returns true. */
bool vq_should_notify(struct virtqueue *vq);

/* The event-index test of section 2.7.10: with the index moved from 'old'
 * to 'new_idx', has it passed 'event' (i.e. event is in [old, new_idx))? */
static inline bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Tell the driver whether the device wants QueueNotify writes (split:
 * used->flags NO_NOTIFY, or avail_event = last_avail with EVENT_IDX;
 * packed: device event suppression flags ENABLE or DISABLE). A device that
 * polls its queue until empty disables notifications while it works and
 * re-enables them before a final vq_pop() (the race of section 2.7.10). */
void vq_set_notify(struct virtqueue *vq, bool enable);

#endif
