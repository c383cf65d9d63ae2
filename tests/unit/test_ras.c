/* Unit tests for vmm/ras/ras.c with fakes for everything it depends on:
 * RAM from mem.c without KVM (vm_fd < 0), the etc/hardware_errors blob laid
 * out in it as the firmware leaves it, a recorded irq line, a fake register
 * file, a run-on-vCPU that calls directly, and a watch_fd that remembers the
 * callbacks. SIGBUS events are real signals sent to ourselves, as in
 * test_sigbus.c, so the AR slot and the AO ring paths run for real. Pagemap
 * scans read a fake pagemap (a sparse temporary file with hwpoison entries
 * at the offsets of our RAM's pages) where a test asks for one. A page
 * that faults when read (an empty file's page mapped over it) stands in for
 * a poisoned page where the I/O path probes one. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "arch/arm64/memmap.h"
#include "arch/arm64/sea.h"
#include "irq_recorder.h"
#include "mem.h"
#include "ras/cper.h"
#include "ras/ghes_layout.h"
#include "ras/pagemap.h"
#include "ras/ras.h"
#include "sigbus_inject.h"
#include "util.h"

#define NCPUS     2u
#define RAM_BASE  0x40000000ULL
#define RAM_SIZE  0x400000ULL    /* 2 MiB aligned in host memory too (mem.c) */
#define BLOB_GPA  (RAM_BASE + 0x10000ULL)   /* where "firmware" put the blob */
#define PAGE(n)   (RAM_BASE + 0x80000ULL + (n) * SZ_4K)
/* Pages of the second 2 MiB block of RAM: a "huge page" for lsb-21 errors. */
#define HBLOCK    (RAM_BASE + 0x200000ULL)
#define HPAGE(n)  (HBLOCK + (n) * SZ_4K)

/* vCPU state before the abort: EL0 user code. */
#define USER_PC     0x400123ULL
#define USER_PSTATE PSR_MODE_EL0t
#define GUEST_VBAR  0xffff800010010000ULL

#define HWPOISON_TYPE 26u   /* the fake kernel's hwpoison swap type */

struct watch {
	int fd;
	loop_cb_t cb;
	void *opaque;
};

struct fixture {
	struct mem *mem;
	struct ghes_layout lay;
	struct irq_recorder irq;
	struct irq_recorder gsiv;   /* the GSIV source's interrupt */
	struct watch watch[4];
	unsigned nwatch;
	uint64_t regs[NCPUS][RAS_REG_COUNT];
	unsigned reg_writes[NCPUS];
	unsigned run_on_calls;
	unsigned run_on_vcpu;
	volatile int in_run;
	struct ras *r;
	char pagemap[64];    /* fake pagemap file, "" when unused */
	int pagemap_fd;
};

/* ---- fakes ---- */

static int fake_watch_fd(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	struct fixture *fx = opaque;

	if (fx->nwatch >= ARRAY_SIZE(fx->watch))
		return -ENOSPC;
	fx->watch[fx->nwatch].fd = fd;
	fx->watch[fx->nwatch].cb = cb;
	fx->watch[fx->nwatch].opaque = cb_opaque;
	fx->nwatch++;
	return 0;
}

static int fake_run_on(void *opaque, unsigned vcpu, int (*fn)(void *arg), void *arg)
{
	struct fixture *fx = opaque;

	fx->run_on_calls++;
	fx->run_on_vcpu = vcpu;
	return fn(arg);
}

static int fake_get_reg(void *opaque, unsigned vcpu, enum ras_reg reg, uint64_t *val)
{
	struct fixture *fx = opaque;

	if (vcpu >= NCPUS || (unsigned)reg >= RAS_REG_COUNT)
		return -EINVAL;
	*val = fx->regs[vcpu][reg];
	return 0;
}

static int fake_set_reg(void *opaque, unsigned vcpu, enum ras_reg reg, uint64_t val)
{
	struct fixture *fx = opaque;

	if (vcpu >= NCPUS || (unsigned)reg >= RAS_REG_COUNT)
		return -EINVAL;
	fx->regs[vcpu][reg] = val;
	fx->reg_writes[vcpu]++;
	return 0;
}

/* ---- guest RAM and the blob ---- */

static uint8_t *at(struct fixture *fx, uint64_t gpa)
{
	uint8_t *p = mem_gpa_to_hva(fx->mem, gpa, 1);

	assert_non_null(p);
	return p;
}

static uint64_t block_gpa(struct fixture *fx, unsigned src)
{
	return BLOB_GPA + ghes_block_offset(&fx->lay, src);
}

static uint64_t ack_gpa(struct fixture *fx, unsigned src)
{
	return BLOB_GPA + ghes_ack_offset(&fx->lay, src);
}

/* The guest's side: the PA in source src's record (0 if the block is
 * empty); then clear Block Status and set the read-ack. */
static uint64_t block_pa(struct fixture *fx, unsigned src)
{
	uint8_t *blk = at(fx, block_gpa(fx, src));

	if (!get_le32(blk + CPER_OFF_BLOCK_STATUS))
		return 0;
	return get_le64(blk + CPER_OFF_SECTION_PA);
}

static void guest_ack(struct fixture *fx, unsigned src)
{
	put_le32(at(fx, block_gpa(fx, src)) + CPER_OFF_BLOCK_STATUS, 0);
	put_le64(at(fx, ack_gpa(fx, src)), 1);
}

static uint64_t ack_value(struct fixture *fx, unsigned src)
{
	return get_le64(at(fx, ack_gpa(fx, src)));
}

/* What the firmware leaves: block address slots patched, every read-ack 1. */
static void firmware_blob(struct fixture *fx)
{
	unsigned i;

	for (i = 0; i < fx->lay.nsources; i++) {
		put_le64(at(fx, BLOB_GPA + ghes_addr_offset(&fx->lay, i)), block_gpa(fx, i));
		put_le64(at(fx, ack_gpa(fx, i)), 1);
	}
}

static void init_regs(struct fixture *fx)
{
	unsigned c;

	memset(fx->regs, 0, sizeof(fx->regs));
	memset(fx->reg_writes, 0, sizeof(fx->reg_writes));
	for (c = 0; c < NCPUS; c++) {
		fx->regs[c][RAS_REG_PC] = USER_PC + c * 0x100;
		fx->regs[c][RAS_REG_PSTATE] = USER_PSTATE;
		fx->regs[c][RAS_REG_VBAR_EL1] = GUEST_VBAR;
		fx->regs[c][RAS_REG_SCTLR_EL1] = SCTLR_EL1_SPAN;
	}
}

static struct ras_deps make_deps(struct fixture *fx)
{
	struct ras_deps d = {
		.ncpus = NCPUS,
		.mem = fx->mem,
		.layout = &fx->lay,
		.notify_irq = irq_recorder_line(&fx->irq, IRQ_SPI_GED),
		.gsiv_irq = irq_recorder_line(&fx->gsiv, IRQ_SPI_GHES_GSIV),
		.watch_fd = fake_watch_fd,
		.run_on_vcpu = fake_run_on,
		.get_reg = fake_get_reg,
		.set_reg = fake_set_reg,
		.opaque = fx,
	};

