/* Firmware boot wiring (DESIGN.md sections 1, 2, 4, 5): edk2 runs in place
 * from flash bank 0 (read-only memslot), keeps its variables in CFI flash
 * bank 1, and reads our ACPI tables and, with --kernel, the kernel, initrd
 * and command line from fw_cfg (without one it boots from a disk); the
 * firmware's WRITE_POINTER tells us where it put etc/hardware_errors. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/tables.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/regs.h"
#include "devices/cfi_flash.h"
#include "devices/rom.h"
#include "flash_map.h"
#include "fileio.h"
#include "fwcfg/fwcfg.h"
#include "guard.h"
#include "log.h"
#include "mem.h"
#include "ras/ras.h"
#include "util.h"
#include "varstore.h"
#include "vcpu.h"
#include "vm.h"
#include "vm_firmware.h"

#define HW_ERRORS_ADDR_FILE HEST_FILE_HW_ERRORS_ADDR
#define HW_ERRORS_FILE HEST_FILE_HW_ERRORS

int vm_firmware_check(const struct vm_config *cfg)
{
	struct stat st;

	if (stat(cfg->firmware, &st) < 0) {
		pr_err("cannot open firmware '%s': %m (install qemu-efi-aarch64, give --firmware, or use --no-firmware)",
		       cfg->firmware);
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || (uint64_t)st.st_size > MEMMAP_FLASH0_SIZE) {
		pr_err("firmware '%s' must be a regular non-empty file of at most %llu MiB",
		       cfg->firmware, MEMMAP_FLASH0_SIZE >> 20);
		return -EINVAL;
	}
	/* A flash image is whole erase blocks (edk2's FD files: multiples of
	 * 4 KiB); anything else is not a firmware image. */
	if (st.st_size % FIRMWARE_SIZE_ALIGN) {
		pr_err("firmware '%s' is %llu bytes, not a multiple of %u KiB: not a flash image",
		       cfg->firmware, (unsigned long long)st.st_size, FIRMWARE_SIZE_ALIGN >> 10);
		return -EINVAL;
	}
	if (access(cfg->firmware, R_OK) < 0) {
		pr_err("cannot read firmware '%s': %m", cfg->firmware);
		return -EACCES;
	}
	if (cfg->vars)
		return varstore_check(cfg->vars, MEMMAP_FLASH1_SIZE);
	return 0;
}

static int vars_flush(void *opaque)
{
	return varstore_flush(opaque);
}

/* --vars FILE: the file itself, locked and shared-mapped (varstore.c), so
 * the guest's variable writes persist; otherwise a volatile copy. */
static uint8_t *vars_open(struct vm *vm, uint64_t size)
{
	const struct vm_config *cfg = vm->cfg;
	uint8_t *p;

	if (cfg->vars) {
		vm->varstore = varstore_open(cfg->vars, DEFAULT_VARS_TEMPLATE, size);
		return vm->varstore ? varstore_data(vm->varstore) : NULL;
	}
	/* Volatile store: a private copy-on-write mapping of the template,
	 * like QEMU with a copied AAVMF_VARS.fd (only pages the guest touches
	 * cost memory); erased flash when there is no full-size template. */
	if (access(DEFAULT_VARS_TEMPLATE, R_OK) == 0) {
		struct stat st;
		int fd = open(DEFAULT_VARS_TEMPLATE, O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size == size) {
			p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
			close(fd);
			if (p != MAP_FAILED)
				return p;
		} else if (fd >= 0) {
			close(fd);
		}
		return flash_load_template(DEFAULT_VARS_TEMPLATE, size, "variable store template");
	}
	return flash_map_erased(size);
}

/* Flash bank 1 leaves read-array mode: reads must trap as MMIO while a
 * command sequence runs, so its read-only memslot goes away until then. */
static void flash1_set_romd(void *opaque, bool romd)
{
	struct vm *vm = opaque;
	int ret = mem_set_slot(vm->mem, vm->flash1_slot, MEMMAP_FLASH1_BASE, vm->flash1,
			       MEMMAP_FLASH1_SIZE, true, romd);

	if (ret)
		pr_warn_rl("cannot %s flash bank 1 memslot: %s", romd ? "map" : "unmap",
			   strerror(-ret));
}

