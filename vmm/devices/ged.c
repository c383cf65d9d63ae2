/* Generic Event Device (ACPI 6.3 section 5.6.9, _HID ACPI0013) and Hardware
 * Error Device (section 18.3.2.7.2, PNP0C33) for the asynchronous GHES
 * source: the GED's edge interrupt runs _EVT, which notifies the HED, and
 * Linux's HED notifier then reads the GPIO-signal error source. The GED
 * has a second interrupt, the GHES GSIV source's (its HEST Vector): Linux
 * reads GSIV sources on the same HED notification. */
#include "acpi/aml.h"
#include "arch/arm64/memmap.h"
#include "devices/ged.h"

static void ged_dsdt(const struct device *d, struct acpi_buf *b)
{
	struct aml_mark dev, crs, evt;

	dev = aml_device_begin(b, "GED0");
	aml_name_string(b, "_HID", "ACPI0013");
	aml_name_integer(b, "_UID", 0);
	aml_name(b, "_CRS");
	crs = aml_restemplate_begin(b);
	aml_ext_interrupt(b, true, false, IRQ_SPI_TO_GSI((unsigned)d->spi)); /* edge, active-high */
	aml_ext_interrupt(b, true, false, IRQ_SPI_TO_GSI(IRQ_SPI_GHES_GSIV));  /* GSIV source */
	aml_end(b, crs);
	evt = aml_method_begin(b, "_EVT", 1, true);	/* Arg0 = GSI */
	aml_notify(b, "\\_SB.HED0", GED_HED_NOTIFY);
	aml_end(b, evt);
	aml_end(b, dev);

	dev = aml_device_begin(b, "HED0");
	aml_name_eisaid(b, "_HID", "PNP0C33");
	aml_name_integer(b, "_UID", 0);
	aml_end(b, dev);
}

const struct dev_class ged_class = {
	.name = "ged",
	.dsdt = ged_dsdt,
};