	return d;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->mem = mem_create(-1, RAM_BASE, RAM_SIZE, MEM_BACKEND_ANON);
	if (!fx->mem || ghes_layout_init(&fx->lay, NCPUS)) {
		mem_destroy(fx->mem);
		free(fx);
		return -1;
	}
	firmware_blob(fx);
	init_regs(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ras_destroy(fx->r);
	if (fx->pagemap[0]) {
		close(fx->pagemap_fd);
		unlink(fx->pagemap);
	}
	mem_destroy(fx->mem);
	free(fx);
	return 0;
}

/* Create the RAS state inside the test body: cmocka puts its own SIGBUS
 * handler back around each setup and test, and ras_create installs ours. */
static struct ras *start(struct fixture *fx)
{
	struct ras_deps d = make_deps(fx);

	if (fx->pagemap[0])
		d.pagemap_path = fx->pagemap;
	fx->r = ras_create(&d);
	assert_non_null(fx->r);
	/* The SIGBUS eventfd, the poll timer and the scan timer. */
	assert_int_equal(fx->nwatch, 3);
	ras_set_base(fx->r, BLOB_GPA);
	return fx->r;
}

/* ---- SIGBUS delivery ---- */

/* One KVM_RUN of vCPU 'vcpu' interrupted by an AR at host address hva, as
 * vcpu.c's hooks see it. Returns what ras_vcpu_after_run() returns. */
static int run_with_ar_lsb(struct fixture *fx, unsigned vcpu, void *hva, short lsb)
{
	ras_vcpu_before_run(fx->r, vcpu, &fx->in_run);
	fx->in_run = 1;
	send_mce(BUS_MCEERR_AR, hva, lsb);
	fx->in_run = 0;
	return ras_vcpu_after_run(fx->r, vcpu);
}

static int run_with_ar_hva(struct fixture *fx, unsigned vcpu, void *hva)
{
	return run_with_ar_lsb(fx, vcpu, hva, 12);
}

/* An AR as KVM reports one on a lost 2 MiB hugetlb page: si_addr is the
 * page the guest touched, si_addr_lsb the huge page's shift. */
static int run_with_huge_ar(struct fixture *fx, unsigned vcpu, uint64_t gpa)
{
	return run_with_ar_lsb(fx, vcpu, at(fx, gpa) + 0x40, 21);
}

static int run_with_ar(struct fixture *fx, unsigned vcpu, uint64_t gpa)
{
	return run_with_ar_hva(fx, vcpu, at(fx, gpa) + 0x123);
}

/* An AO reported by the kernel, then the event loop's turn. */
static void ao_via_ring(struct fixture *fx, void *hva)
{
	send_mce(BUS_MCEERR_AO, hva, 12);
	assert_int_equal(fx->watch[0].cb(fx->watch[0].opaque, fx->watch[0].fd), 0);
}

static void poll_tick(struct fixture *fx)
{
	assert_int_equal(fx->watch[1].cb(fx->watch[1].opaque, fx->watch[1].fd), 0);
}

/* ---- the fake pagemap ---- */

/* Use a fake pagemap (call before start()): every entry of guest RAM
 * reads empty. */
static void fake_pagemap(struct fixture *fx)
{
	uint64_t last = (uint64_t)(uintptr_t)at(fx, RAM_BASE + RAM_SIZE - 1) /
			(uint64_t)sysconf(_SC_PAGESIZE), e = 0;

	strcpy(fx->pagemap, "/tmp/test_ras_pagemap.XXXXXX");
	fx->pagemap_fd = mkstemp(fx->pagemap);
	assert_true(fx->pagemap_fd >= 0);
	assert_int_equal(pwrite(fx->pagemap_fd, &e, sizeof(e), (off_t)(last * sizeof(e))),
			 (ssize_t)sizeof(e));
}

/* The kernel took guest page 'gpa' away: a hwpoison entry in the pagemap. */
static void hwpoison_entry(struct fixture *fx, uint64_t gpa)
{
	uint64_t e = PAGEMAP_SWAPPED | (0x5c032ULL << PAGEMAP_SWAP_TYPE_BITS) | HWPOISON_TYPE;
	uint64_t idx = (uint64_t)(uintptr_t)at(fx, gpa) / (uint64_t)sysconf(_SC_PAGESIZE);

	assert_int_equal(pwrite(fx->pagemap_fd, &e, sizeof(e), (off_t)(idx * sizeof(e))),
			 (ssize_t)sizeof(e));
}

/* A present entry (a mapped page) for guest page 'gpa'. */
static void present_entry(struct fixture *fx, uint64_t gpa)
{
	uint64_t e = PAGEMAP_PRESENT | 0x1234;
	uint64_t idx = (uint64_t)(uintptr_t)at(fx, gpa) / (uint64_t)sysconf(_SC_PAGESIZE);

	assert_int_equal(pwrite(fx->pagemap_fd, &e, sizeof(e), (off_t)(idx * sizeof(e))),
			 (ssize_t)sizeof(e));
}

/* Guest page 'gpa' faults when read, as a poisoned page does: a page of an
 * empty file mapped over it (SIGBUS on access; guarded copies get -EIO).
 * The kernel's own copies (I/O) fail on it with EFAULT. */
static void unreadable_page(struct fixture *fx, uint64_t gpa)
{
	int fd = memfd_create("test_ras_hole", MFD_CLOEXEC);
	void *p;

	assert_true(fd >= 0);
	p = mmap(at(fx, gpa), SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	close(fd);
	assert_ptr_equal(p, at(fx, gpa));
}

/* Let the debounce pass, then give the scan timer its turns until the scan
 * is done (guest RAM here is one chunk). */
static void scan_turn(struct fixture *fx)
{
	struct timespec ts = { 0, 30000000 };   /* > SCAN_DEBOUNCE_NS */

	nanosleep(&ts, NULL);
	assert_int_equal(fx->watch[2].cb(fx->watch[2].opaque, fx->watch[2].fd), 0);
}

/* Compare every counter (latency: only the sample count). */
static void expect_stats(struct fixture *fx, const struct ras_stats *want)
{
	struct ras_stats st;

	ras_get_stats(fx->r, &st);
	assert_int_equal(st.errors_ar, want->errors_ar);
	assert_int_equal(st.errors_ao, want->errors_ao_signal + want->errors_ao_scan +
					want->errors_ao_io);
	assert_int_equal(st.errors_ao_signal, want->errors_ao_signal);
	assert_int_equal(st.errors_ao_scan, want->errors_ao_scan);
	assert_int_equal(st.errors_ao_io, want->errors_ao_io);
	assert_int_equal(st.errors_injected, want->errors_injected);
	assert_int_equal(st.errors_ignored, want->errors_ignored);
	assert_int_equal(st.records_written, want->records_written);
	assert_int_equal(st.records_queued, want->records_queued);
	assert_int_equal(st.records_max_queue, want->records_max_queue);
	assert_int_equal(st.records_retried, want->records_retried);
	assert_int_equal(st.records_dropped, want->records_dropped);
	assert_int_equal(st.sea_injected, want->sea_injected);
	assert_int_equal(st.irqs_raised, want->irqs_raised);
	assert_int_equal(st.poisoned_pages, want->poisoned_pages);
	assert_int_equal(st.pages_replaced, want->pages_replaced);
	assert_int_equal(st.lat_samples, want->lat_samples);
}

/* The registers vCPU 'vcpu' must hold after an SEA from init_regs(). */
static void expect_sea_regs(struct fixture *fx, unsigned vcpu)
{
	struct sea_cpu cpu = {
		.pstate = USER_PSTATE,
		.pc = USER_PC + vcpu * 0x100,
		.vbar_el1 = GUEST_VBAR,
		.sctlr_el1 = SCTLR_EL1_SPAN,
		.features = 0,
	};
	struct sea_fault fault = { 0 };
	struct sea_entry e;

	assert_int_equal(sea_compute_entry(&cpu, &fault, &e), 0);
	assert_int_equal(fx->regs[vcpu][RAS_REG_ESR_EL1], e.esr_el1);
	assert_int_equal(fx->regs[vcpu][RAS_REG_FAR_EL1], e.far_el1);
	assert_int_equal(fx->regs[vcpu][RAS_REG_ELR_EL1], e.elr_el1);
	assert_int_equal(fx->regs[vcpu][RAS_REG_SPSR_EL1], e.spsr_el1);
	assert_int_equal(fx->regs[vcpu][RAS_REG_PSTATE], e.pstate);
	assert_int_equal(fx->regs[vcpu][RAS_REG_PC], e.pc);
	/* And concretely: data abort from EL0, FnV, lower-EL AArch64 vector. */
	assert_int_equal(e.esr_el1, 0x92000410);
	assert_int_equal(e.elr_el1, USER_PC + vcpu * 0x100);
	assert_int_equal(e.pc, GUEST_VBAR + VECTOR_LOW_A64);
	assert_int_equal(fx->reg_writes[vcpu], 6);
}

/* ---- tests ---- */

static void test_ar_on_vcpu0_writes_record_and_enters_sea(void **state)
{
	struct fixture *fx = *state;
	uint64_t poisoned[4];

	start(fx);
	assert_int_equal(run_with_ar(fx, 0, PAGE(1)), 0);
	/* The record is in source 0's block, its read-ack taken. */
	assert_int_equal(block_pa(fx, ghes_source_sea(0)), PAGE(1));
	assert_int_equal(get_le32(at(fx, block_gpa(fx, 0)) + CPER_OFF_DATA_LENGTH),
			 CPER_DATA_ENTRY_LEN + CPER_MEM_SECTION_LEN);
	assert_int_equal(ack_value(fx, 0), 0);
	/* Nothing anywhere else. */
	assert_int_equal(block_pa(fx, 1), 0);
	assert_int_equal(block_pa(fx, ghes_source_async(&fx->lay)), 0);
	assert_int_equal(fx->reg_writes[1], 0);
	assert_int_equal(fx->irq.n, 0);
	expect_sea_regs(fx, 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 1);
	assert_int_equal(poisoned[0], PAGE(1));
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .records_written = 1,
					     .sea_injected = 1, .poisoned_pages = 1 });
	/* The next guest entry closes the latency interval. */
	ras_vcpu_before_run(fx->r, 0, &fx->in_run);
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .records_written = 1,
					     .sea_injected = 1, .poisoned_pages = 1,
					     .lat_samples = 1 });
}

