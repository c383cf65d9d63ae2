/* pvpanic MMIO device (QEMU docs/specs/pvpanic.rst): reading the register
 * gives the events the device understands, writing an event bit reports
 * it. Described as "qemu,pvpanic-mmio" in the device tree and as QEMU0001
 * in the DSDT, the two ids Linux's pvpanic-mmio driver matches. */
#include <errno.h>
#include <stdlib.h>

#include "acpi/aml.h"
#include "devices/pvpanic.h"
#include "fdt_writer.h"

#define PVPANIC_REG 0	/* the event register; offset 1 is reserved */

struct pvpanic {
	void (*event)(void *opaque, int event);
	void *opaque;
	uint64_t panicked, crash_loaded;	/* events seen (atomic) */
};

struct pvpanic *pvpanic_create(void (*event)(void *opaque, int event), void *opaque)
{
	struct pvpanic *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->event = event;
	p->opaque = opaque;
	return p;
}

void pvpanic_destroy(struct pvpanic *p)
{
	free(p);
}

static int pvpanic_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	*val = off == PVPANIC_REG ? PVPANIC_EVENTS : 0;
	return 0;
}

/* Runs on the writing vCPU's thread; the hook may stop the VM. */
static void pvpanic_report(struct pvpanic *p, int event, uint64_t *count)
{
	__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
	if (p->event)
		p->event(p->opaque, event);
}

static int pvpanic_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pvpanic *p = dev;

	if (off != PVPANIC_REG)
		return 0;
	/* Bits the device does not know are ignored (pvpanic.rst). */
	if (val & PVPANIC_PANICKED)
		pvpanic_report(p, DEV_GUEST_PANICKED, &p->panicked);
	if (val & PVPANIC_CRASH_LOADED)
		pvpanic_report(p, DEV_GUEST_CRASH_LOADED, &p->crash_loaded);
	return 0;
}

const struct bus_dev_ops pvpanic_bus_ops = {
	.name = "pvpanic",
	.sizes = BUS_SIZE_1,	/* the driver uses ioread8/iowrite8 */
	.read = pvpanic_read,
	.write = pvpanic_write,
};

/* Device tree node: QEMU's "qemu,pvpanic-mmio" binding, a reg and nothing
 * else (no interrupt). */
static int pvpanic_fdt(const struct device *d, const struct devlist *all, struct fdt_writer *w)
{
	const uint64_t reg[1][2] = { { d->base, d->size } };
	int r;

	if ((r = fdtw_begin_at(w, d->cls->name, d->base)) ||
	    (r = fdtw_string(w, "compatible", "qemu,pvpanic-mmio")) ||
	    (r = fdtw_reg(w, reg, 1)))
		return r;
	return fdtw_end(w);
}

/* DSDT: PVPN, _HID QEMU0001 with its MMIO window as a 32-bit fixed memory
 * range (ACPI 6.3 section 6.4.3.4). */
static void pvpanic_dsdt(const struct device *d, struct acpi_buf *b)
{
	struct aml_mark dev, crs;

	dev = aml_device_begin(b, "PVPN");
	aml_name_string(b, "_HID", "QEMU0001");
	aml_name_integer(b, "_UID", 0);
	aml_name(b, "_CRS");
	crs = aml_restemplate_begin(b);
	aml_memory32_fixed(b, true, (uint32_t)d->base, (uint32_t)d->size);
	aml_end(b, crs);
	aml_end(b, dev);
}

static int pvpanic_dev_create(struct device *d, const struct dev_env *env)
{
	d->opaque = pvpanic_create(env->guest_event, env->event_opaque);
	return d->opaque ? 0 : -ENOMEM;
}

static void pvpanic_dev_destroy(struct device *d)
{
	pvpanic_destroy(d->opaque);
}

/* query-vm: how many of each event the guest reported. */
static void pvpanic_stats(const struct device *d, struct dev_stats *st)
{
	const struct pvpanic *p = d->opaque;

	dev_stats_add(st, "panicked", __atomic_load_n(&p->panicked, __ATOMIC_RELAXED));
	dev_stats_add(st, "crash-loaded", __atomic_load_n(&p->crash_loaded, __ATOMIC_RELAXED));
}

const struct dev_class pvpanic_class = {
	.name = "pvpanic",
	.create = pvpanic_dev_create,
	.destroy = pvpanic_dev_destroy,
	.mmio = &pvpanic_bus_ops,
	.fdt = pvpanic_fdt,
	.dsdt = pvpanic_dsdt,
	.stats = pvpanic_stats,
};
