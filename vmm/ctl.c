/* 'microvm-ras ctl': one request to a running VMM's control socket
 * (DESIGN.md section 9, QMP). Reads the greeting and negotiates
 * capabilities (qmp_capabilities) itself, builds {"execute": CMD,
 * "arguments": {k: v}} with json-c, sends it as one line, waits (bounded)
 * for its reply line (events in between are skipped), prints it and turns
 * it into an exit status. 'ctl events' prints the event stream instead;
 * '--qmp' is a raw pipe between stdin/stdout and the socket (as
 * socat - UNIX-CONNECT:PATH), for scripts that speak QMP themselves. */
#ifdef CONFIG_CONTROL_API

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "control_proto.h"
#include "ctl.h"
#include "ctl_args.h"
#include "log.h"

#define CTL_EXIT_OK    0
#define CTL_EXIT_ERR   1
#define CTL_EXIT_USAGE 2

#define CTL_REPLY_MAX (4u << 20)   /* longest reply line accepted */
#define CTL_KEY_MAX 64

static void ctl_usage(FILE *f)
{
	fprintf(f,
"usage: microvm-ras ctl [options] COMMAND [key=value ...]\n"
"       microvm-ras ctl [options] --raw JSON\n"
"       microvm-ras ctl [options] events\n"
"       microvm-ras ctl [options] --qmp\n"
"\n"
"options (before or after the command; -- ends them):\n"
"  --api-socket PATH  the VMM's control socket (default: $" CTL_SOCKET_ENV ")\n"
"  --timeout SECS     bound on connecting and the reply (1..3600, default %d)\n"
"  --pretty           print replies and events as indented JSON\n"
"  --raw JSON         send JSON as the request instead of COMMAND\n"
"  --qmp              a raw QMP session between stdin/stdout and the socket\n"
"\n"
"commands:\n"
"  inject-memory-error gpa=ADDR [mode=cper|hwpoison] [kind=ar|ao] [vcpu=N]\n"
"  inject-error type=memory|arm|raw source=sea:N|async|polled|gsiv\n"
"               [severity=corrected|recoverable|fatal|info]\n"
"    memory: pa=ADDR [pa-mask= node= card= module= bank= device= row= column=\n"
"            bit-position= error-type=0..15 requestor-id= responder-id= target-id=\n"
"            rank= card-handle= module-handle= error-status=]\n"
"    arm:    [mpidr= midr= affinity-level= error=cache|tlb|bus|vendor va= pa=\n"
"            error-info=U64 | level= operation= transaction= ; count=]\n"
"    raw:    raw=BASE64 (a whole Generic Error Status Block, as QEMU's\n"
"            inject-ghes-v2-error) | section=BASE64 section-type=memory|arm|GUID\n"
"  inject-serror [vcpu=N] [esr=ISS]\n"
"  query-ras | query-vm | query-version | query-commands\n"
"  system_powerdown | system_reset | quit\n"
"  events: print each event line until the VMM goes away\n"
"ctl reads the QMP greeting and sends qmp_capabilities itself; --qmp does\n"
"not: it copies stdin to the socket and the socket to stdout (the greeting\n"
"first), and ends when the VMM closes it or SECS after stdin ends.\n"
"Integer values (decimal or 0x hex) are sent as numbers, others as strings.\n"
"Exit status: 0 success, 1 error reply or no connection, 2 usage error.\n",
		CTL_DEFAULT_TIMEOUT_S);
}

/* Build the request line (no '\n') into *out (malloc'd). Returns 0 or
 * CTL_EXIT_USAGE / CTL_EXIT_ERR after pr_err. */
