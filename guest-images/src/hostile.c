/* hostile: guest-side program that attacks the VMM's devices from inside the
 * guest, through /dev/mem (the guest boots with iomem=relaxed, see Linux
 * Documentation/admin-guide/kernel-parameters.txt), the way a compromised or
 * buggy guest kernel would. Issue 12: the VMM must answer every access with
 * the device's error status or an external abort, never crash or write
 * outside guest RAM.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o hostile hostile.c
 *
 * Usage: hostile wild SEED COUNT   random accesses (sizes 1..8, unaligned,
 *                                  load/store pairs) to device windows and
 *                                  holes of the memory map
 *        hostile virtio            malformed virtqueues on the first
 *                                  virtio-blk window (no guest driver bound:
 *                                  boot with e2e.nomodules), then a valid read
 *        hostile fwcfg             malformed fw_cfg DMA descriptors
 * Output lines:
 *   HOSTILE-WILD accesses=N faults=F
 *   HOSTILE-VQ case=NAME used=U status=S needs_reset=R
 *   HOSTILE-VALID-READ ok=1|0 ...
 *   HOSTILE-FWCFG case=NAME control=0x...
 *   HOSTILE-DONE MODE
 *   HOSTILE-ERROR ...
 * The physical addresses come from /proc/self/pagemap (run as root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The QEMU-virt-compatible memory map (vmm/arch/arm64/memmap.h). */
#define RTC_BASE	0x09010000ull
#define FWCFG_BASE	0x09020000ull
#define VIRTIO_BASE	0x0a000000ull
#define VIRTIO_STRIDE	0x200ull
#define VIRTIO_COUNT	32
#define FLASH_BASE	0x00000000ull
#define FAR_AWAY	0x7f00000000ull	/* inside a 40-bit IPA, never RAM here */

/* virtio-mmio registers (VIRTIO 1.2 section 4.2.2). */
#define VM_MAGIC	0x000
#define VM_DEVICE_ID	0x008
#define VM_DEV_FEAT	0x010
#define VM_DEV_FEAT_SEL	0x014
#define VM_DRV_FEAT	0x020
#define VM_DRV_FEAT_SEL	0x024
#define VM_QUEUE_SEL	0x030
#define VM_QUEUE_NUM_MAX 0x034
#define VM_QUEUE_NUM	0x038
#define VM_QUEUE_READY	0x044
#define VM_QUEUE_NOTIFY	0x050
#define VM_INT_STATUS	0x060
#define VM_INT_ACK	0x064
#define VM_STATUS	0x070
#define VM_DESC_LO	0x080
#define VM_DESC_HI	0x084
#define VM_DRIVER_LO	0x090
#define VM_DRIVER_HI	0x094
#define VM_DEVICE_LO	0x0a0
#define VM_DEVICE_HI	0x0a4

#define ST_ACK		1u
#define ST_DRIVER	2u
#define ST_DRIVER_OK	4u
#define ST_FEATURES_OK	8u
#define ST_NEEDS_RESET	0x40u

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
#define F_INDIRECT_DESC		28	/* VIRTIO 1.2 section 6 */
#define QSIZE			8

#define PM_PFN_MASK ((1ull << 55) - 1)
#define PM_PRESENT  (1ull << 63)

static int memfd = -1;
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t armed;
static unsigned long faults;

static void on_fault(int sig)
{
	(void)sig;
	if (armed) {
		armed = 0;
		siglongjmp(fault_jmp, 1);
	}
	_exit(99);
}

static void die(const char *what)
{
	printf("HOSTILE-ERROR %s: %s\n", what, strerror(errno));
	exit(1);
}

/* map_dev PA LEN: a device-memory (O_SYNC) mapping of [PA, PA + LEN). */
static volatile uint8_t *map_dev(uint64_t pa, size_t len)
{
	uint64_t base = pa & ~0xfffull;
	size_t span = (size_t)((pa - base + len + 0xfff) & ~0xfffull);
	void *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, (off_t)base);

	if (p == MAP_FAILED)
		return NULL;
	return (volatile uint8_t *)p + (pa - base);
}

