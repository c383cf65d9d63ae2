/* GHESv2 error-source runtime: writes CPER records into the guest's Generic
 * Error Status Blocks following the GHESv2 read-ack protocol (ACPI 6.3
 * section 18.3.2.8) and queues records per source while the guest has not
 * acknowledged the previous one. Pure: reaches the guest only through
 * struct guest_mem. Thread-safe (vCPU threads and the event loop call it).
 *
 * Where each source's slots and block are inside "etc/hardware_errors" is
 * ras/ghes_layout.h's, the same description the HEST builder uses.
 */
#ifndef MVR_RAS_GHES_H
#define MVR_RAS_GHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "ras/ghes_layout.h"

struct ghes;

struct ghes_stats {
	uint64_t written;      /* records written into guest blocks */
	uint64_t queued_total; /* records that had to wait in a queue */
	uint64_t coalesced;    /* records identical to one already queued */
	uint64_t dropped;      /* records lost: queue full, no memory, fault */
	uint64_t faults;       /* guest-memory errors reading/writing the blob */
	unsigned queued_now;   /* records waiting now, all sources */
	unsigned max_depth;    /* deepest any one queue has been */
};

/* Called by ghes_poll() for each source it wrote a record into. Runs with
 * the ghes lock held: it must not call any ghes_* function (it should only
 * kick whatever notifies the guest: SEA injection on that vCPU, GED pulse). */
typedef void (*ghes_notify_fn)(void *opaque, unsigned source);

/*
 * Create the runtime for the error sources of 'lay' (copied), with at most
 * max_queue waiting records per source. gm is copied. Until
 * ghes_set_base() is called every record is queued.
 * Returns NULL with errno EINVAL (no sources or more than GHES_MAX_SOURCES,
 * block_len < 20, max_queue 0, gm or lay NULL) or ENOMEM.
 */
struct ghes *ghes_create(const struct guest_mem *gm, const struct ghes_layout *lay,
			 unsigned max_queue);

/* Free g and every queued record. g may be NULL. */
void ghes_destroy(struct ghes *g);

/*
 * Tell g where the firmware placed "etc/hardware_errors" (from
 * "etc/hardware_errors_addr"). Does not write anything: queued records go
 * out on the next ghes_poll(). Returns 0, or -EINVAL if base is 0 or the
 * blob would wrap the address space.
 */
int ghes_set_base(struct ghes *g, uint64_t base_gpa);

/*
 * Guest reset: forget the base (the firmware allocates the blob again) and
 * discard every queued record (counted in 'dropped').
 */
void ghes_reset(struct ghes *g);

/*
 * Deliver record rec (len bytes, a whole Generic Error Status Block as made
 * by cper_build_mem_error()) on error source 'source'.
 * Returns
 *   0  a record was written into the guest now and the caller must notify
 *      the guest (SEA / interrupt). Records stay in FIFO order: when older
 *      records were waiting, the oldest is the one written and rec is
 *      queued behind the rest.
 *   1  nothing written: rec is queued (guest has not acked the previous
 *      record, or the base is not known yet); ghes_poll() delivers it.
 *  -EINVAL bad source or arguments, -EMSGSIZE len > block_len (rejected),
 *  -ENOSPC queue full (rec dropped and counted), -ENOMEM (dropped, counted),
 *  -EFAULT/-EIO guest memory of the blob unusable (counted, warned).
 */
int ghes_submit(struct ghes *g, unsigned source, const uint8_t *rec, size_t len);

/*
 * 1 when sources [first, first+count) have all been acked by the guest and
 * have nothing queued, 0 when one has not (or the base is unknown), -EINVAL
 * for a bad range, or -EFAULT/-EIO when a read_ack cannot be read.
 */
int ghes_idle(struct ghes *g, unsigned first, unsigned count);

/*
 * For synchronous sources (SEA): write rec now if the guest has acked the
 * previous record and nothing is queued, never queue it. Returns 0 written
 * (caller injects the SEA), -EBUSY not acked yet or base unknown (caller
 * retries: the faulting access repeats and reports the error again),
 * -EINVAL, -EMSGSIZE, or -EFAULT/-EIO for unusable guest memory.
 */
int ghes_try_write(struct ghes *g, unsigned source, const uint8_t *rec, size_t len);

/*
 * Retry every source with waiting records whose read_ack the guest has set
 * since: write the oldest waiting record of each such source (one per
 * source: the next needs another ack) and call notify(opaque, source) for
 * it (notify may be NULL). Returns how many records were written.
 */
int ghes_poll(struct ghes *g, ghes_notify_fn notify, void *opaque);

/* True while any source has records waiting. */
bool ghes_pending(struct ghes *g);

/* Records waiting on one source (0 for a bad source). */
unsigned ghes_queue_depth(struct ghes *g, unsigned source);

/* Copy the counters. */
void ghes_get_stats(struct ghes *g, struct ghes_stats *out);

#endif