static int ctl_build(const struct ctl_opts *o, char **out)
{
	struct json_object *req, *args = NULL, *v;
	char key[CTL_KEY_MAX];
	const char *val;
	uint64_t u;
	int64_t s;
	int k, ret = CTL_EXIT_USAGE;

	if (o->raw) {
		*out = strdup(o->raw);
		return *out ? 0 : CTL_EXIT_ERR;
	}
	req = json_object_new_object();
	json_object_object_add(req, "execute", json_object_new_string(o->command));
	for (k = 0; k < o->nkv; k++) {
		if (ctlp_split_kv(o->kv[k], key, sizeof(key), &val)) {
			pr_err("ctl: argument '%s' is not key=value", o->kv[k]);
			goto out;
		}
		if (!args) {
			args = json_object_new_object();
			json_object_object_add(req, "arguments", args);
		}
		if (json_object_object_get_ex(args, key, NULL)) {
			pr_err("ctl: argument '%s' given twice", key);
			goto out;
		}
		switch (ctlp_classify_number(val, &u, &s)) {
		case CTLP_NUM_UNSIGNED: v = json_object_new_uint64(u); break;
		case CTLP_NUM_NEGATIVE: v = json_object_new_int64(s); break;
		default: v = json_object_new_string(val); break;
		}
		json_object_object_add(args, key, v);
	}
	*out = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	ret = *out ? 0 : CTL_EXIT_ERR;
out:
	json_object_put(req);
	return ret;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for 'events' or the deadline passes. Returns 0,
 * -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* connect() to the server by 'deadline': a full backlog (EAGAIN, a busy
 * or stuck server) is retried every CTL_CONNECT_RETRY_MS instead of
 * blocking. The socket stays blocking afterwards. Returns 0 or -errno
 * (-ETIMEDOUT). */
#define CTL_CONNECT_RETRY_MS 50
static int connect_deadline(int fd, const struct sockaddr_un *sa, long long deadline)
{
	int fl = fcntl(fd, F_GETFL), r = 0, err;
	socklen_t len = sizeof(err);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			r = wait_fd(fd, POLLOUT, deadline);
			if (!r && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
				r = -err;
			break;
		}
		if (errno != EAGAIN) {
			r = -errno;
			break;
		}
		if (now_ms() + CTL_CONNECT_RETRY_MS > deadline) {
			r = -ETIMEDOUT;
			break;
		}
		poll(NULL, 0, CTL_CONNECT_RETRY_MS);
	}
	if (fcntl(fd, F_SETFL, fl) < 0 && !r)
		r = -errno;
	return r;
}

