/* Fuzz target: the fw_cfg device (vmm/fwcfg/fwcfg.c) through its MMIO ops
 * on the bus, as a guest drives it: selector/data/DMA register accesses of
 * every width and offset, DMA descriptors (any control, length and address,
 * wrap-around included) placed in a fuzz-written guest RAM, file writes and
 * the WRITE_POINTER file with its callback, poisoned pages and resets.
 * Invariants: every DMA trigger is counted once (ok or error), read-only
 * items never change, a writable file never grows. */
#include "fuzz.h"

#include "arch/arm64/memmap.h"
#include "bus.h"
#include "fwcfg/fwcfg.h"

#define RAM_SIZE 0x10000ull
#define HW_ERRORS_FILE "etc/hardware_errors"
#define HW_ERRORS_ADDR_FILE "etc/hardware_errors_addr"

/* What the VM's WRITE_POINTER callback does: accept a whole blob in RAM. */
struct wp_state {
	struct fz_ram *ram;
	uint64_t gpa;
	unsigned calls;
};

static void hw_errors_addr_written(void *opaque, const char *name, const uint8_t *data,
				   uint32_t len)
{
	struct wp_state *wp = opaque;
	uint64_t gpa;

	FZ_CHECK(strcmp(name, HW_ERRORS_ADDR_FILE) == 0);
	FZ_CHECK(len == 8);
	wp->calls++;
	gpa = get_le64(data);
	if (fz_ram_map(wp->ram, gpa, 0x100))
		wp->gpa = gpa;
}

static const char loader[] = "etc/table-loader: any read-only bytes, 0123456789abcdef";
static const char cmdline[] = "console=ttyAMA0 earlycon";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

/* Guest DMA: a 16-byte descriptor at a fuzz address (written into RAM when
 * it lies there), then the address through the 64-bit or the two 32-bit
 * DMA registers, as edk2 and Linux do. */
