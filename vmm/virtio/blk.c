/* virtio-blk device (VIRTIO 1.2 section 5.2): the glue between the
 * virtio-mmio transport, the request parser (blk_req.c) and the io_uring
 * engine (blk_io.c). QueueNotify (a vCPU thread) only writes an eventfd;
 * that eventfd is also the ring's completion eventfd, so one main-loop
 * callback, under the transport lock, reaps completions (status byte,
 * vq_push), pops new chains with notifications off until the queue is
 * empty, submits their I/O, and raises one interrupt per batch. A request
 * that failed on a guest buffer has its pages checked for poison through
 * dev_env.report_poison (the RAS runtime, with --ras). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/blk_image.h"
#include "virtio/blk_io.h"
#include "virtio/blk_req.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

struct virtio_blk {
	struct virtio_vdev vdev;	/* first: device.opaque (vdev.h) */
	struct virtio_dev_ops ops;	/* features depend on the disk */
	const struct guest_mem *gm;
	const char *path;
	struct blk_image img;
	struct blk_disk disk;
	struct blk_io *io;
	int efd;			/* QueueNotify and completions */
	void (*unwatch_fd)(void *opaque, int fd);
	void *loop_opaque;
	/* dev_env.report_poison (NULL without --ras) and its opaque. */
	int (*report_poison)(void *opaque, uint64_t gpa, uint64_t len);
	void *report_opaque;
	uint64_t poisoned;		/* pages the hook found poisoned */
	bool active;			/* DRIVER_OK, until reset */
	bool need_irq;			/* used buffers since the last interrupt */
	uint8_t config[BLK_CONFIG_LEN];
	struct blk_stats st;
	uint64_t malformed;
	struct vq_chain chain;		/* scratch for vq_pop (lock held) */
};

