/* Guest memory-error recovery glue (DESIGN.md sections 6-8): SIGBUS records
 * -> poisoned-page set -> CPER into the right GHES source -> notification
 * (SEA on the faulting vCPU, or the GED interrupt for asynchronous errors).
 * Created when --ras is given from a struct ras_deps (what it needs and
 * nothing more, so tests can fake it); all entry points are thread-safe. */
#ifndef MVR_RAS_H
#define MVR_RAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include "irq.h"
#include "loop.h"

struct mem;
struct ghes_layout;
struct ras;

/* The vCPU registers SEA injection reads or writes (the VM maps them to
 * KVM_{GET,SET}_ONE_REG ids; tests to a fake register file). */
enum ras_reg {
	RAS_REG_PC,
	RAS_REG_PSTATE,
	RAS_REG_VBAR_EL1,
	RAS_REG_SCTLR_EL1,
	RAS_REG_ESR_EL1,
	RAS_REG_FAR_EL1,
	RAS_REG_ELR_EL1,
	RAS_REG_SPSR_EL1,
	RAS_REG_ID_AA64MMFR1_EL1, /* read once per vCPU: PAN */
	RAS_REG_ID_AA64PFR1_EL1,  /* read once per vCPU: SSBS, MTE, NMI */
	RAS_REG_COUNT,
};

enum ras_kind {
	RAS_KIND_AR,  /* action required: synchronous, SEA on a vCPU */
	RAS_KIND_AO,  /* action optional: asynchronous source + GED interrupt */
};

/* What became of one memory error (or of one record), for the VMM's
 * event stream (QMP MEMORY_FAILURE, RAS_QUEUE_FULL). Strings are static. */
struct ras_event {
	bool queue_full;       /* a record was dropped: the source's queue is full */
	bool guest;            /* the address is guest RAM (gpa valid) */
	bool fatal;            /* the VM cannot go on */
	bool told;             /* the guest was (or will be) told: record
				* written or queued */
	enum ras_kind kind;
	uint64_t gpa;          /* the page, when 'guest' */
	const char *found;     /* "sigbus", "scan", "io", "inject" */
	const char *delivery;  /* "sea", "interrupt", "queued", "dropped", "none" */
	int vcpu;              /* AR: the vCPU; -1 otherwise */
	unsigned source;       /* GHES error source */
	unsigned queued;       /* queue_full: records waiting, all sources */
};

/* Everything ras_create() needs; copied, the pointers must outlive the
 * struct ras. The callbacks get 'opaque'. */
struct ras_deps {
	unsigned ncpus;
	/* Guest RAM: hva<->gpa, guarded copies (its guest_mem feeds the GHES
	 * writer) and page replacement on reset. */
	struct mem *mem;
	/* Error sources and their notification types (acpi/hest.h). */
	const struct ghes_layout *layout;
	/* The interrupt pulsed (1 then 0) for GPIO-signal sources. */
	struct irq_line notify_irq;
	/* The interrupt pulsed for the GSIV source (its HEST Vector). */
	struct irq_line gsiv_irq;
	/* Event loop: call cb(cb_opaque, fd) on the main thread whenever fd
	 * is readable. Returns 0 or -errno. */
	int (*watch_fd)(void *opaque, int fd, loop_cb_t cb, void *cb_opaque);
	/* Run fn(arg) on vCPU 'vcpu's thread and return its result (as
	 * vcpu_run_on(): from any thread but that vCPU's own). */
	int (*run_on_vcpu)(void *opaque, unsigned vcpu, int (*fn)(void *arg), void *arg);
	/* Read / write one register of vCPU 'vcpu', on that vCPU's thread.
	 * Return 0 or -errno. */
	int (*get_reg)(void *opaque, unsigned vcpu, enum ras_reg reg, uint64_t *val);
	int (*set_reg)(void *opaque, unsigned vcpu, enum ras_reg reg, uint64_t val);
	void *opaque;
	/* Optional: told what became of each error (any thread, must not
	 * block: it posts to the control socket's event ring). */
	void (*event)(void *opaque, const struct ras_event *ev);
	/* Where poisoned pages of guest RAM show (read with pread at offset
	 * hva / page size * 8); NULL: /proc/self/pagemap. Tests: a fake. */
	const char *pagemap_path;
};

/* Error sources by role (ras/ghes_layout.h), for ras_source_id(). */
enum ras_source_kind {
	RAS_SOURCE_SEA,     /* vCPU n's SEA source: record + SEA on vCPU n */
	RAS_SOURCE_ASYNC,   /* GPIO-signal: record + GED interrupt */
	RAS_SOURCE_POLLED,  /* polled: record only, the guest polls */
	RAS_SOURCE_GSIV,    /* GSIV: record + the GSIV interrupt */
};

enum ras_inject_mode {
	RAS_INJECT_HWPOISON, /* madvise(MADV_HWPOISON) the backing page: real error */
	RAS_INJECT_CPER,     /* record + notification only, memory stays good */
};

