/* seccomp-BPF program builder (pure: no system call, no global state).
 * A table of rules, one per allowed system call, becomes a classic BPF
 * program for SECCOMP_SET_MODE_FILTER (Linux
 * Documentation/userspace-api/seccomp_filter.rst): a wrong architecture
 * kills the process, a call outside the table traps (SIGSYS), a call in
 * the table is allowed, refused with an errno, or allowed only when one of
 * its argument patterns matches (otherwise it traps). */
#ifndef MVR_SECCOMP_FILTER_H
#define MVR_SECCOMP_FILTER_H

#include <stdint.h>
#include <linux/filter.h>

/* How much of a 64-bit argument register the kernel reads. */
enum seccomp_width {
	SECCOMP_ARG32,  /* the kernel truncates to 32 bits (int, unsigned int
			 * cmd, lower_32_bits(clone flags)): compare the low
			 * word only; an ABI may leave the high word undefined */
	SECCOMP_ARG64,  /* a full 64-bit value: low and high words each */
};

/* One allowed pattern: (arg & mask) == value, over the rule's width. */
struct seccomp_alt {
	uint64_t mask;
	uint64_t value;
};

enum seccomp_action {
	SECCOMP_ACT_ALLOW,   /* any arguments */
	SECCOMP_ACT_ERRNO,   /* fail with 'err', no trap (clone3 -> ENOSYS) */
	SECCOMP_ACT_ARGS,    /* allowed when argument 'arg' matches an alt */
};

struct seccomp_rule {
	const char *name;            /* for the SIGSYS message */
	int nr;                      /* this architecture's number */
	enum seccomp_action action;
	int err;                     /* ERRNO: the errno the call returns */
	unsigned arg;                /* ARGS: argument index, 0..5 */
	enum seccomp_width width;    /* ARGS */
	const struct seccomp_alt *alts; /* ARGS: allowed patterns (any one) */
	unsigned nalts;
};

/* The longest program the kernel accepts (BPF_MAXINSNS). */
#define SECCOMP_FILTER_MAX 4096

/* Build the program for audit architecture 'arch' into out[0..max).
 * Returns its length, or -EINVAL (bad rule: argument index > 5, no
 * alternatives, errno out of range), -E2BIG (more than 'max'
 * instructions, or a rule too long for an 8-bit jump). */
int seccomp_filter_build(const struct seccomp_rule *rules, unsigned n, uint32_t arch,
			 struct sock_filter *out, unsigned max);

/* The rule for system call 'nr', or NULL. */
const struct seccomp_rule *seccomp_filter_find(const struct seccomp_rule *rules, unsigned n,
					       int nr);

#endif
