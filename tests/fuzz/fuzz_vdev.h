/* Shared by the harnesses of the virtio device classes that run on the
 * main event loop (virtio-net, virtio-console): a device created through
 * its dev_class on the bus at the first virtio window, a fake event loop
 * (the watched fds' callbacks run when poll() says readable; a delay
 * answer is taken as "keep watching", a negative one ends the watch as
 * loop.c does), the interrupt line, the guest's register accesses and a
 * Linux probe that sets up queues 0 and 1 (RX rings at FZ_VQ_DESC/AVAIL/
 * USED, TX rings at FZ_VQ1_*; buffers in between), and the checks every
 * step must pass (interrupt line, DEVICE_NEEDS_RESET sticky, a malformed
 * chain ends in DEVICE_NEEDS_RESET). Header-only; after fuzz_virtio.h. */
#ifndef MVR_FUZZ_VDEV_H
#define MVR_FUZZ_VDEV_H

#include <poll.h>

#include "arch/arm64/memmap.h"
#include "bus.h"
#include "devices/dev_stats.h"
#include "devices/device.h"
#include "virtio/mmio.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

#define FZD_RAM_SIZE 0x20000ull		/* data area 0x4000 .. 0x14000 */
#define FZ_VQ1_DESC  0x18000ull
#define FZ_VQ1_AVAIL 0x19000ull
#define FZ_VQ1_USED  0x1a000ull
#define FZD_WIN MEMMAP_VIRTIO_BASE
#define FZD_SPI IRQ_SPI_VIRTIO_BASE
#define FZD_MAX_WATCH 4

struct fzd {
	struct fz_ram ram;
	struct bus *bus;
	struct device dev;
	int line;			/* interrupt line level */
	struct {
		int fd;
		loop_cb_t cb;
		void *opaque;
	} w[FZD_MAX_WATCH];
	bool status_zeroed;		/* this step wrote Status 0 or reset the VM */
	bool needs_reset;		/* DEVICE_NEEDS_RESET after the last step */
};

static int fzd_watch(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	struct fzd *d = opaque;
	unsigned i;

	for (i = 0; i < FZD_MAX_WATCH; i++)
		FZ_CHECK(!(d->w[i].cb && d->w[i].fd == fd));	/* never twice */
	for (i = 0; i < FZD_MAX_WATCH; i++) {
		if (!d->w[i].cb) {
			d->w[i].fd = fd;
			d->w[i].cb = cb;
			d->w[i].opaque = cb_opaque;
			return 0;
		}
	}
	return -ENOSPC;
}

static void fzd_unwatch(void *opaque, int fd)
{
	struct fzd *d = opaque;
	unsigned i;

	for (i = 0; i < FZD_MAX_WATCH; i++)
		if (d->w[i].cb && d->w[i].fd == fd)
			d->w[i].cb = NULL;
}

/* Up to 'rounds' passes over the readable watched fds. */
static void fzd_run_loop(struct fzd *d, unsigned rounds)
{
	bool any = true;
	unsigned i;

	while (any && rounds--) {
		any = false;
		for (i = 0; i < FZD_MAX_WATCH; i++) {
			struct pollfd p = { .fd = d->w[i].fd, .events = POLLIN };
			loop_cb_t cb = d->w[i].cb;
			int fd = d->w[i].fd;

			if (!cb || poll(&p, 1, 0) != 1)
				continue;
			any = true;
			if (cb(d->w[i].opaque, fd) < 0 && d->w[i].cb == cb && d->w[i].fd == fd)
				d->w[i].cb = NULL;
		}
	}
}

static void fzd_irq_set(void *opaque, unsigned spi, int level)
{
	struct fzd *d = opaque;

	FZ_CHECK(spi == FZD_SPI && (level == 0 || level == 1));
	d->line = level;
}

static struct virtio_mmio *fzd_t(struct fzd *d)
{
	return ((struct virtio_vdev *)d->dev.opaque)->t;
}

/* RAM, bus, environment; the caller creates the device into d->dev and
 * calls fzd_register(). */
