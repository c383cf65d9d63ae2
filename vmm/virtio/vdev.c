/* Forwarding from a virtio device's window to its transport (vdev.h), and
 * the reset every virtio device class shares. */
#include "virtio/vdev.h"

static int vdev_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	const struct virtio_vdev *v = dev;

	return virtio_mmio_bus_ops.read(v->t, off, size, val);
}

static int vdev_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	const struct virtio_vdev *v = dev;

	return virtio_mmio_bus_ops.write(v->t, off, size, val);
}

const struct bus_dev_ops virtio_vdev_bus_ops = {
	.name = "virtio-mmio",
	/* The transport checks widths itself (registers 32-bit only, config
	 * space any); this must be what it declares: all. */
	.sizes = BUS_SIZE_ANY,
	.read = vdev_read,
	.write = vdev_write,
};

void virtio_vdev_reset(struct device *d)
{
	const struct virtio_vdev *v = d->opaque;

	virtio_mmio_reset(v->t);
}

void virtio_vdev_stats(const struct device *d, struct dev_stats *st)
{
	const struct virtio_vdev *v = d->opaque;

	virtio_mmio_get_stats(v->t, st);
}
