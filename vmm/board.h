/* The platform: which devices a configuration has and where (memmap.h
 * chooses every address and interrupt). board_describe() fills the one
 * device list that the MMIO bus, the device tree and the DSDT walk; it
 * needs no KVM, so dump-dtb and dump-acpi describe exactly what run does. */
#ifndef MVR_BOARD_H
#define MVR_BOARD_H

#include "devices/device.h"
#include "vm_config.h"

/* Fill 'l' (initialised here) for 'cfg'; instance state is attached later
 * by vm_create (devlist_attach). Returns 0 or a devlist_add error. */
int board_describe(const struct vm_config *cfg, struct devlist *l);

#endif
