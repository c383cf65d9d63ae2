/* The virtio-blk and virtio-rng device classes end to end through the
 * virtio-mmio transport (vmm/virtio/blk.c, rng.c, vdev.c over mmio.c and
 * virtqueue.c): a driver written here negotiates, sets up a split queue (or
 * a packed one: same devices, same checks) in a fake guest RAM, makes chains available and notifies; a fake event loop
 * runs the device's watched callback. Checks used elements, status bytes,
 * data on the image file, the interrupt, config space, a malformed chain
 * (DEVICE_NEEDS_RESET), a reset with I/O in flight (nothing written to
 * the guest afterwards), and requests on a poisoned (PROT_NONE) page with a
 * fake RAS report hook. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "irq_recorder.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/blk_req.h"
#include "virtio/rng.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1024 * 1024)
#define DESC  (RAM_BASE + 0x1000)
#define AVAIL (RAM_BASE + 0x2000)
#define USED  (RAM_BASE + 0x3000)
#define HDR   (RAM_BASE + 0x4000)
#define STAT  (RAM_BASE + 0x5000)
#define DATA  (RAM_BASE + 0x10000)
#define BAD   (RAM_BASE + RAM_SIZE - 4096)	/* PROT_NONE: "poisoned" */
#define QSIZE 16

struct tctx {
	uint8_t *ram;
	struct guest_mem gm;
	struct irq_recorder rec;
	struct device d;
	struct disk_config dc;
	char path[64];
	int fd;
	/* the fake loop's one watch */
	int wfd;
	loop_cb_t wcb;
	void *wopaque;
	uint16_t avail_idx;
	/* the fake RAS runtime's report_poison hook (with_ras) */
	bool with_ras;
	unsigned nreports;
	uint64_t rep_gpa[8], rep_len[8];
};

static bool in_ram(uint64_t gpa, size_t len)
{
	return range_within(gpa, len, RAM_BASE, RAM_SIZE);
}

/* The last page is unreadable: guarded copies fail as on a poisoned page,
 * the kernel's I/O on it fails with EFAULT. */
static bool on_bad(uint64_t gpa, size_t len)
{
	return gpa + len > BAD;
}

static int t_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	struct tctx *t = o;

	if (!in_ram(gpa, len))
		return -EFAULT;
	if (on_bad(gpa, len))
		return -EIO;
	memcpy(buf, t->ram + (gpa - RAM_BASE), len);
	return 0;
}

static int t_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	struct tctx *t = o;

	if (!in_ram(gpa, len))
		return -EFAULT;
	if (on_bad(gpa, len))
		return -EIO;
	memcpy(t->ram + (gpa - RAM_BASE), buf, len);
	return 0;
}

static void *t_map(void *o, uint64_t gpa, size_t len)
{
	struct tctx *t = o;

	return in_ram(gpa, len) ? t->ram + (gpa - RAM_BASE) : NULL;
}

static uint8_t *P(struct tctx *t, uint64_t gpa)
{
	return t->ram + (gpa - RAM_BASE);
}

/* The RAS runtime's side: records each buffer, finds BAD poisoned. */
static int t_report(void *opaque, uint64_t gpa, uint64_t len)
{
	struct tctx *t = opaque;

	if (t->nreports < ARRAY_SIZE(t->rep_gpa)) {
		t->rep_gpa[t->nreports] = gpa;
		t->rep_len[t->nreports] = len;
	}
	t->nreports++;
	return gpa < BAD + 4096 && gpa + len > BAD ? 1 : 0;
}

static int t_watch(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	struct tctx *t = opaque;

	t->wfd = fd;
	t->wcb = cb;
	t->wopaque = cb_opaque;
	return 0;
}

static void t_unwatch(void *opaque, int fd)
{
	struct tctx *t = opaque;

	assert_int_equal(fd, t->wfd);
	t->wfd = -1;
}

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->ram == MAP_FAILED || mprotect(P(t, BAD), 4096, PROT_NONE))
		return -1;
	t->gm = (struct guest_mem){ t_read, t_write, t, t_map };
	strcpy(t->path, "/tmp/mvr-vdev-XXXXXX");
	t->fd = mkstemp(t->path);
	if (t->fd < 0 || ftruncate(t->fd, 1 << 20))
		return -1;
	t->dc = (struct disk_config){ .path = t->path, .serial = "vdev-serial" };
	t->wfd = -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;

	if (t->d.opaque)
		t->d.cls->destroy(&t->d);
	close(t->fd);
	unlink(t->path);
	munmap(t->ram, RAM_SIZE);
	free(t);
	return 0;
}

