/* seccomp-BPF program builder (see seccomp_filter.h). The program, as
 * classic BPF over struct seccomp_data (linux/seccomp.h):
 *
 *	ld arch; jeq ARCH ? next : kill
 *	ld nr
 *	for each rule:  jeq NR ? body : next rule     (body always returns)
 *	ret TRAP                                       (not in the table)
 *
 * A rule body is "ret ALLOW", "ret ERRNO|err", or, for argument rules, one
 * test per alternative jumping to a shared "ret ALLOW", then "ret TRAP".
 * Classic BPF has 32-bit registers: a 64-bit argument is tested as its low
 * and its high word, each masked and compared on its own. */
#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "seccomp_filter.h"

/* Where the two words of args[i] are (seccomp_data holds them in the
 * host's byte order). */
#define ARG_OFF(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) ((uint32_t)ARG_OFF(i))
#define ARG_HI(i) ((uint32_t)ARG_OFF(i) + 4)
#else
#define ARG_LO(i) ((uint32_t)ARG_OFF(i) + 4)
#define ARG_HI(i) ((uint32_t)ARG_OFF(i))
#endif

struct prog {
	struct sock_filter *f;
	unsigned n, max;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n < p->max)
		p->f[p->n] = (struct sock_filter){ code, jt, jf, k };
	p->n++;
}

/* One word test: load it, mask it (unless the mask is all ones), compare.
 * Matches fall through; a mismatch jumps 'miss' instructions past the
 * compare. Returns the instructions emitted (2 or 3) without 'p' (NULL):
 * the caller sizes jumps first. */
static unsigned word_test(struct prog *p, uint32_t off, uint32_t mask, uint32_t value,
			  uint8_t miss)
{
	unsigned len = mask == 0xffffffffu ? 2 : 3;

	if (!p)
		return len;
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
	if (len == 3)
		emit(p, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, miss, value);
	return len;
}

/* Length of one alternative's test: the low word, then (64-bit) the high
 * word, then a jump to the rule's "ret ALLOW". */
static unsigned alt_len(const struct seccomp_rule *r, const struct seccomp_alt *a)
{
	unsigned len = word_test(NULL, 0, (uint32_t)a->mask, 0, 0);

	if (r->width == SECCOMP_ARG64)
		len += word_test(NULL, 0, (uint32_t)(a->mask >> 32), 0, 0);
	return len + 1;
}

/* Instructions of a rule's body (after its dispatch jeq). */
static unsigned body_len(const struct seccomp_rule *r)
{
	unsigned i, len = 2; /* ret TRAP; ret ALLOW */

	if (r->action != SECCOMP_ACT_ARGS)
		return 1;
	for (i = 0; i < r->nalts; i++)
		len += alt_len(r, &r->alts[i]);
	return len;
}

static int check_rule(const struct seccomp_rule *r)
{
	unsigned i;

	switch (r->action) {
	case SECCOMP_ACT_ALLOW:
		return 0;
	case SECCOMP_ACT_ERRNO:
		return r->err > 0 && r->err <= (int)SECCOMP_RET_DATA ? 0 : -EINVAL;
	case SECCOMP_ACT_ARGS:
		if (r->arg > 5 || !r->nalts || !r->alts)
			return -EINVAL;
		for (i = 0; i < r->nalts; i++)
			/* A value bit outside the mask could never match. */
			if (r->alts[i].value & ~r->alts[i].mask ||
			    (r->width == SECCOMP_ARG32 && r->alts[i].mask >> 32))
				return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/* The body of an argument rule: alternatives, ret TRAP, ret ALLOW. */
static void emit_args(struct prog *p, const struct seccomp_rule *r)
{
	unsigned i, left = body_len(r) - 1; /* to "ret ALLOW", from the start */

	for (i = 0; i < r->nalts; i++) {
		const struct seccomp_alt *a = &r->alts[i];
		unsigned len = alt_len(r, a);
		/* A miss goes to the next alternative: the rest of this one
		 * after the compare that missed. */
		uint8_t miss_lo = (uint8_t)(len - word_test(NULL, 0, (uint32_t)a->mask, 0, 0));

		word_test(p, ARG_LO(r->arg), (uint32_t)a->mask, (uint32_t)a->value, miss_lo);
		if (r->width == SECCOMP_ARG64)
			word_test(p, ARG_HI(r->arg), (uint32_t)(a->mask >> 32),
				  (uint32_t)(a->value >> 32), 1);
		/* Matched: jump to "ret ALLOW". */
		left -= len;
		emit(p, BPF_JMP | BPF_JA, 0, 0, left);
	}
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

int seccomp_filter_build(const struct seccomp_rule *rules, unsigned n, uint32_t arch,
			 struct sock_filter *out, unsigned max)
{
	struct prog p = { out, 0, max };
	unsigned i;

	for (i = 0; i < n; i++) {
		if (check_rule(&rules[i]))
			return -EINVAL;
		if (body_len(&rules[i]) > 255)
			return -E2BIG;
	}
	/* seccomp_data.arch: another ABI's numbers mean other calls. */
	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, arch);
	emit(&p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
	for (i = 0; i < n; i++) {
		const struct seccomp_rule *r = &rules[i];

		emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)body_len(r), (uint32_t)r->nr);
		if (r->action == SECCOMP_ACT_ALLOW)
			emit(&p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
		else if (r->action == SECCOMP_ACT_ERRNO)
			emit(&p, BPF_RET | BPF_K, 0, 0,
			     SECCOMP_RET_ERRNO | ((uint32_t)r->err & SECCOMP_RET_DATA));
		else
			emit_args(&p, r);
	}
	emit(&p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);
	if (p.n > max || p.n > SECCOMP_FILTER_MAX)
		return -E2BIG;
	return (int)p.n;
}

const struct seccomp_rule *seccomp_filter_find(const struct seccomp_rule *rules, unsigned n,
					       int nr)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (rules[i].nr == nr)
			return &rules[i];
	return NULL;
}
