/* An offline interpreter of the linker/loader script ("etc/table-loader"),
 * doing what edk2's QemuFwCfgAcpi.c does with it, but strictly: any command
 * a careful firmware would reject fails here. Used by dump-acpi (tables
 * with absolute addresses for iasl) and by tests. Pure. */
#ifndef MVR_FWCFG_LOADER_EXEC_H
#define MVR_FWCFG_LOADER_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One fw_cfg file the script may name. A blob the firmware allocates has
 * 'data' (patched in place) and the guest address 'addr' to pretend it was
 * put at; a WRITE_POINTER destination (a writable fw_cfg file, never
 * allocated) has data NULL and its size in 'len'. A NULL name is an unused
 * slot. 'allocated' is set by the interpreter. */
struct loader_file {
	const char *name;
	uint8_t *data;
	size_t len;
	uint64_t addr;
	bool allocated;
};

/* Execute the 'len'-byte script against 'files'. Returns 0, or -EINVAL on
 * the first bad command (unknown command or file, allocation twice, an
 * offset, size or pointer value out of range, a length that is not a whole
 * number of entries). *write_pointer receives the value the last
 * WRITE_POINTER would store (0 if none). */
int loader_exec(const uint8_t *script, size_t len, struct loader_file *files, size_t nfiles,
		uint64_t *write_pointer);

#endif
