/* virtio-mmio transport, version 2 (VIRTIO 1.2 section 4.2.2): the register
 * window, feature negotiation (2.2), device status and reset (2.1, 3.1),
 * queue setup and notification, the interrupt status/ack pair, config space
 * and its generation (2.5), and the FDT/DSDT description of the window. The
 * interrupt is described edge-rising and driven as a line that is high while
 * InterruptStatus is non-zero; an ACK that leaves a bit pending re-raises it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"
#include "arch/arm64/memmap.h"
#include "fdt_writer.h"
#include "log.h"
#include "util.h"
#include "virtio/mmio.h"

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VERSION	2
/* VendorID: "MVRR" as a little-endian u32 (our ACPI creator id); drivers
 * match on DeviceID only. */
#define VIRTIO_MMIO_VENDOR	0x5252564d

/* Features every device gets from the transport: the driver picks the
 * split or the packed ring layout (RING_PACKED, section 2.8). */
#define VIRTIO_MMIO_TRANSPORT_FEATURES \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
	 VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED))

/* What the driver wrote for one queue before QueueReady. */
struct vmio_queue {
	uint32_t num;
	bool ready;
	uint64_t desc, driver, device;
};

struct virtio_mmio {
	pthread_mutex_t lock;
	const struct virtio_dev_ops *ops;
	void *dev;
	const struct guest_mem *gm;
	struct irq_line irq;
	bool irq_high;			/* level last driven */
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel;
	uint64_t drv_features;		/* as the driver writes them */
	uint64_t features;		/* accepted at FEATURES_OK */
	uint32_t queue_sel;
	uint32_t isr;
	uint32_t config_gen;
	struct vmio_queue q[VIRTIO_MMIO_MAX_QUEUES];
	struct virtqueue vq[VIRTIO_MMIO_MAX_QUEUES];
};

static uint64_t vmio_offered(const struct virtio_mmio *t)
{
	return t->ops->features | VIRTIO_MMIO_TRANSPORT_FEATURES;
}

/* Drive the line: high while InterruptStatus is non-zero. 'repulse' gives
 * a fresh rising edge when it stays high (an edge-triggered GIC would
 * otherwise miss a cause added after the driver read the status). */
static void vmio_update_irq(struct virtio_mmio *t, bool repulse)
{
	bool level = t->isr != 0;

	if (level && t->irq_high && repulse)
		irq_line_set(&t->irq, 0);
	else if (level == t->irq_high)
		return;
	irq_line_set(&t->irq, level);
	t->irq_high = level;
}

static void vmio_interrupt(struct virtio_mmio *t, uint32_t cause)
{
	uint32_t old = t->isr;

	t->isr |= cause;
	/* A cause the driver may not have seen yet while the line is already
	 * high: pulse again. The same cause still pending needs nothing, the
	 * driver acknowledges before it looks at the queues/config. */
	vmio_update_irq(t, (old | cause) != old && old);
}

static void vmio_set_needs_reset(struct virtio_mmio *t)
{
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	pr_warn_rl("%s: device needs reset", t->ops->name);
	/* 2.1.2: after DRIVER_OK, tell the driver with a config interrupt. */
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		vmio_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
}

/* Status 0 (3.1.1 step 1) or a VM reset: everything back to power-on. */
static void vmio_reset(struct virtio_mmio *t)
{
	unsigned i;

	if (t->ops->reset)
		t->ops->reset(t->dev);
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		vq_reset(&t->vq[i]);
	memset(t->q, 0, sizeof(t->q));
	t->status = 0;
	t->dev_features_sel = t->drv_features_sel = 0;
	t->drv_features = t->features = 0;
	t->queue_sel = 0;
	t->isr = 0;
	vmio_update_irq(t, false);
}

struct virtio_mmio *virtio_mmio_create(const struct virtio_dev_ops *ops, void *dev,
				       const struct guest_mem *gm, struct irq_line irq)
{
	struct virtio_mmio *t;
	unsigned i;

	if (!ops || !gm || !gm->map || !ops->num_queues ||
	    ops->num_queues > VIRTIO_MMIO_MAX_QUEUES ||
	    (ops->config_len && !ops->config_read) ||
	    ops->config_len > VIRTIO_MMIO_SIZE - VMIO_CONFIG) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->ops = ops;
	t->dev = dev;
	t->gm = gm;
	t->irq = irq;
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		vq_init(&t->vq[i], gm);
	return t;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	vmio_reset(t);
	pthread_mutex_unlock(&t->lock);
}

void virtio_mmio_lock(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
}

void virtio_mmio_unlock(struct virtio_mmio *t)
{
	pthread_mutex_unlock(&t->lock);
}

struct virtqueue *virtio_mmio_queue(struct virtio_mmio *t, unsigned q)
{
	return q < t->ops->num_queues ? &t->vq[q] : NULL;
}

