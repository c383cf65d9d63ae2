/* Serial console backends (chardev.h): stdio, file, pty, UNIX socket, off.
 * Output comes from vCPU threads (the PL011's data register) and must
 * never wait for a slow reader: every fd written here is non-blocking (a
 * private file description, never stdout's own), and what it does not take
 * is dropped and counted. Input (pty, socket client) is read on the main
 * event loop, only as much as the device takes now. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "chardev.h"
#include "log.h"
#include "util.h"

/* How an output fd is written without blocking. */
enum out_mode {
	OUT_WRITE,   /* write(): the fd is non-blocking or a regular file */
	OUT_SEND,    /* send(MSG_DONTWAIT): a socket we may not make non-blocking */
	OUT_POLL,    /* poll(POLLOUT, 0) first: stdout we could not reopen */
};

struct chardev {
	/* Taken by chardev_write() (vCPU threads) and by the main thread
	 * when it changes out_fd (a socket client comes or goes). */
	pthread_mutex_t lock;
	enum serial_kind kind;
	enum out_mode mode;
	int out_fd;               /* -1: output is dropped */
	bool own_out;             /* out_fd is ours to close (not the client's) */
	int in_fd;                /* watched for input (pty master, client); -1 */
	int listen_fd;            /* socket backend; -1 */
	int pty_slave;            /* held open: the master never sees a hang-up */
	char *path;               /* socket path, or the pty's slave name */
	dev_t sock_dev;           /* the socket file we created (unlink check) */
	ino_t sock_ino;
	struct chardev_env env;
	bool has_env;
	struct chardev_sink sink;
	bool stalled;             /* dropping since the last complete write */
	uint64_t written, dropped, unconnected;
};

static const char *const kind_name[] = {
	[SERIAL_STDIO] = "stdio", [SERIAL_FILE] = "file", [SERIAL_PTY] = "pty",
	[SERIAL_SOCKET] = "socket", [SERIAL_OFF] = "off",
};

static struct chardev *chardev_alloc(enum serial_kind kind)
{
	struct chardev *cd = calloc(1, sizeof(*cd));

	if (!cd)
		return NULL;
	pthread_mutex_init(&cd->lock, NULL);
	cd->kind = kind;
	cd->out_fd = cd->in_fd = cd->listen_fd = cd->pty_slave = -1;
	return cd;
}

struct chardev *chardev_from_fd(int fd)
{
	struct chardev *cd = chardev_alloc(SERIAL_STDIO);

	if (cd)
		cd->out_fd = fd;
	return cd;
}

/* One attempt to write buf[0..len) to fd as 'mode' says. Returns the bytes
 * taken, or -errno when none were. */
static ssize_t out_once(enum out_mode mode, int fd, const uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	if (mode == OUT_POLL && (poll(&p, 1, 0) <= 0 || !(p.revents & POLLOUT)))
		return -EAGAIN;
	if (mode == OUT_SEND)
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		n = write(fd, buf, mode == OUT_POLL ? 1 : len);
	return n < 0 ? -errno : n == 0 ? -EIO : n;
}

void chardev_write(struct chardev *cd, const uint8_t *buf, size_t len)
{
	uint64_t dropped = 0;
	bool warn = false, resumed = false;
	size_t done = 0;
	int err = 0;

	if (!cd || !len)
		return;
	pthread_mutex_lock(&cd->lock);
	if (cd->out_fd < 0) {
		/* A socket without a client, or 'off': nobody is listening. */
		if (cd->kind == SERIAL_SOCKET)
			cd->unconnected += len;
		else
			cd->dropped += len;
		pthread_mutex_unlock(&cd->lock);
		return;
	}
	while (done < len) {
		ssize_t n = out_once(cd->mode, cd->out_fd, buf + done, len - done);

		if (n == -EINTR)
			continue;
		if (n < 0) {
			err = (int)-n;
			break;
		}
		done += (size_t)n;
	}
	cd->written += done;
	if (done < len) {
		cd->dropped += len - done;
		dropped = cd->dropped;
		/* The first loss of a stall is reported, except on stdio,
		 * where stderr is most likely the same stalled reader: its
		 * report waits until output flows again. */
		warn = !cd->stalled && cd->kind != SERIAL_STDIO;
		cd->stalled = true;
	} else if (cd->stalled) {
		cd->stalled = false;
		resumed = true;
		dropped = cd->dropped;
	}
	pthread_mutex_unlock(&cd->lock);
	if (warn)
		pr_warn_rl("serial console (%s): output %s; dropping it (%llu bytes so far)",
			   kind_name[cd->kind], err == EAGAIN ? "stalled" : strerror(err),
			   (unsigned long long)dropped);
	if (resumed)
		pr_warn_rl("serial console (%s): output flows again; %llu bytes dropped so far",
			   kind_name[cd->kind], (unsigned long long)dropped);
}

