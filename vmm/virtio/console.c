/* virtio-console, single port (VIRTIO 1.2 section 5.3). A transmit
 * notification is served on the notifying vCPU thread, under the transport
 * lock: the chains are copied into an output ring (poison-safe guest_mem
 * reads) and used at once (Linux's hvc path spins until they are), and the
 * main loop is woken to write the ring to the console fd outside the lock,
 * only as far as the fd takes it without blocking (ppoll before each
 * write); what is left is retried after VCON_RETRY_MS. Nothing the guest
 * sent is lost to EAGAIN or a partial write: a full output ring leaves the
 * guest's chains in the queue until the loop has written some out. Input
 * is queued by the main loop and fills receive chains under the lock. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "virtio/console.h"
#include "virtio/vdev.h"
#include "virtio/virtio.h"

struct virtio_console {
	struct virtio_vdev vdev;	/* first: device.opaque (vdev.h) */
	const struct guest_mem *gm;
	int out_fd;			/* the console fd (stdout) */
	int efd;			/* QueueNotify and retries */
	void (*unwatch_fd)(void *opaque, int fd);
	void *loop_opaque;
	bool active;			/* DRIVER_OK, until reset (lock) */

	/* Input for the guest (lock held). */
	uint8_t in[VCON_IN_SIZE];
	unsigned in_head, in_len;
	struct vq_chain rx;		/* scratch */

	/* Guest output, head/len under the lock: appended at the tail by
	 * con_tx_drain (vCPU or loop), written out from the head by the loop
	 * (only it consumes, so [head, head+len) stays put while it writes
	 * without the lock). A device reset keeps it: bytes the guest already
	 * handed over still reach the console. */
	uint8_t out[VCON_OUT_SIZE];
	size_t out_head, out_len;
	struct vq_chain tx;		/* a chain partly copied (tx_busy) */
	bool tx_busy;
	uint64_t tx_off;		/* bytes of tx copied so far */

	uint64_t rx_bytes, tx_bytes, dropped, malformed;
};

