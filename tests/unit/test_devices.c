/* Unit tests for the device framework: the device list (vmm/devices/
 * device.c), the board's list per configuration (vmm/board.c), each
 * device's own FDT node through a recording fdt_writer and its DSDT entry,
 * and the firmware ROM device (vmm/devices/rom.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "acpi/table.h"
#include "arch/arm64/memmap.h"
#include "board.h"
#include "chardev.h"
#include "bus.h"
#include "devices/cfi_flash.h"
#include "devices/device.h"
#include "devices/einj.h"
#include "acpi/tables.h"
#include "devices/ged.h"
#include "devices/pwrbtn.h"
#include "devices/pl011.h"
#include "devices/pl031.h"
#include "devices/pvpanic.h"
#include "devices/rom.h"
#include "fdt_writer.h"
#include "fwcfg/fwcfg.h"
#include "util.h"

/* ---- a recording fdt_writer: "name{" "prop=hex" "}" lines ---- */

struct rec {
	char out[8192];
	size_t len;
	int depth;
};

static void rec_puts(struct rec *r, const char *s)
{
	size_t n = strlen(s);

	assert_true(r->len + n < sizeof(r->out));
	memcpy(r->out + r->len, s, n + 1);
	r->len += n;
}

static int rec_begin(void *ctx, const char *name)
{
	struct rec *r = ctx;

	rec_puts(r, name);
	rec_puts(r, "{\n");
	r->depth++;
	return 0;
}

static int rec_end(void *ctx)
{
	struct rec *r = ctx;

	assert_true(r->depth > 0);
	r->depth--;
	rec_puts(r, "}\n");
	return 0;
}

static int rec_prop(void *ctx, const char *name, const void *val, size_t len)
{
	struct rec *r = ctx;
	const uint8_t *p = val;
	char hex[4];
	size_t i;

	rec_puts(r, name);
	rec_puts(r, "=");
	for (i = 0; i < len; i++) {
		snprintf(hex, sizeof(hex), "%02x", p[i]);
		rec_puts(r, hex);
	}
	rec_puts(r, "\n");
	return 0;
}

static struct fdt_writer rec_writer(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	return (struct fdt_writer){ .begin_node = rec_begin, .end_node = rec_end,
				    .prop = rec_prop, .ctx = r,
				    .phandle_gic = 1, .phandle_clk = 2 };
}

/* ---- fake device class ---- */

static int fake_reads;

static int fake_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	fake_reads++;
	*val = 0xAB00 | off;
	return 0;
}

static const struct bus_dev_ops fake_ops = {
	.name = "fake", .sizes = BUS_SIZE_4, .read = fake_read,
};

static int fake_dsdt_calls;

static void fake_dsdt(const struct device *d, struct acpi_buf *b)
{
	fake_dsdt_calls++;
	acpi_buf_u8(b, (uint8_t)d->spi);
}

static const struct dev_class fake_class = { .name = "fake", .mmio = &fake_ops,
					     .dsdt = fake_dsdt };
static const struct dev_class desc_only_class = { .name = "described" };

static void test_devlist_add(void **state)
{
	struct devlist l;
	unsigned i;

	devlist_init(&l);
	assert_null(devlist_console(&l));
	assert_int_equal(devlist_add(&l, &fake_class, 0x1000, 0x100, 5), 0);
	/* Overlap at either end, containment. */
	assert_int_equal(devlist_add(&l, &fake_class, 0x10ff, 0x10, 6), -EEXIST);
	assert_int_equal(devlist_add(&l, &fake_class, 0xf00, 0x101, 6), -EEXIST);
	assert_int_equal(devlist_add(&l, &fake_class, 0x1010, 0x10, 6), -EEXIST);
	/* Adjacent is fine, and a class may appear twice. */
	assert_int_equal(devlist_add(&l, &fake_class, 0x1100, 0x100, 6), 1);
	/* Wrapping window, no class. */
	assert_int_equal(devlist_add(&l, &fake_class, UINT64_MAX - 10, 0x100, 7), -EINVAL);
	assert_int_equal(devlist_add(&l, NULL, 0x9000, 0x100, 7), -EINVAL);
	/* A window-less device never overlaps. */
	assert_int_equal(devlist_add(&l, &desc_only_class, 0, 0, 9), 2);
	assert_int_equal(devlist_add(&l, &desc_only_class, 0, 0, 10), 3);
	for (i = l.n; i < DEVLIST_MAX; i++)
		assert_int_equal(devlist_add(&l, &desc_only_class, 0, 0, -1), (int)i);
	assert_int_equal(devlist_add(&l, &desc_only_class, 0, 0, -1), -ENOSPC);

	assert_int_equal(devlist_set_console(&l, DEVLIST_MAX), -EINVAL);
	assert_int_equal(devlist_set_console(&l, 1), 0);
	assert_ptr_equal(devlist_console(&l), &l.dev[1]);
	assert_ptr_equal(devlist_find(&l, &fake_class), &l.dev[0]);
	assert_null(devlist_find(&l, &pl011_class));
}