void chardev_set_sink(struct chardev *cd, const struct chardev_sink *sink)
{
	if (cd && sink)
		cd->sink = *sink;
}

void chardev_get_stats(struct chardev *cd, struct chardev_stats *st)
{
	pthread_mutex_lock(&cd->lock);
	st->written = cd->written;
	st->dropped = cd->dropped;
	st->unconnected = cd->unconnected;
	pthread_mutex_unlock(&cd->lock);
}

const char *chardev_pty_path(const struct chardev *cd)
{
	return cd && cd->kind == SERIAL_PTY ? cd->path : NULL;
}

/* The socket client is gone: output is dropped again until the next. */
static void client_drop(struct chardev *cd)
{
	int fd = cd->in_fd;

	pthread_mutex_lock(&cd->lock);
	cd->out_fd = -1;
	cd->stalled = false;
	pthread_mutex_unlock(&cd->lock);
	cd->in_fd = -1;
	close(fd);
	pr_debug("serial console: client disconnected from '%s'", cd->path);
}

/* Main loop: input from the pty master or the socket client, as much as
 * the device takes now (the rest waits in the kernel). */
static int input_cb(void *opaque, int fd)
{
	struct chardev *cd = opaque;
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	size_t room = cd->sink.room ? cd->sink.room(cd->sink.opaque) : 0;
	uint8_t buf[256];
	ssize_t n;

	if (!room) {
		/* A client that left while the guest reads nothing must not
		 * keep the socket's only place. */
		if (cd->kind == SERIAL_SOCKET && poll(&p, 1, 0) > 0 &&
		    (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) && !(p.revents & POLLIN)) {
			client_drop(cd);
			return -1;
		}
		return 10;
	}
	n = read(fd, buf, MIN(room, sizeof(buf)));
	if (n > 0) {
		cd->sink.push(cd->sink.opaque, buf, (size_t)n);
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (cd->kind == SERIAL_SOCKET) {
		client_drop(cd);
		return -1;
	}
	/* pty: EIO would mean no slave is open, but we hold one; back off. */
	return 100;
}

/* Main loop: a client connects; one at a time, others are told so. */
static int listen_cb(void *opaque, int fd)
{
	static const char busy[] = "microvm-ras: the serial console has a client already\r\n";
	struct chardev *cd = opaque;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (c < 0)
		return 0;
	if (cd->in_fd >= 0) {
		if (send(c, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			pr_debug("serial console: refused client: %s", strerror(errno));
		close(c);
		return 0;
	}
	if (cd->env.watch_fd(cd->env.loop_opaque, c, input_cb, cd)) {
		close(c);
		return 0;
	}
	cd->in_fd = c;
	pthread_mutex_lock(&cd->lock);
	cd->out_fd = c;
	cd->mode = OUT_WRITE;
	pthread_mutex_unlock(&cd->lock);
	pr_debug("serial console: client connected to '%s'", cd->path);
	return 0;
}

/* stdout through a file description of our own, so that O_NONBLOCK never
 * reaches the shell's (a terminal's is shared with stdin). */
static void open_stdio(struct chardev *cd)
{
	struct stat st;
	int fd;

	if (fstat(STDOUT_FILENO, &st) < 0)
		return; /* no stdout: output is dropped */
	cd->out_fd = STDOUT_FILENO;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return; /* never "full": plain writes */
	if (S_ISSOCK(st.st_mode)) {
		cd->mode = OUT_SEND;
		return;
	}
	fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		cd->mode = OUT_POLL;
		return;
	}
	cd->out_fd = fd;
	cd->own_out = true;
}

static int open_file(struct chardev *cd, const char *path)
{
	cd->out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
			  0644);
	if (cd->out_fd < 0) {
		pr_err("--serial file='%s': %s", path, strerror(errno));
		return -errno;
	}
	cd->own_out = true;
	return 0;
}

static int open_pty(struct chardev *cd)
{
	struct termios tio;
	char name[64];
	int m, ret;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, name, sizeof(name))) {
		ret = -errno;
		pr_err("--serial pty: cannot create a pseudo-terminal: %s", strerror(-ret));
		if (m >= 0)
			close(m);
		return ret;
	}
	cd->out_fd = cd->in_fd = m;
	cd->own_out = true;
	cd->path = strdup(name);
	/* Raw, no echo: the guest's bytes as they are, both ways. */
	cd->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (!cd->path || cd->pty_slave < 0 || tcgetattr(cd->pty_slave, &tio) < 0) {
		ret = cd->path ? -errno : -ENOMEM;
		pr_err("--serial pty: cannot open '%s': %s", name, strerror(-ret));
		return ret;
	}
	cfmakeraw(&tio);
	if (tcsetattr(cd->pty_slave, TCSANOW, &tio) < 0 ||
	    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK) < 0) {
		ret = -errno;
		pr_err("--serial pty: cannot set up '%s': %s", name, strerror(-ret));
		return ret;
	}
	ret = cd->env.watch_fd(cd->env.loop_opaque, m, input_cb, cd);
	if (ret) {
		cd->in_fd = -1;
		pr_err("--serial pty: cannot watch the pseudo-terminal: %s", strerror(-ret));
		return ret;
	}
	/* Once, whatever the log level: the user needs it to connect. */
	fprintf(stderr, "microvm-ras: serial console redirected to %s\n", name);
	return 0;
}

