/* CFI NOR flash bank with the Intel/Sharp command set (CFI primary
 * command set 0x0001), laid out as QEMU's 'virt' pflash: two x16 chips
 * interleaved on a 32-bit bank (bank width 4), 256 KiB bank blocks.
 * Pure command state machine over caller-provided storage (JESD68 CFI;
 * Intel P30/StrataFlash command sequences as edk2's VirtNorFlashDxe and
 * Linux's cfi_cmdset_0001 issue them). */
#ifndef MVR_CFI_FLASH_H
#define MVR_CFI_FLASH_H

#include <stdbool.h>
#include <stdint.h>

#include "bus_dev.h"
#include "devices/device.h"

#define CFI_FLASH_BANK_WIDTH   4
#define CFI_FLASH_BLOCK_SIZE   (256u * 1024u)
#define CFI_FLASH_MANUFACTURER 0x89 /* Intel, as QEMU virt */
#define CFI_FLASH_DEVICE_ID    0x18
/* Write buffer: 2^11 bytes per chip, so 1024 bank-wide (32-bit) writes. */
#define CFI_FLASH_BUF_WRITES   1024

/* Status register bits (each chip's lane; reads replicate them per lane). */
#define CFI_SR_READY        0x80 /* SR7: device ready (always, ops are instant) */
#define CFI_SR_ERASE_ERR    0x20 /* SR5 */
#define CFI_SR_PROGRAM_ERR  0x10 /* SR4; SR4|SR5 = command sequence error */
#define CFI_SR_VPP_ERR      0x08 /* SR3 (never set) */
#define CFI_SR_LOCKED       0x02 /* SR1: operation hit a locked block */

/* Called with romd=false when the bank leaves read-array mode (the VMM
 * removes the read-only memslot so reads trap as MMIO) and romd=true when
 * it returns (the VMM maps the storage again). Called WITH the device lock
 * held, from the vCPU thread that wrote the command, so transitions are
 * delivered in order; it must not call back into the flash. */
typedef void (*cfi_flash_romd_cb)(void *opaque, bool romd);

/* Writes the storage back to where it persists (fsync of a file); 0 or
 * -errno. Called WITH the device lock held when a burst of program/erase
 * commands ends (the bank returns to read-array mode), at reset and from
 * cfi_flash_flush(), only if something was written since the last call.
 * A failure sets the program-error status bit (SR4). */
typedef int (*cfi_flash_flush_cb)(void *opaque);

struct cfi_flash;

/* Create a bank over 'storage' ('size' bytes: a power of two, at least
 * CFI_FLASH_BLOCK_SIZE and at most 4 GiB, as CFI describes the device size
 * as 2^N; pad a smaller firmware image with 0xFF); the storage must outlive the
 * device and is modified by program/erase. The bank starts in read-array
 * mode (romd on; no callback for that), all blocks unlocked. set_romd may
 * be NULL. Program, erase and array-mode MMIO reads touch the storage
 * through guard.h: a SIGBUS there (a truncated file under it) fails the
 * operation with status error bits (SR4 program, SR5 erase) or the read
 * with -EIO, if a SIGBUS handler that calls guard_sigbus_recover() is
 * installed. Returns NULL for bad arguments or allocation failure. */
struct cfi_flash *cfi_flash_create(uint8_t *storage, uint64_t size,
				   cfi_flash_romd_cb set_romd, void *opaque);
void cfi_flash_destroy(struct cfi_flash *f);
/* Install (or with NULL remove) the flush callback. */
void cfi_flash_set_flush(struct cfi_flash *f, cfi_flash_flush_cb flush, void *opaque);
/* Flush now if anything was written since the last flush (VMM exit). */
void cfi_flash_flush(struct cfi_flash *f);

/* Guest reset: flush, abort any sequence, clear the status, back to
 * read-array (calls set_romd(true) if it was off). Lock bits are kept. */
void cfi_flash_reset(struct cfi_flash *f);
/* True while the bank is in read-array mode (storage may be mapped). */
bool cfi_flash_romd(struct cfi_flash *f);

/* MMIO ops ('dev' is the struct cfi_flash; offsets relative to the bank).
 * Reads of 1-8 bytes; writes of 1, 2 or 4 bytes. The command is the low
 * byte of a write (edk2 and Linux replicate it in both 16-bit halves). */
extern const struct bus_dev_ops cfi_flash_bus_ops;
/* Describes itself: the FDT node "flash@BASE" (cfi-flash binding) covering
 * the firmware ROM bank (rom_class, when listed) and this bank, as QEMU
 * virt's two pflash banks. */
extern const struct dev_class cfi_flash_class;

#endif
