/* Test helper: deliver a machine-check SIGBUS (BUS_MCEERR_AR/AO with an
 * address and si_addr_lsb) to the calling thread, as the kernel does for a
 * poisoned page, without poisoning anything. Include after cmocka.h. */
#ifndef MVR_TEST_SIGBUS_INJECT_H
#define MVR_TEST_SIGBUS_INJECT_H

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void send_mce(int code, void *addr, short lsb)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGBUS;
	si.si_code = code;
	si.si_addr = addr;
	si.si_addr_lsb = lsb;
	assert_int_equal(syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid),
				 SIGBUS, &si), 0);
}

#endif