static void fzd_init(struct fzd *d, struct dev_env *env, const struct dev_class *cls, void *param)
{
	memset(d, 0, sizeof(*d));
	fz_ram_init(&d->ram, FZD_RAM_SIZE);
	d->bus = bus_create();
	FZ_CHECK(d->bus);
	*env = (struct dev_env){
		.gm = &d->ram.gm, .console_fd = -1,
		.watch_fd = fzd_watch, .unwatch_fd = fzd_unwatch, .loop_opaque = d,
		.irq_set = fzd_irq_set, .irq_opaque = d,
	};
	d->dev = (struct device){ .cls = cls, .base = FZD_WIN, .size = VIRTIO_MMIO_SIZE,
				  .spi = FZD_SPI, .param = param };
}

static void fzd_register(struct fzd *d)
{
	FZ_CHECK(bus_register(d->bus, FZD_WIN, VIRTIO_MMIO_SIZE, &virtio_vdev_bus_ops,
			      d->dev.opaque) == 0);
}

static void fzd_fini(struct fzd *d)
{
	d->dev.cls->destroy(&d->dev);
	for (unsigned i = 0; i < FZD_MAX_WATCH; i++)
		FZ_CHECK(!d->w[i].cb);		/* destroy ends every watch */
	bus_destroy(d->bus);
	fz_ram_fini(&d->ram);
}

static uint32_t fzd_rd(struct fzd *d, uint64_t off)
{
	uint8_t buf[8] = { 0 };

	bus_access(d->bus, FZD_WIN + off, buf, 4, false);
	return get_le32(buf);
}

static void fzd_wr(struct fzd *d, uint64_t off, uint32_t v)
{
	uint8_t buf[8] = { 0 };

	if (off == VMIO_STATUS && v == 0)
		d->status_zeroed = true;
	put_le32(buf, v);
	bus_access(d->bus, FZD_WIN + off, buf, 4, true);
}

/* Any access of any width anywhere in (and just past) the window, or a
 * 32-bit register access aimed at the register file. */
static void fzd_reg_op(struct fz *f, struct fzd *d, uint8_t op)
{
	uint8_t buf[8];
	uint64_t off;
	unsigned sz;

	if (op & 0x40) {
		sz = fz_size(f);
		off = fz_u16(f) % (VIRTIO_MMIO_SIZE + 8);
		put_le64(buf, fz_u64(f));
		if (off == VMIO_STATUS && sz == 4 && (op & 0x80) && !get_le32(buf))
			d->status_zeroed = true;
		bus_access(d->bus, FZD_WIN + off, buf, sz, op & 0x80);
		return;
	}
	off = (fz_u8(f) % 0x40) * 4u;
	if (op & 0x80)
		fzd_wr(d, off, off >= VMIO_QUEUE_DESC_LO && off < 0xb0 && (op & 0x20) ?
			       (uint32_t)fz_gpa(f, &d->ram) : fz_u32(f));
	else
		fzd_rd(d, off);
}

/* The driver's interrupt acknowledgement (what it read, or any value) when
 * op's top bit is set, otherwise one access of fzd_reg_op(). */
static void fzd_ack_or_reg_op(struct fz *f, struct fzd *d, uint8_t op)
{
	if (op & 0x80)
		fzd_wr(d, VMIO_INT_ACK, op & 0x40 ? fz_u32(f) : fzd_rd(d, VMIO_INT_STATUS));
	else
		fzd_reg_op(f, d, fz_u8(f));
}

/* Linux's probe: reset, features (as offered but split rings, or masked
 * by the input), queues 0 and 1 at the usual layout (sizes from the input,
 * sometimes one ring anywhere), DRIVER_OK. */
