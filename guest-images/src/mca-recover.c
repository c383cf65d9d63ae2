/* mca-recover: guest-side test program for memory-error recovery. It pins
 * N dirty anonymous small pages (no THP), prints their physical addresses
 * (from /proc/self/pagemap, see Linux
 * Documentation/admin-guide/mm/pagemap.rst), then reads them on command
 * and survives the SIGBUS (BUS_MCEERR_AR/AO,
 * sigaction(2)) the guest kernel sends after a GHES memory error.
 *
 * --huge: the pages are one whole 2 MiB block of guest-physical memory
 * (2 MiB / page size: 512 pages with 4 KiB pages, 128 with 16 KiB;
 * physically contiguous and 2 MiB aligned), so that the guest
 * kernel owns none of it while a host huge page under it is lost. First
 * try: a 2 MiB aligned area with madvise(MADV_HUGEPAGE), one transparent
 * huge page (needs /sys/kernel/mm/transparent_hugepage/enabled "always" or
 * "madvise"); then MADV_NOHUGEPAGE so that khugepaged leaves it alone
 * once an error has split it. Fallback: --pool-mb MiB of small pages,
 * keeping the pages of a block they fill wholly (page i is the block's
 * i-th page, at whatever virtual address) and unmapping the rest.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o mca-recover mca-recover.c
 *
 * Output lines (one per event, stdout, line-buffered):
 *   MCA-PAGE i va=0x... pa=0x...
 *   MCA-BLOCK pa=0x... pages=P of B via=thp|small   (--huge; P=B: whole;
 *                                      B = 2 MiB / page size)
 *   MCA-HUGE-NONE ...                  (--huge: no whole block found, exit 1)
 *   MCA-READY page_size=S              S: the guest's page size in bytes
 *   MCA-OK page=i                      page read back intact
 *   MCA-RECOVERED page=i addr=0x... si_code=BUS_MCEERR_AR lsb=L us=T
 *   MCA-AO page=i addr=0x... si_code=BUS_MCEERR_AO lsb=L
 *   (L: the kernel's si_addr_lsb, log2 of the guest page size: 12 with
 *   4 KiB pages, 14 with 16 KiB pages; T: microseconds from the start of
 *   the page's read to the SIGBUS handler, CLOCK_MONOTONIC: the whole
 *   synchronous path, the VMM's SEA and the guest kernel's GHES handling)
 *   MCA-DONE recovered=K of N          K = pages with a survived error
 *   MCA-CPU c                          after "cpu c": now running on vCPU c
 *   MCA-SWEEP ok=A recovered=B mismatch=C of N   after "sweep"
 * Commands on stdin (--wait): "touch" (all pages in order), "touch i",
 * "cpu c" (pin this process to vCPU c, sched_setaffinity(2)), "sweep"
 * (touch every page, one summary line instead of one per page), "status",
 * "quit"/EOF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#endif
#ifndef BUS_MCEERR_AO
#define BUS_MCEERR_AO 5
#endif

#define PM_PFN_MASK  ((1ull << 55) - 1)   /* bits 0-54 */
#define PM_PRESENT   (1ull << 63)

#define BLOCK_SIZE   (2ul << 20)         /* a host huge page: 2 MiB */
/* Guest pages in one BLOCK_SIZE block: 512 with 4 KiB pages, 128 with
 * 16 KiB pages (page_size is the guest kernel's, from sysconf). */
#define BLOCK_PAGES  (BLOCK_SIZE / page_size)
#define THP_ENABLED  "/sys/kernel/mm/transparent_hugepage/enabled"

struct opts {
	unsigned long pages;
	int wait;
	int survive;
	int early;
	int huge;               /* one whole 2 MiB guest-physical block */
	int pages_set;
	unsigned long pool_mb;  /* --huge fallback: small pages to search */
	long fake_ar;   /* self-test: page whose touch fakes an AR, or -1 */
	long fake_ao;   /* self-test: page to fake an AO for at start, or -1 */
};

/* State shared with the SIGBUS handler: only volatile sig_atomic_t-like
 * scalars written there, read in the main flow. */
static sigjmp_buf touch_env;
static volatile sig_atomic_t in_touch;
static volatile int ar_code;
static volatile uintptr_t ar_addr;
static volatile int ar_lsb;
static struct timespec touch_t0, ar_t1;   /* read start, SIGBUS handler */

