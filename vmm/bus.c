/* MMIO dispatch for KVM_EXIT_MMIO: binary search over sorted regions, access
 * width checks, and little-endian packing of the data bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "util.h"

struct bus *bus_create(void)
{
	return calloc(1, sizeof(struct bus));
}

void bus_destroy(struct bus *b)
{
	if (!b)
		return;
	free(b->regions);
	free(b);
}

int bus_register(struct bus *b, uint64_t base, uint64_t len,
		 const struct bus_dev_ops *ops, void *dev)
{
	struct bus_region *r;
	uint64_t end;
	unsigned i;

	if (!len || __builtin_add_overflow(base, len - 1, &end))
		return -EINVAL;
	for (i = 0; i < b->nregions; i++) {
		r = &b->regions[i];
		if (base <= r->base + r->len - 1 && r->base <= end)
			return -EEXIST;
	}
	r = realloc(b->regions, (b->nregions + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	b->regions = r;
	for (i = b->nregions; i > 0 && b->regions[i - 1].base > base; i--)
		b->regions[i] = b->regions[i - 1];
	b->regions[i] = (struct bus_region){ base, len, ops, dev };
	b->nregions++;
	return 0;
}

static struct bus_region *bus_find(struct bus *b, uint64_t addr)
{
	unsigned lo = 0, hi = b->nregions;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		struct bus_region *r = &b->regions[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int bus_access(struct bus *b, uint64_t addr, uint8_t *data, unsigned size, bool is_write)
{
	struct bus_region *r = bus_find(b, addr);
	uint64_t val = 0, off;
	unsigned i;
	int ret;

	if (size != 1 && size != 2 && size != 4 && size != 8) {
		ret = -EINVAL;
		goto bad;
	}
	if (!r) {
		__atomic_add_fetch(&b->unhandled, 1, __ATOMIC_RELAXED);
		ret = -ENODEV;
		goto bad;
	}
	off = addr - r->base;
	if (!(r->ops->sizes & (unsigned)size) || off + size > r->len) {
		ret = -EINVAL;
		goto bad;
	}
	if (is_write) {
		for (i = 0; i < size; i++)
			val |= (uint64_t)data[i] << (8 * i);
		ret = r->ops->write ? r->ops->write(r->dev, off, size, val) : -EPERM;
		if (ret)
			goto bad;
		return 0;
	}
	ret = r->ops->read ? r->ops->read(r->dev, off, size, &val) : -EPERM;
	if (ret)
		goto bad;
	for (i = 0; i < size; i++)
		data[i] = (uint8_t)(val >> (8 * i));
	return 0;

bad:
	pr_warn_rl("guest %s of %u bytes at 0x%" PRIx64 " %s%s: %s",
		   is_write ? "write" : "read", size, addr,
		   r ? "to " : "hits no device", r ? r->ops->name : "", strerror(-ret));
	/* KVM's data buffer holds 8 bytes: never clear more than that. */
	if (!is_write)
		memset(data, 0, MIN(size, 8u));
	return ret;
}
