/* JSON control socket server (DESIGN.md section 9): a UNIX stream socket on
 * the main event loop, up to CONTROL_MAX_CLIENTS clients, one JSON object per
 * line parsed with json-c, QMP-like replies. Clients are untrusted: every bad
 * request gets an error reply, never a crash or a stuck main thread. */
#ifdef CONFIG_CONTROL_API

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>

#include "control.h"
#include "control_proto.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "ras/ras.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

#define CONTROL_MAX_CLIENTS 8
#define CONTROL_LINE_MAX    (64 * 1024)   /* longest request line, bytes */
#define CONTROL_MAX_POISONED 4096         /* GPAs listed by query-ras */
#define CONTROL_ACCEPT_BACKOFF_MS 100     /* after EMFILE and the like */

struct control_client {
	struct control *ctl;
	int fd;                   /* -1: free slot */
	struct ctlp_linebuf lb;
};

struct control {
	struct vm *vm;
	char *path;
	int listen_fd;
	dev_t sock_dev;           /* identity of the socket file we created, */
	ino_t sock_ino;           /* so destroy never unlinks someone else's */
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

/* Error reply under construction: QMP-like class and one-line text. */
struct cmd_error {
	const char *cls;
	char desc[256];
};

#define ERR_GENERIC   "GenericError"
#define ERR_NOT_FOUND "CommandNotFound"

static int cmd_fail(struct cmd_error *e, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fill 'e' and return -1, for 'return cmd_fail(...)' in handlers. */
static int cmd_fail(struct cmd_error *e, const char *cls, const char *fmt, ...)
{
	va_list ap;

	e->cls = cls;
	va_start(ap, fmt);
	vsnprintf(e->desc, sizeof(e->desc), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- arguments ---------------------------------------------------------- */

/* Unsigned integer argument 'key': a JSON integer >= 0 or a string ctlp_parse_u64()
 * accepts ("0x40001000"). Absent: *out = def, or an error when required. */
static int arg_u64(struct json_object *args, const char *key, bool required,
		   uint64_t def, uint64_t *out, struct cmd_error *e)
{
	struct json_object *v;

	if (!json_object_object_get_ex(args, key, &v) || !v) {
		if (required)
			return cmd_fail(e, ERR_GENERIC, "missing argument '%s'", key);
		*out = def;
		return 0;
	}
	switch (json_object_get_type(v)) {
	case json_type_int:
		/* json-c holds big values as uint64 and negatives as int64. */
		if (json_object_get_int64(v) < 0)
			return cmd_fail(e, ERR_GENERIC, "argument '%s' must not be negative", key);
		*out = json_object_get_uint64(v);
		return 0;
	case json_type_string:
		if (ctlp_parse_u64(json_object_get_string(v), out))
			return cmd_fail(e, ERR_GENERIC,
					"argument '%s' must be an unsigned integer (decimal or 0x hex)",
					key);
		return 0;
	default:
		return cmd_fail(e, ERR_GENERIC, "argument '%s' must be an integer", key);
	}
}

/* String argument 'key'; absent: *out = def. */
static int arg_str(struct json_object *args, const char *key, const char *def,
		   const char **out, struct cmd_error *e)
{
	struct json_object *v;

	if (!json_object_object_get_ex(args, key, &v) || !v) {
		*out = def;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return cmd_fail(e, ERR_GENERIC, "argument '%s' must be a string", key);
	*out = json_object_get_string(v);
	return 0;
}

/* Reject argument names the command does not know ('known' ends with NULL). */
static int args_check_known(struct json_object *args, const char *const *known,
			    struct cmd_error *e)
{
	struct json_object_iterator it, end;
	const char *name;
	size_t k;

	if (!args)
		return 0;
	it = json_object_iter_begin(args);
	end = json_object_iter_end(args);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		name = json_object_iter_peek_name(&it);
		for (k = 0; known[k]; k++)
			if (!strcmp(known[k], name))
				break;
		if (!known[k])
			return cmd_fail(e, ERR_GENERIC, "unexpected argument '%.64s'", name);
	}
	return 0;
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_hex(struct json_object *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	json_object_object_add(o, key, json_object_new_string(buf));
}

/* ---- commands ----------------------------------------------------------- */

static int check_vcpu(struct control *c, uint64_t vcpu, struct cmd_error *e)
{
	if (vcpu >= c->vm->ncpus)
		return cmd_fail(e, ERR_GENERIC, "vcpu %llu out of range (the VM has %u vCPUs)",
				(unsigned long long)vcpu, c->vm->ncpus);
	return 0;
}

static int cmd_inject_memory_error(struct control *c, struct json_object *args,
				   struct json_object *ret, struct cmd_error *e)
{
	const struct mem *m = c->vm->mem;
	const char *mode_s, *kind_s;
	enum ras_inject_mode mode;
	enum ras_kind kind;
	uint64_t gpa, vcpu;
	int r;

	if (!c->vm->ras)
		return cmd_fail(e, ERR_GENERIC, "RAS is not enabled (--ras)");
	if (arg_u64(args, "gpa", true, 0, &gpa, e) ||
	    arg_str(args, "mode", "cper", &mode_s, e) ||
	    arg_str(args, "kind", "ar", &kind_s, e) ||
	    arg_u64(args, "vcpu", false, 0, &vcpu, e))
		return -1;
	if (ctlp_parse_inject_mode(mode_s, &mode))
		return cmd_fail(e, ERR_GENERIC, "'mode' must be \"cper\" or \"hwpoison\"");
	if (ctlp_parse_kind(kind_s, &kind))
		return cmd_fail(e, ERR_GENERIC, "'kind' must be \"ar\" or \"ao\"");
	if (check_vcpu(c, vcpu, e))
		return -1;
	if (!range_within(gpa, 1, m->ram_base, m->ram_size))
		return cmd_fail(e, ERR_GENERIC, "gpa 0x%llx is outside guest RAM [0x%llx, 0x%llx)",
				(unsigned long long)gpa, (unsigned long long)m->ram_base,
				(unsigned long long)(m->ram_base + m->ram_size));

	r = ras_inject(c->vm->ras, gpa, mode, kind, (unsigned)vcpu);
	if (r == -EINVAL)
		return cmd_fail(e, ERR_GENERIC, "gpa 0x%llx or vcpu %llu rejected",
				(unsigned long long)gpa, (unsigned long long)vcpu);
	if (r == -EPERM)
		return cmd_fail(e, ERR_GENERIC,
				"MADV_HWPOISON refused (needs CAP_SYS_ADMIN and a kernel with "
				"CONFIG_MEMORY_FAILURE); try mode \"cper\"");
	if (r < 0)
		return cmd_fail(e, ERR_GENERIC, "injection failed: %s", strerror(-r));

	add_hex(ret, "gpa", gpa);
	json_object_object_add(ret, "mode", json_object_new_string(ctlp_inject_mode_name(mode)));
	json_object_object_add(ret, "kind", json_object_new_string(ctlp_kind_name(kind)));
	if (kind == RAS_KIND_AR)
		add_u64(ret, "vcpu", vcpu);
	return 0;
}

static int cmd_inject_serror(struct control *c, struct json_object *args,
			     struct json_object *ret, struct cmd_error *e)
{
	struct json_object *v;
	uint64_t vcpu, esr = 0;
	uint32_t iss = 0;
	bool has_esr;
	int r;

	if (arg_u64(args, "vcpu", false, 0, &vcpu, e) || check_vcpu(c, vcpu, e))
		return -1;
	has_esr = json_object_object_get_ex(args, "esr", &v) && v;
	if (has_esr) {
		if (arg_u64(args, "esr", true, 0, &esr, e))
			return -1;
		if (ctlp_serror_iss(esr, &iss))
			return cmd_fail(e, ERR_GENERIC,
					"esr 0x%llx is neither an ISS (bits [24:0], max 0x%llx) nor an SError ESR (EC 0x2f)",
					(unsigned long long)esr, CTLP_SERROR_ISS_MASK);
	}
	r = vcpu_inject_serror(&c->vm->vcpus[vcpu], has_esr, iss);
	if (r == -ENOTSUP)
		return cmd_fail(e, ERR_GENERIC,
				"KVM cannot set an SError syndrome on this host "
				"(no KVM_CAP_ARM_INJECT_SERROR_ESR: CPU without RAS extension); "
				"omit 'esr' to inject an SError without one");
	if (r < 0)
		return cmd_fail(e, ERR_GENERIC, "KVM_SET_VCPU_EVENTS on vCPU %llu failed: %s",
				(unsigned long long)vcpu, strerror(-r));
	add_u64(ret, "vcpu", vcpu);
	if (has_esr)
		add_hex(ret, "esr", esr);
	return 0;
}

static int cmd_query_ras(struct control *c, struct json_object *args,
			 struct json_object *ret, struct cmd_error *e)
{
	struct json_object *list;
	struct ras_stats st;
	uint64_t *gpas;
	size_t n, i;

	if (!c->vm->ras)
		return cmd_fail(e, ERR_GENERIC, "RAS is not enabled (--ras)");
	ras_get_stats(c->vm->ras, &st);
#define STAT(f) add_u64(ret, #f, st.f)
	STAT(errors_ar);
	STAT(errors_ao);
	STAT(errors_injected);
	STAT(errors_ignored);
	STAT(records_written);
	STAT(records_queued);
	STAT(records_max_queue);
	STAT(records_retried);
	STAT(records_dropped);
	STAT(sea_injected);
	STAT(irqs_raised);
	STAT(poisoned_pages);
	STAT(pages_replaced);
	STAT(lat_samples);
	STAT(lat_min_us);
	STAT(lat_median_us);
	STAT(lat_max_us);
#undef STAT

	gpas = calloc(CONTROL_MAX_POISONED, sizeof(*gpas));
	if (!gpas)
		return cmd_fail(e, ERR_GENERIC, "out of memory");
	n = ras_get_poisoned(c->vm->ras, gpas, CONTROL_MAX_POISONED);
	list = json_object_new_array();
	for (i = 0; i < MIN(n, (size_t)CONTROL_MAX_POISONED); i++) {
		char buf[24];

		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)gpas[i]);
		json_object_array_add(list, json_object_new_string(buf));
	}
	free(gpas);
	json_object_object_add(ret, "poisoned", list);
	/* The list is capped; say so rather than silently dropping entries. */
	json_object_object_add(ret, "poisoned-truncated",
			       json_object_new_boolean(n > CONTROL_MAX_POISONED));
	return 0;
}

static int cmd_query_vm(struct control *c, struct json_object *args,
			struct json_object *ret, struct cmd_error *e)
{
	struct vm *vm = c->vm;
	struct json_object *list, *o;
	unsigned i;
	bool running = __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE) == VM_RUNNING;

	json_object_object_add(ret, "status", json_object_new_string(running ? "running" : "stopping"));
	add_u64(ret, "vcpus", vm->ncpus);
	add_u64(ret, "memory", vm->mem->ram_size);
	add_u64(ret, "memory-base", vm->mem->ram_base);
	json_object_object_add(ret, "firmware", json_object_new_boolean(vm->cfg->firmware != NULL));
	json_object_object_add(ret, "ras", json_object_new_boolean(vm->ras != NULL));
	add_u64(ret, "boots", vm->boots);
	add_u64(ret, "hardware-errors-gpa", vm->hw_errors_gpa);

	list = json_object_new_array();
	for (i = 0; i < vm->ncpus; i++) {
		/* Written by the vCPU threads; a relaxed snapshot is enough. */
		o = json_object_new_object();
		add_u64(o, "vcpu", i);
		add_u64(o, "exits", __atomic_load_n(&vm->vcpus[i].exits, __ATOMIC_RELAXED));
		add_u64(o, "mmio-exits", __atomic_load_n(&vm->vcpus[i].mmio_exits, __ATOMIC_RELAXED));
		json_object_array_add(list, o);
	}
	json_object_object_add(ret, "vcpu-exits", list);
	return 0;
}

static int cmd_quit(struct control *c, struct json_object *args,
		    struct json_object *ret, struct cmd_error *e)
{
	return 0;
}

/* Runs after the reply to 'quit' was sent. */
static void after_quit(struct control *c)
{
	vm_request_stop(c->vm, VM_STOP_SIGNAL);
}

struct command {
	const char *name;
	const char *const *args;     /* accepted argument names, NULL-terminated */
	int (*fn)(struct control *c, struct json_object *args,
		  struct json_object *ret, struct cmd_error *e);
	void (*after_reply)(struct control *c);
};

static const char *const args_none[] = { NULL };
static const char *const args_inject_mem[] = { "gpa", "mode", "kind", "vcpu", NULL };
static const char *const args_inject_serror[] = { "vcpu", "esr", NULL };

static const struct command commands[] = {
	{ "inject-memory-error", args_inject_mem, cmd_inject_memory_error, NULL },
	{ "inject-serror", args_inject_serror, cmd_inject_serror, NULL },
	{ "query-ras", args_none, cmd_query_ras, NULL },
	{ "query-vm", args_none, cmd_query_vm, NULL },
	{ "quit", args_none, cmd_quit, after_quit },
};

/* ---- requests and replies ----------------------------------------------- */

/* Parse one line into a JSON object. Returns NULL after filling 'e'. */
static struct json_object *parse_request(const char *line, size_t len, struct cmd_error *e)
{
	struct json_tokener *tok;
	struct json_object *req;
	enum json_tokener_error jerr;
	size_t end;

	if (len > INT32_MAX) {
		cmd_fail(e, ERR_GENERIC, "request too long");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		cmd_fail(e, ERR_GENERIC, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	if (jerr != json_tokener_success || !req) {
		json_object_put(req);
		cmd_fail(e, ERR_GENERIC, "invalid JSON: %s",
			 jerr == json_tokener_continue ? "incomplete input"
						       : json_tokener_error_desc(jerr));
		return NULL;
	}
	for (; end < len; end++) {
		if (!strchr(" \t\r", line[end]) || !line[end]) {
			json_object_put(req);
			cmd_fail(e, ERR_GENERIC, "invalid JSON: trailing characters after the object");
			return NULL;
		}
	}
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		cmd_fail(e, ERR_GENERIC, "a request must be a JSON object");
		return NULL;
	}
	return req;
}

/* Validate the request envelope and run the command. Returns the command
 * (for its after_reply hook) or NULL after filling 'e'. */
static const struct command *run_request(struct control *c, struct json_object *req,
					 struct json_object *ret, struct cmd_error *e)
{
	struct json_object_iterator it, end;
	struct json_object *exec = NULL, *args = NULL;
	const struct command *cmd = NULL;
	const char *key, *name;
	size_t i;

	it = json_object_iter_begin(req);
	end = json_object_iter_end(req);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		if (!strcmp(key, "execute") || !strcmp(key, "command")) {
			if (exec) {
				cmd_fail(e, ERR_GENERIC, "give only one of 'execute' and 'command'");
				return NULL;
			}
			exec = json_object_iter_peek_value(&it);
		} else if (!strcmp(key, "arguments")) {
			args = json_object_iter_peek_value(&it);
		} else if (strcmp(key, "id")) {
			cmd_fail(e, ERR_GENERIC, "unexpected member '%.64s' in the request", key);
			return NULL;
		}
	}
	if (!exec || !json_object_is_type(exec, json_type_string)) {
		cmd_fail(e, ERR_GENERIC, "the request needs \"execute\": \"<command>\"");
		return NULL;
	}
	if (args && !json_object_is_type(args, json_type_object)) {
		cmd_fail(e, ERR_GENERIC, "'arguments' must be an object");
		return NULL;
	}
	name = json_object_get_string(exec);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			cmd = &commands[i];
	if (!cmd) {
		cmd_fail(e, ERR_NOT_FOUND, "unknown command '%.64s'", name);
		return NULL;
	}
	if (args_check_known(args, cmd->args, e) || cmd->fn(c, args, ret, e))
		return NULL;
	return cmd;
}

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

/* Serialise 'reply' as one line and send it. Returns 0 or -errno. */
static int send_reply(int fd, struct json_object *reply)
{
	const char *s;
	char *line;
	size_t len;
	int ret;

	s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	len = strlen(s);
	line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, len);
	line[len] = '\n';
	ret = send_all(fd, line, len + 1);
	free(line);
	return ret;
}

/* Send {"error": {"class": cls, "desc": desc}} (+ "id" when given). */
static int send_error(int fd, const struct cmd_error *e, struct json_object *id)
{
	struct json_object *reply = json_object_new_object();
	struct json_object *err = json_object_new_object();
	int ret;

	json_object_object_add(err, "class", json_object_new_string(e->cls));
	json_object_object_add(err, "desc", json_object_new_string(e->desc));
	json_object_object_add(reply, "error", err);
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	ret = send_reply(fd, reply);
	json_object_put(reply);
	return ret;
}

/* Handle one request line. Returns 0, or -errno when the client must go. */
static int client_handle_line(struct control_client *cl, const char *line, size_t len)
{
	struct cmd_error e = { .cls = ERR_GENERIC };
	struct json_object *req, *ret, *reply, *id = NULL;
	const struct command *cmd;
	int r;

	req = parse_request(line, len, &e);
	if (!req)
		return send_error(cl->fd, &e, NULL);
	json_object_object_get_ex(req, "id", &id);
	ret = json_object_new_object();
	cmd = run_request(cl->ctl, req, ret, &e);
	if (!cmd) {
		json_object_put(ret);
		r = send_error(cl->fd, &e, id);
		json_object_put(req);
		return r;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "return", ret);
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	r = send_reply(cl->fd, reply);
	json_object_put(reply);
	json_object_put(req);
	if (cmd->after_reply)
		cmd->after_reply(cl->ctl);
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
	struct cmd_error e = { .cls = ERR_GENERIC };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.desc, sizeof(e.desc), fmt, ap);
	va_end(ap);
	send_error(fd, &e, NULL);
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
	r = loop_add_fd(c->vm->loop, cfd, client_cb, cl);
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

struct control *control_create(struct vm *vm, const char *path)
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
	c->vm = vm;
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
	r = loop_add_fd(vm->loop, c->listen_fd, listen_cb, c);
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
			loop_remove_fd(c->vm->loop, c->clients[i].fd);
			client_close(&c->clients[i]);
		}
	}
	loop_remove_fd(c->vm->loop, c->listen_fd);
	close(c->listen_fd);
	/* Unlink only the socket we created, not a successor's. */
	if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == c->sock_dev && st.st_ino == c->sock_ino)
		unlink(c->path);
	free(c->path);
	free(c);
}

#endif /* CONFIG_CONTROL_API */
