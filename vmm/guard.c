/* Guarded copies from/to guest RAM (DESIGN.md section 8): a poisoned page
 * fails one device operation, never the VMM. Uses a per-thread jump buffer
 * armed only for the duration of the copy. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"

static __thread sigjmp_buf guard_env;
static __thread volatile sig_atomic_t guard_armed;

/* A naturally aligned 2/4/8-byte copy is one load and one store, so that a
 * ring index the guest updates concurrently never tears (memcpy may copy
 * bytewise); anything else is memcpy. */
static void copy_once(void *dst, const void *src, size_t n)
{
	uintptr_t a = (uintptr_t)dst | (uintptr_t)src;

	if (n == 2 && !(a & 1))
		*(volatile uint16_t *)dst = *(const volatile uint16_t *)src;
	else if (n == 4 && !(a & 3))
		*(volatile uint32_t *)dst = *(const volatile uint32_t *)src;
	else if (n == 8 && !(a & 7))
		*(volatile uint64_t *)dst = *(const volatile uint64_t *)src;
	else
		memcpy(dst, src, n);
}

int guarded_memcpy(void *dst, const void *src, size_t n)
{
	if (sigsetjmp(guard_env, 1)) {
		guard_armed = 0;
		return -EIO;
	}
	guard_armed = 1;
	/* The compiler must not move the copy outside the armed window. */
	__asm__ volatile("" ::: "memory");
	copy_once(dst, src, n);
	__asm__ volatile("" ::: "memory");
	guard_armed = 0;
	return 0;
}

int guarded_touch(void *p)
{
	if (sigsetjmp(guard_env, 1)) {
		guard_armed = 0;
		return -EIO;
	}
	guard_armed = 1;
	__asm__ volatile("" ::: "memory");
	__atomic_fetch_add((uint8_t *)p, 0, __ATOMIC_SEQ_CST);
	__asm__ volatile("" ::: "memory");
	guard_armed = 0;
	return 0;
}

int guarded_memset(void *dst, int c, size_t n)
{
	if (sigsetjmp(guard_env, 1)) {
		guard_armed = 0;
		return -EIO;
	}
	guard_armed = 1;
	__asm__ volatile("" ::: "memory");
	memset(dst, c, n);
	__asm__ volatile("" ::: "memory");
	guard_armed = 0;
	return 0;
}

int guarded_call(void (*fn)(void *arg), void *arg)
{
	if (sigsetjmp(guard_env, 1)) {
		guard_armed = 0;
		return -EIO;
	}
	guard_armed = 1;
	__asm__ volatile("" ::: "memory");
	fn(arg);
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

/* Without --ras nothing else handles SIGBUS: a guarded access fails, any
 * other SIGBUS says one line and ends the process as the default action
 * would. Async-signal-safe. */
static void guard_sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	static const char line[] =
		"microvm-ras: error: SIGBUS outside a guarded access (truncated file or memory error); exiting\n";

	(void)uc;
	/* An asynchronous memory error report (AO) is about some page, not
	 * the access in progress: it ends the process, as it did before
	 * this handler existed (RAS, when on, handles it instead). */
	if (si->si_code != BUS_MCEERR_AO)
		guard_sigbus_recover();
	if (write(STDERR_FILENO, line, sizeof(line) - 1) < 0) {
		/* nothing more to say */
	}
	/* Pending until we return (the handler blocks it), then fatal. */
	signal(sig, SIG_DFL);
	raise(sig);
}

int guard_sigbus_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_sigbus_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	return 0;
}
