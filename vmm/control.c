/* JSON control socket server (DESIGN.md section 9, QMP): a UNIX stream
 * socket watched by the main event loop, up to CONTROL_MAX_CLIENTS clients,
 * each greeted and then negotiating capabilities, one request per line, run
 * by control_cmds.c. Events posted from any thread go through a bounded
 * ring (woken by an eventfd) into each client's bounded output queue.
 * Clients are untrusted: every bad request gets an error reply, never a
 * crash, a stuck main thread or a blocked vCPU.
 *
 * Idle clients: QMP clients legitimately stay connected for hours waiting
 * for events, so a client in command mode with nothing half-sent is never
 * timed out. Two states are bounded instead, so that stuck programs cannot
 * hold the CONTROL_MAX_CLIENTS slots: a client that has not completed
 * qmp_capabilities within CONTROL_HANDSHAKE_MS of connecting, and one
 * whose request line is still incomplete CONTROL_LINE_MS after its first
 * byte (both get one error line, then are closed). A client that sends
 * requests without reading the replies is not read further while its
 * unsent output exceeds CONTROL_OUTQ_EVENT_MAX (back-pressure), so its
 * memory stays bounded. The timers run on the event eventfd's callback. */
#ifdef CONFIG_CONTROL_API

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "fileio.h"
#include "control_cmds.h"
#include "control_proto.h"
#include "log.h"

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_LINE_MAX    (64 * 1024)   /* longest request line, bytes */
#define CONTROL_ACCEPT_BACKOFF_MS 100     /* after EMFILE and the like */
/* Events waiting for the main loop (posted from any thread). */
#define CONTROL_EVENT_RING 256
/* A client's unsent output: events are dropped for it beyond EVENT_MAX
 * bytes; a reply that would take it beyond REPLY_MAX disconnects it. */
#define CONTROL_OUTQ_EVENT_MAX (256 * 1024)
#define CONTROL_OUTQ_REPLY_MAX (16u << 20)
/* While some client has unsent output, look again this often. */
#define CONTROL_FLUSH_RETRY_MS 20
/* Idle limits (see the top of the file) and how often they are checked
 * at most. */
#define CONTROL_HANDSHAKE_MS  30000
#define CONTROL_LINE_MS       10000
#define CONTROL_TICK_MAX_MS   1000

struct control_client {
	struct control *ctl;
	int fd;                   /* -1: free slot */
	struct ctlp_linebuf lb;
	struct control_session sess;
	char *out;                /* unsent output: out[out_off, out_len) */
	size_t out_off, out_len, out_cap;
	uint64_t events_dropped;  /* for this client (its queue was full) */
	int64_t connected_ms;     /* monotonic time of accept */
	int64_t partial_ms;       /* first byte of an incomplete line; 0: none */
	bool throttled;           /* lines wait: its output is backed up */
};

struct control {
	struct control_env env;
	struct control_watch watch;
	char *path;
	int listen_fd;
	dev_t sock_dev;           /* identity of the socket file we created, */
	ino_t sock_ino;           /* so destroy never unlinks someone else's */
	struct control_client clients[CONTROL_MAX_CLIENTS];

