/* Control socket under load (issue 12): the real server (vmm/control.c)
 * on a poll() loop in this process, hostile and well-behaved clients in a
 * forked child (so that this process's RSS and fds are the server's).
 * First 64 clients at once (all served; a 65th is refused with one error
 * line), then for CONTROL_STORM_SECONDS (default 3; 60 for the long run):
 * well-behaved clients reconnecting and checking every reply byte for
 * byte, a connect/close storm (closing at once, after half a line, or
 * half-open after a request), 1 MiB lines (one error line each, then the
 * close), invalid UTF-8 (one error line, then the connection still
 * serves), slow clients (a byte at a time), idle clients (timed out with
 * one line), a client that never reads its replies (back-pressure). The
 * test fails on any wrong reply, an fd leaked across the run, or RSS
 * growth beyond a bound; it prints the figures.
 *   CONTROL_STORM_SECONDS=60 build/test/test_control_storm */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "control.h"
#include "control_proto.h"
#include "util.h"
#include "version.h"

#define MAX_CLIENTS 64			/* the server's CONTROL_MAX_CLIENTS */
#define MAX_WATCHED 96
#define HANDSHAKE_MS 400		/* short idle limits for the test */
#define LINE_MS 300
#define WORKERS 6

#if defined(__SANITIZE_ADDRESS__)
#define RSS_GROWTH_MAX_KIB (1024 * 1024)	/* ASan keeps freed memory (quarantine) */
#else
#define RSS_GROWTH_MAX_KIB (8 * 1024)
#endif

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the server side: a poll() loop with loop.h semantics ---- */

struct ploop {
	struct {
		int fd;
		loop_cb_t cb;
		void *opaque;
		int64_t until;		/* delayed: not polled before */
	} w[MAX_WATCHED];
};

static int ploop_add(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	struct ploop *l = opaque;

	for (int i = 0; i < MAX_WATCHED; i++) {
		if (!l->w[i].cb) {
			l->w[i].fd = fd;
			l->w[i].cb = cb;
			l->w[i].opaque = cb_opaque;
			l->w[i].until = 0;
			return 0;
		}
	}
	return -ENOSPC;
}

static void ploop_remove(void *opaque, int fd)
{
	struct ploop *l = opaque;

	for (int i = 0; i < MAX_WATCHED; i++)
		if (l->w[i].cb && l->w[i].fd == fd)
			l->w[i].cb = NULL;
}

/* One poll round (at most 'max_ms'); also watches 'extra' (returns true
 * when it is readable). */
static bool ploop_once(struct ploop *l, int extra, int max_ms)
{
	struct pollfd p[MAX_WATCHED + 1];
	int idx[MAX_WATCHED], n = 0, timeout = max_ms;
	int64_t now = now_ms();
	bool extra_ready;

	for (int i = 0; i < MAX_WATCHED; i++) {
		if (!l->w[i].cb)
			continue;
		if (l->w[i].until > now) {
			if (l->w[i].until - now < timeout)
				timeout = (int)(l->w[i].until - now);
			continue;
		}
		p[n] = (struct pollfd){ .fd = l->w[i].fd, .events = POLLIN };
		idx[n++] = i;
	}
	p[n] = (struct pollfd){ .fd = extra, .events = POLLIN };
	if (poll(p, (nfds_t)n + 1, timeout) < 0)
		return false;
	extra_ready = p[n].revents != 0;
	for (int k = 0; k < n; k++) {
		int i = idx[k], r;
		loop_cb_t cb = l->w[i].cb;

		if (!p[k].revents || !cb || l->w[i].fd != p[k].fd)
			continue;
		r = cb(l->w[i].opaque, p[k].fd);
		if (l->w[i].cb != cb || l->w[i].fd != p[k].fd)
			continue;
		if (r < 0)
			l->w[i].cb = NULL;
		else if (r > 0)
			l->w[i].until = now_ms() + r;
	}
	return extra_ready;
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* ---- the client side (child process) ---- */

struct results {
	uint64_t burst_served, burst_refused_65th;
	uint64_t sessions, replies_ok, replies_bad, refused;
	uint64_t storm_conns, half_open_ok, half_open_bad, big_lines_ok, big_lines_bad;
	uint64_t utf8_ok, utf8_bad, slow_ok, slow_bad, idle_ok, idle_bad;
	uint64_t nonreader_conns;
};

static struct results res;
static pthread_mutex_t res_lock = PTHREAD_MUTEX_INITIALIZER;
static char sock_path[108];
static int64_t deadline;

#define COUNT(field) do { pthread_mutex_lock(&res_lock); res.field++; \
			  pthread_mutex_unlock(&res_lock); } while (0)

