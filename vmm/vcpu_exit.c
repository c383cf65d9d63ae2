/* vCPU exit dispatch: one handler per KVM exit reason in a table filled with
 * designated initialisers, after bhyve's vmexit table. Pure (no ioctl):
 * see vcpu_exit.h for the contract; vcpu.c runs the loop around it. */
#include <string.h>

#include "bus.h"
#include "log.h"
#include "util.h"
#include "vcpu_exit.h"

typedef enum vcpu_exit_action (*exit_handler_t)(const struct vcpu_exit_deps *d,
						struct kvm_run *run);

static enum vcpu_exit_action exit_mmio(const struct vcpu_exit_deps *d, struct kvm_run *run)
{
	bus_access(d->bus, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
		   run->mmio.is_write);
	return VCPU_EXIT_CONTINUE;
}

static enum vcpu_exit_action exit_system_event(const struct vcpu_exit_deps *d,
					       struct kvm_run *run)
{
	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		return VCPU_EXIT_STOP_SHUTDOWN;
	case KVM_SYSTEM_EVENT_RESET:
		return VCPU_EXIT_STOP_RESET;
	default:
		pr_err("vCPU %u: guest system event %u (crash)", d->index,
		       run->system_event.type);
		return VCPU_EXIT_STOP_ERROR;
	}
}

/* An MMIO access KVM could not decode (load/store pair, writeback...): the
 * guest gets an external data abort when KVM can inject one, as a real bus
 * would answer an unsupported access. */
static enum vcpu_exit_action exit_arm_nisv(const struct vcpu_exit_deps *d, struct kvm_run *run)
{
	int ret;

	pr_warn_rl("vCPU %u: MMIO access at 0x%llx with an instruction that has no valid "
		   "syndrome (e.g. LDP/STP or writeback); cannot emulate it",
		   d->index, (unsigned long long)run->arm_nisv.fault_ipa);
	if (!d->can_inject_ext_dabt)
		return VCPU_EXIT_STOP_ERROR;
	ret = d->inject_ext_dabt(d->opaque);
	if (ret) {
		pr_err("vCPU %u: cannot inject external abort: %s", d->index, strerror(-ret));
		return VCPU_EXIT_STOP_ERROR;
	}
	return VCPU_EXIT_CONTINUE;
}

static enum vcpu_exit_action exit_fail_entry(const struct vcpu_exit_deps *d,
					     struct kvm_run *run)
{
	pr_err("vCPU %u: KVM could not enter the guest (reason 0x%llx)", d->index,
	       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	return VCPU_EXIT_STOP_ERROR;
}

static enum vcpu_exit_action exit_internal_error(const struct vcpu_exit_deps *d,
						 struct kvm_run *run)
{
	pr_err("vCPU %u: KVM internal error (suberror %u)", d->index, run->internal.suberror);
	return VCPU_EXIT_STOP_ERROR;
}

static enum vcpu_exit_action exit_intr(const struct vcpu_exit_deps *d, struct kvm_run *run)
{
	return VCPU_EXIT_CONTINUE;
}

static const exit_handler_t exit_table[] = {
	[KVM_EXIT_MMIO] = exit_mmio,
	[KVM_EXIT_SYSTEM_EVENT] = exit_system_event,
	[KVM_EXIT_ARM_NISV] = exit_arm_nisv,
	[KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
	[KVM_EXIT_INTERNAL_ERROR] = exit_internal_error,
	[KVM_EXIT_INTR] = exit_intr,
};

enum vcpu_exit_action vcpu_exit_dispatch(const struct vcpu_exit_deps *d, struct kvm_run *run)
{
	uint32_t reason = run->exit_reason;

	if (reason >= ARRAY_SIZE(exit_table) || !exit_table[reason]) {
		pr_err("vCPU %u: unhandled KVM exit reason %u", d->index, reason);
		return VCPU_EXIT_STOP_ERROR;
	}
	return exit_table[reason](d, run);
}
