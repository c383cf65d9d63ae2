/* virtio-net (vmm/virtio/net.c, net_tap.c; VIRTIO 1.2 section 5.1) end to
 * end through the virtio-mmio transport: a driver written here negotiates,
 * sets up the receive and transmit queues in a fake guest RAM and a fake
 * event loop runs the device's watched callbacks; a SOCK_SEQPACKET
 * socketpair stands in for the tap (one packet per read/write). Checks
 * what reaches the "tap", what the guest receives (single and merged
 * buffers, num_buffers), that nothing is read without buffers, malformed
 * chains (DEVICE_NEEDS_RESET), a poisoned transmit buffer (dropped and
 * counted), config space, and the feature-to-offload mapping. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "irq_recorder.h"
#include "util.h"
#include "virtio/net.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1024 * 1024)
#define RXQ_GPA (RAM_BASE + 0x1000)	/* desc, avail; used at +0x1000 */
#define TXQ_GPA (RAM_BASE + 0x4000)
#define BUF     (RAM_BASE + 0x10000)	/* packet buffers */
#define BAD_PAGE (RAM_BASE + 0xf0000)	/* mprotect()ed PROT_NONE when asked */
#define QSIZE 16

struct watch {
	int fd;
	loop_cb_t cb;
	void *opaque;
};

struct drvq {
	uint64_t desc, avail, used;
	uint16_t avail_idx, last_used;
};

struct tctx {
	uint8_t *ram;
	struct guest_mem gm;
	struct irq_recorder rec;
	struct device d;
	struct net_config nc;
	int dev_fd, peer;		/* socketpair: the device's "tap" and the host */
	struct watch w[4];		/* the fake loop */
	struct drvq q[2];
};

static int t_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	struct tctx *t = o;

	if (!range_within(gpa, len, RAM_BASE, RAM_SIZE))
		return -EFAULT;
	memcpy(buf, t->ram + (gpa - RAM_BASE), len);
	return 0;
}

static int t_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	struct tctx *t = o;

	if (!range_within(gpa, len, RAM_BASE, RAM_SIZE))
		return -EFAULT;
	memcpy(t->ram + (gpa - RAM_BASE), buf, len);
	return 0;
}

static void *t_map(void *o, uint64_t gpa, size_t len)
{
	struct tctx *t = o;

	return range_within(gpa, len, RAM_BASE, RAM_SIZE) ? t->ram + (gpa - RAM_BASE) : NULL;
}

static uint8_t *P(struct tctx *t, uint64_t gpa)
{
	return t->ram + (gpa - RAM_BASE);
}

/* ---- the fake event loop: callbacks for readable watched fds ---- */

static int t_watch(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	struct tctx *t = opaque;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(t->w); i++)
		assert_false(t->w[i].cb && t->w[i].fd == fd);	/* never twice */
	for (i = 0; i < ARRAY_SIZE(t->w); i++) {
		if (!t->w[i].cb) {
			t->w[i] = (struct watch){ fd, cb, cb_opaque };
			return 0;
		}
	}
	return -ENOSPC;
}

static void t_unwatch(void *opaque, int fd)
{
	struct tctx *t = opaque;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(t->w); i++)
		if (t->w[i].cb && t->w[i].fd == fd)
			t->w[i].cb = NULL;
}

static bool watched(struct tctx *t, int fd)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(t->w); i++)
		if (t->w[i].cb && t->w[i].fd == fd)
			return true;
	return false;
}

/* Run callbacks of readable fds until none is readable (at most 'rounds'
 * passes); a callback's negative answer ends its watch, as loop.c does. */
static void run_loop(struct tctx *t, int rounds)
{
	bool any = true;
	unsigned i;

	while (any && rounds-- > 0) {
		any = false;
		for (i = 0; i < ARRAY_SIZE(t->w); i++) {
			struct pollfd p = { .fd = t->w[i].fd, .events = POLLIN };
			struct watch w = t->w[i];

			if (!w.cb || poll(&p, 1, 0) != 1)
				continue;
			any = true;
			if (w.cb(w.opaque, w.fd) < 0 && t->w[i].cb == w.cb && t->w[i].fd == w.fd)
				t->w[i].cb = NULL;
		}
	}
}

