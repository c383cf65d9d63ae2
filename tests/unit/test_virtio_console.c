/* virtio-console (vmm/virtio/console.c) end to end through the virtio-mmio
 * transport: a driver written here sets up receiveq 0 and transmitq 1 in a
 * fake guest RAM; a fake event loop runs the device's watched callback; the
 * console fd is a pipe (non-blocking, or blocking and one page small). Checks output reaching the pipe in order (also when
 * the pipe takes only part of it, and when the output ring fills), input
 * landing in receive buffers, no room without buffers or before DRIVER_OK,
 * reset, a malformed chain, the board's input routing and the counters. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "board.h"
#include "devices/pl011.h"
#include "irq_recorder.h"
#include "util.h"
#include "virtio/console.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1024 * 1024)
#define QSIZE 16
/* Queue q's rings: desc, avail, used one page apart, 0x4000 per queue. */
#define DESC(q)  (RAM_BASE + 0x1000 + 0x4000ull * (q))
#define AVAIL(q) (DESC(q) + 0x1000)
#define USED(q)  (DESC(q) + 0x2000)
#define DATA     (RAM_BASE + 0x10000)
#define BIG      (RAM_BASE + 0x40000)	/* room for 128 KiB */

struct tctx {
	uint8_t *ram;
	struct guest_mem gm;
	struct irq_recorder rec;
	struct device d;
	int pipe[2];			/* [1]: the console fd */
	int wfd;			/* the fake loop's one watch */
	loop_cb_t wcb;
	void *wopaque;
	uint16_t avail_idx[2];
	uint64_t poison;		/* this page fails with -EIO (0: none) */
};

static bool in_ram(uint64_t gpa, size_t len)
{
	return range_within(gpa, len, RAM_BASE, RAM_SIZE);
}

static bool poisoned(const struct tctx *t, uint64_t gpa, size_t len)
{
	return t->poison && gpa < t->poison + 4096 && t->poison < gpa + len;
}

static int t_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	struct tctx *t = o;

	if (!in_ram(gpa, len))
		return -EFAULT;
	if (poisoned(t, gpa, len))
		return -EIO;
	memcpy(buf, t->ram + (gpa - RAM_BASE), len);
	return 0;
}

