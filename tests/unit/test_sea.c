/* Unit tests for vmm/arch/arm64/sea.c: syndrome values from the seeds
 * (0x92000410 from EL0, 0x96000410 from EL1), the four vector slots, and
 * PSTATE on entry (DAIF, PAN/SPAN, SSBS/DSSBS, SS/IL/BTYPE/UAO, TCO). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/sea.h"

#define VBAR 0xffff800008010800ULL
#define PC   0x0000aaaadead0004ULL

static struct sea_cpu cpu_at(uint64_t pstate)
{
	struct sea_cpu c = {
		.pstate = pstate,
		.pc = PC,
		.vbar_el1 = VBAR,
		.sctlr_el1 = 0x30d5198dULL,  /* a Linux value: SPAN set */
		.features = SEA_FEAT_PAN,
	};

	return c;
}

static void test_esr_values(void **state)
{
	assert_int_equal(sea_esr(false, false, false), 0x92000410u);
	assert_int_equal(sea_esr(true, false, false), 0x96000410u);
	assert_int_equal(sea_esr(false, true, false), 0x82000410u);
	assert_int_equal(sea_esr(true, true, false), 0x86000410u);
	assert_int_equal(sea_esr(false, false, true), 0x92000010u);
}

static void test_from_el0_a64(void **state)
{
	/* EL0t, NZCV = 0x6, nothing masked, SS and BTYPE set */
	struct sea_cpu c = cpu_at(0x60000000ULL | PSR_SS_BIT | (2ull << 10));
	struct sea_fault f = { 0 };
	struct sea_entry e;

	memset(&e, 0xff, sizeof(e));
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.esr_el1, 0x92000410u);
	assert_int_equal(e.far_el1, 0);
	assert_int_equal(e.elr_el1, PC);
	assert_int_equal(e.spsr_el1, c.pstate);
	assert_int_equal(e.pc, VBAR + 0x400);
	assert_int_equal(e.pstate & PSR_MODE_MASK, PSR_MODE_EL1h);
	assert_int_equal(e.pstate & PSR_DAIF_MASK, PSR_DAIF_MASK);
	assert_int_equal(e.pstate & (PSR_SS_BIT | PSR_IL_BIT | PSR_BTYPE_MASK), 0);
	assert_int_equal(e.pstate >> 28, 0x6);   /* NZCV kept */
}

static void test_from_el1h(void **state)
{
	struct sea_cpu c = cpu_at(PSR_MODE_EL1h | PSR_D_BIT);  /* I, A, F clear */
	struct sea_fault f = { .far_valid = true, .far = 0xffff000012345678ULL };
	struct sea_entry e;

	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.esr_el1, 0x96000010u);           /* FnV clear */
	assert_int_equal(e.far_el1, 0xffff000012345678ULL);
	assert_int_equal(e.pc, VBAR + 0x200);
	assert_int_equal(e.spsr_el1, PSR_MODE_EL1h | PSR_D_BIT);
	assert_int_equal(e.pstate & PSR_DAIF_MASK, PSR_DAIF_MASK);
	f.far_valid = false;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.esr_el1, 0x96000410u);
}

static void test_from_el1t(void **state)
{
	struct sea_cpu c = cpu_at(PSR_MODE_EL1t | PSR_DAIF_MASK);
	struct sea_fault f = { 0 };
	struct sea_entry e;

	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.pc, VBAR + 0x000);
	assert_int_equal(e.esr_el1, 0x96000410u);
	assert_int_equal(e.pstate & PSR_MODE_MASK, PSR_MODE_EL1h);  /* now SP_EL1 */
}

static void test_from_el0_a32(void **state)
{
	/* AArch32 User mode, Thumb, with IT/GE bits that must not leak */
	uint64_t ps32 = PSR_AA32_MODE_USR | (1ull << 5) | (0xfull << 16) | 0x80000000ULL;
	struct sea_cpu c = cpu_at(ps32);
	struct sea_fault f = { 0 };
	struct sea_entry e;

	c.pc = 0xffffffff00010002ULL;   /* top half must not reach ELR */
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.pc, VBAR + 0x600);
	assert_int_equal(e.esr_el1, 0x92000410u);
	assert_int_equal(e.elr_el1, 0x00010002ULL);
	assert_int_equal(e.spsr_el1, ps32);
	assert_int_equal(e.pstate, 0x80000000ULL | PSR_DAIF_MASK | PSR_MODE_EL1h);
}

static void test_instruction_abort(void **state)
{
	struct sea_cpu c = cpu_at(PSR_MODE_EL0t);
	struct sea_fault f = { .instruction = true };
	struct sea_entry e;

	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.esr_el1, 0x82000410u);
	c.pstate = PSR_MODE_EL1h;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.esr_el1, 0x86000410u);
}

