/* Guarded copies from/to guest RAM (DESIGN.md section 8): a poisoned page
 * fails one device operation, never the VMM. Uses a per-thread jump buffer
 * armed only for the duration of the copy. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "guard.h"

static __thread sigjmp_buf guard_env;
static __thread volatile sig_atomic_t guard_armed;

int guarded_memcpy(void *dst, const void *src, size_t n)
{
	if (sigsetjmp(guard_env, 1)) {
		guard_armed = 0;
		return -EIO;
	}
	guard_armed = 1;
	/* The compiler must not move the copy outside the armed window. */
	__asm__ volatile("" ::: "memory");
	memcpy(dst, src, n);
	__asm__ volatile("" ::: "memory");
	guard_armed = 0;
	return 0;
}

bool guard_sigbus_recover(void)
{
	if (!guard_armed)
		return false;
	guard_armed = 0;
	siglongjmp(guard_env, 1);
}
