/* Guarded copies: memcpy that turns a SIGBUS (poisoned page) inside the
 * copy into an -EIO return instead of the death of the VMM. The SIGBUS
 * handler calls guard_sigbus_recover() first; it does not return when the
 * faulting thread was inside guarded_memcpy(). */
#ifndef MVR_GUARD_H
#define MVR_GUARD_H

#include <stddef.h>
#include <stdbool.h>

/* Copy n bytes; 0, or -EIO when a poisoned page was hit. A naturally
 * aligned 2-, 4- or 8-byte copy is a single load and store (no tearing). */
int guarded_memcpy(void *dst, const void *src, size_t n);

/* Give the page holding p a frame of its own (a write fault, never the
 * shared zero page) without changing a byte, even one another thread is
 * writing: an atomic add of 0. 0, or -EIO when the page is poisoned. */
int guarded_touch(void *p);

/* From the SIGBUS handler only: if this thread is in a guarded copy, jump
 * back into it (never returns); otherwise return false. */
bool guard_sigbus_recover(void);

#endif
