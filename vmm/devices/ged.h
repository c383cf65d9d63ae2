/* The RAS notification pair in the DSDT: a Generic Event Device whose
 * interrupt the VMM pulses after writing a record on the asynchronous
 * (GPIO-signal) GHES source, and the Hardware Error Device its _EVT
 * notifies. No MMIO window: the VMM drives only the interrupt, through the
 * irq_line handed to the RAS runtime. */
#ifndef MVR_GED_H
#define MVR_GED_H

#include "devices/device.h"

/* Notify value the GED's _EVT sends to the Hardware Error Device (ACPI 6.3
 * section 18.3.2.7.2: "0x80 ... error status block(s) have new data"). */
#define GED_HED_NOTIFY 0x80

extern const struct dev_class ged_class;

#endif
