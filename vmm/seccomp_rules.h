/* The running VMM's system calls and their allowed arguments, as an
 * initializer for struct seccomp_rule[] (seccomp_filter.h), independent of
 * the architecture: the includer defines SC_NR(name) as its numbering
 * (__NR_name from <sys/syscall.h> for the host, or arm64's generic table in
 * the unit test). Everything is opened, mapped and configured before the
 * filter goes in (main.c); this is what the vCPU loop, the event loop, the
 * control socket and RAS still need. One comment per call says who needs
 * it. Hot calls come first (the filter tests them in order). */
#ifndef MVR_SECCOMP_RULES_H
#define MVR_SECCOMP_RULES_H

#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <linux/ioctl.h>

#include "seccomp_filter.h"

/* ioctl requests used once the VM runs, by their arm64 values (the
 * asm-generic encoding; seccomp.c checks them against the real headers
 * where those exist). KVM_CREATE_VM/VCPU/DEVICE, TUNSETIFF, SIOCSIFFLAGS
 * and the block-device queries are start-up only, so refused. */
#define SC_KVM_RUN                 _IOC(_IOC_NONE, 0xAE, 0x80, 0)   /* vCPU loop */
#define SC_KVM_CHECK_EXTENSION     _IOC(_IOC_NONE, 0xAE, 0x03, 0)   /* SError with ESR */
#define SC_KVM_IRQ_LINE            _IOC(_IOC_WRITE, 0xAE, 0x61, 8)  /* SPIs (GIC) */
#define SC_KVM_SET_USER_MEMORY_REGION _IOC(_IOC_WRITE, 0xAE, 0x46, 32) /* flash
				      * array/command mode, poisoned-page repair */
#define SC_KVM_SET_VCPU_EVENTS     _IOC(_IOC_WRITE, 0xAE, 0xa0, 64) /* SError,
				      * external data abort injection */
#define SC_KVM_GET_ONE_REG         _IOC(_IOC_WRITE, 0xAE, 0xab, 16) /* SEA
				      * injection, PSCI, exits */
#define SC_KVM_SET_ONE_REG         _IOC(_IOC_WRITE, 0xAE, 0xac, 16) /* same */
#define SC_KVM_ARM_VCPU_INIT       _IOC(_IOC_WRITE, 0xAE, 0xae, 32) /* vCPU reset
				      * (reboot, PSCI CPU_ON) */
#define SC_TUNSETOFFLOAD           _IOC(_IOC_WRITE, 'T', 208, 4)    /* virtio-net
				      * driver start: tap offloads */
#define SC_TCGETS                  0x5401 /* isatty() of stdio buffers */
#define SC_TCSETS                  0x5402 /* terminal mode restored at exit */
#define SC_TIOCGWINSZ              0x5413 /* musl: isatty(), and whether stdout
				      * is line buffered (its first write) */

/* glibc's pthread_create clone flags (nptl create_thread); musl's add
 * CLONE_DETACHED (pthread_create.c), which the kernel ignores. A process
 * (fork, vfork, a clone without CLONE_THREAD) is refused. */
#define SC_THREAD_CLONE_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |   \
			       CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |           \
			       CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)
#define SC_THREAD_CLONE_FLAGS_MUSL (SC_THREAD_CLONE_FLAGS | CLONE_DETACHED)

#define SC_ALTS(...)                                                                   \
	.alts = (const struct seccomp_alt[]){ __VA_ARGS__ },                           \
	.nalts = sizeof((const struct seccomp_alt[]){ __VA_ARGS__ }) /                 \
		 sizeof(struct seccomp_alt)
#define SC_EQ(v) { 0xffffffffu, (v) }
#define SC_ALLOW(call) { #call, SC_NR(call), SECCOMP_ACT_ALLOW, 0, 0, 0, NULL, 0 }
#define SC_ERRNO(call, e) { #call, SC_NR(call), SECCOMP_ACT_ERRNO, (e), 0, 0, NULL, 0 }
#define SC_ARGS(call, idx, w, ...)                                                     \
	{ .name = #call, .nr = SC_NR(call), .action = SECCOMP_ACT_ARGS,                \
	  .arg = (idx), .width = (w), SC_ALTS(__VA_ARGS__) }

/* mmap and mprotect: never executable once running (prot is an unsigned
 * long in the kernel: both words are tested). */
#define SC_NO_EXEC { PROT_EXEC, 0 }

