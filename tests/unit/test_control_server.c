/* Unit tests for the control socket server (vmm/control.c) over a real UNIX
 * socket in a temporary directory, with a fake event loop that runs the
 * callbacks when told: the QMP greeting and capabilities negotiation, line
 * framing across reads, several requests in one read, the line cap, end of
 * input, the client limit, socket file care, and events: who gets them, the
 * bounded ring, a client that does not read, the flush on destroy. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "control.h"
#include "control_cmds.h"
#include "control_proto.h"
#include "version.h"

#define MAX_WATCHED 80
#define MAX_CLIENTS 64          /* the server's CONTROL_MAX_CLIENTS */
#define LINE_MAX_BYTES (64 * 1024)   /* the server's CONTROL_LINE_MAX */

/* The fake loop: what is watched, and a way to run one callback. */
struct fake_loop {
	struct {
		int fd;
		loop_cb_t cb;
		void *opaque;
	} w[MAX_WATCHED];
	int nwatched;
};

static int fake_add(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	struct fake_loop *l = opaque;
	int i;

	for (i = 0; i < MAX_WATCHED; i++) {
		if (!l->w[i].cb) {
			l->w[i].fd = fd;
			l->w[i].cb = cb;
			l->w[i].opaque = cb_opaque;
			l->nwatched++;
			return 0;
		}
	}
	return -ENOSPC;
}

static void fake_remove(void *opaque, int fd)
{
	struct fake_loop *l = opaque;
	int i;

	for (i = 0; i < MAX_WATCHED; i++) {
		if (l->w[i].cb && l->w[i].fd == fd) {
			l->w[i].cb = NULL;
			l->nwatched--;
		}
	}
}

/* Run fd's callback once as the loop would (a negative return ends the
 * watch). Returns the callback's result. */
static int fake_fire(struct fake_loop *l, int fd)
{
	int i, r;

	for (i = 0; i < MAX_WATCHED; i++) {
		if (l->w[i].cb && l->w[i].fd == fd) {
			r = l->w[i].cb(l->w[i].opaque, fd);
			if (r < 0)
				fake_remove(l, fd);
			return r;
		}
	}
	fail_msg("fd %d is not watched", fd);
	return -1;
}

static bool fake_watches(struct fake_loop *l, int fd)
{
	int i;

	for (i = 0; i < MAX_WATCHED; i++)
		if (l->w[i].cb && l->w[i].fd == fd)
			return true;
	return false;
}

static int stops;

static void env_stop(void *opaque)
{
	stops++;
}