static int t_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	struct tctx *t = o;

	if (!in_ram(gpa, len))
		return -EFAULT;
	if (poisoned(t, gpa, len))
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
	struct dev_env env;

	if (!t)
		return -1;
	t->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->ram == MAP_FAILED || pipe2(t->pipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	t->gm = (struct guest_mem){ t_read, t_write, t, t_map };
	t->wfd = -1;
	env = (struct dev_env){
		.gm = &t->gm,
		.console_fd = t->pipe[1],
		.watch_fd = t_watch,
		.unwatch_fd = t_unwatch,
		.loop_opaque = t,
		.irq_set = irq_recorder_set,
		.irq_opaque = &t->rec,
	};
	t->d = (struct device){ .cls = &virtio_console_class, .base = 0x0a000000, .size = 0x200,
				.spi = 16 };
	if (virtio_console_class.create(&t->d, &env) || !t->d.opaque || t->wfd < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;

	t->d.cls->destroy(&t->d);
	assert_int_equal(t->wfd, -1);	/* unwatched */
	close(t->pipe[0]);
	close(t->pipe[1]);
	munmap(t->ram, RAM_SIZE);
	free(t);
	return 0;
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

static void wr64(struct tctx *t, uint64_t off, uint64_t v)
{
	wr(t, off, (uint32_t)v);
	wr(t, off + 4, (uint32_t)(v >> 32));
}

/* 3.1.1 with split rings, without EVENT_IDX or indirect descriptors; both
 * queues of QSIZE. Returns the device features. */
static uint64_t driver_init(struct tctx *t)
{
	uint64_t f;
	unsigned q;

	wr(t, VMIO_STATUS, 0);
	memset(P(t, DESC(0)), 0, 0x8000);
	t->avail_idx[0] = t->avail_idx[1] = 0;
	wr(t, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(t, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VMIO_DEV_FEATURES_SEL, 0);
	f = rd(t, VMIO_DEV_FEATURES);
	wr(t, VMIO_DEV_FEATURES_SEL, 1);
	f |= (uint64_t)rd(t, VMIO_DEV_FEATURES) << 32;
	f &= ~(VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
	       VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	wr(t, VMIO_DRV_FEATURES_SEL, 0);
	wr(t, VMIO_DRV_FEATURES, (uint32_t)f);
	wr(t, VMIO_DRV_FEATURES_SEL, 1);
	wr(t, VMIO_DRV_FEATURES, (uint32_t)(f >> 32));
	wr(t, VMIO_STATUS, 11);
	assert_int_equal(rd(t, VMIO_STATUS), 11);
	for (q = 0; q < 2; q++) {
		wr(t, VMIO_QUEUE_SEL, q);
		wr(t, VMIO_QUEUE_NUM, QSIZE);
		wr64(t, VMIO_QUEUE_DESC_LO, DESC(q));
		wr64(t, VMIO_QUEUE_DRIVER_LO, AVAIL(q));
		wr64(t, VMIO_QUEUE_DEVICE_LO, USED(q));
		wr(t, VMIO_QUEUE_READY, 1);
	}
	wr(t, VMIO_STATUS, 15);
	assert_int_equal(rd(t, VMIO_STATUS), 15);
	return f;
}

static void desc(struct tctx *t, unsigned q, unsigned i, uint64_t addr, uint32_t len, bool write,
		 int next)
{
	uint8_t *p = P(t, DESC(q) + 16ull * i);

	put_le64(p, addr);
	put_le32(p + 8, len);
	put_le16(p + 12, (uint16_t)((next >= 0 ? 1 : 0) | (write ? 2 : 0)));
	put_le16(p + 14, (uint16_t)(next >= 0 ? next : 0));
}

static void publish(struct tctx *t, unsigned q, uint16_t head)
{
	put_le16(P(t, AVAIL(q) + 4 + 2 * (t->avail_idx[q] % QSIZE)), head);
	t->avail_idx[q]++;
	put_le16(P(t, AVAIL(q) + 2), t->avail_idx[q]);
}

static uint16_t used_idx(struct tctx *t, unsigned q)
{
	return get_le16(P(t, USED(q) + 2));
}

static void used_elem(struct tctx *t, unsigned q, unsigned i, uint32_t *id, uint32_t *len)
{
	*id = get_le32(P(t, USED(q) + 4 + 8 * (i % QSIZE)));
	*len = get_le32(P(t, USED(q) + 4 + 8 * (i % QSIZE) + 4));
}

/* One round of the main loop for the device. */
static int run(struct tctx *t)
{
	return t->wcb(t->wopaque, t->wfd);
}

/* Everything the pipe holds now, appended at buf+*n (at most max). */
static void drain_pipe(struct tctx *t, uint8_t *buf, size_t *n, size_t max)
{
	ssize_t r;

	while (*n < max && (r = read(t->pipe[0], buf + *n, max - *n)) > 0)
		*n += (size_t)r;
}

static size_t room(struct tctx *t)
{
	return t->d.cls->input_room(&t->d);
}

static size_t input(struct tctx *t, const char *s, size_t len)
{
	return t->d.cls->input(&t->d, (const uint8_t *)s, len);
}

static uint64_t counter(struct tctx *t, const char *name)
{
	struct dev_stats st = { 0 };
	unsigned i;

	t->d.cls->stats(&t->d, &st);
	assert_string_equal(st.model, "virtio-console");
	for (i = 0; i < st.ncounters; i++)
		if (!strcmp(st.c[i].name, name))
			return st.c[i].value;
	fail_msg("no counter %s", name);
	return 0;
}

static void test_ids_config(void **state)
{
	struct tctx *t = *state;
	uint64_t f, v = 0;

	assert_int_equal(rd(t, VMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	f = driver_init(t);
	/* No SIZE, MULTIPORT or EMERG_WRITE (device feature bits 0..2). */
	assert_int_equal(f & 7, 0);
	assert_true(f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
	wr(t, VMIO_QUEUE_SEL, 1);
	assert_int_not_equal(rd(t, VMIO_QUEUE_NUM_MAX), 0);
	wr(t, VMIO_QUEUE_SEL, 2);
	assert_int_equal(rd(t, VMIO_QUEUE_NUM_MAX), 0);
	/* max_nr_ports at offset 4 is 1; past the 12 bytes nothing. */
	assert_int_equal(rd(t, VMIO_CONFIG + 4), 1);
	assert_int_equal(rd(t, VMIO_CONFIG), 0);
	assert_int_not_equal(t->d.cls->mmio->read(t->d.opaque, VMIO_CONFIG + 12, 4, &v), 0);
}

/* A transmit chain of two readable buffers reaches the console fd. */
static void test_tx(void **state)
{
	struct tctx *t = *state;
	uint8_t out[64];
	size_t n = 0;
	uint32_t id, len;
	struct dev_stats st = { 0 };

	driver_init(t);
	memcpy(P(t, DATA), "hello ", 6);
	memcpy(P(t, DATA + 0x100), "world\n", 6);
	desc(t, 1, 0, DATA, 6, false, 1);
	desc(t, 1, 1, DATA + 0x100, 6, false, -1);
	publish(t, 1, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 1);	/* copied and used at once (the guest spins) */
	assert_int_equal(used_idx(t, 1), 1);
	drain_pipe(t, out, &n, sizeof(out));
	assert_int_equal(n, 0);	/* written by the loop */
	assert_int_equal(run(t), 0);
	drain_pipe(t, out, &n, sizeof(out));
	assert_int_equal(n, 12);
	assert_memory_equal(out, "hello world\n", 12);
	assert_int_equal(used_idx(t, 1), 1);
	used_elem(t, 1, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_true(rd(t, VMIO_INT_STATUS) & 1);
	assert_true(t->rec.n > 0);
	assert_int_equal(t->rec.ev[t->rec.n - 1].spi, 16);
	assert_int_equal(t->rec.ev[t->rec.n - 1].level, 1);

	t->d.cls->stats(&t->d, &st);
	assert_int_equal(st.nqueues, 2);
	assert_int_equal(st.q[1].popped, 1);
	assert_int_equal(st.q[1].pushed, 1);
	assert_int_equal(st.q[0].popped, 0);
	assert_int_equal(counter(t, "tx-bytes"), 12);
	assert_int_equal(counter(t, "status"), 15);
}

/* Input: no room before DRIVER_OK; held until the guest gives receive
 * buffers, then delivered in order across chains; no room when the guest
 * gives none and the input ring is full. */
static void test_rx(void **state)
{
	struct tctx *t = *state;
	char big[VCON_IN_SIZE];
	uint32_t id, len;

	assert_int_equal(room(t), 0);
	assert_int_equal(input(t, "x", 1), 0);
	driver_init(t);
	assert_int_equal(room(t), VCON_IN_SIZE);
	assert_int_equal(input(t, "0123456789", 10), 10);
	assert_int_equal(room(t), VCON_IN_SIZE - 10);
	assert_int_equal(used_idx(t, 0), 0);

	/* Two chains: 4 bytes, then 8 bytes in two buffers. */
	memset(P(t, DATA), '.', 64);
	desc(t, 0, 0, DATA, 4, true, -1);
	desc(t, 0, 1, DATA + 16, 3, true, 2);
	desc(t, 0, 2, DATA + 32, 5, true, -1);
	publish(t, 0, 0);
	publish(t, 0, 1);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(run(t), 0);
	assert_int_equal(used_idx(t, 0), 2);
	used_elem(t, 0, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 4);
	used_elem(t, 0, 1, &id, &len);
	assert_int_equal(id, 1);
	assert_int_equal(len, 6);
	assert_memory_equal(P(t, DATA), "0123.", 5);
	assert_memory_equal(P(t, DATA + 16), "456.", 4);
	assert_memory_equal(P(t, DATA + 32), "789.", 4);
	assert_int_equal(room(t), VCON_IN_SIZE);
	assert_true(rd(t, VMIO_INT_STATUS) & 1);
	wr(t, VMIO_INT_ACK, 1);

	/* A buffer already waiting: input goes straight into it. */
	desc(t, 0, 3, DATA + 48, 8, true, -1);
	publish(t, 0, 3);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(run(t), 0);	/* nothing to give yet */
	assert_int_equal(used_idx(t, 0), 2);
	assert_int_equal(input(t, "ab", 2), 2);
	assert_int_equal(used_idx(t, 0), 3);
	used_elem(t, 0, 2, &id, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(P(t, DATA + 48), "ab", 2);
	assert_true(rd(t, VMIO_INT_STATUS) & 1);

	/* No buffers left: the ring fills, then no room. */
	memset(big, 'z', sizeof(big));
	assert_int_equal(input(t, big, sizeof(big)), VCON_IN_SIZE);
	assert_int_equal(room(t), 0);
	assert_int_equal(input(t, "y", 1), 0);
	assert_int_equal(counter(t, "input-pending"), VCON_IN_SIZE);
	assert_int_equal(counter(t, "rx-bytes"), 12);
}

/* The console fd as a blocking one-page pipe: the device must not block
 * in write() (an alarm ends the test if it does). */
static void console_fd_small_blocking(struct tctx *t)
{
	assert_true(fcntl(t->pipe[1], F_SETPIPE_SZ, 4096) >= 4096);
	assert_int_equal(fcntl(t->pipe[1], F_SETFL, 0), 0);
	alarm(20);
}

/* The console fd takes part of the output at a time (a one-page pipe):
 * every byte arrives once and in order, the chains are used at once and
 * the callback asks to be called again later. */
static void test_partial_writes(void **state)
{
	struct tctx *t = *state;
	static uint8_t out[3 * 5000 + 1];
	size_t n = 0;
	unsigned i, rounds;
	int ret;

	console_fd_small_blocking(t);
	driver_init(t);
	for (i = 0; i < 3 * 5000; i++)
		*P(t, BIG + i) = (uint8_t)(i * 7 + i / 251);
	for (i = 0; i < 3; i++) {
		desc(t, 1, i, BIG + 5000ull * i, 5000, false, -1);
		publish(t, 1, (uint16_t)i);
	}
	wr(t, VMIO_QUEUE_NOTIFY, 1);
	ret = run(t);
	assert_int_equal(ret, VCON_RETRY_MS);
	assert_int_equal(used_idx(t, 1), 3);	/* copied into the ring */
	assert_int_equal(counter(t, "output-pending"), 3 * 5000 - fcntl(t->pipe[1], F_GETPIPE_SZ));
	for (rounds = 0; rounds < 100 && n < 3 * 5000; rounds++) {
		drain_pipe(t, out, &n, sizeof(out));
		ret = run(t);
	}
	drain_pipe(t, out, &n, sizeof(out));
	assert_int_equal(ret, 0);
	assert_int_equal(n, 3 * 5000);
	assert_memory_equal(out, P(t, BIG), 3 * 5000);
	assert_int_equal(counter(t, "output-pending"), 0);
	assert_int_equal(counter(t, "dropped"), 0);
	alarm(0);
}

/* A chain larger than the output ring: it stays unused (back-pressure)
 * until the ring has taken all of it; nothing is lost or reordered. */
static void test_output_ring_full(void **state)
{
	struct tctx *t = *state;
	const size_t total = VCON_OUT_SIZE + 20000;
	uint8_t *out = malloc(total + 1);
	size_t n = 0, i;
	unsigned rounds;

	assert_non_null(out);
	console_fd_small_blocking(t);
	driver_init(t);
	for (i = 0; i < total; i++)
		*P(t, BIG + i) = (uint8_t)(i * 13 + i / 509);
	desc(t, 1, 0, BIG, 30000, false, 1);
	desc(t, 1, 1, BIG + 30000, (uint32_t)(total - 30000), false, -1);
	publish(t, 1, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(run(t), VCON_RETRY_MS);
	assert_int_equal(used_idx(t, 1), 0);
	for (rounds = 0; rounds < 1000 && (n < total || used_idx(t, 1) != 1); rounds++) {
		drain_pipe(t, out, &n, total + 1);
		run(t);
	}
	drain_pipe(t, out, &n, total + 1);
	assert_int_equal(used_idx(t, 1), 1);
	assert_int_equal(n, total);
	assert_memory_equal(out, P(t, BIG), total);
	free(out);
	alarm(0);
}

/* Reset: pending input is dropped, no room until the driver is back; the
 * device then works with the new queues. */
static void test_reset(void **state)
{
	struct tctx *t = *state;
	uint8_t out[16];
	size_t n = 0;

	driver_init(t);
	assert_int_equal(input(t, "stale", 5), 5);
	t->d.cls->reset(&t->d);
	assert_int_equal(rd(t, VMIO_STATUS), 0);
	assert_int_equal(room(t), 0);
	driver_init(t);
	assert_int_equal(counter(t, "input-pending"), 0);
	desc(t, 0, 0, DATA, 8, true, -1);
	publish(t, 0, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(run(t), 0);
	assert_int_equal(used_idx(t, 0), 0);
	assert_int_equal(input(t, "new", 3), 3);
	assert_int_equal(used_idx(t, 0), 1);
	assert_memory_equal(P(t, DATA), "new", 3);
	/* Output still flows after the reset. */
	memcpy(P(t, DATA + 0x100), "ok", 2);
	desc(t, 1, 0, DATA + 0x100, 2, false, -1);
	publish(t, 1, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(run(t), 0);
	drain_pipe(t, out, &n, sizeof(out));
	assert_int_equal(n, 2);
	assert_memory_equal(out, "ok", 2);
}

/* A transmit descriptor outside guest RAM: DEVICE_NEEDS_RESET, counted,
 * nothing written. */
static void test_malformed(void **state)
{
	struct tctx *t = *state;
	uint8_t out[16];
	size_t n = 0;

	driver_init(t);
	desc(t, 1, 0, RAM_BASE + RAM_SIZE - 8, 64, false, -1);
	publish(t, 1, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(run(t), 0);
	assert_true(rd(t, VMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(used_idx(t, 1), 0);
	drain_pipe(t, out, &n, sizeof(out));
	assert_int_equal(n, 0);
	assert_int_equal(counter(t, "malformed"), 1);
}

/* Poisoned guest buffers (guest_mem -EIO): a transmit chain's readable
 * part before the page still goes out, the rest is counted as dropped and
 * the chain is used; a receive chain on the page is used with 0 bytes and
 * the input waits for the next chain. The VMM carries on. */
static void test_poisoned_buffers(void **state)
{
	struct tctx *t = *state;
	uint8_t out[64];
	size_t n = 0;
	uint32_t id, len;

	driver_init(t);
	t->poison = DATA + 0x1000;
	memcpy(P(t, DATA), "good", 4);
	desc(t, 1, 0, DATA, 4, false, 1);
	desc(t, 1, 1, DATA + 0x1000, 16, false, -1);
	publish(t, 1, 0);
	wr(t, VMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(used_idx(t, 1), 1);
	assert_int_equal(run(t), 0);
	drain_pipe(t, out, &n, sizeof(out));
	assert_int_equal(n, 4);
	assert_memory_equal(out, "good", 4);
	assert_int_equal(counter(t, "dropped"), 16);
	assert_false(rd(t, VMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);

	desc(t, 0, 0, DATA + 0x1000, 8, true, -1);
	desc(t, 0, 1, DATA + 0x2000, 8, true, -1);
	publish(t, 0, 0);
	publish(t, 0, 1);
	assert_int_equal(input(t, "key", 3), 3);
	assert_int_equal(used_idx(t, 0), 2);
	used_elem(t, 0, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	used_elem(t, 0, 1, &id, &len);
	assert_int_equal(id, 1);
	assert_int_equal(len, 3);
	assert_memory_equal(P(t, DATA + 0x2000), "key", 3);
}

/* board.c: --console virtio lists the device last and gives it the input;
 * the PL011 stays the console UART (stdout-path, SPCR). */
static void test_board_routing(void **state)
{
	struct vm_config cfg = { .ram_size = 256 << 20, .ncpus = 1, .rng = true };
	struct devlist l;
	const struct device *in;

	(void)state;
	assert_int_equal(board_describe(&cfg, &l), 0);
	assert_ptr_equal(devlist_input(&l), devlist_console(&l));
	assert_ptr_equal(devlist_console(&l)->cls, &pl011_class);

	cfg.virtio_console = true;
	assert_int_equal(board_describe(&cfg, &l), 0);
	in = devlist_input(&l);
	assert_ptr_equal(in->cls, &virtio_console_class);
	assert_ptr_equal(in, &l.dev[l.n - 1]);
	assert_int_equal(in->base, 0x0a000200);	/* after the rng's window */
	assert_int_equal(in->spi, 17);
	assert_ptr_equal(devlist_console(&l)->cls, &pl011_class);
	assert_non_null(pl011_class.input_room);
	assert_non_null(pl011_class.input);
	assert_int_equal(devlist_set_input(&l, (int)l.n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_ring_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poisoned_buffers, setup, teardown),
		cmocka_unit_test(test_board_routing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
