/* Cost of a poisoned-page scan (vmm/ras/pagemap.c) over guest RAM: maps
 * 512 MiB, 4 GiB and 64 GiB of anonymous memory the way mem.c does
 * (MAP_NORESERVE, untouched, as a guest that has not used it yet) plus
 * 512 MiB fully touched, and times full scans of this process's real
 * /proc/self/pagemap in the VMM's 64 KiB steps: the best of 3 scans, its
 * average step, and the slowest step seen (on a shared machine that one
 * includes preemption). Native; prints BENCH lines (`make bench-scan`,
 * which `make bench` runs first). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ras/pagemap.h"

#define CHUNK_ENTRIES 8192   /* as ras.c: 64 KiB of pagemap per step */
#define ROUNDS 3

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void found(void *opaque, uint64_t va)
{
	(*(uint64_t *)opaque)++;
}

/* One full scan in steps as the event loop runs them; the slowest step
 * bounds how long the loop is kept from other work. */
static int scan_once(struct pagemap_scan *s, uint64_t *total_ns, uint64_t *max_step_ns,
		     unsigned *steps, uint64_t *hits)
{
	uint64_t t0, t;
	int ret;

	*total_ns = *max_step_ns = 0;
	*steps = 0;
	pagemap_scan_request(s);
	while (pagemap_scan_next(s) > 0)
		;   /* debounce (set to 0 below) */
	while (pagemap_scan_busy(s)) {
		t0 = now_ns();
		ret = pagemap_scan_step(s, found, hits);
		t = now_ns() - t0;
		if (ret < 0)
			return ret;
		*total_ns += t;
		if (t > *max_step_ns)
			*max_step_ns = t;
		(*steps)++;
	}
	return 0;
}

static int bench(const char *label, uint64_t size, int touch)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct pagemap_scan_cfg cfg = {
		.page_size = (uint64_t)ps,
		.len = size,
		.chunk_entries = CHUNK_ENTRIES,
	};
	struct pagemap_scan_stats st;
	struct pagemap_scan *s;
	uint64_t best = UINT64_MAX, worst_step = 0, total, max_step, hits = 0, off;
	unsigned steps = 0, r;
	uint8_t *ram;
	int ret = 0;

	ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		printf("BENCH pagemap-scan ram=%s skipped: mmap: %s\n", label, strerror(errno));
		return 0;
	}
	if (touch)
		for (off = 0; off < size; off += (uint64_t)ps)
			ram[off] = 1;
	cfg.start = (uint64_t)(uintptr_t)ram;
	s = pagemap_scan_create(&cfg);
	if (!s) {
		printf("BENCH pagemap-scan ram=%s failed: /proc/self/pagemap: %s\n", label,
		       strerror(errno));
		munmap(ram, size);
		return 1;
	}
	/* Any valid type: unprivileged readers see type 0 for swapped pages,
	 * so every entry is decoded and nothing matches. */
	pagemap_set_type(s, 31);
	for (r = 0; r < ROUNDS; r++) {
		ret = scan_once(s, &total, &max_step, &steps, &hits);
		if (ret) {
			printf("BENCH pagemap-scan ram=%s failed: %s\n", label, strerror(-ret));
			break;
		}
		if (total < best)
			best = total;
		if (max_step > worst_step)
			worst_step = max_step;
	}
	pagemap_scan_get_stats(s, &st);
	if (!ret)
		printf("BENCH pagemap-scan ram=%s %s pagemap-bytes=%llu steps=%u "
		       "scan-ms=%.2f avg-step-us=%.0f max-step-us=%.0f per-GiB-ms=%.2f found=%llu\n",
		       label, touch ? "touched" : "untouched",
		       (unsigned long long)(st.bytes_read / ROUNDS), steps, best / 1e6,
		       best / 1e3 / steps, worst_step / 1e3, best / 1e6 / ((double)size / (1ULL << 30)),
		       (unsigned long long)hits);
	pagemap_scan_destroy(s);
	munmap(ram, size);
	return ret ? 1 : 0;
}

int main(void)
{
	struct utsname u;
	int fails = 0;

	if (uname(&u) == 0)
		printf("BENCH pagemap-scan host: Linux %s %s, page size %ld, %d KiB per step\n",
		       u.release, u.machine, sysconf(_SC_PAGESIZE), CHUNK_ENTRIES * 8 / 1024);
	fails += bench("512M", 512ULL << 20, 0);
	fails += bench("4G", 4ULL << 30, 0);
	fails += bench("64G", 64ULL << 30, 0);
	fails += bench("512M", 512ULL << 20, 1);
	return fails ? 1 : 0;
}
