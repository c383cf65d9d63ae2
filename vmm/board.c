/* The device list of the QEMU-virt-compatible platform, in the order the
 * guest sees them (FDT nodes, DSDT devices): console UART, RTC, then with
 * firmware boot fw_cfg and the two flash banks, then with ACPI the power
 * button (a GED of its own), then with RAS the GED,
 * then the pvpanic device (every configuration), then with RAS the EINJ
 * register block, then the virtio-mmio devices (disks in --disk order, then the rng, then
 * the network interfaces in --net order, then the virtio console), each
 * taking the next virtio window, so a configuration without them describes
 * exactly the platform devices. With --console virtio the VMM's console input goes to
 * the virtio console (devlist_input); the PL011 stays the console UART that
 * stdout-path and the SPCR name (earlycon, firmware output). */
#include <errno.h>
#include <stdbool.h>

#include "acpi/tables.h"
#include "arch/arm64/memmap.h"
#include "board.h"
#include "devices/cfi_flash.h"
#include "devices/einj.h"
#include "devices/ged.h"
#include "devices/pl011.h"
#include "devices/pl031.h"
#include "devices/pvpanic.h"
#include "devices/pwrbtn.h"
#include "devices/rom.h"
#include "fwcfg/fwcfg.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/rng.h"

/* Virtio window n: base, size and SPI from memmap.h; 'param' for the
 * device's create(). Returns devlist_add's result. */
static int board_add_virtio(struct devlist *l, const struct dev_class *cls, unsigned n,
			    const void *param)
{
	int i;

	if (n >= MEMMAP_VIRTIO_COUNT)
		return -ENOSPC;
	i = devlist_add(l, cls, MEMMAP_VIRTIO_BASE + n * MEMMAP_VIRTIO_STRIDE, VIRTIO_MMIO_SIZE,
			IRQ_SPI_VIRTIO_BASE + (int)n);
	if (i >= 0) {
		l->dev[i].index = n;
		l->dev[i].param = param;
	}
	return i;
}

int board_describe(const struct vm_config *cfg, struct devlist *l)
{
	unsigned i, n = 0;
	bool firmware;
	int uart, r;

	devlist_init(l);
	uart = devlist_add(l, &pl011_class, MEMMAP_UART_BASE, MEMMAP_UART_SIZE, IRQ_SPI_UART);
	if (uart < 0)
		return uart;
	r = devlist_set_console(l, uart);
	if (r < 0)
		return r;
	r = devlist_add(l, &pl031_class, MEMMAP_RTC_BASE, MEMMAP_RTC_SIZE, IRQ_SPI_RTC);
	/* Firmware boot only, and only in a build that has fw_cfg. */
	firmware = cfg->firmware && fwcfg_dev_class();
	if (r >= 0 && firmware)
		r = devlist_add(l, fwcfg_dev_class(), MEMMAP_FWCFG_BASE, MEMMAP_FWCFG_SIZE, -1);
	if (r >= 0 && firmware)
		r = devlist_add(l, &rom_class, MEMMAP_FLASH0_BASE, MEMMAP_FLASH0_SIZE, -1);
	if (r >= 0 && firmware)
		r = devlist_add(l, &cfi_flash_class, MEMMAP_FLASH1_BASE, MEMMAP_FLASH1_SIZE, -1);
	/* The guest sees ACPI only through the firmware. */
	if (r >= 0 && firmware && ACPI_ENABLED)
		r = devlist_add(l, &pwrbtn_class, 0, 0, IRQ_SPI_PWRBTN);
	if (r >= 0 && cfg->ras)
		r = devlist_add(l, &ged_class, 0, 0, IRQ_SPI_GED);
	if (r >= 0)
		r = devlist_add(l, &pvpanic_class, MEMMAP_PVPANIC_BASE, MEMMAP_PVPANIC_SIZE, -1);
	if (r >= 0 && cfg->ras)
		r = devlist_add(l, &einj_class, MEMMAP_EINJ_BASE, MEMMAP_EINJ_SIZE, -1);
	for (i = 0; r >= 0 && i < cfg->ndisks; i++)
		r = board_add_virtio(l, virtio_blk_dev_class(), n++, &cfg->disks[i]);
	if (r >= 0 && cfg->rng)
		r = board_add_virtio(l, virtio_rng_dev_class(), n++, NULL);
	for (i = 0; r >= 0 && i < cfg->nnets; i++)
		r = board_add_virtio(l, virtio_net_dev_class(), n++, &cfg->nets[i]);
	if (r >= 0 && cfg->virtio_console) {
		r = board_add_virtio(l, virtio_console_dev_class(), n++, NULL);
		if (r >= 0)
			r = devlist_set_input(l, r);
	}
	return r < 0 ? r : 0;
}
