/* Typed MMIO device operations. A device registers one region on the bus
 * (see bus.h) with these ops; the bus checks the access size against
 * 'sizes' and the offset against the region length before calling them.
 *
 * 'val' is the access as the CPU sees it on a little-endian bus: for a read
 * the device fills the low 'size' bytes, for a write they are given. Offsets
 * are relative to the region base. Return 0, or a negative errno for an access
 * the device rejects (the bus then reads as zero / drops the write and logs a
 * rate-limited warning); never abort on guest input. */
#ifndef MVR_BUS_DEV_H
#define MVR_BUS_DEV_H

#include <stdint.h>

#define BUS_SIZE_1 (1u << 0)
#define BUS_SIZE_2 (1u << 1)
#define BUS_SIZE_4 (1u << 2)
#define BUS_SIZE_8 (1u << 3)
#define BUS_SIZE_ANY (BUS_SIZE_1 | BUS_SIZE_2 | BUS_SIZE_4 | BUS_SIZE_8)

struct bus_dev_ops {
	const char *name;
	unsigned sizes; /* BUS_SIZE_* mask of allowed access widths */
	int (*read)(void *dev, uint64_t off, unsigned size, uint64_t *val);
	int (*write)(void *dev, uint64_t off, unsigned size, uint64_t val);
};

#endif
