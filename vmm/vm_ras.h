/* Wiring of the RAS module into the VM: builds struct ras_deps from the
 * VM's RAM, GHES layout, event loop, vGIC and vCPUs, and registers the RAS
 * before/after-run hooks on every vCPU. Keeps vm.c and vcpu.c free of RAS
 * internals. */
#ifndef MVR_VM_RAS_H
#define MVR_VM_RAS_H

struct vm;

/* Create vm->ras (firmware boot: needs vm->mem, vm->acpi, vm->gic,
 * vm->loop and the vCPUs) and hook it into the vCPU loops. Returns 0 or
 * -errno after logging. */
int vm_ras_create(struct vm *vm);

/* struct dev_env's report_poison with opaque = the struct vm: hands a
 * device's failed I/O buffer to ras_report_io_error() once vm->ras exists
 * (devices are created before it; they do I/O only after). */
int vm_ras_report_poison(void *opaque, uint64_t gpa, uint64_t len);

/* struct dev_env's einj_ops with opaque = the struct vm (--ras): the EINJ
 * device's injections. Uncorrectable non-fatal memory poisons the host page
 * (ras_inject, MADV_HWPOISON, reported when the guest touches it);
 * correctable and fatal memory post a record on the asynchronous source
 * (ras_post_mem_record); processor types are not offered (no ARM processor
 * record builder yet). The parameter area is etc/hardware_errors' tail, once
 * the firmware has said where that blob is. */
extern const struct einj_ops vm_einj_ops;

#endif
