/* Poisoned-page scan over /proc/self/pagemap. Linux replaces the page-table
 * entry of a page it took away for a hardware error with a non-present
 * swap-format entry of its hwpoison type (one of the few types above the
 * real swap files); that type depends on the kernel's configuration, so it
 * is learned from a page the kernel reported (pagemap_learn_type()). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ras/pagemap.h"

enum scan_state {
	SCAN_IDLE,
	SCAN_PENDING,   /* requested, starts at 'due' */
	SCAN_RUNNING,   /* at entry 'pos' */
};

struct pagemap_scan {
	struct pagemap_scan_cfg cfg;
	int fd;
	uint64_t first;          /* index of the range's first entry */
	uint64_t npages;
	uint64_t *buf;           /* chunk_entries entries */
	int type;                /* learned hwpoison swap type */

	enum scan_state state;
	uint64_t due;            /* SCAN_PENDING: start time */
	uint64_t pos;            /* SCAN_RUNNING: next entry */
	bool again;              /* requested while running */
	uint64_t started, cost;  /* this scan */
	uint64_t last_end;       /* when the last scan ended (or creation) */
	struct pagemap_scan_stats st;
};

static uint64_t mono_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t now(const struct pagemap_scan *s)
{
	return s->cfg.now_ns(s->cfg.clock_opaque);
}

struct pagemap_scan *pagemap_scan_create(const struct pagemap_scan_cfg *cfg)
{
	struct pagemap_scan *s;
	uint64_t end;
	int err;

	if (!cfg->page_size || (cfg->page_size & (cfg->page_size - 1)) ||
	    cfg->start % cfg->page_size || cfg->len % cfg->page_size || !cfg->chunk_entries ||
	    cfg->chunk_entries > SIZE_MAX / PAGEMAP_ENTRY_SIZE ||
	    __builtin_add_overflow(cfg->start, cfg->len, &end)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (!s->cfg.now_ns)
		s->cfg.now_ns = mono_ns;
	s->cfg.path = NULL; /* not kept: the caller's string */
	s->type = PAGEMAP_TYPE_UNKNOWN;
	s->first = cfg->start / cfg->page_size;
	s->npages = cfg->len / cfg->page_size;
	s->buf = malloc(cfg->chunk_entries * PAGEMAP_ENTRY_SIZE);
	s->fd = open(cfg->path ? cfg->path : "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (!s->buf || s->fd < 0) {
		err = errno;
		pagemap_scan_destroy(s);
		errno = err;
		return NULL;
	}
	s->last_end = now(s);
	return s;
}

void pagemap_scan_destroy(struct pagemap_scan *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s);
}

/* Read up to n entries from entry index 'idx' into buf. Returns how many
 * were read (0 at the end of the file) or -errno. */
