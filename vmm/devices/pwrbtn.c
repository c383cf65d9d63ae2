/* Power button for system_powerdown: a Generic Event Device (ACPI 6.3
 * section 5.6.9, _HID ACPI0013) whose edge interrupt runs _EVT, which
 * notifies a control method Power Button Device (chapter 4, "Control
 * Method Power Button", PNP0C0C). Linux's button driver turns the notification into KEY_POWER;
 * the guest's userspace (acpid, logind) then shuts down. The RAS GED
 * (ged.c) is a separate device with its own interrupt, so neither _EVT has
 * to tell the two events apart. */
#include "acpi/aml.h"
#include "arch/arm64/memmap.h"
#include "devices/pwrbtn.h"

static void pwrbtn_dsdt(const struct device *d, struct acpi_buf *b)
{
	struct aml_mark dev, crs, evt;

	/* Generic Event Device: _HID, a _UID distinct from the RAS GED's 0,
	 * _CRS with one Extended Interrupt (section 6.4.3.6), _EVT(Arg0 =
	 * the GSI that fired). */
	dev = aml_device_begin(b, "GEDP");
	aml_name_string(b, "_HID", "ACPI0013");
	aml_name_integer(b, "_UID", 1);
	aml_name(b, "_CRS");
	crs = aml_restemplate_begin(b);
	aml_ext_interrupt(b, true, false, IRQ_SPI_TO_GSI((unsigned)d->spi)); /* edge, active-high */
	aml_end(b, crs);
	evt = aml_method_begin(b, "_EVT", 1, true);
	aml_notify(b, "\\_SB.PWRB", PWRBTN_NOTIFY);
	aml_end(b, evt);
	aml_end(b, dev);

	/* Power Button Device: _HID (EISAID PNP0C0C), _UID. */
	dev = aml_device_begin(b, "PWRB");
	aml_name_eisaid(b, "_HID", "PNP0C0C");
	aml_name_integer(b, "_UID", 0);
	aml_end(b, dev);
}

const struct dev_class pwrbtn_class = {
	.name = "power-button",
	.dsdt = pwrbtn_dsdt,
};
