/* The platform's device list: registration checks, lookup, and the walks
 * that put every device on the MMIO bus, into the device tree and into the
 * DSDT. Pure: no KVM. */
#include <errno.h>

#include "bus.h"
#include "devices/device.h"

void devlist_init(struct devlist *l)
{
	l->n = 0;
	l->console = -1;
	l->input = -1;
}

int devlist_add(struct devlist *l, const struct dev_class *cls, uint64_t base, uint64_t size,
		int spi)
{
	uint64_t end = 0;
	unsigned i;

	if (!cls || (size && __builtin_add_overflow(base, size - 1, &end)))
		return -EINVAL;
	for (i = 0; i < l->n; i++) {
		const struct device *o = &l->dev[i];

		if (size && o->size && base <= o->base + (o->size - 1) && o->base <= end)
			return -EEXIST;
	}
	if (l->n == DEVLIST_MAX)
		return -ENOSPC;
	l->dev[l->n] = (struct device){ .cls = cls, .base = base, .size = size, .spi = spi };
	return (int)l->n++;
}

const struct device *devlist_find(const struct devlist *l, const struct dev_class *cls)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (l->dev[i].cls == cls)
			return &l->dev[i];
	return NULL;
}

const struct device *devlist_console(const struct devlist *l)
{
	return l->console >= 0 && (unsigned)l->console < l->n ? &l->dev[l->console] : NULL;
}

int devlist_set_console(struct devlist *l, int index)
{
	if (index < 0 || (unsigned)index >= l->n)
		return -EINVAL;
	l->console = index;
	return 0;
}

const struct device *devlist_input(const struct devlist *l)
{
	if (l->input >= 0 && (unsigned)l->input < l->n)
		return &l->dev[l->input];
	return devlist_console(l);
}

int devlist_set_input(struct devlist *l, int index)
{
	if (index < 0 || (unsigned)index >= l->n)
		return -EINVAL;
	l->input = index;
	return 0;
}

int devlist_attach(struct devlist *l, const struct dev_class *cls, void *opaque)
{
	unsigned i;

	for (i = 0; i < l->n; i++) {
		if (l->dev[i].cls == cls && !l->dev[i].opaque) {
			l->dev[i].opaque = opaque;
			return 0;
		}
	}
	return -ENOENT;
}

int devlist_register(const struct devlist *l, struct bus *bus)
{
	unsigned i;
	int ret;

	for (i = 0; i < l->n; i++) {
		const struct device *d = &l->dev[i];

		if (!d->cls->mmio || !d->size)
			continue;
		if (!d->opaque)
			return -EINVAL;
		ret = bus_register(bus, d->base, d->size, d->cls->mmio, d->opaque);
		if (ret)
			return ret;
	}
	return 0;
}

int devlist_write_fdt(const struct devlist *l, struct fdt_writer *w)
{
	unsigned i;
	int ret;

	for (i = 0; i < l->n; i++) {
		if (!l->dev[i].cls->fdt)
			continue;
		ret = l->dev[i].cls->fdt(&l->dev[i], l, w);
		if (ret)
			return ret;
	}
	return 0;
}

void devlist_write_dsdt(const struct devlist *l, struct acpi_buf *b)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (l->dev[i].cls->dsdt)
			l->dev[i].cls->dsdt(&l->dev[i], b);
}

int devlist_create(struct devlist *l, const struct dev_env *env)
{
	unsigned i;
	int ret;

	for (i = 0; i < l->n; i++) {
		struct device *d = &l->dev[i];

		if (!d->cls->create || d->opaque)
			continue;
		ret = d->cls->create(d, env);
		if (ret)
			return ret;
	}
	return 0;
}

void devlist_destroy(struct devlist *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++) {
		struct device *d = &l->dev[i];

		if (d->cls->destroy && d->opaque) {
			d->cls->destroy(d);
			d->opaque = NULL;
		}
	}
}

void devlist_reset(struct devlist *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (l->dev[i].cls->reset && l->dev[i].opaque)
			l->dev[i].cls->reset(&l->dev[i]);
}
