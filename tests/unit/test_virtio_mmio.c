/* Unit tests for the virtio-mmio transport (vmm/virtio/mmio.c) through its
 * bus ops, with a fake device model: Linux's probe sequence, feature
 * negotiation and refusal, queue setup, notification gating, the interrupt
 * status/ack pair and the line seen by an irq recorder, config space at
 * every width and its generation, reset, NEEDS_RESET, bad accesses, and the
 * FDT node / DSDT device describing a window. VIRTIO 1.2 section 4.2.2. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acpi/table.h"
#include "arch/arm64/memmap.h"
#include "devices/device.h"
#include "fdt_writer.h"
#include "irq_recorder.h"
#include "mmio_access.h"
#include "virtio/mmio.h"
#include "vring_driver.h"

#define S_ACK  VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV  VIRTIO_STATUS_DRIVER
#define S_FOK  VIRTIO_STATUS_FEATURES_OK
#define S_DOK  VIRTIO_STATUS_DRIVER_OK
#define S_NRST VIRTIO_STATUS_DEVICE_NEEDS_RESET

#define TEST_SPI 18
#define DEV_FEATURE_LO VIRTIO_BIT(5)	/* a device-specific bit, word 0 */
#define DEV_FEATURE_HI VIRTIO_BIT(40)	/* one in word 1 */

/* ---- fake device model ---- */

struct fake_dev {
	uint8_t config[12];
	uint32_t wrote_off, wrote_len;
	uint8_t wrote[8];
	int activated, resets, notifies, activate_ret;
	uint64_t features;
	unsigned last_q;
};

static void fake_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct fake_dev *f = dev;

	assert_true(off + len <= sizeof(f->config));
	memcpy(buf, f->config + off, len);
}

static int fake_config_write(void *dev, uint32_t off, const void *buf, uint32_t len)
{
	struct fake_dev *f = dev;

	f->wrote_off = off;
	f->wrote_len = len;
	memcpy(f->wrote, buf, len);
	return 0;
}

static int fake_activate(void *dev, uint64_t features)
{
	struct fake_dev *f = dev;

	f->activated++;
	f->features = features;
	return f->activate_ret;
}

static void fake_notify(void *dev, unsigned q)
{
	struct fake_dev *f = dev;

	f->notifies++;
	f->last_q = q;
}

static void fake_reset(void *dev)
{
	struct fake_dev *f = dev;

	f->resets++;
}

static const struct virtio_dev_ops fake_ops = {
	.name = "virtio-fake",
	.device_id = VIRTIO_ID_BLOCK,
	.features = DEV_FEATURE_LO | DEV_FEATURE_HI,
	.num_queues = 2,
	.config_len = 12,
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.activate = fake_activate,
	.notify = fake_notify,
	.reset = fake_reset,
};

struct ctx {
	struct fake_ram ram;
	struct fake_dev dev;
	struct irq_recorder rec;
	struct virtio_mmio *t;
	struct vring_drv drv[2];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c)
		return -1;
	fake_ram_init(&c->ram);
	for (i = 0; i < sizeof(c->dev.config); i++)
		c->dev.config[i] = (uint8_t)(0x11 * (i + 1));
	c->t = virtio_mmio_create(&fake_ops, &c->dev, &c->ram.gm,
				  irq_recorder_line(&c->rec, TEST_SPI));
	if (!c->t)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	virtio_mmio_destroy(c->t);
	fake_ram_fini(&c->ram);
	free(c);
	return 0;
}

static uint32_t rd(struct ctx *c, uint64_t off)
{
	return mmio_rd32(&virtio_mmio_bus_ops, c->t, off);
}

static void wr(struct ctx *c, uint64_t off, uint32_t v)
{
	mmio_wr32(&virtio_mmio_bus_ops, c->t, off, v);
}

static void set_status(struct ctx *c, uint32_t bits)
{
	wr(c, VMIO_STATUS, rd(c, VMIO_STATUS) | bits);
}

/* Features as Linux negotiates them: read both words, write both words. */
static uint64_t read_features(struct ctx *c)
{
	uint64_t f;

	wr(c, VMIO_DEV_FEATURES_SEL, 1);
	f = (uint64_t)rd(c, VMIO_DEV_FEATURES) << 32;
	wr(c, VMIO_DEV_FEATURES_SEL, 0);
	return f | rd(c, VMIO_DEV_FEATURES);
}

