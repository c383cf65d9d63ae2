/* virtio-blk I/O on io_uring (liburing): a request pool, SQEs per request
 * type, completion handling (short transfers and errors such as EFAULT/EIO
 * from a poisoned guest page fail that request only and mark it for the
 * device's poison check, r->mem_suspect), the write-zeroes
 * fallback from ZERO_RANGE to PUNCH_HOLE, O_DIRECT bounce buffers for
 * unaligned guest buffers, and draining at reset. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "virtio/blk_io.h"

/* user_data: request index (bits 0-15), segment (16-23), kind (24-31). */
enum sqe_kind { K_RW = 1, K_FSYNC, K_ZERO, K_PUNCH };
#define UD(idx, seg, kind) ((uint64_t)(idx) | (uint64_t)(seg) << 16 | (uint64_t)(kind) << 24)
#define UD_IDX(ud)  ((unsigned)((ud) & 0xffff))
#define UD_SEG(ud)  ((unsigned)(((ud) >> 16) & 0xff))
#define UD_KIND(ud) ((unsigned)(((ud) >> 24) & 0xff))

struct blk_io {
	struct io_uring ring;
	int fd;
	unsigned depth;
	uint32_t dio_align;
	const struct guest_mem *gm;
	unsigned inflight;		/* submitted requests not finished */
	struct blk_req *reqs;		/* depth slots */
	unsigned *free_slots;		/* stack of free indices */
	unsigned nfree;
	struct blk_io_stats st;
};

struct blk_io *blk_io_create(int fd, unsigned depth, uint32_t dio_align,
			     const struct guest_mem *gm, int efd)
{
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE };
	struct blk_io *io;
	unsigned i;
	int ret;

	if (!depth || depth > 0xffff) {
		errno = EINVAL;
		return NULL;
	}
	io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->fd = fd;
	io->depth = depth;
	io->dio_align = dio_align;
	io->gm = gm;
	io->reqs = calloc(depth, sizeof(*io->reqs));
	io->free_slots = calloc(depth, sizeof(*io->free_slots));
	if (!io->reqs || !io->free_slots) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < depth; i++)
		io->free_slots[i] = depth - 1 - i;
	io->nfree = depth;
	/* Every segment of every request may be in flight at once. */
	p.cq_entries = depth * BLK_DWZ_SEG_MAX;
	ret = io_uring_queue_init_params(depth, &io->ring, &p);
	if (ret < 0)
		goto err;
	if (efd >= 0) {
		ret = io_uring_register_eventfd(&io->ring, efd);
		if (ret < 0) {
			io_uring_queue_exit(&io->ring);
			goto err;
		}
	}
	return io;
err:
	free(io->reqs);
	free(io->free_slots);
	free(io);
	errno = -ret;
	return NULL;
}

void blk_io_destroy(struct blk_io *io)
{
	if (!io)
		return;
	blk_io_drain(io);
	io_uring_queue_exit(&io->ring);
	free(io->reqs);
	free(io->free_slots);
	free(io);
}

struct blk_req *blk_io_get_req(struct blk_io *io)
{
	struct blk_req *r;

	if (!io->nfree)
		return NULL;
	r = &io->reqs[io->free_slots[--io->nfree]];
	r->busy = true;
	r->pending = 0;
	r->bounce = NULL;
	r->mem_suspect = false;
	return r;
}

void blk_io_put_req(struct blk_io *io, struct blk_req *r)
{
	if (!r->busy)
		return;
	free(r->bounce);
	r->bounce = NULL;
	r->busy = false;
	io->free_slots[io->nfree++] = (unsigned)(r - io->reqs);
}

static struct io_uring_sqe *blk_io_sqe(struct blk_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);

	if (!sqe) {
		io_uring_submit(&io->ring);
		sqe = io_uring_get_sqe(&io->ring);
	}
	return sqe;
}

static bool blk_io_aligned(const struct blk_io *io, const struct blk_req *r)
{
	unsigned i;

	for (i = 0; i < r->niov; i++)
		if (!IS_ALIGNED((uintptr_t)r->iov[i].iov_base, io->dio_align) ||
		    !IS_ALIGNED(r->iov[i].iov_len, io->dio_align))
			return false;
	return true;
}