static void test_ar_waits_for_ack_then_delivers(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_int_equal(run_with_ar(fx, 0, PAGE(1)), 0);
	guest_ack(fx, 0);
	assert_int_equal(run_with_ar(fx, 0, PAGE(2)), 0);
	assert_int_equal(block_pa(fx, 0), PAGE(2));
	init_regs(fx);

	/* Not acked: no record, no abort; the access will fault again. */
	assert_int_equal(run_with_ar(fx, 0, PAGE(3)), 0);
	assert_int_equal(block_pa(fx, 0), PAGE(2));
	assert_int_equal(fx->reg_writes[0], 0);
	assert_int_equal(run_with_ar(fx, 0, PAGE(3)), 0);    /* the repeat: still busy */
	assert_int_equal(fx->reg_writes[0], 0);
	/* Each run's before-run hook closed the previous delivery's latency. */
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 3, .records_written = 2,
					     .records_retried = 1, .sea_injected = 2,
					     .poisoned_pages = 3, .lat_samples = 2 });

	/* The guest acks: the repeat is delivered, counted once. */
	guest_ack(fx, 0);
	assert_int_equal(run_with_ar(fx, 0, PAGE(3)), 0);
	assert_int_equal(block_pa(fx, 0), PAGE(3));
	expect_sea_regs(fx, 0);
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 3, .records_written = 3,
					     .records_retried = 1, .sea_injected = 3,
					     .poisoned_pages = 3, .lat_samples = 2 });
}

static void test_ar_outside_ram_stops(void **state)
{
	struct fixture *fx = *state;
	static uint8_t not_ram[64];

	start(fx);
	assert_int_equal(run_with_ar_hva(fx, 1, not_ram), -EFAULT);
	assert_int_equal(fx->reg_writes[1], 0);
	expect_stats(fx, &(struct ras_stats){ 0 });
	/* No SIGBUS recorded: after_run has nothing to do. */
	assert_int_equal(ras_vcpu_after_run(fx->r, 1), 0);
}

static void test_inject_cper_ar_runs_on_the_vcpu(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_int_equal(ras_inject(fx->r, PAGE(4) + 0x10, RAS_INJECT_CPER, RAS_KIND_AR, 1), 0);
	assert_int_equal(fx->run_on_calls, 1);
	assert_int_equal(fx->run_on_vcpu, 1);
	assert_int_equal(block_pa(fx, ghes_source_sea(1)), PAGE(4));
	assert_int_equal(block_pa(fx, 0), 0);
	assert_int_equal(fx->reg_writes[0], 0);
	expect_sea_regs(fx, 1);
	/* A second one before the ack is refused, not queued. */
	assert_int_equal(ras_inject(fx->r, PAGE(5), RAS_INJECT_CPER, RAS_KIND_AR, 1), -EBUSY);
	assert_int_equal(block_pa(fx, 1), PAGE(4));
	/* CPER-only injections poison nothing. */
	expect_stats(fx, &(struct ras_stats){ .errors_injected = 2, .records_written = 1,
					     .sea_injected = 1 });
}

static void test_inject_rejects_bad_arguments(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_int_equal(ras_inject(fx->r, RAM_BASE + RAM_SIZE, RAS_INJECT_CPER, RAS_KIND_AO, 0),
			 -EINVAL);
	assert_int_equal(ras_inject(fx->r, PAGE(0), RAS_INJECT_CPER, RAS_KIND_AR, NCPUS), -EINVAL);
	assert_int_equal(fx->run_on_calls, 0);
	expect_stats(fx, &(struct ras_stats){ 0 });
}

static void test_ao_from_sigbus_ring_pulses_once(void **state)
{
	struct fixture *fx = *state;
	unsigned async;

	start(fx);
	async = ghes_source_async(&fx->lay);
	ao_via_ring(fx, at(fx, PAGE(6)) + 0x800);
	assert_int_equal(block_pa(fx, async), PAGE(6));
	assert_int_equal(ack_value(fx, async), 0);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	assert_int_equal(fx->irq.n, 2);
	assert_int_equal(fx->reg_writes[0] + fx->reg_writes[1], 0);
	assert_int_equal(fx->run_on_calls, 0);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 1, .records_written = 1,
					     .irqs_raised = 1, .poisoned_pages = 1 });

	/* An AO outside guest RAM is counted and ignored. */
	ao_via_ring(fx, (void *)&fx->nwatch);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 1, .errors_ignored = 1,
					     .records_written = 1, .irqs_raised = 1,
					     .poisoned_pages = 1 });
}