/* A pinned page of our own RAM and its guest physical address. */
struct page {
	uint8_t *va;
	uint64_t pa;
};

static int get_page(struct page *pg)
{
	uint64_t ent;
	int fd;

	pg->va = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg->va == MAP_FAILED)
		return -1;
	memset(pg->va, 0, 4096);
	if (mlock(pg->va, 4096))
		return -1;
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	if (pread(fd, &ent, sizeof(ent), (off_t)((uintptr_t)pg->va / 4096 * 8)) != sizeof(ent)) {
		close(fd);
		return -1;
	}
	close(fd);
	if (!(ent & PM_PRESENT) || !(ent & PM_PFN_MASK)) {
		errno = EPERM;
		return -1;
	}
	pg->pa = (ent & PM_PFN_MASK) * 4096;
	return 0;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* One access of 'size' bytes (1, 2, 4, 8, or 16 for a load/store pair,
 * which KVM cannot decode: the VMM must still answer it). */
static void access_one(volatile uint8_t *p, unsigned size, int write, uint64_t val)
{
	uint64_t a, b;

	switch (size) {
	case 1:
		if (write) *(volatile uint8_t *)p = (uint8_t)val; else (void)*(volatile uint8_t *)p;
		break;
	case 2:
		if (write) *(volatile uint16_t *)p = (uint16_t)val; else (void)*(volatile uint16_t *)p;
		break;
	case 4:
		if (write) *(volatile uint32_t *)p = (uint32_t)val; else (void)*(volatile uint32_t *)p;
		break;
	case 8:
		if (write) *(volatile uint64_t *)p = val; else (void)*(volatile uint64_t *)p;
		break;
	default:
		if (write) {
			a = val;
			b = ~val;
			__asm__ volatile("stp %0, %1, [%2]" : : "r"(a), "r"(b), "r"(p) : "memory");
		} else {
			__asm__ volatile("ldp %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"(p) : "memory");
		}
		break;
	}
}

/* Targets of the wild phase. 'wmask' limits writes: offsets whose write could
 * make a device DMA into random guest RAM (the fw_cfg DMA register, a
 * virtqueue notify) are read only here; the other phases aim them. */
struct target {
	const char *name;
	uint64_t pa;
	size_t len;
	int writable;
};

static int no_write(const struct target *t, uint64_t off, unsigned size)
{
	uint64_t in = off % VIRTIO_STRIDE;

	if (t->pa == FWCFG_BASE && off + size > 0x10)
		return 1;	/* DMA address register */
	if (t->pa == VIRTIO_BASE && in < VM_QUEUE_NOTIFY + 4 && in + size > VM_QUEUE_NOTIFY)
		return 1;
	return !t->writable;
}

static int wild(uint64_t seed, unsigned long count)
{
	static const struct target targets[] = {
		{ "flash", FLASH_BASE, 0x10000, 1 },
		{ "hole-flash-end", 0x07ff0000ull, 0x10000, 1 },
		{ "rtc", RTC_BASE, 0x1000, 1 },
		{ "fwcfg", FWCFG_BASE, 0x18, 1 },
		{ "hole-ged", 0x09030000ull, 0x1000, 1 },
		{ "hole-09050000", 0x09050000ull, 0x10000, 1 },
		{ "virtio", VIRTIO_BASE, VIRTIO_COUNT * VIRTIO_STRIDE, 1 },
		{ "hole-0c000000", 0x0c000000ull, 0x10000, 1 },
		{ "hole-pcie", 0x10000000ull, 0x10000, 1 },
		{ "hole-3f000000", 0x3f000000ull, 0x10000, 1 },
		{ "far-away", FAR_AWAY, 0x10000, 1 },
		{ "ipa-top", 0xfffff0000ull * 16, 0x10000, 1 },
	};
	enum { NT = sizeof(targets) / sizeof(targets[0]) };
	volatile uint8_t *map[NT];
	unsigned long n;
	unsigned i;

	rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
	for (i = 0; i < NT; i++)
		map[i] = map_dev(targets[i].pa, targets[i].len);
	for (n = 0; n < count; n++) {
		const struct target *t;
		uint64_t r = rnd(), off;
		unsigned size = 1u << (r % 5);	/* 1, 2, 4, 8, 16 (pair) */
		int write = (r >> 3) & 1;

		i = (unsigned)((r >> 8) % NT);
		t = &targets[i];
		if (!map[i])
			continue;
		off = (r >> 16) % t->len;
		if ((r >> 40) % 8)	/* mostly aligned, sometimes not */
			off &= ~(uint64_t)(size - 1);
		if (off + size > t->len)
			off = t->len - size;
		if (write && no_write(t, off, size))
			write = 0;
		if (sigsetjmp(fault_jmp, 1)) {
			faults++;
			continue;
		}
		armed = 1;
		access_one(map[i] + off, size, write, rnd());
		armed = 0;
	}
	printf("HOSTILE-WILD accesses=%lu faults=%lu\n", count, faults);
	return 0;
}