static uint8_t *area;
static uint8_t **page_tab;        /* --huge fallback: page i's address */
static size_t page_size;
static unsigned long npages;
static unsigned char *page_hit;   /* 1 once a page had a survived error */
static long fake_ar_page = -1;
static int touch_quiet;           /* "sweep": no line per page */

/* Async-signal-safe hex formatting into buf; returns chars written. */
static size_t fmt_hex(char *buf, uint64_t v)
{
	char tmp[16];
	size_t n = 0, i;

	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < n; i++)
		buf[2 + i] = tmp[n - 1 - i];
	return n + 2;
}

static size_t fmt_dec(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static size_t put_str(char *buf, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf, s, n);
	return n;
}

/* Page index of addr inside the test area, or -1. */
static long page_of(uintptr_t addr)
{
	uintptr_t base = (uintptr_t)area;
	unsigned long i;

	if (page_tab) {
		for (i = 0; i < npages; i++)
			if (addr >= (uintptr_t)page_tab[i] &&
			    addr < (uintptr_t)page_tab[i] + page_size)
				return (long)i;
		return -1;
	}
	if (addr < base || addr >= base + npages * page_size)
		return -1;
	return (long)((addr - base) / page_size);
}

/* Report an AO (action optional) error from the handler itself: it can
 * arrive at any moment, e.g. while main() sits in read(). */
static void report_ao(uintptr_t addr, int lsb)
{
	char line[160];
	size_t n = 0;
	long pg = page_of(addr);

	n += put_str(line + n, "MCA-AO page=");
	if (pg < 0) {
		n += put_str(line + n, "-1");
	} else {
		n += fmt_dec(line + n, (uint64_t)pg);
		page_hit[pg] = 1;
	}
	n += put_str(line + n, " addr=");
	n += fmt_hex(line + n, addr);
	n += put_str(line + n, " si_code=BUS_MCEERR_AO lsb=");
	n += fmt_dec(line + n, (uint64_t)lsb);
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) < 0)
		_exit(3);
}

static void sigbus_handler(int sig, siginfo_t *si, void *uctx)
{
	static const char other[] = "MCA-FATAL SIGBUS that is not a memory error\n";
	static const char stray[] = "MCA-FATAL BUS_MCEERR_AR outside a page touch\n";

	(void)sig;
	(void)uctx;
	if (si->si_code == BUS_MCEERR_AO) {
		report_ao((uintptr_t)si->si_addr, si->si_addr_lsb);
		return;
	}
	if (si->si_code != BUS_MCEERR_AR) {
		if (write(STDOUT_FILENO, other, sizeof(other) - 1) < 0)
			_exit(2);
		_exit(2);
	}
	if (!in_touch) {
		if (write(STDOUT_FILENO, stray, sizeof(stray) - 1) < 0)
			_exit(2);
		_exit(2);
	}
	clock_gettime(CLOCK_MONOTONIC, &ar_t1);   /* async-signal-safe */
	ar_code = si->si_code;
	ar_addr = (uintptr_t)si->si_addr;
	ar_lsb = si->si_addr_lsb;
	siglongjmp(touch_env, 1);
}

static uint64_t pattern(unsigned long i, size_t off)
{
	return 0x4d43410000000000ull ^ ((uint64_t)i << 32) ^ off;
}

/* Address of test page i. */
static uint8_t *page_addr(unsigned long i)
{
	return page_tab ? page_tab[i] : area + i * page_size;
}

static void fill_page(uint8_t *p, unsigned long i)
{
	size_t k;

	for (k = 0; k < page_size; k += sizeof(uint64_t))
		*(uint64_t *)(p + k) = pattern(i, k);
}

/* Self-test without a hypervisor: queue ourselves the SIGBUS the kernel
 * would send for page i (allowed for one's own process, rt_sigqueueinfo(2)).
 * It is delivered before the syscall returns. */
static void fake_sigbus(unsigned long i, int code)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGBUS;
	si.si_code = code;
	si.si_addr = page_addr(i);
	si.si_addr_lsb = (short)__builtin_ctzl(page_size);
	if (syscall(SYS_rt_sigqueueinfo, getpid(), SIGBUS, &si) < 0)
		printf("MCA-WARN rt_sigqueueinfo: %s\n", strerror(errno));
}

/* Compare page i with its pattern; 0 if intact. Kept out of line so no
 * local of touch_page() lives across the sigsetjmp(). */
static __attribute__((noinline)) int check_page(unsigned long i)
{
	volatile uint64_t *p = (volatile uint64_t *)page_addr(i);
	size_t k, words = page_size / sizeof(uint64_t);
	int bad = 0;

	for (k = 0; k < words; k++)
		if (p[k] != pattern(i, k * sizeof(uint64_t)))
			bad = 1;
	return bad;
}

