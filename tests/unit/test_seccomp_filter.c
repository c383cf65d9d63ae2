/* Unit tests for the seccomp-BPF builder (vmm/seccomp_filter.c): the
 * programs run through a small classic-BPF interpreter below, which
 * checks each instruction as the kernel's verifier would (known opcodes,
 * loads inside struct seccomp_data, jumps inside the program). The VMM's
 * own rules are built with arm64's system-call numbers (the generic table
 * of <asm-generic/unistd.h>, as arm64's uapi header includes it), so what
 * is tested is the filter the VMM installs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <cmocka.h>

/* arm64's numbering (arch/arm64/include/uapi/asm/unistd.h). */
#define __ARCH_WANT_RENAMEAT
#define __ARCH_WANT_NEW_STAT
#define __ARCH_WANT_SET_GET_RLIMIT
#define __ARCH_WANT_TIME32_SYSCALLS
#define __ARCH_WANT_SYS_CLONE3
#include <asm-generic/unistd.h>

#define SC_NR(name) __NR_##name
#include "seccomp_rules.h"

static const struct seccomp_rule arm64_rules[] = SECCOMP_VMM_RULES;
#define NRULES (sizeof(arm64_rules) / sizeof(arm64_rules[0]))

/* ---- a classic BPF interpreter for seccomp programs ---- */

#define BAD_PROGRAM 0xdeadbeefu

/* Run f[0..n) on d. Returns the program's return value, or BAD_PROGRAM
 * for anything the kernel would refuse or that runs off the end. */
static uint32_t bpf_run(const struct sock_filter *f, unsigned n, const struct seccomp_data *d)
{
	uint32_t a = 0, w;
	unsigned pc = 0;

	while (pc < n) {
		const struct sock_filter *i = &f[pc++];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k % 4 || i->k + 4 > sizeof(*d))
				return BAD_PROGRAM;
			memcpy(&w, (const uint8_t *)d + i->k, 4);
			a = w;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		case BPF_JMP | BPF_JA:
			if (i->k >= n - pc)
				return BAD_PROGRAM;
			pc += i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			if (i->jt >= n - pc || i->jf >= n - pc)
				return BAD_PROGRAM;
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			return BAD_PROGRAM;
		}
	}
	return BAD_PROGRAM;
}

static struct sock_filter prog[SECCOMP_FILTER_MAX];
static int prog_len;

static int setup_arm64(void **state)
{
	(void)state;
	prog_len = seccomp_filter_build(arm64_rules, NRULES, AUDIT_ARCH_AARCH64, prog,
					SECCOMP_FILTER_MAX);
	return prog_len > 0 ? 0 : -1;
}

static uint32_t call(uint32_t arch, int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1, a2 } };

	return bpf_run(prog, (unsigned)prog_len, &d);
}

#define ARM64 AUDIT_ARCH_AARCH64

static void test_arch_and_unknown_calls(void **state)
{
	(void)state;
	assert_int_equal(call(ARM64, __NR_read, 0, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call(ARM64, __NR_futex, 0, 0, 0), SECCOMP_RET_ALLOW);
	/* openat (56, the 9th-arena case of issue 12), socket, execve. */
	assert_int_equal(call(ARM64, 56, 0, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_socket, 1 /* AF_UNIX */, 1, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_execve, 0, 0, 0), SECCOMP_RET_TRAP);
	/* The same number from another ABI: killed, never interpreted. */
	assert_int_equal(call(AUDIT_ARCH_X86_64, __NR_read, 0, 0, 0),
			 SECCOMP_RET_KILL_PROCESS);
	/* Numbers past the table (x32's bit on x86). */
	assert_int_equal(call(ARM64, 0x40000000 | __NR_read, 0, 0, 0), SECCOMP_RET_TRAP);
}

static void test_ioctl_requests(void **state)
{
	static const uint32_t allowed[] = {
		SC_KVM_RUN, SC_KVM_IRQ_LINE, SC_KVM_GET_ONE_REG, SC_KVM_SET_ONE_REG,
		SC_KVM_SET_USER_MEMORY_REGION, SC_KVM_SET_VCPU_EVENTS, SC_KVM_ARM_VCPU_INIT,
		SC_KVM_CHECK_EXTENSION, SC_TUNSETOFFLOAD, SC_TCGETS, SC_TCSETS,
		0x5413 /* TIOCGWINSZ: musl's isatty() */,
	};
	unsigned i;

	(void)state;
	assert_int_equal(__NR_ioctl, 29); /* arm64 */
	assert_int_equal(SC_KVM_RUN, 0xae80);
	assert_int_equal(SC_KVM_ARM_VCPU_INIT, 0x4020aeae);
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		assert_int_equal(call(ARM64, __NR_ioctl, 3, allowed[i], 0), SECCOMP_RET_ALLOW);
		/* The kernel reads cmd as an unsigned int: junk in the high
		 * word is the same request. */
		assert_int_equal(call(ARM64, __NR_ioctl, 3, 0xffffffff00000000ull | allowed[i], 0),
				 SECCOMP_RET_ALLOW);
	}
	/* KVM_CREATE_VM, KVM_CREATE_VCPU, KVM_GET_VCPU_EVENTS, TUNSETIFF,
	 * TIOCSTI (push input into a terminal), 0. */
	assert_int_equal(call(ARM64, __NR_ioctl, 3, 0xae01, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_ioctl, 3, 0xae41, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_ioctl, 3, 0x8040ae9f, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_ioctl, 3, 0x400454ca, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_ioctl, 0, 0x5412, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_ioctl, 0, 0, 0), SECCOMP_RET_TRAP);
}

