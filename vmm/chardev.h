/* The host side of the serial console (--serial): where the PL011's output
 * goes and where its input comes from. The device model (devices/pl011.c)
 * only calls chardev_write(); this module owns the files, the pty and the
 * socket. A write never blocks the calling vCPU thread: what the host side
 * does not take at once is dropped and counted (rate-limited warning). */
#ifndef MVR_CHARDEV_H
#define MVR_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "vm_config.h"

struct chardev;

/* The main event loop, for backends with input (pty, socket). */
struct chardev_env {
	int (*watch_fd)(void *opaque, int fd, loop_cb_t cb, void *cb_opaque);
	void (*unwatch_fd)(void *opaque, int fd);
	void *loop_opaque;
};

/* Where backend input goes (dev_class input_room/input semantics): how
 * many bytes push() takes now, and push up to len, returning how many it
 * took. Called on the main thread. */
struct chardev_sink {
	size_t (*room)(void *opaque);
	size_t (*push)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

/* Open the backend 'cfg' names (before seccomp: it opens files and
 * sockets). stdio: output to stdout through a private non-blocking file
 * description (stdout's own flags, shared with the shell and with stdin on
 * a terminal, are never changed); its input is the VMM's stdin path
 * (vm.c). file: appended, created 0644. pty: a new pseudo-terminal, raw
 * mode, its path printed once on stderr. socket: a listening UNIX socket
 * (0600; a stale socket is replaced, a live one or another file is
 * refused), one client at a time. off: everything dropped. 'env' may be
 * NULL for backends without input. Returns NULL after one error line. */
struct chardev *chardev_open(const struct serial_config *cfg, const struct chardev_env *env);

/* An output-only backend on an fd the caller keeps (tests); writes use
 * it as it is (it should be non-blocking). */
struct chardev *chardev_from_fd(int fd);

/* Close what chardev_open() opened (the socket path is unlinked if it is
 * still ours); NULL is a no-op. */
void chardev_close(struct chardev *cd);

/* Send buf[0..len) without blocking; any thread. What is not taken now is
 * dropped and counted. NULL drops silently. */
void chardev_write(struct chardev *cd, const uint8_t *buf, size_t len);

/* Route backend input (pty, socket) to 'sink' (a copy is kept); until
 * then input waits in the backend. Main thread. */
void chardev_set_sink(struct chardev *cd, const struct chardev_sink *sink);

/* Bytes written out and dropped so far (a stalled reader; no socket
 * client, counted apart as 'unconnected'). */
struct chardev_stats {
	uint64_t written, dropped, unconnected;
};
void chardev_get_stats(struct chardev *cd, struct chardev_stats *st);

/* The pty's slave path (pty backend), else NULL. */
const char *chardev_pty_path(const struct chardev *cd);

#endif
