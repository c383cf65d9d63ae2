/* RAS glue (DESIGN.md sections 6-8): turns recorded SIGBUS events into
 * poisoned pages, CPER records in the guest's GHES blocks and notifications
 * chosen per source by its HEST notification type (notify_types[] below):
 * a Synchronous External Abort on the faulting vCPU (SEA, for AR), a pulse
 * of the GED interrupt that makes the guest read the source (GPIO, for AO),
 * a pulse of the GSIV source's interrupt, or nothing (polled source).
 * Records built elsewhere (any CPER, ras_post_record()) go the same ways.
 * Linux drops an AO signal while an earlier one is still pending, so every
 * AO (and a SIGBUS-ring overrun, and a slow timer) also starts a scan of
 * guest RAM's pagemap for poisoned pages nobody reported (ras/pagemap.h).
 * A device whose I/O failed on a guest buffer asks whether a page of it is
 * poisoned (ras_report_io_error()), and the guest is told the AO way.
 * It reaches the VM only through struct ras_deps. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ras/ghes_layout.h"
#include "arch/arm64/mpidr.h"
#include "arch/arm64/sea.h"
#include "guard.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "ras/cper.h"
#include "ras/ghes.h"
#include "ras/pagemap.h"
#include "ras/poison.h"
#include "ras/ras.h"
#include "ras/sigbus.h"
#include "util.h"

#define LAT_SAMPLES 1024
#define POLL_MS 10            /* read-ack polling while records wait */
#define RETRY_SLEEP_NS 1000000 /* AR on a busy SEA source: retry after 1 ms */
/* Linux's SEA handler reads every SEA source, not just the one of the CPU
 * that took the abort: a record written for vCPU B while vCPU A's handler
 * still walks the list would be consumed (and attributed) there, and B's
 * abort would find nothing. So SEA records go out one at a time: only when
 * all SEA sources are acked and no other vCPU's record is younger than this. */
#define SEA_GAP_NS 20000000
/* Pagemap scans: 64 KiB of entries per event-loop turn (32 MiB of guest RAM
 * with 4 KiB pages); AOs within 10 ms cost one scan; a safety-net scan every
 * 5 s (or 100x the last scan's cost, see pagemap.h); known poisoned pages
 * tried when learning the hwpoison type. */
#define SCAN_CHUNK_ENTRIES 8192
#define SCAN_DEBOUNCE_NS 10000000ULL
#define SCAN_INTERVAL_NS 5000000000ULL
#define SCAN_LEARN_TRIES 16

struct ras_vcpu {
	struct sigbus_slot slot;
	struct timespec fault_time; /* SIGBUS of the error being delivered */
	int lat_open;
	uint64_t retry_gpa;         /* AR waiting for this vCPU's source ack */
	uint32_t features;          /* SEA_FEAT_*, read once */
	int features_read;
};

/* A record posted for an SEA source, waiting for the main thread to
 * deliver it on its vCPU (ras_post_record()). */
struct ras_post {
	struct ras_post *next;
	unsigned source;
	size_t len;
	uint8_t bytes[];
};

struct ras {
	struct ras_deps d;
	struct ghes_layout layout;
	struct ghes *ghes;
	struct poison *poison;
	struct ras_vcpu *v;
	unsigned async_source;
	int wake_fd;                /* eventfd: AO events in the SIGBUS ring */
	int timer_fd;               /* read-ack polling */
	int timer_armed;
	pthread_mutex_t timer_lock; /* timer_armed: posts come from any thread */
	uint64_t overruns_seen;
	int scan_fd;                /* timerfd: the next pagemap scan step */
	pthread_mutex_t scan_lock;  /* scan */
	struct pagemap_scan *scan;  /* NULL: no pagemap, signals only */
	bool resetting;             /* pages found now are replaced, not reported */

	pthread_mutex_t sea_lock;   /* one SEA record in flight at a time */
	struct timespec last_sea;   /* when the last one was written */
	unsigned last_sea_vcpu;

	pthread_mutex_t post_lock;  /* posts */
	struct ras_post *posts, **posts_tail; /* SEA posts, oldest first */
	unsigned nposts;

	pthread_mutex_t lock;       /* stats, latency, ar_only */
	struct ras_stats st;
	uint32_t lat[LAT_SAMPLES];
	uint64_t lat_count;
	/* Poisoned pages the guest has not been told of and learns of only
	 * when it touches one (an SEA naming it) or an I/O fails on it:
	 * pages injected as AR with MADV_HWPOISON (their inevitable AO is not
	 * reported), and the other 4 KiB pages of a lost huge page (the guest
	 * isolates only the page a record names). */
	struct poison *untold;
};

static void stat_add(struct ras *r, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&r->lock);
	*field += n;
	pthread_mutex_unlock(&r->lock);
}

static int build_record(uint64_t gpa, uint8_t *rec, size_t *len)
{
	struct cper_mem_error e = {
		.gpa = gpa,
		.severity = CPER_SEV_RECOVERABLE,
		.mem_error_type = CPER_MEM_TYPE_UNKNOWN,
		/* Distinct records for repeats: Linux drops an identical one
		 * seen within 10 s. */
		.timestamp = (int64_t)time(NULL),
	};

	return cper_build_mem_error(rec, CPER_MEM_ERROR_RECORD_LEN, &e, len);
}

/* One record on its way to error source 'source'. */
struct ras_record {
	unsigned source;
	unsigned vcpu;        /* the vCPU that faulted (synchronous types) */
	uint64_t gpa;         /* memory errors: for messages; 0 for posts */
	const uint8_t *bytes; /* a whole Generic Error Status Block */
	size_t len;
};

/* ---- read-ack polling and the interrupt (event loop side) ---- */

/* Pulse the notification interrupt once: the guest then reads its
 * interrupt-signalled sources. */
static void pulse_irq(struct ras *r)
{
	irq_line_set(&r->d.notify_irq, 1);
	irq_line_set(&r->d.notify_irq, 0);
	stat_add(r, &r->st.irqs_raised, 1);
}

/* The same for the GSIV source's own interrupt. */
static void pulse_gsiv(struct ras *r)
{
	irq_line_set(&r->d.gsiv_irq, 1);
	irq_line_set(&r->d.gsiv_irq, 0);
	stat_add(r, &r->st.irqs_raised, 1);
}

static void poll_timer_arm(struct ras *r, int on)
{
	struct itimerspec its = { 0 };

	pthread_mutex_lock(&r->timer_lock);
	if (on != r->timer_armed) {
		if (on) {
			its.it_value.tv_nsec = POLL_MS * 1000000L;
			its.it_interval.tv_nsec = POLL_MS * 1000000L;
		}
		if (timerfd_settime(r->timer_fd, 0, &its, NULL) == 0)
			r->timer_armed = on;
	}
	pthread_mutex_unlock(&r->timer_lock);
}

/* ---- SEA injection (vCPU side) ---- */