static void con_wake(struct virtio_console *c)
{
	uint64_t one = 1;

	if (write(c->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn_rl("virtio-console: cannot wake the main loop: %m");
}

static void con_broken(struct virtio_console *c, struct virtqueue *vq)
{
	c->malformed++;
	vq->broken = true;
	virtio_mmio_needs_reset(c->vdev.t);
}

/* Lock held. Queue q when the device may work on it, else NULL. */
static struct virtqueue *con_queue(struct virtio_console *c, unsigned q)
{
	struct virtqueue *vq = virtio_mmio_queue(c->vdev.t, q);

	return c->active && vq && vq->enabled && !vq->broken ? vq : NULL;
}

/* Lock held. Move input into the guest's receive chains, as many as it has
 * made available; one interrupt for the batch. */
static void con_rx_drain(struct virtio_console *c)
{
	struct virtqueue *vq = con_queue(c, VCON_RX_QUEUE);
	bool pushed = false;
	unsigned i;
	int ret;

	while (vq && c->in_len) {
		uint32_t written = 0;
		bool fault = false;

		ret = vq_pop(vq, &c->rx);
		if (ret < 0)
			con_broken(c, vq);
		if (ret <= 0)
			break;
		/* Readable buffers in a receive chain are ignored. */
		for (i = c->rx.nread; i < c->rx.n && c->in_len && !fault; i++) {
			const struct vq_buf *b = &c->rx.buf[i];
			uint32_t boff = 0;

			while (boff < b->len && c->in_len) {
				size_t n = MIN(MIN((size_t)(b->len - boff), (size_t)c->in_len),
					       (size_t)(VCON_IN_SIZE - c->in_head));

				/* A poisoned buffer: the chain ends here, the
				 * bytes wait for the next one. */
				if (guest_mem_write(c->gm, b->gpa + boff, c->in + c->in_head, n)) {
					pr_warn_rl("virtio-console: cannot write a receive buffer");
					fault = true;
					break;
				}
				c->in_head = (unsigned)((c->in_head + n) % VCON_IN_SIZE);
				c->in_len -= (unsigned)n;
				boff += (uint32_t)n;
				written += (uint32_t)n;
			}
		}
		c->rx_bytes += written;
		if (vq_push(vq, c->rx.head, written)) {
			con_broken(c, vq);
			break;
		}
		pushed = true;
	}
	if (pushed)
		virtio_mmio_notify_used(c->vdev.t, VCON_RX_QUEUE);
}

/* Lock held. Copy the rest of chain c->tx into the output ring. Returns
 * true when the whole chain is copied (or the rest is unreadable and
 * dropped), false when the ring filled first. */
static bool con_tx_copy(struct virtio_console *c)
{
	uint64_t pos = 0;
	unsigned i;

	for (i = 0; i < c->tx.nread; pos += c->tx.buf[i].len, i++) {
		const struct vq_buf *b = &c->tx.buf[i];
		uint64_t boff;

		if (c->tx_off >= pos + b->len)
			continue;
		for (boff = c->tx_off - pos; boff < b->len;) {
			size_t tail = (c->out_head + c->out_len) % VCON_OUT_SIZE;
			size_t n = MIN(MIN((size_t)(b->len - boff), VCON_OUT_SIZE - c->out_len),
				       VCON_OUT_SIZE - tail);

			if (!n)
				return false;
			if (guest_mem_read(c->gm, b->gpa + boff, c->out + tail, n)) {
				pr_warn_rl("virtio-console: cannot read a transmit buffer");
				c->dropped += c->tx.read_len - c->tx_off;
				c->tx_off = c->tx.read_len;
				return true;
			}
			c->out_len += n;
			c->tx_bytes += n;
			c->tx_off += n;
			boff += n;
		}
	}
	return true;
}

/* Lock held. Take transmit chains while the output ring has room; each
 * copied chain is used at once (nothing written into it). */
static void con_tx_drain(struct virtio_console *c)
{
	struct virtqueue *vq = con_queue(c, VCON_TX_QUEUE);
	bool pushed = false;
	int ret;

	while (vq) {
		if (!c->tx_busy) {
			if (c->out_len == VCON_OUT_SIZE)
				break;
			ret = vq_pop(vq, &c->tx);
			if (ret < 0)
				con_broken(c, vq);
			if (ret <= 0)
				break;
			c->tx_busy = true;
			c->tx_off = 0;
		}
		if (!con_tx_copy(c))
			break;
		c->tx_busy = false;
		if (vq_push(vq, c->tx.head, 0)) {
			con_broken(c, vq);
			break;
		}
		pushed = true;
	}
	if (pushed)
		virtio_mmio_notify_used(c->vdev.t, VCON_TX_QUEUE);
}

/* Main loop, lock not held. Write the output ring to the console fd as far
 * as it goes without blocking. Returns 0 (all written) or -EAGAIN. */
static int con_flush(struct virtio_console *c)
{
	for (;;) {
		struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };
		size_t head, n;
		ssize_t w;

		virtio_mmio_lock(c->vdev.t);
		head = c->out_head;
		n = MIN(MIN(c->out_len, VCON_OUT_SIZE - head), (size_t)VCON_WRITE_MAX);
		if (!c->out_len)
			c->out_head = 0;
		virtio_mmio_unlock(c->vdev.t);
		if (!n)
			return 0;
		if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLOUT | POLLERR | POLLHUP)))
			return -EAGAIN;
		w = write(c->out_fd, c->out + head, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return -EAGAIN;
		if (w <= 0)
			/* The console fd is gone: the guest keeps running,
			 * its output is counted and dropped. */
			pr_warn_rl("virtio-console: cannot write to the console: %m");
		virtio_mmio_lock(c->vdev.t);
		if (w <= 0) {
			c->dropped += c->out_len;
			c->out_head = c->out_len = 0;
		} else {
			c->out_head = (c->out_head + (size_t)w) % VCON_OUT_SIZE;
			c->out_len -= (size_t)w;
		}
		virtio_mmio_unlock(c->vdev.t);
	}
}

/* One round of work: receive and transmit queues, then the console fd.
 * Returns the loop callback's value: 0, or VCON_RETRY_MS when the fd
 * takes no more for now (the eventfd is signalled so that the loop comes
 * back after the delay). */
static int con_run(struct virtio_console *c)
{
	bool busy;
	int ret;

	virtio_mmio_lock(c->vdev.t);
	con_rx_drain(c);
	con_tx_drain(c);
	busy = c->tx_busy;
	virtio_mmio_unlock(c->vdev.t);
	ret = con_flush(c);
	if (ret == 0 && busy) {
		/* The ring was full and is empty now: the next round goes on
		 * with the waiting chain at once. */
		con_wake(c);
		return 0;
	}
	if (ret) {
		con_wake(c);
		return VCON_RETRY_MS;
	}
	return 0;
}

static int con_loop_cb(void *opaque, int fd)
{
	struct virtio_console *c = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pr_warn_rl("virtio-console: eventfd read failed: %m");
	return con_run(c);
}

/* Transport callbacks (lock held). */
static void con_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	uint8_t cfg[VCON_CONFIG_LEN] = { 0 };

	/* cols, rows: 0 (no VIRTIO_CONSOLE_F_SIZE); max_nr_ports: one port
	 * (meaningful only with MULTIPORT); emerg_wr: write-only. */
	put_le32(cfg + 4, 1);
	memcpy(buf, cfg + off, len);
}