struct ras_stats {
	uint64_t errors_ar;        /* BUS_MCEERR_AR seen on vCPUs */
	uint64_t errors_ao;        /* errors_ao_signal + _scan + _io */
	uint64_t errors_ao_signal; /* BUS_MCEERR_AO signals for guest RAM */
	uint64_t errors_ao_scan;   /* poisoned pages found by a pagemap scan */
	uint64_t errors_injected;  /* through the control socket */
	uint64_t errors_ignored;   /* AO outside guest RAM */
	uint64_t records_written;  /* CPER records the guest could read */
	uint64_t records_queued;   /* waiting for a read-ack right now */
	uint64_t records_max_queue; /* deepest any source's queue has been */
	uint64_t records_retried;  /* AR re-reported because the source was busy */
	uint64_t records_dropped;  /* should stay 0 */
	uint64_t sea_injected;
	uint64_t irqs_raised;      /* GED pulses for the asynchronous source */
	uint64_t poisoned_pages;
	uint64_t pages_replaced;   /* fresh pages mapped at reset */
	/* Scans of guest RAM's pagemap for poisoned pages (complete ones),
	 * the last one's cost (time spent reading) and elapsed time (it is
	 * spread over event-loop iterations), and the kernel's hwpoison swap
	 * type they look for (0: not learned yet, no scan can find anything). */
	uint64_t scans, scan_last_us, scan_last_elapsed_us;
	uint64_t hwpoison_swap_type;
	/* SIGBUS delivery to the vCPU's next guest entry, microseconds. */
	uint64_t lat_samples, lat_min_us, lat_median_us, lat_max_us;
	/* Poisoned pages the guest learnt of because a device's I/O on them
	 * failed (ras_report_io_error()), not through a signal or a scan. */
	uint64_t errors_ao_io;
	/* Records accepted by ras_post_record() (any CPER, any source). */
	uint64_t records_posted;
};

/* Most pages ras_report_io_error() looks at per call (16 MiB of 4 KiB
 * pages); pages beyond are left to the signals and scans. */
#define RAS_IO_PROBE_MAX_PAGES 4096u

#ifdef CONFIG_RAS

/* True when this build has memory-error recovery (CONFIG_RAS). */
#define RAS_ENABLED true

/* Create from 'd' (copied; the layout is copied too). Watches three fds
 * of its own through d->watch_fd (SIGBUS eventfd, read-ack poll timer,
 * pagemap scan timer) and installs the SIGBUS handler. Returns NULL after
 * logging; a pagemap that cannot be opened only disables the scans. */
struct ras *ras_create(const struct ras_deps *d);
void ras_destroy(struct ras *r);

/* Thread of vCPU 'vcpu', after KVM_RUN returned: handle a recorded SIGBUS
 * (AR): write the record and inject the SEA, or wait briefly and return so
 * that the access faults again while the source is busy. Returns 0, or
 * -errno when the VM must stop (the error was logged). */
int ras_vcpu_after_run(struct ras *r, unsigned vcpu);

/* Thread of vCPU 'vcpu', before KVM_RUN: arm the SIGBUS slot (ARs taken
 * while *in_run is set are recorded for this vCPU), and record the end of
 * the SIGBUS-to-resume interval if one is open. */
void ras_vcpu_before_run(struct ras *r, unsigned vcpu, volatile int *in_run);

/* Inject an error at guest physical address 'gpa' (page granular) on vCPU
 * 'vcpu' (AR) or the asynchronous source (AO). Returns 0, -EINVAL (gpa not
 * in RAM, vcpu out of range), -EPERM (MADV_HWPOISON refused) or -errno. */
int ras_inject(struct ras *r, uint64_t gpa, enum ras_inject_mode mode,
	       enum ras_kind kind, unsigned vcpu);

/* A memory error record only (memory stays good) at guest physical address
 * 'gpa', of CPER severity 'severity' (ras/cper.h CPER_SEV_*: corrected
 * records say "correctable error valid" in their Block Status), on the
 * asynchronous source: written now and the guest interrupted, or queued
 * behind the read-ack. For EINJ's correctable and fatal memory types.
 * Returns 0, -EINVAL (gpa not in RAM, bad severity), -ENOTSUP (no way to
 * deliver) or -errno. Any thread. */
/* EINJ processor error (0x1 corrected, 0x2 uncorrectable non-fatal): an
 * ARM processor error record for vCPU 'vcpu' on the asynchronous source.
 * 0, or -EINVAL (no such vCPU) / as ras_post_record(). */
int ras_post_proc_record(struct ras *r, unsigned vcpu, bool corrected);
int ras_post_mem_record(struct ras *r, uint64_t gpa, uint32_t severity);