static void test_ao_queue_delivers_in_order_after_acks(void **state)
{
	struct fixture *fx = *state;
	unsigned async, i;

	start(fx);
	async = ghes_source_async(&fx->lay);
	for (i = 0; i < 3; i++)
		assert_int_equal(ras_inject(fx->r, PAGE(10 + i), RAS_INJECT_CPER, RAS_KIND_AO, 0), 0);
	assert_int_equal(block_pa(fx, async), PAGE(10));
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	expect_stats(fx, &(struct ras_stats){ .errors_injected = 3, .records_written = 1,
					     .records_queued = 2, .records_max_queue = 2,
					     .irqs_raised = 1 });

	/* Polling before the guest acks changes nothing. */
	poll_tick(fx);
	assert_int_equal(block_pa(fx, async), PAGE(10));
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);

	for (i = 1; i < 3; i++) {
		guest_ack(fx, async);
		poll_tick(fx);
		assert_int_equal(block_pa(fx, async), PAGE(10 + i));
		assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1 + i);
	}
	expect_stats(fx, &(struct ras_stats){ .errors_injected = 3, .records_written = 3,
					     .records_queued = 0, .records_max_queue = 2,
					     .irqs_raised = 3 });
	/* Queue empty: another tick writes and pulses nothing. */
	guest_ack(fx, async);
	poll_tick(fx);
	assert_int_equal(block_pa(fx, async), 0);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 3);
}

static void test_records_wait_for_the_base(void **state)
{
	struct fixture *fx = *state;
	struct ras_deps d = make_deps(fx);
	unsigned async = ghes_source_async(&fx->lay);

	/* Before the firmware reports the blob's address everything queues. */
	fx->r = ras_create(&d);
	assert_non_null(fx->r);
	assert_int_equal(ras_inject(fx->r, PAGE(7), RAS_INJECT_CPER, RAS_KIND_AO, 0), 0);
	assert_int_equal(block_pa(fx, async), 0);
	assert_int_equal(fx->irq.n, 0);
	ras_set_base(fx->r, BLOB_GPA);
	poll_tick(fx);
	assert_int_equal(block_pa(fx, async), PAGE(7));
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	expect_stats(fx, &(struct ras_stats){ .errors_injected = 1, .records_written = 1,
					     .records_max_queue = 1, .irqs_raised = 1 });
}

/* inject-memory-error mode=hwpoison on a page that is already bad (issue 12
 * defect 2) must fail that command, never end the VMM: a page ras knows is
 * poisoned is not touched at all, and one it does not know yet (the guest
 * has not hit it) is touched under a guard. A page of a truncated file
 * mapped over guest RAM stands in for a poisoned page: touching it raises
 * SIGBUS as a poisoned page does, without poisoning a host page. */
static void test_inject_hwpoison_on_a_bad_page(void **state)
{
	struct fixture *fx = *state;
	char path[] = "/tmp/mvr-ras-bad-XXXXXX";
	uint64_t poisoned[4];
	void *bad;
	int fd;

	start(fx);
	/* Known: reported by an AO; madvise is never reached. */
	ao_via_ring(fx, at(fx, PAGE(40)));
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 1);
	assert_int_equal(ras_inject(fx->r, PAGE(40), RAS_INJECT_HWPOISON, RAS_KIND_AO, 0),
			 -EHWPOISON);
	assert_int_equal(ras_inject(fx->r, PAGE(40) + 8, RAS_INJECT_HWPOISON, RAS_KIND_AR, 1),
			 -EHWPOISON);

	/* Unknown: the touch faults inside the guard. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, SZ_4K), 0);
	bad = mmap(at(fx, PAGE(41)), SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	assert_true(bad == at(fx, PAGE(41)));
	assert_int_equal(ftruncate(fd, 0), 0);
	close(fd);
	assert_int_equal(ras_inject(fx->r, PAGE(41), RAS_INJECT_HWPOISON, RAS_KIND_AR, 0),
			 -EHWPOISON);
	/* Not recorded as an AR-only page, the counter still counts the try. */
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 1);
	/* Guest RAM again for the teardown. */
	assert_true(mmap(bad, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) == bad);
}

static void test_reset_replaces_poisoned_pages(void **state)
{
	struct fixture *fx = *state;
	uint64_t poisoned[4];

	start(fx);
	memset(at(fx, PAGE(20)), 0xab, SZ_4K);
	memset(at(fx, PAGE(21)), 0xcd, SZ_4K);
	memset(at(fx, PAGE(22)), 0xef, SZ_4K);
	ao_via_ring(fx, at(fx, PAGE(20)));
	assert_int_equal(run_with_ar(fx, 0, PAGE(21)), 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 2);
	assert_int_equal(poisoned[0], PAGE(20));
	assert_int_equal(poisoned[1], PAGE(21));

	assert_int_equal(ras_reset(fx->r), 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 0);
	/* Fresh zeroed pages where the poisoned ones were; others untouched. */
	assert_int_equal(at(fx, PAGE(20))[0], 0);
	assert_int_equal(at(fx, PAGE(20))[SZ_4K - 1], 0);
	assert_int_equal(at(fx, PAGE(21))[100], 0);
	assert_int_equal(at(fx, PAGE(22))[100], 0xef);
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .errors_ao_signal = 1,
					     .records_written = 2, .sea_injected = 1,
					     .irqs_raised = 1, .poisoned_pages = 2,
					     .pages_replaced = 2 });
	/* The guest must report the blob again: records wait until then. */
	assert_int_equal(ras_inject(fx->r, PAGE(23), RAS_INJECT_CPER, RAS_KIND_AO, 0), 0);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
}

static void test_ao_burst_scan_finds_the_unsignalled_pages(void **state)
{
	struct fixture *fx = *state;
	static const unsigned order[] = { 30, 32, 33 };
	uint64_t poisoned[8];
	struct ras_stats st;
	unsigned async, i;

	fake_pagemap(fx);
	start(fx);
	async = ghes_source_async(&fx->lay);
	for (i = 0; i < 4; i++)
		hwpoison_entry(fx, PAGE(30 + i));
	/* Four pages poisoned at once; Linux delivered one signal. */
	ao_via_ring(fx, at(fx, PAGE(31)));
	assert_int_equal(block_pa(fx, async), PAGE(31));
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 1, .records_written = 1,
					     .irqs_raised = 1, .poisoned_pages = 1 });
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.hwpoison_swap_type, HWPOISON_TYPE);
	assert_int_equal(st.scans, 0);   /* debounced: not yet */

	scan_turn(fx);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(poisoned[i], PAGE(30 + i));
	/* The three others queue behind the read-ack of the first. */
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 1, .errors_ao_scan = 3,
					     .records_written = 1, .records_queued = 3,
					     .records_max_queue = 3, .irqs_raised = 1,
					     .poisoned_pages = 4 });
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.scans, 1);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		guest_ack(fx, async);
		poll_tick(fx);
		assert_int_equal(block_pa(fx, async), PAGE(order[i]));
		assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 2 + i);
	}

	/* A late signal for a page the scan found, and the scan it starts,
	 * report nothing again. */
	ao_via_ring(fx, at(fx, PAGE(32)));
	scan_turn(fx);
	guest_ack(fx, async);
	poll_tick(fx);
	assert_int_equal(block_pa(fx, async), 0);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 4);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 2, .errors_ao_scan = 3,
					     .records_written = 4, .records_max_queue = 3,
					     .irqs_raised = 4, .poisoned_pages = 4 });
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.scans, 2);
}

