/* Read-only firmware flash bank (flash0): the image runs in place from a
 * read-only memslot; this MMIO handler only sees what the memslot does not
 * take (guest writes, which ROM ignores, and reads while the slot is
 * missing). Its device-tree description is part of cfi_flash's node. */
#ifndef MVR_ROM_H
#define MVR_ROM_H

#include <stdint.h>

#include "devices/device.h"

/* Instance state: the bank's bytes (the memslot's host mapping). */
struct rom {
	const uint8_t *data;
	uint64_t size;
};

extern const struct bus_dev_ops rom_bus_ops;
extern const struct dev_class rom_class;

#endif