static void create(struct tctx *t, const struct dev_class *cls, const void *param)
{
	struct dev_env env = {
		.gm = &t->gm,
		.watch_fd = t_watch,
		.unwatch_fd = t_unwatch,
		.loop_opaque = t,
		.irq_set = irq_recorder_set,
		.irq_opaque = &t->rec,
		.report_poison = t->with_ras ? t_report : NULL,
		.report_opaque = t,
	};

	memset(&t->rec, 0, sizeof(t->rec));
	t->d = (struct device){ .cls = cls, .base = 0x0a000000, .size = 0x200, .spi = 16,
				.param = param };
	assert_int_equal(cls->create(&t->d, &env), 0);
	assert_non_null(t->d.opaque);
}

static uint32_t rd(struct tctx *t, uint64_t off)
{
	uint64_t v = 0;

	assert_int_equal(t->d.cls->mmio->read(t->d.opaque, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct tctx *t, uint64_t off, uint32_t v)
{
	assert_int_equal(t->d.cls->mmio->write(t->d.opaque, off, 4, v), 0);
}

/* The driver's side of 3.1.1 without EVENT_IDX or indirect descriptors:
 * one queue of QSIZE, split rings at DESC/AVAIL/USED, or with 'packed'
 * (VIRTIO_F_RING_PACKED) the descriptor ring at DESC and the driver and
 * device event suppression structures at AVAIL and USED. Returns the
 * device features. */
static uint64_t driver_init_layout(struct tctx *t, bool packed)
{
	uint64_t f;

	memset(P(t, DESC), 0, 0x3000);
	t->avail_idx = 0;
	wr(t, VMIO_STATUS, 0);
	wr(t, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(t, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VMIO_DEV_FEATURES_SEL, 0);
	f = rd(t, VMIO_DEV_FEATURES);
	wr(t, VMIO_DEV_FEATURES_SEL, 1);
	f |= (uint64_t)rd(t, VMIO_DEV_FEATURES) << 32;
	assert_true(f & VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	f &= ~(VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	if (!packed)
		f &= ~VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	wr(t, VMIO_DRV_FEATURES_SEL, 0);
	wr(t, VMIO_DRV_FEATURES, (uint32_t)f);
	wr(t, VMIO_DRV_FEATURES_SEL, 1);
	wr(t, VMIO_DRV_FEATURES, (uint32_t)(f >> 32));
	wr(t, VMIO_STATUS, 11);
	assert_int_equal(rd(t, VMIO_STATUS), 11);
	wr(t, VMIO_QUEUE_SEL, 0);
	wr(t, VMIO_QUEUE_NUM, QSIZE);
	wr(t, VMIO_QUEUE_DESC_LO, (uint32_t)DESC);
	wr(t, VMIO_QUEUE_DESC_LO + 4, (uint32_t)(DESC >> 32));
	wr(t, VMIO_QUEUE_DRIVER_LO, (uint32_t)AVAIL);
	wr(t, VMIO_QUEUE_DRIVER_LO + 4, (uint32_t)(AVAIL >> 32));
	wr(t, VMIO_QUEUE_DEVICE_LO, (uint32_t)USED);
	wr(t, VMIO_QUEUE_DEVICE_LO + 4, (uint32_t)(USED >> 32));
	wr(t, VMIO_QUEUE_READY, 1);
	wr(t, VMIO_STATUS, 15);
	assert_int_equal(rd(t, VMIO_STATUS), 15);
	return f;
}

static uint64_t driver_init(struct tctx *t)
{
	return driver_init_layout(t, false);
}

static void desc(struct tctx *t, unsigned i, uint64_t addr, uint32_t len, bool write, int next)
{
	uint8_t *p = P(t, DESC + 16ull * i);

	put_le64(p, addr);
	put_le32(p + 8, len);
	put_le16(p + 12, (uint16_t)((next >= 0 ? 1 : 0) | (write ? 2 : 0)));
	put_le16(p + 14, (uint16_t)(next >= 0 ? next : 0));
}

static void publish(struct tctx *t, uint16_t head)
{
	put_le16(P(t, AVAIL + 4 + 2 * (t->avail_idx % QSIZE)), head);
	t->avail_idx++;
	put_le16(P(t, AVAIL + 2), t->avail_idx);
}

static uint16_t used_idx(struct tctx *t)
{
	return get_le16(P(t, USED + 2));
}

static void used_elem(struct tctx *t, unsigned i, uint32_t *id, uint32_t *len)
{
	*id = get_le32(P(t, USED + 4 + 8 * (i % QSIZE)));
	*len = get_le32(P(t, USED + 4 + 8 * (i % QSIZE) + 4));
}

/* Run the device's loop callback until used->idx reaches 'want'. */
static void run_until(struct tctx *t, uint16_t want)
{
	int i;

	for (i = 0; i < 5000 && used_idx(t) != want; i++) {
		assert_int_equal(t->wcb(t->wopaque, t->wfd), 0);
		if (used_idx(t) != want)
			usleep(1000);
	}
	assert_int_equal(used_idx(t), want);
}

static void blk_hdr(struct tctx *t, uint64_t gpa, uint32_t type, uint64_t sector)
{
	put_le32(P(t, gpa), type);
	put_le32(P(t, gpa + 4), 0);
	put_le64(P(t, gpa + 8), sector);
}

static void test_blk_config(void **state)
{
	struct tctx *t = *state;
	uint64_t v = 0, f;

	create(t, &virtio_blk_class, &t->dc);
	assert_int_equal(t->wfd >= 0, 1);
	assert_int_equal(rd(t, 0x008), VIRTIO_ID_BLOCK);
	f = driver_init(t);
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_false(f & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	/* capacity: 1 MiB = 2048 sectors, read as one 8-byte access. */
	assert_int_equal(t->d.cls->mmio->read(t->d.opaque, VMIO_CONFIG, 8, &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(rd(t, VMIO_CONFIG + BLK_CFG_BLK_SIZE), 512);
}

static void test_blk_write_read(void **state)
{
	struct tctx *t = *state;
	uint8_t back[4096];
	uint32_t id, len;
	unsigned i;

	create(t, &virtio_blk_class, &t->dc);
	driver_init(t);
	/* OUT 4 KiB at sector 8: chain 0-1-2. */
	for (i = 0; i < 4096; i++)
		*P(t, DATA + i) = (uint8_t)(i * 13 + 1);
	blk_hdr(t, HDR, VIRTIO_BLK_T_OUT, 8);
	*P(t, STAT) = 0xaa;
	desc(t, 0, HDR, 16, false, 1);
	desc(t, 1, DATA, 4096, false, 2);
	desc(t, 2, STAT, 1, true, -1);
	publish(t, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 1);
	used_elem(t, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 1);
	assert_int_equal(*P(t, STAT), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(t->fd, back, 4096, 8 * 512), 4096);
	assert_memory_equal(back, P(t, DATA), 4096);
	/* The used-buffer interrupt was raised. */
	assert_true(rd(t, VMIO_INT_STATUS) & 1);
	assert_true(t->rec.n > 0);
	assert_int_equal(t->rec.ev[t->rec.n - 1].spi, 16);
	assert_int_equal(t->rec.ev[t->rec.n - 1].level, 1);
	wr(t, 0x064, 1);

	/* Two chains in one notification: IN of that block, GET_ID. */
	memset(P(t, DATA + 0x8000), 0, 4096);
	blk_hdr(t, HDR + 0x100, VIRTIO_BLK_T_IN, 8);
	desc(t, 3, HDR + 0x100, 16, false, 4);
	desc(t, 4, DATA + 0x8000, 4096, true, 5);
	desc(t, 5, STAT + 1, 1, true, -1);
	blk_hdr(t, HDR + 0x200, VIRTIO_BLK_T_GET_ID, 0);
	desc(t, 6, HDR + 0x200, 16, false, 7);
	desc(t, 7, DATA + 0xc000, 20, true, 8);
	desc(t, 8, STAT + 2, 1, true, -1);
	publish(t, 3);
	publish(t, 6);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 3);
	assert_memory_equal(P(t, DATA + 0x8000), back, 4096);
	assert_memory_equal(P(t, DATA + 0xc000), "vdev-serial\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(*P(t, STAT + 1), VIRTIO_BLK_S_OK);
	assert_int_equal(*P(t, STAT + 2), VIRTIO_BLK_S_OK);
	/* GET_ID needs no I/O and completes first. */
	used_elem(t, 1, &id, &len);
	assert_int_equal(id, 6);
	assert_int_equal(len, 21);
	used_elem(t, 2, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 4097);
}

static void test_blk_malformed(void **state)
{
	struct tctx *t = *state;

	create(t, &virtio_blk_class, &t->dc);
	driver_init(t);
	/* An 8-byte header: the queue is broken, the device needs a reset. */
	desc(t, 0, HDR, 8, false, 1);
	desc(t, 1, STAT, 1, true, -1);
	publish(t, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(t->wcb(t->wopaque, t->wfd), 0);
	assert_true(rd(t, VMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(used_idx(t), 0);
	/* After a reset the device works again. */
	driver_init(t);
	blk_hdr(t, HDR, VIRTIO_BLK_T_FLUSH, 0);
	desc(t, 0, HDR, 16, false, 1);
	desc(t, 1, STAT, 1, true, -1);
	publish(t, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 1);
	assert_int_equal(*P(t, STAT), VIRTIO_BLK_S_OK);
}

/* Reset with reads in flight: afterwards neither the status bytes nor the
 * used ring change. */
static void test_blk_reset_inflight(void **state)
{
	struct tctx *t = *state;
	unsigned i;

	create(t, &virtio_blk_class, &t->dc);
	driver_init(t);
	for (i = 0; i < 4; i++) {
		blk_hdr(t, HDR + 16 * i, VIRTIO_BLK_T_IN, i * 8);
		desc(t, 3 * i, HDR + 16 * i, 16, false, (int)(3 * i + 1));
		desc(t, 3 * i + 1, DATA + 4096 * i, 4096, true, (int)(3 * i + 2));
		desc(t, 3 * i + 2, STAT + i, 1, true, -1);
		*P(t, STAT + i) = 0xaa;
		publish(t, (uint16_t)(3 * i));
	}
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(t->wcb(t->wopaque, t->wfd), 0);	/* submits */
	t->d.cls->reset(&t->d);
	assert_int_equal(rd(t, VMIO_STATUS), 0);
	usleep(20000);
	assert_int_equal(t->wcb(t->wopaque, t->wfd), 0);
	assert_int_equal(used_idx(t), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(*P(t, STAT + i), 0xaa);
}

static void test_blk_readonly(void **state)
{
	struct tctx *t = *state;
	uint64_t f;

	t->dc.readonly = true;
	create(t, &virtio_blk_class, &t->dc);
	f = driver_init(t);
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_false(f & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	blk_hdr(t, HDR, VIRTIO_BLK_T_OUT, 0);
	desc(t, 0, HDR, 16, false, 1);
	desc(t, 1, DATA, 512, false, 2);
	desc(t, 2, STAT, 1, true, -1);
	publish(t, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 1);
	assert_int_equal(*P(t, STAT), VIRTIO_BLK_S_IOERR);
}

/* With --ras: a write from a poisoned page and a read into one complete
 * with IOERR and have their buffers checked once each (the good buffer of
 * the write too: the device cannot tell which page failed); the next
 * request works and checks nothing; a request refused for another reason
 * checks nothing. */
static void test_blk_poisoned_buffer(void **state)
{
	struct tctx *t = *state;
	struct virtio_blk_stats st;
	uint32_t id, len;

	t->with_ras = true;
	create(t, &virtio_blk_class, &t->dc);
	driver_init(t);
	memset(P(t, DATA), 0x77, 4096);
	blk_hdr(t, HDR, VIRTIO_BLK_T_OUT, 0);
	*P(t, STAT) = 0xaa;
	desc(t, 0, HDR, 16, false, 1);
	desc(t, 1, DATA, 4096, false, 2);
	desc(t, 2, BAD, 4096, false, 3);
	desc(t, 3, STAT, 1, true, -1);
	publish(t, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 1);
	used_elem(t, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 1);
	assert_int_equal(*P(t, STAT), VIRTIO_BLK_S_IOERR);
	assert_int_equal(t->nreports, 2);
	assert_int_equal(t->rep_gpa[0], DATA);
	assert_int_equal(t->rep_len[0], 4096);
	assert_int_equal(t->rep_gpa[1], BAD);
	assert_int_equal(t->rep_len[1], 4096);

	/* A read into the poisoned page. */
	blk_hdr(t, HDR + 0x100, VIRTIO_BLK_T_IN, 0);
	*P(t, STAT + 1) = 0xaa;
	desc(t, 4, HDR + 0x100, 16, false, 5);
	desc(t, 5, BAD + 512, 1024, true, 6);
	desc(t, 6, STAT + 1, 1, true, -1);
	publish(t, 4);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 2);
	assert_int_equal(*P(t, STAT + 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(t->nreports, 3);
	assert_int_equal(t->rep_gpa[2], BAD + 512);
	assert_int_equal(t->rep_len[2], 1024);

	/* Everything else carries on: a good write, then one past the end
	 * (IOERR, but nothing a poisoned page explains). */
	blk_hdr(t, HDR + 0x200, VIRTIO_BLK_T_OUT, 8);
	desc(t, 7, HDR + 0x200, 16, false, 8);
	desc(t, 8, DATA, 4096, false, 9);
	desc(t, 9, STAT + 2, 1, true, -1);
	publish(t, 7);
	blk_hdr(t, HDR + 0x300, VIRTIO_BLK_T_OUT, 2048);
	desc(t, 10, HDR + 0x300, 16, false, 11);
	desc(t, 11, DATA, 4096, false, 12);
	desc(t, 12, STAT + 3, 1, true, -1);
	publish(t, 10);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 4);
	assert_int_equal(*P(t, STAT + 2), VIRTIO_BLK_S_OK);
	assert_int_equal(*P(t, STAT + 3), VIRTIO_BLK_S_IOERR);
	assert_int_equal(t->nreports, 3);
	virtio_blk_get_stats(t->d.opaque, &st);
	assert_int_equal(st.poisoned, 2);
	assert_int_equal(st.io_errors, 3);
	assert_int_equal(st.writes, 3);
	assert_int_equal(st.reads, 1);
}

/* Without --ras (no hook) the same request fails the same way. */
static void test_blk_poisoned_buffer_without_ras(void **state)
{
	struct tctx *t = *state;
	struct virtio_blk_stats st;

	create(t, &virtio_blk_class, &t->dc);
	driver_init(t);
	blk_hdr(t, HDR, VIRTIO_BLK_T_IN, 0);
	*P(t, STAT) = 0xaa;
	desc(t, 0, HDR, 16, false, 1);
	desc(t, 1, BAD, 4096, true, 2);
	desc(t, 2, STAT, 1, true, -1);
	publish(t, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 1);
	assert_int_equal(*P(t, STAT), VIRTIO_BLK_S_IOERR);
	assert_int_equal(t->nreports, 0);
	virtio_blk_get_stats(t->d.opaque, &st);
	assert_int_equal(st.poisoned, 0);
	assert_int_equal(st.io_errors, 1);
}

static void test_rng(void **state)
{
	struct tctx *t = *state;
	uint32_t id, len;

	create(t, &virtio_rng_class, NULL);
	assert_int_equal(rd(t, 0x008), VIRTIO_ID_RNG);
	driver_init(t);
	memset(P(t, DATA), 0xaa, 64);
	desc(t, 0, DATA, 32, true, 1);
	desc(t, 1, DATA + 32, 16, true, -1);
	publish(t, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);	/* served on the notifying thread */
	assert_int_equal(used_idx(t), 1);
	used_elem(t, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 48);
	assert_true(rd(t, VMIO_INT_STATUS) & 1);
	assert_int_equal(*P(t, DATA + 48), 0xaa);
}

/* ---- the same devices over packed rings (VIRTIO_F_RING_PACKED) ---- */

#define PF_NEXT  1
#define PF_WRITE 2
#define PF_AVAIL (1 << 7)
#define PF_USED  (1 << 15)

/* The driver side of a packed ring of QSIZE at DESC (2.8.21.1). */
struct pring {
	uint16_t next;
	bool wrap;
};

/* Make a chain of n buffers available with Buffer ID 'id': flags of the
 * first descriptor written last. */
static void pchain(struct tctx *t, struct pring *r, const uint64_t *addr, const uint32_t *len,
		   const bool *write, unsigned n, uint16_t id)
{
	uint16_t first = r->next, first_flags = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint8_t *p = P(t, DESC + 16ull * r->next);
		uint16_t f = (r->wrap ? PF_AVAIL : PF_USED) | (write[i] ? PF_WRITE : 0) |
			     (i + 1 < n ? PF_NEXT : 0);

		put_le64(p, addr[i]);
		put_le32(p + 8, len[i]);
		put_le16(p + 12, id);
		if (i)
			put_le16(p + 14, f);
		else
			first_flags = f;
		if (++r->next == QSIZE) {
			r->next = 0;
			r->wrap = !r->wrap;
		}
	}
	put_le16(P(t, DESC + 16ull * first + 14), first_flags);
}

/* A blk request header + status chain (FLUSH, GET_ID) or with data. */
static void pblk(struct tctx *t, struct pring *r, uint64_t hdr, uint64_t data, uint32_t dlen,
		 bool dwrite, uint64_t stat, uint16_t id)
{
	uint64_t a[3] = { hdr, data, stat };
	uint32_t l[3] = { 16, dlen, 1 };
	bool w[3] = { false, dwrite, true };

	if (dlen) {
		pchain(t, r, a, l, w, 3, id);
	} else {
		a[1] = stat;
		l[1] = 1;
		w[1] = true;
		pchain(t, r, a, l, w, 2, id);
	}
}

/* Whether position pos holds a used descriptor of lap 'wrap'. */
static bool pused(struct tctx *t, uint16_t pos, bool wrap)
{
	uint16_t f = get_le16(P(t, DESC + 16ull * pos + 14));

	return !!(f & PF_AVAIL) == wrap && !!(f & PF_USED) == wrap;
}

static void prun_until(struct tctx *t, uint16_t pos, bool wrap)
{
	int i;

	for (i = 0; i < 5000 && !pused(t, pos, wrap); i++) {
		assert_int_equal(t->wcb(t->wopaque, t->wfd), 0);
		if (!pused(t, pos, wrap))
			usleep(1000);
	}
	assert_true(pused(t, pos, wrap));
}

static void pused_desc(struct tctx *t, uint16_t pos, uint16_t *id, uint32_t *len)
{
	*id = get_le16(P(t, DESC + 16ull * pos + 12));
	*len = get_le32(P(t, DESC + 16ull * pos + 8));
}

/* virtio-blk does not care which layout its queue has: writes, reads,
 * out-of-order completion, a chain across the ring's end; then a reset
 * and a driver that wants split rings again. */
static void test_blk_packed(void **state)
{
	struct tctx *t = *state;
	struct pring r = { 0, true };
	uint8_t back[4096];
	unsigned i, seen;
	uint16_t id;
	uint32_t len;

	create(t, &virtio_blk_class, &t->dc);
	assert_true(driver_init_layout(t, true) & VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	for (i = 0; i < 4096; i++)
		*P(t, DATA + i) = (uint8_t)(i * 7 + 3);
	blk_hdr(t, HDR, VIRTIO_BLK_T_OUT, 16);
	*P(t, STAT) = 0xaa;
	pblk(t, &r, HDR, DATA, 4096, false, STAT, 9);		/* positions 0-2 */
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	prun_until(t, 0, true);
	pused_desc(t, 0, &id, &len);
	assert_int_equal(id, 9);
	assert_int_equal(len, 1);
	assert_int_equal(*P(t, STAT), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(t->fd, back, 4096, 16 * 512), 4096);
	assert_memory_equal(back, P(t, DATA), 4096);
	assert_true(rd(t, VMIO_INT_STATUS) & 1);
	wr(t, VMIO_INT_ACK, 1);

	/* IN at 3-5, GET_ID at 6-8: GET_ID is answered at once, so its used
	 * descriptor comes first (position 3) and the read's follows at 3 +
	 * GET_ID's three descriptors. */
	memset(P(t, DATA + 0x8000), 0, 4096);
	blk_hdr(t, HDR + 0x100, VIRTIO_BLK_T_IN, 16);
	blk_hdr(t, HDR + 0x200, VIRTIO_BLK_T_GET_ID, 0);
	pblk(t, &r, HDR + 0x100, DATA + 0x8000, 4096, true, STAT + 1, 4);
	pblk(t, &r, HDR + 0x200, DATA + 0xc000, 20, true, STAT + 2, 5);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	prun_until(t, 6, true);
	pused_desc(t, 3, &id, &len);
	assert_int_equal(id, 5);
	assert_int_equal(len, 21);
	pused_desc(t, 6, &id, &len);
	assert_int_equal(id, 4);
	assert_int_equal(len, 4097);
	assert_memory_equal(P(t, DATA + 0x8000), back, 4096);
	assert_memory_equal(P(t, DATA + 0xc000), "vdev-serial\0\0\0\0\0\0\0\0", 20);

	/* FLUSHes of two descriptors at 9, 11, 13 and 15+0: the last one
	 * crosses the ring's end. They complete in any order (io_uring), so
	 * the used descriptors at 9, 11, 13 and 15 (lap 1's bits) carry the
	 * four ids in some order; the next chain (position 1, lap 2) is
	 * served too. */
	for (i = 0; i < 4; i++) {
		blk_hdr(t, HDR + 0x300 + 16 * i, VIRTIO_BLK_T_FLUSH, 0);
		pblk(t, &r, HDR + 0x300 + 16 * i, 0, 0, false, STAT + 3 + i, (uint16_t)(20 + i));
	}
	assert_int_equal(r.next, 1);
	assert_false(r.wrap);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	prun_until(t, 15, true);
	for (i = 0, seen = 0; i < 4; i++) {
		assert_true(pused(t, (uint16_t)(9 + 2 * i), true));
		pused_desc(t, (uint16_t)(9 + 2 * i), &id, &len);
		assert_true(id >= 20 && id < 24);
		seen |= 1u << (id - 20);
		assert_int_equal(*P(t, STAT + 3 + i), VIRTIO_BLK_S_OK);
	}
	assert_int_equal(seen, 0xf);
	blk_hdr(t, HDR + 0x400, VIRTIO_BLK_T_FLUSH, 0);
	pblk(t, &r, HDR + 0x400, 0, 0, false, STAT + 8, 30);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	prun_until(t, 1, false);
	pused_desc(t, 1, &id, &len);
	assert_int_equal(id, 30);
	assert_int_equal(*P(t, STAT + 8), VIRTIO_BLK_S_OK);

	/* Reset (a reboot): the next driver uses split rings and finds the
	 * queue in its initial state. */
	driver_init(t);
	blk_hdr(t, HDR, VIRTIO_BLK_T_FLUSH, 0);
	desc(t, 0, HDR, 16, false, 1);
	desc(t, 1, STAT, 1, true, -1);
	publish(t, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	run_until(t, 1);
	/* ...and a packed driver after it starts at position 0, lap 1. */
	driver_init_layout(t, true);
	r = (struct pring){ 0, true };
	pblk(t, &r, HDR, 0, 0, false, STAT, 77);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	prun_until(t, 0, true);
	pused_desc(t, 0, &id, &len);
	assert_int_equal(id, 77);
}

/* A packed chain with a buffer outside RAM: DEVICE_NEEDS_RESET, nothing
 * used. */
static void test_blk_packed_malformed(void **state)
{
	struct tctx *t = *state;
	struct pring r = { 0, true };

	create(t, &virtio_blk_class, &t->dc);
	driver_init_layout(t, true);
	blk_hdr(t, HDR, VIRTIO_BLK_T_IN, 0);
	pblk(t, &r, HDR, RAM_BASE + RAM_SIZE - 512, 4096, true, STAT, 1);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(t->wcb(t->wopaque, t->wfd), 0);
	assert_true(rd(t, VMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_false(pused(t, 0, true));
}

static void test_rng_packed(void **state)
{
	struct tctx *t = *state;
	struct pring r = { 0, true };
	uint64_t a[2] = { DATA, DATA + 32 };
	uint32_t l[2] = { 32, 16 };
	bool w[2] = { true, true };
	uint16_t id;
	uint32_t len;

	create(t, &virtio_rng_class, NULL);
	driver_init_layout(t, true);
	memset(P(t, DATA), 0xaa, 64);
	pchain(t, &r, a, l, w, 2, 3);
	wr(t, VMIO_QUEUE_NOTIFY, 0);	/* served on the notifying thread */
	assert_true(pused(t, 0, true));
	pused_desc(t, 0, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 48);
	assert_true(get_le16(P(t, DESC + 14)) & PF_WRITE);
	assert_true(rd(t, VMIO_INT_STATUS) & 1);
	assert_int_equal(*P(t, DATA + 48), 0xaa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blk_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_reset_inflight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_poisoned_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_poisoned_buffer_without_ras, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rng, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_packed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_packed_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_packed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