/* Send line + '\n'. Returns 0 or -errno. */
static int send_line(int fd, const char *line, long long deadline)
{
	size_t len = strlen(line), off = 0;
	char nl = '\n';
	ssize_t n;
	int r;

	while (off < len + 1) {
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			return r;
		if (off < len)
			n = send(fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = send(fd, &nl, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

/* A buffered reader of the server's lines. */
struct ctl_reader {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Read one line (without '\n') into *out (malloc'd). Returns 0,
 * -ETIMEDOUT, -ECONNRESET (closed before a whole line), -EMSGSIZE or
 * -errno. */
static int recv_line(struct ctl_reader *rd, char **out, long long deadline)
{
	char *nl, *nbuf;
	size_t n_line;
	ssize_t n;
	int r;

	for (;;) {
		nl = rd->len ? memchr(rd->buf, '\n', rd->len) : NULL;
		if (nl) {
			n_line = (size_t)(nl - rd->buf);
			*out = malloc(n_line + 1);
			if (!*out)
				return -ENOMEM;
			memcpy(*out, rd->buf, n_line);
			(*out)[n_line] = '\0';
			rd->len -= n_line + 1;
			memmove(rd->buf, nl + 1, rd->len);
			return 0;
		}
		if (rd->len + 1 >= rd->cap) {
			if (rd->cap >= CTL_REPLY_MAX)
				return -EMSGSIZE;
			nbuf = realloc(rd->buf, rd->cap ? rd->cap * 2 : 4096);
			if (!nbuf)
				return -ENOMEM;
			rd->buf = nbuf;
			rd->cap = rd->cap ? rd->cap * 2 : 4096;
		}
		r = wait_fd(rd->fd, POLLIN, deadline);
		if (r)
			return r;
		n = recv(rd->fd, rd->buf + rd->len, rd->cap - 1 - rd->len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		rd->len += (size_t)n;
	}
}

/* True when 'line' is a JSON object with member 'key'. */
static bool line_has(const char *line, const char *key)
{
	struct json_object *o = json_tokener_parse(line);
	bool has = o && json_object_is_type(o, json_type_object) &&
		   json_object_object_get_ex(o, key, NULL);

	json_object_put(o);
	return has;
}

/* The next line that is not an event (events are skipped). */
static int recv_reply(struct ctl_reader *rd, char **out, long long deadline)
{
	int r;

	for (;;) {
		r = recv_line(rd, out, deadline);
		if (r || !line_has(*out, "event"))
			return r;
		free(*out);
		*out = NULL;
	}
}

/* Exit status for a reply line; logs the error description if any. */
static int ctl_judge(const char *line)
{
	struct json_object *reply, *err, *cls = NULL, *desc = NULL;
	int ret = CTL_EXIT_ERR;

	reply = json_tokener_parse(line);
	if (reply && json_object_is_type(reply, json_type_object)) {
		if (json_object_object_get_ex(reply, "return", NULL)) {
			ret = CTL_EXIT_OK;
		} else if (json_object_object_get_ex(reply, "error", &err)) {
			json_object_object_get_ex(err, "class", &cls);
			json_object_object_get_ex(err, "desc", &desc);
			pr_err("%s: %s", cls ? json_object_get_string(cls) : "Error",
			       desc ? json_object_get_string(desc) : "(no description)");
		} else {
			pr_err("ctl: reply has neither \"return\" nor \"error\"");
		}
	} else {
		pr_err("ctl: the reply is not a JSON object");
	}
	json_object_put(reply);
	return ret;
}

/* Say why the reply did not come. */
static void report_failure(const struct ctl_opts *o, int sret, int r)
{
	if (sret && sret != -ETIMEDOUT)
		pr_err("ctl: cannot send to '%s': %s", o->socket, strerror(-sret));
	else if (r == -ETIMEDOUT || sret == -ETIMEDOUT)
		pr_err("ctl: no reply from '%s' within %u s", o->socket, o->timeout_s);
	else if (r == -ECONNRESET)
		pr_err("ctl: '%s' closed the connection without replying", o->socket);
	else
		pr_err("ctl: reading the reply from '%s': %s", o->socket, strerror(-r));
}

/* The QMP handshake: the greeting, then qmp_capabilities and its reply.
 * A server that refuses the connection says why in place of the greeting
 * ({"error": ...}): *refusal is then that line. Returns 0 or CTL_EXIT_ERR
 * after pr_err. */
static int ctl_handshake(const struct ctl_opts *o, struct ctl_reader *rd, long long deadline,
			 char **refusal)
{
	char *line = NULL;
	int r, sret;

	r = recv_line(rd, &line, deadline);
	if (r) {
		report_failure(o, 0, r);
		return CTL_EXIT_ERR;
	}
	if (!line_has(line, "QMP")) {
		if (line_has(line, "error")) {
			*refusal = line;
			return 0;
		}
		pr_err("ctl: '%s' did not greet with {\"QMP\": ...}; not a microvm-ras control socket?",
		       o->socket);
		free(line);
		return CTL_EXIT_ERR;
	}
	free(line);
	sret = send_line(rd->fd, "{\"execute\":\"qmp_capabilities\"}", deadline);
	r = sret ? sret : recv_reply(rd, &line, deadline);
	if (r) {
		report_failure(o, sret, r);
		return CTL_EXIT_ERR;
	}
	r = line_has(line, "return") ? 0 : CTL_EXIT_ERR;
	if (r)
		pr_err("ctl: capabilities negotiation failed: %s", line);
	free(line);
	return r;
}

/* Print one line from the server: as it came, or with --pretty indented
 * (a line that is not JSON is printed as it came). */
static void ctl_print(const struct ctl_opts *o, const char *line)
{
	struct json_object *j = o->pretty ? json_tokener_parse(line) : NULL;

	if (j)
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		printf("%s\n", line);
	fflush(stdout);
	json_object_put(j);
}

/* 'ctl events': print event lines as they come, until the VMM goes. */
static int ctl_events(const struct ctl_opts *o, struct ctl_reader *rd)
{
	char *line = NULL;
	int r;

	for (;;) {
		r = recv_line(rd, &line, LLONG_MAX);
		if (r == -ECONNRESET)
			return CTL_EXIT_OK;
		if (r) {
			pr_err("ctl: reading events from '%s': %s", o->socket, strerror(-r));
			return CTL_EXIT_ERR;
		}
		ctl_print(o, line);
		free(line);
	}
}

/* --qmp: stdin to the socket, the socket to stdout, until the server
 * closes, or timeout_s after stdin ended. */
static int ctl_pipe(const struct ctl_opts *o, int fd)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	long long deadline = LLONG_MAX;
	char buf[4096];
	ssize_t n;
	int r;

	for (;;) {
		long long left = deadline == LLONG_MAX ? 60000 : deadline - now_ms();

		if (left <= 0)
			return CTL_EXIT_OK;
		r = poll(p, 2, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno != EINTR) {
			pr_err("ctl: poll: %s", strerror(errno));
			return CTL_EXIT_ERR;
		}
		if (r <= 0)
			continue;
		if (p[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				return n == 0 ? CTL_EXIT_OK : CTL_EXIT_ERR;
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				return CTL_EXIT_ERR;
			fflush(stdout);
		}
		if (p[0].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0) {
				/* stdin is done; keep reading the socket a while. */
				p[0].fd = -1;
				deadline = now_ms() + (long long)o->timeout_s * 1000;
				continue;
			}
			if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
				pr_err("ctl: cannot send to '%s': %s", o->socket, strerror(errno));
				return CTL_EXIT_ERR;
			}
		}
	}
}

int ctl_main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_opts o = { 0 };
	struct ctl_reader rd = { .fd = -1 };
	char *req = NULL, *reply = NULL, why[256];
	const char **kv;
	struct stat st;
	long long deadline;
	bool events;
	int fd = -1, r, sret, ret;

	kv = calloc((size_t)argc + 1, sizeof(*kv));
	if (!kv) {
		pr_err("ctl: out of memory");
		return CTL_EXIT_ERR;
	}
	ret = ctl_parse_args(argc, argv, getenv(CTL_SOCKET_ENV), kv, &o, why, sizeof(why));
	if (ret == CTL_PARSE_HELP) {
		ctl_usage(stdout);
		ret = CTL_EXIT_OK;
		goto out;
	}
	if (ret) {
		pr_err("%s", why);
		ret = CTL_EXIT_USAGE;
		goto out;
	}
	if (strlen(o.socket) >= sizeof(sa.sun_path)) {
		pr_err("ctl: socket path '%s' is longer than %zu bytes", o.socket,
		       sizeof(sa.sun_path) - 1);
		ret = CTL_EXIT_USAGE;
		goto out;
	}
	memcpy(sa.sun_path, o.socket, strlen(o.socket) + 1);
	events = o.command && !strcmp(o.command, "events");
	if (!events && !o.qmp) {
		ret = ctl_build(&o, &req);
		if (ret)
			goto out;
	}
	/* Say plainly what is wrong with the path before connect() turns it
	 * into "Connection refused". */
	if (stat(o.socket, &st) < 0) {
		if (errno == ENOENT)
			pr_err("ctl: no such file '%s' (is the VMM running with --api-socket?)",
			       o.socket);
		else
			pr_err("ctl: cannot reach '%s': %s", o.socket, strerror(errno));
		ret = CTL_EXIT_ERR;
		goto out;
	}
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("ctl: '%s' is not a socket", o.socket);
		ret = CTL_EXIT_ERR;
		goto out;
	}

	ret = CTL_EXIT_ERR;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_err("ctl: socket: %s", strerror(errno));
		goto out;
	}
	/* --timeout bounds everything from the connect on. */
	deadline = now_ms() + (long long)o.timeout_s * 1000;
	r = connect_deadline(fd, &sa, deadline);
	if (r == -ETIMEDOUT) {
		pr_err("ctl: cannot connect to '%s' within %u s (server busy?)", o.socket,
		       o.timeout_s);
		goto out;
	} else if (r == -ECONNREFUSED) {
		pr_err("ctl: nobody is listening on '%s' (stale socket?)", o.socket);
		goto out;
	} else if (r) {
		pr_err("ctl: cannot connect to '%s': %s", o.socket, strerror(-r));
		goto out;
	}
	if (o.qmp) {
		ret = ctl_pipe(&o, fd);
		goto out;
	}
	rd.fd = fd;
	ret = ctl_handshake(&o, &rd, deadline, &reply);
	if (ret)
		goto out;
	if (reply) {
		/* Refused in place of the greeting (too many clients). */
		ctl_print(&o, reply);
		ret = ctl_judge(reply);
		goto out;
	}
	if (events) {
		ret = ctl_events(&o, &rd);
		goto out;
	}
	/* A refused request (line too long) still gets its error line, so
	 * read a reply even when sending failed. */
	sret = send_line(fd, req, deadline);
	r = recv_reply(&rd, &reply, deadline);
	if (r == 0) {
		ctl_print(&o, reply);
		ret = ctl_judge(reply);
	} else {
		report_failure(&o, sret, r);
	}
out:
	if (fd >= 0)
		close(fd);
	free(rd.buf);
	free(req);
	free(reply);
	free(kv);
	return ret;
}

#endif /* CONFIG_CONTROL_API */
