/* The VM side of RAS (see vm_ras.h): KVM_{GET,SET}_ONE_REG for SEA
 * injection, vcpu_run_on() for work on a vCPU's thread, the GED SPI as the
 * notification interrupt, the main loop for the RAS fds, and the vCPU
 * hooks that feed ras_vcpu_before_run()/ras_vcpu_after_run(), and the
 * devices' failed-I/O reports (dev_env.report_poison), and the EINJ
 * device's injections (dev_env.einj_ops). */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "acpi/tables.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/regs.h"
#include "acpi/einj.h"
#include "devices/einj.h"
#include "control.h"
#include "devices/ged.h"
#include "log.h"
#include "loop.h"
#include "ras/cper.h"
#include "ras/ras.h"
#include "vcpu.h"
#include "vm.h"
#include "vm_ras.h"

/* The ONE_REG id of each register SEA injection touches. */
static uint64_t ras_reg_id(enum ras_reg reg)
{
	switch (reg) {
	case RAS_REG_PC:
		return ARM64_REG_PC;
	case RAS_REG_PSTATE:
		return ARM64_REG_PSTATE;
	case RAS_REG_VBAR_EL1:
		return ARM64_REG_VBAR_EL1;
	case RAS_REG_SCTLR_EL1:
		return ARM64_REG_SCTLR_EL1;
	case RAS_REG_ESR_EL1:
		return ARM64_REG_ESR_EL1;
	case RAS_REG_FAR_EL1:
		return ARM64_REG_FAR_EL1;
	case RAS_REG_ELR_EL1:
		return ARM64_REG_ELR_EL1;
	case RAS_REG_SPSR_EL1:
		return ARM64_REG_SPSR_EL1;
	case RAS_REG_ID_AA64MMFR1_EL1:
		return ARM64_SYS_REG(3, 0, 0, 7, 1);
	case RAS_REG_ID_AA64PFR1_EL1:
		return ARM64_SYS_REG(3, 0, 0, 4, 1);
	default:
		return 0;
	}
}

static int vm_ras_get_reg(void *opaque, unsigned vcpu, enum ras_reg reg, uint64_t *val)
{
	struct vm *vm = opaque;
	uint64_t id = ras_reg_id(reg);

	if (!id || vcpu >= vm->ncpus)
		return -EINVAL;
	return arm64_get_reg(vm->vcpus[vcpu].fd, id, val);
}

static int vm_ras_set_reg(void *opaque, unsigned vcpu, enum ras_reg reg, uint64_t val)
{
	struct vm *vm = opaque;
	uint64_t id = ras_reg_id(reg);

	if (!id || vcpu >= vm->ncpus)
		return -EINVAL;
	return arm64_set_reg(vm->vcpus[vcpu].fd, id, val);
}

struct ras_call {
	int (*fn)(void *arg);
	void *arg;
};

static int ras_call_on_vcpu(struct vcpu *v, void *arg)
{
	const struct ras_call *c = arg;

	return c->fn(c->arg);
}

static int vm_ras_run_on(void *opaque, unsigned vcpu, int (*fn)(void *arg), void *arg)
{
	struct vm *vm = opaque;
	struct ras_call c = { fn, arg };

	if (vcpu >= vm->ncpus)
		return -EINVAL;
	return vcpu_run_on(&vm->vcpus[vcpu], ras_call_on_vcpu, &c);
}

static int vm_ras_watch_fd(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	struct vm *vm = opaque;

	return loop_add_fd(vm->loop, fd, cb, cb_opaque);
}

/* The GED SPI, driven straight through the vGIC. */
static void vm_ras_irq_set(void *opaque, unsigned spi, int level)
{
	struct vm *vm = opaque;
	int ret = gic_set_spi(vm->gic, spi, level);

	if (ret)
		pr_warn_rl("cannot raise the RAS notification interrupt: %s", strerror(-ret));
}

static void vm_ras_before_run(void *opaque, struct vcpu *v)
{
	ras_vcpu_before_run(opaque, v->index, &v->in_run);
}

static int vm_ras_after_run(void *opaque, struct vcpu *v)
{
	return ras_vcpu_after_run(opaque, v->index);
}

/* ras_deps.event: MEMORY_FAILURE (QEMU's members, then the page, how it
 * was found and what was done) or RAS_QUEUE_FULL on the control socket. */
