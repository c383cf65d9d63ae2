/* Opening a virtio-blk image: open flags from the --disk options, an OFD
 * lock (fcntl(2) F_OFD_SETLK over the whole file) against a second VMM,
 * the size from fstat or BLKGETSIZE64, block sizes from BLKSSZGET and
 * BLKPBSZGET (block devices) or st_blksize (files). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/blk_image.h"

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Logical/physical block sizes: 512 unless the device says more. */
static void blk_image_block_sizes(struct blk_image *img, const struct stat *st)
{
	int lbs = 0;
	unsigned int pbs = 0;

	img->lbs = BLK_SECTOR_SIZE;
	img->pbs = BLK_SECTOR_SIZE;
	if (img->blockdev) {
		if (ioctl(img->fd, BLKSSZGET, &lbs) == 0 && lbs >= (int)BLK_SECTOR_SIZE &&
		    lbs <= 65536 && is_pow2((uint64_t)lbs))
			img->lbs = (uint32_t)lbs;
		if (ioctl(img->fd, BLKPBSZGET, &pbs) == 0 && pbs >= img->lbs && pbs <= 65536 &&
		    is_pow2(pbs))
			img->pbs = pbs;
		else
			img->pbs = img->lbs;
	} else if (st->st_blksize >= (blksize_t)BLK_SECTOR_SIZE && st->st_blksize <= 65536 &&
		   is_pow2((uint64_t)st->st_blksize)) {
		img->pbs = (uint32_t)st->st_blksize;
	}
}

/* The reason for the user: 'what', and the system's word for 'err' when
 * it came from a system call. Returns err. */
static int blk_image_why(char *why, size_t len, const char *what, int err, bool syscall)
{
	if (syscall)
		snprintf(why, len, "%s: %s", what, strerror(-err));
	else
		snprintf(why, len, "%s", what);
	return err;
}

int blk_image_open(const struct disk_config *dc, struct blk_image *img, char *why, size_t whylen)
{
	struct flock fl = { .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	int flags = (dc->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	uint64_t size;
	int ret;

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	img->readonly = dc->readonly;
	img->direct = dc->direct;
	if (dc->direct)
		flags |= O_DIRECT;
	img->fd = open(dc->path, flags);
	if (img->fd < 0) {
		ret = -errno;
		if (ret == -EINVAL && dc->direct)
			return blk_image_why(why, whylen,
					     "the file system does not support O_DIRECT (drop ,direct)",
					     ret, false);
		return blk_image_why(why, whylen, "cannot open", ret, true);
	}
	if (fstat(img->fd, &st) < 0) {
		ret = blk_image_why(why, whylen, "cannot stat", -errno, true);
		goto err;
	}
	if (S_ISBLK(st.st_mode)) {
		img->blockdev = true;
		if (ioctl(img->fd, BLKGETSIZE64, &size) < 0) {
			ret = blk_image_why(why, whylen, "cannot read the block device's size",
					    -errno, true);
			goto err;
		}
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else {
		ret = blk_image_why(why, whylen, "not a regular file or block device", -EINVAL,
				    false);
		goto err;
	}
	/* A read lock for ro lets several VMs share a read-only image but
	 * conflicts with any writer's write lock. */
	fl.l_type = dc->readonly ? F_RDLCK : F_WRLCK;
	if (fcntl(img->fd, F_OFD_SETLK, &fl) < 0) {
		ret = -errno;
		if (ret == -EAGAIN || ret == -EACCES)
			ret = blk_image_why(why, whylen,
					    "locked by another process (is another VM using it?)",
					    -EAGAIN, false);
		else
			ret = blk_image_why(why, whylen, "cannot lock", ret, true);
		goto err;
	}
	if (size == 0) {
		ret = blk_image_why(why, whylen, "the image is empty", -EINVAL, false);
		goto err;
	}
	if (size % BLK_SECTOR_SIZE) {
		ret = blk_image_why(why, whylen, "size is not a multiple of 512 bytes", -EINVAL,
				    false);
		goto err;
	}
	img->size = size;
	blk_image_block_sizes(img, &st);
	if (size % img->lbs) {
		ret = blk_image_why(why, whylen,
				    "size is not a multiple of the device's logical block size",
				    -EINVAL, false);
		goto err;
	}
	return 0;
err:
	blk_image_close(img);
	return ret;
}

void blk_image_close(struct blk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}
