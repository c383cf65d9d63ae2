/* The virtio-blk I/O engine: one io_uring per disk, a pool of requests
 * (one per possible chain), and the SQEs each request type needs: READV /
 * WRITEV into the guest's buffers (zero copy), FSYNC (datasync) for FLUSH,
 * FALLOCATE (PUNCH_HOLE|KEEP_SIZE for discard, ZERO_RANGE or PUNCH_HOLE for
 * write zeroes). Completions are signalled on an eventfd registered with the
 * ring. Pure of the virtio transport: requests come from blk_req_parse()
 * and go back through a callback. Single-threaded: the caller serialises
 * (the transport lock). */
#ifndef MVR_VIRTIO_BLK_IO_H
#define MVR_VIRTIO_BLK_IO_H

#include <stdint.h>

#include "guest_mem.h"
#include "virtio/blk_req.h"

/* Largest data length bounced through an aligned buffer when an O_DIRECT
 * request's buffers are not aligned; longer ones fail with IOERR. */
#define BLK_BOUNCE_MAX (16u << 20)

struct blk_io;

struct blk_io_stats {
	uint64_t submitted;		/* requests handed to the kernel */
	uint64_t failed;		/* requests whose I/O failed or was short */
	uint64_t bounced;		/* O_DIRECT requests copied for alignment */
	uint64_t dropped;		/* in flight at a reset: finished, not reported */
};

/* A request finished: r->status and r->written are final; the callee
 * completes it (blk_req_complete + vq_push). r is recycled on return. */
typedef void (*blk_io_done_fn)(void *opaque, struct blk_req *r);

/* Engine for image 'fd' with up to 'depth' requests in flight. 'dio_align'
 * is the O_DIRECT alignment of buffer addresses and lengths (0: buffered
 * I/O). 'gm' serves bounce copies. 'efd' (may be -1) is registered as the
 * ring's completion eventfd. Returns NULL with errno set. */
struct blk_io *blk_io_create(int fd, unsigned depth, uint32_t dio_align,
			     const struct guest_mem *gm, int efd);

/* Wait for every request in flight (blk_io_drain), then free. */
void blk_io_destroy(struct blk_io *io);

/* A free request slot, or NULL when 'depth' are in use. */
struct blk_req *blk_io_get_req(struct blk_io *io);
/* Give back a slot that was not submitted (answered at parse time). */
void blk_io_put_req(struct blk_io *io, struct blk_req *r);

/* Queue the SQEs of a parsed BLK_REQ_IO request (sent to the kernel by
 * blk_io_kick or when the SQ ring fills). Returns 0 (queued; the callback
 * reports it later) or 1 (failed before any I/O: r->status is IOERR and the
 * caller completes it and puts the slot back). */
int blk_io_submit(struct blk_io *io, struct blk_req *r);

/* Send queued SQEs to the kernel. 0 or -errno. */
int blk_io_kick(struct blk_io *io);

/* Handle every completion already posted, without waiting: finished
 * requests go to 'done'. Returns how many requests finished. */
unsigned blk_io_reap(struct blk_io *io, blk_io_done_fn done, void *opaque);

/* Device reset: wait until no request is in flight; their results are
 * dropped (no callback, nothing written to the guest), so once this returns
 * the kernel no longer touches the guest's buffers. */
void blk_io_drain(struct blk_io *io);

/* Requests in flight. */
unsigned blk_io_inflight(const struct blk_io *io);
void blk_io_get_stats(const struct blk_io *io, struct blk_io_stats *st);

#endif