void virtio_mmio_notify_used(struct virtio_mmio *t, unsigned q)
{
	struct virtqueue *vq = virtio_mmio_queue(t, q);

	if (!vq)
		return;
	if (vq->broken) {
		vmio_set_needs_reset(t);
		return;
	}
	if (vq_should_notify(vq))
		vmio_interrupt(t, VIRTIO_MMIO_INT_VRING);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	t->config_gen++;
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		vmio_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_needs_reset(struct virtio_mmio *t)
{
	vmio_set_needs_reset(t);
}

uint64_t virtio_mmio_features(struct virtio_mmio *t)
{
	return t->features;
}

void virtio_mmio_get_stats(struct virtio_mmio *t, struct dev_stats *st)
{
	unsigned i;

	pthread_mutex_lock(&t->lock);
	st->model = t->ops->name;
	st->nqueues = MIN(t->ops->num_queues, (unsigned)DEV_STATS_MAX_QUEUES);
	for (i = 0; i < st->nqueues; i++)
		st->q[i] = (struct dev_queue_stats){
			.popped = t->vq[i].st.popped, .pushed = t->vq[i].st.pushed,
			.notifies = t->vq[i].st.notifies, .malformed = t->vq[i].st.malformed,
		};
	dev_stats_add(st, "status", t->status);
	pthread_mutex_unlock(&t->lock);
}

/* The selected queue's driver-written state, or NULL past num_queues. */
static struct vmio_queue *vmio_sel_queue(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->num_queues ? &t->q[t->queue_sel] : NULL;
}

/* Device config space: 1/2/4/8-byte naturally aligned accesses in range. */
static int vmio_config_access(struct virtio_mmio *t, uint64_t off, unsigned size,
			    uint64_t *val, bool write)
{
	uint8_t buf[8] = { 0 };
	uint64_t coff = off - VMIO_CONFIG;

	if (off % size || coff + size > t->ops->config_len)
		return -EINVAL;
	if (write) {
		put_le64(buf, *val);
		if (t->ops->config_write)
			t->ops->config_write(t->dev, (uint32_t)coff, buf, size);
		return 0;
	}
	t->ops->config_read(t->dev, (uint32_t)coff, buf, size);
	*val = get_le64(buf);
	return 0;
}

static int vmio_reg_read(struct virtio_mmio *t, uint64_t off, uint32_t *v)
{
	struct vmio_queue *q = vmio_sel_queue(t);

	switch (off) {
	case VMIO_MAGIC:		*v = VIRTIO_MMIO_MAGIC; break;
	case VMIO_VERSION:	*v = VIRTIO_MMIO_VERSION; break;
	case VMIO_DEVICE_ID:	*v = t->ops->device_id; break;
	case VMIO_VENDOR_ID:	*v = VIRTIO_MMIO_VENDOR; break;
	case VMIO_DEV_FEATURES:
		*v = t->dev_features_sel < 2 ?
		     (uint32_t)(vmio_offered(t) >> (32 * t->dev_features_sel)) : 0;
		break;
	case VMIO_QUEUE_NUM_MAX:	*v = q ? VQ_MAX_SIZE : 0; break;
	case VMIO_QUEUE_READY:	*v = q && q->ready; break;
	case VMIO_INT_STATUS:	*v = t->isr; break;
	case VMIO_STATUS:		*v = t->status; break;
	/* No shared memory regions: length (and base) -1 (4.2.2). */
	case VMIO_SHM_LEN_LO: case VMIO_SHM_LEN_HI:
	case VMIO_SHM_BASE_LO: case VMIO_SHM_BASE_HI:
		*v = UINT32_MAX;
		break;
	case VMIO_CONFIG_GEN:	*v = t->config_gen; break;
	/* Write-only registers read as zero. */
	case VMIO_DEV_FEATURES_SEL: case VMIO_DRV_FEATURES: case VMIO_DRV_FEATURES_SEL:
	case VMIO_QUEUE_SEL: case VMIO_QUEUE_NUM: case VMIO_QUEUE_NOTIFY: case VMIO_INT_ACK:
	case VMIO_QUEUE_DESC_LO: case VMIO_QUEUE_DESC_HI: case VMIO_QUEUE_DRIVER_LO:
	case VMIO_QUEUE_DRIVER_HI: case VMIO_QUEUE_DEVICE_LO: case VMIO_QUEUE_DEVICE_HI:
	case VMIO_SHM_SEL:
		*v = 0;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* FEATURES_OK (3.1.1 step 5): accepted only for a subset of what was
 * offered that includes VERSION_1; otherwise the bit stays clear. */
static bool vmio_features_ok(struct virtio_mmio *t)
{
	if (t->drv_features & ~vmio_offered(t))
		return false;
	if (!(t->drv_features & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		return false;
	t->features = t->drv_features;
	return true;
}

/* Status write: bits only accumulate until a write of 0 resets. */
static void vmio_write_status(struct virtio_mmio *t, uint32_t val)
{
	uint32_t set = (val & 0xff) & ~t->status & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	int r;

	if (!val) {
		vmio_reset(t);
		return;
	}
	if ((set & VIRTIO_STATUS_FEATURES_OK) && !vmio_features_ok(t))
		set &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((set & VIRTIO_STATUS_DRIVER_OK) &&
	    !((t->status | set) & VIRTIO_STATUS_FEATURES_OK)) {
		/* DRIVER_OK without negotiated features: unusable. */
		set &= ~VIRTIO_STATUS_DRIVER_OK;
		vmio_set_needs_reset(t);
	}
	t->status |= set;
	/* A device that already needs a reset is not started. */
	if ((set & VIRTIO_STATUS_DRIVER_OK) &&
	    !(t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)) {
		r = t->ops->activate ? t->ops->activate(t->dev, t->features) : 0;
		if (r)
			vmio_set_needs_reset(t);
	}
}

/* QueueReady = 1: start the queue from what the driver wrote. */
static void vmio_queue_enable(struct virtio_mmio *t, struct vmio_queue *q)
{
	struct virtqueue *vq = &t->vq[q - t->q];
	bool event_idx = t->features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	bool indirect = t->features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	int r = -EINVAL;

	/* QueueDriver/QueueDevice hold the available/used rings, or with
	 * RING_PACKED the driver/device event suppression areas (4.2.2). */
	if (!(t->status & VIRTIO_STATUS_FEATURES_OK) || q->num > VQ_MAX_SIZE)
		r = -EINVAL;
	else if (t->features & VIRTIO_BIT(VIRTIO_F_RING_PACKED))
		r = vq_enable_packed(vq, (uint16_t)q->num, q->desc, q->driver, q->device,
				     event_idx, indirect);
	else
		r = vq_enable(vq, (uint16_t)q->num, q->desc, q->driver, q->device,
			      event_idx, indirect);
	if (r) {
		pr_warn_rl("%s: queue %u: bad size or ring address", t->ops->name,
			   (unsigned)(q - t->q));
		vmio_set_needs_reset(t);
		return;
	}
	q->ready = true;
}

/* Queue registers: only for an existing queue that is not ready, before
 * DRIVER_OK (4.2.3.2); other writes are ignored. */
static void vmio_queue_write(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
	struct vmio_queue *q = vmio_sel_queue(t);

	if (!q)
		return;
	if (off == VMIO_QUEUE_READY) {
		if (!val) {
			q->ready = false;
			vq_reset(&t->vq[q - t->q]);
		} else if (!q->ready && !(t->status & VIRTIO_STATUS_DRIVER_OK)) {
			vmio_queue_enable(t, q);
		}
		return;
	}
	if (q->ready || (t->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	switch (off) {
	case VMIO_QUEUE_NUM:       q->num = val; break;
	case VMIO_QUEUE_DESC_LO:   q->desc = (q->desc & ~0xffffffffull) | val; break;
	case VMIO_QUEUE_DESC_HI:   q->desc = (q->desc & 0xffffffffull) | (uint64_t)val << 32; break;
	case VMIO_QUEUE_DRIVER_LO: q->driver = (q->driver & ~0xffffffffull) | val; break;
	case VMIO_QUEUE_DRIVER_HI: q->driver = (q->driver & 0xffffffffull) | (uint64_t)val << 32; break;
	case VMIO_QUEUE_DEVICE_LO: q->device = (q->device & ~0xffffffffull) | val; break;
	case VMIO_QUEUE_DEVICE_HI: q->device = (q->device & 0xffffffffull) | (uint64_t)val << 32; break;
	}
}

static int vmio_reg_write(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
	unsigned shift;

	switch (off) {
	case VMIO_DEV_FEATURES_SEL: t->dev_features_sel = val; break;
	case VMIO_DRV_FEATURES_SEL: t->drv_features_sel = val; break;
	case VMIO_DRV_FEATURES:
		/* Fixed once FEATURES_OK is set; only words 0 and 1 exist. */
		if ((t->status & VIRTIO_STATUS_FEATURES_OK) || t->drv_features_sel > 1)
			break;
		shift = 32 * t->drv_features_sel;
		t->drv_features = (t->drv_features & ~(0xffffffffull << shift)) |
				  (uint64_t)val << shift;
		break;
	case VMIO_QUEUE_SEL:	t->queue_sel = val; break;
	case VMIO_QUEUE_NUM: case VMIO_QUEUE_READY:
	case VMIO_QUEUE_DESC_LO: case VMIO_QUEUE_DESC_HI:
	case VMIO_QUEUE_DRIVER_LO: case VMIO_QUEUE_DRIVER_HI:
	case VMIO_QUEUE_DEVICE_LO: case VMIO_QUEUE_DEVICE_HI:
		vmio_queue_write(t, off, val);
		break;
	case VMIO_QUEUE_NOTIFY:
		/* Only an activated device works on its queues. */
		if ((t->status & VIRTIO_STATUS_DRIVER_OK) &&
		    !(t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) &&
		    val < t->ops->num_queues && t->ops->notify)
			t->ops->notify(t->dev, val);
		break;
	case VMIO_INT_ACK:
		t->isr &= ~val;
		vmio_update_irq(t, true);
		break;
	case VMIO_STATUS:		vmio_write_status(t, val); break;
	case VMIO_SHM_SEL:	break;
	/* Read-only registers: writes ignored. */
	case VMIO_MAGIC: case VMIO_VERSION: case VMIO_DEVICE_ID: case VMIO_VENDOR_ID:
	case VMIO_DEV_FEATURES: case VMIO_QUEUE_NUM_MAX: case VMIO_INT_STATUS:
	case VMIO_SHM_LEN_LO: case VMIO_SHM_LEN_HI: case VMIO_SHM_BASE_LO: case VMIO_SHM_BASE_HI:
	case VMIO_CONFIG_GEN:
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int vmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct virtio_mmio *t = dev;
	uint32_t v = 0;
	int r;

	pthread_mutex_lock(&t->lock);
	if (off >= VMIO_CONFIG) {
		r = vmio_config_access(t, off, size, val, false);
	} else if (size != 4 || off % 4) {
		r = -EINVAL;
	} else {
		r = vmio_reg_read(t, off, &v);
		*val = v;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

static int vmio_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct virtio_mmio *t = dev;
	int r;

	pthread_mutex_lock(&t->lock);
	if (off >= VMIO_CONFIG)
		r = vmio_config_access(t, off, size, &val, true);
	else if (size != 4 || off % 4)
		r = -EINVAL;
	else
		r = vmio_reg_write(t, off, (uint32_t)val);
	pthread_mutex_unlock(&t->lock);
	return r;
}

const struct bus_dev_ops virtio_mmio_bus_ops = {
	.name = "virtio-mmio",
	/* Registers are 32-bit only; config space takes 1/2/4/8 (checked in
	 * the handlers). */
	.sizes = BUS_SIZE_ANY,
	.read = vmio_read,
	.write = vmio_write,
};

/* The window's number n: from its place among the virtio windows of
 * memmap.h, or the board's index for a window elsewhere. */
static unsigned vmio_window_index(const struct device *d)
{
	if (d->base >= MEMMAP_VIRTIO_BASE &&
	    d->base < MEMMAP_VIRTIO_BASE + MEMMAP_VIRTIO_COUNT * MEMMAP_VIRTIO_STRIDE)
		return (unsigned)((d->base - MEMMAP_VIRTIO_BASE) / MEMMAP_VIRTIO_STRIDE);
	return d->index;
}

/* Device tree node: the virtio,mmio binding (Linux
 * Documentation/devicetree/bindings/virtio/mmio.yaml). */
int virtio_mmio_fdt(const struct device *d, const struct devlist *all, struct fdt_writer *w)
{
	const uint64_t reg[1][2] = { { d->base, d->size } };
	int r;

	if ((r = fdtw_begin_at(w, "virtio_mmio", d->base)) ||
	    (r = fdtw_string(w, "compatible", "virtio,mmio")) ||
	    (r = fdtw_reg(w, reg, 1)) ||
	    (r = fdtw_irq(w, FDT_GIC_SPI, (uint32_t)d->spi, FDT_IRQ_EDGE_RISING)) ||
	    (r = fdtw_empty(w, "dma-coherent")))
		return r;
	return fdtw_end(w);
}

/* DSDT: Device VRnn, the LNRO0005 virtio-mmio id Linux's ACPI probe
 * matches, DMA-coherent (_CCA 1, ACPI 6.3 section 6.2.17). */
void virtio_mmio_dsdt(const struct device *d, struct acpi_buf *b)
{
	unsigned n = vmio_window_index(d);
	struct aml_mark dev, crs;
	char name[8];

	snprintf(name, sizeof(name), "VR%02X", n & 0xff);
	dev = aml_device_begin(b, name);
	aml_name_string(b, "_HID", "LNRO0005");
	aml_name_integer(b, "_UID", n);
	aml_name_integer(b, "_CCA", 1);
	aml_name(b, "_CRS");
	crs = aml_restemplate_begin(b);
	aml_memory32_fixed(b, true, (uint32_t)d->base, (uint32_t)d->size);
	aml_ext_interrupt(b, true, false, IRQ_SPI_TO_GSI((unsigned)d->spi)); /* edge, active-high */
	aml_end(b, crs);
	aml_end(b, dev);
}
