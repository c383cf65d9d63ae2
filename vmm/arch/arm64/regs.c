/* KVM ONE_REG access for arm64 (Documentation/virt/kvm/api.rst, "KVM_SET_ONE_REG"
 * arm64 section): core registers by offset in struct kvm_regs, system
 * registers by their op0/op1/CRn/CRm/op2 encoding. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "arch/arm64/regs.h"

uint64_t arm64_reg_core(unsigned offset_bytes)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offset_bytes / 4);
}

#define CORE(field) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
		     (offsetof(struct kvm_regs, field) / sizeof(__u32)))
#define SYS(op0, op1, crn, crm, op2) ARM64_SYS_REG(op0, op1, crn, crm, op2)

const uint64_t ARM64_REG_PC = CORE(regs.pc);
const uint64_t ARM64_REG_PSTATE = CORE(regs.pstate);
const uint64_t ARM64_REG_X0 = CORE(regs.regs[0]);
const uint64_t ARM64_REG_SP_EL1 = CORE(sp_el1);
const uint64_t ARM64_REG_ELR_EL1 = CORE(elr_el1);
const uint64_t ARM64_REG_SPSR_EL1 = CORE(spsr[KVM_SPSR_EL1]);
const uint64_t ARM64_REG_ESR_EL1 = SYS(3, 0, 5, 2, 0);
const uint64_t ARM64_REG_FAR_EL1 = SYS(3, 0, 6, 0, 0);
const uint64_t ARM64_REG_VBAR_EL1 = SYS(3, 0, 12, 0, 0);
const uint64_t ARM64_REG_SCTLR_EL1 = SYS(3, 0, 1, 0, 0);
const uint64_t ARM64_REG_MPIDR_EL1 = SYS(3, 0, 0, 0, 5);

int arm64_get_reg(int vcpu_fd, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

int arm64_set_reg(int vcpu_fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(vcpu_fd, KVM_SET_ONE_REG, &r) < 0 ? -errno : 0;
}

int arm64_preferred_target(int vm_fd, void *out)
{
	return ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, out) < 0 ? -errno : 0;
}

int arm64_vcpu_init(int vcpu_fd, const void *target_init, int boot_cpu)
{
	struct kvm_vcpu_init init;

	memcpy(&init, target_init, sizeof(init));
	memset(init.features, 0, sizeof(init.features));
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (!boot_cpu)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	return ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init) < 0 ? -errno : 0;
}
