/* Threads that may be signalled at any time (sig_thread.h). The handle is
 * used only under the lock and only while the thread's function runs: the
 * start stores it under the lock before anyone may read it, and the thread
 * clears 'running' itself before it can be joined. */
#include <errno.h>
#include <signal.h>

#include "sig_thread.h"

void sig_thread_init(struct sig_thread *t)
{
	pthread_mutex_init(&t->lock, NULL);
	t->running = t->joinable = false;
	t->fn = NULL;
	t->arg = NULL;
}

static void *trampoline(void *arg)
{
	struct sig_thread *t = arg;
	void *ret = t->fn(t->arg);

	pthread_mutex_lock(&t->lock);
	t->running = false;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int sig_thread_start(struct sig_thread *t, void *(*fn)(void *arg), void *arg)
{
	pthread_attr_t attr;
	int ret;

	if (t->joinable)
		return -EBUSY;
	t->fn = fn;
	t->arg = arg;
	ret = pthread_attr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_attr_setstacksize(&attr, SIG_THREAD_STACK);
	if (ret) {
		pthread_attr_destroy(&attr);
		return -ret;
	}
	/* Held across pthread_create: a signal waits for the handle, and the
	 * new thread cannot clear 'running' before it is set. */
	pthread_mutex_lock(&t->lock);
	ret = pthread_create(&t->tid, &attr, trampoline, t);
	if (!ret)
		t->running = t->joinable = true;
	pthread_mutex_unlock(&t->lock);
	pthread_attr_destroy(&attr);
	return -ret;
}

int sig_thread_signal(struct sig_thread *t, int sig)
{
	int ret = ESRCH;

	pthread_mutex_lock(&t->lock);
	if (t->running)
		ret = pthread_kill(t->tid, sig);
	pthread_mutex_unlock(&t->lock);
	return -ret;
}

void sig_thread_join(struct sig_thread *t)
{
	if (!t->joinable)
		return;
	pthread_join(t->tid, NULL);
	t->joinable = false;
}
