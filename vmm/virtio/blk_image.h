/* A virtio-blk backing image: a raw file or a block device, opened for
 * one --disk (O_RDONLY for ro, O_DIRECT with ,direct), locked with an OFD
 * lock (write lock, read lock for ro) so that two VMs cannot share one
 * writable image, and sized (BLKGETSIZE64 for block devices). Pure of the
 * virtio transport and of KVM. */
#ifndef MVR_VIRTIO_BLK_IMAGE_H
#define MVR_VIRTIO_BLK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm_config.h"

#define BLK_SECTOR_SIZE 512u

struct blk_image {
	int fd;			/* -1 when closed */
	uint64_t size;		/* bytes, a non-zero multiple of 512 */
	uint32_t lbs;		/* logical block size (512, or the device's) */
	uint32_t pbs;		/* physical block size (>= lbs, power of two) */
	bool readonly;
	bool direct;
	bool blockdev;
};

#define BLK_IMAGE_WHY_LEN 128

/* Open, lock and size the image of 'dc' into 'img'. Returns 0, or a
 * negative errno with 'why' (whylen bytes) set to the reason for the user
 * ("cannot open: No such file or directory", "locked by another process
 * ...", "size is not a multiple of 512 bytes"; the caller adds the path and
 * prints one line). Images whose
 * size is not a multiple of 512 bytes are refused, not rounded down: the
 * tail would be invisible to the guest. */
int blk_image_open(const struct disk_config *dc, struct blk_image *img, char *why, size_t whylen);

/* Close (and so unlock) the image; a closed image is left alone. */
void blk_image_close(struct blk_image *img);

#endif
