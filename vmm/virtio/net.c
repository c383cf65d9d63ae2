/* virtio-net (VIRTIO 1.2 section 5.1) over a tap: the guest's buffers go
 * to and from the tap fd with readv/writev, header included (zero copy).
 * QueueNotify (a vCPU thread) only writes an eventfd; on the main loop the
 * eventfd callback transmits and re-arms reception, and the tap fd's
 * callback receives. Reception keeps a reserve of popped receive chains
 * large enough for the biggest packet (several chains with MRG_RXBUF, 5.1.6.4)
 * and stops watching the tap while the driver has given too few buffers,
 * until its next receive-queue notification. All queue work runs under the
 * transport lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/dev_stats.h"
#include "log.h"
#include "util.h"
#include "virtio/net.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

#define NET_FEATURES                                                                   \
	(VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |            \
	 VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |             \
	 VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) |       \
	 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |        \
	 VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |         \
	 VIRTIO_BIT(VIRTIO_NET_F_STATUS))

#define NET_RX_IOV_MAX  1024	/* UIO_MAXIOV: one readv */
#define NET_RX_BURST    64	/* packets per tap callback */
#define NET_TX_BURST    256	/* chains per eventfd callback, then yield */
#define NET_TX_RETRY_MS 1	/* tap full: try again after */
#define NET_RX_ERROR_MS 100	/* tap read failing: look again after */

/* A popped receive chain in the reserve: its writable buffers are
 * rx_iov[iov0 .. iov0+niov), 'cap' bytes in all. */
struct net_rx_slot {
	uint16_t head;
	uint16_t iov0, niov;
	uint32_t cap;
};

struct virtio_net {
	struct virtio_vdev vdev;	/* first: device.opaque (vdev.h) */
	const struct guest_mem *gm;
	char name[NET_TAP_NAME_MAX + 1];
	int tap;			/* packets, with a vnet header */
	int efd;			/* QueueNotify, activation, TX retry */
	int (*watch_fd)(void *opaque, int fd, loop_cb_t cb, void *cb_opaque);
	void (*unwatch_fd)(void *opaque, int fd);
	void *loop_opaque;
	bool efd_watched;
	bool rx_watched;		/* the tap fd is on the loop */
	bool rx_kick;			/* receive buffers added since the last look */
	bool active;			/* DRIVER_OK, until reset */
	bool mrg;			/* MRG_RXBUF negotiated */
	uint32_t rx_need;		/* net_rx_need() of the features */
	/* Transmit: a chain the tap refused (EAGAIN), sent before others. */
	bool tx_held;
	struct vq_chain tx_chain;
	struct iovec tx_iov[VQ_MAX_CHAIN];
	/* Receive reserve: popped chains in ring order, not yet used. */
	struct net_rx_slot rx[VQ_MAX_SIZE];
	unsigned rx_n, rx_niov;
	uint64_t rx_cap;
	struct iovec rx_iov[NET_RX_IOV_MAX];
	uint64_t rx_gpa[NET_RX_IOV_MAX];
	struct vq_chain chain;		/* scratch for receive pops */
	uint8_t config[NET_CONFIG_LEN];
	struct virtio_net_stats st;
};

