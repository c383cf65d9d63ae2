/* virtio-blk requests (VIRTIO 1.2 section 5.2.6), pure: turn a popped
 * descriptor chain into a checked request (header, data iovecs, status
 * byte), answer the requests that need no I/O (GET_ID, unsupported types,
 * refused ones), write the status byte when a request completes, and lay
 * out the device's feature bits and config space (5.2.3, 5.2.4). The guest
 * is hostile: a chain without a readable 16-byte header or without a
 * writable status byte is malformed (the queue is broken); a request that
 * is merely wrong (out of range, write to a read-only disk, data in the
 * wrong direction) completes with VIRTIO_BLK_S_IOERR. */
#ifndef MVR_VIRTIO_BLK_REQ_H
#define MVR_VIRTIO_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_mem.h"
#include "virtio/virtqueue.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_TOPOLOGY     10
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES     20	/* GET_ID string, not NUL-terminated when full */
#define VIRTIO_BLK_DWZ_F_UNMAP  1u	/* discard/write-zeroes segment flags */

#define BLK_HDR_SIZE     16		/* le32 type, le32 reserved, le64 sector */
#define BLK_DWZ_SEG_SIZE 16		/* le64 sector, le32 num_sectors, le32 flags */

/* Limits offered in the config space. */
#define BLK_SEG_MAX        (VQ_MAX_CHAIN - 2)	/* data buffers per request */
#define BLK_SIZE_MAX       (1u << 20)		/* bytes per data buffer */
#define BLK_DWZ_SEG_MAX    8			/* segments per discard/write-zeroes */
#define BLK_DWZ_SECTORS_MAX (1u << 22)		/* sectors per segment (2 GiB) */
#define BLK_DISCARD_ALIGN  8			/* sectors (4 KiB, a hint) */
#define BLK_CONFIG_LEN     60			/* through write_zeroes_may_unmap + pad */

/* Config space offsets (5.2.4). */
#define BLK_CFG_CAPACITY      0
#define BLK_CFG_SIZE_MAX      8
#define BLK_CFG_SEG_MAX       12
#define BLK_CFG_BLK_SIZE      20
#define BLK_CFG_PHYS_EXP      24
#define BLK_CFG_ALIGN_OFFSET  25
#define BLK_CFG_MIN_IO        26
#define BLK_CFG_OPT_IO        28
#define BLK_CFG_NUM_QUEUES    34
#define BLK_CFG_MAX_DISCARD   36
#define BLK_CFG_DISCARD_SEG   40
#define BLK_CFG_DISCARD_ALIGN 44
#define BLK_CFG_MAX_WZ        48
#define BLK_CFG_WZ_SEG        52
#define BLK_CFG_WZ_MAY_UNMAP  56

/* What requests are checked against. */
struct blk_disk {
	uint64_t sectors;		/* capacity in 512-byte sectors */
	uint32_t lbs;			/* logical block size (blk_size) */
	uint32_t pbs;			/* physical block size (topology) */
	bool readonly;
	char serial[VIRTIO_BLK_ID_BYTES]; /* zero-padded */
};

/* One discard/write-zeroes range, in bytes. */
struct blk_seg {
	uint64_t off;
	uint64_t len;
	bool unmap;
};

/* A request between parse and completion. The engine fields at the end
 * belong to blk_io.c. */
struct blk_req {
	uint16_t head;			/* chain id for vq_push() */
	uint32_t type;			/* VIRTIO_BLK_T_* */
	uint8_t status;			/* VIRTIO_BLK_S_* so far */
	uint64_t status_gpa;		/* the chain's last writable byte */
	uint64_t offset;		/* IN/OUT: byte offset in the image */
	uint64_t len;			/* IN/OUT: data bytes */
	uint32_t written;		/* used length for vq_push() */
	unsigned niov;
	struct iovec iov[VQ_MAX_CHAIN];	/* IN/OUT data, host addresses */
	uint64_t iov_gpa[VQ_MAX_CHAIN];	/* the same, guest addresses */
	unsigned nseg;
	struct blk_seg seg[BLK_DWZ_SEG_MAX];
	/* blk_io.c */
	unsigned pending;		/* submitted SQEs not completed */
	void *bounce;			/* aligned copy for unaligned O_DIRECT */
	struct iovec bounce_iov;	/* the one iovec over 'bounce' */
	bool busy;
	/* The data transfer failed as a poisoned guest page makes it fail
	 * (EFAULT, EIO, EHWPOISON, short, a guarded copy's -EIO): the device
	 * has the data buffers (iov_gpa/iov) checked for poisoned pages. */
	bool mem_suspect;
};

struct blk_stats {
	uint64_t reads, writes, flushes, get_ids, discards, write_zeroes;
	uint64_t bytes_read, bytes_written;
	uint64_t unsupported;		/* UNSUPP answers */
	uint64_t io_errors;		/* IOERR answers (guest mistakes included) */
	uint64_t status_lost;		/* status byte could not be written */
};

enum {
	BLK_REQ_IO = 0,			/* submit it (blk_io_submit) */
	BLK_REQ_DONE = 1,		/* answered: complete it now */
};

/* The device features for 'd' (5.2.3): SIZE_MAX, SEG_MAX, BLK_SIZE,
 * TOPOLOGY, FLUSH, and RO for a read-only disk or DISCARD and
 * WRITE_ZEROES for a writable one. */
uint64_t blk_features(const struct blk_disk *d);

/* Fill the BLK_CONFIG_LEN bytes of config space for 'd', little-endian. */
void blk_config(const struct blk_disk *d, uint8_t cfg[BLK_CONFIG_LEN]);

/* Parse chain 'c' into the request fields of 'r' (the engine's are left
 * alone). Returns BLK_REQ_IO (r describes I/O to submit), BLK_REQ_DONE
 * (r->status and r->written are
 * final: GET_ID answered through 'gm', UNSUPP, or IOERR for a refused
 * request), or -EINVAL when the chain's layout is malformed (header not 16
 * readable bytes, no writable status byte, a buffer without a host
 * mapping): the queue is then broken and r must not be completed. */
int blk_req_parse(const struct blk_disk *d, const struct guest_mem *gm,
		  const struct vq_chain *c, struct blk_req *r);

/* Write r->status into the guest's status byte (a failed write is counted
 * in st->status_lost), count the request in 'st' and return the used
 * length to give vq_push(). */
uint32_t blk_req_complete(const struct guest_mem *gm, const struct blk_req *r,
			  struct blk_stats *st);

#endif