static int vm_flash_create(struct vm *vm)
{
	int ret;

	/* Code only, never written: mapped from the file, not copied. */
	vm->flash0 = flash_map_file(vm->cfg->firmware, MEMMAP_FLASH0_SIZE, "firmware");
	if (!vm->flash0)
		return -EINVAL;
	vm->flash1 = vars_open(vm, MEMMAP_FLASH1_SIZE);
	if (!vm->flash1)
		return -EINVAL;
	/* Flash program/erase write through guard.h: a SIGBUS there (the
	 * --vars file truncated under us) fails the operation with status
	 * error bits. RAS, when on, installs its own handler later, which
	 * recovers guarded accesses too. */
	ret = guard_sigbus_install();
	if (ret) {
		pr_err("cannot install the SIGBUS handler: %s", strerror(-ret));
		return ret;
	}
	/* Bank 0 is code only: a read-only slot, writes are ignored. */
	ret = mem_add_slot(vm->mem, MEMMAP_FLASH0_BASE, vm->flash0, MEMMAP_FLASH0_SIZE, true);
	if (ret < 0)
		goto err;
	vm->rom = (struct rom){ vm->flash0, MEMMAP_FLASH0_SIZE };
	ret = devlist_attach(&vm->devs, &rom_class, &vm->rom);
	if (ret)
		goto err;
	ret = mem_add_slot(vm->mem, MEMMAP_FLASH1_BASE, vm->flash1, MEMMAP_FLASH1_SIZE, true);
	if (ret < 0)
		goto err;
	vm->flash1_slot = ret;
	vm->flash = cfi_flash_create(vm->flash1, MEMMAP_FLASH1_SIZE, flash1_set_romd, vm);
	if (!vm->flash)
		return -ENOMEM;
	/* Flush points: the end of each program/erase burst, guest reset
	 * (cfi_flash_reset) and exit (varstore_close). */
	if (vm->varstore)
		cfi_flash_set_flush(vm->flash, vars_flush, vm->varstore);
	ret = devlist_attach(&vm->devs, &cfi_flash_class, vm->flash);
	if (ret)
		goto err;
	return 0;
err:
	pr_err("cannot map flash: %s", strerror(-ret));
	return ret;
}

static void hw_errors_addr_written(void *opaque, const char *name, const uint8_t *data,
				   uint32_t len)
{
	struct vm *vm = opaque;
	uint64_t gpa;

	if (len < 8)
		return;
	gpa = get_le64(data);
	if (!mem_gpa_to_hva(vm->mem, gpa, vm->acpi->hw_errors.len)) {
		pr_warn_rl("firmware put %s at 0x%" PRIx64 ", outside guest RAM; ignored",
			   HW_ERRORS_FILE, gpa);
		return;
	}
	__atomic_store_n(&vm->hw_errors_gpa, gpa, __ATOMIC_RELEASE);
	if (vm->ras)
		ras_set_base(vm->ras, gpa);
	pr_info("%s at guest address 0x%" PRIx64 " (WRITE_POINTER)", HW_ERRORS_FILE, gpa);
}

static int vm_acpi_create(struct vm *vm)
{
	struct acpi_config ac = {
		.ncpus = vm->ncpus,
		.ram_base = MEMMAP_RAM_BASE,
		.ram_size = vm->cfg->ram_size,
		.ras = vm->cfg->ras,
		.devs = &vm->devs,
	};
	struct acpi_build *b;
	int ret;

	/* CONFIG_ACPI=n: with no etc/table-loader in fw_cfg, edk2 hands the
	 * guest our device tree instead. */
	if (!ACPI_ENABLED)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	vm->acpi = b;
	ret = acpi_build(&ac, b);
	if (ret) {
		pr_err("cannot build ACPI tables: %s", strerror(-ret));
		return ret;
	}
	ret = fwcfg_add_file(vm->fwcfg, ACPI_FILE_RSDP, b->rsdp.data, (uint32_t)b->rsdp.len, false);
	if (!ret)
		ret = fwcfg_add_file(vm->fwcfg, ACPI_FILE_TABLES, b->tables.data,
				     (uint32_t)b->tables.len, false);
	if (!ret)
		ret = fwcfg_add_file(vm->fwcfg, ACPI_FILE_LOADER, b->loader.data,
				     (uint32_t)b->loader.len, false);
	if (!ret && b->hw_errors.len) {
		uint8_t zero[8] = { 0 };

		ret = fwcfg_add_file(vm->fwcfg, HW_ERRORS_FILE, b->hw_errors.data,
				     (uint32_t)b->hw_errors.len, false);
		if (!ret)
			ret = fwcfg_add_file(vm->fwcfg, HW_ERRORS_ADDR_FILE, zero,
					     (uint32_t)b->hw_errors_addr_size, true);
		if (!ret)
			ret = fwcfg_set_write_cb(vm->fwcfg, HW_ERRORS_ADDR_FILE,
						 hw_errors_addr_written, vm);
	}
	if (ret)
		pr_err("cannot publish ACPI tables through fw_cfg: %s", strerror(-ret));
	return ret;
}

/* fw_cfg reader of the kernel and initrd items: 'opaque' is the struct
 * vm's file descriptor for it. */
