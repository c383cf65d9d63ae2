/* The jailer pattern (--chroot DIR, --user UID:GID): once every file,
 * socket and KVM descriptor is open and before a vCPU runs guest code, the
 * VMM changes its root to DIR and drops to UID:GID for good. What the VMM
 * still needs afterwards must be open by then (README.md, "Jail"). */
#ifndef MVR_JAIL_H
#define MVR_JAIL_H

#include <stddef.h>
#include <stdint.h>

#include "vm_config.h"

/* "UID:GID", each a decimal number below 2^32 - 1, UID not 0. Returns 0, or
 * -EINVAL with a reason for the error line in why[0..len). */
int jail_parse_user(const char *s, uint32_t *uid, uint32_t *gid, char *why, size_t len);

/* Before anything is opened: is DIR a directory, and may this process
 * chroot and change its user (root)? Returns 0 (also when neither option
 * is given), or -errno with the problem in why[0..len). */
int jail_check(const struct vm_config *cfg, char *why, size_t len);

/* chroot(DIR) + chdir("/"), then setgroups(none), setresgid, setresuid,
 * and a check that the old user cannot be taken back. Whichever of the
 * two options is given; nothing without them. Returns 0, or -errno after
 * one error line (the caller must not run the guest then). */
int jail_enter(const struct vm_config *cfg);

#endif
