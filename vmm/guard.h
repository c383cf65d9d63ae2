/* Guarded copies: memcpy that turns a SIGBUS (poisoned page) inside the
 * copy into an -EIO return instead of the death of the VMM. The SIGBUS
 * handler calls guard_sigbus_recover() first; it does not return when the
 * faulting thread was inside a guarded access (any function below). */
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

/* memset with the same guard: 0, or -EIO when a page could not be written
 * (poisoned, or a file mapping past the end of a truncated file). */
int guarded_memset(void *dst, int c, size_t n);

/* Run fn(arg) with the guard armed: 0, or -EIO if a SIGBUS cut it short
 * (then fn did not finish). fn must only load and store: no locks, no
 * allocation, nothing a jump out of it would leave half done. */
int guarded_call(void (*fn)(void *arg), void *arg);

/* From the SIGBUS handler only: if this thread is in a guarded copy, jump
 * back into it (never returns); otherwise return false. */
bool guard_sigbus_recover(void);

/* A minimal SIGBUS handler for when RAS (ras/sigbus.c) installs none:
 * guarded accesses fail with -EIO, any other SIGBUS prints one line and
 * kills the process as SIGBUS. RAS's handler replaces it and recovers
 * guarded accesses too. Returns 0 or -errno. */
int guard_sigbus_install(void);

#endif
