/* virtio-net device (VIRTIO 1.2 section 5.1) on the virtio-mmio transport,
 * backed by a Linux tap device carrying a 12-byte vnet header: one receive
 * and one transmit queue served from the main event loop. One instance per
 * --net; board.c lists it with d->param = its struct net_config. Without
 * CONFIG_VIRTIO the class is NULL (stubs below). */
#ifndef MVR_VIRTIO_NET_H
#define MVR_VIRTIO_NET_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/device.h"
#include "vm_config.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM       0	/* device handles partial checksums (TX) */
#define VIRTIO_NET_F_GUEST_CSUM 1	/* driver handles partial checksums (RX) */
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN  9
#define VIRTIO_NET_F_GUEST_UFO  10
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_HOST_ECN   13
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16

/* Config space (5.1.4): mac[6], le16 status, le16 max_virtqueue_pairs,
 * le16 mtu. */
#define NET_CFG_MAC       0
#define NET_CFG_STATUS    6
#define NET_CFG_MAX_PAIRS 8
#define NET_CFG_MTU       10
#define NET_CONFIG_LEN    12
#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr_v1 (5.1.6): flags, gso_type, le16 hdr_len,
 * gso_size, csum_start, csum_offset, num_buffers. The tap reads and writes
 * the first 10 bytes and skips num_buffers. */
#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_HDR_NUM_BUFFERS 10

/* Queues (5.1.2): receiveq1, transmitq1; no control queue. */
#define NET_RXQ 0
#define NET_TXQ 1

/* Largest frame without GSO (Ethernet + VLAN tag + 1500), and with it
 * (a 64 KiB IP packet behind Ethernet + VLAN), vnet header excluded. */
#define NET_MAX_FRAME     1518u
#define NET_MAX_GSO_FRAME 65550u

struct virtio_net;

/* Counters of one interface (for query-vm and tests). */
struct virtio_net_stats {
	uint64_t tx_packets, tx_bytes;	/* written to the tap */
	uint64_t tx_dropped;		/* write failed (EFAULT on a poisoned
					 * guest page, tap down, bad header) */
	uint64_t tx_retries;		/* tap full (EAGAIN): retried later */
	uint64_t rx_packets, rx_bytes;	/* delivered to the guest */
	uint64_t rx_dropped;		/* truncated (buffers too small) or
					 * unreadable */
	uint64_t rx_stalls;		/* reading paused for lack of buffers */
	uint64_t malformed;		/* chains that broke a queue */
	unsigned offloads;		/* TUN_F_* last set on the tap */
};

/* The TUN_F_* offload flags (linux/if_tun.h) the tap may use towards a
 * driver that negotiated 'features': TUN_F_CSUM with GUEST_CSUM, and with
 * it TUN_F_TSO4/TUN_F_TSO6 for GUEST_TSO4/6 and TUN_F_TSO_ECN for
 * GUEST_ECN (which needs one of them). Pure. */
unsigned net_tun_offloads(uint64_t features);

/* Bytes the receive path needs in hand before it reads a packet for a
 * driver with 'features': header + NET_MAX_GSO_FRAME with guest TSO,
 * header + NET_MAX_FRAME without. Pure. */
uint32_t net_rx_need(uint64_t features);

/* A locally administered unicast MAC derived from 'tap' (02:xx:..., a
 * hash of the name), so a guest keeps its address across runs. Pure. */
void net_default_mac(const char *tap, uint8_t mac[6]);

/* Open (or create, when missing) tap interface 'name' through
 * /dev/net/tun: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte little-endian
 * vnet header, no offloads yet, non-blocking, close-on-exec. A tap created
 * here is brought up (and disappears when the fd is closed). Returns the
 * fd, or -errno with a one-line reason in 'why'. */
int net_tap_open(const char *name, char *why, size_t whylen);

/* Whether net_tap_open(name) can succeed, without creating anything: an
 * existing tap is opened and closed again; for a missing one, /dev/net/tun
 * must open and CAP_NET_ADMIN be effective. 0, or -errno with a one-line
 * reason in 'why'. */
int net_tap_check(const char *name, char *why, size_t whylen);

/* Set the tap's offloads (TUNSETOFFLOAD). 0 or -errno. */
int net_tap_set_offloads(int fd, unsigned offloads);

#ifdef CONFIG_VIRTIO
extern const struct dev_class virtio_net_class;

static inline const struct dev_class *virtio_net_dev_class(void)
{
	return &virtio_net_class;
}

/* virtio_net_class.create with the packet fd given instead of opening the
 * tap named by d->param (tests: one end of a SOCK_SEQPACKET socketpair;
 * offload ioctls that fail on it are ignored). 'fd' must be non-blocking;
 * the device owns it from here on, also on failure. 0 or -errno. */
int virtio_net_create_with_fd(struct device *d, const struct dev_env *env, int fd);

/* Counters of the interface whose device state is 'n' (device.opaque). */
void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *st);

/* Before anything else is set up: can --net 'nc' be served
 * (net_tap_check)? Logs one error line naming the tap; 0 or -errno. */
int virtio_net_check(const struct net_config *nc);
#else
static inline const struct dev_class *virtio_net_dev_class(void)
{
	return NULL;
}

static inline int virtio_net_check(const struct net_config *nc)
{
	return -ENOTSUP;
}
#endif

#endif
