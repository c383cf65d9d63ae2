/* Logging: one line per message on stderr, prefixed "microvm-ras: ".
 * log_ratelimited() is for anything a guest can trigger: at most
 * CONFIG_LOG_RATELIMIT_PER_SEC lines per second per call site. */
#ifndef MVR_LOG_H
#define MVR_LOG_H

#include <stdint.h>
#include <time.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The only global besides the parsed configuration. */
extern enum log_level log_level;

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Per-call-site budget for log_ratelimited(). */
struct log_ratelimit {
	time_t window;
	unsigned count;
	unsigned suppressed;
};

/* Returns nonzero when the caller may log now (and counts it). */
int log_ratelimit_ok(struct log_ratelimit *rl);

#define pr_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#define log_ratelimited(lvl, ...)                                  \
	do {                                                       \
		static struct log_ratelimit rl__;                  \
		if (log_ratelimit_ok(&rl__))                       \
			log_msg(lvl, __VA_ARGS__);                 \
	} while (0)

#define pr_warn_rl(...) log_ratelimited(LOG_WARN, __VA_ARGS__)

#endif
