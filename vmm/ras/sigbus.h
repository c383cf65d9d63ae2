/* The SIGBUS handler (DESIGN.md section 8). Async-signal-safe: it only
 * records {si_code, si_addr, si_addr_lsb, time} and returns. An AR on a vCPU
 * thread inside KVM_RUN goes to that thread's slot; AO errors from any thread
 * go to a lock-free ring and wake the event loop through an eventfd. Anything
 * else (not a memory error, or an AR outside KVM_RUN and outside a guarded
 * copy) is fatal: one message, exit status 1. */
#ifndef MVR_RAS_SIGBUS_H
#define MVR_RAS_SIGBUS_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

/* An error names one address (si_addr: for KVM's AR, the page the guest
 * touched) and says how much memory around it is lost (si_addr_lsb: the
 * host page size, 21 for a 2 MiB huge page). */
struct sigbus_event {
	int code;            /* BUS_MCEERR_AR or BUS_MCEERR_AO */
	uint64_t addr;       /* host virtual address named, 4 KiB aligned */
	int lsb;             /* lost: the 1 << lsb bytes aligned block holding addr */
	struct timespec when; /* CLOCK_MONOTONIC at delivery */
};

/* The lost block of 'ev': [*start, *start + *len). */
static inline void sigbus_event_span(const struct sigbus_event *ev, uint64_t *start,
				     uint64_t *len)
{
	*len = 1ULL << ev->lsb;
	*start = ev->addr & ~(*len - 1);
}

struct sigbus_slot {
	volatile sig_atomic_t pending;
	struct sigbus_event ev;
};

/* Install the handler once per process; AO events wake 'wake_fd' (an
 * eventfd). Returns 0 or -errno. */
int sigbus_install(int wake_fd);

/* Calling thread is a vCPU: ARs it takes while *in_run is set go to slot. */
void sigbus_register_vcpu_thread(struct sigbus_slot *slot, volatile int *in_run);

/* Main thread: take the next queued AO event. Returns 1, or 0 when empty. */
int sigbus_ring_pop(struct sigbus_event *ev);

/* Events lost because the ring was full (then the next pop reports the
 * ring as overrun so callers can scan for poisoned pages). */
uint64_t sigbus_ring_overruns(void);

#endif
