/* vCPU threads: KVM_CREATE_VCPU, the KVM_RUN loop and its exit table. */
#ifndef MVR_VCPU_H
#define MVR_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <linux/kvm.h>

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int started;
	uint64_t exits;
	uint64_t mmio_exits;
	volatile int in_run;          /* inside KVM_RUN (for the SIGBUS handler) */

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
};

/* Run fn(v, arg) on v's thread and return its result; from any thread but
 * v's own. Returns -ESRCH when the vCPU is not running (fn then runs here,
 * safely, since nobody is in KVM_RUN). */
int vcpu_run_on(struct vcpu *v, int (*fn)(struct vcpu *v, void *arg), void *arg);

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