static void test_no_scan_without_a_hwpoison_type(void **state)
{
	struct fixture *fx = *state;
	uint64_t e = PAGEMAP_SWAPPED;   /* type 0: what an unprivileged reader sees */
	uint64_t idx = (uint64_t)(uintptr_t)at(fx, PAGE(36)) / (uint64_t)sysconf(_SC_PAGESIZE);
	struct ras_stats st;

	fake_pagemap(fx);
	start(fx);
	assert_int_equal(pwrite(fx->pagemap_fd, &e, sizeof(e), (off_t)(idx * 8)), 8);
	hwpoison_entry(fx, PAGE(37));
	ao_via_ring(fx, at(fx, PAGE(36)));
	scan_turn(fx);
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.hwpoison_swap_type, 0);
	assert_int_equal(st.scans, 0);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 1, .records_written = 1,
					     .irqs_raised = 1, .poisoned_pages = 1 });
}

static void test_reset_replaces_pages_no_signal_reported(void **state)
{
	struct fixture *fx = *state;
	uint64_t poisoned[4];

	fake_pagemap(fx);
	start(fx);
	memset(at(fx, PAGE(40)), 0xab, SZ_4K);
	memset(at(fx, PAGE(41)), 0xcd, SZ_4K);
	memset(at(fx, PAGE(42)), 0xef, SZ_4K);
	hwpoison_entry(fx, PAGE(40));
	hwpoison_entry(fx, PAGE(41));
	/* No AO at all; a vCPU touched page 41. */
	assert_int_equal(run_with_ar(fx, 0, PAGE(41)), 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 1);

	/* The reset learns the type from page 41 and finds page 40. */
	assert_int_equal(ras_reset(fx->r), 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 0);
	assert_int_equal(at(fx, PAGE(40))[0], 0);
	assert_int_equal(at(fx, PAGE(41))[0], 0);
	assert_int_equal(at(fx, PAGE(42))[0], 0xef);
	/* Found and replaced, but not reported to a guest being reset. */
	assert_int_equal(fx->irq.n, 0);
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .errors_ao_scan = 1,
					     .records_written = 1, .sea_injected = 1,
					     .poisoned_pages = 2, .pages_replaced = 2 });
}

/* AO reports still in the SIGBUS ring when the guest resets (a burst right
 * before a reboot) are taken by the reset: their pages are replaced with
 * the others, and the next boot is never told about a page that is fine. */
static void test_reset_takes_queued_ao_reports(void **state)
{
	struct fixture *fx = *state;
	uint64_t poisoned[4];

	start(fx);
	memset(at(fx, PAGE(44)), 0xab, SZ_4K);
	memset(at(fx, PAGE(45)), 0xcd, SZ_4K);
	/* Two AOs arrive; the event loop has not run before the reset. */
	send_mce(BUS_MCEERR_AO, at(fx, PAGE(44)), 12);
	send_mce(BUS_MCEERR_AO, at(fx, PAGE(45)), 12);
	assert_int_equal(ras_reset(fx->r), 0);
	assert_int_equal(at(fx, PAGE(44))[0], 0);
	assert_int_equal(at(fx, PAGE(45))[0], 0);
	/* The loop's turn after the reset finds nothing left to report. */
	assert_int_equal(fx->watch[0].cb(fx->watch[0].opaque, fx->watch[0].fd), 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 0);
	assert_int_equal(fx->irq.n, 0);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 2, .poisoned_pages = 2,
					     .pages_replaced = 2 });
}

/* A device's I/O failed on a buffer over pages 49-52; page 50 is poisoned
 * and nobody said so: it is proven (the probe faults), reported once on
 * the asynchronous source and counted; the good pages are not. */
static void test_io_error_reports_the_poisoned_page_once(void **state)
{
	struct fixture *fx = *state;
	uint64_t poisoned[4];
	unsigned async;

	start(fx);
	async = ghes_source_async(&fx->lay);
	memset(at(fx, PAGE(49)), 0x5a, SZ_4K);
	unreadable_page(fx, PAGE(50));
	assert_int_equal(ras_report_io_error(fx->r, PAGE(49) + 0x100, 3 * SZ_4K), 1);
	assert_int_equal(block_pa(fx, async), PAGE(50));
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 1);
	assert_int_equal(poisoned[0], PAGE(50));
	assert_int_equal(at(fx, PAGE(49))[0], 0x5a);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_io = 1, .records_written = 1,
					     .irqs_raised = 1, .poisoned_pages = 1 });

	/* Another failed request on it: poisoned, but the guest knows. */
	guest_ack(fx, async);
	assert_int_equal(ras_report_io_error(fx->r, PAGE(50) + 8, 512), 1);
	poll_tick(fx);
	assert_int_equal(block_pa(fx, async), 0);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	/* And the kernel's late AO signal for it reports nothing either. */
	ao_via_ring(fx, at(fx, PAGE(50)));
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 1, .errors_ao_io = 1,
					     .records_written = 1, .irqs_raised = 1,
					     .poisoned_pages = 1 });
}

/* A failed I/O alone proves nothing: good pages are not reported; a range
 * outside RAM or empty is refused. */
static void test_io_error_on_good_pages_reports_nothing(void **state)
{
	struct fixture *fx = *state;
	uint64_t poisoned[1];

	start(fx);
	assert_int_equal(ras_report_io_error(fx->r, PAGE(60), 8 * SZ_4K), 0);
	assert_int_equal(ras_report_io_error(fx->r, RAM_BASE + RAM_SIZE - 8, 16), -EINVAL);
	assert_int_equal(ras_report_io_error(fx->r, RAM_BASE - SZ_4K, SZ_4K), -EINVAL);
	assert_int_equal(ras_report_io_error(fx->r, PAGE(60), 0), -EINVAL);
	assert_int_equal(ras_report_io_error(fx->r, UINT64_MAX - 15, 32), -EINVAL);
	assert_int_equal(fx->irq.n, 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 0);
	expect_stats(fx, &(struct ras_stats){ 0 });
}

/* With a pagemap and a learned hwpoison type the entry decides: the type
 * proves a page poisoned without reading it, a present entry proves it
 * good (it is not read even though reading it would fault); an empty
 * entry leaves it to the probe. */
static void test_io_error_trusts_the_pagemap(void **state)
{
	struct fixture *fx = *state;
	unsigned async;

	fake_pagemap(fx);
	start(fx);
	async = ghes_source_async(&fx->lay);
	hwpoison_entry(fx, PAGE(70));
	ao_via_ring(fx, at(fx, PAGE(70)));	/* learns the type */
	assert_int_equal(block_pa(fx, async), PAGE(70));
	guest_ack(fx, async);

	hwpoison_entry(fx, PAGE(71));		/* readable here, poisoned there */
	present_entry(fx, PAGE(72));
	unreadable_page(fx, PAGE(72));
	unreadable_page(fx, PAGE(73));		/* empty entry: probed */
	assert_int_equal(ras_report_io_error(fx->r, PAGE(71), 3 * SZ_4K), 2);
	assert_int_equal(block_pa(fx, async), PAGE(71));
	guest_ack(fx, async);
	poll_tick(fx);
	assert_int_equal(block_pa(fx, async), PAGE(73));
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 3);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 1, .errors_ao_io = 2,
					     .records_written = 3, .records_max_queue = 1,
					     .irqs_raised = 3, .poisoned_pages = 3 });
}

