/* Exception-entry arithmetic for injecting a Synchronous External Abort into
 * a vCPU's EL1 (AArch64): ESR_EL1 syndrome, vector address and the new
 * PSTATE, following the Arm ARM (DDI 0487) D1.3 "Exception entry", the
 * AArch64.TakeException() pseudocode and D17 ESR_EL1 (EC 0x20/0x21/0x24/0x25).
 * Pure: the caller reads/writes the registers with KVM_{GET,SET}_ONE_REG. */
#ifndef MVR_ARM64_SEA_H
#define MVR_ARM64_SEA_H

#include <stdbool.h>
#include <stdint.h>

/* PSTATE as held in SPSR_ELx / KVM's regs.pstate (AArch64 format). */
#define PSR_MODE_MASK   0x1full  /* M[4:0] */
#define PSR_MODE32_BIT  (1ull << 4)   /* M[4] = nRW: 1 = AArch32 */
#define PSR_MODE_EL0t   0x0ull
#define PSR_MODE_EL1t   0x4ull
#define PSR_MODE_EL1h   0x5ull
#define PSR_MODE_EL2t   0x8ull
#define PSR_MODE_EL2h   0x9ull
#define PSR_MODE_EL3t   0xcull
#define PSR_MODE_EL3h   0xdull
#define PSR_AA32_MODE_USR 0x10ull     /* AArch32 User mode (EL0) */
#define PSR_F_BIT       (1ull << 6)
#define PSR_I_BIT       (1ull << 7)
#define PSR_A_BIT       (1ull << 8)
#define PSR_D_BIT       (1ull << 9)
#define PSR_DAIF_MASK   (PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)
#define PSR_BTYPE_MASK  (3ull << 10)  /* FEAT_BTI */
#define PSR_SSBS_BIT    (1ull << 12)  /* FEAT_SSBS */
#define PSR_ALLINT_BIT  (1ull << 13)  /* FEAT_NMI */
#define PSR_IL_BIT      (1ull << 20)
#define PSR_SS_BIT      (1ull << 21)
#define PSR_PAN_BIT     (1ull << 22)  /* FEAT_PAN */
#define PSR_UAO_BIT     (1ull << 23)  /* FEAT_UAO */
#define PSR_DIT_BIT     (1ull << 24)
#define PSR_TCO_BIT     (1ull << 25)  /* FEAT_MTE */

/* SCTLR_EL1 bits that shape exception entry. */
#define SCTLR_EL1_SPAN      (1ull << 23) /* 0: set PSTATE.PAN on entry to EL1 */
#define SCTLR_EL1_DSSBS     (1ull << 44) /* PSTATE.SSBS value on entry */
#define SCTLR_EL1_SPINTMASK (1ull << 62) /* PSTATE.ALLINT = !SPINTMASK */

/* ESR_ELx fields. */
#define ESR_EC_SHIFT        26
#define ESR_EC_IABT_LOW     0x20u  /* instruction abort from a lower EL */
#define ESR_EC_IABT_CUR     0x21u  /* instruction abort, same EL */
#define ESR_EC_DABT_LOW     0x24u  /* data abort from a lower EL */
#define ESR_EC_DABT_CUR     0x25u  /* data abort, same EL */
#define ESR_IL              (1u << 25) /* RES1 for aborts with ISV = 0 */
#define ESR_FNV             (1u << 10) /* FAR not valid */
#define ESR_FSC_SEA         0x10u  /* synchronous external abort, not on a walk */

/* Vector offsets from VBAR_EL1 (synchronous exception slot). */
#define VECTOR_CUR_SP0      0x000u
#define VECTOR_CUR_SPX      0x200u
#define VECTOR_LOW_A64      0x400u
#define VECTOR_LOW_A32      0x600u

/* Optional architecture features of the vCPU (from its ID registers:
 * ID_AA64MMFR1_EL1.PAN, ID_AA64PFR1_EL1.SSBS/MTE/NMI). Entry only sets the
 * PSTATE bits of features that exist; bits it clears are RES0 otherwise. */
#define SEA_FEAT_PAN   (1u << 0)
#define SEA_FEAT_SSBS  (1u << 1)
#define SEA_FEAT_MTE   (1u << 2)
#define SEA_FEAT_NMI   (1u << 3)

/* Registers read from the vCPU before injection. */
struct sea_cpu {
	uint64_t pstate;     /* regs.pstate (SPSR format) */
	uint64_t pc;         /* regs.pc: the faulting instruction */
	uint64_t vbar_el1;
	uint64_t sctlr_el1;
	uint32_t features;   /* SEA_FEAT_* */
};

/* What the abort reports. */
struct sea_fault {
	bool instruction;    /* instruction abort (fetch) rather than data abort */
	bool far_valid;      /* the faulting virtual address is known */
	uint64_t far;        /* ... and this is it */
};

/* Registers to write back. */
struct sea_entry {
	uint64_t esr_el1;
	uint64_t far_el1;    /* 0 when FnV */
	uint64_t elr_el1;
	uint64_t spsr_el1;
	uint64_t pstate;
	uint64_t pc;
};

/*
 * Syndrome of a synchronous external abort: EC (data/instruction abort,
 * from a lower or the same EL) | IL | FnV when !far_valid | DFSC/IFSC 0x10.
 * E.g. data abort from EL0 without FAR: 0x92000410; from EL1: 0x96000410.
 */
uint32_t sea_esr(bool same_el, bool instruction, bool far_valid);

/*
 * Compute the register state after taking a synchronous external abort to
 * EL1 from the state in cpu: ESR/FAR/ELR/SPSR_EL1, the new PSTATE (EL1h,
 * DAIF masked, SS/IL/BTYPE/UAO cleared, PAN set when SCTLR_EL1.SPAN is 0,
 * SSBS = SCTLR_EL1.DSSBS, TCO set, ALLINT = !SPINTMASK, each only with its
 * feature) and PC = VBAR_EL1 + vector offset for the source EL and stack.
 * Returns 0, or -EINVAL if the vCPU is at EL2/EL3, in AArch32 other than
 * User mode, or in a reserved mode encoding (out is then untouched).
 */
int sea_compute_entry(const struct sea_cpu *cpu, const struct sea_fault *fault,
		      struct sea_entry *out);

#endif
