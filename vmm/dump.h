/* What 'dump-dtb' and 'dump-acpi' (main.c) say and check beside the
 * bytes they write: the note lines about addresses that are only known at
 * boot, and dump-acpi's output directory (never mixed with an earlier
 * dump's tables unless --force). */
#ifndef MVR_DUMP_H
#define MVR_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm_config.h"

#define DUMP_NOTE_MAX 400
#define DUMP_DTB_NOTES 2

/* The note lines dump-dtb prints for cfg (without "microvm-ras: " and
 * newline) into notes[0..n): firmware boot (the initrd and UEFI
 * addresses in /chosen are assigned at boot, so the dump has none) and an
 * --initrd without --kernel (why it is left out). Pure. Returns n (0 for
 * a direct boot with --kernel: every address in it is the real one). */
unsigned dump_dtb_notes(const struct vm_config *cfg, char notes[DUMP_DTB_NOTES][DUMP_NOTE_MAX]);

/* dump-acpi's note line: which pointers the firmware's linker/loader
 * fills at boot and the made-up addresses they hold in the dump
 * (etc/acpi/tables at tables_addr; with ras, etc/hardware_errors at
 * hw_errors_addr, and EINJ's parameter address when einj). Pure. */
void dump_acpi_note(bool ras, bool einj, uint64_t tables_addr, uint64_t hw_errors_addr,
		    char *buf, size_t len);

/* True for a file name dump-acpi writes, and so replaces with --force:
 * "SIG.dat" (anything ending in ".dat" after at least one byte). */
bool dump_is_table_file(const char *name);

/* Make 'dir' ready for dump-acpi: create it (0755) when missing; refuse it
 * when it holds anything unless 'force', which deletes its *.dat files
 * (other files stay). Returns 0, -ENOTEMPTY, or -errno, each after one
 * error line. */
int dump_acpi_dir(const char *dir, bool force);

#endif
