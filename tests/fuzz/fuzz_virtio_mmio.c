/* Fuzz target: the virtio-mmio transport (vmm/virtio/mmio.c) on the bus at
 * the first virtio window, in front of either the real virtio-rng model
 * (vmm/virtio/rng.c, created through its dev_class as board.c does) or a
 * virtio-blk model that runs blk.c's queue loop with the I/O done inline
 * (blk_features/blk_config/blk_req_parse/blk_req_complete). The guest does
 * register accesses of every width and offset (config space included), a
 * Linux probe sequence with its ring addresses, ring writes, notifies and
 * interrupt acks; the VM resets it; pages get poisoned.
 * Invariants: the interrupt line is high exactly while InterruptStatus is
 * non-zero; DEVICE_NEEDS_RESET, once set, stays until a reset; every chain
 * and request passes the fuzz_virtio.h checks. */
#include "fuzz.h"
#include "fuzz_virtio.h"

#include "arch/arm64/memmap.h"
#include "bus.h"
#include "devices/device.h"
#include "virtio/mmio.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

#define RAM_SIZE 0x10000ull
#define WIN MEMMAP_VIRTIO_BASE
#define SPI IRQ_SPI_VIRTIO_BASE

/* The fake virtio-blk: blk.c's transport callbacks and queue loop. */
struct fake_blk {
	struct virtio_vdev vdev;	/* first, as every virtio model */
	struct virtio_dev_ops ops;
	struct blk_disk disk;
	uint8_t config[BLK_CONFIG_LEN];
	struct fz_ram *ram;
	struct blk_stats st;
	struct vq_chain chain;
	bool active, kicked;
};

static void fblk_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct fake_blk *b = dev;

	FZ_CHECK(off + len <= sizeof(b->config));
	memcpy(buf, b->config + off, len);
}

static int fblk_activate(void *dev, uint64_t features)
{
	struct fake_blk *b = dev;

	b->active = true;
	b->kicked = true;
	return 0;
}

static void fblk_notify(void *dev, unsigned q)
{
	FZ_CHECK(q == 0);
	((struct fake_blk *)dev)->kicked = true;
}

static void fblk_reset(void *dev)
{
	struct fake_blk *b = dev;

	b->active = false;
	b->kicked = false;
}

/* One pop: 1 served, 0 nothing, -1 broken. Lock held. */
static int fblk_pop_one(struct fake_blk *b, struct virtqueue *vq)
{
	int ret = vq_pop(vq, &b->chain), used;

	if (ret <= 0)
		return ret < 0 ? -1 : 0;
	fz_vq_check_chain(b->ram, vq, &b->chain);
	used = fz_blk_handle(b->ram, &b->disk, &b->chain, &b->st);
	if (used < 0 || vq_push(vq, b->chain.head, (uint32_t)used))
		return -1;
	return 1;
}

/* blk_process() without io_uring: the event loop's turn. */
static void fblk_process(struct fake_blk *b)
{
	struct virtqueue *vq;
	bool pushed = false;
	int ret = 0;

	virtio_mmio_lock(b->vdev.t);
	vq = virtio_mmio_queue(b->vdev.t, 0);
	if (!b->kicked || !b->active || !vq || !vq->enabled || vq->broken)
		goto out;
	b->kicked = false;
	for (;;) {
		vq_set_notify(vq, false);
		while ((ret = fblk_pop_one(b, vq)) > 0)
			pushed = true;
		if (ret < 0)
			break;
		vq_set_notify(vq, true);
		ret = fblk_pop_one(b, vq);
		if (ret <= 0)
			break;
		pushed = true;
	}
	if (ret < 0)
		virtio_mmio_needs_reset(b->vdev.t);
	if (pushed)
		virtio_mmio_notify_used(b->vdev.t, 0);
out:
	virtio_mmio_unlock(b->vdev.t);
}

struct line {
	int level;
};

static void line_set(void *opaque, unsigned spi, int level)
{
	struct line *l = opaque;

	FZ_CHECK(spi == SPI && (level == 0 || level == 1));
	l->level = level;
}