static void blk_wake(struct virtio_blk *b)
{
	uint64_t one = 1;

	if (write(b->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn_rl("virtio-blk: cannot wake the I/O loop: %m");
}

/* The queue is unusable: the transport tells the driver. */
static void blk_broken(struct virtio_blk *b, struct virtqueue *vq)
{
	b->malformed++;
	vq->broken = true;
	virtio_mmio_needs_reset(b->vdev.t);
}

/* A request failed as a poisoned guest page makes it fail: the RAS runtime
 * checks its data buffers (at most BLK_POISON_CHECK_MAX bytes) and tells
 * the guest about poisoned pages it does not know of. Once per request. */
static void blk_check_poison(struct virtio_blk *b, const struct blk_req *r)
{
	uint64_t left = BLK_POISON_CHECK_MAX, found = 0;
	unsigned i;
	int n;

	if (!b->report_poison)
		return;
	for (i = 0; i < r->niov && left; i++) {
		uint64_t len = MIN((uint64_t)r->iov[i].iov_len, left);

		n = len ? b->report_poison(b->report_opaque, r->iov_gpa[i], len) : 0;
		if (n > 0)
			found += (uint64_t)n;
		left -= len;
	}
	b->poisoned += found;
	if (found)
		pr_warn_rl("disk '%s': a %s failed on %" PRIu64 " poisoned guest page%s",
			   b->path, r->type == VIRTIO_BLK_T_IN ? "read" : "write", found,
			   found == 1 ? "" : "s");
}

/* A finished request (blk_io callback, or answered at parse time). */
static void blk_complete(void *opaque, struct blk_req *r)
{
	struct virtio_blk *b = opaque;
	struct virtqueue *vq = virtio_mmio_queue(b->vdev.t, 0);
	uint32_t written = blk_req_complete(b->gm, r, &b->st);

	if (r->mem_suspect && r->status != VIRTIO_BLK_S_OK)
		blk_check_poison(b, r);

	if (!vq || !vq->enabled || vq->broken)
		return;
	if (vq_push(vq, r->head, written))
		blk_broken(b, vq);
	else
		b->need_irq = true;
}

/* Parse b->chain into slot r and submit or answer it. 0, or -EINVAL when
 * the chain is malformed (the queue is then broken). */
static int blk_handle_chain(struct virtio_blk *b, struct virtqueue *vq, struct blk_req *r)
{
	int ret = blk_req_parse(&b->disk, b->gm, &b->chain, r);

	if (ret < 0) {
		blk_io_put_req(b->io, r);
		blk_broken(b, vq);
		return ret;
	}
	if (ret == BLK_REQ_IO && blk_io_submit(b->io, r) == 0)
		return 0;
	blk_complete(b, r);
	blk_io_put_req(b->io, r);
	return 0;
}

/* Pop one chain into a free slot: 1 (handled), 0 (queue empty or no free
 * slot), -EINVAL (queue broken). */
static int blk_pop_one(struct virtio_blk *b, struct virtqueue *vq)
{
	struct blk_req *r = blk_io_get_req(b->io);
	int ret;

	if (!r)
		return 0;
	ret = vq_pop(vq, &b->chain);
	if (ret <= 0) {
		blk_io_put_req(b->io, r);
		if (ret < 0)
			blk_broken(b, vq);
		return ret;
	}
	return blk_handle_chain(b, vq, r) ? -EINVAL : 1;
}

/* Lock held: everything the device has to do now. */
static void blk_process(struct virtio_blk *b)
{
	struct virtqueue *vq = virtio_mmio_queue(b->vdev.t, 0);
	int ret;

	blk_io_reap(b->io, blk_complete, b);
	if (!b->active || !vq || !vq->enabled || vq->broken)
		goto out;
	for (;;) {
		/* Drain with notifications off, then turn them on and look
		 * once more: a chain made available in between is not lost
		 * (section 2.7.10). */
		vq_set_notify(vq, false);
		while ((ret = blk_pop_one(b, vq)) > 0)
			;
		if (ret < 0)
			goto out;
		/* Every slot busy: completions wake us, notifications stay
		 * off meanwhile. */
		if (blk_io_inflight(b->io) >= VQ_MAX_SIZE)
			break;
		vq_set_notify(vq, true);
		if (blk_pop_one(b, vq) <= 0)
			break;
	}
out:
	if (blk_io_kick(b->io))
		pr_warn_rl("virtio-blk: io_uring submission failed");
	if (b->need_irq) {
		b->need_irq = false;
		virtio_mmio_notify_used(b->vdev.t, 0);
	}
}

static int blk_loop_cb(void *opaque, int fd)
{
	struct virtio_blk *b = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pr_warn_rl("virtio-blk: eventfd read failed: %m");
	virtio_mmio_lock(b->vdev.t);
	blk_process(b);
	virtio_mmio_unlock(b->vdev.t);
	return 0;
}

/* Transport callbacks (lock held). */
static void blk_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_blk *b = dev;

	memcpy(buf, b->config + off, len);
}

static int blk_activate(void *dev, uint64_t features)
{
	struct virtio_blk *b = dev;

	b->active = true;
	blk_wake(b);	/* chains made available before DRIVER_OK */
	return 0;
}

static void blk_notify(void *dev, unsigned q)
{
	blk_wake(dev);
}

/* Status 0 or VM reset: wait for the I/O in flight without reporting it,
 * so nothing is written into the guest's buffers after the reset. */
static void blk_reset(void *dev)
{
	struct virtio_blk *b = dev;

	blk_io_drain(b->io);
	b->active = false;
	b->need_irq = false;
}

static const struct virtio_dev_ops blk_ops_template = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.config_len = BLK_CONFIG_LEN,
	.config_read = blk_config_read,
	.activate = blk_activate,
	.notify = blk_notify,
	.reset = blk_reset,
};

static void blk_free(struct virtio_blk *b)
{
	if (b->efd >= 0 && b->unwatch_fd)
		b->unwatch_fd(b->loop_opaque, b->efd);
	blk_io_destroy(b->io);	/* waits for the I/O in flight */
	virtio_mmio_destroy(b->vdev.t);
	if (b->efd >= 0)
		close(b->efd);
	blk_image_close(&b->img);
	free(b);
}

