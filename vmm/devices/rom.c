/* Read-only firmware flash bank (flash0) on the MMIO bus. Guest writes trap
 * here and are dropped, as writes to ROM are (edk2 ArmVirtQemu writes to a
 * variable inside its read-only image early on; QEMU ignores that too). */
#include <errno.h>

#include "devices/rom.h"
#include "log.h"

/* Only reached if the memslot is missing: answer from the image. */
static int rom_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	const struct rom *rom = dev;
	unsigned i;

	if (off > rom->size || size > rom->size - off)
		return -EINVAL;
	*val = 0;
	for (i = 0; i < size; i++)
		*val |= (uint64_t)rom->data[off + i] << (8 * i);
	return 0;
}

static int rom_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	pr_debug("ignored %u-byte write to firmware flash at 0x%llx", size,
		 (unsigned long long)off);
	return 0;
}

const struct bus_dev_ops rom_bus_ops = {
	.name = "flash0 (firmware, read-only)",
	.sizes = BUS_SIZE_ANY,
	.read = rom_read,
	.write = rom_write,
};

const struct dev_class rom_class = {
	.name = "rom",
	.mmio = &rom_bus_ops,
	/* no .fdt: cfi_flash_class describes both banks in one node */
};