static void write_features(struct ctx *c, uint64_t f)
{
	wr(c, VMIO_DRV_FEATURES_SEL, 1);
	wr(c, VMIO_DRV_FEATURES, (uint32_t)(f >> 32));
	wr(c, VMIO_DRV_FEATURES_SEL, 0);
	wr(c, VMIO_DRV_FEATURES, (uint32_t)f);
}

/* Queue q of 'num' entries, rings laid out by the driver helper. */
static void setup_queue(struct ctx *c, unsigned q, uint32_t num)
{
	struct vring_drv *d = &c->drv[q];

	drv_init(d, &c->ram, FAKE_RAM_BASE + 0x8000 * q, (uint16_t)num);
	wr(c, VMIO_QUEUE_SEL, q);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 0);
	assert_int_equal(rd(c, VMIO_QUEUE_NUM_MAX), VQ_MAX_SIZE);
	wr(c, VMIO_QUEUE_NUM, num);
	wr(c, VMIO_QUEUE_DESC_LO, (uint32_t)d->desc);
	wr(c, VMIO_QUEUE_DESC_HI, (uint32_t)(d->desc >> 32));
	wr(c, VMIO_QUEUE_DRIVER_LO, (uint32_t)d->avail);
	wr(c, VMIO_QUEUE_DRIVER_HI, (uint32_t)(d->avail >> 32));
	wr(c, VMIO_QUEUE_DEVICE_LO, (uint32_t)d->used);
	wr(c, VMIO_QUEUE_DEVICE_HI, (uint32_t)(d->used >> 32));
	wr(c, VMIO_QUEUE_READY, 1);
}

