/* Unit tests for the seccomp allowlist (vmm/seccomp.c), installed for real
 * in a child process on the native host (the same list, with the host's
 * numbers of the same calls): many threads that each malloc for the first
 * time (one glibc arena each) must not need a call outside the list. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_threads_malloc_under_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
