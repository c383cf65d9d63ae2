/* The controlling terminal while the VMM's stdin is the guest console:
 * raw mode (keys reach the guest one by one, Ctrl-C included: the escape
 * keys of escape.h stop the VMM), and the saved mode restored on every
 * way out: return from main or exit() (atexit), fatal signals (SIGSEGV,
 * SIGABRT, SIGILL, SIGFPE, and the seccomp SIGSYS handler), and vm.c's
 * SIGINT/SIGTERM/SIGHUP, which end through main. stdin's file status flags
 * are never touched (it stays blocking). The saved mode is process state,
 * not a VM's. */
#ifndef MVR_TERM_H
#define MVR_TERM_H

/* If 'fd' is a terminal, save its mode and make it raw (input only: output
 * post-processing stays, so log lines end in CR LF). Returns 1 when it
 * did, 0 when fd is no terminal (nothing changed), -errno on failure. */
int term_raw_enter(int fd);

/* Put the saved mode back (idempotent; async-signal-safe). */
void term_restore(void);

#endif
