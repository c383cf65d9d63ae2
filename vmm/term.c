/* Terminal raw mode for the console and its restoration (term.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

static struct termios saved_tio;
static int saved_fd = -1;
static volatile sig_atomic_t raw_active;

void term_restore(void)
{
	/* tcsetattr is async-signal-safe (POSIX signal-safety list). */
	if (raw_active) {
		raw_active = 0;
		tcsetattr(saved_fd, TCSANOW, &saved_tio);
	}
}

/* A fatal signal: the terminal back, then the default action (the handler
 * is reset on entry; a fault re-executes, abort() raises again). */
static void term_fatal(int sig)
{
	(void)sig;
	term_restore();
}

static void term_hooks(void)
{
	static const int fatal[] = { SIGSEGV, SIGABRT, SIGILL, SIGFPE };
	static int done;
	struct sigaction sa;
	unsigned i;

	if (done)
		return;
	done = 1;
	atexit(term_restore);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = term_fatal;
	sa.sa_flags = (int)(SA_RESETHAND | SA_NODEFER);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction old;

		/* Leave a handler someone else installed (sanitizers). */
		if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(fatal[i], &sa, NULL);
	}
}

int term_raw_enter(int fd)
{
	struct termios tio;

	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &saved_tio) < 0)
		return -errno;
	saved_fd = fd;
	tio = saved_tio;
	/* No line editing, echo or signal keys: every byte to the guest. */
	tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN | ISIG);
	tio.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | IXON | ISTRIP | BRKINT);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	term_hooks();
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return -errno;
	raw_active = 1;
	return 1;
}
