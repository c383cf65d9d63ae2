/* ACPI EINJ register block (ACPI 6.5 section 18.6; layout in acpi/einj.h):
 * the state machine a guest's EINJ driver runs (BEGIN_INJECTION_OPERATION,
 * SET_ERROR_TYPE or the SET_ERROR_TYPE_WITH_ADDRESS structure in guest RAM,
 * EXECUTE_OPERATION, CHECK_BUSY_STATUS, GET_COMMAND_STATUS,
 * GET_TRIGGER_ERROR_ACTION_TABLE, END_OPERATION). EXECUTE_OPERATION calls
 * back into the VM through struct einj_ops: the device knows no KVM and no
 * RAS internals. Listed by the board with --ras only. */
#ifndef MVR_DEVICES_EINJ_H
#define MVR_DEVICES_EINJ_H

#include <stdbool.h>
#include <stdint.h>

#include "bus_dev.h"
#include "devices/device.h"
#include "guest_mem.h"

/* What an injection does, provided by the VM (vm_ras.c) or a test. Each
 * returns 0, -EINVAL / -EFAULT for an address the VM will not inject at (not
 * guest RAM: the guest gets INVALID_ACCESS) or another -errno (UNKNOWN_FAILURE).
 * Called on the thread of the vCPU that wrote EXECUTE_OPERATION. A NULL
 * injection hook withdraws its error types from GET_ERROR_TYPE. */
struct einj_ops {
	/* Guest physical address of the parameter area (acpi/einj.h:
	 * SET_ERROR_TYPE_WITH_ADDRESS structure + trigger table) in guest RAM,
	 * or 0 while the firmware has not placed it. */
	uint64_t (*param_area)(void *opaque);
	/* Memory uncorrectable non-fatal (0x10): make the memory at 'gpa' bad
	 * for real; the guest finds out when it next touches it. */
	int (*mem_poison)(void *opaque, uint64_t gpa);
	/* Memory correctable (0x8, fatal false) or uncorrectable fatal (0x20,
	 * fatal true): an error record only, memory stays good. */
	int (*mem_record)(void *opaque, uint64_t gpa, bool fatal);
	/* Processor correctable (0x1) / uncorrectable non-fatal (0x2) on
	 * processor 'proc' (ACPI Processor UID; 0 when the guest named none):
	 * a record only. */
	int (*proc_record)(void *opaque, uint32_t type, uint32_t proc);
};

struct einj;

/* 32- and 64-bit accesses, naturally aligned (a 32-bit read of a
 * register's upper half gives bits 63:32). */
extern const struct bus_dev_ops einj_bus_ops;
/* No FDT node and no DSDT device: the EINJ table (acpi/tables.c) describes
 * it. create() takes dev_env's einj_ops (required) and guest memory. */
extern const struct dev_class einj_class;

/* State calling 'ops' with 'opaque', reading the parameter area through
 * 'gm'. NULL when out of memory. */
struct einj *einj_create(const struct einj_ops *ops, void *opaque, const struct guest_mem *gm);
void einj_destroy(struct einj *e);
/* Back to power-on state (guest reset): no operation open, status success. */
void einj_reset(struct einj *e);
/* The EINJ_TYPE_* bits GET_ERROR_TYPE reports (from the hooks present). */
uint32_t einj_supported_types(const struct einj *e);

#endif