static int payload_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	int ret = pread_full(*(const int *)opaque, buf, len, off);

	if (ret)
		pr_warn_rl("cannot read the kernel or initrd for fw_cfg: %s", strerror(-ret));
	return ret;
}

static int vm_fwcfg_create(struct vm *vm)
{
	const char *cmdline = vm->cfg->cmdline ? vm->cfg->cmdline : "";
	size_t cmdlen = strlen(cmdline) + 1;
	int ret;

	vm->fwcfg = fwcfg_create(&vm->mem->gm);
	if (!vm->fwcfg)
		return -ENOMEM;
	ret = devlist_attach(&vm->devs, &fwcfg_class, vm->fwcfg);
	if (ret)
		return ret;
	/* Boot from a disk: no kernel, initrd or command line items, so
	 * the firmware's kernel loader finds none (size 0) and its boot
	 * manager goes through the boot options, as QEMU without -kernel. */
	if (!vm->cfg->kernel)
		return 0;
	if (vm->kernel_size > UINT32_MAX || vm->initrd_size > UINT32_MAX || cmdlen > UINT32_MAX) {
		pr_err("kernel and initrd must each be smaller than 4 GiB for fw_cfg");
		return -EFBIG;
	}
	/* The firmware's kernel loader reads these, at every boot, straight
	 * from the files into its buffers (no copy in VMM memory). */
	ret = fwcfg_add_u32(vm->fwcfg, FWCFG_KEY_KERNEL_SIZE, (uint32_t)vm->kernel_size);
	if (!ret)
		ret = fwcfg_add_item_reader(vm->fwcfg, FWCFG_KEY_KERNEL_DATA,
					    (uint32_t)vm->kernel_size, payload_read,
					    &vm->kernel_fd);
	if (!ret && vm->initrd_fd >= 0) {
		ret = fwcfg_add_u32(vm->fwcfg, FWCFG_KEY_INITRD_SIZE, (uint32_t)vm->initrd_size);
		if (!ret)
			ret = fwcfg_add_item_reader(vm->fwcfg, FWCFG_KEY_INITRD_DATA,
						    (uint32_t)vm->initrd_size, payload_read,
						    &vm->initrd_fd);
	}
	if (!ret)
		ret = fwcfg_add_u32(vm->fwcfg, FWCFG_KEY_CMDLINE_SIZE, (uint32_t)cmdlen);
	if (!ret)
		ret = fwcfg_add_item(vm->fwcfg, FWCFG_KEY_CMDLINE_DATA, cmdline, (uint32_t)cmdlen);
	if (ret)
		pr_err("cannot set up fw_cfg: %s", strerror(-ret));
	return ret;
}

int vm_firmware_create(struct vm *vm)
{
	int ret;

	ret = vm_flash_create(vm);
	if (!ret)
		ret = vm_fwcfg_create(vm);
	if (!ret)
		ret = vm_acpi_create(vm);
	return ret;
}

void vm_firmware_destroy(struct vm *vm)
{
	cfi_flash_destroy(vm->flash);
	fwcfg_destroy(vm->fwcfg);
	if (vm->acpi) {
		acpi_build_free(vm->acpi);
		free(vm->acpi);
	}
	if (vm->flash0)
		munmap(vm->flash0, MEMMAP_FLASH0_SIZE);
	if (vm->varstore)
		varstore_close(vm->varstore); /* flushes, unmaps, unlocks */
	else if (vm->flash1)
		munmap(vm->flash1, MEMMAP_FLASH1_SIZE);
	vm->varstore = NULL;
	vm->flash = NULL;
	vm->fwcfg = NULL;
	vm->acpi = NULL;
	vm->flash0 = vm->flash1 = NULL;
}

int vm_firmware_boot_prepare(struct vm *vm)
{
	void *dtb = mem_gpa_to_hva(vm->mem, MEMMAP_RAM_BASE, DTB_MAX_SIZE);
	int ret;

	if (!dtb)
		return -EFAULT;
	cfi_flash_reset(vm->flash);
	fwcfg_reset(vm->fwcfg);
	__atomic_store_n(&vm->hw_errors_gpa, 0, __ATOMIC_RELEASE);
	/* edk2 ArmVirtQemu finds the DTB at the start of RAM. */
	ret = vm_build_fdt(vm->cfg, &vm->devs, NULL, dtb, DTB_MAX_SIZE);
	if (ret < 0) {
		pr_err("cannot build the device tree: %s", strerror(-ret));
		return ret;
	}
	ret = arm64_set_reg(vm->vcpus[0].fd, ARM64_REG_PC, MEMMAP_FLASH0_BASE);
	if (!ret)
		ret = arm64_set_reg(vm->vcpus[0].fd, ARM64_REG_X0, MEMMAP_RAM_BASE);
	if (ret)
		pr_err("cannot set boot registers: %s", strerror(-ret));
	return ret;
}
