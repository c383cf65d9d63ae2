/* arm64 vCPU registers through KVM_{GET,SET}_ONE_REG, and vCPU init with
 * the features we rely on (PSCI 0.2, secondary CPUs powered off). */
#ifndef MVR_ARM64_REGS_H
#define MVR_ARM64_REGS_H

#include <stdint.h>

/* Register ids (linux/kvm.h encoding) of the registers we touch. */
uint64_t arm64_reg_core(unsigned offset_bytes);
extern const uint64_t ARM64_REG_PC, ARM64_REG_PSTATE, ARM64_REG_X0,
	ARM64_REG_SP_EL1, ARM64_REG_ELR_EL1, ARM64_REG_SPSR_EL1,
	ARM64_REG_ESR_EL1, ARM64_REG_FAR_EL1, ARM64_REG_VBAR_EL1,
	ARM64_REG_SCTLR_EL1, ARM64_REG_MPIDR_EL1;

int arm64_get_reg(int vcpu_fd, uint64_t id, uint64_t *val);
int arm64_set_reg(int vcpu_fd, uint64_t id, uint64_t val);

/* KVM_ARM_PREFERRED_TARGET once per VM; the result feeds arm64_vcpu_init. */
int arm64_preferred_target(int vm_fd, void *kvm_vcpu_init_out);

/* (Re)initialise a vCPU: PSCI 0.2, powered off unless 'boot_cpu'. Also the
 * architectural reset used on guest reboot. Returns 0 or -errno. */
int arm64_vcpu_init(int vcpu_fd, const void *target_init, int boot_cpu);

#endif