/* Linux's virtio_mmio probe + virtio_dev_probe, up to DRIVER_OK. */
static void probe(struct ctx *c, uint64_t want)
{
	assert_int_equal(rd(c, VMIO_MAGIC), 0x74726976);
	assert_int_equal(rd(c, VMIO_VERSION), 2);
	assert_int_equal(rd(c, VMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	assert_int_equal(rd(c, VMIO_VENDOR_ID), 0x5252564d);
	wr(c, VMIO_STATUS, 0);
	set_status(c, S_ACK);
	set_status(c, S_DRV);
	write_features(c, read_features(c) & want);
	set_status(c, S_FOK);
	assert_true(rd(c, VMIO_STATUS) & S_FOK);
	setup_queue(c, 0, 16);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 1);
	setup_queue(c, 1, 8);
	set_status(c, S_DOK);
}

static void test_probe(void **state)
{
	struct ctx *c = *state;
	struct virtqueue *vq;
	uint64_t offered = read_features(c);
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
			DEV_FEATURE_HI;

	/* Offered: the device's own plus the transport's four. */
	assert_int_equal(offered, DEV_FEATURE_LO | DEV_FEATURE_HI |
			 VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
			 VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	wr(c, VMIO_DEV_FEATURES_SEL, 2);
	assert_int_equal(rd(c, VMIO_DEV_FEATURES), 0);
	probe(c, want);
	assert_int_equal(c->dev.activated, 1);
	assert_int_equal(c->dev.features, want);
	assert_int_equal(virtio_mmio_features(c->t), want);
	assert_int_equal(rd(c, VMIO_STATUS), S_ACK | S_DRV | S_FOK | S_DOK);
	/* The queues run with what was negotiated and written. */
	vq = virtio_mmio_queue(c->t, 0);
	assert_non_null(vq);
	assert_true(vq->enabled);
	assert_int_equal(vq->size, 16);
	assert_int_equal(vq->desc_gpa, c->drv[0].desc);
	assert_int_equal(vq->avail_gpa, c->drv[0].avail);
	assert_int_equal(vq->used_gpa, c->drv[0].used);
	assert_true(vq->event_idx);
	assert_false(vq->indirect);
	assert_int_equal(virtio_mmio_queue(c->t, 1)->size, 8);
	assert_null(virtio_mmio_queue(c->t, 2));
	/* Queue 2 does not exist. */
	wr(c, VMIO_QUEUE_SEL, 2);
	assert_int_equal(rd(c, VMIO_QUEUE_NUM_MAX), 0);
	wr(c, VMIO_QUEUE_READY, 1);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 0);
	/* No shared memory regions. */
	wr(c, VMIO_SHM_SEL, 0);
	assert_int_equal(rd(c, VMIO_SHM_LEN_LO), 0xffffffff);
	assert_int_equal(rd(c, VMIO_SHM_LEN_HI), 0xffffffff);
}

/* A driver without VERSION_1 (legacy) or with a feature never offered. */
static void test_features_refused(void **state)
{
	struct ctx *c = *state;

	set_status(c, S_ACK | S_DRV);
	write_features(c, VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	set_status(c, S_FOK);
	assert_int_equal(rd(c, VMIO_STATUS), S_ACK | S_DRV);
	/* Queues cannot be started without FEATURES_OK. */
	setup_queue(c, 0, 8);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 0);
	wr(c, VMIO_STATUS, 0);
	assert_int_equal(rd(c, VMIO_STATUS), 0);

	set_status(c, S_ACK | S_DRV);
	write_features(c, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(50));
	set_status(c, S_FOK);
	assert_false(rd(c, VMIO_STATUS) & S_FOK);
	/* DRIVER_OK without FEATURES_OK: not activated, needs reset. */
	set_status(c, S_DOK);
	assert_int_equal(c->dev.activated, 0);
	assert_false(rd(c, VMIO_STATUS) & S_DOK);
	assert_true(rd(c, VMIO_STATUS) & S_NRST);

	/* A proper retry after reset works; features are then frozen. */
	wr(c, VMIO_STATUS, 0);
	set_status(c, S_ACK | S_DRV);
	write_features(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	set_status(c, S_FOK);
	assert_true(rd(c, VMIO_STATUS) & S_FOK);
	write_features(c, VIRTIO_BIT(VIRTIO_F_VERSION_1) | DEV_FEATURE_LO);
	set_status(c, S_DOK);
	assert_int_equal(c->dev.features, VIRTIO_BIT(VIRTIO_F_VERSION_1));
}

static void test_notify_gating(void **state)
{
	struct ctx *c = *state;

	set_status(c, S_ACK | S_DRV);
	write_features(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	set_status(c, S_FOK);
	setup_queue(c, 0, 8);
	wr(c, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(c->dev.notifies, 0);		/* before DRIVER_OK */
	set_status(c, S_DOK);
	wr(c, VMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(c->dev.notifies, 1);
	assert_int_equal(c->dev.last_q, 1);
	wr(c, VMIO_QUEUE_NOTIFY, 2);				/* no such queue */
	wr(c, VMIO_QUEUE_NOTIFY, 0xffffffff);
	assert_int_equal(c->dev.notifies, 1);
	/* Once the device needs a reset, it does not work on queues. */
	virtio_mmio_lock(c->t);
	virtio_mmio_needs_reset(c->t);
	virtio_mmio_unlock(c->t);
	wr(c, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(c->dev.notifies, 1);
}

/* Device side: pop the chain the driver published, push it, notify. */
static void complete_one(struct ctx *c, unsigned q)
{
	struct vq_chain ch;
	struct virtqueue *vq;

	virtio_mmio_lock(c->t);
	vq = virtio_mmio_queue(c->t, q);
	assert_int_equal(vq_pop(vq, &ch), 1);
	assert_int_equal(vq_push(vq, ch.head, 4), 0);
	virtio_mmio_notify_used(c->t, q);
	virtio_mmio_unlock(c->t);
}

static void test_interrupts(void **state)
{
	struct ctx *c = *state;
	uint32_t id, len;

	probe(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_int_equal(c->rec.n, 0);
	assert_int_equal(rd(c, VMIO_INT_STATUS), 0);
	drv_desc(&c->drv[0], 0, FAKE_RAM_BASE + 0x20000, 4, DRV_F_WRITE, 0);
	drv_publish(&c->drv[0], 0);
	complete_one(c, 0);
	assert_true(drv_get_used(&c->drv[0], &id, &len));
	assert_int_equal(len, 4);
	assert_int_equal(rd(c, VMIO_INT_STATUS), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(irq_recorder_level(&c->rec), 1);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 1);
	wr(c, VMIO_INT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(rd(c, VMIO_INT_STATUS), 0);
	assert_int_equal(irq_recorder_level(&c->rec), 0);

	/* The driver masked interrupts (NO_INTERRUPT): none. */
	drv_set_avail_flags(&c->drv[0], 1);
	drv_publish(&c->drv[0], 0);
	complete_one(c, 0);
	assert_int_equal(rd(c, VMIO_INT_STATUS), 0);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 1);
	drv_set_avail_flags(&c->drv[0], 0);

	/* Used buffer, then a config change while the line is high: a new
	 * edge for the new cause; ACK of the first leaves the second pending
	 * and raises again; the last ACK lowers the line. */
	drv_publish(&c->drv[0], 0);
	complete_one(c, 0);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 2);
	virtio_mmio_lock(c->t);
	virtio_mmio_config_changed(c->t);
	virtio_mmio_unlock(c->t);
	assert_int_equal(rd(c, VMIO_INT_STATUS), VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 3);
	wr(c, VMIO_INT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(rd(c, VMIO_INT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(irq_recorder_level(&c->rec), 1);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 4);
	/* The same cause again while pending: no extra edge. */
	virtio_mmio_lock(c->t);
	virtio_mmio_config_changed(c->t);
	virtio_mmio_unlock(c->t);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 4);
	wr(c, VMIO_INT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
	assert_int_equal(rd(c, VMIO_CONFIG_GEN), 2);
	/* Writes to InterruptStatus (read-only) are ignored. */
	wr(c, VMIO_INT_STATUS, 3);
	assert_int_equal(rd(c, VMIO_INT_STATUS), 0);
}

static void test_config_space(void **state)
{
	struct ctx *c = *state;
	const struct bus_dev_ops *ops = &virtio_mmio_bus_ops;
	uint64_t v;

	assert_int_equal(ops->read(c->t, VMIO_CONFIG + 1, 1, &v), 0);
	assert_int_equal(v, 0x22);
	assert_int_equal(ops->read(c->t, VMIO_CONFIG + 2, 2, &v), 0);
	assert_int_equal(v, 0x4433);
	assert_int_equal(ops->read(c->t, VMIO_CONFIG + 4, 4, &v), 0);
	assert_int_equal(v, 0x88776655);
	assert_int_equal(ops->read(c->t, VMIO_CONFIG, 8, &v), 0);
	assert_int_equal(v, 0x8877665544332211ULL);
	assert_int_equal(ops->read(c->t, VMIO_CONFIG + 11, 1, &v), 0);
	assert_int_equal(v, 0xcc);
	/* Past the config length, misaligned. */
	assert_int_equal(ops->read(c->t, VMIO_CONFIG + 12, 1, &v), -EINVAL);
	assert_int_equal(ops->read(c->t, VMIO_CONFIG + 8, 8, &v), -EINVAL);
	assert_int_equal(ops->read(c->t, VMIO_CONFIG + 1, 2, &v), -EINVAL);
	assert_int_equal(ops->read(c->t, VMIO_CONFIG + 2, 4, &v), -EINVAL);
	/* Writes reach the device's callback, little-endian. */
	assert_int_equal(ops->write(c->t, VMIO_CONFIG + 4, 2, 0xbeef), 0);
	assert_int_equal(c->dev.wrote_off, 4);
	assert_int_equal(c->dev.wrote_len, 2);
	assert_int_equal(c->dev.wrote[0], 0xef);
	assert_int_equal(c->dev.wrote[1], 0xbe);
	assert_int_equal(ops->write(c->t, VMIO_CONFIG + 12, 4, 0), -EINVAL);

	/* ConfigGeneration moves on every change. */
	assert_int_equal(rd(c, VMIO_CONFIG_GEN), 0);
	virtio_mmio_lock(c->t);
	virtio_mmio_config_changed(c->t);
	virtio_mmio_unlock(c->t);
	assert_int_equal(rd(c, VMIO_CONFIG_GEN), 1);
	/* Before DRIVER_OK no interrupt is sent. */
	assert_int_equal(rd(c, VMIO_INT_STATUS), 0);
	assert_int_equal(c->rec.n, 0);
}

static void test_reset(void **state)
{
	struct ctx *c = *state;

	probe(c, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	drv_desc(&c->drv[0], 0, FAKE_RAM_BASE + 0x20000, 4, DRV_F_WRITE, 0);
	drv_publish(&c->drv[0], 0);
	complete_one(c, 0);
	assert_int_equal(irq_recorder_level(&c->rec), 1);
	assert_int_equal(c->dev.resets, 1);		/* the probe's own reset */
	wr(c, VMIO_STATUS, 0);
	assert_int_equal(c->dev.resets, 2);
	assert_int_equal(rd(c, VMIO_STATUS), 0);
	assert_int_equal(rd(c, VMIO_INT_STATUS), 0);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
	assert_false(virtio_mmio_queue(c->t, 0)->enabled);
	assert_false(virtio_mmio_queue(c->t, 1)->enabled);
	assert_int_equal(virtio_mmio_features(c->t), 0);
	wr(c, VMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 0);
	wr(c, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(c->dev.notifies, 0);

	/* A VM reset does the same; the device comes back fully. */
	probe(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_int_equal(c->dev.resets, 3);
	assert_int_equal(c->dev.activated, 2);
	virtio_mmio_reset(c->t);
	assert_int_equal(c->dev.resets, 4);
	assert_int_equal(rd(c, VMIO_STATUS), 0);
	assert_false(virtio_mmio_queue(c->t, 0)->enabled);
}

/* Queue registers are frozen while the queue is ready and after
 * DRIVER_OK; QueueReady 0 stops the queue. */
static void test_queue_registers(void **state)
{
	struct ctx *c = *state;
	struct virtqueue *vq = virtio_mmio_queue(c->t, 0);

	set_status(c, S_ACK | S_DRV);
	write_features(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	set_status(c, S_FOK);
	setup_queue(c, 0, 8);
	assert_true(vq->enabled);
	wr(c, VMIO_QUEUE_NUM, 4);
	wr(c, VMIO_QUEUE_DESC_LO, 0x1000);
	wr(c, VMIO_QUEUE_READY, 0);
	assert_false(vq->enabled);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 0);
	wr(c, VMIO_QUEUE_READY, 1);
	assert_true(vq->enabled);
	assert_int_equal(vq->size, 8);
	assert_int_equal(vq->desc_gpa, c->drv[0].desc);
	/* After DRIVER_OK, a not-ready queue cannot be set up either. */
	set_status(c, S_DOK);
	wr(c, VMIO_QUEUE_SEL, 1);
	wr(c, VMIO_QUEUE_NUM, 8);
	wr(c, VMIO_QUEUE_READY, 1);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 0);
	assert_false(virtio_mmio_queue(c->t, 1)->enabled);
	/* Write-only registers read as zero. */
	assert_int_equal(rd(c, VMIO_QUEUE_NUM), 0);
}

static void test_needs_reset(void **state)
{
	struct ctx *c = *state;
	struct vq_chain ch;

	/* A bad queue size: not ready, DEVICE_NEEDS_RESET. */
	set_status(c, S_ACK | S_DRV);
	write_features(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	set_status(c, S_FOK);
	setup_queue(c, 0, 3);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 0);
	assert_true(rd(c, VMIO_STATUS) & S_NRST);
	assert_false(virtio_mmio_queue(c->t, 0)->enabled);
	/* The driver cannot clear it; a reset does. */
	wr(c, VMIO_STATUS, S_ACK | S_DRV | S_FOK);
	assert_true(rd(c, VMIO_STATUS) & S_NRST);
	/* Nor is the device started. */
	set_status(c, S_DOK);
	assert_int_equal(c->dev.activated, 0);
	wr(c, VMIO_STATUS, 0);
	assert_int_equal(rd(c, VMIO_STATUS), 0);

	/* Rings outside RAM. */
	set_status(c, S_ACK | S_DRV);
	write_features(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	set_status(c, S_FOK);
	wr(c, VMIO_QUEUE_SEL, 0);
	wr(c, VMIO_QUEUE_NUM, 8);
	wr(c, VMIO_QUEUE_DESC_LO, 0x1000);
	wr(c, VMIO_QUEUE_READY, 1);
	assert_int_equal(rd(c, VMIO_QUEUE_READY), 0);
	assert_true(rd(c, VMIO_STATUS) & S_NRST);
	wr(c, VMIO_STATUS, 0);

	/* activate() refusing: NEEDS_RESET and a config interrupt. */
	c->dev.activate_ret = -EIO;
	probe(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_true(rd(c, VMIO_STATUS) & S_NRST);
	assert_int_equal(rd(c, VMIO_INT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(irq_recorder_level(&c->rec), 1);
	wr(c, VMIO_STATUS, 0);
	c->dev.activate_ret = 0;

	/* A queue broken by the driver: the device's notify_used turns it
	 * into NEEDS_RESET. */
	probe(c, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	wr(c, VMIO_INT_ACK, 3);
	drv_desc(&c->drv[0], 0, FAKE_RAM_BASE, 8, DRV_F_NEXT, 0);	/* self-loop */
	drv_publish(&c->drv[0], 0);
	virtio_mmio_lock(c->t);
	assert_int_equal(vq_pop(virtio_mmio_queue(c->t, 0), &ch), -EINVAL);
	virtio_mmio_notify_used(c->t, 0);
	virtio_mmio_unlock(c->t);
	assert_true(rd(c, VMIO_STATUS) & S_NRST);
	assert_int_equal(rd(c, VMIO_INT_STATUS), VIRTIO_MMIO_INT_CONFIG);
}

static void test_bad_accesses(void **state)
{
	struct ctx *c = *state;
	const struct bus_dev_ops *ops = &virtio_mmio_bus_ops;
	uint64_t v;

	/* Registers are 32-bit, aligned. */
	assert_int_equal(ops->read(c->t, VMIO_MAGIC, 2, &v), -EINVAL);
	assert_int_equal(ops->read(c->t, VMIO_MAGIC, 8, &v), -EINVAL);
	assert_int_equal(ops->read(c->t, VMIO_MAGIC + 2, 4, &v), -EINVAL);
	assert_int_equal(ops->write(c->t, VMIO_STATUS, 1, S_ACK), -EINVAL);
	assert_int_equal(rd(c, VMIO_STATUS), 0);
	/* Unknown offsets: holes, QueueReset (no RING_RESET), reserved. */
	assert_int_equal(ops->read(c->t, 0x018, 4, &v), -EINVAL);
	assert_int_equal(ops->read(c->t, VMIO_QUEUE_RESET, 4, &v), -EINVAL);
	assert_int_equal(ops->read(c->t, 0x0f8, 4, &v), -EINVAL);
	assert_int_equal(ops->write(c->t, 0x0c4, 4, 1), -EINVAL);
	/* Read-only registers ignore writes. */
	wr(c, VMIO_MAGIC, 0);
	wr(c, VMIO_DEVICE_ID, 7);
	wr(c, VMIO_CONFIG_GEN, 9);
	assert_int_equal(rd(c, VMIO_MAGIC), 0x74726976);
	assert_int_equal(rd(c, VMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	assert_int_equal(rd(c, VMIO_CONFIG_GEN), 0);
}

static void test_create_checks(void **state)
{
	struct ctx *c = *state;
	struct virtio_dev_ops ops = fake_ops;
	struct guest_mem nomap = c->ram.gm;
	struct irq_line none = { 0 };

	ops.num_queues = 0;
	assert_null(virtio_mmio_create(&ops, NULL, &c->ram.gm, none));
	ops.num_queues = VIRTIO_MMIO_MAX_QUEUES + 1;
	assert_null(virtio_mmio_create(&ops, NULL, &c->ram.gm, none));
	ops.num_queues = 1;
	ops.config_len = VIRTIO_MMIO_SIZE;
	assert_null(virtio_mmio_create(&ops, NULL, &c->ram.gm, none));
	ops.config_len = 4;
	ops.config_read = NULL;
	assert_null(virtio_mmio_create(&ops, NULL, &c->ram.gm, none));
	nomap.map = NULL;
	assert_null(virtio_mmio_create(&fake_ops, NULL, &nomap, none));
}

/* ---- description: FDT node and DSDT device ---- */

static int fdt_rec_begin(void *ctx, const char *name)
{
	char *out = ctx;

	snprintf(out + strlen(out), 1024 - strlen(out), "%s{", name);
	return 0;
}

static int fdt_rec_end(void *ctx)
{
	char *out = ctx;

	snprintf(out + strlen(out), 1024 - strlen(out), "}");
	return 0;
}

static int fdt_rec_prop(void *ctx, const char *name, const void *val, size_t len)
{
	char *out = ctx;
	size_t i;

	snprintf(out + strlen(out), 1024 - strlen(out), "%s=", name);
	for (i = 0; i < len; i++)
		snprintf(out + strlen(out), 1024 - strlen(out), "%02x", ((const uint8_t *)val)[i]);
	snprintf(out + strlen(out), 1024 - strlen(out), ";");
	return 0;
}

static const struct dev_class virtio_test_class = {
	.name = "virtio-test", .fdt = virtio_mmio_fdt, .dsdt = virtio_mmio_dsdt,
};

/* Window 3: 0x0a000600, SPI 19 (GSI 51). */
static void test_describe(void **state)
{
	char out[1024] = "";
	struct fdt_writer w = { .begin_node = fdt_rec_begin, .end_node = fdt_rec_end,
				.prop = fdt_rec_prop, .ctx = out, .phandle_gic = 1 };
	struct devlist l;
	struct acpi_buf b;
	const uint8_t *p;
	size_t i;
	bool mem = false, irq = false;

	devlist_init(&l);
	assert_int_equal(devlist_add(&l, &virtio_test_class, MEMMAP_VIRTIO_BASE + 3 * MEMMAP_VIRTIO_STRIDE,
				     VIRTIO_MMIO_SIZE, IRQ_SPI_VIRTIO_BASE + 3), 0);
	l.dev[0].index = 3;
	assert_int_equal(devlist_write_fdt(&l, &w), 0);
	assert_string_equal(out, "virtio_mmio@a000600{"
			    "compatible=76697274696f2c6d6d696f00;"
			    "reg=000000000a0006000000000000000200;"
			    "interrupts=000000000000001300000001;"
			    "dma-coherent=;}");

	acpi_buf_init(&b);
	devlist_write_dsdt(&l, &b);
	assert_int_equal(acpi_buf_error(&b), 0);
	p = b.data;
	/* DeviceOp (5B 82), a two-byte PkgLength, then the name. */
	assert_int_equal(p[0], 0x5b);
	assert_int_equal(p[1], 0x82);
	assert_memory_equal(p + 4, "VR03", 4);
	assert_non_null(memmem(p, b.len, "_HID\x0dLNRO0005", 14));
	assert_non_null(memmem(p, b.len, "_UID\x0a\x03", 6));
	assert_non_null(memmem(p, b.len, "_CCA\x01", 5));
	for (i = 0; i + 9 <= b.len; i++) {
		/* Memory32Fixed: RW, base, length 0x200. */
		if (p[i] == 0x86 && p[i + 3] == 1 && get_le32(p + i + 4) == 0x0a000600 &&
		    get_le32(p + i + 8) == 0x200)
			mem = true;
		/* Extended Interrupt: consumer, edge, active-high, GSI 51. */
		if (p[i] == 0x89 && p[i + 3] == 0x03 && p[i + 4] == 1 &&
		    get_le32(p + i + 5) == 51)
			irq = true;
	}
	assert_true(mem);
	assert_true(irq);
	acpi_buf_free(&b);

	/* The last window is VR1F. */
	l.dev[0].base = MEMMAP_VIRTIO_BASE + 31 * MEMMAP_VIRTIO_STRIDE;
	acpi_buf_init(&b);
	devlist_write_dsdt(&l, &b);
	assert_memory_equal(b.data + 4, "VR1F", 4);
	acpi_buf_free(&b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_probe),
		T(test_features_refused),
		T(test_notify_gating),
		T(test_interrupts),
		T(test_config_space),
		T(test_reset),
		T(test_queue_registers),
		T(test_needs_reset),
		T(test_bad_accesses),
		T(test_create_checks),
		T(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
