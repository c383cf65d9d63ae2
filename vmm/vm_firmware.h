/* Firmware boot (DESIGN.md section 1): edk2 in flash bank 0, the variable
 * store in bank 1, fw_cfg with the kernel and the ACPI tables. Called from
 * vm.c only; all of it is skipped with --no-firmware. */
#ifndef MVR_VM_FIRMWARE_H
#define MVR_VM_FIRMWARE_H

#include <errno.h>

#include "log.h"

struct vm;

struct vm_config;

/* A firmware file's size is a multiple of this (flash erase blocks). */
#define FIRMWARE_SIZE_ALIGN 4096u

#ifdef CONFIG_FWCFG

/* Early, before KVM: the firmware (and --vars) files are usable. Logs one
 * error line and returns -errno otherwise. */
int vm_firmware_check(const struct vm_config *cfg);

/* After the bus exists: load the firmware, create flash and fw_cfg, build
 * ACPI. Logs one error line and returns -errno on failure. */
int vm_firmware_create(struct vm *vm);
void vm_firmware_destroy(struct vm *vm);

/* At every power-on: DTB at the start of RAM, vCPU 0 at the reset vector. */
int vm_firmware_boot_prepare(struct vm *vm);

#else /* !CONFIG_FWCFG: edk2 cannot load the kernel; only --no-firmware boots */

static inline int vm_firmware_check(const struct vm_config *cfg)
{
	pr_err("firmware boot is not available: this build has CONFIG_FWCFG disabled (use --no-firmware)");
	return -ENOTSUP;
}
static inline int vm_firmware_create(struct vm *vm) { return -ENOTSUP; }
static inline void vm_firmware_destroy(struct vm *vm) { }
static inline int vm_firmware_boot_prepare(struct vm *vm) { return -ENOTSUP; }

#endif /* CONFIG_FWCFG */

#endif
