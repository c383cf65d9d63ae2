/* seccomp-BPF allowlist for the running VMM: the rules of seccomp_rules.h
 * with this architecture's numbers, built by seccomp_filter.c and
 * installed for every thread. Violations trap (SIGSYS) so the message can
 * name the call, and say when only its arguments were refused, instead of
 * a silent kill. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "log.h"
#include "seccomp.h"
#include "term.h"

/* musl's <unistd.h> makes pread64 a macro for pread (_GNU_SOURCE): the
 * rule names the system call. */
#undef pread64

#define SC_NR(name) __NR_##name
#include "seccomp_rules.h"

/* The filter's architecture: the VMM is arm64; the native unit tests
 * install the same list (x86-64 numbers of the same calls) on their host. */
#if defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#elif defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#else
#error "seccomp.c: unknown architecture"
#endif

/* The table's ioctl values are written out for arm64; where this build's
 * headers define the same requests, they must agree. */
_Static_assert(SC_KVM_RUN == KVM_RUN, "KVM_RUN");
_Static_assert(SC_KVM_CHECK_EXTENSION == KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION");
_Static_assert(SC_KVM_IRQ_LINE == KVM_IRQ_LINE, "KVM_IRQ_LINE");
_Static_assert(SC_KVM_SET_USER_MEMORY_REGION == KVM_SET_USER_MEMORY_REGION, "memory region");
_Static_assert(SC_KVM_GET_ONE_REG == KVM_GET_ONE_REG, "KVM_GET_ONE_REG");
_Static_assert(SC_KVM_SET_ONE_REG == KVM_SET_ONE_REG, "KVM_SET_ONE_REG");
_Static_assert(SC_TUNSETOFFLOAD == TUNSETOFFLOAD, "TUNSETOFFLOAD");
_Static_assert(SC_TCGETS == TCGETS && SC_TCSETS == TCSETS, "TCGETS/TCSETS");
_Static_assert(SC_TIOCGWINSZ == TIOCGWINSZ, "TIOCGWINSZ");
#if defined(__aarch64__)
_Static_assert(SC_KVM_SET_VCPU_EVENTS == KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS");
_Static_assert(SC_KVM_ARM_VCPU_INIT == KVM_ARM_VCPU_INIT, "KVM_ARM_VCPU_INIT");
#endif

const struct seccomp_rule seccomp_vmm_rules[] = SECCOMP_VMM_RULES;
const unsigned seccomp_vmm_nrules = sizeof(seccomp_vmm_rules) / sizeof(seccomp_vmm_rules[0]);

/* Append 's' to line[*len] (bounded): async-signal-safe. */
static void put_str(char *line, size_t size, size_t *len, const char *s)
{
	while (*s && *len < size)
		line[(*len)++] = *s++;
}

static void put_dec(char *line, size_t size, size_t *len, unsigned v)
{
	char d[12];
	unsigned n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(d));
	while (n && *len < size)
		line[(*len)++] = d[--n];
}

size_t seccomp_describe(int nr, char *line, size_t size)
{
	const struct seccomp_rule *r = seccomp_filter_find(seccomp_vmm_rules,
							   seccomp_vmm_nrules, nr);
	size_t len = 0;

	put_str(line, size, &len, "microvm-ras: error: blocked system call ");
	if (r) {
		put_str(line, size, &len, r->name);
		put_str(line, size, &len, " (");
	}
	put_dec(line, size, &len, (unsigned)nr);
	if (r)
		put_str(line, size, &len, "): arguments not allowed");
	put_str(line, size, &len, " (seccomp); exiting\n");
	return len;
}

static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	char line[160];
	size_t len = seccomp_describe(si->si_syscall, line, sizeof(line));

	(void)sig;
	(void)uc;
	term_restore();
	if (write(STDERR_FILENO, line, len) < 0)
		_exit(1);
	_exit(1);
}

int seccomp_install(void)
{
	static struct sock_filter f[SECCOMP_FILTER_MAX];
	struct sock_fprog prog = { .len = 0, .filter = f };
	struct sigaction sa;
	int n;

	n = seccomp_filter_build(seccomp_vmm_rules, seccomp_vmm_nrules, SECCOMP_ARCH, f,
				 SECCOMP_FILTER_MAX);
	if (n < 0) {
		pr_err("cannot build the seccomp filter: %s", strerror(-n));
		return n;
	}
	prog.len = (unsigned short)n;

#ifdef __GLIBC__
	/* glibc sizes its arena limit from the CPU count the first time a
	 * thread needs a 9th arena (8 x 1 CPU), reading it with a system call
	 * the filter refuses: the 9th vCPU thread to malloc would end the VMM.
	 * Fix the limit now, at glibc's own default of 8 per CPU. musl's
	 * malloc has no arenas (one heap, brk and mmap). */
	mallopt(M_ARENA_MAX, 8 * (get_nprocs() > 0 ? get_nprocs() : 1));
#endif

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) {
		int ret = -errno;

		pr_err("cannot install the seccomp filter: %s (rebuild with CONFIG_SECCOMP=n to run without)",
		       strerror(-ret));
		return ret;
	}
	return 0;
}