static void test_devlist_attach_register(void **state)
{
	struct devlist l;
	struct bus *b = bus_create();
	int a, c;
	uint8_t data[4];

	assert_non_null(b);
	devlist_init(&l);
	assert_int_equal(devlist_add(&l, &fake_class, 0x1000, 0x100, 5), 0);
	assert_int_equal(devlist_add(&l, &fake_class, 0x2000, 0x100, 6), 1);
	assert_int_equal(devlist_add(&l, &desc_only_class, 0x3000, 0x100, -1), 2);
	/* Not attached yet: refusing to register a device without state. */
	assert_int_equal(devlist_register(&l, b), -EINVAL);
	/* Instances attach in list order. */
	assert_int_equal(devlist_attach(&l, &fake_class, &a), 0);
	assert_int_equal(devlist_attach(&l, &fake_class, &c), 0);
	assert_int_equal(devlist_attach(&l, &fake_class, &c), -ENOENT);
	assert_int_equal(devlist_attach(&l, &pl011_class, &c), -ENOENT);
	assert_ptr_equal(l.dev[0].opaque, &a);
	assert_ptr_equal(l.dev[1].opaque, &c);
	assert_int_equal(devlist_register(&l, b), 0);
	/* Both windows dispatch; the ops-less device has no window on the bus. */
	fake_reads = 0;
	assert_int_equal(bus_access(b, 0x2004, data, 4, false), 0);
	assert_int_equal(get_le32(data), 0xAB04);
	assert_int_equal(bus_access(b, 0x1008, data, 4, false), 0);
	assert_int_equal(fake_reads, 2);
	assert_int_equal(bus_access(b, 0x3000, data, 4, false), -ENODEV);
	bus_destroy(b);
}

static void test_devlist_dsdt_walk(void **state)
{
	struct devlist l;
	struct acpi_buf b;

	devlist_init(&l);
	assert_int_equal(devlist_add(&l, &fake_class, 0x1000, 0x100, 5), 0);
	assert_int_equal(devlist_add(&l, &desc_only_class, 0, 0, -1), 1);
	assert_int_equal(devlist_add(&l, &fake_class, 0x2000, 0x100, 6), 2);
	acpi_buf_init(&b);
	fake_dsdt_calls = 0;
	devlist_write_dsdt(&l, &b);
	assert_int_equal(fake_dsdt_calls, 2);
	assert_int_equal(b.len, 2);
	assert_int_equal(b.data[0], 5);		/* list order */
	assert_int_equal(b.data[1], 6);
	acpi_buf_free(&b);
}

/* ---- lifecycle: create / reset / destroy through the class hooks ---- */

static int life_created, life_reset, life_destroyed, life_fail_at = -1;
static unsigned life_spi_seen;

static void life_irq(void *opaque, unsigned spi, int level)
{
	life_spi_seen = spi;
}

static int life_create(struct device *d, const struct dev_env *env)
{
	struct irq_line irq = dev_irq_line(d, env);

	if (life_created == life_fail_at)
		return -ENOMEM;
	irq_line_set(&irq, 1);
	d->opaque = &life_created;
	life_created++;
	return 0;
}

static void life_reset_fn(struct device *d)
{
	life_reset++;
}

static void life_destroy(struct device *d)
{
	assert_ptr_equal(d->opaque, &life_created);
	life_destroyed++;
}

static const struct dev_class life_class = { .name = "life", .create = life_create,
					     .reset = life_reset_fn, .destroy = life_destroy };

