/* Fuzz target: the control protocol as the socket server runs it
 * (vmm/control.c client_cb): a byte stream cut into fuzz-sized reads, split
 * by the per-client line buffer (vmm/control_proto.c), every line handled by
 * control_cmds_session_line() (vmm/control_cmds.c) in a QMP session that
 * starts negotiating or in command mode, against a fake VM whose answers
 * (errors, counters, poisoned list, vCPU count, RAS on/off, power button)
 * come from the input, the reply's 'after' hook run (quit, system_reset);
 * and one event built from the input, formatted.
 * Invariants: every request gets exactly one reply line: NUL-free, one '\n'
 * at its end, valid UTF-8, a JSON object with "return" (an object or an
 * array) or "error" (and at most "id" besides); nothing but
 * qmp_capabilities runs before the negotiation; the VM is asked only for
 * vCPUs it has and addresses in its RAM, and inject-error posts only whole
 * records a guest accepts (cper_check_record()) that fit one error status
 * block. An event line is one JSON object with "event", "data" and
 * "timestamp". */
#include <json-c/json.h>

#include "fuzz.h"

#include "control.h"
#include "control_cmds.h"
#include "control_proto.h"
#include "ras/cper.h"
#include "ras/ghes_layout.h"

#define LINE_CAP 4096	/* the server's is 64 KiB; smaller finds "too long" */

struct fake_vm {
	int mem_ret, serror_ret, powerdown_ret, post_ret;
	size_t npoisoned;
	bool running;
	unsigned boots, stops, calls;
	uint64_t hw_errors_gpa;
	const struct control_env *env;
};

static int fake_inject_mem(void *opaque, uint64_t gpa, enum ras_inject_mode mode,
			   enum ras_kind kind, unsigned vcpu)
{
	struct fake_vm *f = opaque;

	FZ_CHECK(vcpu < f->env->ncpus);
	FZ_CHECK(range_within(gpa, 1, f->env->ram_base, f->env->ram_size));
	FZ_CHECK(mode == RAS_INJECT_CPER || mode == RAS_INJECT_HWPOISON);
	FZ_CHECK(kind == RAS_KIND_AR || kind == RAS_KIND_AO);
	f->calls++;
	return f->mem_ret;
}

static int fake_post_error(void *opaque, enum ras_source_kind kind, unsigned vcpu,
			   const uint8_t *rec, size_t len)
{
	struct fake_vm *f = opaque;

	FZ_CHECK(kind == RAS_SOURCE_SEA || kind == RAS_SOURCE_ASYNC ||
		 kind == RAS_SOURCE_POLLED || kind == RAS_SOURCE_GSIV);
	FZ_CHECK(kind != RAS_SOURCE_SEA || vcpu < f->env->ncpus);
	FZ_CHECK(rec && len >= CPER_STATUS_BLOCK_LEN && len <= GHES_BLOCK_LEN);
	FZ_CHECK(cper_check_record(rec, len) == 0);
	f->calls++;
	return f->post_ret;
}

static void fake_ras_stats(void *opaque, struct ras_stats *st)
{
	memset(st, 0x5a, sizeof(*st));
}

static size_t fake_ras_poisoned(void *opaque, uint64_t *out, size_t max)
{
	struct fake_vm *f = opaque;

	for (size_t i = 0; i < f->npoisoned && i < max; i++)
		out[i] = f->env->ram_base + i * 0x1000;
	return f->npoisoned;
}

static int fake_inject_serror(void *opaque, unsigned vcpu, uint64_t esr)
{
	struct fake_vm *f = opaque;

	FZ_CHECK(vcpu < f->env->ncpus);
	FZ_CHECK(esr == CONTROL_SERROR_NO_ESR || esr <= CTLP_SERROR_ISS_MASK);
	f->calls++;
	return f->serror_ret;
}

static bool fake_running(void *opaque)
{
	return ((struct fake_vm *)opaque)->running;
}

static unsigned fake_boots(void *opaque)
{
	return ((struct fake_vm *)opaque)->boots;
}

static uint64_t fake_hw_errors_gpa(void *opaque)
{
	return ((struct fake_vm *)opaque)->hw_errors_gpa;
}

