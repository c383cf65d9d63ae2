/* Exception-entry arithmetic for a Synchronous External Abort taken to
 * AArch64 EL1, per the Arm ARM (DDI 0487): D1.3 exception entry and
 * AArch64.TakeException(), D1.3.1 vector offsets, ESR_EL1 ISS encoding for
 * Data/Instruction Aborts. Pure: no KVM headers, no register access. */
#include <errno.h>

#include "arch/arm64/sea.h"

uint32_t sea_esr(bool same_el, bool instruction, bool far_valid)
{
	uint32_t ec;

	if (instruction)
		ec = same_el ? ESR_EC_IABT_CUR : ESR_EC_IABT_LOW;
	else
		ec = same_el ? ESR_EC_DABT_CUR : ESR_EC_DABT_LOW;
	/* ISS: WnR/CM/S1PTW 0 (not known / not a walk), EA 0, SET 0;
	 * FnV when we cannot name the faulting virtual address. */
	return ec << ESR_EC_SHIFT | ESR_IL | (far_valid ? 0 : ESR_FNV) | ESR_FSC_SEA;
}

/* Where the exception comes from, decoded from PSTATE.M. */
enum sea_origin {
	SEA_FROM_EL1_SP0,   /* EL1t */
	SEA_FROM_EL1_SPX,   /* EL1h */
	SEA_FROM_EL0_A64,
	SEA_FROM_EL0_A32,
};

static int sea_origin(uint64_t pstate, enum sea_origin *o)
{
	uint64_t m = pstate & PSR_MODE_MASK;

	if (m & PSR_MODE32_BIT) {
		/* With EL1 in AArch64 only EL0 (User mode) may be AArch32. */
		if (m != PSR_AA32_MODE_USR)
			return -EINVAL;
		*o = SEA_FROM_EL0_A32;
		return 0;
	}
	switch (m) {
	case PSR_MODE_EL0t:
		*o = SEA_FROM_EL0_A64;
		return 0;
	case PSR_MODE_EL1t:
		*o = SEA_FROM_EL1_SP0;
		return 0;
	case PSR_MODE_EL1h:
		*o = SEA_FROM_EL1_SPX;
		return 0;
	default:
		/* EL2/EL3 (not ours to inject into) or reserved (M[1] set, EL0h) */
		return -EINVAL;
	}
}

static const uint32_t sea_vector[] = {
	[SEA_FROM_EL1_SP0] = VECTOR_CUR_SP0,
	[SEA_FROM_EL1_SPX] = VECTOR_CUR_SPX,
	[SEA_FROM_EL0_A64] = VECTOR_LOW_A64,
	[SEA_FROM_EL0_A32] = VECTOR_LOW_A32,
};

/* PSTATE after entry to EL1h, from the old PSTATE and SCTLR_EL1. */
static uint64_t sea_new_pstate(const struct sea_cpu *cpu)
{
	uint64_t old = cpu->pstate;
	uint64_t ps;

	/* Keep NZCV, DIT and PAN (for now); everything else is redefined, so
	 * AArch32-only bits (IT, T, E, GE, Q) of an AArch32 source go away. */
	ps = old & (0xfull << 28 | PSR_DIT_BIT | PSR_PAN_BIT);
	if (old & PSR_MODE32_BIT) {
		/* AArch32 SPSR: DIT is bit 21 and PAN bit 22; recompute both. */
		ps &= ~(PSR_DIT_BIT | PSR_PAN_BIT);
		if (old & (1ull << 21))
			ps |= PSR_DIT_BIT;
		if (old & (1ull << 22))
			ps |= PSR_PAN_BIT;
	}
	/* M[4:0] = EL1h: AArch64, EL1, SP_EL1 */
	ps |= PSR_MODE_EL1h;
	/* D, A, I, F all masked */
	ps |= PSR_DAIF_MASK;
	/* SS, IL, BTYPE, UAO cleared: not carried over (not copied above) */
	/* PAN: set on entry to EL1 when SCTLR_EL1.SPAN == 0, else preserved */
	if ((cpu->features & SEA_FEAT_PAN) && !(cpu->sctlr_el1 & SCTLR_EL1_SPAN))
		ps |= PSR_PAN_BIT;
	if (!(cpu->features & SEA_FEAT_PAN))
		ps &= ~PSR_PAN_BIT;
	/* SSBS = SCTLR_EL1.DSSBS */
	if ((cpu->features & SEA_FEAT_SSBS) && (cpu->sctlr_el1 & SCTLR_EL1_DSSBS))
		ps |= PSR_SSBS_BIT;
	/* TCO = 1: tag checks suppressed on entry */
	if (cpu->features & SEA_FEAT_MTE)
		ps |= PSR_TCO_BIT;
	/* ALLINT = NOT SCTLR_EL1.SPINTMASK */
	if ((cpu->features & SEA_FEAT_NMI) && !(cpu->sctlr_el1 & SCTLR_EL1_SPINTMASK))
		ps |= PSR_ALLINT_BIT;
	return ps;
}

int sea_compute_entry(const struct sea_cpu *cpu, const struct sea_fault *fault,
		      struct sea_entry *out)
{
	enum sea_origin o;
	bool same_el;
	int r;

	if (!cpu || !fault || !out)
		return -EINVAL;
	r = sea_origin(cpu->pstate, &o);
	if (r)
		return r;
	same_el = o == SEA_FROM_EL1_SP0 || o == SEA_FROM_EL1_SPX;

	out->esr_el1 = sea_esr(same_el, fault->instruction, fault->far_valid);
	/* FAR_EL1 is UNKNOWN with FnV set: write 0 rather than stale data. */
	out->far_el1 = fault->far_valid ? fault->far : 0;
	/* Preferred return address of a synchronous abort: the instruction
	 * itself (an AArch32 PC is 32 bits). */
	out->elr_el1 = o == SEA_FROM_EL0_A32 ? (uint32_t)cpu->pc : cpu->pc;
	out->spsr_el1 = cpu->pstate;
	out->pstate = sea_new_pstate(cpu);
	/* VBAR_EL1[10:0] are RES0 */
	out->pc = (cpu->vbar_el1 & ~0x7ffull) + sea_vector[o];
	return 0;
}