static void net_wake(struct virtio_net *n)
{
	uint64_t one = 1;

	if (write(n->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn_rl("virtio-net %s: cannot wake the event loop: %m", n->name);
}

/* The driver's input broke queue 'vq': the transport tells the driver. */
static void net_broken(struct virtio_net *n, struct virtqueue *vq)
{
	n->st.malformed++;
	vq->broken = true;
	virtio_mmio_needs_reset(n->vdev.t);
}

/* ---- transmit ---- */

enum { TX_HELD = 0, TX_DONE = 1 };

/* Send chain c (header + frame in its readable buffers) and give it back.
 * TX_DONE (sent or dropped and counted), TX_HELD (the tap is full: c is
 * kept for later) or -EINVAL (malformed: header too short, or the used
 * ring broke). */
static int net_tx_chain(struct virtio_net *n, struct virtqueue *vq, const struct vq_chain *c)
{
	unsigned i;
	ssize_t r;

	if (c->read_len < VIRTIO_NET_HDR_LEN) {
		pr_warn_rl("virtio-net %s: transmit chain shorter than the header", n->name);
		return -EINVAL;
	}
	/* Writable buffers (not expected on this queue) are ignored. */
	for (i = 0; i < c->nread; i++)
		n->tx_iov[i] = (struct iovec){ c->buf[i].hva, c->buf[i].len };
	do {
		r = writev(n->tap, n->tx_iov, (int)c->nread);
	} while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
		n->st.tx_retries++;
		return TX_HELD;
	}
	if (r < 0) {
		/* EFAULT: a poisoned guest page; EIO: the tap is down;
		 * EINVAL: a header the tap refuses. The packet is lost. */
		n->st.tx_dropped++;
		pr_warn_rl("virtio-net %s: transmit dropped: %m%s", n->name,
			   errno == EFAULT ? " (guest buffer poisoned?)" : "");
	} else {
		n->st.tx_packets++;
		n->st.tx_bytes += (uint64_t)r - MIN((uint64_t)r, VIRTIO_NET_HDR_LEN);
	}
	return vq_push(vq, c->head, 0) ? -EINVAL : TX_DONE;
}

/* Pop one chain and send it: TX_DONE, TX_HELD, 2 (queue empty) or
 * -EINVAL. */
static int net_tx_one(struct virtio_net *n, struct virtqueue *vq)
{
	int ret = vq_pop(vq, &n->tx_chain);

	if (ret <= 0)
		return ret < 0 ? ret : 2;
	ret = net_tx_chain(n, vq, &n->tx_chain);
	if (ret == TX_HELD)
		n->tx_held = true;
	return ret;
}

/* Lock held: send what the driver made available. Returns the event
 * loop's delay for the eventfd (0, or NET_TX_RETRY_MS with a chain held;
 * the eventfd is then written so that the retry runs). */
static int net_tx_process(struct virtio_net *n)
{
	struct virtqueue *vq = virtio_mmio_queue(n->vdev.t, NET_TXQ);
	unsigned done = 0;
	int ret = 2, delay = 0;

	if (!vq->enabled || vq->broken)
		return 0;
	if (n->tx_held) {
		ret = net_tx_chain(n, vq, &n->tx_chain);
		if (ret == TX_HELD)
			goto held;
		n->tx_held = false;
		if (ret < 0)
			goto broken;
		done++;
	}
	for (;;) {
		/* Drain with notifications off, then turn them on and look
		 * once more (2.7.10). */
		vq_set_notify(vq, false);
		while (done < NET_TX_BURST && (ret = net_tx_one(n, vq)) == TX_DONE)
			done++;
		if (ret < 0)
			goto broken;
		if (ret == TX_HELD)
			goto held;
		if (done >= NET_TX_BURST) {
			/* Let the receive side run; come back at once. */
			net_wake(n);
			goto out;
		}
		vq_set_notify(vq, true);
		ret = net_tx_one(n, vq);
		if (ret < 0)
			goto broken;
		if (ret == TX_HELD)
			goto held;
		if (ret != TX_DONE)
			goto out;
		done++;
	}
held:
	/* Notifications stay off: the timer brings us back. */
	net_wake(n);
	delay = NET_TX_RETRY_MS;
	goto out;
broken:
	net_broken(n, vq);
out:
	if (done)
		virtio_mmio_notify_used(n->vdev.t, NET_TXQ);
	return delay;
}

/* ---- receive ---- */

/* Add popped chain c to the receive reserve. 0, or -EINVAL when it cannot
 * be a receive chain (device-readable buffers, or no room for the header). */
static int net_rx_add(struct virtio_net *n, const struct vq_chain *c)
{
	struct net_rx_slot *s = &n->rx[n->rx_n];
	unsigned i;

	if (c->nread || c->write_len < VIRTIO_NET_HDR_LEN) {
		pr_warn_rl("virtio-net %s: receive chain %s", n->name,
			   c->nread ? "has device-readable buffers" : "too small for the header");
		return -EINVAL;
	}
	*s = (struct net_rx_slot){ .head = c->head, .iov0 = (uint16_t)n->rx_niov,
				   .niov = (uint16_t)c->n,
				   .cap = (uint32_t)MIN(c->write_len, (uint64_t)UINT32_MAX) };
	for (i = 0; i < c->n; i++, n->rx_niov++) {
		n->rx_iov[n->rx_niov] = (struct iovec){ c->buf[i].hva, c->buf[i].len };
		n->rx_gpa[n->rx_niov] = c->buf[i].gpa;
	}
	n->rx_cap += s->cap;
	n->rx_n++;
	return 0;
}

/* Pop receive chains until the reserve can take any packet: rx_need bytes
 * with MRG_RXBUF, one chain without. 1 (enough, or all the driver can
 * give), 0 (the driver has to add buffers first) or -EINVAL (broken). */
static int net_rx_refill(struct virtio_net *n, struct virtqueue *vq)
{
	int ret;

	for (;;) {
		if (n->mrg ? n->rx_cap >= n->rx_need : n->rx_n > 0)
			return 1;
		/* The whole ring is ours, or one readv cannot take more: a
		 * packet that does not fit is dropped. */
		if (n->rx_n >= vq->size || n->rx_niov + VQ_MAX_CHAIN > NET_RX_IOV_MAX)
			return 1;
		ret = vq_pop(vq, &n->chain);
		if (ret <= 0)
			return ret;
		if (net_rx_add(n, &n->chain))
			return -EINVAL;
	}
}

/* Write 'len' bytes at byte 'off' of the buffers iov[0..niov) (guest
 * addresses gpa[]), through the checked guest-memory path. */
static int net_iov_put(const struct guest_mem *gm, const struct iovec *iov, const uint64_t *gpa,
		       unsigned niov, size_t off, const void *src, size_t len)
{
	const uint8_t *p = src;
	unsigned i;
	int r;

	for (i = 0; i < niov && len; i++) {
		size_t piece;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		piece = MIN(len, iov[i].iov_len - off);
		r = guest_mem_write(gm, gpa[i] + off, p, piece);
		if (r)
			return r;
		p += piece;
		len -= piece;
		off = 0;
	}
	return len ? -EFAULT : 0;
}

/* Drop the first k slots of the reserve (used). */
static void net_rx_consume(struct virtio_net *n, unsigned k)
{
	unsigned shift = k < n->rx_n ? n->rx[k].iov0 : n->rx_niov, i;

	for (i = 0; i < k; i++)
		n->rx_cap -= n->rx[i].cap;
	memmove(n->rx, n->rx + k, (n->rx_n - k) * sizeof(n->rx[0]));
	n->rx_n -= k;
	for (i = 0; i < n->rx_n; i++)
		n->rx[i].iov0 = (uint16_t)(n->rx[i].iov0 - shift);
	memmove(n->rx_iov, n->rx_iov + shift, (n->rx_niov - shift) * sizeof(n->rx_iov[0]));
	memmove(n->rx_gpa, n->rx_gpa + shift, (n->rx_niov - shift) * sizeof(n->rx_gpa[0]));
	n->rx_niov -= shift;
}

enum { RX_EMPTY = 0, RX_DONE = 1, RX_ERROR = 2 };

/* Read one packet into the reserve and hand its chains to the driver:
 * RX_DONE (delivered, or dropped and counted), RX_EMPTY (nothing to read),
 * RX_ERROR (the tap fails) or -EINVAL (the used ring broke). */
static int net_rx_packet(struct virtio_net *n, struct virtqueue *vq)
{
	uint64_t cap = n->mrg ? n->rx_cap : n->rx[0].cap;
	unsigned niov = n->mrg ? n->rx_niov : n->rx[0].niov, k;
	uint8_t nb[2];
	uint64_t left;
	ssize_t r;

	do {
		r = readv(n->tap, n->rx_iov, (int)niov);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN)
			return RX_EMPTY;
		n->st.rx_dropped++;
		pr_warn_rl("virtio-net %s: receive failed: %m%s", n->name,
			   errno == EFAULT ? " (guest buffer poisoned?)" : "");
		/* EFAULT loses that one packet; anything else is the tap's. */
		return errno == EFAULT ? RX_DONE : RX_ERROR;
	}
	if (r == 0)
		return RX_ERROR;	/* end of file: not a tap any more */
	/* The tap reports a packet's full length even when the buffers
	 * were too small for it: drop it, the chains stay in the reserve. */
	if ((uint64_t)r > cap || r < VIRTIO_NET_HDR_LEN) {
		n->st.rx_dropped++;
		pr_warn_rl("virtio-net %s: dropped a %zd-byte packet (%llu bytes of buffers)", n->name,
			   r, (unsigned long long)cap);
		return RX_DONE;
	}
	for (k = 0, left = (uint64_t)r; left; k++)
		left -= MIN(left, n->rx[k].cap);
	/* num_buffers: the tap leaves it alone (5.1.6.4). A poisoned header
	 * page is the guest's to find; the chains go back regardless. */
	put_le16(nb, (uint16_t)k);
	if (net_iov_put(n->gm, n->rx_iov + n->rx[0].iov0, n->rx_gpa + n->rx[0].iov0, n->rx[0].niov,
			VIRTIO_NET_HDR_NUM_BUFFERS, nb, sizeof(nb)))
		pr_warn_rl("virtio-net %s: cannot write num_buffers", n->name);
	for (left = (uint64_t)r, k = 0; left; k++) {
		uint32_t len = (uint32_t)MIN(left, n->rx[k].cap);

		if (vq_push(vq, n->rx[k].head, len))
			return -EINVAL;
		left -= len;
	}
	net_rx_consume(n, k);
	n->st.rx_packets++;
	n->st.rx_bytes += (uint64_t)r - VIRTIO_NET_HDR_LEN;
	return RX_DONE;
}