static void fake_vcpu_exits(void *opaque, unsigned vcpu, uint64_t *exits, uint64_t *mmio)
{
	struct fake_vm *f = opaque;

	FZ_CHECK(vcpu < f->env->ncpus);
	*exits = UINT64_MAX - vcpu;
	*mmio = vcpu;
}

static void fake_request_stop(void *opaque)
{
	((struct fake_vm *)opaque)->stops++;
}

static void fake_request_reset(void *opaque)
{
	((struct fake_vm *)opaque)->stops++;
}

static int fake_request_powerdown(void *opaque)
{
	struct fake_vm *f = opaque;

	f->calls++;
	return f->powerdown_ret;
}

/* RFC 3629 UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		unsigned need;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			need = 1, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += need + 1;
	}
	return true;
}

/* One request, as client_handle_line() does it, and the reply checked. */
static void handle(const struct control_env *env, struct control_session *sess,
		   const char *line, size_t len)
{
	struct fake_vm *vm = env->opaque;
	unsigned calls = vm->calls, stops = vm->stops;
	bool negotiating = !sess->command_mode;
	struct json_object *o, *v;
	struct control_reply r;
	unsigned members = 0;

	FZ_CHECK(control_cmds_session_line(env, sess, line, len, &r) == 0);
	FZ_CHECK(r.line && r.len >= 3);
	FZ_CHECK(strlen(r.line) == r.len);
	FZ_CHECK(r.line[r.len - 1] == '\n');
	FZ_CHECK(memchr(r.line, '\n', r.len - 1) == NULL);
	FZ_CHECK(utf8_valid((const uint8_t *)r.line, r.len));
	o = json_tokener_parse(r.line);
	FZ_CHECK(o && json_object_is_type(o, json_type_object));
	if (json_object_object_get_ex(o, "return", &v)) {
		FZ_CHECK(json_object_is_type(v, json_type_object) ||
			 json_object_is_type(v, json_type_array));
		members++;
	}
	if (json_object_object_get_ex(o, "error", &v)) {
		FZ_CHECK(json_object_is_type(v, json_type_object));
		FZ_CHECK(json_object_object_get_ex(v, "class", NULL));
		FZ_CHECK(json_object_object_get_ex(v, "desc", NULL));
		members++;
	}
	FZ_CHECK(members == 1);
	members += json_object_object_get_ex(o, "id", NULL);
	FZ_CHECK(json_object_object_length(o) == (int)members);
	json_object_put(o);
	control_reply_free(&r);
	if (r.after)
		r.after(env);
	/* Negotiation runs nothing of the VM's. */
	if (negotiating)
		FZ_CHECK(vm->calls == calls && vm->stops == stops && !r.after);
}

static const char *const words[] = { "guest-shutdown", "host-qmp-quit", "pause", "x\"y", "",
				     "\xc3\xa9", NULL };

/* One event from the input (six bytes): its line must be one well-formed
 * object. */
static void event(struct fz *f)
{
	struct control_event ev = { 0 };
	struct json_object *o;
	struct control_reply r;
	/* Always six bytes, so that the stream after them starts at a fixed
	 * offset (the seeds rely on it). */
	uint8_t t = fz_u8(f), wi = fz_u8(f), sec = fz_u8(f), usec = fz_u8(f);
	uint8_t b1 = fz_u8(f), b2 = fz_u8(f);
	const char *w = words[wi % ARRAY_SIZE(words)];

	ev.type = (enum control_event_type)(t % (CONTROL_EV_COUNT + 1));
	ev.ts_sec = (int64_t)sec << 30;
	ev.ts_usec = usec;
	switch (ev.type) {
	case CONTROL_EV_SHUTDOWN:
	case CONTROL_EV_RESET:
		ev.stop.guest = t & 0x80;
		ev.stop.reason = w;
		break;
	case CONTROL_EV_GUEST_PANICKED:
		ev.panic.action = w;
		break;
	case CONTROL_EV_MEMORY_FAILURE:
		ev.mf.recipient = w;
		ev.mf.action = t & 0x40 ? NULL : w;
		ev.mf.has_address = t & 0x80;
		ev.mf.address = (uint64_t)b1 << 56;
		ev.mf.found = t & 0x20 ? w : NULL;
		ev.mf.delivery = w;
		ev.mf.vcpu = (int)b2 - 128;
		break;
	default:
		ev.qfull.source = b1;
		ev.qfull.address = (uint64_t)b2 << 40;
		break;
	}
	if (control_cmds_event_line(&ev, &r) != 0) {
		FZ_CHECK(ev.type == CONTROL_EV_COUNT && !r.line);
		return;
	}
	FZ_CHECK(r.len >= 2 && r.line[r.len - 1] == '\n');
	FZ_CHECK(memchr(r.line, '\n', r.len - 1) == NULL);
	o = json_tokener_parse(r.line);
	FZ_CHECK(o && json_object_is_type(o, json_type_object));
	FZ_CHECK(json_object_object_length(o) == 3);
	FZ_CHECK(json_object_object_get_ex(o, "event", NULL));
	FZ_CHECK(json_object_object_get_ex(o, "data", NULL));
	FZ_CHECK(json_object_object_get_ex(o, "timestamp", NULL));
	json_object_put(o);
	control_reply_free(&r);
}