static void fzd_probe(struct fz *f, struct fzd *d)
{
	uint8_t sel = fz_u8(f);
	uint64_t feat;
	unsigned q, i;

	fzd_wr(d, VMIO_STATUS, 0);
	fzd_wr(d, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	fzd_wr(d, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fzd_wr(d, VMIO_DEV_FEATURES_SEL, 1);
	feat = (uint64_t)fzd_rd(d, VMIO_DEV_FEATURES) << 32;
	fzd_wr(d, VMIO_DEV_FEATURES_SEL, 0);
	feat |= fzd_rd(d, VMIO_DEV_FEATURES);
	if (sel & 0x80)
		feat &= fz_u64(f) | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	/* This driver writes split rings (fuzz_virtqueue_packed covers the
	 * packed layout): the inputs mean what they meant before RING_PACKED
	 * was offered. */
	feat &= ~VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	fzd_wr(d, VMIO_DRV_FEATURES_SEL, 0);
	fzd_wr(d, VMIO_DRV_FEATURES, (uint32_t)feat);
	fzd_wr(d, VMIO_DRV_FEATURES_SEL, 1);
	fzd_wr(d, VMIO_DRV_FEATURES, (uint32_t)(feat >> 32));
	fzd_wr(d, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			       VIRTIO_STATUS_FEATURES_OK);
	for (q = 0; q < 2; q++) {
		uint64_t ring[3] = { FZ_VQ_DESC, FZ_VQ_AVAIL, FZ_VQ_USED };

		if (q == 1) {
			ring[0] = FZ_VQ1_DESC;
			ring[1] = FZ_VQ1_AVAIL;
			ring[2] = FZ_VQ1_USED;
		}
		for (i = 0; i < 3; i++)
			ring[i] += FZ_RAM_BASE;
		fzd_wr(d, VMIO_QUEUE_SEL, q);
		fzd_wr(d, VMIO_QUEUE_NUM, sel & 0x40 ? fz_u32(f) : 1u << (fz_u8(f) % 9));
		if (sel & (0x10 << q))
			ring[fz_u8(f) % 3] = fz_gpa(f, &d->ram);
		for (i = 0; i < 3; i++) {
			fzd_wr(d, VMIO_QUEUE_DESC_LO + 0x10 * i, (uint32_t)ring[i]);
			fzd_wr(d, VMIO_QUEUE_DESC_LO + 0x10 * i + 4, (uint32_t)(ring[i] >> 32));
		}
		fzd_wr(d, VMIO_QUEUE_READY, 1);
	}
	fzd_wr(d, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

/* The guest writes a descriptor of queue q (op 0x40 set: into an indirect
 * table in the data area instead), or makes a head available. */
static void fzd_ring_op(struct fz *f, struct fzd *d, unsigned q, bool publish, bool indirect)
{
	struct virtqueue *vq;

	virtio_mmio_lock(fzd_t(d));
	vq = virtio_mmio_queue(fzd_t(d), q);
	if (!publish && indirect)
		fz_vq_write_desc(f, &d->ram, FZ_VQ_BUFS + (fz_u8(f) & 0xf0) * 16, 16);
	else if (!publish && vq->enabled && vq->desc_gpa >= FZ_RAM_BASE)
		fz_vq_write_desc(f, &d->ram, vq->desc_gpa - FZ_RAM_BASE, vq->size);
	else if (publish && vq->enabled && vq->avail_gpa >= FZ_RAM_BASE)
		fz_vq_publish(f, &d->ram, vq->avail_gpa - FZ_RAM_BASE, vq->size);
	virtio_mmio_unlock(fzd_t(d));
}

/* A named counter of the device's query-vm stats (aborts when missing). */
static uint64_t fzd_counter(struct fzd *d, const char *name)
{
	struct dev_stats st = { 0 };

	d->dev.cls->stats(&d->dev, &st);
	for (unsigned i = 0; i < st.ncounters; i++)
		if (!strcmp(st.c[i].name, name))
			return st.c[i].value;
	FZ_CHECK(!"counter missing");
	return 0;
}

/* After each step: the line follows InterruptStatus; NEEDS_RESET stays
 * until a reset; a malformed chain (the 'malformed' counter moved from
 * 'malformed0') set it. */
static void fzd_check_step(struct fzd *d, uint64_t malformed0)
{
	uint32_t status = fzd_rd(d, VMIO_STATUS);
	uint64_t malformed = fzd_counter(d, "malformed");

	FZ_CHECK(d->line == (fzd_rd(d, VMIO_INT_STATUS) != 0));
	if (d->needs_reset && !d->status_zeroed)
		FZ_CHECK(status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	FZ_CHECK(malformed >= malformed0);
	if (malformed > malformed0 && !d->status_zeroed)
		FZ_CHECK(status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	d->needs_reset = status & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	d->status_zeroed = false;
}

#endif
