/* QEMU-compatible fw_cfg device (MMIO + DMA interface), a pure state
 * machine: items, the file directory, select/read/skip/write, and DMA
 * through an injected guest-memory interface. Follows QEMU's
 * docs/specs/fw_cfg.rst as edk2's QemuFwCfgLibMmio drives it. */
#ifndef MVR_FWCFG_H
#define MVR_FWCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus_dev.h"
#include "devices/device.h"
#include "guest_mem.h"

/* Register layout of the MMIO variant (region 0x18 bytes). */
#define FWCFG_REG_DATA      0x00 /* 1..8-byte reads of the selected item */
#define FWCFG_REG_SELECTOR  0x08 /* 16-bit big-endian selector write */
#define FWCFG_REG_DMA       0x10 /* 64-bit big-endian descriptor address */
#define FWCFG_MMIO_SIZE     0x18

/* Well-known item keys (numbers are little-endian u32 unless noted). */
#define FWCFG_KEY_SIGNATURE    0x0000 /* "QEMU" */
#define FWCFG_KEY_ID           0x0001 /* feature bits, LE u32 */
#define FWCFG_KEY_KERNEL_SIZE  0x0008
#define FWCFG_KEY_INITRD_SIZE  0x000b
#define FWCFG_KEY_KERNEL_DATA  0x0011
#define FWCFG_KEY_INITRD_DATA  0x0012
#define FWCFG_KEY_CMDLINE_SIZE 0x0014
#define FWCFG_KEY_CMDLINE_DATA 0x0015 /* NUL-terminated, size includes NUL */
#define FWCFG_KEY_SETUP_SIZE   0x0017
#define FWCFG_KEY_SETUP_DATA   0x0018
#define FWCFG_KEY_FILE_DIR     0x0019 /* generated: be32 count + entries */
#define FWCFG_KEY_FILE_FIRST   0x0020 /* files get keys from here, in name order */

#define FWCFG_ID_TRADITIONAL   (1u << 0)
#define FWCFG_ID_DMA           (1u << 1)

/* DMA descriptor control bits (big-endian u32 in guest memory). */
#define FWCFG_DMA_ERROR  0x01u
#define FWCFG_DMA_READ   0x02u
#define FWCFG_DMA_SKIP   0x04u
#define FWCFG_DMA_SELECT 0x08u /* selector in bits 31:16 */
#define FWCFG_DMA_WRITE  0x10u
#define FWCFG_DMA_DESC_SIZE 16  /* {be32 control; be32 length; be64 address} */

#define FWCFG_DIR_ENTRY_SIZE 64
#define FWCFG_FILE_NAME_MAX  56 /* including the NUL */
#define FWCFG_MAX_FILES      1024

struct fwcfg;

/* Called after a DMA WRITE changed a writable file. 'data'/'len' are a
 * snapshot of the whole file after the write. Called with the device lock
 * RELEASED, on the vCPU thread that wrote the DMA register, so it may call
 * fwcfg_* functions; concurrent writes may deliver snapshots out of order. */
typedef void (*fwcfg_write_cb)(void *opaque, const char *name,
			       const uint8_t *data, uint32_t len);

struct fwcfg_stats {
	uint64_t dma_ok;      /* descriptors completed with control = 0 */
	uint64_t dma_errors;  /* completed with ERROR, or dropped (bad descriptor GPA) */
};

/* Create a device with items 0x0000 ("QEMU"), 0x0001 (traditional | DMA)
 * and an empty file directory. 'gm' must outlive the device. Returns NULL
 * on allocation failure. */
struct fwcfg *fwcfg_create(const struct guest_mem *gm);
/* Free the device and every item's data. NULL is allowed. */
void fwcfg_destroy(struct fwcfg *f);

/* Add a read-only item under 'key' (< FWCFG_KEY_FILE_FIRST, not 0x0019),
 * copying 'len' bytes of 'data' (data may be NULL when len is 0).
 * Returns 0, -EINVAL (bad key), -EEXIST (key taken) or -ENOMEM. */
