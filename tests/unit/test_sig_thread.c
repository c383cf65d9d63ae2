/* Unit tests for vmm/sig_thread.c: signals sent while a thread starts, runs
 * and is joined (the vCPU kick race of issue 12, defect 3): one thread
 * signals as fast as it can while the test starts and joins a fresh thread
 * thousands of times; every signal lands on a running thread or is refused
 * with -ESRCH, never on a handle not yet stored or already freed. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sig_thread.h"

#if defined(__SANITIZE_ADDRESS__)
#define ROUNDS 300	/* thread creation is slow under ASan */
#else
#define ROUNDS 3000
#endif

static struct sig_thread threads[ROUNDS];
static unsigned current;	/* index the spinner signals (atomic) */
static int spin_stop;		/* atomic */
static uint64_t delivered;	/* atomic: handler runs */
static int self_ret = 1;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_add_fetch(&delivered, 1, __ATOMIC_RELAXED);
}

static void install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR2, &sa, NULL), 0);
}

/* Like a vCPU stopping the VM: it kicks every vCPU, itself included. */
static void *body(void *arg)
{
	struct sig_thread *t = arg;

	__atomic_store_n(&self_ret, sig_thread_signal(t, SIGUSR2), __ATOMIC_RELEASE);
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&spin_stop, __ATOMIC_ACQUIRE)) {
		unsigned i = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
		int ret = sig_thread_signal(&threads[i], SIGUSR2);

		if (ret != 0 && ret != -ESRCH)
			return (void *)1;
	}
	return NULL;
}

static void test_signal_during_start_and_join(void **state)
{
	pthread_t spin;
	void *spin_ret = (void *)2;
	unsigned i;

	(void)state;
	install_handler();
	/* threads[0] is never started: the spinner signals it first. */
	sig_thread_init(&threads[0]);
	assert_int_equal(pthread_create(&spin, NULL, spinner, NULL), 0);
	for (i = 1; i < ROUNDS; i++) {
		struct sig_thread *t = &threads[i];

		sig_thread_init(t);
		__atomic_store_n(&current, i, __ATOMIC_RELEASE);
		assert_int_equal(sig_thread_start(t, body, t), 0);
		sig_thread_join(t);
		assert_false(sig_thread_joinable(t));
	}
	__atomic_store_n(&spin_stop, 1, __ATOMIC_RELEASE);
	pthread_join(spin, &spin_ret);
	assert_null(spin_ret);
}

static void test_signal_lifecycle(void **state)
{
	struct sig_thread t;

	(void)state;
	install_handler();
	sig_thread_init(&t);
	/* Not started: refused, nothing sent. */
	assert_int_equal(sig_thread_signal(&t, SIGUSR2), -ESRCH);
	assert_false(sig_thread_joinable(&t));
	/* Running: its own signal is delivered. */
	__atomic_store_n(&delivered, 0, __ATOMIC_RELAXED);
	assert_int_equal(sig_thread_start(&t, body, &t), 0);
	assert_true(sig_thread_joinable(&t));
	/* A second start before the join is refused. */
	assert_int_equal(sig_thread_start(&t, body, &t), -EBUSY);
	sig_thread_join(&t);
	assert_int_equal(__atomic_load_n(&self_ret, __ATOMIC_ACQUIRE), 0);
	assert_true(__atomic_load_n(&delivered, __ATOMIC_RELAXED) >= 1);
	/* Joined: refused, the freed handle is not used. */
	assert_int_equal(sig_thread_signal(&t, SIGUSR2), -ESRCH);
	sig_thread_join(&t);	/* a second join does nothing */
	/* And the same struct starts again (a reboot restarts vCPUs). */
	assert_int_equal(sig_thread_start(&t, body, &t), 0);
	sig_thread_join(&t);
	assert_int_equal(sig_thread_signal(&t, SIGUSR2), -ESRCH);
}

/* The thread's stack is SIG_THREAD_STACK whatever the C library's
 * default (musl: 128 KiB), and all of it is usable. */
static size_t stack_size;

static void *stack_body(void *arg)
{
	volatile uint8_t buf[SIG_THREAD_STACK / 2];
	pthread_attr_t attr;
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(buf); i += 4096)
		buf[i] = (uint8_t)i;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &stack_size);
		pthread_attr_destroy(&attr);
	}
	return (void *)(uintptr_t)buf[4096];
}

static void test_stack_size(void **state)
{
	struct sig_thread t;

	(void)state;
	sig_thread_init(&t);
	assert_int_equal(sig_thread_start(&t, stack_body, &t), 0);
	sig_thread_join(&t);
	/* The C library may count the guard page in or out. */
	assert_true(stack_size >= SIG_THREAD_STACK - 65536);
	assert_true(stack_size <= SIG_THREAD_STACK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_lifecycle),
		cmocka_unit_test(test_signal_during_start_and_join),
		cmocka_unit_test(test_stack_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
