/* Logging to stderr with a per-call-site rate limit for guest-triggered
 * messages. Thread-safe enough for diagnostics: each line is one write(). */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

enum log_level log_level = LOG_INFO;

static const char *const level_tag[] = {
	[LOG_ERROR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (lvl > log_level)
		return;
	n = snprintf(line, sizeof(line), "microvm-ras: %s", level_tag[lvl]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

int log_ratelimit_ok(struct log_ratelimit *rl)
{
	time_t now = time(NULL);

	/* Racy between vCPU threads by design: a lost update only changes
	 * how many warnings get through in one second. */
	if (now != rl->window) {
		if (rl->suppressed)
			log_msg(LOG_WARN, "%u similar messages suppressed", rl->suppressed);
		rl->window = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count < CONFIG_LOG_RATELIMIT_PER_SEC) {
		rl->count++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}