/* ---- virtio: a minimal driver that breaks its own rings on purpose ---- */

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static volatile uint8_t *vio;
static struct page ring, req, data;
static int have_indirect;

#define DESC ((struct vring_desc *)ring.va)
#define AVAIL ((volatile uint16_t *)(ring.va + 0x400))	/* flags, idx, ring[] */
#define USED ((volatile uint16_t *)(ring.va + 0x800))	/* flags, idx, ring[] */
#define STATUS_BYTE (req.va + 0x10)

static uint32_t rd(unsigned off) { return *(volatile uint32_t *)(vio + off); }
static void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(vio + off) = v; }

/* Reset the device and bring queue 0 up with our ring page. Returns 0 or
 * -1 when the device refuses (printed). */
static int vq_init(uint64_t desc_pa)
{
	uint32_t st;
	int i;

	wr(VM_STATUS, 0);
	for (i = 0; i < 100 && rd(VM_STATUS); i++)
		usleep(1000);
	memset(ring.va, 0, 4096);
	wr(VM_STATUS, ST_ACK);
	wr(VM_STATUS, ST_ACK | ST_DRIVER);
	wr(VM_DEV_FEAT_SEL, 0);
	have_indirect = (rd(VM_DEV_FEAT) >> F_INDIRECT_DESC) & 1;
	wr(VM_DRV_FEAT_SEL, 0);
	wr(VM_DRV_FEAT, have_indirect ? 1u << F_INDIRECT_DESC : 0);
	wr(VM_DRV_FEAT_SEL, 1);
	wr(VM_DRV_FEAT, 1);	/* VIRTIO_F_VERSION_1 (bit 32) */
	wr(VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	st = rd(VM_STATUS);
	if (!(st & ST_FEATURES_OK)) {
		printf("HOSTILE-ERROR features refused status=0x%x\n", st);
		return -1;
	}
	wr(VM_QUEUE_SEL, 0);
	if (rd(VM_QUEUE_NUM_MAX) < QSIZE) {
		printf("HOSTILE-ERROR queue too small\n");
		return -1;
	}
	wr(VM_QUEUE_NUM, QSIZE);
	wr(VM_DESC_LO, (uint32_t)desc_pa);
	wr(VM_DESC_HI, (uint32_t)(desc_pa >> 32));
	wr(VM_DRIVER_LO, (uint32_t)(ring.pa + 0x400));
	wr(VM_DRIVER_HI, (uint32_t)((ring.pa + 0x400) >> 32));
	wr(VM_DEVICE_LO, (uint32_t)(ring.pa + 0x800));
	wr(VM_DEVICE_HI, (uint32_t)((ring.pa + 0x800) >> 32));
	wr(VM_QUEUE_READY, 1);
	wr(VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	return 0;
}

/* A normal 3-descriptor read of sector 0 in descriptors 0..2. */
static void chain_read(void)
{
	struct blk_hdr *h = (struct blk_hdr *)req.va;

	h->type = 0;	/* VIRTIO_BLK_T_IN */
	h->reserved = 0;
	h->sector = 0;
	DESC[0] = (struct vring_desc){ req.pa, 16, VRING_DESC_F_NEXT, 1 };
	DESC[1] = (struct vring_desc){ data.pa, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	DESC[2] = (struct vring_desc){ req.pa + 0x10, 1, VRING_DESC_F_WRITE, 0 };
}

/* Publish head 'head' (avail idx += 'step'), notify, wait, report. */
static void vq_kick(const char *name, uint16_t head, uint16_t step)
{
	uint16_t idx = AVAIL[1];
	uint32_t st;

	AVAIL[2 + idx % QSIZE] = head;
	__sync_synchronize();
	AVAIL[1] = (uint16_t)(idx + step);
	__sync_synchronize();
	wr(VM_QUEUE_NOTIFY, 0);
	usleep(200000);
	st = rd(VM_STATUS);
	wr(VM_INT_ACK, rd(VM_INT_STATUS));
	printf("HOSTILE-VQ case=%s used=%u status=%u needs_reset=%u\n", name,
	       (unsigned)USED[1], (unsigned)*(volatile uint8_t *)STATUS_BYTE,
	       (st & ST_NEEDS_RESET) ? 1u : 0u);
}

static int valid_read(const char *when)
{
	chain_read();
	memset(data.va, 0, 512);
	*STATUS_BYTE = 0xff;
	vq_kick(when, 0, 1);
	printf("HOSTILE-VALID-READ when=%s ok=%d data=%.12s\n", when,
	       USED[1] == 1 && *STATUS_BYTE == 0 && !memcmp(data.va, "HOSTILE-DISK", 12),
	       (const char *)data.va);
	return 0;
}

/* case NAME: reset, re-init (with DESC_PA), let SETUP break the chain. */
#define CASE(name, desc_pa, head, step, setup)			\
	do {							\
		if (vq_init(desc_pa) == 0) {			\
			chain_read();				\
			*STATUS_BYTE = 0xff;			\
			setup;					\
			vq_kick(name, head, step);		\
		}						\
	} while (0)

static int virtio(void)
{
	volatile uint8_t *w = NULL;
	unsigned n;

	for (n = 0; n < VIRTIO_COUNT; n++) {
		volatile uint8_t *p = map_dev(VIRTIO_BASE + n * VIRTIO_STRIDE, VIRTIO_STRIDE);

		if (p && *(volatile uint32_t *)(p + VM_MAGIC) == 0x74726976 &&
		    *(volatile uint32_t *)(p + VM_DEVICE_ID) == 2) {
			w = p;
			break;
		}
	}
	if (!w) {
		printf("HOSTILE-ERROR no virtio-blk window\n");
		return 1;
	}
	vio = w;
	if (get_page(&ring) || get_page(&req) || get_page(&data))
		die("pagemap");

	if (vq_init(ring.pa))
		return 1;
	valid_read("before");

	CASE("desc-table-outside-ram", FAR_AWAY, 0, 1, (void)0);
	CASE("desc-table-unaligned", ring.pa + 3, 0, 1, (void)0);
	CASE("buffer-wraps-address-space", ring.pa, 0, 1,
	     (DESC[1].addr = 0xfffffffffffff000ull, DESC[1].len = 0x2000));
	CASE("buffer-outside-ram", ring.pa, 0, 1, DESC[1].addr = FAR_AWAY);
	CASE("buffer-huge-length", ring.pa, 0, 1, DESC[1].len = 0xffffffffu);
	CASE("chain-loop", ring.pa, 0, 1, (DESC[2].flags |= VRING_DESC_F_NEXT, DESC[2].next = 0));
	CASE("next-out-of-range", ring.pa, 0, 1, DESC[1].next = 200);
	CASE("head-out-of-range", ring.pa, 200, 1, (void)0);
	CASE("avail-idx-jump", ring.pa, 0, 0x8000, (void)0);
	CASE("status-in-readonly-desc", ring.pa, 0, 1, DESC[2].flags = 0);
	CASE("header-too-short", ring.pa, 0, 1, DESC[0].len = 4);
	if (have_indirect) {
		CASE("indirect-bad-length", ring.pa, 3, 1,
		     (DESC[3] = (struct vring_desc){ ring.pa, 17, VRING_DESC_F_INDIRECT, 0 }));
		CASE("indirect-nested", ring.pa, 3, 1,
		     (DESC[3] = (struct vring_desc){ ring.pa + 0x100, 32, VRING_DESC_F_INDIRECT, 0 },
		      DESC[16] = (struct vring_desc){ ring.pa, 48, VRING_DESC_F_INDIRECT, 0 },
		      DESC[17] = DESC[16]));
		CASE("indirect-outside-ram", ring.pa, 3, 1,
		     (DESC[3] = (struct vring_desc){ FAR_AWAY, 48, VRING_DESC_F_INDIRECT, 0 }));
	}
	if (vq_init(ring.pa) == 0)
		valid_read("after");
	wr(VM_STATUS, 0);
	return 0;
}

/* ---- fw_cfg DMA (QEMU docs/specs/fw_cfg.rst interface, big-endian) ---- */

struct dma_desc {
	uint32_t control;
	uint32_t length;
	uint64_t address;
};

static volatile uint8_t *fw;

static void dma_go(uint64_t desc_pa)
{
	*(volatile uint32_t *)(fw + 0x10) = __builtin_bswap32((uint32_t)(desc_pa >> 32));
	*(volatile uint32_t *)(fw + 0x14) = __builtin_bswap32((uint32_t)desc_pa);
	__sync_synchronize();
}

static void dma_case(const char *name, struct page *d, uint32_t control, uint32_t len, uint64_t addr)
{
	volatile struct dma_desc *dd = (volatile struct dma_desc *)d->va;

	dd->control = __builtin_bswap32(control);
	dd->length = __builtin_bswap32(len);
	dd->address = __builtin_bswap64(addr);
	__sync_synchronize();
	dma_go(d->pa);
	printf("HOSTILE-FWCFG case=%s control=0x%x\n", name, __builtin_bswap32(dd->control));
}

static int fwcfg(void)
{
	struct page d, buf;

	fw = map_dev(FWCFG_BASE, 0x18);
	if (!fw)
		die("map fw_cfg");
	if (get_page(&d) || get_page(&buf))
		die("pagemap");
	/* Selector 0 (signature) read into our buffer: the valid reference. */
	dma_case("valid-signature", &d, (0u << 16) | 0x08 | 0x02, 4, buf.pa);
	printf("HOSTILE-FWCFG-SIG %.4s\n", (const char *)buf.va);
	dma_case("read-outside-ram", &d, 0x08 | 0x02, 4, FAR_AWAY);
	dma_case("read-wraps", &d, 0x08 | 0x02, 0x2000, 0xfffffffffffff000ull);
	dma_case("read-crosses-ram-end", &d, (0x19u << 16) | 0x08 | 0x02, 0xffffffffu, buf.pa);
	dma_case("write-readonly-item", &d, (0x0u << 16) | 0x08 | 0x10, 4, buf.pa);
	dma_case("unknown-control-bits", &d, 0xffe0u, 4, buf.pa);
	dma_case("select-missing-item", &d, (0x7fffu << 16) | 0x08 | 0x02, 16, buf.pa);
	/* A descriptor outside RAM: nothing to write the status to; the VMM
	 * must only survive it. */
	dma_go(FAR_AWAY);
	dma_go(0xfffffffffffffff0ull);
	printf("HOSTILE-FWCFG case=descriptor-outside-ram control=none\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_fault };
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (argc < 2) {
		fprintf(stderr, "usage: hostile wild SEED COUNT | virtio | fwcfg\n");
		return 2;
	}
	memfd = open("/dev/mem", O_RDWR | O_SYNC);
	if (memfd < 0)
		die("/dev/mem");
	if (!strcmp(argv[1], "wild") && argc == 4)
		ret = wild(strtoull(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	else if (!strcmp(argv[1], "virtio"))
		ret = virtio();
	else if (!strcmp(argv[1], "fwcfg"))
		ret = fwcfg();
	else {
		fprintf(stderr, "hostile: unknown mode %s\n", argv[1]);
		return 2;
	}
	printf("HOSTILE-DONE %s\n", argv[1]);
	return ret;
}
