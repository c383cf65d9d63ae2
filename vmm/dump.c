/* The dump commands' notes and dump-acpi's output directory (dump.h).
 * The tables and the device tree themselves come from acpi/ and
 * arch/arm64/fdt.c; main.c writes them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "log.h"

unsigned dump_dtb_notes(const struct vm_config *cfg, char notes[DUMP_DTB_NOTES][DUMP_NOTE_MAX])
{
	unsigned n = 0;

	/* edk2 hands its own copy of the tree to the kernel's EFI stub,
	 * which writes linux,initrd-* and linux,uefi-* into /chosen. */
	if (cfg->firmware)
		snprintf(notes[n++], DUMP_NOTE_MAX,
			 "note: firmware boot: the initrd and UEFI table addresses in /chosen are assigned at boot (by the firmware and the kernel's EFI stub), so this dump has none");
	if (cfg->initrd && !cfg->kernel)
		snprintf(notes[n++], DUMP_NOTE_MAX, "%s",
			 cfg->firmware ?
			 "note: --initrd is left out: without --kernel the firmware boots from a disk, whose boot entry names its own initrd ('run' refuses --initrd without --kernel)" :
			 "note: --initrd is left out of the device tree: in direct boot the initrd is placed after the kernel, so its address needs --kernel");
	return n;
}

void dump_acpi_note(bool ras, bool einj, uint64_t tables_addr, uint64_t hw_errors_addr,
		    char *buf, size_t len)
{
	char hw[200] = "";

	if (ras)
		snprintf(hw, sizeof(hw),
			 "; HEST's error-status and read-ack addresses%s assume etc/hardware_errors at 0x%llx",
			 einj ? " and EINJ's parameter address" : "",
			 (unsigned long long)hw_errors_addr);
	snprintf(buf, len,
		 "note: addresses the firmware assigns at boot (linker/loader) are placeholders in this dump: the RSDP's XSDT address and the XSDT's and FADT's table pointers assume etc/acpi/tables at 0x%llx%s",
		 (unsigned long long)tables_addr, hw);
}

bool dump_is_table_file(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".dat");
}

int dump_acpi_dir(const char *dir, bool force)
{
	struct dirent *e;
	bool used = false;
	DIR *d;
	int ret = 0;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST) {
		ret = -errno;
		pr_err("cannot create '%s': %s", dir, strerror(-ret));
		return ret;
	}
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		pr_err("cannot open directory '%s': %s", dir, strerror(-ret));
		return ret;
	}
	while (!used && (e = readdir(d)))
		used = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (used && !force) {
		pr_err("dump-acpi: directory '%s' is not empty (an earlier dump's tables would stay beside the new ones); --force replaces the files in it",
		       dir);
		closedir(d);
		return -ENOTEMPTY;
	}
	/* --force: no stale SIG.dat (a HEST from a --ras dump) survives. */
	rewinddir(d);
	while (used && !ret && (e = readdir(d))) {
		if (!dump_is_table_file(e->d_name))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
			ret = -errno;
			pr_err("cannot remove '%s/%s': %s", dir, e->d_name, strerror(-ret));
		}
	}
	closedir(d);
	return ret;
}