/* A page a vCPU already took an SEA on is known to the guest: a failed
 * I/O on it counts it as poisoned and reports nothing more. */
static void test_io_error_after_ar_reports_nothing_more(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_int_equal(run_with_ar(fx, 0, PAGE(80)), 0);
	unreadable_page(fx, PAGE(80));
	assert_int_equal(ras_report_io_error(fx->r, PAGE(80), SZ_4K), 1);
	assert_int_equal(block_pa(fx, ghes_source_async(&fx->lay)), 0);
	assert_int_equal(fx->irq.n, 0);
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .records_written = 1,
					     .sea_injected = 1, .poisoned_pages = 1 });
}

/* ---- a lost 2 MiB huge page (si_addr_lsb 21) ---- */

/* The guest touches one page of a lost huge page: that page is reported
 * (SEA), the whole 2 MiB is poisoned. A touch of a neighbour in the same
 * huge page is KVM's next AR for the same huge page: it is a new error,
 * reported by the page touched, never the first page again and never
 * dropped as a repeat; a touch while the source is busy waits as usual. */
static void test_huge_ar_reports_each_page_touched(void **state)
{
	struct fixture *fx = *state;
	uint64_t poisoned[520];

	start(fx);
	assert_int_equal(run_with_huge_ar(fx, 0, HPAGE(5)), 0);
	assert_int_equal(block_pa(fx, 0), HPAGE(5));
	expect_sea_regs(fx, 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 512);
	assert_int_equal(poisoned[0], HBLOCK);
	assert_int_equal(poisoned[511], HPAGE(511));
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .records_written = 1,
					     .sea_injected = 1, .poisoned_pages = 512 });

	guest_ack(fx, 0);
	init_regs(fx);
	assert_int_equal(run_with_huge_ar(fx, 0, HPAGE(9)), 0);
	assert_int_equal(block_pa(fx, 0), HPAGE(9));
	expect_sea_regs(fx, 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 512);

	/* Another vCPU-0 touch before the ack: deferred, then delivered by
	 * its own page once the guest acks. */
	init_regs(fx);
	assert_int_equal(run_with_huge_ar(fx, 0, HPAGE(300)), 0);
	assert_int_equal(block_pa(fx, 0), HPAGE(9));
	assert_int_equal(fx->reg_writes[0], 0);
	guest_ack(fx, 0);
	assert_int_equal(run_with_huge_ar(fx, 0, HPAGE(300)), 0);
	assert_int_equal(block_pa(fx, 0), HPAGE(300));
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 3, .records_written = 3,
					     .records_retried = 1, .sea_injected = 3,
					     .poisoned_pages = 512, .lat_samples = 2 });
	/* No asynchronous record for the untouched pages. */
	assert_int_equal(fx->irq.n, 0);
	assert_int_equal(block_pa(fx, ghes_source_async(&fx->lay)), 0);
}

/* The kernel's AO for a huge page (naming its first page, as Linux 6.1
 * does) reports that page only; a later touch of another page is an SEA
 * for that page; a late AO for the same huge page reports nothing. */
static void test_huge_ao_reports_the_named_page_only(void **state)
{
	struct fixture *fx = *state;
	unsigned async;

	start(fx);
	async = ghes_source_async(&fx->lay);
	send_mce(BUS_MCEERR_AO, at(fx, HBLOCK), 21);
	assert_int_equal(fx->watch[0].cb(fx->watch[0].opaque, fx->watch[0].fd), 0);
	assert_int_equal(block_pa(fx, async), HBLOCK);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	expect_stats(fx, &(struct ras_stats){ .errors_ao_signal = 1, .records_written = 1,
					     .irqs_raised = 1, .poisoned_pages = 512 });

	assert_int_equal(run_with_huge_ar(fx, 1, HPAGE(77)), 0);
	assert_int_equal(block_pa(fx, ghes_source_sea(1)), HPAGE(77));
	expect_sea_regs(fx, 1);

	guest_ack(fx, async);
	send_mce(BUS_MCEERR_AO, at(fx, HPAGE(12)), 21);
	assert_int_equal(fx->watch[0].cb(fx->watch[0].opaque, fx->watch[0].fd), 0);
	poll_tick(fx);
	assert_int_equal(block_pa(fx, async), 0);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .errors_ao_signal = 2,
					     .records_written = 2, .sea_injected = 1,
					     .irqs_raised = 1, .poisoned_pages = 512 });
}

/* A failed I/O on a page of a lost huge page the guest was not told of
 * reports that page (asynchronous source); on the page it was told of,
 * nothing more. */
static void test_huge_io_error_reports_an_untold_page(void **state)
{
	struct fixture *fx = *state;
	unsigned async;

	start(fx);
	async = ghes_source_async(&fx->lay);
	assert_int_equal(run_with_huge_ar(fx, 0, HPAGE(5)), 0);
	unreadable_page(fx, HPAGE(5));
	unreadable_page(fx, HPAGE(20));
	assert_int_equal(ras_report_io_error(fx->r, HPAGE(5), SZ_4K), 1);
	assert_int_equal(fx->irq.n, 0);
	assert_int_equal(ras_report_io_error(fx->r, HPAGE(20) + 8, 64), 1);
	assert_int_equal(block_pa(fx, async), HPAGE(20));
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	/* Told now: a second failure on it reports nothing. */
	guest_ack(fx, async);
	assert_int_equal(ras_report_io_error(fx->r, HPAGE(20), 64), 1);
	poll_tick(fx);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .errors_ao_io = 1,
					     .records_written = 2, .sea_injected = 1,
					     .irqs_raised = 1, .poisoned_pages = 512 });
}

/* Reset after a lost huge page: every page of it is fresh memory again,
 * in one replacement of the whole backing page when RAM has 2 MiB pages
 * (mem.c's page_size, as the hugetlb backend sets it; the mapping here
 * stays anonymous, so no host pool is needed). */
static void test_huge_reset_replaces_the_whole_page(void **state)
{
	struct fixture *fx = *state;
	uint64_t poisoned[1];

	fx->mem->page_size = 2ULL << 20;
	start(fx);
	memset(at(fx, HBLOCK), 0xab, 2ULL << 20);
	memset(at(fx, PAGE(0)), 0xcd, SZ_4K);
	assert_int_equal(run_with_huge_ar(fx, 0, HPAGE(100)), 0);
	assert_int_equal(ras_reset(fx->r), 0);
	assert_int_equal(ras_get_poisoned(fx->r, poisoned, ARRAY_SIZE(poisoned)), 0);
	assert_int_equal(at(fx, HBLOCK)[0], 0);
	assert_int_equal(at(fx, HPAGE(100))[7], 0);
	assert_int_equal(at(fx, HPAGE(511))[SZ_4K - 1], 0);
	assert_int_equal(at(fx, PAGE(0))[0], 0xcd);   /* the other 2 MiB: kept */
	expect_stats(fx, &(struct ras_stats){ .errors_ar = 1, .records_written = 1,
					     .sea_injected = 1, .poisoned_pages = 512,
					     .pages_replaced = 512 });
	/* Next boot: the same page can fail again and is reported again. */
	ras_set_base(fx->r, BLOB_GPA);
	firmware_blob(fx);
	assert_int_equal(run_with_huge_ar(fx, 0, HPAGE(100)), 0);
	assert_int_equal(block_pa(fx, 0), HPAGE(100));
}

