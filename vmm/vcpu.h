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
};

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
