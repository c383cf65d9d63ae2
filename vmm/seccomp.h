/* System-call allowlist (CONFIG_SECCOMP): installed once the VM is built,
 * before any vCPU runs, for every thread of the process. A call outside the
 * list, or an allowed call with refused arguments (seccomp_rules.h), ends
 * the VMM with one message naming the call. */
#ifndef MVR_SECCOMP_H
#define MVR_SECCOMP_H

#include <stddef.h>

#ifdef CONFIG_SECCOMP
#include "seccomp_filter.h"

/* The VMM's rules with this build's system-call numbers. */
extern const struct seccomp_rule seccomp_vmm_rules[];
extern const unsigned seccomp_vmm_nrules;

/* Returns 0 or -errno (after logging). */
int seccomp_install(void);

/* The SIGSYS message for call 'nr' into line[0..size) ("blocked system
 * call mmap (222): arguments not allowed (seccomp); exiting\n" for a call
 * in the table, the number alone otherwise); no NUL. Returns its length.
 * Async-signal-safe. */
size_t seccomp_describe(int nr, char *line, size_t size);
#else
static inline int seccomp_install(void) { return 0; }
#endif

#endif