/* Read every word of page i and check the pattern. Returns 0 if intact,
 * 1 if the read raised BUS_MCEERR_AR (reported), 2 if data differ. */
static int touch_page(unsigned long i)
{
	fflush(stdout);
	if (sigsetjmp(touch_env, 1)) {
		in_touch = 0;
		page_hit[i] = 1;
		if (!touch_quiet)
			printf("MCA-RECOVERED page=%ld addr=0x%lx si_code=%s lsb=%d us=%lld\n",
			       page_of(ar_addr), (unsigned long)ar_addr,
			       ar_code == BUS_MCEERR_AR ? "BUS_MCEERR_AR" : "?", ar_lsb,
			       (long long)(ar_t1.tv_sec - touch_t0.tv_sec) * 1000000 +
				       (ar_t1.tv_nsec - touch_t0.tv_nsec) / 1000);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &touch_t0);
	in_touch = 1;
	if (fake_ar_page >= 0 && (unsigned long)fake_ar_page == i)
		fake_sigbus(i, BUS_MCEERR_AR);
	if (check_page(i)) {
		in_touch = 0;
		if (!touch_quiet)
			printf("MCA-MISMATCH page=%lu (data changed without a SIGBUS)\n", i);
		return 2;
	}
	in_touch = 0;
	if (!touch_quiet)
		printf("MCA-OK page=%lu\n", i);
	return 0;
}

static unsigned long recovered_count(void)
{
	unsigned long i, k = 0;

	for (i = 0; i < npages; i++)
		k += page_hit[i] != 0;
	return k;
}

/* Touch pages [from, to]; stop after the first recovery unless survive.
 * Returns 1 when the program should finish. */
static int touch_range(const struct opts *o, unsigned long from, unsigned long to)
{
	unsigned long i;

	for (i = from; i <= to; i++)
		if (touch_page(i) == 1 && !o->survive)
			return 1;
	return 0;
}

/* "sweep": touch every page quietly, then one line with the outcomes;
 * keeps going after recoveries whatever --survive says. */
static void sweep(void)
{
	unsigned long i, n[3] = { 0, 0, 0 };

	touch_quiet = 1;
	for (i = 0; i < npages; i++)
		n[touch_page(i)]++;
	touch_quiet = 0;
	printf("MCA-SWEEP ok=%lu recovered=%lu mismatch=%lu of %lu\n", n[0], n[1], n[2], npages);
}

