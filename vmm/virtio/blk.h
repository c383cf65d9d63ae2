/* virtio-blk device (VIRTIO 1.2 section 5.2) on the virtio-mmio transport:
 * one request queue served by io_uring from the main event loop. One
 * instance per --disk; board.c lists it with d->param = its struct
 * disk_config. Without CONFIG_VIRTIO the class is NULL (stubs below). */
#ifndef MVR_VIRTIO_BLK_H
#define MVR_VIRTIO_BLK_H

#include <errno.h>

#include "devices/device.h"
#include "vm_config.h"

struct virtio_blk;

/* Counters of one disk (for query-vm and tests). */
struct virtio_blk_stats {
	uint64_t reads, writes, flushes, get_ids, discards, write_zeroes;
	uint64_t bytes_read, bytes_written;
	uint64_t unsupported, io_errors, malformed, inflight;
	uint64_t poisoned;	/* poisoned pages in failed requests' buffers */
};

/* Bytes of a failed request's buffers checked for poisoned pages. */
#define BLK_POISON_CHECK_MAX (16u << 20)

#ifdef CONFIG_VIRTIO
extern const struct dev_class virtio_blk_class;

static inline const struct dev_class *virtio_blk_dev_class(void)
{
	return &virtio_blk_class;
}

/* Check before anything else is set up that disk 'dc' can be served:
 * open, lock, size, then close. Logs one error line naming the path and
 * returns -errno on failure. */
int virtio_blk_check(const struct disk_config *dc);

/* Counters of the disk whose device state is 'b' (device.opaque). */
void virtio_blk_get_stats(struct virtio_blk *b, struct virtio_blk_stats *st);
#else
static inline const struct dev_class *virtio_blk_dev_class(void)
{
	return NULL;
}

static inline int virtio_blk_check(const struct disk_config *dc)
{
	return -ENOTSUP;
}
#endif

#endif
