/* What a virtio device class keeps in device.opaque: its model's state,
 * which starts with a struct virtio_vdev naming the model's transport.
 * The MMIO window's ops forward to the transport (virtio_mmio_bus_ops), so
 * the class reaches its model state from the device in destroy(). */
#ifndef MVR_VIRTIO_VDEV_H
#define MVR_VIRTIO_VDEV_H

#include "bus_dev.h"
#include "devices/device.h"
#include "virtio/mmio.h"

struct virtio_vdev {
	struct virtio_mmio *t;
};

/* Bus ops for a VIRTIO_MMIO_SIZE window whose 'dev' is a model state
 * starting with struct virtio_vdev. */
extern const struct bus_dev_ops virtio_vdev_bus_ops;

/* dev_class.reset of every virtio device: the transport's reset (the
 * model's own reset callback runs from it, lock held). */
void virtio_vdev_reset(struct device *d);

/* dev_class.stats of a virtio device: the transport's counters
 * (virtio_mmio_get_stats); a model appends its own after it. */
void virtio_vdev_stats(const struct device *d, struct dev_stats *st);

#endif
