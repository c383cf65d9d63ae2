// SPDX-License-Identifier: GPL-2.0-only
/*
 * rasd-nowait.so: an LD_PRELOAD object for Debian's rasdaemon in the e2e
 * guest image (guest-images/build-guest-rasdaemon.sh, scenario
 * 48-rasdaemon).
 *
 * rasdaemon 0.8.3 opens every tracefs file through a helper that first
 * polls access(path, F_OK) once a millisecond for up to 30 s, and only
 * then open()s it. For each tracepoint it knows but the running kernel
 * does not have, it therefore waits 30 s before its own "Feature G:E not
 * supported on your system" path (open() failing with ENOENT). Debian 12's
 * arm64 kernel lacks 9 of them (ras:extlog_mem_event, x86 only, and the
 * eight cxl:* events), so rasdaemon would enable ras:memory_failure_event
 * only after 30 s and start reading events only after 4.5 minutes, several
 * times longer in the nested e2e guest, where every millisecond sleep is a
 * timer exit through two hypervisors.
 *
 * This object answers access(P, F_OK) at once with "exists" when P is an
 * event format file (".../events/GROUP/EVENT/format") that does not exist:
 * rasdaemon's open() then fails with ENOENT and it reports the event as
 * unsupported, as it would after the 30 s. Every other call, and every
 * call for a file that exists, goes to the kernel unchanged. Each answer is
 * one line on stderr ("rasd-nowait: absent: P") so that the scenario can
 * show which events the kernel lacks.
 *
 * Built with the arm64 cross compiler as a shared object; tests/unit
 * builds it natively (test_rasd_nowait.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EVENTS "/events/"
#define FORMAT "/format"

/*
 * Whether PATH names a trace event's format file: ".../events/G/E/format"
 * with non-empty G and E and no further '/' between them.
 */
static int rasd_nowait_is_format(const char *path)
{
	const char *g, *end, *slash;
	size_t n;

	if (!path)
		return 0;
	n = strlen(path);
	if (n < strlen(FORMAT) || strcmp(path + n - strlen(FORMAT), FORMAT) != 0)
		return 0;
	end = path + n - strlen(FORMAT);
	g = strstr(path, EVENTS);
	if (!g || g + strlen(EVENTS) >= end)
		return 0;
	g += strlen(EVENTS);
	slash = memchr(g, '/', (size_t)(end - g));
	return slash && slash > g && slash + 1 < end &&
	       !memchr(slash + 1, '/', (size_t)(end - slash - 1));
}

int access(const char *path, int mode)
{
	long rc = syscall(SYS_faccessat, AT_FDCWD, path, mode);

	if (rc == 0)
		return 0;
	if (errno == ENOENT && mode == F_OK && rasd_nowait_is_format(path)) {
		fprintf(stderr, "rasd-nowait: absent: %s\n", path);
		return 0;
	}
	return -1;
}
