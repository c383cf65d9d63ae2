/* A thread that other threads may signal at any moment of its life (vCPU
 * kicks): signalling never races with its start or its join, so it never
 * uses a handle that pthread_create has not stored yet or that a join has
 * freed. */
#ifndef MVR_SIG_THREAD_H
#define MVR_SIG_THREAD_H

#include <pthread.h>
#include <stdbool.h>

struct sig_thread {
	pthread_mutex_t lock;
	pthread_t tid;
	bool running;		/* under lock: from start until fn returned */
	bool joinable;		/* owner's thread only: started, not joined */
	void *(*fn)(void *arg);
	void *arg;
};

/* The stack of each thread, not left to the C library: glibc's default is
 * RLIMIT_STACK (8 MiB), musl's 128 KiB. The deepest vCPU-thread paths
 * (MMIO, fw_cfg DMA, RAS records, with a SIGBUS or kick handler on top)
 * use some tens of KiB; untouched stack pages cost no memory. */
#define SIG_THREAD_STACK (512u << 10)

/* Before any other call. */
void sig_thread_init(struct sig_thread *t);

/* Start fn(arg) on a new thread. From the owner's thread, not while the
 * previous one is unjoined. Returns 0, -EBUSY, or pthread_create's -errno. */
int sig_thread_start(struct sig_thread *t, void *(*fn)(void *arg), void *arg);

/* Send 'sig' to the thread while fn runs; from any thread (including its
 * own), at any time. Returns 0, or -ESRCH when it is not running (not yet
 * started, fn returned, or joined): nothing is sent then. */
int sig_thread_signal(struct sig_thread *t, int sig);

/* Wait for the thread to end (owner's thread); nothing if not started. */
void sig_thread_join(struct sig_thread *t);

/* True between sig_thread_start() and sig_thread_join() (owner's thread). */
static inline bool sig_thread_joinable(const struct sig_thread *t)
{
	return t->joinable;
}

#endif
