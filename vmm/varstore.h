/* The persistent UEFI variable store behind --vars (see varstore.c): a
 * file of exactly the flash bank's size, locked for the life of the VM,
 * created atomically from a template, mapped shared, flushed on demand. */
#ifndef MVR_VARSTORE_H
#define MVR_VARSTORE_H

#include <stdint.h>

struct varstore;

/* Early check (before KVM): if 'path' exists it must be a regular file of
 * exactly 'size' bytes. 0, or -EINVAL after one error line. A missing
 * path is fine: varstore_open() creates it. */
int varstore_check(const char *path, uint64_t size);

/* Open the store at 'path' with an exclusive lock (F_OFD_SETLK, held until
 * varstore_close(): a second open, from any process, gets the one line
 * "variable store 'PATH' is in use by another VM"). A missing store is
 * created from 'tmpl' (its bytes, then 0xFF up to 'size'; all 0xFF when
 * tmpl is NULL or cannot be opened) in a temporary file PATH.new-XXXXXX
 * that is synced and renamed into place: a crash leaves either no PATH or
 * a complete one (and at worst a stale temporary file). A store of any
 * size other than 'size' is refused, never padded or cut. The file's
 * blocks are reserved (fallocate) so a full disk is an error now, not a
 * SIGBUS when the guest writes. NULL after one error line. */
struct varstore *varstore_open(const char *path, const char *tmpl, uint64_t size);

/* The shared mapping of the whole store ('size' bytes). A store into it
 * can still SIGBUS if the file is truncated behind our back: callers write
 * through guard.h. */
uint8_t *varstore_data(const struct varstore *vs);

/* Write the store to disk (fdatasync). 0, or -errno after a rate-limited
 * warning. */
int varstore_flush(struct varstore *vs);

/* Flush, unmap, close (which drops the lock). NULL is a no-op. */
void varstore_close(struct varstore *vs);

#endif
