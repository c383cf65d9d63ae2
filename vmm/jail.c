/* --chroot / --user (see jail.h): the jailer's drop, as Firecracker's
 * jailer does it before exec, here done in-process after set-up. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail.h"
#include "log.h"

/* A decimal number < 2^32 - 1 ((uid_t)-1 means "unchanged" to setresuid),
 * digits only. */
static int parse_id(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int jail_parse_user(const char *s, uint32_t *uid, uint32_t *gid, char *why, size_t len)
{
	const char *colon = strchr(s, ':');

	if (!colon || parse_id(s, (size_t)(colon - s), uid) ||
	    parse_id(colon + 1, strlen(colon + 1), gid)) {
		snprintf(why, len, "invalid --user '%s' (expected UID:GID, two decimal numbers, e.g. 1000:1000)",
			 s);
		return -EINVAL;
	}
	if (*uid == 0) {
		snprintf(why, len, "--user '%s' is root: name the unprivileged user to run as", s);
		return -EINVAL;
	}
	return 0;
}

int jail_check(const struct vm_config *cfg, char *why, size_t len)
{
	struct stat st;

	if (cfg->chroot_dir) {
		if (stat(cfg->chroot_dir, &st) < 0) {
			snprintf(why, len, "--chroot '%s': %s", cfg->chroot_dir, strerror(errno));
			return -ENOENT;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, len, "--chroot '%s' is not a directory", cfg->chroot_dir);
			return -ENOTDIR;
		}
	}
	if ((cfg->chroot_dir || cfg->jail_user) && geteuid() != 0) {
		snprintf(why, len, "--chroot and --user need root (the VMM opens everything as root, then drops to --user); running as uid %u",
			 (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

int jail_enter(const struct vm_config *cfg)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	int ret;

	if (cfg->chroot_dir && (chroot(cfg->chroot_dir) < 0 || chdir("/") < 0)) {
		ret = -errno;
		pr_err("cannot change root to '%s': %s", cfg->chroot_dir, strerror(-ret));
		return ret;
	}
	if (!cfg->jail_user)
		return 0;
	/* Groups first: once the user is gone, so is the right to. glibc
	 * applies each to every thread of the process. */
	if (setgroups(0, NULL) < 0 || setresgid(cfg->gid, cfg->gid, cfg->gid) < 0 ||
	    setresuid(cfg->uid, cfg->uid, cfg->uid) < 0) {
		ret = -errno;
		pr_err("cannot drop to user %u:%u: %s", cfg->uid, cfg->gid, strerror(-ret));
		return ret;
	}
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != cfg->uid || eu != cfg->uid || su != cfg->uid ||
	    rg != cfg->gid || eg != cfg->gid || sg != cfg->gid ||
	    setresuid((uid_t)-1, 0, (uid_t)-1) == 0 || getgroups(0, NULL) != 0) {
		pr_err("dropping to user %u:%u did not hold (the old user could be taken back)",
		       cfg->uid, cfg->gid);
		return -EPERM;
	}
	return 0;
}
