/* Unit tests for the rasdaemon LD_PRELOAD object of the e2e guest image
 * (guest-images/preload/rasd-nowait.c), built natively: access(P, F_OK)
 * says "exists" at once only for an absent trace-event format file, and
 * is the kernel's answer for everything else (real files in a temporary
 * directory). */
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
#include <unistd.h>
#include <cmocka.h>

#include "../../guest-images/preload/rasd-nowait.c"

static char dir[64];

static void path_of(char *buf, size_t n, const char *rel)
{
	int len = snprintf(buf, n, "%s/%s", dir, rel);

	assert_true(len > 0 && (size_t)len < n);
}

static int setup(void **state)
{
	char p[256];
	int fd;

	strcpy(dir, "/tmp/rasd-nowait-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path_of(p, sizeof(p), "events");
	mkdir(p, 0700);
	path_of(p, sizeof(p), "events/ras");
	mkdir(p, 0700);
	path_of(p, sizeof(p), "events/ras/arm_event");
	mkdir(p, 0700);
	path_of(p, sizeof(p), "events/ras/arm_event/format");
	fd = open(p, O_CREAT | O_WRONLY, 0400);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	char p[256];

	path_of(p, sizeof(p), "events/ras/arm_event/format");
	unlink(p);
	path_of(p, sizeof(p), "events/ras/arm_event");
	rmdir(p);
	path_of(p, sizeof(p), "events/ras");
	rmdir(p);
	path_of(p, sizeof(p), "events");
	rmdir(p);
	rmdir(dir);
	return 0;
}

static void test_is_format(void **state)
{
	const char *inst = "/sys/kernel/debug/tracing/instances/rasdaemon";
	char p[256];

	snprintf(p, sizeof(p), "%s/events/cxl/cxl_poison/format", inst);
	assert_true(rasd_nowait_is_format(p));
	assert_true(rasd_nowait_is_format("/events/a/b/format"));
	/* Not an event's format file. */
	assert_false(rasd_nowait_is_format(NULL));
	assert_false(rasd_nowait_is_format(""));
	assert_false(rasd_nowait_is_format("/format"));
	assert_false(rasd_nowait_is_format("/events/format"));
	assert_false(rasd_nowait_is_format("/events/ras/format"));
	assert_false(rasd_nowait_is_format("/events//b/format"));
	assert_false(rasd_nowait_is_format("/events/a//format"));
	assert_false(rasd_nowait_is_format("/events/a/b/c/format"));
	assert_false(rasd_nowait_is_format("/events/a/b/format2"));
	assert_false(rasd_nowait_is_format("/events/a/b/enable"));
	assert_false(rasd_nowait_is_format("/x/a/b/format"));
	snprintf(p, sizeof(p), "%s/per_cpu/cpu0/trace_pipe_raw", inst);
	assert_false(rasd_nowait_is_format(p));
}

static void expect_access(const char *rel, int mode, int want, int want_errno)
{
	char p[256];

	path_of(p, sizeof(p), rel);
	errno = 0;
	assert_int_equal(access(p, mode), want);
	if (want < 0)
		assert_int_equal(errno, want_errno);
}

static void test_access(void **state)
{
	/* Present files and directories: the kernel's answer. */
	expect_access("events/ras/arm_event/format", F_OK, 0, 0);
	expect_access("events/ras/arm_event/format", R_OK, 0, 0);
	expect_access("events/ras", F_OK, 0, 0);
	/* An absent event format file, existence asked: "exists" at once. */
	expect_access("events/cxl/cxl_poison/format", F_OK, 0, 0);
	expect_access("events/ras/extlog_mem_event/format", F_OK, 0, 0);
	/* ... but not for a permission question, nor other absent files. */
	expect_access("events/cxl/cxl_poison/format", R_OK, -1, ENOENT);
	expect_access("events/cxl/cxl_poison/enable", F_OK, -1, ENOENT);
	expect_access("per_cpu/cpu0/trace_pipe_raw", F_OK, -1, ENOENT);
	expect_access("events/format", F_OK, -1, ENOENT);
	/* An existing path with the wrong permission stays a refusal. */
	if (geteuid() != 0)
		expect_access("events/ras/arm_event/format", W_OK, -1, EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_format),
		cmocka_unit_test_setup_teardown(test_access, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