/* "cpu c": run on vCPU c only from now on (the next touch faults there). */
static void pin_cpu(const char *arg)
{
	cpu_set_t set;
	unsigned long c;
	char *end;

	errno = 0;
	c = strtoul(arg, &end, 0);
	if (errno || *end || !*arg || c >= CPU_SETSIZE) {
		printf("MCA-ERROR bad cpu '%s'\n", arg);
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(c, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		printf("MCA-ERROR cpu %lu: %s\n", c, strerror(errno));
		return;
	}
	printf("MCA-CPU %d\n", sched_getcpu());
}

/* Physical address of the page at va from /proc/self/pagemap (fd), 0 if
 * it has none (not present, or not root); -1 on a read error. */
static int pagemap_pa(int fd, uintptr_t va, uint64_t *pa)
{
	uint64_t ent = 0;
	off_t off = (off_t)(va / page_size) * (off_t)sizeof(ent);

	if (pread(fd, &ent, sizeof(ent), off) != (ssize_t)sizeof(ent)) {
		perror("mca-recover: pagemap read");
		return -1;
	}
	*pa = 0;
	if ((ent & PM_PRESENT) && (ent & PM_PFN_MASK))
		*pa = (ent & PM_PFN_MASK) * page_size;
	return 0;
}

/* The pages of the default mode: npages small pages in one area. */
static int setup_small(void)
{
	unsigned long i;

	area = mmap(NULL, npages * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("mca-recover: mmap");
		return -1;
	}
	/* Small pages only: with transparent huge pages ("always" in
	 * Debian's kernel) an area of 512+ pages would get a huge page, and
	 * each error would first have to split it. */
	if (madvise(area, npages * page_size, MADV_NOHUGEPAGE) < 0)
		printf("MCA-WARN madvise(MADV_NOHUGEPAGE) failed: %s\n", strerror(errno));
	for (i = 0; i < npages; i++)
		fill_page(area + i * page_size, i);
	if (mlock(area, npages * page_size) < 0)
		printf("MCA-WARN mlock failed (%s): pages may move\n", strerror(errno));
	return 0;
}

/* The guest's transparent huge page setting, e.g. "always [madvise] never". */
static void thp_mode(char *buf, size_t len)
{
	FILE *f = fopen(THP_ENABLED, "r");

	snprintf(buf, len, "unreadable");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		snprintf(buf, len, "unreadable");
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* --huge, first try: one transparent huge page. 1 when the 512 pages are
 * one whole aligned block of guest-physical memory, 0 when not (the area
 * is unmapped again), -1 on an error. */
static int setup_thp(int fd)
{
	size_t len = BLOCK_PAGES * page_size;
	uint8_t *raw, *base;
	uint64_t pa0 = 0, pa = 0;
	unsigned long i;
	char mode[64];

	/* Twice the size, then keep the 2 MiB aligned middle: a huge page
	 * fault needs the whole aligned 2 MiB inside the mapping. */
	raw = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mca-recover: mmap");
		return -1;
	}
	base = (uint8_t *)(((uintptr_t)raw + len - 1) & ~((uintptr_t)len - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (raw + 2 * len > base + len)
		munmap(base + len, (size_t)(raw + 2 * len - (base + len)));
	if (madvise(base, len, MADV_HUGEPAGE) < 0)
		printf("MCA-WARN madvise(MADV_HUGEPAGE) failed: %s\n", strerror(errno));
	area = base;
	for (i = 0; i < BLOCK_PAGES; i++)
		fill_page(base + i * page_size, i);
	if (mlock(base, len) < 0)
		printf("MCA-WARN mlock failed (%s): pages may move\n", strerror(errno));
	for (i = 0; i < BLOCK_PAGES; i++) {
		if (pagemap_pa(fd, (uintptr_t)(base + i * page_size), &pa) < 0)
			return -1;
		if (i == 0)
			pa0 = pa;
		if (!pa || pa0 % len || pa != pa0 + i * page_size)
			break;
	}
	if (i == BLOCK_PAGES) {
		/* Once a memory error has split the huge page, khugepaged must
		 * not collapse it again: that would copy the lost pages. */
		if (madvise(base, len, MADV_NOHUGEPAGE) < 0)
			printf("MCA-WARN madvise(MADV_NOHUGEPAGE) failed: %s\n", strerror(errno));
		return 1;
	}
	thp_mode(mode, sizeof(mode));
	printf("MCA-HUGE no transparent huge page: page %lu at pa=0x%llx, page 0 at pa=0x%llx, not one 2 MiB aligned block (%s: %s); trying small pages\n",
	       i, (unsigned long long)pa, (unsigned long long)pa0, THP_ENABLED, mode);
	munmap(base, len);
	area = NULL;
	return 0;
}

struct pfn_ix {
	uint64_t pfn;
	unsigned long ix;
};

static int cmp_pfn(const void *a, const void *b)
{
	const struct pfn_ix *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* --huge fallback: pool_mb MiB of small pages; keep the 512 of one block
 * they fill wholly (page i = the block's i-th page), unmap the others. */
static int setup_pool(int fd, unsigned long pool_mb)
{
	unsigned long n = pool_mb * (1024 * 1024 / page_size);
	unsigned long i, j, m = 0, best = 0, start = 0, end = 0;
	size_t len = n * page_size;
	uint64_t *ent, blk, best_blk = 0;
	struct pfn_ix *v;
	unsigned char *keep;
	uint8_t *pool;
	int warned = 0, pinned;
	cpu_set_t old, one;

	pool = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED) {
		perror("mca-recover: mmap");
		return -1;
	}
	if (madvise(pool, len, MADV_NOHUGEPAGE) < 0)
		printf("MCA-WARN madvise(MADV_NOHUGEPAGE) failed: %s\n", strerror(errno));
	/* Fault the pool in from one vCPU: its per-CPU free lists hand out
	 * runs of neighbouring pages, which makes a whole block likelier. */
	pinned = sched_getaffinity(0, sizeof(old), &old) == 0 && sched_getcpu() >= 0;
	if (pinned) {
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu(), &one);
		pinned = sched_setaffinity(0, sizeof(one), &one) == 0;
	}
	for (i = 0; i < n; i++)
		fill_page(pool + i * page_size, i);
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	ent = calloc(n, sizeof(*ent));
	v = calloc(n, sizeof(*v));
	keep = calloc(n, 1);
	page_tab = calloc(BLOCK_PAGES, sizeof(*page_tab));
	if (!ent || !v || !keep || !page_tab) {
		printf("MCA-ERROR out of memory\n");
		return -1;
	}
	if (pread(fd, ent, n * sizeof(*ent),
		  (off_t)((uintptr_t)pool / page_size) * (off_t)sizeof(*ent)) !=
	    (ssize_t)(n * sizeof(*ent))) {
		perror("mca-recover: pagemap read");
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((ent[i] & PM_PRESENT) && (ent[i] & PM_PFN_MASK)) {
			v[m].pfn = ent[i] & PM_PFN_MASK;
			v[m++].ix = i;
		}
	qsort(v, m, sizeof(*v), cmp_pfn);
	/* The block with the most distinct pages of ours. */
	for (i = 0; i < m; i = j) {
		unsigned long cnt = 1;

		blk = v[i].pfn / BLOCK_PAGES;
		for (j = i + 1; j < m && v[j].pfn / BLOCK_PAGES == blk; j++)
			cnt += v[j].pfn != v[j - 1].pfn;
		if (cnt > best) {
			best = cnt;
			best_blk = blk;
			start = i;
			end = j;
		}
	}
	if (best < BLOCK_PAGES) {
		printf("MCA-HUGE-NONE no 2 MiB block of guest memory is wholly this process's among %lu small pages (best: %lu of %lu in block pa=0x%llx); try a bigger --pool-mb or transparent huge pages\n",
		       n, best, BLOCK_PAGES,
		       (unsigned long long)(best_blk * BLOCK_PAGES * page_size));
		return -1;
	}
	for (i = start; i < end; i++) {
		unsigned long k = (unsigned long)(v[i].pfn % BLOCK_PAGES);

		if (page_tab[k])
			continue;
		page_tab[k] = pool + v[i].ix * page_size;
		keep[v[i].ix] = 1;
		fill_page(page_tab[k], k);
	}
	/* The rest goes back to the guest kernel (none of it is in the
	 * block); the block's pages are locked in place. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && keep[j] == keep[i]; j++)
			;
		if (!keep[i]) {
			munmap(pool + i * page_size, (j - i) * page_size);
		} else if (mlock(pool + i * page_size, (j - i) * page_size) < 0 && !warned) {
			printf("MCA-WARN mlock failed (%s): pages may move\n", strerror(errno));
			warned = 1;
		}
	}
	free(ent);
	free(v);
	free(keep);
	return 0;
}

/* One MCA-PAGE line per page; with --huge, how many of them sit at their
 * place in page 0's 2 MiB block (MCA-BLOCK). */
static int print_pages(int fd, const char *via)
{
	uint64_t pa, block = 0;
	unsigned long i, whole = 0;

	for (i = 0; i < npages; i++) {
		uintptr_t va = (uintptr_t)page_addr(i);

		if (pagemap_pa(fd, va, &pa) < 0)
			return -1;
		if (!pa)
			printf("MCA-WARN page %lu: no PFN (not present, or not root)\n", i);
		if (i == 0)
			block = pa & ~(uint64_t)(BLOCK_PAGES * page_size - 1);
		whole += pa && pa == block + i * page_size;
		printf("MCA-PAGE %lu va=0x%lx pa=0x%llx\n", i, (unsigned long)va,
		       (unsigned long long)pa);
	}
	if (via)
		printf("MCA-BLOCK pa=0x%llx pages=%lu of %lu via=%s\n",
		       (unsigned long long)block, whole, BLOCK_PAGES, via);
	return 0;
}

static int setup_pages(const struct opts *o)
{
	const char *via = NULL;
	int fd, r = 0;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0) {
		perror("mca-recover: /proc/self/pagemap");
		return -1;
	}
	if (!o->huge) {
		r = setup_small();
	} else {
		via = "thp";
		r = setup_thp(fd);
		if (r == 0) {
			via = "small";
			r = setup_pool(fd, o->pool_mb);
		}
	}
	if (r < 0 || print_pages(fd, via) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	printf("MCA-READY page_size=%zu\n", page_size);
	fflush(stdout);
	return 0;
}

/* --wait: serve commands until quit/EOF (or the first recovery without
 * --survive). */
static void command_loop(const struct opts *o)
{
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		char *end;
		unsigned long i;

		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "quit") == 0 || strcmp(line, "done") == 0)
			return;
		if (strcmp(line, "status") == 0) {
			printf("MCA-STATUS recovered=%lu of %lu\n", recovered_count(), npages);
		} else if (strcmp(line, "sweep") == 0) {
			sweep();
		} else if (strncmp(line, "cpu ", 4) == 0) {
			pin_cpu(line + 4);
		} else if (strcmp(line, "touch") == 0) {
			if (touch_range(o, 0, npages - 1))
				return;
		} else if (strncmp(line, "touch ", 6) == 0) {
			errno = 0;
			i = strtoul(line + 6, &end, 0);
			if (errno || *end || i >= npages) {
				printf("MCA-ERROR bad page '%s' (0..%lu)\n", line + 6, npages - 1);
			} else if (touch_range(o, i, i)) {
				return;
			}
		} else if (line[0]) {
			printf("MCA-ERROR unknown command '%s'\n", line);
		}
		fflush(stdout);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mca-recover [--pages N | --huge [--pool-mb M]] [--wait|--no-wait]\n"
		"                   [--survive] [--early]\n"
		"  --pages N   pages to pin and watch (default 1)\n"
		"  --huge      the pages of one whole 2 MiB block of guest-physical\n"
		"              memory: a transparent huge page, else a block found among\n"
		"              --pool-mb M MiB of small pages (default 64); MCA-BLOCK line\n"
		"  --wait      read commands on stdin: touch | touch I | cpu C | sweep |\n"
		"              status | quit (default)\n"
		"  --no-wait   touch every page right after MCA-READY\n"
		"  --survive   keep going after a recovered error (default: stop at the first)\n"
		"  --early     prctl(PR_MCE_KILL_EARLY): get BUS_MCEERR_AO as soon as the\n"
		"              kernel learns of an error in one of our pages\n"
		"  --fake-ar I / --fake-ao I  self-test the handler with a queued SIGBUS\n"
		"              (touching page I / right after MCA-READY), no real error\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--pages") == 0 && a + 1 < argc) {
			char *end;

			errno = 0;
			o->pages = strtoul(argv[++a], &end, 0);
			if (errno || *end || o->pages == 0 || o->pages > 65536)
				return -1;
			o->pages_set = 1;
		} else if (strcmp(argv[a], "--huge") == 0) {
			o->huge = 1;
		} else if (strcmp(argv[a], "--pool-mb") == 0 && a + 1 < argc) {
			char *end;

			errno = 0;
			o->pool_mb = strtoul(argv[++a], &end, 0);
			if (errno || *end || o->pool_mb < 2 || o->pool_mb > 4096)
				return -1;
		} else if (strcmp(argv[a], "--wait") == 0) {
			o->wait = 1;
		} else if (strcmp(argv[a], "--no-wait") == 0) {
			o->wait = 0;
		} else if (strcmp(argv[a], "--survive") == 0) {
			o->survive = 1;
		} else if (strcmp(argv[a], "--early") == 0) {
			o->early = 1;
		} else if ((strcmp(argv[a], "--fake-ar") == 0 ||
			    strcmp(argv[a], "--fake-ao") == 0) && a + 1 < argc) {
			long *dst = strcmp(argv[a], "--fake-ar") == 0 ? &o->fake_ar : &o->fake_ao;
			char *end;

			errno = 0;
			*dst = strtol(argv[++a], &end, 0);
			if (errno || *end || *dst < 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .pages = 1, .wait = 1, .fake_ar = -1, .fake_ao = -1,
			  .pool_mb = 64 };
	struct sigaction sa;
	int bad;

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	bad = parse_args(argc, argv, &o) < 0 || (o.huge && o.pages_set);
	if (o.huge)
		o.pages = BLOCK_PAGES;
	if (bad || o.fake_ar >= (long)o.pages || o.fake_ao >= (long)o.pages) {
		usage();
		return 2;
	}
	fake_ar_page = o.fake_ar;
	setvbuf(stdout, NULL, _IOLBF, 0);
	npages = o.pages;
	page_hit = calloc(npages, 1);
	if (!page_hit)
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigbus_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0) {
		perror("mca-recover: sigaction");
		return 1;
	}
	if (o.early && prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0) < 0)
		printf("MCA-WARN prctl(PR_MCE_KILL_EARLY) failed: %s\n", strerror(errno));

	if (setup_pages(&o) < 0)
		return 1;
	if (o.fake_ao >= 0)
		fake_sigbus((unsigned long)o.fake_ao, BUS_MCEERR_AO);
	if (o.wait)
		command_loop(&o);
	else
		touch_range(&o, 0, npages - 1);

	printf("MCA-DONE recovered=%lu of %lu\n", recovered_count(), npages);
	return 0;
}