int fwcfg_add_item(struct fwcfg *f, uint16_t key, const void *data, uint32_t len);
/* As fwcfg_add_item, but takes ownership of a malloc'd buffer without
 * copying it. Ownership passes even when an error is returned (the buffer
 * is freed then), so the caller never frees 'data' after this call. */
int fwcfg_add_item_owned(struct fwcfg *f, uint16_t key, void *data, uint32_t len);
/* Reads 'len' bytes of an item at offset 'off' into 'buf' (all of them, or
 * a negative errno). Called with the device lock held, on a vCPU thread. */
typedef int (*fwcfg_read_fn)(void *opaque, uint64_t off, void *buf, size_t len);
/* Add a read-only item of 'len' bytes whose contents 'read' supplies on
 * demand (a file read straight into the guest's DMA buffer: the kernel and
 * initrd, so the VMM holds no copy of them). A failed read completes the
 * DMA with ERROR (the data register reads zeros). Same errors as
 * fwcfg_add_item. */
int fwcfg_add_item_reader(struct fwcfg *f, uint16_t key, uint32_t len, fwcfg_read_fn read,
			  void *opaque);
/* Convenience: add a little-endian u32 item (e.g. KERNEL_SIZE). */
int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v);

/* Add a named file (name 1..55 chars), copying its data. Files are keyed
 * from 0x0020 in strcmp order of their names; adding a file renumbers the
 * files after it and regenerates the directory (item 0x0019), and resets
 * the current selection, so add all files before the guest runs. A
 * writable file can be changed by the guest only through DMA WRITE, never
 * grown. Returns 0, -EINVAL, -ENAMETOOLONG, -EEXIST, -ENOSPC or -ENOMEM. */
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data,
		   uint32_t len, bool writable);
/* As fwcfg_add_file, taking ownership of a malloc'd buffer (ownership
 * passes even on error, as for fwcfg_add_item_owned). */
int fwcfg_add_file_owned(struct fwcfg *f, const char *name, void *data,
			 uint32_t len, bool writable);
/* Register the write callback of an existing writable file (replacing any
 * previous one). Returns 0, -ENOENT or -EPERM (file is read-only). */
int fwcfg_set_write_cb(struct fwcfg *f, const char *name, fwcfg_write_cb cb,
		       void *opaque);

/* The current contents of file 'name' (NULL if absent; *len gets the size
 * when len is not NULL). The pointer stays valid until fwcfg_destroy, but
 * a writable file's bytes may change under a concurrent guest DMA write:
 * use fwcfg_file_copy for a consistent snapshot. */
const uint8_t *fwcfg_file_data(struct fwcfg *f, const char *name, uint32_t *len);
/* Copy min(len, size) bytes of file 'name' into buf under the device lock.
 * Returns the number of bytes copied or -ENOENT. */
int fwcfg_file_copy(struct fwcfg *f, const char *name, void *buf, uint32_t len);

/* Guest reset: drop the selection, offset and half-written DMA address.
 * Item contents are kept. */
void fwcfg_reset(struct fwcfg *f);
void fwcfg_get_stats(struct fwcfg *f, struct fwcfg_stats *st);

/* MMIO ops for a region of FWCFG_MMIO_SIZE bytes; 'dev' is the struct fwcfg. */
extern const struct bus_dev_ops fwcfg_bus_ops;
/* Describes itself: FDT node "fw-cfg@BASE" (qemu,fw-cfg-mmio binding,
 * DMA-coherent) and the DSDT's FWCF (QEMU0002). */
extern const struct dev_class fwcfg_class;

/* The fw_cfg device class for the board, or NULL in a build without fw_cfg
 * (CONFIG_FWCFG off: no firmware boot, so no firmware devices). */
#ifdef CONFIG_FWCFG
static inline const struct dev_class *fwcfg_dev_class(void)
{
	return &fwcfg_class;
}
#else
static inline const struct dev_class *fwcfg_dev_class(void)
{
	return NULL;
}
#endif

#endif
