/* The main thread's event loop (liburing): poll-driven callbacks on file
 * descriptors. Used for console input, the stop eventfd, signalfd and the
 * control socket. Only the main thread calls these. */
#ifndef MVR_LOOP_H
#define MVR_LOOP_H

struct loop;

/* Callback for a readable fd. Return 0 to keep watching, a positive number
 * of milliseconds to look again only after that delay (back-pressure), or a
 * negative value to stop watching the fd. */
typedef int (*loop_cb_t)(void *opaque, int fd);

struct loop *loop_create(void);
void loop_destroy(struct loop *l);

/* Watch 'fd' for input. Returns 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, loop_cb_t cb, void *opaque);
/* Stop watching 'fd' (no callback runs for it afterwards). */
void loop_remove_fd(struct loop *l, int fd);

/* Run until loop_quit(). Returns 0 or -errno on an io_uring failure. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l);

#endif
