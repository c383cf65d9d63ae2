/* Unit tests for --chroot / --user (vmm/jail.c, options.c, config_file.c):
 * the UID:GID grammar, both options from argv and from the JSON file, the
 * early checks, and (as root, in a child process) the drop itself: the
 * root is DIR, the user cannot be taken back, and a descriptor opened
 * before the drop (as /proc/self/pagemap is) still reads. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config_file.h"
#include "jail.h"
#include "options.h"

static void test_parse_user(void **state)
{
	static const char *const bad[] = {
		"", "1000", "1000:", ":1000", "a:b", "1000:1000:1", "-1:5", "+5:5", " 5:5",
		"5:5 ", "4294967295:1", "1:4294967295", "99999999999:1", "0:0", "0:100",
	};
	uint32_t uid = 7, gid = 7;
	char why[200];
	unsigned i;

	(void)state;
	assert_int_equal(jail_parse_user("1000:100", &uid, &gid, why, sizeof(why)), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 100);
	assert_int_equal(jail_parse_user("4294967294:0", &uid, &gid, why, sizeof(why)), 0);
	assert_int_equal(uid, 4294967294u);
	assert_int_equal(gid, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (jail_parse_user(bad[i], &uid, &gid, why, sizeof(why)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(why, "--user"));
	}
	jail_parse_user("0:0", &uid, &gid, why, sizeof(why));
	assert_non_null(strstr(why, "is root"));
}

static void test_options(void **state)
{
	char *argv[] = { "run", "--kernel", "Image", "--chroot", "/srv/jail", "--user",
			 "123:456", NULL };
	char *bad[] = { "run", "--user", "root", NULL };
	char *dtb[] = { "dump-dtb", "--chroot", "/srv/jail", NULL };
	const char *json = "{ \"kernel\": \"I\", \"chroot\": \"/j\", \"user\": \"5:6\" }";
	struct vm_config cfg;
	struct opt_cli cli;

	(void)state;
	opt_defaults(&cfg);
	assert_null(cfg.chroot_dir);
	assert_false(cfg.jail_user);
	assert_int_equal(opt_parse_argv(&cfg, &cli, OPT_CMD_RUN, 7, argv), 0);
	assert_string_equal(cfg.chroot_dir, "/srv/jail");
	assert_true(cfg.jail_user);
	assert_int_equal(cfg.uid, 123);
	assert_int_equal(cfg.gid, 456);
	opt_free(&cfg);

	opt_defaults(&cfg);
	assert_int_equal(opt_parse_argv(&cfg, &cli, OPT_CMD_RUN, 3, bad), -EINVAL);
	assert_false(cfg.jail_user);
	assert_int_equal(opt_parse_argv(&cfg, &cli, OPT_CMD_DUMP_DTB, 3, dtb), -EINVAL);
	opt_free(&cfg);

	opt_defaults(&cfg);
	assert_int_equal(config_file_apply(&cfg, "vm.json", json, strlen(json)), 0);
	assert_string_equal(cfg.chroot_dir, "/j");
	assert_int_equal(cfg.uid, 5);
	assert_int_equal(cfg.gid, 6);
	opt_free(&cfg);
	opt_defaults(&cfg);
	json = "{ \"user\": 5 }";
	assert_int_equal(config_file_apply(&cfg, "vm.json", json, strlen(json)), -EINVAL);
	json = "{ \"chroot\": \"\" }";
	assert_int_equal(config_file_apply(&cfg, "vm.json", json, strlen(json)), -EINVAL);
	opt_free(&cfg);
}

static void test_check(void **state)
{
	struct vm_config cfg;
	char why[200] = "";

	(void)state;
	opt_defaults(&cfg);
	assert_int_equal(jail_check(&cfg, why, sizeof(why)), 0); /* neither option */
	cfg.chroot_dir = "/nonexistent/jail";
	assert_int_equal(jail_check(&cfg, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "--chroot '/nonexistent/jail'"));
	cfg.chroot_dir = "/dev/null";
	assert_int_equal(jail_check(&cfg, why, sizeof(why)), -ENOTDIR);
	cfg.chroot_dir = "/";
	assert_int_equal(jail_check(&cfg, why, sizeof(why)), geteuid() == 0 ? 0 : -EPERM);
}

#define SKIP_STATUS 77

/* In a child: open a file, drop into an empty directory as 65534, then
 * the file still reads through the old descriptor; nothing outside the
 * new root can be opened; the old user cannot be taken back. */
static int child_drop(const char *dir)
{
	struct vm_config cfg;
	uint64_t entry;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return SKIP_STATUS;
	opt_defaults(&cfg);
	cfg.chroot_dir = dir;
	cfg.jail_user = true;
	cfg.uid = 65534;
	cfg.gid = 65534;
	if (jail_enter(&cfg))
		return 2;
	if (getuid() != 65534 || geteuid() != 65534 || getgid() != 65534)
		return 3;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 4;
	if (open("/proc/self/pagemap", O_RDONLY) >= 0 || access("/etc/passwd", F_OK) == 0)
		return 5;
	if (pread(fd, &entry, sizeof(entry), 0) != sizeof(entry)) /* 8-byte entries */
		return 6;
	return 0;
}

static void test_enter_as_root(void **state)
{
	char dir[] = "/tmp/mvr-jail-XXXXXX";
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_drop(dir));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rmdir(dir);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP_STATUS)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_user),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_enter_as_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