/* Lock held: receive what the tap has, as far as the driver's buffers go.
 * Returns the tap callback's answer to the loop: 0 (keep watching), a
 * delay in ms (the tap fails), or -1 (stop watching: inactive, broken, or
 * out of buffers until the driver notifies the receive queue). */
static int net_rx_process(struct virtio_net *n)
{
	struct virtqueue *vq = virtio_mmio_queue(n->vdev.t, NET_RXQ);
	unsigned done = 0, i;
	int ret, result = 0;

	if (!n->active || !vq->enabled || vq->broken)
		return -1;
	/* While the tap is watched the device looks for buffers itself. */
	vq_set_notify(vq, false);
	for (i = 0; i < NET_RX_BURST; i++) {
		ret = net_rx_refill(n, vq);
		if (ret == 0) {
			/* Ask for a notification, then look once more: a
			 * buffer added in between is not missed (2.7.10). */
			vq_set_notify(vq, true);
			ret = net_rx_refill(n, vq);
			if (ret == 0) {
				n->st.rx_stalls++;
				result = -1;
				break;
			}
			vq_set_notify(vq, false);
		}
		if (ret > 0)
			ret = net_rx_packet(n, vq);
		if (ret < 0) {
			net_broken(n, vq);
			result = -1;
			break;
		}
		if (ret == RX_EMPTY)
			break;
		if (ret == RX_ERROR) {
			result = NET_RX_ERROR_MS;
			break;
		}
		done++;
	}
	if (done)
		virtio_mmio_notify_used(n->vdev.t, NET_RXQ);
	return result;
}

