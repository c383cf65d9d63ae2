/* The ACPI power button: a Generic Event Device whose interrupt the VMM
 * pulses for system_powerdown, and the Power Button Device its _EVT
 * notifies, as QEMU's virt machine describes its power button. DSDT only
 * (no MMIO window); the VMM drives the interrupt (vm_press_power_button). */
#ifndef MVR_PWRBTN_H
#define MVR_PWRBTN_H

#include "devices/device.h"

/* Notify value for a control method power button, "button pressed"
 * (ACPI 6.3 chapter 4, "Control Method Power Button"; section 5.6.6,
 * device-specific notification values from 0x80). */
#define PWRBTN_NOTIFY 0x80

extern const struct dev_class pwrbtn_class;

#endif
