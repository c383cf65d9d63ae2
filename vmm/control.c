/* JSON control socket server (DESIGN.md section 9): a UNIX stream socket
 * watched by the main event loop, up to CONTROL_MAX_CLIENTS clients, one
 * request per line, run by control_cmds.c. Clients are untrusted: every bad
 * request gets an error reply, never a crash or a stuck main thread. */
#ifdef CONFIG_CONTROL_API

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "control_cmds.h"
#include "control_proto.h"
#include "log.h"

#define CONTROL_MAX_CLIENTS 8
#define CONTROL_LINE_MAX    (64 * 1024)   /* longest request line, bytes */
#define CONTROL_ACCEPT_BACKOFF_MS 100     /* after EMFILE and the like */

struct control_client {
	struct control *ctl;
	int fd;                   /* -1: free slot */
	struct ctlp_linebuf lb;
};

struct control {
	struct control_env env;
	struct control_watch watch;
	char *path;
	int listen_fd;
	dev_t sock_dev;           /* identity of the socket file we created, */
	ino_t sock_ino;           /* so destroy never unlinks someone else's */
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

/* Send all of buf without blocking the main thread. A client that does not
 * read its replies is not waited for. Returns 0 or -errno. */
static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Handle one request line. Returns 0, or -errno when the client must go. */
static int client_handle_line(struct control_client *cl, const char *line, size_t len)
{
	const struct control_env *env = &cl->ctl->env;
	struct control_reply reply;
	int r;

	r = control_cmds_handle_line(env, line, len, &reply);
	if (!r)
		r = send_all(cl->fd, reply.line, reply.len);
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
	if (!control_cmds_error_line(desc, &reply))
		send_all(fd, reply.line, reply.len);
	control_reply_free(&reply);
}

/* Loop callback for a client: one read, then every complete line. */
static int client_cb(void *opaque, int fd)
{
	struct control_client *cl = opaque;
	size_t avail, len;
	char *p, *line;
	ssize_t n;
	int r;

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
	while ((r = ctlp_linebuf_next(&cl->lb, &line, &len)) == 1) {
		if (len == 0)
			continue;
		if (client_handle_line(cl, line, len) < 0) {
			pr_warn_rl("control: client not reading its replies, disconnected");
			goto drop;
		}
	}
	if (r == -EMSGSIZE) {
		refuse(fd, "request line longer than %u bytes; closing", (unsigned)(CONTROL_LINE_MAX - 1));
		pr_warn_rl("control: request line too long, client disconnected");
		goto drop;
	}
	return 0;
drop:
	client_close(cl);
	return -1;   /* the loop stops watching the (now closed) fd */
}

/* Loop callback for the listening socket. */
static int listen_cb(void *opaque, int fd)
{
	struct control *c = opaque;
	struct control_client *cl = NULL;
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
	r = c->watch.add(c->watch.opaque, cfd, client_cb, cl);
	if (r < 0) {
		refuse(cfd, "the VMM cannot watch more connections now");
		pr_warn_rl("control: cannot watch a client: %s", strerror(-r));
		client_close(cl);
	}
	return 0;
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
	/* A socket somebody still listens on belongs to another VMM. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	live = probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	if (probe >= 0)
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

struct control *control_create(const struct control_env *env,
			       const struct control_watch *watch, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *c;
	struct stat st;
	mode_t old_mask;
	size_t i;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path) || !*path) {
		pr_err("--api-socket path '%s' is empty or longer than %zu bytes", path,
		       sizeof(sa.sun_path) - 1);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

	c = calloc(1, sizeof(*c));
	if (!c) {
		pr_err("control: out of memory");
		return NULL;
	}
	c->env = *env;
	c->watch = *watch;
	c->listen_fd = -1;
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
	r = watch->add(watch->opaque, c->listen_fd, listen_cb, c);
	if (r < 0) {
		pr_err("--api-socket: cannot watch the socket: %s", strerror(-r));
		goto err_unlink;
	}
	return c;

err_unlink:
	unlink(path);
err_close:
	close(c->listen_fd);
err_free:
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
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd >= 0) {
			c->watch.remove(c->watch.opaque, c->clients[i].fd);
			client_close(&c->clients[i]);
		}
	}
	c->watch.remove(c->watch.opaque, c->listen_fd);
	close(c->listen_fd);
	/* Unlink only the socket we created, not a successor's. */
	if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == c->sock_dev && st.st_ino == c->sock_ino)
		unlink(c->path);
	free(c->path);
	free(c);
}

#endif /* CONFIG_CONTROL_API */
