/* --trace-boot timestamps (trace.h). */
#include <stdio.h>
#include <time.h>

#include "trace.h"

static struct timespec trace_t0;
static int trace_on;

/* The earliest point of ours after exec: static glibc has set up, main
 * has not run. */
__attribute__((constructor)) static void trace_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &trace_t0);
}

static void trace_print(const struct timespec *t, const char *event)
{
	long long ns = (long long)(t->tv_sec - trace_t0.tv_sec) * 1000000000LL +
		       (t->tv_nsec - trace_t0.tv_nsec);

	fprintf(stderr, "trace-boot: +%8lld.%03lld ms mono %lld.%09ld %s\n", ns / 1000000,
		(ns / 1000) % 1000, (long long)t->tv_sec, t->tv_nsec, event);
}

void trace_boot_enable(void)
{
	if (trace_on)
		return;
	trace_on = 1;
	trace_print(&trace_t0, "process start");
}

void trace_boot(const char *event)
{
	struct timespec now;

	if (!__atomic_load_n(&trace_on, __ATOMIC_RELAXED))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	trace_print(&now, event);
}