static int net_tap_cb(void *opaque, int fd)
{
	struct virtio_net *n = opaque;
	int ret;

	virtio_mmio_lock(n->vdev.t);
	ret = net_rx_process(n);
	if (ret < 0)
		n->rx_watched = false;
	virtio_mmio_unlock(n->vdev.t);
	return ret;
}

/* Lock held, main thread: watch the tap again (after a stall). */
static void net_rx_watch(struct virtio_net *n)
{
	int ret = n->watch_fd(n->loop_opaque, n->tap, net_tap_cb, n);

	if (ret)
		pr_warn_rl("virtio-net %s: cannot watch the tap: %s", n->name, strerror(-ret));
	else
		n->rx_watched = true;
}

static int net_efd_cb(void *opaque, int fd)
{
	struct virtio_net *n = opaque;
	int delay = 0;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pr_warn_rl("virtio-net %s: eventfd read failed: %m", n->name);
	virtio_mmio_lock(n->vdev.t);
	if (n->active) {
		delay = net_tx_process(n);
		if (n->rx_kick && !n->rx_watched)
			net_rx_watch(n);
		n->rx_kick = false;
	}
	virtio_mmio_unlock(n->vdev.t);
	return delay;
}

/* ---- transport callbacks (lock held) ---- */

static void net_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_net *n = dev;

	memcpy(buf, n->config + off, len);
}

static int net_activate(void *dev, uint64_t features)
{
	struct virtio_net *n = dev;
	unsigned offl = net_tun_offloads(features);
	int r = net_tap_set_offloads(n->tap, offl);

	/* Without the offloads the tap sends plain frames, which any
	 * driver takes; not a reason to refuse. ENOTTY: not a tap (tests). */
	if (r && r != -ENOTTY)
		pr_warn("virtio-net %s: cannot set tap offloads 0x%x: %s", n->name, offl,
			strerror(-r));
	n->st.offloads = r ? 0 : offl;
	n->mrg = features & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	n->rx_need = net_rx_need(features);
	n->active = true;
	n->rx_kick = true;
	net_wake(n);		/* chains made available before DRIVER_OK */
	return 0;
}

static void net_notify(void *dev, unsigned q)
{
	struct virtio_net *n = dev;

	if (q == NET_RXQ)
		n->rx_kick = true;
	net_wake(n);
}

/* Status 0 or VM reset: forget the popped chains (the queues are reset
 * next) and the held transmit chain; the tap stays open. Its watch ends at
 * its next callback. */
