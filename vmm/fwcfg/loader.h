/* Builder for QEMU's linker/loader script ("etc/table-loader"), the command
 * list edk2's QemuFwCfgAcpi.c executes to allocate fw_cfg blobs in guest
 * memory, patch pointers and checksums between them, and write addresses
 * back to fw_cfg. Pure: produces bytes only. Each command is a 128-byte
 * little-endian entry; file names are at most 55 characters (56 with NUL). */
#ifndef MVR_FWCFG_LOADER_H
#define MVR_FWCFG_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define LOADER_ENTRY_SIZE    128
#define LOADER_FILESZ        56

#define LOADER_CMD_ALLOCATE       1
#define LOADER_CMD_ADD_POINTER    2
#define LOADER_CMD_ADD_CHECKSUM   3
#define LOADER_CMD_WRITE_POINTER  4

#define LOADER_ZONE_HIGH  1 /* anywhere */
#define LOADER_ZONE_FSEG  2 /* below 1 MiB (x86 only) */

struct loader;

/* Create an empty script. Returns NULL on allocation failure. */
struct loader *loader_create(void);
void loader_destroy(struct loader *l);

/* Each append returns 0, -EINVAL for a bad argument (name too long, align
 * not a power of two or > 4096, size not 1/2/4/8), or -ENOMEM. */
int loader_allocate(struct loader *l, const char *file, uint32_t align, uint8_t zone);
/* Patch 'size' bytes at 'offset' in 'dest': firmware adds src's address to
 * the little-endian value stored there (which holds an offset into src). */
int loader_add_pointer(struct loader *l, const char *dest, const char *src,
		       uint32_t offset, uint8_t size);
/* Firmware stores at 'offset' in 'file' the byte that makes the sum of
 * [start, start+length) zero. The byte must be 0 in the blob. */
int loader_add_checksum(struct loader *l, const char *file, uint32_t offset,
			uint32_t start, uint32_t length);
/* Firmware writes (address of src + src_offset), 'size' bytes little-endian,
 * into fw_cfg file 'dest' at 'dst_offset' through a DMA write. */
int loader_write_pointer(struct loader *l, const char *dest, const char *src,
			 uint32_t dst_offset, uint32_t src_offset, uint8_t size);

/* The script so far: n * LOADER_ENTRY_SIZE bytes, owned by the loader. */
const uint8_t *loader_bytes(const struct loader *l, size_t *len);

#endif