/* O_DIRECT with unaligned guest buffers: one aligned buffer instead; an
 * OUT request's data is copied in now (guarded). 0 or -errno. */
static int blk_io_bounce(struct blk_io *io, struct blk_req *r)
{
	uint8_t *p;
	unsigned i;

	if (r->len > BLK_BOUNCE_MAX ||
	    posix_memalign(&r->bounce, MAX(io->dio_align, 4096u), r->len))
		return -ENOMEM;
	if (r->type == VIRTIO_BLK_T_OUT) {
		for (i = 0, p = r->bounce; i < r->niov; p += r->iov[i].iov_len, i++) {
			if (guest_mem_read(io->gm, r->iov_gpa[i], p, r->iov[i].iov_len)) {
				r->mem_suspect = true;
				return -EFAULT;
			}
		}
	}
	r->bounce_iov = (struct iovec){ r->bounce, r->len };
	io->st.bounced++;
	return 0;
}

/* One fallocate SQE for segment 'seg': write zeroes tries ZERO_RANGE
 * first unless the driver allowed unmapping; discard punches. */
static int blk_io_prep_falloc(struct blk_io *io, struct blk_req *r, unsigned seg, unsigned kind)
{
	struct io_uring_sqe *sqe = blk_io_sqe(io);
	int mode = kind == K_ZERO ? FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE
				  : FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fallocate(sqe, io->fd, mode, (off_t)r->seg[seg].off, (off_t)r->seg[seg].len);
	io_uring_sqe_set_data64(sqe, UD(r - io->reqs, seg, kind));
	r->pending++;
	return 0;
}

int blk_io_submit(struct blk_io *io, struct blk_req *r)
{
	unsigned idx = (unsigned)(r - io->reqs), i;
	const struct iovec *iov = r->iov;
	struct io_uring_sqe *sqe;
	unsigned niov = r->niov;

	r->pending = 0;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (io->dio_align && !blk_io_aligned(io, r)) {
			if (blk_io_bounce(io, r))
				goto fail;
			iov = &r->bounce_iov;
			niov = 1;
		}
		sqe = blk_io_sqe(io);
		if (!sqe)
			goto fail;
		if (r->type == VIRTIO_BLK_T_IN)
			io_uring_prep_readv(sqe, io->fd, iov, niov, r->offset);
		else
			io_uring_prep_writev(sqe, io->fd, iov, niov, r->offset);
		io_uring_sqe_set_data64(sqe, UD(idx, 0, K_RW));
		r->pending = 1;
		break;
	case VIRTIO_BLK_T_FLUSH:
		/* Completes once everything written before is durable. */
		sqe = blk_io_sqe(io);
		if (!sqe)
			goto fail;
		io_uring_prep_fsync(sqe, io->fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, UD(idx, 0, K_FSYNC));
		r->pending = 1;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		for (i = 0; i < r->nseg; i++) {
			unsigned kind = r->type == VIRTIO_BLK_T_WRITE_ZEROES && !r->seg[i].unmap ?
					K_ZERO : K_PUNCH;

			if (blk_io_prep_falloc(io, r, i, kind)) {
				r->status = VIRTIO_BLK_S_IOERR;
				break;
			}
		}
		if (!r->pending)
			goto fail;
		break;
	default:
		goto fail;
	}
	io->inflight++;
	io->st.submitted++;
	return 0;
fail:
	r->status = VIRTIO_BLK_S_IOERR;
	r->written = 1;
	io->st.failed++;
	return 1;
}

int blk_io_kick(struct blk_io *io)
{
	int ret = io_uring_submit(&io->ring);

	return ret < 0 ? ret : 0;
}

/* Could a poisoned guest page explain a data transfer ending with 'res'?
 * The kernel's copy fails with EFAULT (buffered) or EHWPOISON (O_DIRECT's
 * page pinning), a copy that got part way is short, and EIO covers both a
 * disk error and a poisoned page: the RAS runtime tells them apart. */
static bool blk_io_poison_like(int res)
{
	return res >= 0 || res == -EFAULT || res == -EIO || res == -EHWPOISON;
}