	/* Posted events, any thread: ring under ev_lock, ev_fd wakes the
	 * main loop. */
	pthread_mutex_t ev_lock;
	struct control_event ring[CONTROL_EVENT_RING];
	unsigned ring_head, ring_count;
	uint64_t ring_dropped;
	int ev_fd;
	uint64_t clients_dropped; /* events dropped for slow clients */
	unsigned handshake_ms, line_ms;   /* idle limits, 0: none */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Make the event eventfd's callback run soon (it also runs the timers). */
static void control_kick(struct control *c)
{
	uint64_t one = 1;

	if (write(c->ev_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn_rl("control: cannot wake the main loop: %s", strerror(errno));
}

/* ---- output queues ------------------------------------------------------ */

/* Send as much of cl's queued output as the socket takes now. Returns 0
 * (all sent or the socket is full) or -errno when the client is gone. */
static int client_flush(struct control_client *cl)
{
	ssize_t n;

	while (cl->out_off < cl->out_len) {
		n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		cl->out_off += (size_t)n;
	}
	cl->out_off = cl->out_len = 0;
	return 0;
}

/* Queue 'len' bytes for cl unless its unsent output would exceed 'max'.
 * Returns 0, -ENOBUFS (over 'max': nothing queued) or -ENOMEM. */
static int client_queue(struct control_client *cl, const char *buf, size_t len, size_t max)
{
	size_t pending = cl->out_len - cl->out_off, cap;
	char *n;

	if (len > max || pending > max - len)
		return -ENOBUFS;
	if (cl->out_off) {
		memmove(cl->out, cl->out + cl->out_off, pending);
		cl->out_off = 0;
		cl->out_len = pending;
	}
	if (cl->out_len + len > cl->out_cap) {
		cap = cl->out_cap ? cl->out_cap : 4096;
		while (cap < cl->out_len + len)
			cap *= 2;
		n = realloc(cl->out, cap);
		if (!n)
			return -ENOMEM;
		cl->out = n;
		cl->out_cap = cap;
	}
	memcpy(cl->out + cl->out_len, buf, len);
	cl->out_len += len;
	return 0;
}

/* Queue and send a reply (or the greeting). Returns 0, or -errno when the
 * client must go (it does not read, or its socket failed). */
static int client_send(struct control_client *cl, const char *buf, size_t len)
{
	int r = client_queue(cl, buf, len, CONTROL_OUTQ_REPLY_MAX);

	return r ? r : client_flush(cl);
}

static bool client_pending(const struct control_client *cl)
{
	return cl->fd >= 0 && cl->out_off < cl->out_len;
}

/* Handle one request line. Returns 0, or -errno when the client must go. */
static int client_handle_line(struct control_client *cl, const char *line, size_t len)
{
	const struct control_env *env = &cl->ctl->env;
	struct control_reply reply;
	int r;

	r = control_cmds_session_line(env, &cl->sess, line, len, &reply);
	if (!r)
		r = client_send(cl, reply.line, reply.len);
	control_reply_free(&reply);
	if (reply.after)
		reply.after(env);
	return r;
}

/* ---- connections -------------------------------------------------------- */

static void client_close(struct control_client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	ctlp_linebuf_free(&cl->lb);
	free(cl->out);
	cl->out = NULL;
	cl->out_off = cl->out_len = cl->out_cap = 0;
	cl->sess = (struct control_session){ 0 };
	cl->events_dropped = 0;
	cl->connected_ms = cl->partial_ms = 0;
	cl->throttled = false;
}

/* Send one error line on a connection we are about to refuse or drop. */
static void refuse(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(int fd, const char *fmt, ...)
{
	struct control_reply reply;
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (!control_cmds_error_line(desc, &reply) &&
	    send(fd, reply.line, reply.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		pr_debug("control: refusal not sent: %s", strerror(errno));
	control_reply_free(&reply);
}

/* Handle the complete lines in cl's buffer while its unsent output stays
 * under CONTROL_OUTQ_EVENT_MAX. Returns 1 when lines are left waiting for
 * the client to read (throttled), 0 when all were handled, -1 when the
 * client must go (after a warning or refusal). */
static int client_serve(struct control_client *cl)
{
	bool consumed = false;
	size_t len;
	char *line;
	int r;

	for (;;) {
		if (cl->out_len - cl->out_off > CONTROL_OUTQ_EVENT_MAX) {
			cl->throttled = true;
			return 1;
		}
		r = ctlp_linebuf_next(&cl->lb, &line, &len);
		if (r != 1)
			break;
		consumed = true;
		if (len == 0)
			continue;
		if (client_handle_line(cl, line, len) < 0) {
			pr_warn_rl("control: client not reading its replies, disconnected");
			return -1;
		}
		if (cl->fd < 0)
			return -1;
	}
	cl->throttled = false;
	if (r == -EMSGSIZE) {
		refuse(cl->fd, "request line longer than %u bytes; closing",
		       (unsigned)(CONTROL_LINE_MAX - 1));
		pr_warn_rl("control: request line too long, client disconnected");
		return -1;
	}
	/* The line timer runs from the first byte of an incomplete line. */
	if (!ctlp_linebuf_pending(&cl->lb))
		cl->partial_ms = 0;
	else if (consumed || !cl->partial_ms)
		cl->partial_ms = now_ms();
	return 0;
}

/* Loop callback for a client: the lines already buffered, then one read,
 * then every complete line. */
static int client_cb(void *opaque, int fd)
{
	struct control_client *cl = opaque;
	struct control *c = cl->ctl;
	bool had_partial = cl->partial_ms != 0;
	size_t avail, len;
	char *p, *line;
	ssize_t n;
	int r;

	if (client_flush(cl) < 0)
		goto drop;
	r = client_serve(cl);
	if (r < 0)
		goto drop;
	if (r > 0) {
		/* Read no more until it reads its replies: the event
		 * callback serves the rest once its output drains. */
		control_kick(c);
		return CONTROL_FLUSH_RETRY_MS;
	}
	p = ctlp_linebuf_space(&cl->lb, &avail);
	n = recv(fd, p, avail, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		goto drop;
	}
	if (n == 0) {
		/* End of input: a last request without '\n' still counts. */
		if (ctlp_linebuf_rest(&cl->lb, &line, &len) == 1)
			client_handle_line(cl, line, len);
		goto drop;
	}
	ctlp_linebuf_commit(&cl->lb, (size_t)n);
	r = client_serve(cl);
	if (r < 0)
		goto drop;
	/* A new timer (incomplete line) or held-back lines: the event
	 * callback must run to watch them. */
	if (r > 0 || (cl->partial_ms && !had_partial))
		control_kick(c);
	return r > 0 ? CONTROL_FLUSH_RETRY_MS : 0;
drop:
	client_close(cl);
	return -1;   /* the loop stops watching the (now closed) fd */
}

/* Loop callback for the listening socket. */
static int listen_cb(void *opaque, int fd)
{
	struct control *c = opaque;
	struct control_client *cl = NULL;
	struct control_reply greeting;
	int cfd, r;
	size_t i;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED)
			return 0;
		pr_warn_rl("control: accept: %s", strerror(errno));
		return CONTROL_ACCEPT_BACKOFF_MS;
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd < 0) {
			cl = &c->clients[i];
			break;
		}
	}
	if (!cl) {
		refuse(cfd, "too many clients (at most %d)", CONTROL_MAX_CLIENTS);
		pr_warn_rl("control: too many clients, connection refused");
		close(cfd);
		return 0;
	}
	if (ctlp_linebuf_init(&cl->lb, CONTROL_LINE_MAX)) {
		refuse(cfd, "out of memory");
		close(cfd);
		return 0;
	}
	cl->fd = cfd;
	cl->connected_ms = now_ms();
	r = c->watch.add(c->watch.opaque, cfd, client_cb, cl);
	if (r < 0) {
		refuse(cfd, "the VMM cannot watch more connections now");
		pr_warn_rl("control: cannot watch a client: %s", strerror(-r));
		client_close(cl);
		return 0;
	}
	/* QMP: the server speaks first. */
	r = control_cmds_greeting(&greeting);
	if (!r)
		r = client_send(cl, greeting.line, greeting.len);
	control_reply_free(&greeting);
	if (r < 0) {
		c->watch.remove(c->watch.opaque, cfd);
		client_close(cl);
		return 0;
	}
	/* Its negotiation timer starts. */
	if (c->handshake_ms)
		control_kick(c);
	return 0;
}

/* ---- events ------------------------------------------------------------- */

void control_post_event(struct control *c, const struct control_event *ev)
{
	struct control_event e = *ev;
	struct timespec now;
	uint64_t one = 1;

	if (!c)
		return;
	if (!e.ts_sec && !e.ts_usec) {
		clock_gettime(CLOCK_REALTIME, &now);
		e.ts_sec = now.tv_sec;
		e.ts_usec = now.tv_nsec / 1000;
	}
	pthread_mutex_lock(&c->ev_lock);
	if (c->ring_count == CONTROL_EVENT_RING) {
		c->ring_dropped++;
	} else {
		c->ring[(c->ring_head + c->ring_count) % CONTROL_EVENT_RING] = e;
		c->ring_count++;
	}
	pthread_mutex_unlock(&c->ev_lock);
	/* Non-blocking eventfd: a full counter (never in practice) is fine,
	 * the loop is awake anyway. */
	if (write(c->ev_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn_rl("control: cannot wake the main loop for an event: %s", strerror(errno));
}

uint64_t control_events_dropped(struct control *c)
{
	uint64_t n;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->ev_lock);
	n = c->ring_dropped + c->clients_dropped;
	pthread_mutex_unlock(&c->ev_lock);
	return n;
}

/* Pop the oldest posted event into *ev. Returns false when none is left. */
static bool ring_pop(struct control *c, struct control_event *ev)
{
	bool any;

	pthread_mutex_lock(&c->ev_lock);
	any = c->ring_count > 0;
	if (any) {
		*ev = c->ring[c->ring_head];
		c->ring_head = (c->ring_head + 1) % CONTROL_EVENT_RING;
		c->ring_count--;
	}
	pthread_mutex_unlock(&c->ev_lock);
	return any;
}

/* Give one event line to every client in command mode. */
static void broadcast(struct control *c, const struct control_reply *line)
{
	struct control_client *cl;
	size_t i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		cl = &c->clients[i];
		if (cl->fd < 0 || !cl->sess.command_mode)
			continue;
		if (client_queue(cl, line->line, line->len, CONTROL_OUTQ_EVENT_MAX) == 0)
			continue;
		cl->events_dropped++;
		pthread_mutex_lock(&c->ev_lock);
		c->clients_dropped++;
		pthread_mutex_unlock(&c->ev_lock);
		pr_warn_rl("control: a client does not read its events; %llu dropped for it",
			   (unsigned long long)cl->events_dropped);
	}
}

/* Format and queue every posted event, then send what the sockets take.
 * Returns true when some client still has unsent output. */
static bool events_drain(struct control *c)
{
	struct control_event ev;
	struct control_reply line;
	struct control_client *cl;
	bool pending = false;
	size_t i;

	while (ring_pop(c, &ev)) {
		if (control_cmds_event_line(&ev, &line) == 0)
			broadcast(c, &line);
		control_reply_free(&line);
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		cl = &c->clients[i];
		if (cl->fd < 0)
			continue;
		if (client_flush(cl) < 0 || (cl->throttled && client_serve(cl) < 0)) {
			c->watch.remove(c->watch.opaque, cl->fd);
			client_close(cl);
			continue;
		}
		pending |= client_pending(cl) || cl->throttled;
	}
	return pending;
}

/* Close the clients past their idle limits (one error line each first).
 * Returns the milliseconds until the next limit, or -1 when none runs. */
static int64_t clients_expire(struct control *c)
{
	struct control_client *cl;
	int64_t now = now_ms(), next = -1, due;
	const char *why;
	size_t i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		cl = &c->clients[i];
		if (cl->fd < 0)
			continue;
		if (!cl->sess.command_mode && c->handshake_ms) {
			due = cl->connected_ms + c->handshake_ms;
			why = "no qmp_capabilities";
		} else if (cl->partial_ms && !cl->throttled && c->line_ms) {
			due = cl->partial_ms + c->line_ms;
			why = "request line left incomplete";
		} else {
			continue;
		}
		if (due > now) {
			if (next < 0 || due - now < next)
				next = due - now;
			continue;
		}
		/* After what is queued, so that it is the last line. */
		client_flush(cl);
		if (!client_pending(cl))
			refuse(cl->fd, "%s within %u ms; closing", why,
			       (unsigned)(cl->sess.command_mode ? c->line_ms : c->handshake_ms));
		pr_warn_rl("control: client idle (%s), disconnected", why);
		c->watch.remove(c->watch.opaque, cl->fd);
		client_close(cl);
	}
	return next;
}

/* Loop callback for the event eventfd. While a client has unsent output,
 * the eventfd is kept readable and looked at again after a short delay,
 * so that its queue drains without a writability watch; while a client
 * has an idle limit running, likewise at its deadline (at most
 * CONTROL_TICK_MAX_MS later). */
static int events_cb(void *opaque, int fd)
{
	struct control *c = opaque;
	uint64_t v, one = 1;
	int64_t next;
	bool pending;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN && errno != EINTR)
		pr_warn_rl("control: event wake-up: %s", strerror(errno));
	pending = events_drain(c);
	next = clients_expire(c);
	if (pending)
		next = CONTROL_FLUSH_RETRY_MS;
	if (next < 0)
		return 0;
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return 0;
	if (next > CONTROL_TICK_MAX_MS)
		next = CONTROL_TICK_MAX_MS;
	return next < 1 ? 1 : (int)next;
}

void control_set_timeouts(struct control *c, unsigned handshake_ms, unsigned line_ms)
{
	if (!c)
		return;
	c->handshake_ms = handshake_ms;
	c->line_ms = line_ms;
	control_kick(c);
}

/* Make 'path' free for bind(): replace a stale socket, refuse anything else.
 * Returns 0 or -1 after pr_err(). */
static int prepare_path(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int probe, live;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		pr_err("--api-socket '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("--api-socket '%s' exists and is not a socket; refusing to replace it", path);
		return -1;
	}
	/* A socket somebody still listens on belongs to another VMM. The
	 * probe never waits: a non-blocking UNIX connect() answers at once,
	 * and a full backlog (EAGAIN, a busy or stuck listener) is still a
	 * listener. Only ECONNREFUSED (nobody listens) makes it stale. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0) {
		pr_err("--api-socket: socket: %s", strerror(errno));
		return -1;
	}
	live = connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
	       errno == EAGAIN || errno == EINPROGRESS;
	close(probe);
	if (live) {
		pr_err("--api-socket '%s' is in use by another process", path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		pr_err("--api-socket: cannot remove stale socket '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The socket path's length, or -1 after pr_err(). */
static int check_path_len(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);

	if (len >= sizeof(sa->sun_path) || !len) {
		pr_err("--api-socket path '%s' is empty or longer than %zu bytes", path,
		       sizeof(sa->sun_path) - 1);
		return -1;
	}
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

int control_check_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	int probe, live, err;

	if (check_path_len(path, &sa))
		return -ENAMETOOLONG;
	err = path_dir_writable(path, dir, sizeof(dir));
	if (err) {
		pr_err("--api-socket '%s': directory '%s': %s", path, dir, strerror(err));
		return -err;
	}
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("--api-socket '%s' exists and is not a socket; refusing to replace it", path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	live = probe >= 0 && connect(probe, (const struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (probe >= 0)
		close(probe);
	if (live) {
		pr_err("--api-socket '%s' is in use by another process", path);
		return -EADDRINUSE;
	}
	return 0;
}

struct control *control_create(const struct control_env *env,
			       const struct control_watch *watch, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *c;
	struct stat st;
	mode_t old_mask;
	size_t i;
	int r;

	if (check_path_len(path, &sa))
		return NULL;

	c = calloc(1, sizeof(*c));
	if (!c) {
		pr_err("control: out of memory");
		return NULL;
	}
	c->env = *env;
	c->watch = *watch;
	c->listen_fd = -1;
	c->handshake_ms = CONTROL_HANDSHAKE_MS;
	c->line_ms = CONTROL_LINE_MS;
	pthread_mutex_init(&c->ev_lock, NULL);
	c->ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->ev_fd < 0) {
		pr_err("control: eventfd: %s", strerror(errno));
		goto err_free;
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		c->clients[i].fd = -1;
		c->clients[i].ctl = c;
	}
	c->path = strdup(path);
	if (!c->path) {
		pr_err("control: out of memory");
		goto err_free;
	}
	if (prepare_path(path, &sa))
		goto err_free;

	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0) {
		pr_err("--api-socket: socket: %s", strerror(errno));
		goto err_free;
	}
	/* Owner-only from the first moment: the mode comes from the socket
	 * inode (fchmod) and the umask at bind time. */
	if (fchmod(c->listen_fd, 0600) < 0) {
		pr_err("--api-socket: fchmod: %s", strerror(errno));
		goto err_close;
	}
	old_mask = umask(0177);
	r = bind(c->listen_fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r < 0) {
		pr_err("--api-socket: cannot bind '%s': %s", path, strerror(errno));
		goto err_close;
	}
	if (lstat(path, &st) == 0) {
		c->sock_dev = st.st_dev;
		c->sock_ino = st.st_ino;
	}
	if (listen(c->listen_fd, CONTROL_MAX_CLIENTS) < 0) {
		pr_err("--api-socket: listen on '%s': %s", path, strerror(errno));
		goto err_unlink;
	}
	r = watch->add(watch->opaque, c->ev_fd, events_cb, c);
	if (r < 0) {
		pr_err("--api-socket: cannot watch the event queue: %s", strerror(-r));
		goto err_unlink;
	}
	r = watch->add(watch->opaque, c->listen_fd, listen_cb, c);
	if (r < 0) {
		watch->remove(watch->opaque, c->ev_fd);
		pr_err("--api-socket: cannot watch the socket: %s", strerror(-r));
		goto err_unlink;
	}
	return c;

err_unlink:
	unlink(path);
err_close:
	close(c->listen_fd);
err_free:
	if (c->ev_fd >= 0)
		close(c->ev_fd);
	pthread_mutex_destroy(&c->ev_lock);
	free(c->path);
	free(c);
	return NULL;
}

void control_destroy(struct control *c)
{
	struct stat st;
	size_t i;

	if (!c)
		return;
	/* The last events (SHUTDOWN) go out as far as the sockets take them. */
	events_drain(c);
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd >= 0) {
			c->watch.remove(c->watch.opaque, c->clients[i].fd);
			client_close(&c->clients[i]);
		}
	}
	c->watch.remove(c->watch.opaque, c->listen_fd);
	close(c->listen_fd);
	c->watch.remove(c->watch.opaque, c->ev_fd);
	close(c->ev_fd);
	pthread_mutex_destroy(&c->ev_lock);
	/* Unlink only the socket we created, not a successor's. */
	if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == c->sock_dev && st.st_ino == c->sock_ino)
		unlink(c->path);
	free(c->path);
	free(c);
}

#endif /* CONFIG_CONTROL_API */