/* Event loop thread (a device's I/O completion): an I/O on the guest
 * buffer [gpa, gpa + len) failed in a way a poisoned page explains
 * (EFAULT, EIO, EHWPOISON, a short transfer, a failed guarded copy). The
 * failure alone proves nothing; each 4 KiB page of the range (at most
 * RAS_IO_PROBE_MAX_PAGES) is checked: a page already in the poisoned set
 * that the guest was told about counts without a look; otherwise its
 * pagemap entry decides (present: not poisoned; the learned hwpoison swap
 * type: poisoned) and, when it cannot, a guarded one-byte read of the page
 * does (a SIGBUS: poisoned). A proven page the guest was not told about
 * (new, or injected as AR and not touched yet) goes the AO way: poisoned
 * set, record on the asynchronous source, GED pulse, errors_ao_io.
 * Returns how many pages of the range are poisoned (reported now or
 * before), or -EINVAL (len 0, or not wholly guest RAM). */
int ras_report_io_error(struct ras *r, uint64_t gpa, uint64_t len);

/* The source id of the source of role 'kind' ('vcpu' for RAS_SOURCE_SEA),
 * or -EINVAL (vcpu out of range, unknown kind). */
int ras_source_id(struct ras *r, enum ras_source_kind kind, unsigned vcpu);

/*
 * Post any complete record (a Generic Error Status Block with its data
 * entries, as cper_build_*() make or a caller was given: its severity is
 * its own) on error source 'source', notified the way that source's HEST
 * entry says. Records queue behind the guest's read-ack, nothing is lost
 * short of a full queue:
 *   GPIO / GSIV / polled: written now when the guest acked the previous
 *     record (and the interrupt pulsed, for GPIO and GSIV), else queued and
 *     written (and notified) by the read-ack poll when it does;
 *   SEA (source n = vCPU n): always queued; the main thread writes it and
 *     injects an SEA on vCPU n once every SEA source is free (one SEA
 *     record in flight at a time, as for real errors). The SEA lands
 *     wherever the vCPU is: Linux claims an SEA taken at EL0 through the
 *     record, but dies on one taken in its own kernel (DESIGN.md section
 *     7), whatever the record's severity.
 * A fatal record makes a Linux guest panic, as on real hardware.
 * Any thread. Returns 0 written now, 1 queued, -EINVAL (bad source, or
 * rec is not a record the guest would accept: cper_check_record()),
 * -EMSGSIZE (longer than a status block), -ENOSPC (queue full, dropped),
 * -ENOMEM, -ENOTSUP, or -EFAULT/-EIO (the guest's error blocks unusable).
 */
int ras_post_record(struct ras *r, unsigned source, const uint8_t *rec, size_t len);

void ras_get_stats(struct ras *r, struct ras_stats *st);
/* Copy up to 'max' poisoned GPAs (sorted); returns how many there are. */
size_t ras_get_poisoned(struct ras *r, uint64_t *out, size_t max);

/* The firmware told us where etc/hardware_errors is (WRITE_POINTER). */
void ras_set_base(struct ras *r, uint64_t gpa);

/* Guest reset (main thread, no vCPU running): scan guest RAM for poisoned
 * pages no signal reported, forget delivered records and replace all
 * poisoned pages with fresh memory before the guest runs again. Returns 0
 * or -errno. */
int ras_reset(struct ras *r);

#else /* !CONFIG_RAS: --ras is refused at start-up; these are never reached */

#define RAS_ENABLED false

static inline struct ras *ras_create(const struct ras_deps *d) { return NULL; }
static inline void ras_destroy(struct ras *r) { }
static inline int ras_vcpu_after_run(struct ras *r, unsigned vcpu) { return 0; }
static inline void ras_vcpu_before_run(struct ras *r, unsigned vcpu, volatile int *in_run) { }
static inline int ras_inject(struct ras *r, uint64_t gpa, enum ras_inject_mode mode,
			     enum ras_kind kind, unsigned vcpu) { return -ENOTSUP; }
static inline int ras_post_proc_record(struct ras *r, unsigned vcpu, bool corrected)
{
	return -ENOTSUP;
}
static inline int ras_post_mem_record(struct ras *r, uint64_t gpa, uint32_t severity)
{
	return -ENOTSUP;
}
static inline int ras_report_io_error(struct ras *r, uint64_t gpa, uint64_t len)
{
	return 0;
}
static inline int ras_source_id(struct ras *r, enum ras_source_kind kind, unsigned vcpu)
{
	return -ENOTSUP;
}
static inline int ras_post_record(struct ras *r, unsigned source, const uint8_t *rec,
				  size_t len)
{
	return -ENOTSUP;
}
static inline void ras_get_stats(struct ras *r, struct ras_stats *st)
{
	memset(st, 0, sizeof(*st));
}
static inline size_t ras_get_poisoned(struct ras *r, uint64_t *out, size_t max) { return 0; }
static inline void ras_set_base(struct ras *r, uint64_t gpa) { }
static inline int ras_reset(struct ras *r) { return 0; }

#endif /* CONFIG_RAS */

#endif