static void do_dma(struct fz *f, struct fz_ram *ram, struct bus *b, unsigned *triggers)
{
	uint64_t desc = fz_gpa(f, ram);
	uint8_t d[FWCFG_DMA_DESC_SIZE], data[8];
	uint32_t control = fz_u32(f);

	/* Mostly one known operation with a selector, else raw control. */
	if (!(control & 0x80000000u))
		control &= 0x003f001fu;
	put_be32(d, control);
	put_be32(d + 4, fz_len(f));
	put_be64(d + 8, fz_gpa(f, ram));
	if (fz_ram_range(ram, desc, sizeof(d)))
		memcpy(ram->bytes + (desc - FZ_RAM_BASE), d, sizeof(d));
	if (fz_u8(f) & 1) {
		put_be64(data, desc);
		bus_access(b, MEMMAP_FWCFG_BASE + FWCFG_REG_DMA, data, 8, true);
	} else {
		put_be32(data, (uint32_t)(desc >> 32));
		bus_access(b, MEMMAP_FWCFG_BASE + FWCFG_REG_DMA, data, 4, true);
		put_be32(data, (uint32_t)desc);
		bus_access(b, MEMMAP_FWCFG_BASE + FWCFG_REG_DMA + 4, data, 4, true);
	}
	(*triggers)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct fwcfg_stats st;
	struct wp_state wp = { 0 };
	struct fz_ram ram;
	struct fwcfg *cfg;
	struct bus *b;
	uint8_t blob[64] = { 1, 2, 3 }, zero[8] = { 0 }, buf[8];
	const uint8_t *p;
	unsigned triggers = 0, steps = 0;
	uint32_t len;

	fz_ram_init(&ram, RAM_SIZE);
	wp.ram = &ram;
	b = bus_create();
	cfg = fwcfg_create(&ram.gm);
	FZ_CHECK(b && cfg);
	/* What vm_firmware.c publishes, in miniature. */
	FZ_CHECK(fwcfg_add_u32(cfg, FWCFG_KEY_KERNEL_SIZE, 16) == 0);
	FZ_CHECK(fwcfg_add_item(cfg, FWCFG_KEY_KERNEL_DATA, "kernel-image-16b", 16) == 0);
	FZ_CHECK(fwcfg_add_u32(cfg, FWCFG_KEY_CMDLINE_SIZE, sizeof(cmdline)) == 0);
	FZ_CHECK(fwcfg_add_item(cfg, FWCFG_KEY_CMDLINE_DATA, cmdline, sizeof(cmdline)) == 0);
	FZ_CHECK(fwcfg_add_file(cfg, "etc/acpi/rsdp", "RSD PTR ", 8, false) == 0);
	FZ_CHECK(fwcfg_add_file(cfg, "etc/table-loader", loader, sizeof(loader), false) == 0);
	FZ_CHECK(fwcfg_add_file(cfg, HW_ERRORS_FILE, blob, sizeof(blob), false) == 0);
	FZ_CHECK(fwcfg_add_file(cfg, HW_ERRORS_ADDR_FILE, zero, sizeof(zero), true) == 0);
	FZ_CHECK(fwcfg_set_write_cb(cfg, HW_ERRORS_ADDR_FILE, hw_errors_addr_written, &wp) == 0);
	FZ_CHECK(bus_register(b, MEMMAP_FWCFG_BASE, MEMMAP_FWCFG_SIZE, &fwcfg_bus_ops, cfg) == 0);

	while (fz_more(&f) && steps++ < 256) {
		uint8_t op = fz_u8(&f);
		uint64_t val, off;
		unsigned sz;
		bool wr;

		switch (op % 8) {
		case 0: /* selector write (big-endian 16-bit) */
			put_be16(buf, fz_u16(&f));
			bus_access(b, MEMMAP_FWCFG_BASE + FWCFG_REG_SELECTOR, buf, 2, true);
			break;
		case 1: /* data register reads */
			sz = fz_size(&f);
			for (unsigned n = fz_u8(&f) % 16 + 1; n; n--)
				bus_access(b, MEMMAP_FWCFG_BASE + FWCFG_REG_DATA, buf, sz, false);
			break;
		case 2: /* any access at any offset of the window (and past it) */
			sz = fz_size(&f);
			val = fz_u64(&f);
			off = fz_u8(&f) % 0x20;
			wr = fz_u8(&f) & 1;
			put_le64(buf, val);
			bus_access(b, MEMMAP_FWCFG_BASE + off, buf, sz, wr);
			/* A write that completes the DMA address starts DMA too. */
			if (wr && ((off == FWCFG_REG_DMA && sz == 8) ||
				   (off == FWCFG_REG_DMA + 4 && sz == 4)))
				triggers++;
			break;
		case 3:
		case 4:
			do_dma(&f, &ram, b, &triggers);
			break;
		case 5:
			fz_ram_poke(&f, &ram);
			break;
		case 6:
			fz_ram_poison(&f, &ram);
			break;
		case 7:
			fwcfg_reset(cfg);
			break;
		}
	}

	fwcfg_get_stats(cfg, &st);
	FZ_CHECK(st.dma_ok + st.dma_errors == triggers);
	p = fwcfg_file_data(cfg, "etc/table-loader", &len);
	FZ_CHECK(p && len == sizeof(loader) && memcmp(p, loader, len) == 0);
	p = fwcfg_file_data(cfg, HW_ERRORS_FILE, &len);
	FZ_CHECK(p && len == sizeof(blob) && memcmp(p, blob, len) == 0);
	p = fwcfg_file_data(cfg, HW_ERRORS_ADDR_FILE, &len);
	FZ_CHECK(p && len == sizeof(zero));
	FZ_CHECK(fwcfg_file_copy(cfg, HW_ERRORS_ADDR_FILE, buf, sizeof(buf)) == 8);
	if (wp.calls)
		FZ_CHECK(memcmp(buf, p, 8) == 0);

	fwcfg_destroy(cfg);
	bus_destroy(b);
	fz_ram_fini(&ram);
	return 0;
}
