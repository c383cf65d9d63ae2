/* Fuzz target: the virtio-net device (vmm/virtio/net.c) through its
 * dev_class and the virtio-mmio transport, with a SOCK_SEQPACKET
 * socketpair in place of the tap (virtio_net_create_with_fd) and the fake
 * event loop of fuzz_vdev.h. The guest probes with fuzz features (MRG_RXBUF,
 * GUEST_TSO, ...), writes transmit chains (vnet header + frame) and
 * receive chains, direct and indirect, publishes, notifies, acks, resets;
 * the host side sends packets of every size up to past the GSO maximum and
 * drains what the guest sent; the tap fails on request (EAGAIN, EIO,
 * EFAULT); pages get poisoned.
 * readv/writev are wrapped (-Wl,--wrap): on the tap fd every iovec must lie
 * inside the fuzz guest RAM (the device hands guest buffers to the kernel
 * directly, so ASan would not see a stray one), a poisoned page fails
 * with EFAULT as a hardware-poisoned page does, and the results are counted.
 * Invariants besides fuzz_vdev.h's: tx_packets + tx_dropped = writes the
 * tap finished, tx_retries = writes it refused; what the host drains is
 * exactly tx_packets packets and tx_bytes + header bytes; the receive
 * counters never exceed what the tap delivered. */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_virtio.h"
#include "fuzz_vdev.h"

#include "virtio/net.h"

ssize_t __real_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t __real_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t __wrap_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt);

/* The tap as the wrappers see it (one device per input). */
static struct {
	struct fz_ram *ram;
	int fd;				/* the device's end; -1: not wrapped */
	int tx_fail, rx_fail;		/* errno to fail with, 0: none */
	uint64_t tx_done, tx_refused, tx_bytes;
	uint64_t rx_reads, rx_bytes;
} tap = { .fd = -1 };

/* Every iovec inside guest RAM; whether one touches the poisoned range. */
static bool tap_check_iov(const struct iovec *iov, int iovcnt)
{
	const struct fz_ram *r = tap.ram;
	bool poisoned = false;

	FZ_CHECK(iovcnt >= 1 && iovcnt <= 1024);
	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;

		FZ_CHECK(iov[i].iov_len >= 1);
		FZ_CHECK(p >= r->bytes && iov[i].iov_len <= r->size &&
			 (uint64_t)(p - r->bytes) <= r->size - iov[i].iov_len);
		poisoned |= fz_ram_poisoned(r, FZ_RAM_BASE + (uint64_t)(p - r->bytes),
					    iov[i].iov_len);
	}
	return poisoned;
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	if (fd != tap.fd)
		return __real_writev(fd, iov, iovcnt);
	if (tap_check_iov(iov, iovcnt) || tap.tx_fail) {
		errno = tap.tx_fail ? tap.tx_fail : EFAULT;
		n = -1;
	} else {
		n = __real_writev(fd, iov, iovcnt);
	}
	if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
		tap.tx_refused++;
	} else {
		tap.tx_done++;
		if (n > 0)
			tap.tx_bytes += (uint64_t)n;
	}
	return n;
}