static ssize_t read_entries(struct pagemap_scan *s, uint64_t idx, uint64_t *buf, size_t n)
{
	uint64_t off;
	ssize_t got;

	if (idx > (uint64_t)INT64_MAX / PAGEMAP_ENTRY_SIZE)
		return -EINVAL;
	off = idx * PAGEMAP_ENTRY_SIZE;
	do {
		got = pread(s->fd, buf, n * PAGEMAP_ENTRY_SIZE, (off_t)off);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	s->st.bytes_read += (uint64_t)got;
	return got / (ssize_t)PAGEMAP_ENTRY_SIZE;
}

int pagemap_read_entry(struct pagemap_scan *s, uint64_t va, uint64_t *e)
{
	ssize_t n = read_entries(s, va / s->cfg.page_size, e, 1);

	if (n < 0)
		return (int)n;
	return n == 1 ? 0 : -ENODATA;
}

int pagemap_learn_type(struct pagemap_scan *s, uint64_t va)
{
	uint64_t e;
	unsigned t;
	int ret = pagemap_read_entry(s, va, &e);

	if (ret)
		return ret;
	if (!pagemap_swapped(e))
		return 0;
	t = pagemap_swap_type(e);
	/* Type 0 is the first swap file, and what a reader without
	 * CAP_SYS_ADMIN sees for every swapped page: never a poison mark. */
	if (!t)
		return 0;
	if (s->type == PAGEMAP_TYPE_UNKNOWN)
		s->type = (int)t;
	return s->type == (int)t;
}

int pagemap_type(const struct pagemap_scan *s)
{
	return s->type;
}

int pagemap_set_type(struct pagemap_scan *s, int type)
{
	if (type <= 0 || (uint64_t)type > PAGEMAP_SWAP_TYPE_MASK)
		return -EINVAL;
	s->type = type;
	return 0;
}

void pagemap_scan_request(struct pagemap_scan *s)
{
	switch (s->state) {
	case SCAN_IDLE:
		s->state = SCAN_PENDING;
		s->due = now(s) + s->cfg.debounce_ns;
		break;
	case SCAN_PENDING:
		break;
	case SCAN_RUNNING:
		s->again = true;
		break;
	}
}

/* When the safety-net scan is due (idle only), or 0 for never. */
static uint64_t periodic_due(const struct pagemap_scan *s)
{
	uint64_t gap = s->cfg.interval_ns;

	if (!gap)
		return 0;
	if (s->st.last_cost_ns > gap / 100)
		gap = s->st.last_cost_ns * 100;
	return s->last_end + gap;
}

int64_t pagemap_scan_next(struct pagemap_scan *s)
{
	uint64_t t = now(s), due;

	switch (s->state) {
	case SCAN_RUNNING:
		return 0;
	case SCAN_PENDING:
		due = s->due;
		break;
	default:
		due = periodic_due(s);
		if (!due)
			return -1;
		break;
	}
	return due > t ? (int64_t)(due - t) : 0;
}

bool pagemap_scan_busy(const struct pagemap_scan *s)
{
	return s->state != SCAN_IDLE;
}

static void scan_start(struct pagemap_scan *s, uint64_t t)
{
	s->state = SCAN_RUNNING;
	s->pos = 0;
	s->again = false;
	s->started = t;
	s->cost = 0;
}

static void scan_finish(struct pagemap_scan *s, uint64_t t, bool counted)
{
	if (counted) {
		s->st.scans++;
		s->st.last_cost_ns = s->cost;
		s->st.last_elapsed_ns = t - s->started;
	}
	s->last_end = t;
	if (s->again) {
		s->state = SCAN_PENDING;
		s->due = t + s->cfg.debounce_ns;
	} else {
		s->state = SCAN_IDLE;
	}
	s->again = false;
}

/* One chunk from s->pos. Returns pages found or -errno; advances pos (to
 * npages at the end of a short file). */
static int scan_chunk(struct pagemap_scan *s, pagemap_found_cb found, void *opaque)
{
	uint64_t left = s->npages - s->pos, i;
	size_t n = left < s->cfg.chunk_entries ? (size_t)left : s->cfg.chunk_entries;
	ssize_t got = read_entries(s, s->first + s->pos, s->buf, n);
	int hits = 0;

	if (got < 0)
		return (int)got;
	for (i = 0; i < (uint64_t)got; i++) {
		if (!pagemap_is_type(s->buf[i], s->type))
			continue;
		hits++;
		found(opaque, s->cfg.start + (s->pos + i) * s->cfg.page_size);
	}
	s->st.pages_found += (uint64_t)hits;
	/* Nothing past the end of the file: the rest reads as empty. */
	s->pos = got ? s->pos + (uint64_t)got : s->npages;
	return hits;
}

int pagemap_scan_step(struct pagemap_scan *s, pagemap_found_cb found, void *opaque)
{
	uint64_t t0 = now(s), due;
	int ret;

	switch (s->state) {
	case SCAN_IDLE:
		due = periodic_due(s);
		if (!due || t0 < due)
			return 0;
		scan_start(s, t0);
		break;
	case SCAN_PENDING:
		if (t0 < s->due)
			return 0;
		scan_start(s, t0);
		break;
	case SCAN_RUNNING:
		break;
	}
	if (s->type == PAGEMAP_TYPE_UNKNOWN) {
		/* Nothing to look for (yet): done without reading. */
		scan_finish(s, t0, false);
		return 0;
	}
	ret = scan_chunk(s, found, opaque);
	s->cost += now(s) - t0;
	if (ret < 0) {
		s->again = false;
		scan_finish(s, now(s), false);
		return ret;
	}
	if (s->pos >= s->npages)
		scan_finish(s, now(s), true);
	return ret;
}

int pagemap_scan_all(struct pagemap_scan *s, pagemap_found_cb found, void *opaque)
{
	uint64_t t0 = now(s);
	int ret, total = 0;

	scan_start(s, t0);
	if (s->type == PAGEMAP_TYPE_UNKNOWN) {
		scan_finish(s, t0, false);
		return 0;
	}
	while (s->pos < s->npages) {
		ret = scan_chunk(s, found, opaque);
		if (ret < 0) {
			scan_finish(s, now(s), false);
			return ret;
		}
		total += ret;
	}
	s->cost = now(s) - t0;
	s->again = false;
	scan_finish(s, now(s), true);
	return total;
}

void pagemap_scan_get_stats(const struct pagemap_scan *s, struct pagemap_scan_stats *st)
{
	*st = s->st;
}