static const int errs[] = { 0, -EINVAL, -EPERM, -ENOTSUP, -EIO, -ENOMEM };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct fake_vm vm = { 0 };
	struct control_env env;
	struct ctlp_linebuf lb;
	struct control_session sess = { 0 };
	uint8_t cfg = fz_u8(&f), cfg2 = fz_u8(&f);
	size_t len, avail;
	char *line, *p;
	int r;

	vm.mem_ret = errs[fz_u8(&f) % ARRAY_SIZE(errs)];
	vm.serror_ret = errs[fz_u8(&f) % ARRAY_SIZE(errs)];
	vm.powerdown_ret = cfg2 & 2 ? -ENODEV : 0;
	sess.command_mode = cfg2 & 1;
	vm.post_ret = errs[fz_u8(&f) % ARRAY_SIZE(errs)];
	vm.npoisoned = cfg & 0x40 ? 4097 : fz_u8(&f);
	vm.running = cfg & 1;
	vm.boots = fz_u8(&f);
	vm.hw_errors_gpa = cfg & 2 ? 0 : 0x7fff0000;
	env = (struct control_env){
		.opaque = &vm,
		.ncpus = 1 + (cfg >> 2) % 4,
		.ram_base = 0x40000000,
		.ram_size = cfg & 0x80 ? 0x10000000 : 0xffffffffc0000000ull,
		.firmware = cfg & 0x20,
		.inject_serror = fake_inject_serror,
		.running = fake_running,
		.boots = fake_boots,
		.hw_errors_gpa = fake_hw_errors_gpa,
		.vcpu_exits = fake_vcpu_exits,
		.request_stop = fake_request_stop,
		.request_reset = cfg2 & 4 ? NULL : fake_request_reset,
		.request_powerdown = cfg2 & 8 ? NULL : fake_request_powerdown,
	};
	if (!(cfg & 0x10)) {	/* --ras */
		env.inject_memory_error = fake_inject_mem;
		env.post_error = fake_post_error;
		env.ras_stats = fake_ras_stats;
		env.ras_poisoned = fake_ras_poisoned;
	}
	vm.env = &env;
	event(&f);

	FZ_CHECK(ctlp_linebuf_init(&lb, LINE_CAP) == 0);
	/* The rest of the input is the byte stream, read in chunks. */
	while (fz_more(&f)) {
		size_t chunk = 1 + (f.n > 1 ? f.p[0] % 64 : 0) * 64;

		p = ctlp_linebuf_space(&lb, &avail);
		chunk = MIN(chunk, MIN(avail, f.n));
		if (chunk == 0)
			break;
		memcpy(p, f.p, chunk);
		f.p += chunk;
		f.n -= chunk;
		ctlp_linebuf_commit(&lb, chunk);
		while ((r = ctlp_linebuf_next(&lb, &line, &len)) == 1) {
			FZ_CHECK(len < LINE_CAP && line[len] == '\0');
			if (len)
				handle(&env, &sess, line, len);
		}
		if (r == -EMSGSIZE)
			goto out;	/* the server refuses the client */
		FZ_CHECK(r == 0);
	}
	if (ctlp_linebuf_rest(&lb, &line, &len) == 1)
		handle(&env, &sess, line, len);
out:
	ctlp_linebuf_free(&lb);
	return 0;
}
