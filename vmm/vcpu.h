/* vCPU threads: KVM_CREATE_VCPU, the KVM_RUN loop (exits go to the pure
 * dispatch in vcpu_exit.c), before/after-run hooks other modules register
 * (Solo5 hvt style, so this file knows none of them) and event injection. */
#ifndef MVR_VCPU_H
#define MVR_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "sig_thread.h"

struct vm;
struct vcpu;

/* Hooks around KVM_RUN, called on the vCPU's thread. before_run runs before
 * every KVM_RUN; after_run right after it returns (also on -EINTR), before
 * queued vcpu_run_on() requests and the exit dispatch. after_run returns 0,
 * or a negative errno to stop the VM with an error (it logged why). Either
 * may be NULL. */
struct vcpu_hooks {
	void (*before_run)(void *opaque, struct vcpu *v);
	int (*after_run)(void *opaque, struct vcpu *v);
	void *opaque;
};

#define VCPU_MAX_HOOKS 4
/* KVM_RUN EFAULTs retried in a row (1 ms apart) before the VM stops. */
#define VCPU_EFAULT_RETRIES 100

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	struct sig_thread thread;      /* kicks never race its start or join */
	uint64_t exits;
	uint64_t mmio_exits;
	volatile int in_run;          /* inside KVM_RUN (for the SIGBUS handler) */
	int io_pending;               /* an MMIO exit KVM completes on the next KVM_RUN */
	unsigned int efault_streak;   /* KVM_RUN EFAULTs in a row (retried) */

	/* One synchronous request at a time, run on the vCPU thread between
	 * two KVM_RUNs (vCPU ioctls from other threads would block on KVM's
	 * vCPU mutex while the guest runs). */
	pthread_mutex_t req_lock;
	pthread_cond_t req_done_cv;
	int (*req_fn)(struct vcpu *v, void *arg);
	void *req_arg;
	int req_ret;
	int req_done;
	int accepting;                /* thread running and serving requests */

	struct vcpu_hooks hooks[VCPU_MAX_HOOKS];
	unsigned nhooks;
};

/* Run fn(v, arg) on v's thread and return its result; from any thread but
 * v's own. Returns -ESRCH when the vCPU is not running (fn then runs here,
 * safely, since nobody is in KVM_RUN). */
int vcpu_run_on(struct vcpu *v, int (*fn)(struct vcpu *v, void *arg), void *arg);

/* Register hooks for v (copied), after vcpu_create() and before
 * vcpu_start(); they run in registration order. Returns 0 or -ENOSPC. */
int vcpu_add_hooks(struct vcpu *v, const struct vcpu_hooks *h);

/* Make an SError pending on v (KVM_SET_VCPU_EVENTS, run on v's thread via
 * vcpu_run_on). With has_esr, 'iss' is the syndrome (ESR ISS bits [24:0])
 * the guest sees; that needs KVM_CAP_ARM_INJECT_SERROR_ESR. Returns 0,
 * -ENOTSUP when has_esr is set but KVM lacks that capability (nothing is
 * injected), or the ioctl's -errno. */
int vcpu_inject_serror(struct vcpu *v, bool has_esr, uint32_t iss);

/* Create vCPU 'index' of 'vm' (fd and kvm_run mapping). Returns 0 or -errno. */
int vcpu_create(struct vm *vm, struct vcpu *v, unsigned index);
void vcpu_destroy(struct vcpu *v);

/* Architectural reset (KVM_ARM_VCPU_INIT): vCPU 0 runnable, others off. */
int vcpu_reset(struct vcpu *v);

/* Start / join the thread running KVM_RUN until vm_request_stop(). */
int vcpu_start(struct vcpu *v);
void vcpu_join(struct vcpu *v);

/* Make the vCPU leave KVM_RUN soon (immediate_exit + SIGUSR1). */
void vcpu_kick(struct vcpu *v);

/* Signal used for kicks; installed once by vcpu_signals_init(). */
#define VCPU_KICK_SIGNAL SIGUSR1
int vcpu_signals_init(void);

#endif
