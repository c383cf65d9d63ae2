/* virtio-mmio transport, version 2 (VIRTIO 1.2 section 4.2): the register
 * window of one device (magic, version, ids, feature negotiation, queue
 * setup, notification, interrupt status/ack, status, config generation and
 * the device-specific config space), and the glue that describes a
 * virtio-mmio device to the guest (FDT "virtio,mmio", DSDT LNRO0005).
 * Modern devices only: VIRTIO_F_VERSION_1 is always offered and required.
 *
 * Threads: MMIO accesses come from vCPU threads; the device's own work
 * (popping chains, completing I/O) runs in its I/O context (the main event
 * loop). One mutex per transport serialises both: the device callbacks
 * below run with it held, and a device takes it (virtio_mmio_lock) around
 * its own queue work. */
#ifndef MVR_VIRTIO_MMIO_H
#define MVR_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "bus_dev.h"
#include "devices/device.h"
#include "guest_mem.h"
#include "irq.h"
#include "virtio/virtio.h"
#include "virtio/virtqueue.h"

#define VIRTIO_MMIO_SIZE      0x200	/* one window per device */

/* Register offsets of the window (4.2.2, table "MMIO Device Register
 * Layout"): the transport decodes them, test and fuzz drivers use them. */
#define VMIO_MAGIC		0x000
#define VMIO_VERSION		0x004
#define VMIO_DEVICE_ID		0x008
#define VMIO_VENDOR_ID		0x00c
#define VMIO_DEV_FEATURES		0x010
#define VMIO_DEV_FEATURES_SEL	0x014
#define VMIO_DRV_FEATURES		0x020
#define VMIO_DRV_FEATURES_SEL	0x024
#define VMIO_QUEUE_SEL		0x030
#define VMIO_QUEUE_NUM_MAX	0x034
#define VMIO_QUEUE_NUM		0x038
#define VMIO_QUEUE_READY		0x044
#define VMIO_QUEUE_NOTIFY		0x050
#define VMIO_INT_STATUS		0x060
#define VMIO_INT_ACK		0x064
#define VMIO_STATUS		0x070
#define VMIO_QUEUE_DESC_LO	0x080
#define VMIO_QUEUE_DESC_HI	0x084
#define VMIO_QUEUE_DRIVER_LO	0x090
#define VMIO_QUEUE_DRIVER_HI	0x094
#define VMIO_QUEUE_DEVICE_LO	0x0a0
#define VMIO_QUEUE_DEVICE_HI	0x0a4
#define VMIO_SHM_SEL		0x0ac
#define VMIO_SHM_LEN_LO		0x0b0
#define VMIO_SHM_LEN_HI		0x0b4
#define VMIO_SHM_BASE_LO		0x0b8
#define VMIO_SHM_BASE_HI		0x0bc
#define VMIO_QUEUE_RESET		0x0c0	/* VIRTIO_F_RING_RESET: not offered */
#define VMIO_CONFIG_GEN		0x0fc
#define VMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAX_QUEUES 8

/* InterruptStatus bits (4.2.2). */
#define VIRTIO_MMIO_INT_VRING  1u
#define VIRTIO_MMIO_INT_CONFIG 2u

struct virtio_mmio;

/* What a device model gives the transport. Every callback runs with the
 * transport lock held. */
struct virtio_dev_ops {
	const char *name;		/* for messages ("virtio-blk") */
	uint32_t device_id;		/* VIRTIO_ID_* */
	uint64_t features;		/* device features offered (VERSION_1,
					 * INDIRECT_DESC, EVENT_IDX and
					 * RING_PACKED are added by the
					 * transport) */
	unsigned num_queues;		/* 1 .. VIRTIO_MMIO_MAX_QUEUES */
	uint32_t config_len;		/* bytes of device config space */
	/* Copy config space bytes [off, off+len) (in range) into buf,
	 * little-endian as the spec lays them out. */
	void (*config_read)(void *dev, uint32_t off, void *buf, uint32_t len);
	/* Optional: the driver wrote config bytes; 0 or -EINVAL (ignored). */
	int (*config_write)(void *dev, uint32_t off, const void *buf, uint32_t len);
	/* The driver set DRIVER_OK after negotiating 'features'; the queues
	 * that are ready are enabled. 0, or -errno to refuse (the transport
	 * then sets DEVICE_NEEDS_RESET). */
	int (*activate)(void *dev, uint64_t features);
	/* QueueNotify for queue q of an activated device (vCPU thread):
	 * typically wakes the device's I/O context (eventfd); must not block. */
	void (*notify)(void *dev, unsigned q);
	/* Device reset (status written 0, or guest reboot): drop in-flight
	 * work; the transport resets the queues afterwards. */
	void (*reset)(void *dev);
};

/* Create the transport for device model 'ops'/'dev', reaching guest memory
 * through 'gm' and interrupting through 'irq'. Returns NULL with errno. */
struct virtio_mmio *virtio_mmio_create(const struct virtio_dev_ops *ops, void *dev,
				       const struct guest_mem *gm, struct irq_line irq);
void virtio_mmio_destroy(struct virtio_mmio *t);

/* Guest reset of the whole VM: as a driver's status write of 0. */
void virtio_mmio_reset(struct virtio_mmio *t);

/* Serialise the device's queue work against MMIO accesses. */
void virtio_mmio_lock(struct virtio_mmio *t);
void virtio_mmio_unlock(struct virtio_mmio *t);

/* Queue q (lock held), or NULL when q is out of range. */
struct virtqueue *virtio_mmio_queue(struct virtio_mmio *t, unsigned q);

/* Lock held. After vq_push()es on queue q: raise the used-buffer interrupt
 * if the driver wants one (vq_should_notify). A queue vq_pop() found
 * broken sets DEVICE_NEEDS_RESET here instead. */
void virtio_mmio_notify_used(struct virtio_mmio *t, unsigned q);
/* Lock held. The device's config space changed (ConfigGeneration++ and
 * the configuration-change interrupt). */
void virtio_mmio_config_changed(struct virtio_mmio *t);
/* Lock held. The device found the driver's input unusable (a broken
 * queue): DEVICE_NEEDS_RESET, config interrupt, one rate-limited warning. */
void virtio_mmio_needs_reset(struct virtio_mmio *t);

/* Negotiated features (valid after activate). */
uint64_t virtio_mmio_features(struct virtio_mmio *t);

/* Takes the lock. For query-vm: st->model = the model's name, one entry
 * per queue (its vq_stats), and the counter "status" (device status). */
void virtio_mmio_get_stats(struct virtio_mmio *t, struct dev_stats *st);

/* MMIO ops for a VIRTIO_MMIO_SIZE window; 'dev' is the struct virtio_mmio. */
extern const struct bus_dev_ops virtio_mmio_bus_ops;

/* Describe a virtio-mmio device window (for dev_class.fdt / .dsdt of any
 * virtio device): FDT node "virtio_mmio@BASE" (compatible "virtio,mmio",
 * reg, edge-rising SPI, dma-coherent), DSDT Device "VRnn" (_HID LNRO0005,
 * _UID n, _CCA 1, Memory32Fixed window, edge interrupt), n = the window's
 * index from MEMMAP_VIRTIO_BASE (d->index for a window elsewhere). The
 * transport drives the line high while InterruptStatus is non-zero and
 * gives a new rising edge for every cause the driver may not have seen. */
int virtio_mmio_fdt(const struct device *d, const struct devlist *all, struct fdt_writer *w);
void virtio_mmio_dsdt(const struct device *d, struct acpi_buf *b);

#endif