static void blk_io_fail(struct blk_io *io, struct blk_req *r, int res)
{
	if (r->status == VIRTIO_BLK_S_OK)
		io->st.failed++;
	r->status = VIRTIO_BLK_S_IOERR;
	if (res < 0)
		pr_warn_rl("virtio-blk: request failed: %s%s", strerror(-res),
			   blk_io_poison_like(res) ? " (guest buffer poisoned?)" : "");
	else
		pr_warn_rl("virtio-blk: short transfer of %d bytes", res);
}

/* The last SQE of r completed: report it (unless dropping) and free it. */
static void blk_io_finish(struct blk_io *io, struct blk_req *r, blk_io_done_fn done,
			  void *opaque)
{
	bool in_ok = r->type == VIRTIO_BLK_T_IN && r->status == VIRTIO_BLK_S_OK;
	uint8_t *p = r->bounce;
	unsigned i;

	io->inflight--;
	if (!done) {
		io->st.dropped++;
		blk_io_put_req(io, r);
		return;
	}
	if (in_ok && p) {
		for (i = 0; i < r->niov; p += r->iov[i].iov_len, i++) {
			if (guest_mem_write(io->gm, r->iov_gpa[i], p, r->iov[i].iov_len)) {
				blk_io_fail(io, r, -EFAULT);
				r->mem_suspect = true;
				in_ok = false;
				break;
			}
		}
	}
	r->written = in_ok ? (uint32_t)r->len + 1 : 1;
	done(opaque, r);
	blk_io_put_req(io, r);
}

static void blk_io_cqe(struct blk_io *io, const struct io_uring_cqe *cqe, blk_io_done_fn done,
		       void *opaque)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	unsigned idx = UD_IDX(ud), seg = UD_SEG(ud);
	int res = cqe->res;
	struct blk_req *r;

	if (idx >= io->depth || !io->reqs[idx].busy || !io->reqs[idx].pending)
		return;
	r = &io->reqs[idx];
	switch (UD_KIND(ud)) {
	case K_RW:
		if (res < 0 || (uint64_t)res != r->len) {
			blk_io_fail(io, r, res);
			r->mem_suspect = r->mem_suspect || blk_io_poison_like(res);
		}
		break;
	case K_ZERO:
		/* No ZERO_RANGE here (tmpfs, some block devices): a punched
		 * hole reads as zeroes too. */
		if ((res == -EOPNOTSUPP || res == -EINVAL) && done && seg < r->nseg &&
		    !blk_io_prep_falloc(io, r, seg, K_PUNCH)) {
			r->pending--;
			return;
		}
		if (res < 0)
			blk_io_fail(io, r, res);
		break;
	case K_PUNCH:
		/* Discard is a hint: a file system that cannot punch holes
		 * has still done what the driver may rely on. */
		if (res < 0 && !(res == -EOPNOTSUPP && r->type == VIRTIO_BLK_T_DISCARD))
			blk_io_fail(io, r, res);
		break;
	default:
		if (res < 0)
			blk_io_fail(io, r, res);
	}
	if (--r->pending == 0)
		blk_io_finish(io, r, done, opaque);
}

unsigned blk_io_reap(struct blk_io *io, blk_io_done_fn done, void *opaque)
{
	struct io_uring_cqe *cqe;
	uint64_t before = io->st.submitted - io->inflight;

	while (io_uring_peek_cqe(&io->ring, &cqe) == 0) {
		blk_io_cqe(io, cqe, done, opaque);
		io_uring_cqe_seen(&io->ring, cqe);
	}
	return (unsigned)(io->st.submitted - io->inflight - before);
}

void blk_io_drain(struct blk_io *io)
{
	struct io_uring_cqe *cqe;
	int ret;

	while (io->inflight) {
		ret = io_uring_submit_and_wait(&io->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			pr_err("virtio-blk: cannot wait for %u requests in flight: %s",
			       io->inflight, strerror(-ret));
			return;
		}
		while (io_uring_peek_cqe(&io->ring, &cqe) == 0) {
			blk_io_cqe(io, cqe, NULL, NULL);
			io_uring_cqe_seen(&io->ring, cqe);
		}
	}
}

unsigned blk_io_inflight(const struct blk_io *io)
{
	return io->inflight;
}

void blk_io_get_stats(const struct blk_io *io, struct blk_io_stats *st)
{
	*st = io->st;
}