static void test_devlist_lifecycle(void **state)
{
	const struct dev_env env = { .irq_set = life_irq };
	struct devlist l;
	int attached;

	devlist_init(&l);
	assert_int_equal(devlist_add(&l, &life_class, 0x1000, 0x10, 11), 0);
	assert_int_equal(devlist_add(&l, &desc_only_class, 0x2000, 0x10, -1), 1);
	assert_int_equal(devlist_add(&l, &life_class, 0x3000, 0x10, 12), 2);
	/* An attached instance is not created again. */
	assert_int_equal(devlist_add(&l, &life_class, 0x4000, 0x10, 13), 3);
	l.dev[3].opaque = &attached;

	life_created = life_reset = life_destroyed = 0;
	life_fail_at = 1;	/* the second create fails */
	assert_int_equal(devlist_create(&l, &env), -ENOMEM);
	assert_int_equal(life_created, 1);
	assert_int_equal(life_spi_seen, 11);	/* its own SPI */
	life_fail_at = -1;
	assert_int_equal(devlist_create(&l, &env), 0);	/* completes the rest */
	assert_int_equal(life_created, 2);
	assert_int_equal(life_spi_seen, 12);
	devlist_reset(&l);
	assert_int_equal(life_reset, 3);	/* every instance that has state */
	l.dev[3].opaque = NULL;			/* the attached one is not ours */
	devlist_destroy(&l);
	assert_int_equal(life_destroyed, 2);
	assert_null(l.dev[0].opaque);
	assert_null(l.dev[2].opaque);
	devlist_destroy(&l);			/* idempotent */
	assert_int_equal(life_destroyed, 2);
}

/* The board's own devices create their state from the environment: the
 * console UART writes to env's fd and raises its memmap.h SPI. */
static void test_board_devices_create(void **state)
{
	const struct vm_config cfg = { .ncpus = 1 };
	struct dev_env env = { .irq_set = life_irq };
	const uint8_t ch = 'x';
	struct devlist l;
	int fds[2];
	char got = 0;

	assert_int_equal(pipe(fds), 0);
	env.console_fd = fds[1];
	env.serial = chardev_from_fd(fds[1]);
	assert_non_null(env.serial);
	assert_int_equal(board_describe(&cfg, &l), 0);
	assert_int_equal(devlist_create(&l, &env), 0);
	assert_non_null(l.dev[0].opaque);
	assert_non_null(l.dev[1].opaque);
	/* UARTDR write reaches the serial backend's fd. */
	assert_int_equal(pl011_bus_ops.write(l.dev[0].opaque, 0, 4, ch), 0);
	assert_int_equal(read(fds[0], &got, 1), 1);
	assert_int_equal(got, 'x');
	devlist_reset(&l);
	devlist_destroy(&l);
	chardev_close(env.serial);
	close(fds[0]);
	close(fds[1]);
}

/* ---- the board per configuration ---- */

static void test_board_direct(void **state)
{
	const struct vm_config cfg = { .ncpus = 1 };
	struct devlist l;

	assert_int_equal(board_describe(&cfg, &l), 0);
	assert_int_equal(l.n, 3);
	assert_ptr_equal(l.dev[0].cls, &pl011_class);
	assert_int_equal(l.dev[0].base, MEMMAP_UART_BASE);
	assert_int_equal(l.dev[0].size, MEMMAP_UART_SIZE);
	assert_int_equal(l.dev[0].spi, IRQ_SPI_UART);
	assert_ptr_equal(devlist_console(&l), &l.dev[0]);
	assert_ptr_equal(l.dev[1].cls, &pl031_class);
	assert_int_equal(l.dev[1].base, MEMMAP_RTC_BASE);
	assert_int_equal(l.dev[1].spi, IRQ_SPI_RTC);
	/* The pvpanic device is on every board: its window, no interrupt. */
	assert_ptr_equal(l.dev[2].cls, &pvpanic_class);
	assert_int_equal(l.dev[2].base, MEMMAP_PVPANIC_BASE);
	assert_int_equal(l.dev[2].size, 2);
	assert_int_equal(l.dev[2].spi, -1);
	assert_null(devlist_find(&l, &ged_class));
	/* Direct boot has no ACPI, so no power button. */
	assert_null(devlist_find(&l, &pwrbtn_class));
}