static void vm_ras_event(void *opaque, const struct ras_event *e)
{
	struct vm *vm = opaque;
	struct control_event ev;

	if (e->queue_full) {
		ev = (struct control_event){
			.type = CONTROL_EV_RAS_QUEUE_FULL,
			.qfull = { .source = e->source, .address = e->gpa, .queued = e->queued },
		};
		vm_post_event(vm, &ev);
		return;
	}
	ev = (struct control_event){
		.type = CONTROL_EV_MEMORY_FAILURE,
		.mf = {
			.recipient = e->guest ? "guest" : "hypervisor",
			.action = e->fatal ? "fatal" : e->told ? "inject" : "ignore",
			.action_required = e->kind == RAS_KIND_AR,
			.has_address = e->guest,
			.address = e->gpa,
			.found = e->found,
			.delivery = e->delivery,
			.vcpu = e->vcpu,
		},
	};
	vm_post_event(vm, &ev);
}

int vm_ras_report_poison(void *opaque, uint64_t gpa, uint64_t len)
{
	struct vm *vm = opaque;

	return vm->ras ? ras_report_io_error(vm->ras, gpa, len) : 0;
}

static uint64_t vm_einj_param_area(void *opaque)
{
	struct vm *vm = opaque;
	uint64_t base = __atomic_load_n(&vm->hw_errors_gpa, __ATOMIC_ACQUIRE);

	if (!base || !vm->acpi || !vm->acpi->einj_param_off)
		return 0;
	return base + vm->acpi->einj_param_off;
}

static int vm_einj_mem_poison(void *opaque, uint64_t gpa)
{
	struct vm *vm = opaque;

	/* As AR: the guest learns of the page through the SEA when it touches
	 * it, not at once through the asynchronous source. */
	return vm->ras ? ras_inject(vm->ras, gpa, RAS_INJECT_HWPOISON, RAS_KIND_AR, 0) : -ENODEV;
}

static int vm_einj_mem_record(void *opaque, uint64_t gpa, bool fatal)
{
	struct vm *vm = opaque;

	if (!vm->ras)
		return -ENODEV;
	return ras_post_mem_record(vm->ras, gpa, fatal ? CPER_SEV_FATAL : CPER_SEV_CORRECTED);
}

static int vm_einj_proc_record(void *opaque, uint32_t type, uint32_t proc)
{
	struct vm *vm = opaque;

	if (!vm->ras)
		return -ENODEV;
	/* Our MADT gives vCPU n the ACPI Processor UID n. */
	return ras_post_proc_record(vm->ras, proc, type == EINJ_TYPE_PROC_CORRECTABLE);
}

const struct einj_ops vm_einj_ops = {
	.param_area = vm_einj_param_area,
	.mem_poison = vm_einj_mem_poison,
	.mem_record = vm_einj_mem_record,
	.proc_record = vm_einj_proc_record,
};

int vm_ras_create(struct vm *vm)
{
	/* The asynchronous source's notification: the board's GED interrupt. */
	const struct device *ged = devlist_find(&vm->devs, &ged_class);
	const struct ras_deps deps = {
		.ncpus = vm->ncpus,
		.mem = vm->mem,
		.layout = &vm->acpi->ghes,
		.notify_irq = { vm_ras_irq_set, vm, ged ? (unsigned)ged->spi : 0 },
		.gsiv_irq = { vm_ras_irq_set, vm, IRQ_SPI_GHES_GSIV },
		.watch_fd = vm_ras_watch_fd,
		.run_on_vcpu = vm_ras_run_on,
		.get_reg = vm_ras_get_reg,
		.set_reg = vm_ras_set_reg,
		.event = vm_ras_event,
		.opaque = vm,
	};
	struct vcpu_hooks hooks = { vm_ras_before_run, vm_ras_after_run, NULL };
	unsigned i;
	int ret;

	if (!ged) {
		pr_err("--ras: the board has no GED for RAS notifications");
		return -ENODEV;
	}
	vm->ras = ras_create(&deps);
	if (!vm->ras)
		return -ENOMEM;
	hooks.opaque = vm->ras;
	for (i = 0; i < vm->ncpus; i++) {
		ret = vcpu_add_hooks(&vm->vcpus[i], &hooks);
		if (ret) {
			pr_err("cannot hook RAS into vCPU %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}