static int con_activate(void *dev, uint64_t features)
{
	struct virtio_console *c = dev;

	c->active = true;
	con_wake(c);	/* chains made available before DRIVER_OK */
	return 0;
}

/* vCPU thread: serve the queue now; the loop writes the output out. */
static void con_notify(void *dev, unsigned q)
{
	struct virtio_console *c = dev;

	if (q == VCON_RX_QUEUE) {
		con_rx_drain(c);
		return;
	}
	con_tx_drain(c);
	if (c->out_len)
		con_wake(c);
}

/* Status 0 or VM reset: pending input and a half-copied chain belong to
 * the old queues; output already copied is still written out. */
static void con_reset(void *dev)
{
	struct virtio_console *c = dev;

	c->active = false;
	c->in_head = c->in_len = 0;
	c->tx_busy = false;
	c->tx_off = 0;
}

static const struct virtio_dev_ops con_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.config_len = VCON_CONFIG_LEN,
	.config_read = con_config_read,
	.activate = con_activate,
	.notify = con_notify,
	.reset = con_reset,
};

static void con_free(struct virtio_console *c)
{
	if (c->efd >= 0 && c->unwatch_fd)
		c->unwatch_fd(c->loop_opaque, c->efd);
	virtio_mmio_destroy(c->vdev.t);
	if (c->efd >= 0)
		close(c->efd);
	free(c);
}

static int con_dev_create(struct device *d, const struct dev_env *env)
{
	struct virtio_console *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->gm = env->gm;
	c->out_fd = env->console_fd;
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->efd < 0) {
		ret = -errno;
		goto err;
	}
	c->vdev.t = virtio_mmio_create(&con_ops, c, env->gm, dev_irq_line(d, env));
	if (!c->vdev.t) {
		ret = -errno;
		pr_err("virtio-console: cannot create its transport: %s", strerror(-ret));
		goto err;
	}
	ret = env->watch_fd ? env->watch_fd(env->loop_opaque, c->efd, con_loop_cb, c) : -EINVAL;
	if (ret) {
		pr_err("virtio-console: cannot watch its eventfd: %s", strerror(-ret));
		goto err;
	}
	c->unwatch_fd = env->unwatch_fd;
	c->loop_opaque = env->loop_opaque;
	d->opaque = c;
	return 0;
err:
	con_free(c);
	return ret;
}

static void con_dev_destroy(struct device *d)
{
	struct virtio_console *c = d->opaque;

	con_flush(c);	/* the guest's last words, as far as they go */
	con_free(c);
}

/* Console input (main thread): 0 until the driver is up, then the input
 * ring's free space. */
static size_t con_dev_input_room(const struct device *d)
{
	struct virtio_console *c = d->opaque;
	size_t room;

	virtio_mmio_lock(c->vdev.t);
	room = c->active ? VCON_IN_SIZE - c->in_len : 0;
	virtio_mmio_unlock(c->vdev.t);
	return room;
}

static size_t con_dev_input(const struct device *d, const uint8_t *buf, size_t len)
{
	struct virtio_console *c = d->opaque;
	size_t n = 0;

	virtio_mmio_lock(c->vdev.t);
	if (c->active) {
		for (; n < len && c->in_len < VCON_IN_SIZE; n++, c->in_len++)
			c->in[(c->in_head + c->in_len) % VCON_IN_SIZE] = buf[n];
		con_rx_drain(c);
	}
	virtio_mmio_unlock(c->vdev.t);
	return n;
}

static void con_dev_stats(const struct device *d, struct dev_stats *st)
{
	struct virtio_console *c = d->opaque;

	virtio_vdev_stats(d, st);
	virtio_mmio_lock(c->vdev.t);
	dev_stats_add(st, "rx-bytes", c->rx_bytes);
	dev_stats_add(st, "tx-bytes", c->tx_bytes);
	dev_stats_add(st, "input-pending", c->in_len);
	dev_stats_add(st, "output-pending", c->out_len);
	dev_stats_add(st, "dropped", c->dropped);
	dev_stats_add(st, "malformed", c->malformed);
	virtio_mmio_unlock(c->vdev.t);
}

const struct dev_class virtio_console_class = {
	.name = "virtio_mmio",
	.create = con_dev_create,
	.destroy = con_dev_destroy,
	.reset = virtio_vdev_reset,
	.mmio = &virtio_vdev_bus_ops,
	.fdt = virtio_mmio_fdt,
	.dsdt = virtio_mmio_dsdt,
	.input_room = con_dev_input_room,
	.input = con_dev_input,
	.stats = con_dev_stats,
};