static uint32_t rd(struct bus *b, uint64_t off)
{
	uint8_t buf[8] = { 0 };

	bus_access(b, WIN + off, buf, 4, false);
	return get_le32(buf);
}

/* Set when a step wrote Status 0 (a driver reset). */
static bool status_zeroed;

static void wr(struct bus *b, uint64_t off, uint32_t v)
{
	uint8_t buf[8] = { 0 };

	if (off == VMIO_STATUS && v == 0)
		status_zeroed = true;
	put_le32(buf, v);
	bus_access(b, WIN + off, buf, 4, true);
}

/* What Linux's virtio_mmio probe and virtio_dev_probe do, with queue 0's
 * rings at the usual place (or one fuzz address), features taken as
 * offered or fuzzed. */
static void linux_probe(struct fz *f, struct fz_ram *ram, struct bus *b)
{
	uint8_t sel = fz_u8(f);
	uint64_t feat, ring[3] = { FZ_RAM_BASE + FZ_VQ_DESC, FZ_RAM_BASE + FZ_VQ_AVAIL,
				   FZ_RAM_BASE + FZ_VQ_USED };

	wr(b, VMIO_STATUS, 0);
	wr(b, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(b, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(b, VMIO_DEV_FEATURES_SEL, 1);
	feat = (uint64_t)rd(b, VMIO_DEV_FEATURES) << 32;
	wr(b, VMIO_DEV_FEATURES_SEL, 0);
	feat |= rd(b, VMIO_DEV_FEATURES);
	if (sel & 0x80)
		feat &= fz_u64(f) | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	/* This driver writes split rings (fuzz_virtqueue_packed covers the
	 * packed layout): the inputs mean what they meant before RING_PACKED
	 * was offered. */
	feat &= ~VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	wr(b, VMIO_DRV_FEATURES_SEL, 0);
	wr(b, VMIO_DRV_FEATURES, (uint32_t)feat);
	wr(b, VMIO_DRV_FEATURES_SEL, 1);
	wr(b, VMIO_DRV_FEATURES, (uint32_t)(feat >> 32));
	wr(b, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			VIRTIO_STATUS_FEATURES_OK);
	wr(b, VMIO_QUEUE_SEL, 0);
	wr(b, VMIO_QUEUE_NUM, sel & 0x40 ? fz_u32(f) : 1u << (fz_u8(f) % 9));
	if (sel & 0x20)
		ring[fz_u8(f) % 3] = fz_gpa(f, ram);
	for (unsigned i = 0; i < 3; i++) {
		wr(b, VMIO_QUEUE_DESC_LO + 0x10 * i, (uint32_t)ring[i]);
		wr(b, VMIO_QUEUE_DESC_LO + 0x10 * i + 4, (uint32_t)(ring[i] >> 32));
	}
	wr(b, VMIO_QUEUE_READY, 1);
	wr(b, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static struct line line;

static void irq_set(void *opaque, unsigned spi, int level)
{
	line_set(opaque, spi, level);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct fz_ram ram;
	struct dev_env env = { 0 };
	struct device dev = { 0 };
	struct fake_blk *blk = NULL;
	struct bus *b;
	struct virtqueue *vq;
	unsigned steps = 0;
	bool is_rng = fz_u8(&f) & 1, needs_reset = false;

	fz_ram_init(&ram, RAM_SIZE);
	line.level = 0;
	b = bus_create();
	FZ_CHECK(b);
	if (is_rng) {
		env.gm = &ram.gm;
		env.irq_set = irq_set;
		env.irq_opaque = &line;
		dev = (struct device){ .cls = &virtio_rng_class, .base = WIN,
				       .size = VIRTIO_MMIO_SIZE, .spi = SPI };
		FZ_CHECK(virtio_rng_class.create(&dev, &env) == 0);
	} else {
		struct irq_line irq = { line_set, &line, SPI };

		blk = calloc(1, sizeof(*blk));
		FZ_CHECK(blk);
		blk->ram = &ram;
		fz_blk_disk(&f, &blk->disk);
		blk_config(&blk->disk, blk->config);
		blk->ops = (struct virtio_dev_ops){
			.name = "virtio-blk", .device_id = VIRTIO_ID_BLOCK,
			.features = blk_features(&blk->disk), .num_queues = 1,
			.config_len = BLK_CONFIG_LEN, .config_read = fblk_config_read,
			.activate = fblk_activate, .notify = fblk_notify, .reset = fblk_reset,
		};
		blk->vdev.t = virtio_mmio_create(&blk->ops, blk, &ram.gm, irq);
		FZ_CHECK(blk->vdev.t);
		dev.opaque = blk;
	}
	FZ_CHECK(bus_register(b, WIN, VIRTIO_MMIO_SIZE, &virtio_vdev_bus_ops, dev.opaque) == 0);

	while (fz_more(&f) && steps++ < 256) {
		uint8_t op = fz_u8(&f), buf[8];
		struct virtio_vdev *vd = dev.opaque;
		uint64_t off;
		unsigned sz;

		status_zeroed = false;
		switch (op % 12) {
		case 0: case 1: /* a register, 32-bit */
			off = (fz_u8(&f) % 0x40) * 4u;
			if (op & 0x80)
				wr(b, off, off >= VMIO_QUEUE_DESC_LO && off < 0xb0 && !(op & 0x40) ?
					   (uint32_t)fz_gpa(&f, &ram) : fz_u32(&f));
			else
				rd(b, off);
			break;
		case 2: /* anything anywhere in (and just past) the window */
			sz = fz_size(&f);
			off = fz_u16(&f) % (VIRTIO_MMIO_SIZE + 8);
			put_le64(buf, fz_u64(&f));
			if (off == VMIO_STATUS && sz == 4 && (op & 0x80) && !get_le32(buf))
				status_zeroed = true;
			bus_access(b, WIN + off, buf, sz, op & 0x80);
			break;
		case 3:
			linux_probe(&f, &ram, b);
			break;
		case 4: case 5:
			virtio_mmio_lock(vd->t);
			vq = virtio_mmio_queue(vd->t, 0);
			if (vq->enabled && vq->desc_gpa >= FZ_RAM_BASE)
				fz_vq_write_desc(&f, &ram, vq->desc_gpa - FZ_RAM_BASE, vq->size);
			virtio_mmio_unlock(vd->t);
			break;
		case 6:
			virtio_mmio_lock(vd->t);
			vq = virtio_mmio_queue(vd->t, 0);
			if (vq->enabled && vq->avail_gpa >= FZ_RAM_BASE)
				fz_vq_publish(&f, &ram, vq->avail_gpa - FZ_RAM_BASE, vq->size);
			virtio_mmio_unlock(vd->t);
			break;
		case 7: /* QueueNotify (rng serves it right there) */
			wr(b, VMIO_QUEUE_NOTIFY, op & 0x80 ? fz_u32(&f) : 0);
			break;
		case 8: /* the event loop's turn (blk) */
			if (blk)
				fblk_process(blk);
			break;
		case 9:
			wr(b, VMIO_INT_ACK, op & 0x80 ? fz_u32(&f) : rd(b, VMIO_INT_STATUS));
			break;
		case 10:
			if (op & 0x80)
				fz_ram_poke(&f, &ram);
			else
				fz_ram_poison(&f, &ram);
			break;
		case 11: /* VM reset */
			if (is_rng)
				virtio_rng_class.reset(&dev);
			else
				virtio_vdev_reset(&dev);
			status_zeroed = true;
			FZ_CHECK(rd(b, VMIO_STATUS) == 0);
			break;
		}
		FZ_CHECK(line.level == (rd(b, VMIO_INT_STATUS) != 0));
		if (needs_reset && !status_zeroed)
			FZ_CHECK(rd(b, VMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		needs_reset = rd(b, VMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	}

	if (is_rng) {
		virtio_rng_class.destroy(&dev);
	} else {
		virtio_mmio_destroy(blk->vdev.t);
		free(blk);
	}
	bus_destroy(b);
	fz_ram_fini(&ram);
	return 0;
}