/* ---- setup ---- */

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));
	int sv[2];

	if (!t)
		return -1;
	t->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->ram == MAP_FAILED)
		return -1;
	t->gm = (struct guest_mem){ t_read, t_write, t, t_map };
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return -1;
	t->dev_fd = sv[0];
	t->peer = sv[1];
	t->nc = (struct net_config){ .tap = "tap-test" };
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;

	if (t->d.opaque)
		t->d.cls->destroy(&t->d);	/* closes dev_fd */
	else
		close(t->dev_fd);
	close(t->peer);
	munmap(t->ram, RAM_SIZE);
	free(t);
	return 0;
}

static void create(struct tctx *t)
{
	struct dev_env env = {
		.gm = &t->gm,
		.watch_fd = t_watch,
		.unwatch_fd = t_unwatch,
		.loop_opaque = t,
		.irq_set = irq_recorder_set,
		.irq_opaque = &t->rec,
	};

	memset(&t->rec, 0, sizeof(t->rec));
	t->d = (struct device){ .cls = &virtio_net_class, .base = 0x0a000000, .size = 0x200,
				.spi = 18, .param = &t->nc };
	assert_int_equal(virtio_net_create_with_fd(&t->d, &env, t->dev_fd), 0);
	assert_non_null(t->d.opaque);
}

static uint32_t rd(struct tctx *t, uint64_t off)
{
	uint64_t v = 0;

	assert_int_equal(t->d.cls->mmio->read(t->d.opaque, off, 4, &v), 0);
	return (uint32_t)v;
}

static uint64_t rd_cfg(struct tctx *t, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(t->d.cls->mmio->read(t->d.opaque, VMIO_CONFIG + off, size, &v), 0);
	return v;
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

static uint64_t dev_features(struct tctx *t)
{
	uint64_t f;

	wr(t, VMIO_DEV_FEATURES_SEL, 0);
	f = rd(t, VMIO_DEV_FEATURES);
	wr(t, VMIO_DEV_FEATURES_SEL, 1);
	return f | (uint64_t)rd(t, VMIO_DEV_FEATURES) << 32;
}

/* 3.1.1 with the driver features 'want' (VERSION_1 added): both queues
 * of QSIZE, DRIVER_OK. */
static void driver_init(struct tctx *t, uint64_t want)
{
	unsigned i;

	want |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	memset(P(t, RXQ_GPA), 0, 0x6000);
	wr(t, VMIO_STATUS, 0);
	wr(t, VMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	assert_int_equal(want & ~dev_features(t), 0);
	wr(t, VMIO_DRV_FEATURES_SEL, 0);
	wr(t, VMIO_DRV_FEATURES, (uint32_t)want);
	wr(t, VMIO_DRV_FEATURES_SEL, 1);
	wr(t, VMIO_DRV_FEATURES, (uint32_t)(want >> 32));
	wr(t, VMIO_STATUS, 11);
	assert_int_equal(rd(t, VMIO_STATUS), 11);
	for (i = 0; i < 2; i++) {
		struct drvq *q = &t->q[i];
		uint64_t base = i == NET_RXQ ? RXQ_GPA : TXQ_GPA;

		*q = (struct drvq){ .desc = base, .avail = base + 16 * QSIZE, .used = base + 0x1000 };
		wr(t, VMIO_QUEUE_SEL, i);
		wr(t, VMIO_QUEUE_NUM, QSIZE);
		wr64(t, VMIO_QUEUE_DESC_LO, q->desc);
		wr64(t, VMIO_QUEUE_DRIVER_LO, q->avail);
		wr64(t, VMIO_QUEUE_DEVICE_LO, q->used);
		wr(t, VMIO_QUEUE_READY, 1);
	}
	wr(t, VMIO_STATUS, 15);
	assert_int_equal(rd(t, VMIO_STATUS), 15);
	run_loop(t, 4);		/* the activation wake-up */
}

static void desc(struct tctx *t, unsigned qi, unsigned i, uint64_t addr, uint32_t len, bool write,
		 int next)
{
	uint8_t *p = P(t, t->q[qi].desc + 16ull * i);

	put_le64(p, addr);
	put_le32(p + 8, len);
	put_le16(p + 12, (uint16_t)((next >= 0 ? 1 : 0) | (write ? 2 : 0)));
	put_le16(p + 14, (uint16_t)(next >= 0 ? next : 0));
}

static void publish(struct tctx *t, unsigned qi, uint16_t head)
{
	struct drvq *q = &t->q[qi];

	put_le16(P(t, q->avail + 4 + 2 * (q->avail_idx % QSIZE)), head);
	q->avail_idx++;
	put_le16(P(t, q->avail + 2), q->avail_idx);
}

static uint16_t used_idx(struct tctx *t, unsigned qi)
{
	return get_le16(P(t, t->q[qi].used + 2));
}

static void used_elem(struct tctx *t, unsigned qi, unsigned i, uint32_t *id, uint32_t *len)
{
	const uint8_t *e = P(t, t->q[qi].used + 4 + 8 * (i % QSIZE));

	*id = get_le32(e);
	*len = get_le32(e + 4);
}

static struct virtio_net_stats stats(struct tctx *t)
{
	struct virtio_net_stats st;

	virtio_net_get_stats(t->d.opaque, &st);
	return st;
}

/* A frame of 'len' bytes behind a vnet header whose num_buffers is junk
 * (the device must overwrite it). */
static void host_send(struct tctx *t, size_t len, uint8_t seed)
{
	uint8_t pkt[2048];
	size_t i;

	assert_true(len + VIRTIO_NET_HDR_LEN <= sizeof(pkt));
	memset(pkt, 0, VIRTIO_NET_HDR_LEN);
	put_le16(pkt + VIRTIO_NET_HDR_NUM_BUFFERS, 0xbeef);
	for (i = 0; i < len; i++)
		pkt[VIRTIO_NET_HDR_LEN + i] = (uint8_t)(seed + i * 7);
	assert_int_equal(send(t->peer, pkt, len + VIRTIO_NET_HDR_LEN, 0),
			 (ssize_t)(len + VIRTIO_NET_HDR_LEN));
}

static bool frame_ok(const uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i * 7))
			return false;
	return true;
}