static void test_board_firmware_ras(void **state)
{
	const struct vm_config cfg = { .ncpus = 2, .firmware = "fw.fd", .ras = true };
	const struct device *d;
	struct devlist l;

	assert_int_equal(board_describe(&cfg, &l), 0);
	if (!fwcfg_dev_class()) {
		/* A build without fw_cfg has no firmware devices. */
		assert_int_equal(l.n, 5);
		assert_non_null(devlist_find(&l, &ged_class));
		return;
	}
	if (!ACPI_ENABLED) {
		/* No DSDT, so no power button. */
		assert_int_equal(l.n, 8);
		assert_null(devlist_find(&l, &pwrbtn_class));
		assert_ptr_equal(l.dev[6].cls, &pvpanic_class);
		assert_ptr_equal(l.dev[7].cls, &einj_class);
		return;
	}
	assert_int_equal(l.n, 9);
	/* The power button (ACPI), then the GED, then pvpanic, then the EINJ
	 * registers, last of the platform devices. */
	assert_ptr_equal(l.dev[5].cls, &pwrbtn_class);
	assert_int_equal(l.dev[5].spi, IRQ_SPI_PWRBTN);
	assert_int_equal(l.dev[5].size, 0);		/* interrupt only */
	assert_ptr_equal(l.dev[6].cls, &ged_class);
	assert_ptr_equal(l.dev[7].cls, &pvpanic_class);
	assert_ptr_equal(l.dev[8].cls, &einj_class);
	assert_int_equal(l.dev[8].base, MEMMAP_EINJ_BASE);
	assert_int_equal(l.dev[8].size, MEMMAP_EINJ_SIZE);
	assert_int_equal(l.dev[8].spi, -1);
	d = devlist_find(&l, fwcfg_dev_class());
	assert_non_null(d);
	assert_int_equal(d->base, MEMMAP_FWCFG_BASE);
	/* edk2 uses DMA only with a window of at least 0x18 bytes. */
	assert_true(d->size >= FWCFG_MMIO_SIZE);
	d = devlist_find(&l, &rom_class);
	assert_non_null(d);
	assert_int_equal(d->base, MEMMAP_FLASH0_BASE);
	d = devlist_find(&l, &cfi_flash_class);
	assert_non_null(d);
	assert_int_equal(d->base, MEMMAP_FLASH1_BASE);
	d = devlist_find(&l, &ged_class);
	assert_non_null(d);
	assert_int_equal(d->spi, IRQ_SPI_GED);
	assert_int_equal(d->size, 0);		/* interrupt only */
}

/* Every described device's FDT node is named after its own window. */
static void test_board_fdt_nodes(void **state)
{
	const struct vm_config cfg = { .ncpus = 1, .firmware = "fw.fd", .ras = true };
	struct devlist l;
	struct rec r;
	struct fdt_writer w = rec_writer(&r);

	assert_int_equal(board_describe(&cfg, &l), 0);
	if (!fwcfg_dev_class())
		skip();
	assert_int_equal(devlist_write_fdt(&l, &w), 0);
	assert_int_equal(r.depth, 0);
	/* pl011: reg = <0 0x09000000 0 0x1000>, SPI 1 level-high, both clocks. */
	assert_non_null(strstr(r.out, "pl011@9000000{\n"
				      "compatible=61726d2c706c30313100"
				      "61726d2c7072696d6563656c6c00\n"
				      "reg=00000000090000000000000000001000\n"
				      "interrupts=000000000000000100000004\n"
				      "clocks=0000000200000002\n"));
	assert_non_null(strstr(r.out, "pl031@9010000{\n"));
	assert_non_null(strstr(r.out, "interrupts=000000000000000200000004\n"));
	assert_non_null(strstr(r.out, "fw-cfg@9020000{\n"
				      "compatible=71656d752c66772d6366672d6d6d696f00\n"
				      "reg=00000000090200000000000000000018\n"
				      "dma-coherent=\n}\n"));
	/* One flash node for both banks: ROM first, then the CFI bank. */
	assert_non_null(strstr(r.out, "flash@0{\n"
				      "compatible=6366692d666c61736800\n"
				      "reg=0000000000000000000000000400000000000000"
				      "040000000000000004000000\n"
				      "bank-width=00000004\n}\n"));
	/* pvpanic: the qemu,pvpanic-mmio binding, reg = <0 0x09040000 0 2>,
	 * nothing else (no interrupt). */
	assert_non_null(strstr(r.out, "pvpanic@9040000{\n"
				      "compatible=71656d752c707670616e69632d6d6d696f00\n"
				      "reg=00000000090400000000000000000002\n}\n"));
	/* The GEDs have no node (ACPI only); the ROM has none of its own. */
	assert_null(strstr(r.out, "ged"));
	assert_null(strstr(r.out, "power"));
	assert_null(strstr(r.out, "rom@"));
}

