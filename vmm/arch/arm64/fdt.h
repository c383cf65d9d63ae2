/* The guest device tree (libfdt), in the shape of QEMU virt's so that both
 * Linux and edk2 ArmVirtQemu understand it. Platform nodes (cpus, psci,
 * GIC, timer, memory, clock) are written here; every device writes its own
 * node through struct fdt_writer, walking the board's device list. */
#ifndef MVR_ARM64_FDT_H
#define MVR_ARM64_FDT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct devlist;

struct fdt_params {
	unsigned ncpus;
	uint64_t ram_base, ram_size;
	const char *cmdline;     /* may be NULL */
	uint64_t initrd_start;   /* 0: no initrd */
	uint64_t initrd_end;
	const struct devlist *devs; /* the board's devices (board_describe) */
};

/* Build into buf (size bytes). Returns the DTB size or -errno (-ENOSPC when
 * it does not fit). */
int fdt_build(const struct fdt_params *p, void *buf, size_t size);

#endif
