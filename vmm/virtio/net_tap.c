/* The host side of virtio-net: opening or creating a Linux tap interface
 * with a vnet header (Documentation/networking/tuntap.rst), its offloads,
 * and the pure rules that tie them to the negotiated features (VIRTIO 1.2
 * sections 5.1.3, 5.1.6.4): offload flags, receive buffer needs, the
 * default MAC. Everything here runs before seccomp except the offload
 * ioctl, which runs at DRIVER_OK and at reset. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "virtio/net.h"
#include "virtio/virtio.h"

unsigned net_tun_offloads(uint64_t features)
{
	unsigned f;

	/* The kernel refuses TSO without checksum offload (and so does the
	 * spec, 5.1.3.1: GUEST_TSO4 requires GUEST_CSUM). */
	if (!(features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	f = TUN_F_CSUM;
	if (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4))
		f |= TUN_F_TSO4;
	if (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))
		f |= TUN_F_TSO6;
	if ((f & (TUN_F_TSO4 | TUN_F_TSO6)) && (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN)))
		f |= TUN_F_TSO_ECN;
	return f;
}

uint32_t net_rx_need(uint64_t features)
{
	const uint64_t gso = VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
			     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
			     VIRTIO_BIT(VIRTIO_NET_F_GUEST_UFO);

	return VIRTIO_NET_HDR_LEN + ((features & gso) ? NET_MAX_GSO_FRAME : NET_MAX_FRAME);
}

void net_default_mac(const char *tap, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a, 64-bit */
	unsigned i;

	for (; *tap; tap++) {
		h ^= (uint8_t)*tap;
		h *= 0x100000001b3ull;
	}
	mac[0] = 0x02;		/* locally administered, unicast */
	for (i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
}

int net_tap_set_offloads(int fd, unsigned offloads)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads) < 0 ? -errno : 0;
}

/* Bring interface 'name' up (SIOCSIFFLAGS through an inet socket). */
/* Whether interface 'name' exists (SIOCGIFINDEX: glibc's if_nametoindex
 * would pull its netlink and resolver code into the static binary). */
static bool net_if_exists(const char *name)
{
	struct ifreq ifr;
	size_t len = strlen(name);
	int s, ret;

	if (!len || len >= IFNAMSIZ)
		return false;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	ret = ioctl(s, SIOCGIFINDEX, &ifr);
	close(s);
	return ret == 0 && ifr.ifr_ifindex > 0;
}

static int net_if_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(s);
	return ret;
}

int net_tap_open(const char *name, char *why, size_t whylen)
{
	int hdr = VIRTIO_NET_HDR_LEN, le = 1, fd, ret;
	size_t len = strlen(name);
	struct ifreq ifr;
	bool created;

	if (!len || len >= IFNAMSIZ) {
		snprintf(why, whylen, "tap name must be 1 to %d bytes", IFNAMSIZ - 1);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, whylen, "cannot open /dev/net/tun: %s%s", strerror(-ret),
			 ret == -ENOENT ? " (is the tun module loaded?)" : "");
		return ret;
	}
	created = !net_if_exists(name);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		if (ret == -EPERM)
			snprintf(why, whylen, "cannot %s tap '%s': %s (needs CAP_NET_ADMIN%s)",
				 created ? "create" : "attach to", name, strerror(-ret),
				 created ? "" : " or ownership of the tap");
		else if (ret == -EBUSY)
			snprintf(why, whylen, "tap '%s' is in use by another process", name);
		else if (ret == -EINVAL)
			snprintf(why, whylen, "'%s' exists and is not a single-queue tap interface",
				 name);
		else
			snprintf(why, whylen, "cannot open tap '%s': %s", name, strerror(-ret));
		goto err;
	}
	/* virtio_net_hdr_v1 with num_buffers; little-endian is the default
	 * on little-endian hosts, said explicitly where the kernel allows. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		ret = -errno;
		snprintf(why, whylen, "tap '%s': cannot set a %d-byte vnet header: %s", name, hdr,
			 strerror(-ret));
		goto err;
	}
	(void)ioctl(fd, TUNSETVNETLE, &le);
	/* No offloads until a driver negotiates them. */
	ret = net_tap_set_offloads(fd, 0);
	if (ret) {
		snprintf(why, whylen, "tap '%s': cannot clear its offloads: %s", name,
			 strerror(-ret));
		goto err;
	}
	if (created) {
		ret = net_if_up(name);
		if (ret) {
			snprintf(why, whylen, "tap '%s': cannot bring it up: %s", name,
				 strerror(-ret));
			goto err;
		}
	}
	return fd;
err:
	close(fd);
	return ret;
}

/* CAP_NET_ADMIN in the effective set (true when capget fails: the kernel
 * then decides at TUNSETIFF). */
static bool net_cap_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return true;
	return d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32));
}

int net_tap_check(const char *name, char *why, size_t whylen)
{
	int fd;

	if (net_if_exists(name)) {
		/* It exists: attaching and detaching changes nothing. */
		fd = net_tap_open(name, why, whylen);
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int ret = -errno;

		snprintf(why, whylen, "cannot open /dev/net/tun: %s%s", strerror(-ret),
			 ret == -ENOENT ? " (is the tun module loaded?)" : "");
		return ret;
	}
	close(fd);
	if (!net_cap_net_admin()) {
		snprintf(why, whylen,
			 "cannot create tap '%s': it does not exist and creating it needs CAP_NET_ADMIN",
			 name);
		return -EPERM;
	}
	return 0;
}

int virtio_net_check(const struct net_config *nc)
{
	char why[160];
	int ret = net_tap_check(nc->tap, why, sizeof(why));

	if (ret)
		pr_err("%s", why);
	return ret;
}