#define SECCOMP_VMM_RULES {                                                            \
	SC_ARGS(ioctl, 1, SECCOMP_ARG32,  /* cmd is an unsigned int */                 \
		SC_EQ(SC_KVM_RUN), SC_EQ(SC_KVM_IRQ_LINE), SC_EQ(SC_KVM_GET_ONE_REG),   \
		SC_EQ(SC_KVM_SET_ONE_REG), SC_EQ(SC_KVM_SET_USER_MEMORY_REGION),        \
		SC_EQ(SC_KVM_SET_VCPU_EVENTS), SC_EQ(SC_KVM_ARM_VCPU_INIT),             \
		SC_EQ(SC_KVM_CHECK_EXTENSION), SC_EQ(SC_TUNSETOFFLOAD),                 \
		SC_EQ(SC_TCGETS), SC_EQ(SC_TCSETS), SC_EQ(SC_TIOCGWINSZ)),              \
	SC_ALLOW(read),            /* console stdin, eventfd, signalfd, timerfd */     \
	SC_ALLOW(write),           /* console stdout, log, eventfd (QueueNotify) */    \
	SC_ALLOW(futex),           /* mutexes, condition variables, join */            \
	SC_ALLOW(io_uring_enter),  /* event loop; virtio-blk I/O (readv/writev,        \
				    * fsync, fallocate run as io_uring ops) */         \
	SC_ALLOW(pread64),         /* /proc/self/pagemap scans (fd opened before) */   \
	SC_ALLOW(readv),           /* stdio; virtio-net receive from the tap */        \
	SC_ALLOW(writev),          /* stdio; virtio-net transmit to the tap */         \
	SC_ALLOW(ppoll),           /* virtio-console: is the console fd writable */    \
	SC_ALLOW(close),           /* control clients */                               \
	SC_ARGS(mmap, 2, SECCOMP_ARG64, SC_NO_EXEC), /* malloc, thread stacks,         \
				    * poisoned-page repair */                          \
	SC_ALLOW(munmap),          /* free, thread stacks */                           \
	SC_ARGS(mprotect, 2, SECCOMP_ARG64, SC_NO_EXEC), /* thread stack guards */     \
	SC_ALLOW(mremap),          /* realloc of large buffers (keeps protection) */   \
	SC_ALLOW(madvise),         /* MADV_HWPOISON injection, malloc trimming */      \
	SC_ALLOW(fdatasync),       /* --vars store: write bursts, reset, exit */       \
	SC_ALLOW(brk),             /* malloc (musl: its metadata area) */              \
	SC_ALLOW(set_robust_list), /* new threads (reboot restarts vCPU threads) */    \
	SC_ALLOW(rseq),            /* new threads */                                   \
	SC_ARGS(clone, 0, SECCOMP_ARG32, /* vCPU threads only; the kernel reads        \
					  * the low 32 bits of the flags */    \
		SC_EQ(SC_THREAD_CLONE_FLAGS), SC_EQ(SC_THREAD_CLONE_FLAGS_MUSL)),       \
	SC_ERRNO(clone3, ENOSYS),  /* flags in memory, out of the filter's reach:      \
				    * ENOSYS makes glibc fall back to clone */         \
	SC_ALLOW(exit),            /* vCPU threads end */                              \
	SC_ALLOW(exit_group),      /* the VMM ends */                                  \
	SC_ALLOW(rt_sigaction),    /* glibc installs its thread signals lazily */      \
	SC_ALLOW(rt_sigprocmask),  /* vCPU threads unblock the kick signal */          \
	SC_ALLOW(rt_sigreturn),    /* return from SIGBUS / kick handlers */            \
	SC_ALLOW(tgkill),          /* vCPU kicks (glibc pthread_kill) */               \
	SC_ALLOW(tkill),           /* vCPU kicks (musl pthread_kill), raise() */       \
	SC_ALLOW(getpid),          /* tgkill */                                        \
	SC_ALLOW(gettid),          /* tgkill, logging */                               \
	SC_ALLOW(sched_yield),     /* locks */                                         \
	SC_ALLOW(nanosleep),       /* AR retry while a source waits for its ack */     \
	SC_ALLOW(clock_nanosleep), /* same, newer glibc */                             \
	SC_ALLOW(clock_gettime),   /* latency, timeouts (without the vDSO) */          \
	SC_ALLOW(gettimeofday),    /* time() without the vDSO */                       \
	SC_ALLOW(timerfd_settime), /* read-ack polling timer */                        \
	SC_ALLOW(accept4),         /* control socket (no socket() after start-up) */   \
	SC_ALLOW(recvfrom),        /* control socket */                                \
	SC_ALLOW(sendto),          /* control socket replies */                        \
	SC_ALLOW(fcntl),           /* non-blocking control clients */                  \
	SC_ALLOW(fstat),           /* stdio */                                         \
	SC_ALLOW(newfstatat),      /* control socket clean-up */                       \
	SC_ALLOW(unlinkat),        /* control socket clean-up */                       \
	SC_ALLOW(getrandom),       /* glibc malloc in new threads; virtio-rng */       \
	SC_ALLOW(prlimit64),       /* glibc pthread_create (stack size) */             \
	SC_ALLOW(restart_syscall), /* interrupted sleeps */                            \
}

#endif