/* A device moved in memmap.h moves its node name and DSDT window with it. */
static void test_device_describes_own_window(void **state)
{
	struct devlist l;
	struct rec r;
	struct fdt_writer w = rec_writer(&r);
	struct acpi_buf b;
	size_t i;
	bool found_gsi = false, found_base = false;

	devlist_init(&l);
	assert_int_equal(devlist_add(&l, &pl011_class, 0x0a001000, 0x1000, 7), 0);
	assert_int_equal(devlist_write_fdt(&l, &w), 0);
	assert_non_null(strstr(r.out, "pl011@a001000{\n"));
	assert_non_null(strstr(r.out, "interrupts=000000000000000700000004\n"));
	acpi_buf_init(&b);
	devlist_write_dsdt(&l, &b);
	assert_int_equal(acpi_buf_error(&b), 0);
	/* Extended Interrupt descriptor (0x89) with GSI 32 + 7; Memory32Fixed
	 * (0x86) with base 0x0a001000. */
	for (i = 0; i + 9 <= b.len; i++) {
		if (b.data[i] == 0x89 && get_le32(b.data + i + 5) == 39)
			found_gsi = true;
		if (b.data[i] == 0x86 && get_le32(b.data + i + 4) == 0x0a001000)
			found_base = true;
	}
	assert_true(found_gsi);
	assert_true(found_base);
	acpi_buf_free(&b);
}

/* The pvpanic DSDT entry, byte for byte: Device (PVPN) { Name (_HID,
 * "QEMU0001"), Name (_UID, 0), Name (_CRS, ResourceTemplate () {
 * Memory32Fixed (ReadWrite, 0x09040000, 2) }) }. */
static void test_pvpanic_dsdt(void **state)
{
	static const uint8_t want[] = {
		0x5b, 0x82, 0x31, 'P', 'V', 'P', 'N',		/* Device, PkgLength 49 */
		0x08, '_', 'H', 'I', 'D', 0x0d,			/* Name (_HID, String */
		'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00,
		0x08, '_', 'U', 'I', 'D', 0x00,			/* Name (_UID, Zero) */
		0x08, '_', 'C', 'R', 'S',			/* Name (_CRS, */
		0x11, 0x11, 0x0a, 0x0e,				/* Buffer, 14 bytes */
		0x86, 0x09, 0x00, 0x01,				/* Memory32Fixed, RW */
		0x00, 0x00, 0x04, 0x09,				/* base 0x09040000 */
		0x02, 0x00, 0x00, 0x00,				/* length 2 */
		0x79, 0x00,					/* End Tag */
	};
	struct devlist l;
	struct acpi_buf b;

	devlist_init(&l);
	assert_int_equal(devlist_add(&l, &pvpanic_class, MEMMAP_PVPANIC_BASE, MEMMAP_PVPANIC_SIZE,
				     -1), 0);
	acpi_buf_init(&b);
	devlist_write_dsdt(&l, &b);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	acpi_buf_free(&b);
}

/* ---- the firmware ROM bank ---- */

static void test_rom(void **state)
{
	static const uint8_t img[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct rom rom = { img, sizeof(img) };
	uint64_t v = 0;

	assert_int_equal(rom_bus_ops.read(&rom, 0, 4, &v), 0);
	assert_int_equal(v, 0x04030201);
	assert_int_equal(rom_bus_ops.read(&rom, 8, 8, &v), 0);
	assert_int_equal(v, 0x100f0e0d0c0b0a09ULL);
	/* Past the image: rejected, never read. */
	assert_int_equal(rom_bus_ops.read(&rom, 12, 8, &v), -EINVAL);
	assert_int_equal(rom_bus_ops.read(&rom, UINT64_MAX - 2, 4, &v), -EINVAL);
	/* Writes are accepted and dropped. */
	assert_int_equal(rom_bus_ops.write(&rom, 0, 4, 0xdeadbeef), 0);
	assert_int_equal(img[0], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devlist_add),
		cmocka_unit_test(test_devlist_attach_register),
		cmocka_unit_test(test_devlist_dsdt_walk),
		cmocka_unit_test(test_devlist_lifecycle),
		cmocka_unit_test(test_board_devices_create),
		cmocka_unit_test(test_board_direct),
		cmocka_unit_test(test_board_firmware_ras),
		cmocka_unit_test(test_board_fdt_nodes),
		cmocka_unit_test(test_device_describes_own_window),
		cmocka_unit_test(test_pvpanic_dsdt),
		cmocka_unit_test(test_rom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