static void test_pan(void **state)
{
	struct sea_cpu c = cpu_at(PSR_MODE_EL0t);
	struct sea_fault f = { 0 };
	struct sea_entry e;

	/* SPAN = 0: PAN set on entry */
	c.sctlr_el1 = 0;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_true(e.pstate & PSR_PAN_BIT);
	/* SPAN = 1: PAN preserved (clear stays clear, set stays set) */
	c.sctlr_el1 = SCTLR_EL1_SPAN;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_false(e.pstate & PSR_PAN_BIT);
	c.pstate = PSR_MODE_EL1h | PSR_PAN_BIT;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_true(e.pstate & PSR_PAN_BIT);
	/* no FEAT_PAN: never set */
	c.features = 0;
	c.sctlr_el1 = 0;
	c.pstate = PSR_MODE_EL0t;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_false(e.pstate & PSR_PAN_BIT);
	/* AArch32 source keeps its PAN (bit 22) under SPAN = 1 */
	c.features = SEA_FEAT_PAN;
	c.sctlr_el1 = SCTLR_EL1_SPAN;
	c.pstate = PSR_AA32_MODE_USR | PSR_PAN_BIT;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_true(e.pstate & PSR_PAN_BIT);
}

static void test_other_bits(void **state)
{
	struct sea_cpu c = cpu_at(PSR_MODE_EL0t | PSR_UAO_BIT | PSR_SSBS_BIT | PSR_DIT_BIT |
				  PSR_IL_BIT | PSR_TCO_BIT);
	struct sea_fault f = { 0 };
	struct sea_entry e;

	/* no SSBS/MTE features: SSBS and TCO cleared, UAO and IL cleared, DIT kept */
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.pstate & (PSR_UAO_BIT | PSR_SSBS_BIT | PSR_IL_BIT | PSR_TCO_BIT), 0);
	assert_true(e.pstate & PSR_DIT_BIT);
	assert_int_equal(e.spsr_el1, c.pstate);
	/* SSBS from SCTLR_EL1.DSSBS, TCO set with MTE */
	c.features = SEA_FEAT_PAN | SEA_FEAT_SSBS | SEA_FEAT_MTE;
	c.sctlr_el1 = SCTLR_EL1_SPAN | SCTLR_EL1_DSSBS;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_true(e.pstate & PSR_SSBS_BIT);
	assert_true(e.pstate & PSR_TCO_BIT);
	c.sctlr_el1 = SCTLR_EL1_SPAN;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_false(e.pstate & PSR_SSBS_BIT);
	/* NMI: ALLINT = !SPINTMASK */
	c.features = SEA_FEAT_NMI;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_true(e.pstate & PSR_ALLINT_BIT);
	c.sctlr_el1 = SCTLR_EL1_SPINTMASK;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_false(e.pstate & PSR_ALLINT_BIT);
}

static void test_vbar_low_bits_ignored(void **state)
{
	struct sea_cpu c = cpu_at(PSR_MODE_EL0t);
	struct sea_fault f = { 0 };
	struct sea_entry e;

	c.vbar_el1 = 0x40001000ULL | 0x7ff;
	assert_int_equal(sea_compute_entry(&c, &f, &e), 0);
	assert_int_equal(e.pc, 0x40001400ULL);
}

static void test_rejects_bad_modes(void **state)
{
	static const uint64_t bad[] = {
		PSR_MODE_EL2t, PSR_MODE_EL2h, PSR_MODE_EL3t, PSR_MODE_EL3h,
		0x1, 0x2, 0x6,          /* EL0h, M[1] set (reserved) */
		0x11, 0x13, 0x1a, 0x1f, /* AArch32 FIQ, SVC, HYP, SYS */
	};
	struct sea_fault f = { 0 };
	struct sea_entry e;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sea_cpu c = cpu_at(bad[i]);

		memset(&e, 0x5a, sizeof(e));
		assert_int_equal(sea_compute_entry(&c, &f, &e), -EINVAL);
		assert_int_equal(e.pc, 0x5a5a5a5a5a5a5a5aULL);  /* untouched */
	}
	assert_int_equal(sea_compute_entry(NULL, &f, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_esr_values),
		cmocka_unit_test(test_from_el0_a64),
		cmocka_unit_test(test_from_el1h),
		cmocka_unit_test(test_from_el1t),
		cmocka_unit_test(test_from_el0_a32),
		cmocka_unit_test(test_instruction_abort),
		cmocka_unit_test(test_pan),
		cmocka_unit_test(test_other_bits),
		cmocka_unit_test(test_vbar_low_bits_ignored),
		cmocka_unit_test(test_rejects_bad_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
