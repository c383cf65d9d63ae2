/* virtio-rng (VIRTIO 1.2 section 5.4): QueueNotify runs on the vCPU thread
 * with the transport lock held; getrandom(GRND_NONBLOCK) never blocks, so
 * the requests are served right there, written straight into the guest's
 * buffers (the kernel fails a poisoned page with EFAULT instead of the VMM
 * taking SIGBUS), with one interrupt per notification. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "virtio/rng.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

struct virtio_rng {
	struct virtio_vdev vdev;	/* first: device.opaque (vdev.h) */
	uint64_t requests, bytes, malformed;
	struct vq_chain chain;		/* scratch (lock held) */
};

uint32_t rng_fill_chain(const struct vq_chain *c, uint32_t max)
{
	uint32_t done = 0;
	unsigned i;

	for (i = c->nread; i < c->n && done < max; i++) {
		uint8_t *p = c->buf[i].hva;
		uint32_t want = c->buf[i].len < max - done ? c->buf[i].len : max - done;
		uint32_t got = 0;

		if (!p)
			break;
		while (got < want) {
			ssize_t n = getrandom(p + got, want - got, GRND_NONBLOCK);

			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				return done + got;
			}
			got += (uint32_t)n;
		}
		done += got;
	}
	return done;
}

static void rng_notify(void *dev, unsigned q)
{
	struct virtio_rng *r = dev;
	struct virtqueue *vq = virtio_mmio_queue(r->vdev.t, 0);
	bool pushed = false;
	int ret;

	if (!vq || !vq->enabled)
		return;
	while ((ret = vq_pop(vq, &r->chain)) > 0) {
		uint32_t n = rng_fill_chain(&r->chain, RNG_MAX_REQUEST);

		r->requests++;
		r->bytes += n;
		if (vq_push(vq, r->chain.head, n)) {
			ret = -EINVAL;
			break;
		}
		pushed = true;
	}
	if (ret < 0) {
		r->malformed++;
		virtio_mmio_needs_reset(r->vdev.t);
	}
	if (pushed)
		virtio_mmio_notify_used(r->vdev.t, 0);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.notify = rng_notify,
};

static int rng_dev_create(struct device *d, const struct dev_env *env)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->vdev.t = virtio_mmio_create(&rng_ops, r, env->gm, dev_irq_line(d, env));
	if (!r->vdev.t) {
		int ret = -errno;

		pr_err("virtio-rng: cannot create its transport: %s", strerror(-ret));
		free(r);
		return ret;
	}
	d->opaque = r;
	return 0;
}

static void rng_dev_destroy(struct device *d)
{
	struct virtio_rng *r = d->opaque;

	virtio_mmio_destroy(r->vdev.t);
	free(r);
}

static void rng_dev_stats(const struct device *d, struct dev_stats *st)
{
	struct virtio_rng *r = d->opaque;

	virtio_vdev_stats(d, st);
	virtio_mmio_lock(r->vdev.t);
	dev_stats_add(st, "requests", r->requests);
	dev_stats_add(st, "bytes", r->bytes);
	dev_stats_add(st, "malformed", r->malformed);
	virtio_mmio_unlock(r->vdev.t);
}

const struct dev_class virtio_rng_class = {
	.name = "virtio_mmio",
	.create = rng_dev_create,
	.destroy = rng_dev_destroy,
	.reset = virtio_vdev_reset,
	.mmio = &virtio_vdev_bus_ops,
	.fdt = virtio_mmio_fdt,
	.dsdt = virtio_mmio_dsdt,
	.stats = rng_dev_stats,
};
