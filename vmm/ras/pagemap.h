/* Finding hardware-poisoned pages through /proc/self/pagemap (Linux
 * Documentation/admin-guide/mm/pagemap.rst): entry decoding, and a scan of
 * one address range done in bounded chunks (an event loop spreads it over
 * many iterations) with the debounce that makes a burst of requests cost one
 * scan. Pure: a file, and a clock the caller may replace. */
#ifndef MVR_RAS_PAGEMAP_H
#define MVR_RAS_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One 64-bit entry per virtual page. */
#define PAGEMAP_PRESENT      (1ULL << 63)
#define PAGEMAP_SWAPPED      (1ULL << 62)  /* non-present swap-format entry */
#define PAGEMAP_FRAME_MASK   ((1ULL << 55) - 1) /* bits 0-54 */
#define PAGEMAP_SWAP_TYPE_BITS 5           /* bits 0-4: swap type */
#define PAGEMAP_SWAP_TYPE_MASK ((1ULL << PAGEMAP_SWAP_TYPE_BITS) - 1)
#define PAGEMAP_ENTRY_SIZE   8u

/* No hwpoison swap type known yet. */
#define PAGEMAP_TYPE_UNKNOWN (-1)

static inline bool pagemap_present(uint64_t e)
{
	return (e & PAGEMAP_PRESENT) != 0;
}

/* A non-present entry in swap format: swapped out, migrating, poisoned... */
static inline bool pagemap_swapped(uint64_t e)
{
	return !(e & PAGEMAP_PRESENT) && (e & PAGEMAP_SWAPPED);
}

/* Page frame number of a present entry (0 without CAP_SYS_ADMIN). */
static inline uint64_t pagemap_pfn(uint64_t e)
{
	return e & PAGEMAP_FRAME_MASK;
}

/* Swap type (bits 0-4) and offset (bits 5-54) of a swapped entry. Linux
 * fills both only for readers that opened the file with CAP_SYS_ADMIN;
 * others read 0. */
static inline unsigned pagemap_swap_type(uint64_t e)
{
	return (unsigned)(e & PAGEMAP_SWAP_TYPE_MASK);
}

static inline uint64_t pagemap_swap_offset(uint64_t e)
{
	return (e & PAGEMAP_FRAME_MASK) >> PAGEMAP_SWAP_TYPE_BITS;
}

/* Is 'e' a swap entry of type 'type' (a learned hwpoison type)? */
static inline bool pagemap_is_type(uint64_t e, int type)
{
	return type > 0 && pagemap_swapped(e) && (int)pagemap_swap_type(e) == type;
}

struct pagemap_scan_cfg {
	const char *path;       /* NULL: /proc/self/pagemap */
	uint64_t start;         /* first virtual address, page aligned */
	uint64_t len;           /* bytes, a multiple of page_size */
	uint64_t page_size;     /* bytes per entry (the host page size) */
	size_t chunk_entries;   /* entries read per step, >= 1 */
	uint64_t debounce_ns;   /* a request starts a scan this much later */
	/* Safety net: while idle, scan again this long after the last scan
	 * ended, or 100 times that scan's cost if longer (so it never takes
	 * more than 1% of the thread). 0: only on request. */
	uint64_t interval_ns;
	/* Monotonic clock in ns; NULL: CLOCK_MONOTONIC. */
	uint64_t (*now_ns)(void *opaque);
	void *clock_opaque;
};

struct pagemap_scan_stats {
	uint64_t scans;            /* complete scans */
	uint64_t pages_found;      /* poisoned entries reported, all scans */
	uint64_t last_cost_ns;     /* the last scan: time inside its steps */
	uint64_t last_elapsed_ns;  /* the last scan: first step to last */
	uint64_t bytes_read;       /* of pagemap, all scans */
};

struct pagemap_scan;

/* Called for each page of the range whose entry has the learned type;
 * 'va' is the page's address. */
typedef void (*pagemap_found_cb)(void *opaque, uint64_t va);

/* Open cfg->path and prepare a scan of [start, start + len). Returns NULL
 * with errno set (EINVAL for a bad cfg). */
struct pagemap_scan *pagemap_scan_create(const struct pagemap_scan_cfg *cfg);
void pagemap_scan_destroy(struct pagemap_scan *s);

/* Read the entry of the page holding 'va' (need not be in the range).
 * Returns 0 or -errno (-ENODATA past the end of a short file). */
int pagemap_read_entry(struct pagemap_scan *s, uint64_t va, uint64_t *e);

/* Learn the hwpoison swap type from the entry of 'va', a page the kernel
 * has just reported poisoned. Returns 1 when a type is known afterwards
 * and 'va' has it, 0 when its entry tells nothing (present, empty, type 0
 * as every unprivileged reader sees it, or another type than the one
 * learned before), or -errno. */
int pagemap_learn_type(struct pagemap_scan *s, uint64_t va);

/* The learned type, or PAGEMAP_TYPE_UNKNOWN. */
int pagemap_type(const struct pagemap_scan *s);

/* Set the type outright (1..31): for a caller that knows it otherwise, and
 * benchmarks. Returns 0 or -EINVAL. */
int pagemap_set_type(struct pagemap_scan *s, int type);

/* Ask for a scan: starts debounce_ns from now; while one is pending this
 * is a no-op, while one runs another follows it (pages already scanned may
 * have been poisoned since). */
void pagemap_scan_request(struct pagemap_scan *s);

/* Nanoseconds until pagemap_scan_step() has work (0: now), or -1 when
 * nothing is scheduled. */
int64_t pagemap_scan_next(struct pagemap_scan *s);

/* Do the due work: read at most chunk_entries entries and call 'found'
 * for each poisoned page among them. With no type learned a scan ends at
 * once and reads nothing. Returns how many pages were found (0 when
 * nothing was due), or -errno (the scan is abandoned). */
int pagemap_scan_step(struct pagemap_scan *s, pagemap_found_cb found, void *opaque);

/* True while a scan is pending or running. */
bool pagemap_scan_busy(const struct pagemap_scan *s);

/* Scan the whole range now, in chunks but without returning in between
 * (guest reset: no vCPU runs). Replaces a pending or running scan.
 * Returns the pages found or -errno. */
int pagemap_scan_all(struct pagemap_scan *s, pagemap_found_cb found, void *opaque);

void pagemap_scan_get_stats(const struct pagemap_scan *s, struct pagemap_scan_stats *st);

#endif