/* EINJ's record-only memory errors: on the asynchronous source with the
 * asked severity in both the status block and the data entry; a corrected
 * one says "correctable error valid"; the exact address is kept. */
static void test_post_mem_record_severities(void **state)
{
	struct fixture *fx = *state;
	unsigned async;
	uint8_t *blk;

	start(fx);
	async = ghes_source_async(&fx->lay);
	assert_int_equal(ras_post_mem_record(fx->r, PAGE(30) + 0x40, CPER_SEV_CORRECTED), 0);
	blk = at(fx, block_gpa(fx, async));
	assert_int_equal(get_le32(blk + CPER_OFF_BLOCK_STATUS), CPER_BLOCK_CE_VALID);
	assert_int_equal(get_le32(blk + 16), CPER_SEV_CORRECTED);	/* Error Severity */
	assert_int_equal(get_le32(blk + CPER_OFF_ENTRY + 16), CPER_SEV_CORRECTED);
	assert_int_equal(block_pa(fx, async), PAGE(30) + 0x40);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);

	/* Fatal: queued behind the read-ack, then written as fatal. */
	assert_int_equal(ras_post_mem_record(fx->r, PAGE(31), CPER_SEV_FATAL), 0);
	guest_ack(fx, async);
	poll_tick(fx);
	blk = at(fx, block_gpa(fx, async));
	assert_int_equal(get_le32(blk + CPER_OFF_BLOCK_STATUS), CPER_BLOCK_UE_VALID);
	assert_int_equal(get_le32(blk + 16), CPER_SEV_FATAL);
	assert_int_equal(block_pa(fx, async), PAGE(31));
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 2);

	/* Outside RAM or a bad severity: nothing written. */
	assert_int_equal(ras_post_mem_record(fx->r, RAM_BASE + RAM_SIZE, CPER_SEV_FATAL), -EINVAL);
	assert_int_equal(ras_post_mem_record(fx->r, PAGE(32), CPER_SEV_INFO + 1), -EINVAL);
	expect_stats(fx, &(struct ras_stats){ .errors_injected = 2, .records_written = 2,
					     .records_max_queue = 1, .irqs_raised = 2 });
}

/* EINJ's processor errors: an ARM processor error section naming the
 * vCPU's MPIDR, corrected or recoverable, on the asynchronous source. */
static void test_post_proc_record(void **state)
{
	struct fixture *fx = *state;
	unsigned async;
	uint8_t *blk;

	start(fx);
	async = ghes_source_async(&fx->lay);
	assert_int_equal(ras_post_proc_record(fx->r, 1, true), 0);
	blk = at(fx, block_gpa(fx, async));
	assert_int_equal(get_le32(blk + CPER_OFF_BLOCK_STATUS), CPER_BLOCK_CE_VALID);
	assert_int_equal(get_le32(blk + 16), CPER_SEV_CORRECTED);
	/* Section Type (UEFI N.2.2) of the data entry: ARM processor. */
	assert_memory_equal(blk + CPER_OFF_ENTRY, &cper_sec_proc_arm, 16);
	/* MPIDR (N.2.4.4 offset 16): vCPU 1, with its RES1 bit 31. */
	assert_int_equal(get_le64(blk + CPER_OFF_SECTION + 16), 0x80000001ull);
	assert_int_equal(cper_check_record(blk, CPER_STATUS_BLOCK_LEN + get_le32(blk + CPER_OFF_DATA_LENGTH)), 0);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);

	/* Uncorrectable non-fatal: queued behind the read-ack, recoverable. */
	assert_int_equal(ras_post_proc_record(fx->r, 0, false), 0);
	guest_ack(fx, async);
	poll_tick(fx);
	blk = at(fx, block_gpa(fx, async));
	assert_int_equal(get_le32(blk + CPER_OFF_BLOCK_STATUS), CPER_BLOCK_UE_VALID);
	assert_int_equal(get_le32(blk + 16), CPER_SEV_RECOVERABLE);
	assert_int_equal(get_le64(blk + CPER_OFF_SECTION + 16), 0x80000000ull);

	assert_int_equal(ras_post_proc_record(fx->r, NCPUS, true), -EINVAL);
}

static void test_create_rejects_inconsistent_deps(void **state)
{
	struct fixture *fx = *state;
	struct ras_deps d = make_deps(fx);

	d.ncpus = NCPUS + 1;   /* layout built for NCPUS */
	assert_null(ras_create(&d));
	d = make_deps(fx);
	d.get_reg = NULL;
	assert_null(ras_create(&d));
	assert_int_equal(fx->nwatch, 0);
}

/* ---- any record to any source (ras_post_record) ---- */

/* A corrected ARM processor error record naming 'pa'. */
static size_t arm_record(uint8_t *buf, size_t cap, uint64_t pa)
{
	struct cper_arm_error a = {
		.severity = CPER_SEV_CORRECTED,
		.valid = CPER_ARM_VALID_MPIDR,
		.mpidr = 0x80000000,
		.n_info = 1,
		.info = { { .valid = CPER_ARM_INFO_VALID_PA, .type = CPER_ARM_TYPE_CACHE, .pa = pa } },
	};
	size_t len = 0;

	assert_int_equal(cper_build_arm_error(buf, cap, &a, &len), 0);
	return len;
}

static void test_post_notifies_by_source_type(void **state)
{
	struct fixture *fx = *state;
	unsigned polled, gsiv, async;
	struct ras_stats st;
	uint8_t rec[256];
	size_t len = arm_record(rec, sizeof(rec), PAGE(3));

	start(fx);
	polled = (unsigned)ras_source_id(fx->r, RAS_SOURCE_POLLED, 0);
	gsiv = (unsigned)ras_source_id(fx->r, RAS_SOURCE_GSIV, 0);
	async = (unsigned)ras_source_id(fx->r, RAS_SOURCE_ASYNC, 0);
	assert_int_equal(polled, NCPUS + 1);
	assert_int_equal(gsiv, NCPUS + 2);
	assert_int_equal(async, NCPUS);
	assert_int_equal(ras_source_id(fx->r, RAS_SOURCE_SEA, 1), 1);
	assert_int_equal(ras_source_id(fx->r, RAS_SOURCE_SEA, NCPUS), -EINVAL);

	/* Polled: written, nobody interrupted. */
	assert_int_equal(ras_post_record(fx->r, polled, rec, len), 0);
	assert_memory_equal(at(fx, block_gpa(fx, polled)), rec, len);
	assert_int_equal(ack_value(fx, polled), 0);
	assert_int_equal(fx->irq.n, 0);
	assert_int_equal(fx->gsiv.n, 0);
	/* GSIV: written, one pulse of SPI 5 and nothing on the GED. */
	assert_int_equal(ras_post_record(fx->r, gsiv, rec, len), 0);
	assert_memory_equal(at(fx, block_gpa(fx, gsiv)), rec, len);
	assert_int_equal(irq_recorder_pulses(&fx->gsiv, IRQ_SPI_GHES_GSIV), 1);
	assert_int_equal(fx->irq.n, 0);
	/* Async: written, one pulse of the GED. */
	assert_int_equal(ras_post_record(fx->r, async, rec, len), 0);
	assert_memory_equal(at(fx, block_gpa(fx, async)), rec, len);
	assert_int_equal(irq_recorder_pulses(&fx->irq, IRQ_SPI_GED), 1);
	assert_int_equal(irq_recorder_pulses(&fx->gsiv, IRQ_SPI_GHES_GSIV), 1);
	/* No SEA anywhere. */
	assert_int_equal(fx->reg_writes[0] + fx->reg_writes[1], 0);
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.records_posted, 3);
	assert_int_equal(st.records_written, 3);
	assert_int_equal(st.irqs_raised, 2);
}

