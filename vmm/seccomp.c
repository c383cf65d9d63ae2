/* seccomp-BPF allowlist for the running VMM (Linux
 * Documentation/userspace-api/seccomp_filter.rst). Everything the VMM needs
 * to open, map and configure happens before installation; what is left is
 * the vCPU loop, the event loop, the control socket and RAS. One comment per
 * system call says who needs it. Violations trap (SIGSYS) so the message can
 * name the call instead of a silent kill. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "log.h"
#include "seccomp.h"
#include "term.h"

/* The filter's architecture: the VMM is arm64; the native unit tests
 * install the same list (x86-64 numbers of the same calls) on their host. */
#if defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#elif defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#else
#error "seccomp.c: unknown architecture"
#endif

static const int allowed[] = {
	__NR_read,            /* console stdin, eventfd, signalfd, timerfd */
	__NR_pread64,         /* /proc/self/pagemap scans for poisoned pages */
	__NR_write,           /* console stdout, log, eventfd (virtio QueueNotify) */
	__NR_readv,           /* stdio; virtio-net receive from the tap */
	__NR_writev,          /* stdio; virtio-net transmit to the tap */
	__NR_ppoll,           /* virtio-console: is the console fd writable (poll) */
	__NR_close,           /* control clients */
	__NR_ioctl,           /* KVM_RUN, ONE_REG, IRQ_LINE, memslots, terminal,
			       * TUNSETOFFLOAD when a virtio-net driver starts */
	__NR_io_uring_enter,  /* event loop; virtio-blk I/O (readv/writev, fsync,
			       * fallocate run as io_uring ops, not syscalls),
			       * waiting for it at device reset */
	__NR_mmap,            /* malloc, thread stacks, poisoned-page repair */
	__NR_munmap,          /* free, thread stacks */
	__NR_mprotect,        /* thread stack guards */
	__NR_mremap,          /* realloc of large buffers */
	__NR_madvise,         /* MADV_HWPOISON injection, malloc trimming */
	__NR_fdatasync,       /* --vars store: end of a flash write burst, reset, exit */
	__NR_brk,             /* malloc */
	__NR_futex,           /* mutexes, condition variables, join */
	__NR_set_robust_list, /* new threads (reboot restarts vCPU threads) */
	__NR_rseq,            /* new threads */
	__NR_clone,           /* vCPU threads */
	__NR_clone3,          /* vCPU threads */
	__NR_exit,            /* vCPU threads end */
	__NR_exit_group,      /* the VMM ends */
	__NR_rt_sigaction,    /* glibc installs its thread signals lazily */
	__NR_rt_sigprocmask,  /* vCPU threads unblock the kick signal */
	__NR_rt_sigreturn,    /* return from SIGBUS / kick handlers */
	__NR_tgkill,          /* vCPU kicks */
	__NR_getpid,          /* tgkill */
	__NR_gettid,          /* tgkill, logging */
	__NR_sched_yield,     /* locks */
	__NR_nanosleep,       /* AR retry while a source waits for its ack */
	__NR_clock_nanosleep, /* same, newer glibc */
	__NR_clock_gettime,   /* latency, timeouts (if the vDSO is unavailable) */
	__NR_gettimeofday,    /* time() without vDSO */
	__NR_timerfd_settime, /* read-ack polling timer */
	__NR_accept4,         /* control socket */
	__NR_recvfrom,        /* control socket */
	__NR_sendto,          /* control socket replies */
	__NR_fcntl,           /* non-blocking control clients */
	__NR_fstat,           /* stdio */
	__NR_newfstatat,      /* control socket clean-up */
	__NR_unlinkat,        /* control socket clean-up */
	__NR_getrandom,       /* glibc malloc in new threads; virtio-rng */
	__NR_prlimit64,       /* glibc pthread_create (stack size) */
	__NR_restart_syscall, /* interrupted sleeps */
};

static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	char line[96] = "microvm-ras: error: blocked system call ";
	size_t len = strlen(line);
	int nr = si->si_syscall, div = 10000;

	(void)sig;
	(void)uc;
	/* Decimal without stdio: async-signal-safe. */
	while (div > 1 && nr / div == 0)
		div /= 10;
	for (; div; div /= 10)
		line[len++] = (char)('0' + (nr / div) % 10);
	memcpy(line + len, " (seccomp); exiting\n", 20);
	len += 20;
	term_restore();
	if (write(STDERR_FILENO, line, len) < 0)
		_exit(1);
	_exit(1);
}

int seccomp_install(void)
{
	enum { N = sizeof(allowed) / sizeof(allowed[0]) };
	struct sock_filter f[4 + N + 2];
	struct sock_fprog prog = { .len = 0, .filter = f };
	struct sigaction sa;
	unsigned i, n = 0;

	/* Wrong architecture: kill. Then one comparison per allowed call. */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (i = 0; i < N; i++)
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)allowed[i], (unsigned char)(N - i), 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;

	/* glibc sizes its arena limit from the CPU count the first time a
	 * thread needs a 9th arena (8 x 1 CPU), reading it with a system call
	 * the filter refuses: the 9th vCPU thread to malloc would end the VMM.
	 * Fix the limit now, at glibc's own default of 8 per CPU. */
	mallopt(M_ARENA_MAX, 8 * (get_nprocs() > 0 ? get_nprocs() : 1));

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