static uint32_t read_features(struct ras *r, unsigned vcpu)
{
	uint64_t mmfr1 = 0, pfr1 = 0;
	uint32_t f = 0;

	if (!r->d.get_reg(r->d.opaque, vcpu, RAS_REG_ID_AA64MMFR1_EL1, &mmfr1) &&
	    ((mmfr1 >> 20) & 0xf))
		f |= SEA_FEAT_PAN;
	if (!r->d.get_reg(r->d.opaque, vcpu, RAS_REG_ID_AA64PFR1_EL1, &pfr1)) {
		if ((pfr1 >> 4) & 0xf)
			f |= SEA_FEAT_SSBS;
		if ((pfr1 >> 8) & 0xf)
			f |= SEA_FEAT_MTE;
		if ((pfr1 >> 36) & 0xf)
			f |= SEA_FEAT_NMI;
	}
	return f;
}

/* Enter the guest's SEA vector: read the four registers exception entry
 * depends on, write the six it changes. Nothing else is touched. Runs on
 * the thread of vCPU 'vcpu'. */
static int inject_sea(struct ras *r, unsigned vcpu)
{
	struct ras_vcpu *rv = &r->v[vcpu];
	struct sea_fault fault = { .instruction = false, .far_valid = false };
	struct sea_cpu cpu = { 0 };
	struct sea_entry e;
	void *o = r->d.opaque;
	int ret;

	if (!rv->features_read) {
		rv->features = read_features(r, vcpu);
		rv->features_read = 1;
	}
	cpu.features = rv->features;
	ret = r->d.get_reg(o, vcpu, RAS_REG_PSTATE, &cpu.pstate);
	if (!ret)
		ret = r->d.get_reg(o, vcpu, RAS_REG_PC, &cpu.pc);
	if (!ret)
		ret = r->d.get_reg(o, vcpu, RAS_REG_VBAR_EL1, &cpu.vbar_el1);
	if (!ret)
		ret = r->d.get_reg(o, vcpu, RAS_REG_SCTLR_EL1, &cpu.sctlr_el1);
	if (ret) {
		pr_err("vCPU %u: cannot read registers for the external abort: %s", vcpu,
		       strerror(-ret));
		return ret;
	}
	ret = sea_compute_entry(&cpu, &fault, &e);
	if (ret) {
		pr_err("vCPU %u: cannot deliver an external abort in PSTATE 0x%" PRIx64,
		       vcpu, cpu.pstate);
		return ret;
	}
	ret = r->d.set_reg(o, vcpu, RAS_REG_ESR_EL1, e.esr_el1);
	if (!ret)
		ret = r->d.set_reg(o, vcpu, RAS_REG_FAR_EL1, e.far_el1);
	if (!ret)
		ret = r->d.set_reg(o, vcpu, RAS_REG_ELR_EL1, e.elr_el1);
	if (!ret)
		ret = r->d.set_reg(o, vcpu, RAS_REG_SPSR_EL1, e.spsr_el1);
	if (!ret)
		ret = r->d.set_reg(o, vcpu, RAS_REG_PSTATE, e.pstate);
	if (!ret)
		ret = r->d.set_reg(o, vcpu, RAS_REG_PC, e.pc);
	if (ret) {
		pr_err("vCPU %u: cannot set registers for the external abort: %s", vcpu,
		       strerror(-ret));
		return ret;
	}
	stat_add(r, &r->st.sea_injected, 1);
	pr_debug("vCPU %u: SEA injected, ESR 0x%" PRIx64 " from PC 0x%" PRIx64, vcpu,
		 e.esr_el1, cpu.pc);
	return 0;
}

static int64_t ns_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

/* ---- notification types, indexed by HEST notification type ----
 *
 * deliver() writes one record into its source and notifies the guest.
 * Returns 0 (delivered now), 1 (deferred: queued until the guest acks, or
 * the source is busy and the faulting access will report it again) or
 * -errno. Types with on_vcpu set change the faulting vCPU's registers, so
 * their deliver() runs on that vCPU's thread. notify_queued(), for types
 * whose records can queue, is called once after a poll wrote queued records
 * into one or more of their sources. */
struct ras_notify_ops {
	const char *name;
	bool on_vcpu;
	int (*deliver)(struct ras *r, const struct ras_record *rec);
	void (*notify_queued)(struct ras *r);
};

/* SEA (type 8): write the record into this vCPU's SEA source and inject
 * the abort; never queues. */