/* ---- tests ---- */

static void test_config(void **state)
{
	struct tctx *t = *state;
	uint8_t mac[6], other[6];
	uint64_t f;
	unsigned i;

	t->nc.has_mac = true;
	memcpy(t->nc.mac, "\x52\x54\x00\x12\x34\x56", 6);
	create(t);
	assert_int_equal(rd(t, 0x008), VIRTIO_ID_NET);
	f = dev_features(t);
	for (i = 0; i < 64; i++) {
		bool want = i == VIRTIO_NET_F_CSUM || i == VIRTIO_NET_F_GUEST_CSUM ||
			    i == VIRTIO_NET_F_MAC || i == VIRTIO_NET_F_GUEST_TSO4 ||
			    i == VIRTIO_NET_F_GUEST_TSO6 || i == VIRTIO_NET_F_GUEST_ECN ||
			    i == VIRTIO_NET_F_HOST_TSO4 || i == VIRTIO_NET_F_HOST_TSO6 ||
			    i == VIRTIO_NET_F_HOST_ECN || i == VIRTIO_NET_F_MRG_RXBUF ||
			    i == VIRTIO_NET_F_STATUS || i == VIRTIO_F_VERSION_1 ||
			    i == VIRTIO_F_INDIRECT_DESC || i == VIRTIO_F_EVENT_IDX ||
			    i == VIRTIO_F_RING_PACKED;

		assert_int_equal(!!(f & VIRTIO_BIT(i)), want);
	}
	/* No control queue, so no CTRL_VQ/MQ: exactly two queues. */
	wr(t, VMIO_QUEUE_SEL, 2);
	assert_int_equal(rd(t, 0x034), 0);
	wr(t, VMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(t, 0x034), 256);
	for (i = 0; i < 6; i++)
		assert_int_equal(rd_cfg(t, NET_CFG_MAC + i, 1), t->nc.mac[i]);
	assert_int_equal(rd_cfg(t, NET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(rd_cfg(t, NET_CFG_MAX_PAIRS, 2), 1);
	/* Past the config space: refused, not a crash. */
	{
		uint64_t v;

		assert_int_equal(t->d.cls->mmio->read(t->d.opaque, VMIO_CONFIG + NET_CONFIG_LEN, 4, &v),
				 -EINVAL);
	}
	/* The default MAC: locally administered unicast, stable per name. */
	net_default_mac("tap-test", mac);
	net_default_mac("tap-test", other);
	assert_memory_equal(mac, other, 6);
	assert_int_equal(mac[0], 0x02);
	net_default_mac("tap-tesu", other);
	assert_memory_not_equal(mac, other, 6);
}

static void test_default_mac_in_config(void **state)
{
	struct tctx *t = *state;
	uint8_t mac[6];
	unsigned i;

	create(t);
	net_default_mac("tap-test", mac);
	for (i = 0; i < 6; i++)
		assert_int_equal(rd_cfg(t, NET_CFG_MAC + i, 1), mac[i]);
}

static void test_offload_mapping(void **state)
{
	const uint64_t csum = VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	const uint64_t tso4 = VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4);
	const uint64_t tso6 = VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6);
	const uint64_t ecn = VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN);
	const uint64_t host = VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
			      VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);

	assert_int_equal(net_tun_offloads(0), 0);
	/* Host-side (transmit) offloads need nothing from the tap. */
	assert_int_equal(net_tun_offloads(host), 0);
	assert_int_equal(net_tun_offloads(csum), TUN_F_CSUM);
	assert_int_equal(net_tun_offloads(csum | tso4), TUN_F_CSUM | TUN_F_TSO4);
	assert_int_equal(net_tun_offloads(csum | tso4 | tso6 | ecn),
			 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
	/* TSO without checksum offload is invalid: nothing. */
	assert_int_equal(net_tun_offloads(tso4 | tso6), 0);
	/* ECN only with TSO. */
	assert_int_equal(net_tun_offloads(csum | ecn), TUN_F_CSUM);
	/* Receive needs: a full frame, or a 64 KiB GSO packet. */
	assert_int_equal(net_rx_need(csum), 12 + 1518);
	assert_int_equal(net_rx_need(csum | tso6), 12 + 65550);
}

