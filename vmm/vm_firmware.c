/* Firmware boot wiring: flash banks, fw_cfg items and the ACPI blobs. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "vm.h"
#include "vm_firmware.h"

int vm_firmware_create(struct vm *vm)
{
	pr_err("firmware boot is not available in this build yet; use --no-firmware");
	return -ENOTSUP;
}

void vm_firmware_destroy(struct vm *vm)
{
}

int vm_firmware_boot_prepare(struct vm *vm)
{
	return -ENOTSUP;
}