static void test_post_queues_behind_read_ack(void **state)
{
	struct fixture *fx = *state;
	uint8_t rec1[256], rec2[256], rec3[256];
	size_t len1 = arm_record(rec1, sizeof(rec1), PAGE(1));
	size_t len2 = arm_record(rec2, sizeof(rec2), PAGE(2));
	size_t len3 = arm_record(rec3, sizeof(rec3), PAGE(3));
	unsigned gsiv, polled;
	struct ras_stats st;

	start(fx);
	gsiv = ghes_source_gsiv(&fx->lay);
	polled = ghes_source_polled(&fx->lay);
	assert_int_equal(ras_post_record(fx->r, gsiv, rec1, len1), 0);
	assert_int_equal(ras_post_record(fx->r, gsiv, rec2, len2), 1);
	assert_int_equal(ras_post_record(fx->r, gsiv, rec3, len3), 1);
	assert_int_equal(ras_post_record(fx->r, polled, rec1, len1), 0);
	assert_int_equal(ras_post_record(fx->r, polled, rec2, len2), 1);
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.records_queued, 3);

	/* No ack yet: a tick changes nothing. */
	poll_tick(fx);
	assert_memory_equal(at(fx, block_gpa(fx, gsiv)), rec1, len1);
	assert_int_equal(irq_recorder_pulses(&fx->gsiv, IRQ_SPI_GHES_GSIV), 1);

	/* The guest acks both: the next of each goes out, GSIV pulses again. */
	guest_ack(fx, gsiv);
	guest_ack(fx, polled);
	poll_tick(fx);
	assert_memory_equal(at(fx, block_gpa(fx, gsiv)), rec2, len2);
	assert_memory_equal(at(fx, block_gpa(fx, polled)), rec2, len2);
	assert_int_equal(irq_recorder_pulses(&fx->gsiv, IRQ_SPI_GHES_GSIV), 2);
	assert_int_equal(fx->irq.n, 0);
	guest_ack(fx, gsiv);
	poll_tick(fx);
	assert_memory_equal(at(fx, block_gpa(fx, gsiv)), rec3, len3);
	assert_int_equal(irq_recorder_pulses(&fx->gsiv, IRQ_SPI_GHES_GSIV), 3);
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.records_queued, 0);
	assert_int_equal(st.records_written, 5);
	assert_int_equal(st.records_dropped, 0);
}

static void test_post_sea_from_the_main_thread(void **state)
{
	struct fixture *fx = *state;
	uint8_t rec1[256], rec2[256];
	size_t len1 = arm_record(rec1, sizeof(rec1), PAGE(1));
	size_t len2 = arm_record(rec2, sizeof(rec2), PAGE(2));
	struct ras_stats st;

	start(fx);
	/* Queued, not written: the poll timer delivers it on the vCPU. */
	assert_int_equal(ras_post_record(fx->r, ghes_source_sea(1), rec1, len1), 1);
	assert_int_equal(ras_post_record(fx->r, ghes_source_sea(1), rec2, len2), 1);
	assert_int_equal(get_le32(at(fx, block_gpa(fx, 1))), 0);
	assert_int_equal(fx->reg_writes[1], 0);
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.records_queued, 2);

	poll_tick(fx);
	assert_memory_equal(at(fx, block_gpa(fx, 1)), rec1, len1);
	assert_int_equal(fx->run_on_vcpu, 1);
	expect_sea_regs(fx, 1);
	/* Not acked: the second waits. */
	poll_tick(fx);
	assert_memory_equal(at(fx, block_gpa(fx, 1)), rec1, len1);
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.records_queued, 1);
	assert_int_equal(st.sea_injected, 1);

	/* Acked (and the SEA gap passed): the second goes out. */
	guest_ack(fx, 1);
	nanosleep(&(struct timespec){ 0, 25000000 }, NULL);
	poll_tick(fx);
	assert_memory_equal(at(fx, block_gpa(fx, 1)), rec2, len2);
	ras_get_stats(fx->r, &st);
	assert_int_equal(st.records_queued, 0);
	assert_int_equal(st.sea_injected, 2);
	assert_int_equal(st.records_posted, 2);
	assert_int_equal(st.records_dropped, 0);
	assert_int_equal(fx->irq.n + fx->gsiv.n, 0);
}

static void test_post_rejects_bad_records(void **state)
{
	struct fixture *fx = *state;
	uint8_t rec[256], *big;
	size_t len = arm_record(rec, sizeof(rec), PAGE(1));
	unsigned polled;

	start(fx);
	polled = ghes_source_polled(&fx->lay);
	assert_int_equal(ras_post_record(fx->r, fx->lay.nsources, rec, len), -EINVAL);
	assert_int_equal(ras_post_record(fx->r, polled, NULL, len), -EINVAL);
	/* data length one short: Linux would refuse it, so do we */
	put_le32(rec + 12, get_le32(rec + 12) - 1);
	assert_int_equal(ras_post_record(fx->r, polled, rec, len), -EINVAL);
	big = calloc(1, GHES_BLOCK_LEN + 1);
	assert_non_null(big);
	put_le32(big, 1);
	assert_int_equal(ras_post_record(fx->r, polled, big, GHES_BLOCK_LEN + 1), -EMSGSIZE);
	free(big);
	assert_int_equal(get_le32(at(fx, block_gpa(fx, polled))), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ar_on_vcpu0_writes_record_and_enters_sea),
		T(test_ar_waits_for_ack_then_delivers),
		T(test_ar_outside_ram_stops),
		T(test_inject_cper_ar_runs_on_the_vcpu),
		T(test_inject_rejects_bad_arguments),
		T(test_ao_from_sigbus_ring_pulses_once),
		T(test_post_notifies_by_source_type),
		T(test_post_queues_behind_read_ack),
		T(test_post_sea_from_the_main_thread),
		T(test_post_rejects_bad_records),
		T(test_ao_queue_delivers_in_order_after_acks),
		T(test_records_wait_for_the_base),
		T(test_inject_hwpoison_on_a_bad_page),
		T(test_reset_replaces_poisoned_pages),
		T(test_ao_burst_scan_finds_the_unsignalled_pages),
		T(test_no_scan_without_a_hwpoison_type),
		T(test_reset_replaces_pages_no_signal_reported),
		T(test_reset_takes_queued_ao_reports),
		T(test_io_error_reports_the_poisoned_page_once),
		T(test_io_error_on_good_pages_reports_nothing),
		T(test_io_error_trusts_the_pagemap),
		T(test_io_error_after_ar_reports_nothing_more),
		T(test_huge_ar_reports_each_page_touched),
		T(test_huge_ao_reports_the_named_page_only),
		T(test_huge_io_error_reports_an_untold_page),
		T(test_huge_reset_replaces_the_whole_page),
		T(test_post_mem_record_severities),
		T(test_post_proc_record),
		T(test_create_rejects_inconsistent_deps),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
