/* The KVM_RUN exit dispatch (bhyve-style table indexed by exit reason),
 * pure: it sees one struct kvm_run and reaches the VM only through struct
 * vcpu_exit_deps, so unit tests drive it without KVM. vcpu.c owns the
 * thread and the ioctls and acts on the returned action. */
#ifndef MVR_VCPU_EXIT_H
#define MVR_VCPU_EXIT_H

#include <stdbool.h>
#include <linux/kvm.h>

struct bus;

/* What the vCPU loop does after an exit. The STOP_* actions end this vCPU's
 * loop and ask the VM to stop for the reason named. */
enum vcpu_exit_action {
	VCPU_EXIT_CONTINUE,
	VCPU_EXIT_STOP_SHUTDOWN,  /* PSCI SYSTEM_OFF */
	VCPU_EXIT_STOP_RESET,     /* PSCI SYSTEM_RESET */
	VCPU_EXIT_STOP_ERROR,     /* guest crash or a failure (logged) */
};

/* What an exit handler may use besides the kvm_run structure. */
struct vcpu_exit_deps {
	unsigned index;              /* vCPU number, for messages */
	struct bus *bus;             /* MMIO exits go here */
	bool can_inject_ext_dabt;    /* KVM_CAP_ARM_INJECT_EXT_DABT */
	/* Make an external data abort pending on this vCPU (only called when
	 * can_inject_ext_dabt). Returns 0 or -errno. */
	int (*inject_ext_dabt)(void *opaque);
	void *opaque;
};

/* Handle the exit described by 'run' (exit_reason and its union member):
 * MMIO goes to the bus (read data is stored back into run->mmio.data),
 * system events and failures map to a stop action, an MMIO access without
 * a valid syndrome (NISV) gets an external data abort when the deps allow
 * it. Unknown exit reasons stop with an error. Messages are logged here. */
enum vcpu_exit_action vcpu_exit_dispatch(const struct vcpu_exit_deps *d, struct kvm_run *run);

#endif