static void test_tx(void **state)
{
	struct tctx *t = *state;
	uint8_t got[256];
	uint32_t id, len;
	unsigned i;

	create(t);
	driver_init(t, 0);
	/* Header (12 bytes) and 100 bytes of frame in two descriptors. */
	for (i = 0; i < VIRTIO_NET_HDR_LEN; i++)
		*P(t, BUF + i) = (uint8_t)(0xa0 + i);
	for (i = 0; i < 100; i++)
		*P(t, BUF + 0x100 + i) = (uint8_t)i;
	desc(t, NET_TXQ, 0, BUF, VIRTIO_NET_HDR_LEN, false, 1);
	desc(t, NET_TXQ, 1, BUF + 0x100, 100, false, -1);
	publish(t, NET_TXQ, 0);
	wr(t, VMIO_QUEUE_NOTIFY, NET_TXQ);
	run_loop(t, 4);
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), 112);
	assert_memory_equal(got, P(t, BUF), VIRTIO_NET_HDR_LEN);
	assert_memory_equal(got + VIRTIO_NET_HDR_LEN, P(t, BUF + 0x100), 100);
	assert_int_equal(used_idx(t, NET_TXQ), 1);
	used_elem(t, NET_TXQ, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_true(rd(t, VMIO_INT_STATUS) & 1);
	assert_int_equal(t->rec.ev[t->rec.n - 1].level, 1);
	assert_int_equal(stats(t).tx_packets, 1);
	assert_int_equal(stats(t).tx_bytes, 100);
	/* Nothing more was sent. */
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), -1);
	/* Two packets in one notification, one descriptor each. */
	desc(t, NET_TXQ, 2, BUF + 0x200, 40, false, -1);
	desc(t, NET_TXQ, 3, BUF + 0x300, 50, false, -1);
	publish(t, NET_TXQ, 2);
	publish(t, NET_TXQ, 3);
	wr(t, VMIO_QUEUE_NOTIFY, NET_TXQ);
	run_loop(t, 4);
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), 40);
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), 50);
	assert_int_equal(used_idx(t, NET_TXQ), 3);
}

