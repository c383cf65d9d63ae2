/* Unit tests for the seccomp allowlist (vmm/seccomp.c), installed for real
 * in a child process on the native host (the same list, with the host's
 * numbers of the same calls): many threads that each malloc for the first
 * time (one glibc arena each) must not need a call outside the list; a call
 * the table allows by number but not with these arguments (mmap with
 * PROT_EXEC, clone for a process, ioctl KVM_CREATE_VM) ends the process
 * with a message naming it. */
#include <errno.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp.h"

#define NTHREADS 16
#define SKIP_STATUS 77

static pthread_barrier_t barrier;

/* Each thread mallocs while all the others are alive: glibc gives each
 * its own arena, up to the limit; the 9th arena is where glibc used to
 * read the CPU count. */
static void *thread_fn(void *arg)
{
	volatile char *p = malloc(1000);

	(void)arg;
	if (p)
		p[0] = 1;
	pthread_barrier_wait(&barrier);
	free((void *)p);
	return NULL;
}

static int child(void)
{
	pthread_t t[NTHREADS];
	unsigned i;

	if (seccomp_install())
		return SKIP_STATUS; /* no seccomp here (logged why) */
	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, thread_fn, NULL))
			return 2;
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static void test_many_threads_malloc_under_filter(void **state)
{
	pid_t pid;
	int status;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's allocator and interceptors make other calls (and no glibc
	 * arenas): the plain build runs this test. */
	skip();
#endif
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP_STATUS)
		skip();
	/* 1: the SIGSYS handler named a blocked call on stderr. */
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Run fn() in a child under the filter, stderr into 'out'. Returns the
 * child's wait status; skip()s where seccomp cannot be installed. */
static int run_filtered(int (*fn)(void), char *out, size_t size)
{
	int p[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		if (seccomp_install())
			_exit(SKIP_STATUS);
		_exit(fn());
	}
	close(p[1]);
	while ((n = read(p[0], out + len, size - 1 - (size_t)len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS)
		skip();
	return status;
}

static int map_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? 3 : 4; /* either way: not stopped */
}

static int map_rw(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 3;
	/* Making it executable afterwards is refused as well. */
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	return 4;
}

static int do_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return 4;
}

static int ioctl_create_vm(void)
{
	int fd = STDERR_FILENO; /* a pipe (run_filtered); nothing opens now */

	/* The terminal query is allowed (on a pipe: ENOTTY). */
	if (isatty(fd) || errno != ENOTTY)
		return 3;
	ioctl(fd, 0xae01 /* KVM_CREATE_VM */, 0);
	return 4;
}

static void expect_named(int (*fn)(void), const char *name)
{
	char out[512], want[128];
	int status;

	status = run_filtered(fn, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	snprintf(want, sizeof(want), "blocked system call %s (", name);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "): arguments not allowed (seccomp); exiting\n"));
}

static void test_mmap_exec_refused_and_named(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();
#endif
	expect_named(map_exec, "mmap");
	expect_named(map_rw, "mprotect");
}

static void test_fork_refused_and_named(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();
#endif
	expect_named(do_fork, "clone");
}

static void test_ioctl_refused_and_named(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();
#endif
	expect_named(ioctl_create_vm, "ioctl");
}

/* The message, byte for byte, for a call in the table and one outside. */
static void test_describe(void **state)
{
	char line[160], want[160];
	size_t len;

	(void)state;
	len = seccomp_describe(SYS_mmap, line, sizeof(line));
	snprintf(want, sizeof(want),
		 "microvm-ras: error: blocked system call mmap (%d): arguments not allowed (seccomp); exiting\n",
		 SYS_mmap);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(line, want, len);
	len = seccomp_describe(SYS_openat, line, sizeof(line));
	snprintf(want, sizeof(want),
		 "microvm-ras: error: blocked system call %d (seccomp); exiting\n", SYS_openat);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(line, want, len);
	/* Bounded by the buffer. */
	assert_int_equal(seccomp_describe(SYS_mmap, line, 10), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_threads_malloc_under_filter),
		cmocka_unit_test(test_mmap_exec_refused_and_named),
		cmocka_unit_test(test_fork_refused_and_named),
		cmocka_unit_test(test_ioctl_refused_and_named),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
