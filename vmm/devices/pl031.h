/* ARM PrimeCell RTC PL031 (DDI0224): wall-clock seconds from the host. */
#ifndef MVR_PL031_H
#define MVR_PL031_H

#include "bus_dev.h"
#include "devices/device.h"
#include "irq.h"

struct pl031;

extern const struct bus_dev_ops pl031_bus_ops;
/* Describes itself: FDT node "pl031@BASE" (arm,pl031 binding); no DSDT
 * entry (the guest takes the time from UEFI under ACPI). */
extern const struct dev_class pl031_class;

struct pl031 *pl031_create(struct irq_line irq);
void pl031_destroy(struct pl031 *r);

#endif