/* Without MRG_RXBUF: one chain per packet; the header split over two
 * descriptors (num_buffers lands in the second). */
static void test_rx_single(void **state)
{
	struct tctx *t = *state;
	uint32_t id, len;

	create(t);
	driver_init(t, VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	memset(P(t, BUF), 0xee, 0x4000);
	desc(t, NET_RXQ, 0, BUF, 8, true, 1);
	desc(t, NET_RXQ, 1, BUF + 0x100, 2048, true, -1);
	desc(t, NET_RXQ, 2, BUF + 0x1000, 2048, true, -1);
	publish(t, NET_RXQ, 0);
	publish(t, NET_RXQ, 2);
	wr(t, VMIO_QUEUE_NOTIFY, NET_RXQ);
	host_send(t, 60, 1);
	host_send(t, 1000, 2);
	run_loop(t, 8);
	assert_int_equal(used_idx(t, NET_RXQ), 2);
	used_elem(t, NET_RXQ, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 72);
	/* header bytes 0-7 in the first buffer, 8-11 in the second */
	assert_int_equal(get_le16(P(t, BUF + 0x100 + 2)), 1);	/* num_buffers */
	assert_true(frame_ok(P(t, BUF + 0x100 + 4), 60, 1));
	assert_int_equal(*P(t, BUF + 0x100 + 64), 0xee);
	used_elem(t, NET_RXQ, 1, &id, &len);
	assert_int_equal(id, 2);
	assert_int_equal(len, 1012);
	assert_int_equal(get_le16(P(t, BUF + 0x1000 + 10)), 1);
	assert_true(frame_ok(P(t, BUF + 0x1000 + 12), 1000, 2));
	assert_true(rd(t, VMIO_INT_STATUS) & 1);
	assert_int_equal(stats(t).rx_packets, 2);
	assert_int_equal(stats(t).rx_bytes, 1060);
	/* No buffers left: the next packet waits in the tap. */
	host_send(t, 30, 3);
	run_loop(t, 8);
	assert_int_equal(used_idx(t, NET_RXQ), 2);
	assert_false(watched(t, t->dev_fd));
	assert_int_equal(stats(t).offloads, 0);	/* socketpair: ENOTTY */
}

/* With MRG_RXBUF: a 1500-byte frame over two 1024-byte chains
 * (num_buffers 2), then a small one in the next chain. */
static void test_rx_merged(void **state)
{
	struct tctx *t = *state;
	uint32_t id, len;
	unsigned i;

	create(t);
	driver_init(t, VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
	memset(P(t, BUF), 0xee, 0x4000);
	for (i = 0; i < 3; i++) {
		desc(t, NET_RXQ, i, BUF + 0x1000 * i, 1024, true, -1);
		publish(t, NET_RXQ, (uint16_t)i);
	}
	wr(t, VMIO_QUEUE_NOTIFY, NET_RXQ);
	host_send(t, 1500, 5);
	run_loop(t, 8);
	assert_int_equal(used_idx(t, NET_RXQ), 2);
	used_elem(t, NET_RXQ, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 1024);
	used_elem(t, NET_RXQ, 1, &id, &len);
	assert_int_equal(id, 1);
	assert_int_equal(len, 1512 - 1024);
	assert_int_equal(get_le16(P(t, BUF + 10)), 2);
	{
		uint8_t frame[1500];

		memcpy(frame, P(t, BUF + 12), 1012);
		memcpy(frame + 1012, P(t, BUF + 0x1000), 488);
		assert_true(frame_ok(frame, 1500, 5));
	}
	/* One chain (1024) is left: less than a full frame needs, and the
	 * ring has more room, so the device waits for buffers... */
	assert_int_equal(stats(t).rx_stalls, 1);
	assert_false(watched(t, t->dev_fd));
	host_send(t, 40, 6);
	run_loop(t, 8);
	assert_int_equal(used_idx(t, NET_RXQ), 2);
	/* ...which the driver adds and notifies. */
	desc(t, NET_RXQ, 3, BUF + 0x3000, 1024, true, -1);
	publish(t, NET_RXQ, 3);
	wr(t, VMIO_QUEUE_NOTIFY, NET_RXQ);
	run_loop(t, 8);
	assert_int_equal(used_idx(t, NET_RXQ), 3);
	used_elem(t, NET_RXQ, 2, &id, &len);
	assert_int_equal(id, 2);
	assert_int_equal(len, 52);
	assert_int_equal(get_le16(P(t, BUF + 0x2000 + 10)), 1);
	assert_true(frame_ok(P(t, BUF + 0x2000 + 12), 40, 6));
	assert_int_equal(stats(t).rx_packets, 2);
	assert_int_equal(stats(t).rx_stalls, 2);
}

/* No receive buffers: the device does not read the tap (the packet stays
 * there) and stops watching it until the receive queue is notified. With
 * EVENT_IDX the device asks for that notification at the next buffer. */
static void test_rx_no_buffers(void **state)
{
	struct tctx *t = *state;
	uint8_t peek[64];
	uint32_t id, len;

	create(t);
	driver_init(t, VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	assert_true(watched(t, t->dev_fd));	/* activation watches the tap */
	/* One buffer for two packets: the second one stays in the tap. */
	desc(t, NET_RXQ, 0, BUF, 256, true, -1);
	publish(t, NET_RXQ, 0);
	host_send(t, 10, 8);
	host_send(t, 20, 9);
	run_loop(t, 8);
	assert_int_equal(used_idx(t, NET_RXQ), 1);
	assert_false(watched(t, t->dev_fd));
	assert_int_equal(recv(t->dev_fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT), 32);
	assert_int_equal(stats(t).rx_stalls, 1);
	/* avail_event = the avail index: notify at the next buffer. */
	assert_int_equal(get_le16(P(t, t->q[NET_RXQ].used + 4 + 8 * QSIZE)), 1);
	/* A transmit notification does not bring the tap back... */
	wr(t, VMIO_QUEUE_NOTIFY, NET_TXQ);
	run_loop(t, 8);
	assert_false(watched(t, t->dev_fd));
	/* ...a receive-queue notification does. */
	desc(t, NET_RXQ, 1, BUF + 0x1000, 256, true, -1);
	publish(t, NET_RXQ, 1);
	wr(t, VMIO_QUEUE_NOTIFY, NET_RXQ);
	run_loop(t, 8);
	assert_int_equal(used_idx(t, NET_RXQ), 2);
	used_elem(t, NET_RXQ, 1, &id, &len);
	assert_int_equal(id, 1);
	assert_int_equal(len, 32);
	assert_true(frame_ok(P(t, BUF + 0x1000 + 12), 20, 9));
	assert_int_equal(recv(t->dev_fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT), -1);
}

/* A transmit chain shorter than the header: DEVICE_NEEDS_RESET, nothing
 * sent; after a reset the device works again. */
static void test_tx_malformed(void **state)
{
	struct tctx *t = *state;
	uint8_t got[64];

	create(t);
	driver_init(t, 0);
	desc(t, NET_TXQ, 0, BUF, 8, false, -1);
	publish(t, NET_TXQ, 0);
	wr(t, VMIO_QUEUE_NOTIFY, NET_TXQ);
	run_loop(t, 4);
	assert_true(rd(t, VMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(used_idx(t, NET_TXQ), 0);
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), -1);
	assert_int_equal(stats(t).malformed, 1);
	/* Reset and again: a good packet goes out. */
	driver_init(t, 0);
	desc(t, NET_TXQ, 0, BUF, 30, false, -1);
	publish(t, NET_TXQ, 0);
	wr(t, VMIO_QUEUE_NOTIFY, NET_TXQ);
	run_loop(t, 4);
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), 30);
	assert_int_equal(rd(t, VMIO_STATUS), 15);
}

/* Receive chains the device cannot use: too small for the header, or
 * with a device-readable buffer. */
static void test_rx_malformed(void **state)
{
	struct tctx *t = *state;
	unsigned round;

	create(t);
	for (round = 0; round < 2; round++) {
		driver_init(t, VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
		if (round == 0) {
			desc(t, NET_RXQ, 0, BUF, 8, true, -1);
		} else {
			desc(t, NET_RXQ, 0, BUF, 64, false, 1);
			desc(t, NET_RXQ, 1, BUF + 0x100, 2048, true, -1);
		}
		publish(t, NET_RXQ, 0);
		wr(t, VMIO_QUEUE_NOTIFY, NET_RXQ);
		host_send(t, 20, 1);
		run_loop(t, 8);
		assert_true(rd(t, VMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		assert_int_equal(used_idx(t, NET_RXQ), 0);
		assert_int_equal(stats(t).malformed, round + 1);
		assert_false(watched(t, t->dev_fd));
	}
}

/* A transmit buffer on a page the kernel cannot read (as a hardware-
 * poisoned one): writev fails with EFAULT, the packet is dropped and
 * counted, the chain is given back and the next packet goes out. */
static void test_tx_poisoned(void **state)
{
	struct tctx *t = *state;
	uint8_t got[64];
	uint32_t id, len;

	create(t);
	driver_init(t, 0);
	assert_int_equal(mprotect(P(t, BAD_PAGE), 4096, PROT_NONE), 0);
	desc(t, NET_TXQ, 0, BUF, VIRTIO_NET_HDR_LEN, false, 1);
	desc(t, NET_TXQ, 1, BAD_PAGE, 64, false, -1);
	desc(t, NET_TXQ, 2, BUF + 0x100, 40, false, -1);
	publish(t, NET_TXQ, 0);
	publish(t, NET_TXQ, 2);
	wr(t, VMIO_QUEUE_NOTIFY, NET_TXQ);
	run_loop(t, 4);
	assert_int_equal(mprotect(P(t, BAD_PAGE), 4096, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(used_idx(t, NET_TXQ), 2);
	used_elem(t, NET_TXQ, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), 40);
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), -1);
	assert_int_equal(stats(t).tx_dropped, 1);
	assert_int_equal(stats(t).tx_packets, 1);
	assert_int_equal(rd(t, VMIO_STATUS), 15);
}

/* Reset with receive chains in the reserve: they are forgotten, nothing
 * is written to the guest afterwards, and the tap stays open. */
static void test_reset(void **state)
{
	struct tctx *t = *state;
	uint8_t got[64];

	create(t);
	driver_init(t, VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
	desc(t, NET_RXQ, 0, BUF, 1024, true, -1);
	publish(t, NET_RXQ, 0);
	host_send(t, 20, 1);
	run_loop(t, 8);		/* one chain popped, too few: waits */
	assert_int_equal(used_idx(t, NET_RXQ), 0);
	t->d.cls->reset(&t->d);
	assert_int_equal(rd(t, VMIO_STATUS), 0);
	memset(P(t, BUF), 0xee, 64);
	run_loop(t, 8);
	assert_int_equal(*P(t, BUF), 0xee);
	/* After a new initialisation the waiting packet arrives. */
	driver_init(t, 0);
	desc(t, NET_RXQ, 0, BUF, 1024, true, -1);
	publish(t, NET_RXQ, 0);
	wr(t, VMIO_QUEUE_NOTIFY, NET_RXQ);
	run_loop(t, 8);
	assert_int_equal(used_idx(t, NET_RXQ), 1);
	assert_true(frame_ok(P(t, BUF + 12), 20, 1));
	/* Transmit still reaches the tap. */
	desc(t, NET_TXQ, 0, BUF + 0x100, 20, false, -1);
	publish(t, NET_TXQ, 0);
	wr(t, VMIO_QUEUE_NOTIFY, NET_TXQ);
	run_loop(t, 4);
	assert_int_equal(recv(t->peer, got, sizeof(got), MSG_DONTWAIT), 20);
}

/* A real tap (skipped without CAP_NET_ADMIN/CAP_NET_RAW or /dev/net/tun):
 * net_tap_open() creates and brings it up with a 12-byte vnet header, the
 * kernel accepts the offloads a TSO driver negotiates, and frames go both
 * ways between the guest's buffers and a packet socket on the interface. */
#define TEST_ETHERTYPE 0x88b5	/* IEEE local experimental */

static void test_real_tap(void **state)
{
	struct tctx *t = *state;
	char name[IFNAMSIZ], why[160], path[96];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t frame[64], got[256];
	struct ifreq ifr = { 0 };
	int fd, ps, hdr = 0, i, found = 0;
	unsigned slot = 0;
	FILE *f;

	snprintf(name, sizeof(name), "mvrut%u", (unsigned)getpid() % 100000u);
	fd = net_tap_open(name, why, sizeof(why));
	if (fd < 0) {
		print_message("skipped: %s\n", why);
		skip();
	}
	/* Keep IPv6 neighbour discovery off the interface. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	f = fopen(path, "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	assert_int_equal(ioctl(fd, TUNGETVNETHDRSZ, &hdr), 0);
	assert_int_equal(hdr, VIRTIO_NET_HDR_LEN);
	assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
	assert_true(ifr.ifr_flags & IFF_VNET_HDR);
	assert_true(ifr.ifr_flags & IFF_NO_PI);
	assert_true(ifr.ifr_flags & IFF_TAP);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	/* The early check: a tap in use is refused in one line... */
	assert_int_equal(net_tap_check(name, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "in use"));
	/* ...and a missing one is not created by it. */
	snprintf(path, sizeof(path), "mvrnx%u", (unsigned)getpid() % 100000u);
	assert_int_equal(net_tap_check(path, why, sizeof(why)), 0);
	assert_int_equal(if_nametoindex(path), 0);
	close(t->dev_fd);
	t->dev_fd = fd;
	t->nc.tap = name;
	create(t);
	driver_init(t, VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
			       VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
			       VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
			       VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) |
			       VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	assert_int_equal(stats(t).offloads, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);

	ps = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (ps < 0) {
		print_message("skipped: no packet socket: %s\n", strerror(errno));
		skip();
	}
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(name);
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);				/* broadcast */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	put_be16(frame + 12, TEST_ETHERTYPE);
	memcpy(frame + 14, "to-guest", 8);

	/* Host to guest: sent on the interface, it comes out of the tap. */
	for (i = 0; i < 4; i++) {
		desc(t, NET_RXQ, (unsigned)i, BUF + 0x1000 * (unsigned)i, 2048, true, -1);
		publish(t, NET_RXQ, (uint16_t)i);
	}
	wr(t, VMIO_QUEUE_NOTIFY, NET_RXQ);
	assert_int_equal(send(ps, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	for (i = 0; i < 200 && !found; i++) {
		uint32_t id, len;

		run_loop(t, 4);
		while (!found && slot < used_idx(t, NET_RXQ)) {
			const uint8_t *p;

			used_elem(t, NET_RXQ, slot++, &id, &len);
			p = P(t, BUF + 0x1000 * id);
			found = len == 12 + sizeof(frame) && get_be16(p + 12 + 12) == TEST_ETHERTYPE &&
				!memcmp(p + 12 + 14, "to-guest", 8);
		}
		if (!found)
			usleep(5000);
	}
	assert_true(found);
	assert_int_equal(stats(t).rx_dropped, 0);

	/* Guest to host: the tap hands it to the interface's receive path. */
	memset(P(t, BUF + 0x8000), 0, VIRTIO_NET_HDR_LEN);
	memcpy(frame + 14, "to-host!", 8);
	memcpy(P(t, BUF + 0x8000 + VIRTIO_NET_HDR_LEN), frame, sizeof(frame));
	desc(t, NET_TXQ, 0, BUF + 0x8000, VIRTIO_NET_HDR_LEN + sizeof(frame), false, -1);
	publish(t, NET_TXQ, 0);
	wr(t, VMIO_QUEUE_NOTIFY, NET_TXQ);
	run_loop(t, 4);
	assert_int_equal(used_idx(t, NET_TXQ), 1);
	assert_int_equal(stats(t).tx_packets, 1);
	for (found = 0, i = 0; i < 200 && !found; i++) {
		ssize_t n = recv(ps, got, sizeof(got), 0);

		if (n < 0) {
			usleep(5000);
			continue;
		}
		found = n >= 22 && get_be16(got + 12) == TEST_ETHERTYPE &&
			!memcmp(got + 14, "to-host!", 8);
	}
	assert_true(found);
	close(ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_mac_in_config, setup, teardown),
		cmocka_unit_test(test_offload_mapping),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_single, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_poisoned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_tap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