struct fixture {
	char dir[64];
	char path[96];
	struct fake_loop loop;
	struct control_env env;
	struct control_watch watch;
	struct control *ctl;
	int listen_fd;
	int ev_fd;              /* the server's event eventfd */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/mvr-ctl-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/api.sock", fx->dir);
	/* Only quit's stop is used here; test_control_cmds covers the rest. */
	fx->env = (struct control_env){ .ncpus = 1, .request_stop = env_stop };
	fx->watch = (struct control_watch){
		.opaque = &fx->loop, .add = fake_add, .remove = fake_remove,
	};
	stops = 0;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	control_destroy(fx->ctl);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Create the server; it watches its listening socket and its event
 * eventfd. */
static void start(struct fixture *fx)
{
	struct stat st;
	int i, acc;
	socklen_t len;

	fx->ctl = control_create(&fx->env, &fx->watch, fx->path);
	assert_non_null(fx->ctl);
	assert_int_equal(fx->loop.nwatched, 2);
	fx->listen_fd = fx->ev_fd = -1;
	for (i = 0; i < 2; i++) {
		len = sizeof(acc);
		acc = 0;
		if (getsockopt(fx->loop.w[i].fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc)
			fx->listen_fd = fx->loop.w[i].fd;
		else
			fx->ev_fd = fx->loop.w[i].fd;
	}
	assert_true(fx->listen_fd >= 0 && fx->ev_fd >= 0);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* Connect a client and let the server accept it; returns the client's
 * end and sets *server_fd to the server's end (now watched). */
static int connect_client(struct fixture *fx, int *server_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool was_watched[MAX_WATCHED];
	int fd, before = fx->loop.nwatched, i;

	for (i = 0; i < MAX_WATCHED; i++)
		was_watched[i] = fx->loop.w[i].cb != NULL;
	strcpy(sa.sun_path, fx->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fake_fire(&fx->loop, fx->listen_fd), 0);
	if (server_fd) {
		/* The accepted connection is the one newly watched slot. */
		assert_int_equal(fx->loop.nwatched, before + 1);
		*server_fd = -1;
		for (i = 0; i < MAX_WATCHED; i++)
			if (fx->loop.w[i].cb && !was_watched[i])
				*server_fd = fx->loop.w[i].fd;
		assert_true(*server_fd >= 0);
	}
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* What the server has sent so far (no waiting: the server runs in this
 * thread, so everything it sent is already queued). */
static char *recv_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size - 1) {
		n = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return buf;
}

/* The greeting every connection gets first. */
static const char *greeting(void)
{
	static char g[512];
	unsigned v[3];

	ctlp_version_numbers(MVR_VERSION, v);
	snprintf(g, sizeof(g),
		 "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":%u,\"minor\":%u,\"major\":%u},"
		 "\"package\":\"microvm-ras %s\"},\"capabilities\":[]}}\n",
		 v[2], v[1], v[0], MVR_VERSION);
	return g;
}

/* Connect, take the greeting, negotiate: the client is in command mode. */
static int connect_ready(struct fixture *fx, int *server_fd)
{
	char buf[1024];
	int c = connect_client(fx, server_fd);

	assert_string_equal(recv_all(c, buf, sizeof(buf)), greeting());
	send_str(c, "{\"execute\":\"qmp_capabilities\"}\n");
	assert_int_equal(fake_fire(&fx->loop, *server_fd), 0);
	assert_string_equal(recv_all(c, buf, sizeof(buf)), "{\"return\":{}}\n");
	return c;
}

#define QUIT_OK "{\"return\":{}}\n"
#define GENERIC(desc) "{\"error\":{\"class\":\"GenericError\",\"desc\":\"" desc "\"}}\n"

static void test_partial_and_several_lines(void **state)
{
	struct fixture *fx = *state;
	char buf[1024];
	int c, s;

	start(fx);
	c = connect_ready(fx, &s);

	/* Half a request: nothing is answered yet. */
	send_str(c, "{\"execute\":\"qu");
	assert_int_equal(fake_fire(&fx->loop, s), 0);
	assert_string_equal(recv_all(c, buf, sizeof(buf)), "");

	/* Its end, an empty line, a CRLF line and a bad one, in one read. */
	send_str(c, "it\",\"id\":1}\n\n{\"execute\":\"quit\"}\r\n{\"execute\":\"nope\"}\n");
	assert_int_equal(fake_fire(&fx->loop, s), 0);
	assert_string_equal(recv_all(c, buf, sizeof(buf)),
			    "{\"return\":{},\"id\":1}\n" QUIT_OK
			    "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"unknown command "
			    "'nope'\"}}\n");
	assert_int_equal(stops, 2);
	/* Still connected and watched. */
	assert_true(fake_watches(&fx->loop, s));
	close(c);
	assert_int_equal(fake_fire(&fx->loop, s), -1);
	assert_false(fake_watches(&fx->loop, s));
}

static void test_last_line_without_newline(void **state)
{
	struct fixture *fx = *state;
	char buf[256];
	int c, s, r, rounds = 0;

	start(fx);
	c = connect_ready(fx, &s);
	send_str(c, "{\"execute\":\"quit\"}");
	shutdown(c, SHUT_WR);
	/* One read takes the bytes, the next sees the end and answers. */
	while ((r = fake_fire(&fx->loop, s)) == 0)
		assert_true(++rounds < 4);
	assert_int_equal(r, -1);
	assert_string_equal(recv_all(c, buf, sizeof(buf)), QUIT_OK);
	assert_int_equal(stops, 1);
	close(c);
}

static void test_overlong_line(void **state)
{
	struct fixture *fx = *state;
	char chunk[4096], buf[512];
	size_t sent = 0;
	int c, s, r = 0;

	start(fx);
	c = connect_client(fx, &s);
	assert_string_equal(recv_all(c, buf, sizeof(buf)), greeting());
	memset(chunk, 'x', sizeof(chunk));
	/* A line of exactly the cap (with its '\n') would fit; send more,
	 * without a newline, feeding the server as it reads. */
	while (sent < LINE_MAX_BYTES + sizeof(chunk) && r == 0) {
		assert_int_equal(send(c, chunk, sizeof(chunk), MSG_NOSIGNAL), sizeof(chunk));
		sent += sizeof(chunk);
		r = fake_fire(&fx->loop, s);
	}
	assert_int_equal(r, -1);
	/* Given up once the buffer held a whole cap's worth without '\n'. */
	assert_int_equal(sent, LINE_MAX_BYTES);
	assert_false(fake_watches(&fx->loop, s));
	assert_string_equal(recv_all(c, buf, sizeof(buf)),
			    GENERIC("request line longer than 65535 bytes; closing"));
	/* The server closed its end. */
	assert_int_equal(recv(c, buf, sizeof(buf), MSG_DONTWAIT), 0);
	close(c);
}

static void test_long_line_within_cap(void **state)
{
	struct fixture *fx = *state;
	static char req[LINE_MAX_BYTES];
	char buf[512];
	size_t n;
	int c, s, r = 0, rounds = 0;

	start(fx);
	c = connect_ready(fx, &s);
	/* 65535 bytes + '\n': padding spaces after the object are allowed. */
	n = (size_t)snprintf(req, sizeof(req), "{\"execute\":\"quit\"}");
	memset(req + n, ' ', sizeof(req) - 1 - n);
	req[sizeof(req) - 1] = '\n';
	fcntl(c, F_SETFL, O_NONBLOCK);
	for (n = 0; n < sizeof(req) && r == 0;) {
		ssize_t k = send(c, req + n, sizeof(req) - n, MSG_NOSIGNAL);

		if (k > 0)
			n += (size_t)k;
		r = fake_fire(&fx->loop, s);
	}
	while (r == 0 && !stops && ++rounds < 100)
		r = fake_fire(&fx->loop, s);
	assert_int_equal(r, 0);
	assert_string_equal(recv_all(c, buf, sizeof(buf)), QUIT_OK);
	close(c);
}

static void test_too_many_clients(void **state)
{
	struct fixture *fx = *state;
	int c[MAX_CLIENTS + 1], s, i;
	char buf[256];

	start(fx);
	for (i = 0; i < MAX_CLIENTS; i++)
		c[i] = connect_client(fx, &s);
	assert_int_equal(fx->loop.nwatched, MAX_CLIENTS + 2);
	/* One more gets one error line (no greeting) and is closed. */
	c[MAX_CLIENTS] = connect_client(fx, NULL);
	assert_int_equal(fx->loop.nwatched, MAX_CLIENTS + 2);
	assert_string_equal(recv_all(c[MAX_CLIENTS], buf, sizeof(buf)),
			    GENERIC("too many clients (at most 64)"));
	assert_int_equal(recv(c[MAX_CLIENTS], buf, sizeof(buf), MSG_DONTWAIT), 0);
	/* Destroy stops watching everything and removes the socket. */
	control_destroy(fx->ctl);
	fx->ctl = NULL;
	assert_int_equal(fx->loop.nwatched, 0);
	assert_int_equal(access(fx->path, F_OK), -1);
	for (i = 0; i <= MAX_CLIENTS; i++)
		close(c[i]);
}

static void test_socket_path(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	/* A regular file is never replaced. */
	fd = open(fx->path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(control_create(&fx->env, &fx->watch, fx->path));
	assert_int_equal(fx->loop.nwatched, 0);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(fx->path);

	/* A stale socket (nobody listening) is. */
	strcpy(sa.sun_path, fx->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	start(fx);

	/* A live one is not: a second server on the same path fails. */
	assert_null(control_create(&fx->env, &fx->watch, fx->path));
	assert_int_equal(fx->loop.nwatched, 2);

	/* Paths that do not fit sockaddr_un are refused. */
	assert_null(control_create(&fx->env, &fx->watch, ""));
}

#define NOT_NEGOTIATED "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":" \
	"\"expecting capabilities negotiation with 'qmp_capabilities'\"}"

/* The greeting first; then only qmp_capabilities until it succeeds; then
 * it is refused and the other commands run. */
static void test_negotiation(void **state)
{
	struct fixture *fx = *state;
	char buf[1024];
	int c, s;

	start(fx);
	c = connect_client(fx, &s);
	assert_string_equal(recv_all(c, buf, sizeof(buf)), greeting());
	send_str(c, "{\"execute\":\"quit\",\"id\":7}\n"
		    "{\"execute\":\"query-version\"}\n"
		    "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}\n"
		    "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[]},\"id\":\"n\"}\n"
		    "{\"execute\":\"qmp_capabilities\"}\n");
	assert_int_equal(fake_fire(&fx->loop, s), 0);
	assert_string_equal(recv_all(c, buf, sizeof(buf)),
			    NOT_NEGOTIATED ",\"id\":7}\n"
			    NOT_NEGOTIATED "}\n"
			    GENERIC("capability 'oob' is not available")
			    "{\"return\":{},\"id\":\"n\"}\n"
			    "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"capabilities "
			    "negotiation is already complete, command ignored\"}}\n");
	/* quit did not run before negotiation. */
	assert_int_equal(stops, 0);
	send_str(c, "{\"execute\":\"quit\"}\n");
	assert_int_equal(fake_fire(&fx->loop, s), 0);
	assert_string_equal(recv_all(c, buf, sizeof(buf)), QUIT_OK);
	assert_int_equal(stops, 1);
	close(c);
}

static const struct control_event shutdown_ev = {
	.type = CONTROL_EV_SHUTDOWN, .ts_sec = 1700000000, .ts_usec = 42,
	.stop = { .guest = true, .reason = "guest-shutdown" },
};
#define SHUTDOWN_LINE "{\"event\":\"SHUTDOWN\",\"data\":{\"guest\":true,\"reason\":" \
	"\"guest-shutdown\"},\"timestamp\":{\"seconds\":1700000000,\"microseconds\":42}}\n"

/* Events reach the clients in command mode only, once the loop runs the
 * eventfd's callback; a timestamp of 0 is filled in. */
static void test_events_to_command_mode(void **state)
{
	struct fixture *fx = *state;
	struct control_event reset = { .type = CONTROL_EV_RESET,
				       .stop = { false, "host-qmp-system-reset" } };
	char buf[1024];
	long long sec;
	int a, b, sa, sb;

	start(fx);
	a = connect_ready(fx, &sa);
	b = connect_client(fx, &sb);
	assert_string_equal(recv_all(b, buf, sizeof(buf)), greeting());

	control_post_event(fx->ctl, &shutdown_ev);
	/* Nothing goes out from the posting thread. */
	assert_string_equal(recv_all(a, buf, sizeof(buf)), "");
	/* b's negotiation timer (30 s) runs: look again within 1 s. */
	assert_int_equal(fake_fire(&fx->loop, fx->ev_fd), 1000);
	assert_string_equal(recv_all(a, buf, sizeof(buf)), SHUTDOWN_LINE);
	/* The negotiating client gets none. */
	assert_string_equal(recv_all(b, buf, sizeof(buf)), "");

	control_post_event(fx->ctl, &reset);
	assert_int_equal(fake_fire(&fx->loop, fx->ev_fd), 1000);
	recv_all(a, buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "{\"event\":\"RESET\",\"data\":{\"guest\":false,\"reason\":"
				     "\"host-qmp-system-reset\"},\"timestamp\":{\"seconds\":%lld,",
				&sec), 1);
	assert_true(sec > 1600000000LL);
	assert_int_equal(control_events_dropped(fx->ctl), 0);
	close(a);
	close(b);
}

/* The ring holds CONTROL_EVENT_RING (256) events: more before the loop
 * runs are dropped and counted, the rest all arrive in order. */
static void test_event_ring_overflow(void **state)
{
	struct fixture *fx = *state;
	struct control_event ev = shutdown_ev;
	static char buf[256 * 1024];
	char want[64];
	int c, s, i;

	start(fx);
	c = connect_ready(fx, &s);
	for (i = 0; i < 261; i++) {
		ev.ts_usec = i;
		control_post_event(fx->ctl, &ev);
	}
	assert_int_equal(control_events_dropped(fx->ctl), 5);
	assert_int_equal(fake_fire(&fx->loop, fx->ev_fd), 0);
	recv_all(c, buf, sizeof(buf));
	for (i = 0; i < 256; i++) {
		snprintf(want, sizeof(want), "\"microseconds\":%d}}\n", i);
		assert_non_null(strstr(buf, want));
	}
	snprintf(want, sizeof(want), "\"microseconds\":%d}}\n", 256);
	assert_null(strstr(buf, want));
	close(c);
}

/* A client that reads nothing: its socket fills, then its queue; further
 * events are dropped for it (counted), the server never blocks, the client
 * stays connected and later reads whole lines only. */
static void test_slow_client(void **state)
{
	struct fixture *fx = *state;
	struct control_event ev = shutdown_ev;
	char *buf, *p, *nl;
	size_t got = 0, cap = 16u << 20;
	int c, s, i, k, r = 0;
	ssize_t n;

	start(fx);
	c = connect_ready(fx, &s);
	for (k = 0; k < 64 && control_events_dropped(fx->ctl) == 0; k++) {
		for (i = 0; i < 256; i++)
			control_post_event(fx->ctl, &ev);
		r = fake_fire(&fx->loop, fx->ev_fd);
	}
	assert_true(control_events_dropped(fx->ctl) > 0);
	/* Output is pending: the eventfd callback asks to look again soon. */
	assert_true(r > 0);
	assert_true(fake_watches(&fx->loop, s));

	/* The client catches up: complete event lines, nothing cut. */
	buf = malloc(cap);
	assert_non_null(buf);
	for (k = 0; k < 1000; k++) {
		while ((n = recv(c, buf + got, cap - 1 - got, MSG_DONTWAIT)) > 0)
			got += (size_t)n;
		if (fake_fire(&fx->loop, fx->ev_fd) == 0)
			break;
	}
	while ((n = recv(c, buf + got, cap - 1 - got, MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	assert_true(got > 0);
	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_int_equal((size_t)(nl + 1 - p), strlen(SHUTDOWN_LINE));
		assert_memory_equal(p, SHUTDOWN_LINE, strlen(SHUTDOWN_LINE));
	}
	/* Replies still come after the backlog. */
	send_str(c, "{\"execute\":\"quit\"}\n");
	assert_int_equal(fake_fire(&fx->loop, s), 0);
	assert_string_equal(recv_all(c, buf, 256), QUIT_OK);
	free(buf);
	close(c);
}

/* Events posted right before the end (SHUTDOWN) still go out. */
static void test_destroy_flushes_events(void **state)
{
	struct fixture *fx = *state;
	char buf[1024];
	int c, s;

	start(fx);
	c = connect_ready(fx, &s);
	control_post_event(fx->ctl, &shutdown_ev);
	control_destroy(fx->ctl);
	fx->ctl = NULL;
	assert_string_equal(recv_all(c, buf, sizeof(buf)), SHUTDOWN_LINE);
	assert_int_equal(recv(c, buf, sizeof(buf), MSG_DONTWAIT), 0);
	/* A NULL server takes events and counts nothing. */
	control_post_event(NULL, &shutdown_ev);
	assert_int_equal(control_events_dropped(NULL), 0);
	close(c);
}


/* Idle limits: a client that never negotiates and one whose request line
 * stays incomplete get one error line and are closed when the event
 * callback runs past their deadline; a negotiated client waiting for
 * events is left alone, however long it idles. */
static void test_idle_timeouts(void **state)
{
	struct fixture *fx = *state;
	char buf[1024];
	int a, b, c, sa, sb, sc;

	start(fx);
	control_set_timeouts(fx->ctl, 100, 100);
	a = connect_client(fx, &sa);
	assert_string_equal(recv_all(a, buf, sizeof(buf)), greeting());
	b = connect_ready(fx, &sb);
	c = connect_ready(fx, &sc);
	send_str(c, "{\"execute\":\"qu");
	assert_int_equal(fake_fire(&fx->loop, sc), 0);

	/* Before the deadline: nobody is closed; look again in <= 100 ms. */
	{
		int r = fake_fire(&fx->loop, fx->ev_fd);

		assert_true(r > 0 && r <= 100);
	}
	assert_true(fake_watches(&fx->loop, sa) && fake_watches(&fx->loop, sc));
	usleep(150 * 1000);
	/* Past it: a and c go, b stays; no timer is left. */
	assert_int_equal(fake_fire(&fx->loop, fx->ev_fd), 0);
	assert_string_equal(recv_all(a, buf, sizeof(buf)),
			    GENERIC("no qmp_capabilities within 100 ms; closing"));
	assert_int_equal(recv(a, buf, sizeof(buf), MSG_DONTWAIT), 0);
	assert_string_equal(recv_all(c, buf, sizeof(buf)),
			    GENERIC("request line left incomplete within 100 ms; closing"));
	assert_int_equal(recv(c, buf, sizeof(buf), MSG_DONTWAIT), 0);
	assert_false(fake_watches(&fx->loop, sa));
	assert_false(fake_watches(&fx->loop, sc));
	assert_true(fake_watches(&fx->loop, sb));
	send_str(b, "{\"execute\":\"quit\"}\n");
	assert_int_equal(fake_fire(&fx->loop, sb), 0);
	assert_string_equal(recv_all(b, buf, sizeof(buf)), QUIT_OK);
	close(a);
	close(b);
	close(c);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Control under load (issue 12): every slot taken, then hostile clients
 * among them: a 1 MiB line, invalid UTF-8, a half-open one, one sending
 * thousands of requests without reading. The well-behaved clients' replies
 * stay exact, the pipelining client's queue stays bounded, and after a
 * connect/close storm and destroy no fd is left open. */
static void test_load(void **state)
{
	struct fixture *fx = *state;
	static char big[1 << 20];
	char buf[4096], *p;
	int c[MAX_CLIENTS], s[MAX_CLIENTS], i, k, r, fds0;
	size_t sent, got;
	ssize_t n;

	fds0 = count_fds();
	start(fx);
	for (i = 0; i < MAX_CLIENTS; i++)
		c[i] = connect_ready(fx, &s[i]);

	/* 0: a 1 MiB line, fed as the server reads: refused and closed. */
	memset(big, 'x', sizeof(big));
	fcntl(c[0], F_SETFL, O_NONBLOCK);
	for (sent = 0, r = 0; sent < sizeof(big) && r == 0;) {
		n = send(c[0], big + sent, sizeof(big) - sent, MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		r = fake_fire(&fx->loop, s[0]);
	}
	assert_int_equal(r, -1);
	assert_string_equal(recv_all(c[0], buf, sizeof(buf)),
			    GENERIC("request line longer than 65535 bytes; closing"));

	/* 1: invalid UTF-8 gets an error reply and the client stays. */
	send_str(c[1], "{\"execute\":\"\xff\xfe\"}\n");
	assert_int_equal(fake_fire(&fx->loop, s[1]), 0);
	assert_string_equal(recv_all(c[1], buf, sizeof(buf)),
			    GENERIC("invalid JSON: invalid utf-8 string"));

	/* 2: half-open (writes done, still reading): its last request is
	 * answered, then it is closed. */
	send_str(c[2], "{\"execute\":\"quit\",\"id\":2}");
	shutdown(c[2], SHUT_WR);
	for (k = 0; (r = fake_fire(&fx->loop, s[2])) == 0 && k < 4; k++)
		;
	assert_int_equal(r, -1);
	assert_string_equal(recv_all(c[2], buf, sizeof(buf)), "{\"return\":{},\"id\":2}\n");

	/* 3: 20000 requests, never reading: the server stops reading from it
	 * (back-pressure) instead of queueing without bound. */
	fcntl(c[3], F_SETFL, O_NONBLOCK);
	for (k = 0; k < 20000; k++) {
		const char *q = "{\"execute\":\"query-version\"}\n";

		if (send(c[3], q, strlen(q), MSG_NOSIGNAL) < 0)
			break;
		if (k % 64 == 0)
			fake_fire(&fx->loop, s[3]);
	}
	/* The socket filled up: the server did not take everything. */
	assert_true(k < 20000);
	assert_true(fake_fire(&fx->loop, s[3]) > 0);
	assert_true(fake_watches(&fx->loop, s[3]));

	/* The well-behaved ones: exact replies, in order. */
	for (i = 4; i < MAX_CLIENTS; i++) {
		snprintf(buf, sizeof(buf), "{\"execute\":\"quit\",\"id\":%d}\n", i);
		send_str(c[i], buf);
		assert_int_equal(fake_fire(&fx->loop, s[i]), 0);
		snprintf(big, 64, "{\"return\":{},\"id\":%d}\n", i);
		assert_string_equal(recv_all(c[i], buf, sizeof(buf)), big);
	}

	/* 3 catches up: whole reply lines only, all the same, and it is
	 * still served. */
	got = 0;
	for (k = 0; k < 100000; k++) {
		n = recv(c[3], buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			for (p = buf; p < buf + n; p++)
				got += *p == '\n';
			continue;
		}
		r = fake_fire(&fx->loop, fx->ev_fd);
		if (r == 1000 || r == 0)
			break;
	}
	assert_true(got > 1000);

	/* A connect/close storm in the freed slots. */
	close(c[0]);
	close(c[2]);
	for (k = 0; k < 500; k++) {
		int t, st;

		t = connect_client(fx, &st);
		close(t);
		assert_int_equal(fake_fire(&fx->loop, st), -1);
	}
	for (i = 1; i < MAX_CLIENTS; i++)
		if (i != 2)
			close(c[i]);
	control_destroy(fx->ctl);
	fx->ctl = NULL;
	assert_int_equal(fx->loop.nwatched, 0);
	assert_int_equal(count_fds(), fds0);
}

/* The stale-socket probe never waits: a listener whose backlog is full
 * (a stuck VMM) is reported in use at once, where a blocking connect()
 * would hang start-up. An alarm turns a hang into a failure. */
static void test_probe_full_backlog(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l, q[8], i, nq = 0;

	strcpy(sa.sun_path, fx->path);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 0), 0);
	for (i = 0; i < 8; i++) {
		q[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(q[i], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			assert_int_equal(errno, EAGAIN);
			close(q[i]);
			break;
		}
		nq++;
	}
	assert_true(nq < 8);   /* the backlog is full now */
	alarm(5);
	assert_null(control_create(&fx->env, &fx->watch, fx->path));
	alarm(0);
	for (i = 0; i < nq; i++)
		close(q[i]);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_partial_and_several_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_line_without_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_within_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negotiation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_to_command_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_ring_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_flushes_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_full_backlog, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