struct conn {
	int fd;
	char buf[8192];
	size_t len;
};

static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };

	c->len = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	strcpy(sa.sun_path, sock_path);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(c->fd);
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* The next line (with its '\n', NUL-terminated) into 'out'; its length,
 * or -1 at the end of the stream, an error or a timeout. */
static ssize_t conn_line(struct conn *c, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->buf) + 1;

			if (l >= cap)
				return -1;
			memcpy(out, c->buf, l);
			out[l] = '\0';
			memmove(c->buf, c->buf + l, c->len - l);
			c->len -= l;
			return (ssize_t)l;
		}
		if (c->len == sizeof(c->buf))
			return -1;
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
	}
}

/* The server closed the connection: end of stream, or a reset when it
 * closed with our bytes unread. */
static bool conn_eof(struct conn *c)
{
	char b;
	ssize_t n;

	if (c->len)
		return false;
	n = recv(c->fd, &b, 1, 0);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static int send_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_str(int fd, const char *s)
{
	return send_all(fd, s, strlen(s));
}

#define REFUSED "{\"error\":{\"class\":\"GenericError\",\"desc\":\"too many clients (at most 64)\"}}\n"
#define CAPS_OK "{\"return\":{}}\n"

static char expect_version[512];	/* query-version's reply, "%d" for the id */

static bool reply_ok(const char *line, int id)
{
	char want[600];

	snprintf(want, sizeof(want), expect_version, id);
	return !strcmp(line, want);
}

/* Connect, greeting, qmp_capabilities. 1 ready, 0 refused (too many
 * clients; one error line, then the close), -1 anything else. */
static int conn_ready(struct conn *c)
{
	char line[1024];

	if (conn_open(c))
		return -1;
	if (conn_line(c, line, sizeof(line)) < 0)
		goto bad;
	if (!strcmp(line, REFUSED)) {
		bool eof = conn_eof(c);

		conn_close(c);
		return eof ? 0 : -1;
	}
	if (strncmp(line, "{\"QMP\":{\"version\":", 18))
		goto bad;
	if (send_str(c->fd, "{\"execute\":\"qmp_capabilities\"}\n") ||
	    conn_line(c, line, sizeof(line)) < 0 || strcmp(line, CAPS_OK))
		goto bad;
	return 1;
bad:
	conn_close(c);
	return -1;
}

/* 'n' query-version requests (pipelined when 'pipelined'), every reply
 * checked. Returns how many were right. */
static unsigned requests(struct conn *c, unsigned n, int id0, bool pipelined)
{
	char req[128], line[1024];
	unsigned ok = 0, i;

	if (pipelined) {
		for (i = 0; i < n; i++) {
			snprintf(req, sizeof(req), "{\"execute\":\"query-version\",\"id\":%d}\n",
				 id0 + (int)i);
			if (send_str(c->fd, req))
				return ok;
		}
	}
	for (i = 0; i < n; i++) {
		if (!pipelined) {
			snprintf(req, sizeof(req), "{\"execute\":\"query-version\",\"id\":%d}\n",
				 id0 + (int)i);
			if (send_str(c->fd, req))
				return ok;
		}
		if (conn_line(c, line, sizeof(line)) < 0)
			return ok;
		if (reply_ok(line, id0 + (int)i))
			ok++;
		else
			fprintf(stderr, "storm: wrong reply to id %d: %s", id0 + (int)i, line);
	}
	return ok;
}

/* Phase 1: 64 clients at once, all served while all are connected; a
 * 65th is refused. */
static pthread_barrier_t burst_bar;

static void *burst_client(void *arg)
{
	struct conn *c = calloc(1, sizeof(*c));
	int id = (int)(intptr_t)arg * 100, r = conn_ready(c);

	if (r == 1 && requests(c, 3, id, id & 100) == 3)
		COUNT(burst_served);
	pthread_barrier_wait(&burst_bar);	/* all connected at once */
	pthread_barrier_wait(&burst_bar);	/* the 65th has been tried */
	if (r == 1)
		conn_close(c);
	free(c);
	return NULL;
}

static void burst(void)
{
	pthread_t t[MAX_CLIENTS];
	struct conn c65;
	int i;

	pthread_barrier_init(&burst_bar, NULL, MAX_CLIENTS + 1);
	for (i = 0; i < MAX_CLIENTS; i++)
		pthread_create(&t[i], NULL, burst_client, (void *)(intptr_t)i);
	pthread_barrier_wait(&burst_bar);
	if (conn_ready(&c65) == 0)
		res.burst_refused_65th++;
	else if (c65.fd >= 0)
		conn_close(&c65);
	pthread_barrier_wait(&burst_bar);
	for (i = 0; i < MAX_CLIENTS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&burst_bar);
}

/* Phase 2 threads, each until the deadline. */
static void *worker(void *arg)
{
	int id = 1000000 * (1 + (int)(intptr_t)arg);

	while (now_ms() < deadline) {
		struct conn c;
		unsigned n = 1 + (unsigned)(id % 7), ok;
		int r = conn_ready(&c);

		if (r == 0) {
			COUNT(refused);
			usleep(2000);
			continue;
		}
		if (r < 0) {
			COUNT(replies_bad);
			continue;
		}
		ok = requests(&c, n, id, id & 1);
		pthread_mutex_lock(&res_lock);
		res.sessions++;
		res.replies_ok += ok;
		res.replies_bad += n - ok;
		pthread_mutex_unlock(&res_lock);
		id += (int)n;
		conn_close(&c);
	}
	return NULL;
}

static void *storm(void *arg)
{
	unsigned k = 0;

	while (now_ms() < deadline) {
		struct conn c;
		char line[1024];

		if (conn_open(&c))
			continue;
		switch (k++ % 4) {
		case 0:		/* gone at once */
			break;
		case 1:		/* half a line, then gone */
			send_str(c.fd, "{\"execute\":\"query-ver");
			break;
		case 2:		/* half-open: a request, then no more writing */
			conn_line(&c, line, sizeof(line));
			send_str(c.fd, "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}");
			shutdown(c.fd, SHUT_WR);
			/* The last line counts at the end of input: both
			 * replies come, then the close. */
			if (conn_line(&c, line, sizeof(line)) > 0 && !strcmp(line, CAPS_OK) &&
			    conn_line(&c, line, sizeof(line)) > 0 && !strcmp(line, CAPS_OK) &&
			    conn_eof(&c))
				COUNT(half_open_ok);
			else
				COUNT(half_open_bad);
			break;
		case 3:		/* greeting read, nothing said */
			conn_line(&c, line, sizeof(line));
			break;
		}
		conn_close(&c);
		COUNT(storm_conns);
	}
	return NULL;
}

#define TOO_LONG "{\"error\":{\"class\":\"GenericError\",\"desc\":\"request line longer than 65535 bytes; closing\"}}\n"

static void *big_lines(void *arg)
{
	size_t big = 1u << 20;
	char *p = malloc(big + 1);

	memset(p, 'x', big);
	p[big] = '\n';
	while (now_ms() < deadline) {
		struct conn c;
		char line[1024];
		int r = conn_ready(&c);

		if (r <= 0) {
			usleep(2000);
			continue;
		}
		/* The server gives up after 64 KiB: the rest may not go. */
		send_all(c.fd, p, big + 1);
		if (conn_line(&c, line, sizeof(line)) > 0 && !strcmp(line, TOO_LONG) &&
		    conn_eof(&c))
			COUNT(big_lines_ok);
		else
			COUNT(big_lines_bad);
		conn_close(&c);
		usleep(20000);
	}
	free(p);
	return NULL;
}

static void *bad_utf8(void *arg)
{
	static const char *const bad[] = {
		"{\"execute\":\"query-version\",\"id\":\"\xff\xfe\"}\n",
		"{\"execute\":\"\xc0\xaf\"}\n",
		"\xed\xa0\x80\n",
		"{\"execute\":\"query-version\",\"arguments\":{\"\xf4\x90\x80\x80\":1}}\n",
	};
	unsigned k = 0;

	while (now_ms() < deadline) {
		struct conn c;
		char line[1024];
		int r = conn_ready(&c);

		if (r <= 0) {
			usleep(2000);
			continue;
		}
		/* One error line, then the connection still serves. */
		if (!send_str(c.fd, bad[k++ % ARRAY_SIZE(bad)]) &&
		    conn_line(&c, line, sizeof(line)) > 0 && !strncmp(line, "{\"error\":", 9) &&
		    requests(&c, 1, 77, false) == 1)
			COUNT(utf8_ok);
		else
			COUNT(utf8_bad);
		conn_close(&c);
		usleep(5000);
	}
	return NULL;
}

/* A byte at a time, within the line limit; and idle clients. */
static void *slow(void *arg)
{
	static const char req[] = "{\"execute\":\"query-version\",\"id\":5}\n";
	unsigned k = 0;

	while (now_ms() < deadline) {
		struct conn c;
		char line[1024];
		bool ok;

		if (k++ % 2) {
			/* Idle: never negotiates, or leaves a line half-sent;
			 * one line, then the close. */
			if (k % 4 == 1) {
				if (conn_open(&c))
					continue;
				ok = conn_line(&c, line, sizeof(line)) > 0 &&
				     conn_line(&c, line, sizeof(line)) > 0 &&
				     strstr(line, "no qmp_capabilities within") && conn_eof(&c);
			} else {
				if (conn_ready(&c) <= 0)
					continue;
				ok = !send_str(c.fd, "{\"execute\":") &&
				     conn_line(&c, line, sizeof(line)) > 0 &&
				     strstr(line, "request line left incomplete") && conn_eof(&c);
			}
			if (ok)
				COUNT(idle_ok);
			else
				COUNT(idle_bad);
			conn_close(&c);
			continue;
		}
		if (conn_ready(&c) <= 0)
			continue;
		ok = true;
		for (size_t i = 0; i < sizeof(req) - 1 && ok; i++) {
			ok = send(c.fd, req + i, 1, MSG_NOSIGNAL) == 1;
			usleep(3000);
		}
		if (ok && conn_line(&c, line, sizeof(line)) > 0 && reply_ok(line, 5))
			COUNT(slow_ok);
		else
			COUNT(slow_bad);
		conn_close(&c);
	}
	return NULL;
}

/* Requests without reading the replies, for a while, then gone. */
static void *nonreader(void *arg)
{
	static const char req[] = "{\"execute\":\"query-commands\"}\n";

	while (now_ms() < deadline) {
		struct conn c;
		int64_t until = now_ms() + 700;

		if (conn_ready(&c) <= 0) {
			usleep(2000);
			continue;
		}
		fcntl(c.fd, F_SETFL, O_NONBLOCK);
		while (now_ms() < until && now_ms() < deadline) {
			if (send(c.fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
				usleep(5000);
		}
		conn_close(&c);
		COUNT(nonreader_conns);
	}
	return NULL;
}

static void run_clients(int out_fd, unsigned seconds)
{
	void *(*fns[])(void *) = { storm, big_lines, bad_utf8, slow, slow, nonreader };
	pthread_t t[WORKERS + ARRAY_SIZE(fns)];
	unsigned i, n = 0;
	struct conn c;

	/* Wait for the server to listen. */
	for (i = 0; i < 500 && conn_open(&c); i++)
		usleep(10000);
	conn_close(&c);
	burst();
	deadline = now_ms() + 1000ll * seconds;
	for (i = 0; i < WORKERS; i++)
		pthread_create(&t[n++], NULL, worker, (void *)(intptr_t)i);
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		pthread_create(&t[n++], NULL, fns[i], NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	if (write(out_fd, &res, sizeof(res)) != sizeof(res))
		_exit(2);
	_exit(0);
}

/* ---- the test ---- */

static unsigned stops;

/* quit (half-open storm clients send it): counted, nothing stops. */
static void env_stop(void *opaque)
{
	stops++;
}

static void test_storm(void **state)
{
	const char *env_s = getenv("CONTROL_STORM_SECONDS");
	unsigned seconds = env_s ? (unsigned)atoi(env_s) : 3;
	char dir[] = "/tmp/mvr-storm-XXXXXX";
	struct ploop *loop = calloc(1, sizeof(*loop));
	struct control_env env = { .ncpus = 1, .request_stop = env_stop };
	struct control_watch watch = { loop, ploop_add, ploop_remove };
	struct results r = { 0 };
	long rss0, rss1 = 0, rss_max = 0;
	int pfd[2], fds0, fds1, status;
	int64_t t0, next_sample;
	struct control *ctl;
	unsigned v[3];
	pid_t pid;
	ssize_t n;

	assert_non_null(loop);
	assert_non_null(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/api.sock", dir);
	ctlp_version_numbers(MVR_VERSION, v);
	snprintf(expect_version, sizeof(expect_version),
		 "{\"return\":{\"qemu\":{\"micro\":%u,\"minor\":%u,\"major\":%u},"
		 "\"package\":\"microvm-ras %s\"},\"id\":%%d}\n", v[2], v[1], v[0], MVR_VERSION);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		run_clients(pfd[1], seconds ? seconds : 1);
	}
	close(pfd[1]);
	log_level = LOG_ERROR;		/* the warnings are expected */

	fds0 = count_fds();
	rss0 = rss_kib();
	ctl = control_create(&env, &watch, sock_path);
	assert_non_null(ctl);
	control_set_timeouts(ctl, HANDSHAKE_MS, LINE_MS);
	t0 = now_ms();
	next_sample = t0 + 1000;
	while (!ploop_once(loop, pfd[0], 50)) {
		if (now_ms() >= next_sample) {
			long rss = rss_kib();

			if (!rss1)
				rss1 = rss;	/* after the burst: the baseline */
			rss_max = rss > rss_max ? rss : rss_max;
			next_sample += 1000;
		}
		assert_true(now_ms() - t0 < 1000ll * (seconds + 60));
	}
	n = read(pfd[0], &r, sizeof(r));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, sizeof(r));
	control_destroy(ctl);
	close(pfd[0]);
	fds1 = count_fds() + 1;		/* pfd[0] was open at the start */
	if (!rss1)
		rss1 = rss0;
	rss_max = rss_max > rss1 ? rss_max : rss1;

	printf("storm %us: burst %llu/64 served, 65th refused %llu; sessions %llu, replies ok %llu "
	       "bad %llu, refused (full) %llu; storm conns %llu (half-open ok %llu bad %llu); 1 MiB lines ok %llu bad %llu; "
	       "bad UTF-8 ok %llu bad %llu; slow ok %llu bad %llu; idle timeouts ok %llu bad %llu; "
	       "non-readers %llu; quits %u; RSS %ld KiB at start, %ld after 1 s, max %ld; fds %d before, "
	       "%d after\n", seconds,
	       (unsigned long long)r.burst_served, (unsigned long long)r.burst_refused_65th,
	       (unsigned long long)r.sessions, (unsigned long long)r.replies_ok,
	       (unsigned long long)r.replies_bad, (unsigned long long)r.refused,
	       (unsigned long long)r.storm_conns, (unsigned long long)r.half_open_ok,
	       (unsigned long long)r.half_open_bad, (unsigned long long)r.big_lines_ok,
	       (unsigned long long)r.big_lines_bad, (unsigned long long)r.utf8_ok,
	       (unsigned long long)r.utf8_bad, (unsigned long long)r.slow_ok,
	       (unsigned long long)r.slow_bad, (unsigned long long)r.idle_ok,
	       (unsigned long long)r.idle_bad, (unsigned long long)r.nonreader_conns, stops,
	       rss0, rss1, rss_max, fds0, fds1);

	assert_int_equal(r.burst_served, MAX_CLIENTS);
	assert_int_equal(r.burst_refused_65th, 1);
	assert_true(r.sessions > 0 && r.replies_ok > 0);
	assert_int_equal(r.replies_bad, 0);
	assert_true(r.storm_conns > 0 && r.big_lines_ok > 0 && r.utf8_ok > 0);
	assert_int_equal(r.big_lines_bad, 0);
	assert_true(r.half_open_ok > 0 && stops == r.half_open_ok);
	assert_int_equal(r.half_open_bad, 0);
	assert_int_equal(r.utf8_bad, 0);
	assert_int_equal(r.slow_bad, 0);
	assert_int_equal(r.idle_bad, 0);
	assert_true(r.idle_ok > 0);
	assert_int_equal(fds1, fds0);
	assert_true(rss_max - rss1 < RSS_GROWTH_MAX_KIB);
	for (int i = 0; i < MAX_WATCHED; i++)
		assert_null(loop->w[i].cb);
	rmdir(dir);
	free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