/* What musl 1.2.3 itself calls once the VM runs (read from its source):
 * pthread_kill and raise use tkill, mallocng grows its metadata with brk
 * and gives memory back with munmap, madvise and mremap, pthread_create
 * unblocks signals and maps a stack with a PROT_NONE guard, stdio's
 * writev/readv, fstat (SYS_fstat, fcntl F_GETFD on EBADF), sleeps
 * (nanosleep for CLOCK_REALTIME), exit and exit_group. */
static void test_musl_runtime_calls(void **state)
{
	static const int nr[] = {
		__NR_tkill, __NR_brk, __NR_munmap, __NR_madvise, __NR_mremap,
		__NR_rt_sigprocmask, __NR_rt_sigaction, __NR_rt_sigreturn, __NR_futex,
		__NR_writev, __NR_readv, __NR_fstat, __NR_fcntl, __NR_nanosleep,
		__NR_clock_nanosleep, __NR_clock_gettime, __NR_exit, __NR_exit_group,
		__NR_getrandom, __NR_gettid,
	};
	unsigned i;

	(void)state;
	assert_int_equal(__NR_tkill, 130);
	for (i = 0; i < sizeof(nr) / sizeof(nr[0]); i++)
		assert_int_equal(call(ARM64, nr[i], 0, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call(ARM64, __NR_mprotect, 0, 4096, PROT_READ | PROT_WRITE),
			 SECCOMP_RET_ALLOW);
	/* Not needed by the running VMM: membarrier (musl's
	 * __membarrier_init is a stub unless membarrier() is linked), lseek
	 * (stdio seeks only read streams with buffered input at exit). */
	assert_int_equal(call(ARM64, __NR_membarrier, 0, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_lseek, 0, 0, 0), SECCOMP_RET_TRAP);
}

static void test_no_exec_mappings(void **state)
{
	(void)state;
	assert_int_equal(__NR_mmap, 222);
	assert_int_equal(call(ARM64, __NR_mmap, 0, 4096, PROT_READ | PROT_WRITE),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(ARM64, __NR_mmap, 0, 4096, PROT_NONE), SECCOMP_RET_ALLOW);
	assert_int_equal(call(ARM64, __NR_mmap, 0, 4096, PROT_READ | PROT_EXEC),
			 SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_mmap, 0, 4096, PROT_EXEC), SECCOMP_RET_TRAP);
	/* PROT_EXEC with junk above: still refused (64-bit argument). */
	assert_int_equal(call(ARM64, __NR_mmap, 0, 4096, 0x100000000ull | PROT_EXEC),
			 SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_mprotect, 0, 4096, PROT_READ | PROT_WRITE),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(ARM64, __NR_mprotect, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC),
			 SECCOMP_RET_TRAP);
	/* pkey_mprotect is not in the table at all. */
	assert_int_equal(call(ARM64, __NR_pkey_mprotect, 0, 4096, PROT_READ), SECCOMP_RET_TRAP);
}

static void test_clone_threads_only(void **state)
{
	(void)state;
	assert_int_equal(__NR_clone, 220);
	assert_int_equal(call(ARM64, __NR_clone, SC_THREAD_CLONE_FLAGS, 0, 0), SECCOMP_RET_ALLOW);
	/* The kernel uses the low 32 bits of the flags. */
	assert_int_equal(call(ARM64, __NR_clone, 0xabcd000000000000ull | SC_THREAD_CLONE_FLAGS,
			      0, 0), SECCOMP_RET_ALLOW);
	/* fork (SIGCHLD), vfork, a shared-memory process, a new namespace. */
	/* musl's pthread_create: the same plus CLONE_DETACHED (ignored). */
	assert_int_equal(call(ARM64, __NR_clone, SC_THREAD_CLONE_FLAGS | 0x00400000, 0, 0),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(ARM64, __NR_clone, 0x00400000 | 17, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_clone,
			      (SC_THREAD_CLONE_FLAGS | 0x00400000) & ~CLONE_THREAD, 0, 0),
			 SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_clone, 17 /* SIGCHLD */, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_clone, CLONE_VM | CLONE_VFORK | 17 /* SIGCHLD */, 0, 0),
			 SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_clone, SC_THREAD_CLONE_FLAGS & ~CLONE_THREAD, 0, 0),
			 SECCOMP_RET_TRAP);
	assert_int_equal(call(ARM64, __NR_clone, SC_THREAD_CLONE_FLAGS | CLONE_NEWNS, 0, 0),
			 SECCOMP_RET_TRAP);
	/* clone3: ENOSYS (glibc falls back to clone), not a trap. */
	assert_int_equal(__NR_clone3, 435);
	assert_int_equal(call(ARM64, __NR_clone3, 0, 0, 0), SECCOMP_RET_ERRNO | ENOSYS);
}

