/* Guest memory-error recovery glue (DESIGN.md sections 6-8): SIGBUS records
 * -> poisoned-page set -> CPER into the right GHES source -> notification
 * (SEA on the faulting vCPU, or the GED interrupt for asynchronous errors).
 * Created by vm.c when --ras is given; all entry points are thread-safe. */
#ifndef MVR_RAS_H
#define MVR_RAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

struct vm;
struct vcpu;
struct ras;

enum ras_kind {
	RAS_KIND_AR,  /* action required: synchronous, SEA on a vCPU */
	RAS_KIND_AO,  /* action optional: asynchronous source + GED interrupt */
};

enum ras_inject_mode {
	RAS_INJECT_HWPOISON, /* madvise(MADV_HWPOISON) the backing page: real error */
	RAS_INJECT_CPER,     /* record + notification only, memory stays good */
};

struct ras_stats {
	uint64_t errors_ar;        /* BUS_MCEERR_AR seen on vCPUs */
	uint64_t errors_ao;        /* BUS_MCEERR_AO seen */
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
	/* SIGBUS delivery to the vCPU's next guest entry, microseconds. */
	uint64_t lat_samples, lat_min_us, lat_median_us, lat_max_us;
};

#ifdef CONFIG_RAS

/* Create for 'vm' (needs vm->mem, vm->acpi with ghes layout, vm->gic, the
 * loop). Installs the SIGBUS handler. Returns NULL after logging. */
struct ras *ras_create(struct vm *vm);
void ras_destroy(struct ras *r);

/* vCPU thread, after KVM_RUN returned: handle a recorded SIGBUS (AR). Also
 * runs queued requests for this vCPU. Returns 0, or -errno when the VM must
 * stop (the error was logged). */
int ras_vcpu_after_run(struct ras *r, struct vcpu *v);

/* vCPU thread, before KVM_RUN: arm the SIGBUS slot, and record the end of
 * the SIGBUS-to-resume interval if one is open. */
void ras_vcpu_before_run(struct ras *r, struct vcpu *v);

/* Inject an error at guest physical address 'gpa' (page granular) on vCPU
 * 'vcpu' (AR) or the asynchronous source (AO). Returns 0, -EINVAL (gpa not
 * in RAM, vcpu out of range), -EPERM (MADV_HWPOISON refused) or -errno. */
int ras_inject(struct ras *r, uint64_t gpa, enum ras_inject_mode mode,
	       enum ras_kind kind, unsigned vcpu);

void ras_get_stats(struct ras *r, struct ras_stats *st);
/* Copy up to 'max' poisoned GPAs (sorted); returns how many there are. */
size_t ras_get_poisoned(struct ras *r, uint64_t *out, size_t max);

/* The firmware told us where etc/hardware_errors is (WRITE_POINTER). */
void ras_set_base(struct ras *r, uint64_t gpa);

/* Guest reset: forget delivered records and replace poisoned pages with
 * fresh memory before the guest runs again. Returns 0 or -errno. */
int ras_reset(struct ras *r);

#else /* !CONFIG_RAS: --ras is refused at start-up; these are never reached */

static inline struct ras *ras_create(struct vm *vm) { return NULL; }
static inline void ras_destroy(struct ras *r) { }
static inline int ras_vcpu_after_run(struct ras *r, struct vcpu *v) { return 0; }
static inline void ras_vcpu_before_run(struct ras *r, struct vcpu *v) { }
static inline int ras_inject(struct ras *r, uint64_t gpa, enum ras_inject_mode mode,
			     enum ras_kind kind, unsigned vcpu) { return -ENOTSUP; }
static inline void ras_get_stats(struct ras *r, struct ras_stats *st)
{
	memset(st, 0, sizeof(*st));
}
static inline size_t ras_get_poisoned(struct ras *r, uint64_t *out, size_t max) { return 0; }
static inline void ras_set_base(struct ras *r, uint64_t gpa) { }
static inline int ras_reset(struct ras *r) { return 0; }

#endif /* CONFIG_RAS */

#endif