static void net_reset(void *dev)
{
	struct virtio_net *n = dev;

	n->active = false;
	n->tx_held = false;
	n->rx_kick = false;
	n->rx_n = n->rx_niov = 0;
	n->rx_cap = 0;
	if (n->st.offloads && !net_tap_set_offloads(n->tap, 0))
		n->st.offloads = 0;
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.features = NET_FEATURES,
	.num_queues = 2,
	.config_len = NET_CONFIG_LEN,
	.config_read = net_config_read,
	.activate = net_activate,
	.notify = net_notify,
	.reset = net_reset,
};

/* ---- device class ---- */

static void net_free(struct virtio_net *n)
{
	if (n->unwatch_fd && n->rx_watched)
		n->unwatch_fd(n->loop_opaque, n->tap);
	if (n->unwatch_fd && n->efd_watched)
		n->unwatch_fd(n->loop_opaque, n->efd);
	virtio_mmio_destroy(n->vdev.t);
	if (n->efd >= 0)
		close(n->efd);
	if (n->tap >= 0)
		close(n->tap);
	free(n);
}

int virtio_net_create_with_fd(struct device *d, const struct dev_env *env, int fd)
{
	const struct net_config *nc = d->param;
	struct virtio_net *n;
	int ret;

	if (!nc || !nc->tap || !env->watch_fd) {
		close(fd);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		close(fd);
		return -ENOMEM;
	}
	n->tap = fd;
	n->gm = env->gm;
	snprintf(n->name, sizeof(n->name), "%s", nc->tap);
	if (nc->has_mac)
		memcpy(n->config + NET_CFG_MAC, nc->mac, 6);
	else
		net_default_mac(nc->tap, n->config + NET_CFG_MAC);
	put_le16(n->config + NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	put_le16(n->config + NET_CFG_MAX_PAIRS, 1);
	put_le16(n->config + NET_CFG_MTU, 1500);
	n->rx_need = net_rx_need(0);
	n->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->efd < 0) {
		ret = -errno;
		pr_err("virtio-net %s: cannot create an eventfd: %s", n->name, strerror(-ret));
		goto err;
	}
	n->vdev.t = virtio_mmio_create(&net_ops, n, env->gm, dev_irq_line(d, env));
	if (!n->vdev.t) {
		ret = -errno;
		pr_err("virtio-net %s: cannot create its virtio-mmio transport: %s", n->name,
		       strerror(-ret));
		goto err;
	}
	n->watch_fd = env->watch_fd;
	n->unwatch_fd = env->unwatch_fd;
	n->loop_opaque = env->loop_opaque;
	ret = env->watch_fd(env->loop_opaque, n->efd, net_efd_cb, n);
	if (ret) {
		pr_err("virtio-net %s: cannot watch its eventfd: %s", n->name, strerror(-ret));
		goto err;
	}
	n->efd_watched = true;
	d->opaque = n;
	return 0;
err:
	net_free(n);
	return ret;
}

static int net_dev_create(struct device *d, const struct dev_env *env)
{
	const struct net_config *nc = d->param;
	char why[160];
	int fd;

	if (!nc || !nc->tap)
		return -EINVAL;
	fd = net_tap_open(nc->tap, why, sizeof(why));
	if (fd < 0) {
		pr_err("%s", why);
		return fd;
	}
	return virtio_net_create_with_fd(d, env, fd);
}

static void net_dev_destroy(struct device *d)
{
	net_free(d->opaque);
}

/* query-vm: the transport's queue counters plus the packet counters. */
static void net_dev_stats(const struct device *d, struct dev_stats *st)
{
	struct virtio_net_stats ns;

	virtio_vdev_stats(d, st);
	virtio_net_get_stats(d->opaque, &ns);
	dev_stats_add(st, "tx-packets", ns.tx_packets);
	dev_stats_add(st, "tx-bytes", ns.tx_bytes);
	dev_stats_add(st, "tx-dropped", ns.tx_dropped);
	dev_stats_add(st, "rx-packets", ns.rx_packets);
	dev_stats_add(st, "rx-bytes", ns.rx_bytes);
	dev_stats_add(st, "rx-dropped", ns.rx_dropped);
	dev_stats_add(st, "malformed", ns.malformed);
}

const struct dev_class virtio_net_class = {
	.name = "virtio_mmio",
	.stats = net_dev_stats,
	.create = net_dev_create,
	.destroy = net_dev_destroy,
	.reset = virtio_vdev_reset,
	.mmio = &virtio_vdev_bus_ops,
	.fdt = virtio_mmio_fdt,
	.dsdt = virtio_mmio_dsdt,
};

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *st)
{
	virtio_mmio_lock(n->vdev.t);
	*st = n->st;
	virtio_mmio_unlock(n->vdev.t);
}