/* Make 'path' free for bind(): replace a stale socket, refuse anything
 * else. 0 or -errno after one error line. */
static int socket_path_free(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int probe, live;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : (pr_err("--serial socket='%s': %s", path,
						      strerror(errno)), -errno);
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("--serial socket='%s' exists and is not a socket; refusing to replace it",
		       path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	live = probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	if (probe >= 0)
		close(probe);
	if (live) {
		pr_err("--serial socket='%s' is in use by another process", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		pr_err("--serial socket='%s': cannot remove the stale socket: %s", path,
		       strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_socket(struct chardev *cd, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	struct stat st;
	mode_t old_mask;
	int ret;

	if (!len || len >= sizeof(sa.sun_path)) {
		pr_err("--serial socket path '%s' is empty or longer than %zu bytes", path,
		       sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, len + 1);
	cd->path = strdup(path);
	if (!cd->path)
		return -ENOMEM;
	ret = socket_path_free(path, &sa);
	if (ret)
		return ret;
	cd->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (cd->listen_fd < 0) {
		pr_err("--serial socket: %s", strerror(errno));
		return -errno;
	}
	/* Owner-only, like the control socket. */
	old_mask = umask(0177);
	ret = bind(cd->listen_fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (ret < 0) {
		pr_err("--serial socket: cannot bind '%s': %s", path, strerror(errno));
		return -errno;
	}
	if (lstat(path, &st) == 0) {
		cd->sock_dev = st.st_dev;
		cd->sock_ino = st.st_ino;
	}
	if (listen(cd->listen_fd, 1) < 0) {
		pr_err("--serial socket: listen on '%s': %s", path, strerror(errno));
		return -errno;
	}
	ret = cd->env.watch_fd(cd->env.loop_opaque, cd->listen_fd, listen_cb, cd);
	if (ret)
		pr_err("--serial socket: cannot watch '%s': %s", path, strerror(-ret));
	return ret;
}

struct chardev *chardev_open(const struct serial_config *cfg, const struct chardev_env *env)
{
	struct chardev *cd = chardev_alloc(cfg->kind);
	int ret = 0;

	if (!cd) {
		pr_err("serial console: out of memory");
		return NULL;
	}
	if (env) {
		cd->env = *env;
		cd->has_env = true;
	}
	if ((cfg->kind == SERIAL_PTY || cfg->kind == SERIAL_SOCKET) && !cd->has_env) {
		pr_err("--serial %s needs the event loop", kind_name[cfg->kind]);
		chardev_close(cd);
		return NULL;
	}
	switch (cfg->kind) {
	case SERIAL_STDIO:
		open_stdio(cd);
		break;
	case SERIAL_FILE:
		ret = open_file(cd, cfg->path);
		break;
	case SERIAL_PTY:
		ret = open_pty(cd);
		break;
	case SERIAL_SOCKET:
		ret = open_socket(cd, cfg->path);
		break;
	case SERIAL_OFF:
		break;
	}
	if (ret) {
		chardev_close(cd);
		return NULL;
	}
	return cd;
}

void chardev_close(struct chardev *cd)
{
	struct stat st;

	if (!cd)
		return;
	if (cd->stalled || cd->dropped)
		pr_debug("serial console (%s): %llu bytes dropped", kind_name[cd->kind],
			 (unsigned long long)cd->dropped);
	if (cd->in_fd >= 0 && cd->has_env)
		cd->env.unwatch_fd(cd->env.loop_opaque, cd->in_fd);
	if (cd->kind == SERIAL_SOCKET && cd->in_fd >= 0)
		close(cd->in_fd); /* the client: also out_fd, not own_out */
	if (cd->own_out && cd->out_fd >= 0)
		close(cd->out_fd);
	if (cd->pty_slave >= 0)
		close(cd->pty_slave);
	if (cd->listen_fd >= 0) {
		if (cd->has_env)
			cd->env.unwatch_fd(cd->env.loop_opaque, cd->listen_fd);
		close(cd->listen_fd);
		/* Unlink only the socket we created, not a successor's. */
		if (cd->sock_ino && lstat(cd->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    st.st_dev == cd->sock_dev && st.st_ino == cd->sock_ino)
			unlink(cd->path);
	}
	pthread_mutex_destroy(&cd->lock);
	free(cd->path);
	free(cd);
}
