/* Split virtqueue, device side (VIRTIO 1.2 section 2.7): pops descriptor
 * chains the driver made available (direct and indirect descriptors,
 * section 2.7.5.3) and publishes used buffers, with the event-index
 * suppression of section 2.7.7/2.7.10 when negotiated. Pure: guest memory
 * is reached only through struct guest_mem, and nothing the guest wrote is
 * trusted: every ring and buffer address/length is checked against guest
 * RAM with overflow-safe arithmetic, a chain is bounded in length and a
 * descriptor loop is detected. A malformed ring marks the queue broken
 * (the transport then sets DEVICE_NEEDS_RESET); it never crashes the VMM
 * and never touches memory outside guest RAM.
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
	uint16_t head;			/* id to give back to vq_push() */
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

struct virtqueue {
	const struct guest_mem *gm;
	uint16_t size;			/* QueueNum (power of two, <= VQ_MAX_SIZE) */
	uint64_t desc_gpa, avail_gpa, used_gpa;
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

/* Take the next available chain into *c. Returns 1 (a chain), 0 (nothing
 * available, or the queue is disabled or broken) or -EINVAL (malformed:
 * bad index, address or length outside RAM, loop, chain too long, readable
 * after writable, indirect without the feature or nested; the queue is
 * then broken and logs one rate-limited warning). */
int vq_pop(struct virtqueue *vq, struct vq_chain *c);

/* Give chain 'head' back with 'written' bytes written into its writable
 * buffers (used ring element, then used->idx with a release barrier).
 * Returns 0, or -EINVAL (queue disabled/broken, or a guest-memory error:
 * the queue is then broken). */
int vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/* After one or more vq_push(): whether the driver wants an interrupt now
 * (avail->flags NO_INTERRUPT, or used_event with EVENT_IDX, section
 * 2.7.10). Records the notification when it returns true. */
bool vq_should_notify(struct virtqueue *vq);

/* The event-index test of section 2.7.10: with the index moved from 'old'
 * to 'new_idx', has it passed 'event' (i.e. event is in [old, new_idx))? */
static inline bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Tell the driver whether the device wants QueueNotify writes (used->flags
 * NO_NOTIFY, or avail_event = last_avail with EVENT_IDX). A device that
 * polls its queue until empty disables notifications while it works and
 * re-enables them before a final vq_pop() (the race of section 2.7.10). */
void vq_set_notify(struct virtqueue *vq, bool enable);

#endif