static int deliver_sea(struct ras *r, const struct ras_record *rec)
{
	struct timespec now;
	int ret;

	pthread_mutex_lock(&r->sea_lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (r->last_sea_vcpu != rec->vcpu && (r->last_sea.tv_sec || r->last_sea.tv_nsec) &&
	    ns_between(&r->last_sea, &now) < SEA_GAP_NS) {
		ret = -EBUSY;
	} else {
		ret = ghes_idle(r->ghes, 0, r->d.ncpus);
		if (ret == 1)
			ret = ghes_try_write(r->ghes, rec->source, rec->bytes, rec->len);
		else if (ret == 0)
			ret = -EBUSY;
	}
	if (ret == -EBUSY) {
		pthread_mutex_unlock(&r->sea_lock);
		return 1;
	}
	if (ret) {
		/* The guest's error block is unusable: the abort still tells
		 * the guest, which then cannot find a record; still better than
		 * stopping the VM. */
		pr_warn_rl("vCPU %u: cannot write the CPER record: %s; injecting the abort anyway",
			   rec->vcpu, strerror(-ret));
	} else {
		stat_add(r, &r->st.records_written, 1);
		r->last_sea = now;
		r->last_sea_vcpu = rec->vcpu;
	}
	ret = inject_sea(r, rec->vcpu);
	pthread_mutex_unlock(&r->sea_lock);
	return ret;
}

/* GPIO-signal (type 7, through the GED): write the record or queue it
 * behind the read-ack, pulse the interrupt for a record written now. */
static int deliver_gpio(struct ras *r, const struct ras_record *rec)
{
	int ret = ghes_submit(r->ghes, rec->source, rec->bytes, rec->len);

	if (ret == 0) {
		stat_add(r, &r->st.records_written, 1);
		pulse_irq(r);
	} else if (ret == 1) {
		poll_timer_arm(r, 1);
	} else {
		pr_warn_rl("cannot record asynchronous memory error at 0x%" PRIx64 ": %s",
			   rec->gpa, strerror(-ret));
	}
	return ret;
}

/* GSIV (type 10): as GPIO, with the GSIV source's own interrupt. */
static int deliver_gsiv(struct ras *r, const struct ras_record *rec)
{
	int ret = ghes_submit(r->ghes, rec->source, rec->bytes, rec->len);

	if (ret == 0) {
		stat_add(r, &r->st.records_written, 1);
		pulse_gsiv(r);
	} else if (ret == 1) {
		poll_timer_arm(r, 1);
	} else {
		pr_warn_rl("cannot write a record on the GSIV error source: %s", strerror(-ret));
	}
	return ret;
}

/* Polled (type 0): write or queue; the guest reads the block on its own
 * every GHES_POLL_INTERVAL_MS. */
static int deliver_polled(struct ras *r, const struct ras_record *rec)
{
	int ret = ghes_submit(r->ghes, rec->source, rec->bytes, rec->len);

	if (ret == 0)
		stat_add(r, &r->st.records_written, 1);
	else if (ret == 1)
		poll_timer_arm(r, 1);
	else
		pr_warn_rl("cannot write a record on the polled error source: %s", strerror(-ret));
	return ret;
}

static const struct ras_notify_ops notify_types[] = {
	[GHES_NOTIFY_POLLED] = { "polled", false, deliver_polled, NULL },
	[GHES_NOTIFY_GPIO] = { "GPIO-signal", false, deliver_gpio, pulse_irq },
	[GHES_NOTIFY_SEA] = { "SEA", true, deliver_sea, NULL },
	[GHES_NOTIFY_GSIV] = { "GSIV", false, deliver_gsiv, pulse_gsiv },
};

/* The notification type of 'source', or NULL if we cannot deliver it. */
static const struct ras_notify_ops *notify_ops(const struct ras *r, unsigned source)
{
	uint8_t t = ghes_notify_type(&r->layout, source);

	if (t >= ARRAY_SIZE(notify_types) || !notify_types[t].deliver)
		return NULL;
	return &notify_types[t];
}

static void emit(struct ras *r, const struct ras_event *ev)
{
	if (r->d.event)
		r->d.event(r->d.opaque, ev);
}

/* Tell the event stream what deliver() did with the error at 'gpa'. */
static void emit_delivery(struct ras *r, const struct ras_notify_ops *ops, unsigned source,
			  unsigned vcpu, uint64_t gpa, const char *found, int ret)
{
	bool sync = ops && ops->on_vcpu;
	struct ras_event ev = {
		.guest = true, .gpa = gpa, .found = found, .source = source,
		.kind = sync ? RAS_KIND_AR : RAS_KIND_AO, .vcpu = sync ? (int)vcpu : -1,
		.told = ret == 0 || ret == 1,
	};
	struct ghes_stats gs;

	if (ret == 0)
		ev.delivery = sync ? "sea" : "interrupt";
	else if (ret == 1)
		ev.delivery = "queued";
	else
		ev.delivery = "dropped";
	emit(r, &ev);
	if (ret == -ENOSPC) {
		ghes_get_stats(r->ghes, &gs);
		ev.queue_full = true;
		ev.queued = gs.queued_now;
		emit(r, &ev);
	}
}

/* Build the record of an error at 'gpa' (found the 'found' way) and
 * deliver it on 'source' (for on_vcpu types: on the thread of vCPU
 * 'vcpu'). Returns as deliver(); every outcome but "busy, try again"
 * (1 on an on_vcpu type) goes to the event stream. */
static int ras_deliver(struct ras *r, unsigned source, unsigned vcpu, uint64_t gpa,
		       const char *found)
{
	const struct ras_notify_ops *ops = notify_ops(r, source);
	uint8_t bytes[CPER_MEM_ERROR_RECORD_LEN];
	struct ras_record rec = { .source = source, .vcpu = vcpu, .gpa = gpa, .bytes = bytes };
	int ret;

	if (!ops) {
		pr_warn_rl("error source %u has a notification type we cannot deliver", source);
		emit_delivery(r, ops, source, vcpu, gpa, found, -ENOTSUP);
		return -ENOTSUP;
	}
	ret = build_record(gpa, bytes, &rec.len);
	if (!ret)
		ret = ops->deliver(r, &rec);
	if (!(ret == 1 && ops->on_vcpu))
		emit_delivery(r, ops, source, vcpu, gpa, found, ret);
	return ret;
}

/* ---- pagemap scans for poisoned pages nobody reported (event loop) ---- */

/* Learn the hwpoison swap type from the page at 'hva', which the kernel
 * reported poisoned, if it is not known yet.
 *
 * Why learn it from the errors themselves rather than poison a page of our
 * own with MADV_HWPOISON at start-up: that would cost a host page for good
 * on every start, needs CAP_SYS_ADMIN and CONFIG_MEMORY_FAILURE, and shows
 * as a real memory failure in the host's log and RAS counters, which
 * operators act on. It is also not needed: Linux drops an AO only while an
 * earlier one is pending, so the first AO of any burst arrives, and its
 * page's entry gives the type before the scan that looks for the rest;
 * pages known from ARs serve too (scan_learn_from_known()). A reader
 * without CAP_SYS_ADMIN sees type 0 for every swapped page, which is never
 * taken for a type: scans then stay off and signals are all there is. */
static void scan_learn(struct ras *r, uint64_t hva)
{
	int ret;

	if (!r->scan)
		return;
	pthread_mutex_lock(&r->scan_lock);
	if (pagemap_type(r->scan) != PAGEMAP_TYPE_UNKNOWN) {
		pthread_mutex_unlock(&r->scan_lock);
		return;
	}
	ret = pagemap_learn_type(r->scan, hva);
	if (ret == 1)
		pr_info("poisoned pages show as swap type %d in the pagemap: scanning for them",
			pagemap_type(r->scan));
	pthread_mutex_unlock(&r->scan_lock);
}

/* No AO arrived yet: maybe a page known from an AR shows the type. */
static void scan_learn_from_known(struct ras *r)
{
	uint64_t gpas[SCAN_LEARN_TRIES];
	size_t n, i;

	if (!r->scan || pagemap_type(r->scan) != PAGEMAP_TYPE_UNKNOWN)
		return;
	n = MIN(poison_list(r->poison, gpas, ARRAY_SIZE(gpas)), ARRAY_SIZE(gpas));
	for (i = 0; i < n && pagemap_type(r->scan) == PAGEMAP_TYPE_UNKNOWN; i++) {
		void *hva = mem_gpa_to_hva(r->d.mem, gpas[i], 1);

		if (hva)
			scan_learn(r, (uint64_t)(uintptr_t)hva);
	}
}

/* Set the scan timer to the scan's next due step, or disarm it. */
static void scan_timer_update(struct ras *r)
{
	struct itimerspec its = { 0 };
	int64_t ns;

	if (!r->scan)
		return;
	pthread_mutex_lock(&r->scan_lock);
	ns = pagemap_scan_next(r->scan);
	pthread_mutex_unlock(&r->scan_lock);
	if (ns >= 0) {
		if (ns == 0)
			ns = 1;   /* 0 would disarm: as soon as the loop turns */
		its.it_value.tv_sec = ns / 1000000000LL;
		its.it_value.tv_nsec = ns % 1000000000LL;
	}
	if (timerfd_settime(r->scan_fd, 0, &its, NULL) < 0)
		pr_warn_rl("cannot arm the pagemap scan timer: %m");
}

static void scan_request(struct ras *r)
{
	if (!r->scan)
		return;
	pthread_mutex_lock(&r->scan_lock);
	pagemap_scan_request(r->scan);
	pthread_mutex_unlock(&r->scan_lock);
	scan_timer_update(r);
}

/* A scan found the poisoned page at 'va': the normal AO way, once. */
static void scan_found(void *opaque, uint64_t va)
{
	struct ras *r = opaque;
	uint64_t gpa;

	if (!mem_hva_to_gpa(r->d.mem, (void *)(uintptr_t)va, &gpa))
		return;
	if (poison_add(r->poison, gpa) <= 0)
		return;
	pthread_mutex_lock(&r->lock);
	r->st.errors_ao_scan++;
	r->st.poisoned_pages++;
	pthread_mutex_unlock(&r->lock);
	pr_info("memory error (AO, found by scan) at guest address 0x%" PRIx64, gpa);
	if (r->resetting || poison_contains(r->untold, gpa))
		return;
	ras_deliver(r, r->async_source, 0, gpa, "scan");
}

static int ras_scan_cb(void *opaque, int fd)
{
	struct ras *r = opaque;
	uint64_t ticks;
	int ret;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return 0;
	scan_learn_from_known(r);
	pthread_mutex_lock(&r->scan_lock);
	ret = pagemap_scan_step(r->scan, scan_found, r);
	pthread_mutex_unlock(&r->scan_lock);
	if (ret < 0)
		pr_warn_rl("cannot scan guest RAM for poisoned pages: %s", strerror(-ret));
	scan_timer_update(r);
	return 0;
}

/* ---- errors a device's I/O ran into (event loop) ---- */

/* Is the guest page 'gpa' (host 'hva') poisoned? A failed I/O proves
 * nothing (a disk error, a short file), so the page itself must say. The
 * pagemap answers without touching it: a present entry is a mapped page the
 * kernel could read, an entry of the learned hwpoison swap type is a
 * poisoned one. Otherwise (swapped out, never touched, type not learned,
 * no pagemap) a guarded one-byte read decides: in anonymous guest RAM only
 * a poisoned page makes it take a SIGBUS (-EIO); a swapped page is read
 * back in, an untouched one reads as zero. */
static bool io_page_poisoned(struct ras *r, uint64_t gpa, const uint8_t *hva)
{
	uint64_t e = 0;
	uint8_t byte;
	int ret = -ENOENT, type = PAGEMAP_TYPE_UNKNOWN;

	if (r->scan) {
		pthread_mutex_lock(&r->scan_lock);
		ret = pagemap_read_entry(r->scan, (uint64_t)(uintptr_t)hva, &e);
		type = pagemap_type(r->scan);
		pthread_mutex_unlock(&r->scan_lock);
	}
	if (!ret && pagemap_present(e))
		return false;
	if (!ret && pagemap_is_type(e, type))
		return true;
	return guest_mem_read(&r->d.mem->gm, gpa, &byte, 1) == -EIO;
}

/* One page of a failed I/O: 1 when it is poisoned (reported now, or
 * before), 0 when not. */
static int io_page_check(struct ras *r, uint64_t page)
{
	uint8_t *hva = mem_gpa_to_hva(r->d.mem, page, 1);
	bool untold;
	int fresh;

	if (!hva)
		return 0;
	/* Known and told (signal, scan, an earlier I/O or an SEA): no look. */
	if (poison_contains(r->poison, page) && !poison_contains(r->untold, page))
		return 1;
	if (!io_page_poisoned(r, page, hva))
		return 0;
	fresh = poison_add(r->poison, page);
	/* Injected as AR and not touched yet: the guest learns of it now. */
	untold = poison_remove(r->untold, page) == 1;
	pthread_mutex_lock(&r->lock);
	r->st.errors_ao_io++;
	if (fresh > 0)
		r->st.poisoned_pages++;
	pthread_mutex_unlock(&r->lock);
	pr_info("memory error (AO, found on the I/O path) at guest address 0x%" PRIx64 "%s", page,
		untold ? " (poisoned before, guest not told yet)" : "");
	scan_learn(r, (uint64_t)(uintptr_t)hva);
	if (!r->resetting)
		ras_deliver(r, r->async_source, 0, page, "io");
	return 1;
}

int ras_report_io_error(struct ras *r, uint64_t gpa, uint64_t len)
{
	uint64_t page, last, n;
	int found = 0;

	/* Wholly in RAM, so gpa + len does not wrap. */
	if (!len || !mem_gpa_to_hva(r->d.mem, gpa, len))
		return -EINVAL;
	last = ALIGN_DOWN(gpa + len - 1, SZ_4K);
	for (page = ALIGN_DOWN(gpa, SZ_4K), n = 0; page <= last && n < RAS_IO_PROBE_MAX_PAGES;
	     page += SZ_4K, n++)
		found += io_page_check(r, page);
	return found;
}

/* ---- errors that take a whole huge page ---- */

/* Most 4 KiB pages one error may take (a 1 GiB page); more is not ours. */
#define SPAN_MAX_PAGES (1u << 18)

/* The error 'ev' took the whole host block of 1 << lsb bytes holding the
 * page it names (guest page 'gpa', already in the poisoned set): every
 * other 4 KiB guest page of the block joins the set too, and those new to
 * it are untold (the guest learns of each when it touches it). Nothing to
 * do for a 4 KiB error. Returns how many pages were new to the set. */
static long poison_span(struct ras *r, const struct sigbus_event *ev, uint64_t gpa)
{
	uint64_t start, len, hva, g, *pages, *fresh;
	size_t n = 0;
	long nf;

	sigbus_event_span(ev, &start, &len);
	if (len <= SZ_4K)
		return 0;
	if (len / SZ_4K > SPAN_MAX_PAGES) {
		pr_warn_rl("memory error over %" PRIu64 " MiB at guest address 0x%" PRIx64
			   ": only that page is recorded", len >> 20, gpa);
		return 0;
	}
	pages = malloc(2 * (len / SZ_4K) * sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	fresh = pages + len / SZ_4K;
	/* Guest pages ascend with host addresses: RAM is one mapping. */
	for (hva = start; hva - start < len; hva += SZ_4K)
		if (hva != ev->addr && mem_hva_to_gpa(r->d.mem, (void *)(uintptr_t)hva, &g))
			pages[n++] = g;
	nf = poison_add_many(r->poison, pages, n, fresh);
	if (nf > 0) {
		stat_add(r, &r->st.poisoned_pages, (uint64_t)nf);
		if (poison_add_many(r->untold, fresh, (size_t)nf, NULL) < 0)
			pr_warn_rl("out of memory recording a lost huge page");
		pr_info("memory error takes the whole %" PRIu64 " KiB host page of guest address 0x%"
			PRIx64 ": %ld more guest pages poisoned, each reported when touched",
			len >> 10, gpa, nf);
	}
	free(pages);
	return nf;
}

/* ---- asynchronous (AO) errors: event loop side ---- */

static void handle_ao(struct ras *r, const struct sigbus_event *ev)
{
	uint64_t gpa;
	int fresh;

	if (!mem_hva_to_gpa(r->d.mem, (void *)(uintptr_t)ev->addr, &gpa)) {
		struct ras_event e = { .kind = RAS_KIND_AO, .found = "sigbus",
				       .delivery = "none", .vcpu = -1 };

		stat_add(r, &r->st.errors_ignored, 1);
		pr_warn_rl("memory error (AO) at host address 0x%" PRIx64
			   " outside guest RAM; ignored", ev->addr);
		emit(r, &e);
		return;
	}
	stat_add(r, &r->st.errors_ao_signal, 1);
	fresh = poison_add(r->poison, gpa);
	if (fresh > 0)
		stat_add(r, &r->st.poisoned_pages, 1);
	pr_info("memory error (AO) at guest address 0x%" PRIx64 "%s", gpa,
		fresh ? "" : " (already known)");
	/* A lost huge page: the page named is reported, the rest when used. */
	poison_span(r, ev, gpa);
	scan_learn(r, ev->addr);
	/* A page a scan (or an AR) reported already is not reported again. */
	if (fresh <= 0 || poison_contains(r->untold, gpa))
		return;
	ras_deliver(r, r->async_source, 0, gpa, "sigbus");
}

static int ras_wake_cb(void *opaque, int fd)
{
	struct ras *r = opaque;
	struct sigbus_event ev;
	uint64_t v, over;
	bool any = false;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return 0;
	while (sigbus_ring_pop(&ev)) {
		handle_ao(r, &ev);
		any = true;
	}
	over = sigbus_ring_overruns();
	if (over != r->overruns_seen) {
		pr_warn("%" PRIu64 " asynchronous memory error reports were lost (too many at once)"
			"; scanning guest RAM for them", over - r->overruns_seen);
		r->overruns_seen = over;
		any = true;
	}
	/* Linux drops an AO while another is pending: look for the others
	 * (once for the whole burst, see SCAN_DEBOUNCE_NS). */
	if (any)
		scan_request(r);
	return 0;
}

/* ---- records posted for SEA sources (main thread delivers) ---- */

static bool posts_pending(struct ras *r)
{
	bool p;

	pthread_mutex_lock(&r->post_lock);
	p = r->posts != NULL;
	pthread_mutex_unlock(&r->post_lock);
	return p;
}

/* Drop every waiting post; returns how many. */
static unsigned posts_clear(struct ras *r)
{
	struct ras_post *p, *next;
	unsigned n;

	pthread_mutex_lock(&r->post_lock);
	p = r->posts;
	n = r->nposts;
	r->posts = NULL;
	r->posts_tail = &r->posts;
	r->nposts = 0;
	pthread_mutex_unlock(&r->post_lock);
	for (; p; p = next) {
		next = p->next;
		free(p);
	}
	return n;
}

struct post_req {
	struct ras *r;
	const struct ras_post *p;
};

/* On the SEA source's vCPU thread: write the record, inject the SEA.
 * Returns as deliver_sea(): 0, 1 busy, -errno. */
static int post_on_vcpu_fn(void *arg)
{
	const struct post_req *q = arg;
	struct ras_record rec = {
		.source = q->p->source,
		.vcpu = q->p->source,	/* SEA source i is vCPU i's */
		.bytes = q->p->bytes,
		.len = q->p->len,
	};

	return deliver_sea(q->r, &rec);
}

/* Deliver waiting SEA posts in order until one has to wait (the SEA
 * sources are busy). Main thread. */
static void posts_drain(struct ras *r)
{
	struct ras_post *p;
	int ret;

	for (;;) {
		struct post_req q = { r, NULL };

		pthread_mutex_lock(&r->post_lock);
		p = r->posts;
		pthread_mutex_unlock(&r->post_lock);
		if (!p)
			return;
		q.p = p;
		ret = r->d.run_on_vcpu(r->d.opaque, ghes_source_sea(p->source), post_on_vcpu_fn, &q);
		if (ret == 1)
			return;	/* busy: the next timer tick tries again */
		if (ret < 0) {
			stat_add(r, &r->st.records_dropped, 1);
			pr_warn_rl("vCPU %u: cannot deliver a posted record: %s", p->source,
				   strerror(-ret));
		}
		pthread_mutex_lock(&r->post_lock);
		r->posts = p->next;
		if (!r->posts)
			r->posts_tail = &r->posts;
		r->nposts--;
		pthread_mutex_unlock(&r->post_lock);
		free(p);
	}
}

struct poll_ctx {
	struct ras *r;
	uint32_t types;   /* bit t: a record went out on a source of type t */
};

static void poll_notify(void *opaque, unsigned source)
{
	struct poll_ctx *c = opaque;
	uint8_t t = ghes_notify_type(&c->r->layout, source);

	/* Runs under r->lock (see ras_timer_cb): notify after both locks. */
	c->r->st.records_written++;
	if (t < 32)
		c->types |= 1u << t;
}

static int ras_timer_cb(void *opaque, int fd)
{
	struct ras *r = opaque;
	struct poll_ctx c = { .r = r };
	uint64_t ticks;
	unsigned t;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&r->lock);
	ghes_poll(r->ghes, poll_notify, &c);
	pthread_mutex_unlock(&r->lock);
	/* One notification per type makes the guest read its sources,
	 * outside both locks. */
	for (t = 0; t < ARRAY_SIZE(notify_types); t++)
		if (((c.types >> t) & 1) && notify_types[t].notify_queued)
			notify_types[t].notify_queued(r);
	posts_drain(r);
	if (!ghes_pending(r->ghes) && !posts_pending(r))
		poll_timer_arm(r, 0);
	return 0;
}

/* ---- synchronous (AR) errors: vCPU side ---- */

static int handle_ar(struct ras *r, unsigned vcpu, const struct sigbus_event *ev)
{
	struct ras_vcpu *rv = &r->v[vcpu];
	struct timespec ts = { 0, RETRY_SLEEP_NS };
	uint64_t gpa;
	int ret, fresh;

	if (!mem_hva_to_gpa(r->d.mem, (void *)(uintptr_t)ev->addr, &gpa)) {
		struct ras_event e = { .kind = RAS_KIND_AR, .fatal = true, .found = "sigbus",
				       .delivery = "none", .vcpu = (int)vcpu };

		pr_err("vCPU %u: memory error (action required) at host address 0x%" PRIx64
		       ", which is not guest RAM; cannot recover", vcpu, ev->addr);
		emit(r, &e);
		return -EFAULT;
	}
	if (rv->retry_gpa != gpa) {
		/* A new error, not the repeat of one waiting for an ack. On a
		 * lost huge page each guest page touched is one: KVM names the
		 * page the guest touched, and that is the one reported. */
		stat_add(r, &r->st.errors_ar, 1);
		fresh = poison_add(r->poison, gpa);
		if (fresh > 0)
			stat_add(r, &r->st.poisoned_pages, 1);
		/* The SEA tells the guest: an I/O on the page later need not. */
		poison_remove(r->untold, gpa);
		rv->fault_time = ev->when;
		pr_info("vCPU %u: memory error (AR) at guest address 0x%" PRIx64, vcpu, gpa);
		poison_span(r, ev, gpa);
	}
	ret = ras_deliver(r, ghes_source_sea(vcpu), vcpu, gpa, "sigbus");
	if (ret == 1) {
		if (rv->retry_gpa != gpa)
			stat_add(r, &r->st.records_retried, 1);
		rv->retry_gpa = gpa;
		nanosleep(&ts, NULL);
		return 0;
	}
	rv->retry_gpa = 0;
	if (ret == 0)
		rv->lat_open = 1;
	return ret;
}

int ras_vcpu_after_run(struct ras *r, unsigned vcpu)
{
	struct ras_vcpu *rv = &r->v[vcpu];
	struct sigbus_event ev;

	if (!__atomic_load_n(&rv->slot.pending, __ATOMIC_ACQUIRE))
		return 0;
	ev = rv->slot.ev;
	__atomic_store_n(&rv->slot.pending, 0, __ATOMIC_RELEASE);
	return handle_ar(r, vcpu, &ev);
}

static void lat_record(struct ras *r, uint64_t us)
{
	pthread_mutex_lock(&r->lock);
	r->lat[r->lat_count % LAT_SAMPLES] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	r->lat_count++;
	pthread_mutex_unlock(&r->lock);
}

void ras_vcpu_before_run(struct ras *r, unsigned vcpu, volatile int *in_run)
{
	struct ras_vcpu *rv = &r->v[vcpu];
	struct timespec now;

	sigbus_register_vcpu_thread(&rv->slot, in_run);
	if (!rv->lat_open)
		return;
	rv->lat_open = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	lat_record(r, (uint64_t)((now.tv_sec - rv->fault_time.tv_sec) * 1000000LL +
				 (now.tv_nsec - rv->fault_time.tv_nsec) / 1000));
}

/* ---- injection through the control socket ---- */

struct inject_req {
	struct ras *r;
	unsigned source;
	unsigned vcpu;
	uint64_t gpa;
};

static int inject_on_vcpu_fn(void *arg)
{
	const struct inject_req *q = arg;
	int ret = ras_deliver(q->r, q->source, q->vcpu, q->gpa, "inject");

	return ret == 1 ? -EBUSY : ret;
}

/* A record only, memory stays good: synchronous types are delivered on the
 * vCPU's thread (-EBUSY while the source is busy), the others queue. */
static int inject_cper(struct ras *r, unsigned source, unsigned vcpu, uint64_t gpa)
{
	const struct ras_notify_ops *ops = notify_ops(r, source);
	struct inject_req q = { r, source, vcpu, gpa };

	if (ops && ops->on_vcpu)
		return r->d.run_on_vcpu(r->d.opaque, vcpu, inject_on_vcpu_fn, &q);
	ras_deliver(r, source, vcpu, gpa, "inject");
	return 0;
}

/* MADV_HWPOISON on a huge page loses all of it, and the kernel's AO may
 * name the huge page's first page rather than the one injected. Injected
 * as AR: every page of the block is untold before the AO arrives, so the
 * guest learns of each page only when it touches it, as of a 4 KiB one. */
static void untold_block(struct ras *r, uint64_t page)
{
	uint64_t psz = r->d.mem->page_size, base, v[512], i, n;

	base = ALIGN_DOWN(page - r->d.mem->ram_base, psz) + r->d.mem->ram_base;
	for (i = 0, n = 0; i < psz / SZ_4K && n < ARRAY_SIZE(v); i++)
		v[n++] = base + i * SZ_4K;
	if (poison_add_many(r->untold, v, n, NULL) < 0)
		pr_warn_rl("out of memory recording a lost huge page");
}

/* Injected as AO: the page injected is reported now (whatever the kernel's
 * AO names, which then finds every page known), the rest of the block is
 * poisoned and untold. */
static void inject_ao_block(struct ras *r, uint64_t page, uint8_t *hva)
{
	struct sigbus_event ev = {
		.code = BUS_MCEERR_AO,
		.addr = (uint64_t)(uintptr_t)hva,
		.lsb = __builtin_ctzll(r->d.mem->page_size),
	};
	int fresh = poison_add(r->poison, page);

	if (fresh > 0)
		stat_add(r, &r->st.poisoned_pages, 1);
	poison_span(r, &ev, page);
	if (fresh > 0 && !poison_contains(r->untold, page)) {
		pr_info("memory error (AO, injected) at guest address 0x%" PRIx64, page);
		ras_deliver(r, r->async_source, 0, page, "inject");
	}
}

int ras_inject(struct ras *r, uint64_t gpa, enum ras_inject_mode mode,
	       enum ras_kind kind, unsigned vcpu)
{
	uint64_t page = ALIGN_DOWN(gpa, SZ_4K);
	uint8_t *hva = mem_gpa_to_hva(r->d.mem, page, SZ_4K);
	int ret;

	if (!hva || vcpu >= r->d.ncpus)
		return -EINVAL;
	stat_add(r, &r->st.errors_injected, 1);
	if (mode == RAS_INJECT_CPER)
		return inject_cper(r, kind == RAS_KIND_AO ? r->async_source : ghes_source_sea(vcpu),
				   vcpu, page);
	/* Real poisoning. The page must be backed by its own frame first
	 * (never the shared zero page): an atomic add of 0 forces that
	 * without changing a byte the guest may be writing. A page already
	 * bad fails the command, not the VMM: a known one is not touched, an
	 * unknown one (not hit by the guest yet) faults inside the guard. */
	if (poison_contains(r->poison, page) > 0 || guarded_touch(hva))
		return -EHWPOISON;
	if (kind == RAS_KIND_AR)
		poison_add(r->untold, page);
	if (r->d.mem->page_size > SZ_4K && kind == RAS_KIND_AR)
		untold_block(r, page);
	if (madvise(hva, SZ_4K, MADV_HWPOISON) < 0) {
		ret = -errno;
		pr_warn("madvise(MADV_HWPOISON) at guest address 0x%" PRIx64 ": %s", page,
			strerror(-ret));
		return ret;
	}
	if (r->d.mem->page_size > SZ_4K && kind == RAS_KIND_AO)
		inject_ao_block(r, page, hva);
	return 0;
}
int ras_source_id(struct ras *r, enum ras_source_kind kind, unsigned vcpu)
{
	switch (kind) {
	case RAS_SOURCE_SEA:
		return vcpu < r->d.ncpus ? (int)ghes_source_sea(vcpu) : -EINVAL;
	case RAS_SOURCE_ASYNC:
		return (int)ghes_source_async(&r->layout);
	case RAS_SOURCE_POLLED:
		return (int)ghes_source_polled(&r->layout);
	case RAS_SOURCE_GSIV:
		return (int)ghes_source_gsiv(&r->layout);
	}
	return -EINVAL;
}

int ras_post_record(struct ras *r, unsigned source, const uint8_t *rec, size_t len)
{
	const struct ras_notify_ops *ops;
	struct ras_record q = { .source = source, .bytes = rec, .len = len };
	struct ras_post *p;
	int ret;

	if (!rec || source >= r->layout.nsources)
		return -EINVAL;
	if (len > r->layout.block_len)
		return -EMSGSIZE;
	/* Linux ignores a block it cannot parse: say so now, not never. */
	if (cper_check_record(rec, len))
		return -EINVAL;
	ops = notify_ops(r, source);
	if (!ops)
		return -ENOTSUP;
	if (!ops->on_vcpu) {
		ret = ops->deliver(r, &q);
		if (ret >= 0)
			stat_add(r, &r->st.records_posted, 1);
		return ret;
	}

	/* SEA: the main thread delivers it on the vCPU's thread, behind
	 * older posts, when the SEA sources are free (poll timer). */
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->source = source;
	p->len = len;
	memcpy(p->bytes, rec, len);
	pthread_mutex_lock(&r->post_lock);
	if (r->nposts >= CONFIG_RAS_MAX_QUEUE) {
		pthread_mutex_unlock(&r->post_lock);
		free(p);
		stat_add(r, &r->st.records_dropped, 1);
		pr_warn_rl("vCPU %u: %u records waiting for the SEA sources, record dropped",
			   source, (unsigned)CONFIG_RAS_MAX_QUEUE);
		return -ENOSPC;
	}
	*r->posts_tail = p;
	r->posts_tail = &p->next;
	r->nposts++;
	pthread_mutex_unlock(&r->post_lock);
	stat_add(r, &r->st.records_posted, 1);
	poll_timer_arm(r, 1);
	return 1;
}

/* EINJ's processor errors (devices/einj.c): one ARM processor error
 * section (UEFI N.2.4.4) for vCPU 'vcpu' with one cache error entry,
 * corrected or uncorrectable non-fatal (recoverable), on the asynchronous
 * source. A record only: nothing in the vCPU is broken. */
int ras_post_proc_record(struct ras *r, unsigned vcpu, bool corrected)
{
	uint8_t rec[512];
	struct cper_arm_error e = {
		.severity = corrected ? CPER_SEV_CORRECTED : CPER_SEV_RECOVERABLE,
		.timestamp = (int64_t)time(NULL),
		.valid = CPER_ARM_VALID_MPIDR | CPER_ARM_VALID_RUNNING_STATE,
		.mpidr = arm64_mpidr_of(vcpu) | (1ull << 31),	/* RES1 bit 31 */
		.running_state = 1,
		.n_info = 1,
		.info[0] = {
			.valid = CPER_ARM_INFO_VALID_FLAGS,
			.type = CPER_ARM_TYPE_CACHE,
			.flags = CPER_ARM_FLAG_FIRST | CPER_ARM_FLAG_LAST,
		},
	};
	size_t len;
	int ret;

	if (vcpu >= r->d.ncpus)
		return -EINVAL;
	ret = cper_build_arm_error(rec, sizeof(rec), &e, &len);
	if (ret)
		return ret;
	stat_add(r, &r->st.errors_injected, 1);
	ret = ras_post_record(r, ghes_source_async(&r->layout), rec, len);
	return ret < 0 ? ret : 0;
}

/* EINJ's record-only memory errors (devices/einj.c): one memory error
 * section of 'severity' at 'gpa' on the asynchronous source. */
int ras_post_mem_record(struct ras *r, uint64_t gpa, uint32_t severity)
{
	uint8_t rec[CPER_MEM_ERROR_RECORD_LEN];
	struct cper_mem_error e = {
		.gpa = gpa,
		.severity = severity,
		.timestamp = (int64_t)time(NULL),	/* distinct repeats, as build_record() */
	};
	size_t len;
	int ret;

	if (!mem_gpa_to_hva(r->d.mem, ALIGN_DOWN(gpa, SZ_4K), SZ_4K) || severity > CPER_SEV_INFO)
		return -EINVAL;
	ret = cper_build_mem_error(rec, sizeof(rec), &e, &len);
	if (ret)
		return ret;
	stat_add(r, &r->st.errors_injected, 1);
	ret = ras_post_record(r, ghes_source_async(&r->layout), rec, len);
	return ret < 0 ? ret : 0;
}

void ras_get_stats(struct ras *r, struct ras_stats *st)
{
	struct ghes_stats gs;
	uint32_t *sorted;
	size_t n, i;

	ghes_get_stats(r->ghes, &gs);
	pthread_mutex_lock(&r->lock);
	*st = r->st;
	n = r->lat_count < LAT_SAMPLES ? r->lat_count : LAT_SAMPLES;
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (sorted)
		memcpy(sorted, r->lat, n * sizeof(*sorted));
	pthread_mutex_unlock(&r->lock);

	st->errors_ao = st->errors_ao_signal + st->errors_ao_scan + st->errors_ao_io;
	if (r->scan) {
		struct pagemap_scan_stats ss;
		int t;

		pthread_mutex_lock(&r->scan_lock);
		pagemap_scan_get_stats(r->scan, &ss);
		t = pagemap_type(r->scan);
		pthread_mutex_unlock(&r->scan_lock);
		st->scans = ss.scans;
		st->scan_last_us = ss.last_cost_ns / 1000;
		st->scan_last_elapsed_us = ss.last_elapsed_ns / 1000;
		st->hwpoison_swap_type = t > 0 ? (uint64_t)t : 0;
	}
	pthread_mutex_lock(&r->post_lock);
	st->records_queued = gs.queued_now + r->nposts;
	pthread_mutex_unlock(&r->post_lock);
	st->records_max_queue = gs.max_depth;
	st->records_dropped += gs.dropped; /* + SEA posts dropped */
	st->lat_samples = r->lat_count;
	st->lat_min_us = st->lat_median_us = st->lat_max_us = 0;
	if (sorted && n) {
		/* Insertion sort: at most LAT_SAMPLES values, rarely asked. */
		for (i = 1; i < n; i++) {
			uint32_t x = sorted[i];
			size_t j = i;

			while (j > 0 && sorted[j - 1] > x) {
				sorted[j] = sorted[j - 1];
				j--;
			}
			sorted[j] = x;
		}
		st->lat_min_us = sorted[0];
		st->lat_median_us = sorted[n / 2];
		st->lat_max_us = sorted[n - 1];
	}
	free(sorted);
}

size_t ras_get_poisoned(struct ras *r, uint64_t *out, size_t max)
{
	return poison_list(r->poison, out, max);
}

void ras_set_base(struct ras *r, uint64_t gpa)
{
	if (ghes_set_base(r->ghes, gpa))
		return;
	if (ghes_pending(r->ghes))
		poll_timer_arm(r, 1);
}

int ras_reset(struct ras *r)
{
	uint64_t psz = r->d.mem->page_size, last_block = 0;
	struct sigbus_event ev;
	uint64_t *pages;
	size_t n, i, blocks = 0;
	int ret = 0, found;
	unsigned c;

	/* AO reports still queued from the boot that ended: their pages join
	 * the poisoned set and are replaced below with the others, so none
	 * reaches the next boot as a stale error about a page that is fine. */
	while (sigbus_ring_pop(&ev)) {
		uint64_t gpa;

		if (!mem_hva_to_gpa(r->d.mem, (void *)(uintptr_t)ev.addr, &gpa))
			continue;
		stat_add(r, &r->st.errors_ao_signal, 1);
		scan_learn(r, ev.addr);
		if (poison_add(r->poison, gpa) > 0) {
			stat_add(r, &r->st.poisoned_pages, 1);
			pr_info("memory error (AO) at guest address 0x%" PRIx64 " (during reset)", gpa);
		}
		poison_span(r, &ev, gpa);
	}
	/* Pages poisoned while no signal could say so are replaced too. */
	if (r->scan) {
		scan_learn_from_known(r);
		r->resetting = true;
		pthread_mutex_lock(&r->scan_lock);
		found = pagemap_scan_all(r->scan, scan_found, r);
		pthread_mutex_unlock(&r->scan_lock);
		r->resetting = false;
		if (found < 0)
			pr_warn("cannot scan guest RAM for poisoned pages: %s", strerror(-found));
		scan_timer_update(r);
	}
	ghes_reset(r->ghes);
	stat_add(r, &r->st.records_dropped, posts_clear(r));
	for (c = 0; c < r->d.ncpus; c++) {
		r->v[c].retry_gpa = 0;
		r->v[c].lat_open = 0;
		r->v[c].slot.pending = 0;
	}
	free(poison_take_all(r->untold, &n));
	pages = poison_take_all(r->poison, &n);
	for (i = 0; i < n; i++) {
		uint64_t block = ALIGN_DOWN(pages[i] - r->d.mem->ram_base, psz);
		bool fallback;
		int err;

		/* The pages are sorted: one replacement per backing page. */
		if (blocks && block == last_block) {
			stat_add(r, &r->st.pages_replaced, 1);
			continue;
		}
		err = mem_replace(r->d.mem, pages[i], SZ_4K, &fallback);
		if (err) {
			pr_err("cannot replace poisoned guest page 0x%" PRIx64 ": %s", pages[i],
			       strerror(-err));
			ret = err;
			continue;
		}
		if (fallback)
			pr_warn("no free 2 MiB page in the host's hugetlb pool (%s): guest RAM at 0x%" PRIx64
				" is now 4 KiB pages", MEM_NR_HUGEPAGES, r->d.mem->ram_base + block);
		last_block = block;
		blocks++;
		stat_add(r, &r->st.pages_replaced, 1);
	}
	if (n && psz > SZ_4K)
		pr_info("replaced %zu poisoned guest page%s with fresh memory (%zu huge page%s)", n,
			n == 1 ? "" : "s", blocks, blocks == 1 ? "" : "s");
	else if (n)
		pr_info("replaced %zu poisoned guest page%s with fresh memory", n, n == 1 ? "" : "s");
	free(pages);
	return ret;
}

/* Prepare scans of guest RAM's pagemap; without one, signals only. */
static void scan_open(struct ras *r, const char *path)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct pagemap_scan_cfg cfg = {
		.path = path,
		.start = (uint64_t)(uintptr_t)r->d.mem->ram,
		.page_size = ps > 0 ? (uint64_t)ps : SZ_4K,
		.chunk_entries = SCAN_CHUNK_ENTRIES,
		.debounce_ns = SCAN_DEBOUNCE_NS,
		.interval_ns = SCAN_INTERVAL_NS,
	};

	/* Linux's pagemap shows a poisoned hugetlb page as an empty entry
	 * (no swap entry, so no hwpoison type): a scan could never find one,
	 * and the I/O path's probe reads the page instead. */
	if (r->d.mem->backend == MEM_BACKEND_HUGETLB) {
		pr_info("hugetlb guest RAM: no pagemap scans (poisoned huge pages show no hwpoison entry); errors are found through signals");
		return;
	}
	cfg.len = ALIGN_DOWN(r->d.mem->ram_size, cfg.page_size);
	r->scan = pagemap_scan_create(&cfg);
	if (!r->scan) {
		pr_warn("cannot read %s (%m): poisoned guest pages are found only through signals",
			path ? path : "/proc/self/pagemap");
		return;
	}
	scan_timer_update(r);
}

