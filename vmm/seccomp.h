/* System-call allowlist (CONFIG_SECCOMP): installed once the VM is built,
 * before any vCPU runs, for every thread of the process. A call outside the
 * list ends the VMM with one message naming the call. */
#ifndef MVR_SECCOMP_H
#define MVR_SECCOMP_H

#ifdef CONFIG_SECCOMP
/* Returns 0 or -errno (after logging). */
int seccomp_install(void);
#else
static inline int seccomp_install(void) { return 0; }
#endif

#endif
