/* Wiring of the control socket into the VM: what the command handlers may
 * see and do (struct control_env callbacks over struct vm) and the event
 * loop they are served from. Keeps vm.c and the control module apart. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "loop.h"
#include "mem.h"
#include "ras/ras.h"
#include "vcpu.h"
#include "vm.h"
#include "vm_control.h"

/* ---- what the control socket may see and do (struct control_env) ---- */

static int vm_ctl_inject_memory_error(void *opaque, uint64_t gpa, enum ras_inject_mode mode,
				      enum ras_kind kind, unsigned vcpu)
{
	struct vm *vm = opaque;

	return ras_inject(vm->ras, gpa, mode, kind, vcpu);
}

static int vm_ctl_post_error(void *opaque, enum ras_source_kind kind, unsigned vcpu,
			     const uint8_t *rec, size_t len)
{
	struct vm *vm = opaque;
	int source = ras_source_id(vm->ras, kind, vcpu);

	if (source < 0)
		return source;
	return ras_post_record(vm->ras, (unsigned)source, rec, len);
}

static void vm_ctl_ras_stats(void *opaque, struct ras_stats *st)
{
	struct vm *vm = opaque;

	ras_get_stats(vm->ras, st);
}

static size_t vm_ctl_ras_poisoned(void *opaque, uint64_t *out, size_t max)
{
	struct vm *vm = opaque;

	return ras_get_poisoned(vm->ras, out, max);
}

/* control_env.inject_serror: CONTROL_SERROR_NO_ESR asks for no syndrome. */
static int vm_ctl_inject_serror(void *opaque, unsigned vcpu, uint64_t esr)
{
	struct vm *vm = opaque;
	bool has_esr = esr != CONTROL_SERROR_NO_ESR;

	if (vcpu >= vm->ncpus)
		return -EINVAL;
	return vcpu_inject_serror(&vm->vcpus[vcpu], has_esr, has_esr ? (uint32_t)esr : 0);
}

static bool vm_ctl_running(void *opaque)
{
	struct vm *vm = opaque;

	return __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE) == VM_RUNNING;
}

static bool vm_ctl_paused(void *opaque)
{
	struct vm *vm = opaque;

	return __atomic_load_n(&vm->paused, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE) == VM_RUNNING;
}

static unsigned vm_ctl_boots(void *opaque)
{
	struct vm *vm = opaque;

	return vm->boots;
}

static uint64_t vm_ctl_hw_errors_gpa(void *opaque)
{
	struct vm *vm = opaque;

	return __atomic_load_n(&vm->hw_errors_gpa, __ATOMIC_ACQUIRE);
}

static void vm_ctl_vcpu_exits(void *opaque, unsigned vcpu, uint64_t *exits,
			      uint64_t *mmio_exits)
{
	struct vm *vm = opaque;

	/* Written by the vCPU threads; a relaxed snapshot is enough. */
	*exits = __atomic_load_n(&vm->vcpus[vcpu].exits, __ATOMIC_RELAXED);
	*mmio_exits = __atomic_load_n(&vm->vcpus[vcpu].mmio_exits, __ATOMIC_RELAXED);
}

/* control_env.devices: the board's list with each class's counters. */
static size_t vm_ctl_devices(void *opaque, struct control_device *out, size_t max)
{
	struct vm *vm = opaque;
	const struct devlist *l = &vm->devs;
	size_t i;

	for (i = 0; i < l->n && i < max; i++) {
		const struct device *d = &l->dev[i];

		out[i] = (struct control_device){
			.name = d->cls->name, .base = d->base, .size = d->size, .spi = d->spi,
		};
		if (d->cls->stats && d->opaque)
			d->cls->stats(d, &out[i].st);
		if (out[i].st.model)
			out[i].name = out[i].st.model;
	}
	return l->n;
}

/* 'quit': its own exit status (EXIT_QUIT). */
static void vm_ctl_request_stop(void *opaque)
{
	vm_request_stop(opaque, VM_STOP_QUIT);
}

/* 'system_reset': a reboot the host asked for (RESET event, reason
 * host-qmp-system-reset). */
static void vm_ctl_request_reset(void *opaque)
{
	vm_request_stop(opaque, VM_STOP_HOST_RESET);
}

/* 'system_powerdown': the ACPI power button. */
static int vm_ctl_request_powerdown(void *opaque)
{
	return vm_press_power_button(opaque);
}

static int vm_ctl_watch(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	return loop_add_fd(opaque, fd, cb, cb_opaque);
}

static void vm_ctl_unwatch(void *opaque, int fd)
{
	loop_remove_fd(opaque, fd);
}

struct control *vm_create_control(struct vm *vm)
{
	const struct control_env env = {
		.opaque = vm,
		.ncpus = vm->ncpus,
		.ram_base = vm->mem->ram_base,
		.ram_size = vm->mem->ram_size,
		.firmware = vm->cfg->firmware != NULL,
		.inject_memory_error = vm->ras ? vm_ctl_inject_memory_error : NULL,
		.post_error = vm->ras ? vm_ctl_post_error : NULL,
		.ras_stats = vm->ras ? vm_ctl_ras_stats : NULL,
		.ras_poisoned = vm->ras ? vm_ctl_ras_poisoned : NULL,
		.inject_serror = vm_ctl_inject_serror,
		.running = vm_ctl_running,
		.paused = vm_ctl_paused,
		.boots = vm_ctl_boots,
		.hw_errors_gpa = vm_ctl_hw_errors_gpa,
		.vcpu_exits = vm_ctl_vcpu_exits,
		.devices = vm_ctl_devices,
		.request_stop = vm_ctl_request_stop,
		.request_reset = vm_ctl_request_reset,
		.request_powerdown = vm_ctl_request_powerdown,
	};
	const struct control_watch watch = {
		.opaque = vm->loop,
		.add = vm_ctl_watch,
		.remove = vm_ctl_unwatch,
	};

	return control_create(&env, &watch, vm->cfg->api_socket);
}