ssize_t __wrap_readv(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	if (fd != tap.fd)
		return __real_readv(fd, iov, iovcnt);
	if (tap_check_iov(iov, iovcnt) || tap.rx_fail) {
		int e = tap.rx_fail ? tap.rx_fail : EFAULT;
		uint8_t junk[8];

		/* The packet is lost, as a tap loses it. */
		(void)!read(fd, junk, sizeof(junk));
		errno = e;
		return -1;
	}
	/* A tap returns a packet's full length even when the buffers were
	 * too small for it; MSG_TRUNC makes the socket do the same. */
	n = recvmsg(fd, &(struct msghdr){ .msg_iov = (struct iovec *)iov,
					  .msg_iovlen = (size_t)iovcnt }, MSG_TRUNC);
	if (n > 0) {
		tap.rx_reads++;
		tap.rx_bytes += (uint64_t)n;
	}
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* The host sends one packet: a vnet header from the input, then a frame
 * of a size near the interesting limits. */
static void host_send(struct fz *f, int peer, uint64_t *sent)
{
	static uint8_t pkt[NET_MAX_GSO_FRAME + VIRTIO_NET_HDR_LEN + 64];
	uint8_t sel = fz_u8(f);
	size_t len;

	switch (sel & 7) {
	case 0: case 1: case 2:
		len = fz_u8(f);
		break;
	case 3:
		len = NET_MAX_FRAME + VIRTIO_NET_HDR_LEN - 8 + fz_u8(f) % 16;
		break;
	case 4:
		len = NET_MAX_GSO_FRAME + VIRTIO_NET_HDR_LEN - 32 + fz_u8(f) % 64;
		break;
	default:
		len = fz_u16(f);
		break;
	}
	len = MAX(len, (size_t)1);	/* a tap never reads 0 */
	fz_bytes(f, pkt, MIN(len, (size_t)16));
	memset(pkt + 16, sel, sizeof(pkt) - 16);
	if (send(peer, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		(*sent)++;
}

/* The host reads everything the guest sent. */
static void host_drain(int peer, uint64_t *pkts, uint64_t *bytes)
{
	static uint8_t buf[NET_MAX_GSO_FRAME + 4096];
	ssize_t n;

	while ((n = recv(peer, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC)) > 0) {
		(*pkts)++;
		*bytes += (uint64_t)n;
	}
}

static const int fails[] = { 0, EAGAIN, EIO, EFAULT, ENOBUFS, EINVAL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct net_config nc = { .tap = "fuzz0" };
	struct virtio_net_stats st, st0;
	uint64_t host_sent = 0, got_pkts = 0, got_bytes = 0;
	struct dev_env env;
	struct fzd d;
	unsigned steps = 0;
	int sv[2];

	fzd_init(&d, &env, &virtio_net_class, &nc);
	if (fz_u8(&f) & 1) {
		nc.has_mac = true;
		fz_bytes(&f, nc.mac, 6);
	}
	FZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	tap = (typeof(tap)){ .ram = &d.ram, .fd = sv[0] };
	FZ_CHECK(virtio_net_create_with_fd(&d.dev, &env, sv[0]) == 0);
	fzd_register(&d);
	virtio_net_get_stats(d.dev.opaque, &st0);

	while (fz_more(&f) && steps++ < 256) {
		uint8_t op = fz_u8(&f);

		switch (op % 12) {
		case 0: case 1:
			fzd_ring_op(&f, &d, op >> 7, false, op & 0x40);
			break;
		case 2: case 3:
			fzd_ring_op(&f, &d, op >> 7, true, false);
			break;
		case 4: /* QueueNotify: wakes the loop */
			fzd_wr(&d, VMIO_QUEUE_NOTIFY, op & 0x40 ? fz_u32(&f) : op >> 7);
			break;
		case 5: /* the event loop's turn */
			fzd_run_loop(&d, 1 + (op >> 6));
			break;
		case 6:
			host_send(&f, sv[1], &host_sent);
			break;
		case 7:
			host_drain(sv[1], &got_pkts, &got_bytes);
			break;
		case 8: /* the tap fails from now on, or not */
			if (op & 0x80)
				tap.tx_fail = fails[fz_u8(&f) % ARRAY_SIZE(fails)];
			else
				tap.rx_fail = fails[fz_u8(&f) % ARRAY_SIZE(fails)];
			break;
		case 9:
			fzd_ack_or_reg_op(&f, &d, op);
			break;
		case 10:
			if (op & 0x80)
				fzd_probe(&f, &d);
			else if (op & 0x40)
				fz_ram_poke(&f, &d.ram);
			else
				fz_ram_poison(&f, &d.ram);
			break;
		case 11: /* VM reset */
			d.dev.cls->reset(&d.dev);
			d.status_zeroed = true;
			FZ_CHECK(fzd_rd(&d, VMIO_STATUS) == 0);
			break;
		}
		fzd_check_step(&d, st0.malformed);
		virtio_net_get_stats(d.dev.opaque, &st);
		FZ_CHECK(st.tx_packets + st.tx_dropped == tap.tx_done);
		FZ_CHECK(st.tx_retries == tap.tx_refused);
		FZ_CHECK(st.tx_packets >= st0.tx_packets && st.rx_packets >= st0.rx_packets);
		FZ_CHECK(st.rx_packets <= tap.rx_reads && st.rx_packets <= host_sent);
		FZ_CHECK(st.rx_bytes + VIRTIO_NET_HDR_LEN * st.rx_packets <= tap.rx_bytes);
		FZ_CHECK(got_pkts <= st.tx_packets);
		st0 = st;
	}

	/* Everything the tap took reaches the host, byte for byte. */
	host_drain(sv[1], &got_pkts, &got_bytes);
	virtio_net_get_stats(d.dev.opaque, &st);
	FZ_CHECK(got_pkts == st.tx_packets);
	FZ_CHECK(got_bytes == st.tx_bytes + VIRTIO_NET_HDR_LEN * st.tx_packets);
	FZ_CHECK(tap.tx_bytes == got_bytes);

	fzd_fini(&d);		/* closes sv[0] */
	tap.fd = -1;
	close(sv[1]);
	return 0;
}