struct ras *ras_create(const struct ras_deps *d)
{
	const struct ghes_layout *lay = d->layout;
	struct ras *r;
	int ret;

	if (!d->mem || !lay || !d->watch_fd || !d->run_on_vcpu || !d->get_reg ||
	    !d->set_reg || !d->ncpus || d->ncpus != lay->ncpus) {
		pr_err("cannot set up RAS state: incomplete dependencies");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->sea_lock, NULL);
	pthread_mutex_init(&r->scan_lock, NULL);
	pthread_mutex_init(&r->timer_lock, NULL);
	pthread_mutex_init(&r->post_lock, NULL);
	r->posts_tail = &r->posts;
	r->d = *d;
	r->d.pagemap_path = NULL; /* only used here */
	r->layout = *lay;
	r->d.layout = &r->layout;
	r->wake_fd = r->timer_fd = r->scan_fd = -1;
	r->async_source = ghes_source_async(&r->layout);
	r->v = calloc(d->ncpus, sizeof(*r->v));
	r->poison = poison_create();
	r->untold = poison_create();
	r->ghes = ghes_create(&d->mem->gm, lay, CONFIG_RAS_MAX_QUEUE);
	if (!r->v || !r->poison || !r->untold || !r->ghes) {
		pr_err("cannot set up RAS state: out of memory");
		goto err;
	}
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	r->scan_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (r->wake_fd < 0 || r->timer_fd < 0 || r->scan_fd < 0) {
		pr_err("cannot create RAS event fds: %m");
		goto err;
	}
	ret = d->watch_fd(d->opaque, r->wake_fd, ras_wake_cb, r);
	if (!ret)
		ret = d->watch_fd(d->opaque, r->timer_fd, ras_timer_cb, r);
	if (!ret)
		ret = d->watch_fd(d->opaque, r->scan_fd, ras_scan_cb, r);
	if (!ret)
		ret = sigbus_install(r->wake_fd);
	if (ret) {
		pr_err("cannot install the memory-error handler: %s", strerror(-ret));
		goto err;
	}
	scan_open(r, d->pagemap_path);
	return r;
err:
	ras_destroy(r);
	return NULL;
}

void ras_destroy(struct ras *r)
{
	if (!r)
		return;
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	if (r->timer_fd >= 0)
		close(r->timer_fd);
	if (r->scan_fd >= 0)
		close(r->scan_fd);
	pagemap_scan_destroy(r->scan);
	ghes_destroy(r->ghes);
	poison_destroy(r->poison);
	poison_destroy(r->untold);
	free(r->v);
	posts_clear(r);
	pthread_mutex_destroy(&r->post_lock);
	pthread_mutex_destroy(&r->timer_lock);
	pthread_mutex_destroy(&r->sea_lock);
	pthread_mutex_destroy(&r->scan_lock);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