static int blk_dev_create(struct device *d, const struct dev_env *env)
{
	const struct disk_config *dc = d->param;
	struct virtio_blk *b;
	char why[BLK_IMAGE_WHY_LEN];
	int ret;

	if (!dc || !dc->path)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->efd = -1;
	b->gm = env->gm;
	b->path = dc->path;
	ret = blk_image_open(dc, &b->img, why, sizeof(why));
	if (ret) {
		pr_err("disk '%s': %s", dc->path, why);
		free(b);
		return ret;
	}
	b->disk.sectors = b->img.size / BLK_SECTOR_SIZE;
	b->disk.lbs = b->img.lbs;
	b->disk.pbs = b->img.pbs;
	b->disk.readonly = b->img.readonly;
	/* GET_ID: zero-padded, no NUL when all 20 bytes are used. */
	if (dc->serial)
		memcpy(b->disk.serial, dc->serial, MIN(strlen(dc->serial), sizeof(b->disk.serial)));
	blk_config(&b->disk, b->config);
	b->ops = blk_ops_template;
	b->ops.features = blk_features(&b->disk);

	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0) {
		ret = -errno;
		goto err;
	}
	b->io = blk_io_create(b->img.fd, VQ_MAX_SIZE, b->img.direct ? b->img.lbs : 0, env->gm,
			      b->efd);
	if (!b->io) {
		ret = -errno;
		pr_err("disk '%s': cannot set up io_uring: %s", dc->path, strerror(-ret));
		goto err;
	}
	b->vdev.t = virtio_mmio_create(&b->ops, b, env->gm, dev_irq_line(d, env));
	if (!b->vdev.t) {
		ret = -errno;
		pr_err("disk '%s': cannot create its virtio-mmio transport: %s", dc->path,
		       strerror(-ret));
		goto err;
	}
	ret = env->watch_fd ? env->watch_fd(env->loop_opaque, b->efd, blk_loop_cb, b) : -EINVAL;
	if (ret) {
		pr_err("disk '%s': cannot watch its eventfd: %s", dc->path, strerror(-ret));
		goto err;
	}
	b->unwatch_fd = env->unwatch_fd;
	b->loop_opaque = env->loop_opaque;
	b->report_poison = env->report_poison;
	b->report_opaque = env->report_opaque;
	d->opaque = b;
	return 0;
err:
	blk_free(b);
	return ret;
}

static void blk_dev_destroy(struct device *d)
{
	blk_free(d->opaque);
}

static void blk_dev_stats(const struct device *d, struct dev_stats *st)
{
	struct virtio_blk_stats b;

	virtio_vdev_stats(d, st);
	virtio_blk_get_stats(d->opaque, &b);
	dev_stats_add(st, "reads", b.reads);
	dev_stats_add(st, "writes", b.writes);
	dev_stats_add(st, "flushes", b.flushes);
	dev_stats_add(st, "discards", b.discards);
	dev_stats_add(st, "write-zeroes", b.write_zeroes);
	dev_stats_add(st, "bytes-read", b.bytes_read);
	dev_stats_add(st, "bytes-written", b.bytes_written);
	dev_stats_add(st, "io-errors", b.io_errors);
	dev_stats_add(st, "unsupported", b.unsupported);
	dev_stats_add(st, "malformed", b.malformed);
	dev_stats_add(st, "inflight", b.inflight);
}

const struct dev_class virtio_blk_class = {
	.name = "virtio_mmio",
	.create = blk_dev_create,
	.destroy = blk_dev_destroy,
	.reset = virtio_vdev_reset,
	.mmio = &virtio_vdev_bus_ops,
	.fdt = virtio_mmio_fdt,
	.dsdt = virtio_mmio_dsdt,
	.stats = blk_dev_stats,
};

int virtio_blk_check(const struct disk_config *dc)
{
	struct blk_image img;
	char why[BLK_IMAGE_WHY_LEN];
	int ret = blk_image_open(dc, &img, why, sizeof(why));

	if (ret) {
		pr_err("disk '%s': %s", dc->path, why);
		return ret;
	}
	blk_image_close(&img);
	return 0;
}

void virtio_blk_get_stats(struct virtio_blk *b, struct virtio_blk_stats *st)
{
	virtio_mmio_lock(b->vdev.t);
	*st = (struct virtio_blk_stats){
		.reads = b->st.reads, .writes = b->st.writes, .flushes = b->st.flushes,
		.get_ids = b->st.get_ids, .discards = b->st.discards,
		.write_zeroes = b->st.write_zeroes, .bytes_read = b->st.bytes_read,
		.bytes_written = b->st.bytes_written, .unsupported = b->st.unsupported,
		.io_errors = b->st.io_errors, .malformed = b->malformed,
		.inflight = blk_io_inflight(b->io), .poisoned = b->poisoned,
	};
	virtio_mmio_unlock(b->vdev.t);
}
