/* The MMIO bus: an ordered table of device regions. Regions are registered
 * while the VM is built, before any vCPU runs, and never removed while vCPUs
 * run, so lookups need no lock. The bus rejects overlapping regions and
 * access widths the device did not declare. */
#ifndef MVR_BUS_H
#define MVR_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "bus_dev.h"

struct bus_region {
	uint64_t base;
	uint64_t len;
	const struct bus_dev_ops *ops;
	void *dev;
};

struct bus {
	struct bus_region *regions; /* sorted by base */
	unsigned nregions;
	unsigned long unhandled;    /* accesses outside any region */
};

struct bus *bus_create(void);
void bus_destroy(struct bus *b);

/* Add a region. Returns 0, -EINVAL (zero length, wraps), -EEXIST (overlaps
 * another region) or -ENOMEM. */
int bus_register(struct bus *b, uint64_t base, uint64_t len,
		 const struct bus_dev_ops *ops, void *dev);

/* Dispatch one access of 'size' (1, 2, 4, 8) bytes; 'data' is the access as
 * laid out in guest memory (little-endian). Unknown addresses and rejected
 * accesses read as zero and ignore writes, with a rate-limited warning.
 * Returns 0 when a device handled it, else a negative errno. */
int bus_access(struct bus *b, uint64_t addr, uint8_t *data, unsigned size, bool is_write);

#endif
