/* pvpanic, MMIO flavour (QEMU's docs/specs/pvpanic.rst; Linux's
 * pvpanic-mmio driver): a guest kernel reports its panic by writing an
 * event bit to a one-byte register. The VM hears of it through
 * dev_env.guest_event and decides (--on-panic exit|pause). */
#ifndef MVR_PVPANIC_H
#define MVR_PVPANIC_H

#include <stdint.h>

#include "bus_dev.h"
#include "devices/device.h"

/* Event bits of the register (pvpanic.rst "Bit Definition"). */
#define PVPANIC_PANICKED     (1u << 0)	/* panicked: the host acts */
#define PVPANIC_CRASH_LOADED (1u << 1)	/* panicked: a crash kernel takes over */
/* What a read returns: the events this device understands. */
#define PVPANIC_EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic;

/* Byte accesses; offset 0 is the event register, offset 1 of the 2-byte
 * window reads as zero and ignores writes. A write of an event byte calls
 * the guest_event hook once per understood bit set (PANICKED first);
 * unknown bits are ignored, as the spec asks. */
extern const struct bus_dev_ops pvpanic_bus_ops;
/* Describes itself: FDT node "pvpanic@BASE" (compatible
 * "qemu,pvpanic-mmio", reg) and DSDT device PVPN (_HID "QEMU0001",
 * Memory32Fixed window); no interrupt. */
extern const struct dev_class pvpanic_class;

/* State reporting to 'event(opaque, enum dev_guest_event)' (NULL: events
 * are only counted). Returns NULL when out of memory. */
struct pvpanic *pvpanic_create(void (*event)(void *opaque, int event), void *opaque);
void pvpanic_destroy(struct pvpanic *p);

#endif