/* ---- the builder on made-up tables ---- */

static void test_64bit_compare_both_words(void **state)
{
	const struct seccomp_rule r[] = {
		{ .name = "t", .nr = 7, .action = SECCOMP_ACT_ARGS, .arg = 4,
		  .width = SECCOMP_ARG64,
		  SC_ALTS({ ~0ull, 0x0000000100000002ull }, { 0xff00000000ull, 0x1200000000ull }) },
	};
	struct sock_filter f[64];
	struct seccomp_data d = { .nr = 7, .arch = 99 };
	int n = seccomp_filter_build(r, 1, 99, f, 64);

	(void)state;
	assert_true(n > 0);
	d.args[4] = 0x0000000100000002ull;
	assert_int_equal(bpf_run(f, (unsigned)n, &d), SECCOMP_RET_ALLOW);
	d.args[4] = 0x0000000000000002ull;	/* low word alone */
	assert_int_equal(bpf_run(f, (unsigned)n, &d), SECCOMP_RET_TRAP);
	d.args[4] = 0x0000000200000002ull;	/* high word differs */
	assert_int_equal(bpf_run(f, (unsigned)n, &d), SECCOMP_RET_TRAP);
	d.args[4] = 0x0000001200000000ull | 0xffffffffull; /* 2nd: masked high byte */
	assert_int_equal(bpf_run(f, (unsigned)n, &d), SECCOMP_RET_ALLOW);
	d.args[4] = 0x0000001300000000ull;
	assert_int_equal(bpf_run(f, (unsigned)n, &d), SECCOMP_RET_TRAP);
	d.args[3] = 0x0000000100000002ull; /* another argument */
	assert_int_equal(bpf_run(f, (unsigned)n, &d), SECCOMP_RET_TRAP);
}

static void test_bad_tables(void **state)
{
	static const struct seccomp_alt one = { 0xff, 1 }, bad_value = { 0xf0, 1 },
		high32 = { 0x100000000ull, 0 };
	struct seccomp_rule r = { .name = "t", .nr = 1, .action = SECCOMP_ACT_ARGS, .arg = 6,
				  .width = SECCOMP_ARG32, .alts = &one, .nalts = 1 };
	static struct seccomp_alt many[100];
	struct sock_filter f[16];

	(void)state;
	assert_int_equal(seccomp_filter_build(&r, 1, 1, prog, SECCOMP_FILTER_MAX), -EINVAL);
	r.arg = 0;
	r.nalts = 0;
	assert_int_equal(seccomp_filter_build(&r, 1, 1, prog, SECCOMP_FILTER_MAX), -EINVAL);
	r.nalts = 1;
	r.alts = &bad_value;
	assert_int_equal(seccomp_filter_build(&r, 1, 1, prog, SECCOMP_FILTER_MAX), -EINVAL);
	r.alts = &high32;   /* a high-word mask on a 32-bit argument */
	assert_int_equal(seccomp_filter_build(&r, 1, 1, prog, SECCOMP_FILTER_MAX), -EINVAL);
	r = (struct seccomp_rule){ .name = "t", .nr = 1, .action = SECCOMP_ACT_ERRNO, .err = 0 };
	assert_int_equal(seccomp_filter_build(&r, 1, 1, prog, SECCOMP_FILTER_MAX), -EINVAL);
	/* 100 alternatives do not fit an 8-bit jump over the rule. */
	r = (struct seccomp_rule){ .name = "t", .nr = 1, .action = SECCOMP_ACT_ARGS,
				   .width = SECCOMP_ARG32, .alts = many, .nalts = 100 };
	assert_int_equal(seccomp_filter_build(&r, 1, 1, prog, SECCOMP_FILTER_MAX), -E2BIG);
	/* Too small an output. */
	assert_int_equal(seccomp_filter_build(arm64_rules, NRULES, ARM64, f, 16), -E2BIG);
}

static void test_find_names(void **state)
{
	const struct seccomp_rule *r;

	(void)state;
	r = seccomp_filter_find(arm64_rules, NRULES, __NR_mmap);
	assert_non_null(r);
	assert_string_equal(r->name, "mmap");
	assert_null(seccomp_filter_find(arm64_rules, NRULES, 56));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arch_and_unknown_calls),
		cmocka_unit_test(test_ioctl_requests),
		cmocka_unit_test(test_no_exec_mappings),
		cmocka_unit_test(test_clone_threads_only),
		cmocka_unit_test(test_musl_runtime_calls),
		cmocka_unit_test(test_64bit_compare_both_words),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_find_names),
	};

	return cmocka_run_group_tests(tests, setup_arm64, NULL);
}
