/* Control socket commands (DESIGN.md section 9): request parsing, the
 * command table and one handler per command, against the VM seen through
 * struct control_env (control.h) only. Requests are untrusted: every bad one
 * gets an error reply. Adding a command: one handler and one table entry. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "control.h"
#include "control_cmds.h"
#include "control_proto.h"
#include "ras/cper.h"
#include "ras/ghes_layout.h"
#include "util.h"
#include "version.h"

#define CONTROL_MAX_POISONED 4096         /* GPAs listed by query-ras */

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

/* Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF. JSON text is UTF-8 and replies echo request strings, so
 * a request must be; json-c's own check lets all three through. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;	/* second byte's range */
		size_t need;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		else
			return false;
		if (len - i <= need || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += need + 1;
	}
	return true;
}

/* Bytes of 's' to quote in a message: at most 'max', never ending inside a
 * UTF-8 sequence (the request was checked by utf8_valid(), and the reply
 * must stay valid UTF-8 too). */
static int utf8_prefix(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		n = max;
		/* Back off to the lead byte of a sequence cut short. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return (int)n;
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
			return cmd_fail(e, ERR_GENERIC, "unexpected argument '%.*s'",
					utf8_prefix(name, 64), name);
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

/* RAS is there when the VM's owner gave all of its callbacks. */
static bool has_ras(const struct control_env *env)
{
	return env->inject_memory_error && env->ras_stats && env->ras_poisoned;
}

static int check_vcpu(const struct control_env *env, uint64_t vcpu, struct cmd_error *e)
{
	if (vcpu >= env->ncpus)
		return cmd_fail(e, ERR_GENERIC, "vcpu %llu out of range (the VM has %u vCPUs)",
				(unsigned long long)vcpu, env->ncpus);
	return 0;
}

static int cmd_inject_memory_error(const struct control_env *env, struct json_object *args,
				   struct json_object *ret, struct cmd_error *e)
{
	const char *mode_s, *kind_s;
	enum ras_inject_mode mode;
	enum ras_kind kind;
	uint64_t gpa, vcpu;
	int r;

	if (!has_ras(env))
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
	if (check_vcpu(env, vcpu, e))
		return -1;
	if (!range_within(gpa, 1, env->ram_base, env->ram_size))
		return cmd_fail(e, ERR_GENERIC, "gpa 0x%llx is outside guest RAM [0x%llx, 0x%llx)",
				(unsigned long long)gpa, (unsigned long long)env->ram_base,
				(unsigned long long)(env->ram_base + env->ram_size));

	r = env->inject_memory_error(env->opaque, gpa, mode, kind, (unsigned)vcpu);
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

/* ---- inject-error: any CPER record to any source --------------------- */

/* Optional unsigned argument of at most 'max': *present says if given. */
static int arg_opt(struct json_object *args, const char *key, uint64_t max,
		   uint64_t *out, bool *present, struct cmd_error *e)
{
	struct json_object *v;

	*present = json_object_object_get_ex(args, key, &v) && v;
	*out = 0;
	if (!*present)
		return 0;
	if (arg_u64(args, key, true, 0, out, e))
		return -1;
	if (*out > max)
		return cmd_fail(e, ERR_GENERIC, "argument '%s' must be at most 0x%llx", key,
				(unsigned long long)max);
	return 0;
}

/* The memory error section's optional fields: argument, validation bit,
 * largest value, where in struct cper_mem_error and its size. */
struct mem_field {
	const char *key;
	uint64_t valid;
	uint64_t max;
	size_t off;
	unsigned size;
};

#define MEMF16(k, bit, f) { k, bit, 0xffff, offsetof(struct cper_mem_error, f), 2 }
#define MEMF64(k, bit, f) { k, bit, UINT64_MAX, offsetof(struct cper_mem_error, f), 8 }

static const struct mem_field mem_fields[] = {
	MEMF64("error-status", CPER_MEM_VALID_ERROR_STATUS, error_status),
	MEMF64("pa-mask", CPER_MEM_VALID_PA_MASK, pa_mask),
	MEMF16("node", CPER_MEM_VALID_NODE, node),
	MEMF16("card", CPER_MEM_VALID_CARD, card),
	MEMF16("module", CPER_MEM_VALID_MODULE, module),
	MEMF16("bank", CPER_MEM_VALID_BANK, bank),
	MEMF16("device", CPER_MEM_VALID_DEVICE, device),
	MEMF16("row", CPER_MEM_VALID_ROW, row),
	MEMF16("column", CPER_MEM_VALID_COLUMN, column),
	MEMF16("bit-position", CPER_MEM_VALID_BIT_POSITION, bit_pos),
	MEMF64("requestor-id", CPER_MEM_VALID_REQUESTOR_ID, requestor_id),
	MEMF64("responder-id", CPER_MEM_VALID_RESPONDER_ID, responder_id),
	MEMF64("target-id", CPER_MEM_VALID_TARGET_ID, target_id),
	MEMF16("rank", CPER_MEM_VALID_RANK, rank),
	MEMF16("card-handle", CPER_MEM_VALID_CARD_HANDLE, card_handle),
	MEMF16("module-handle", CPER_MEM_VALID_MODULE_HANDLE, module_handle),
};

static int build_mem(struct json_object *args, uint32_t sev, uint8_t *buf, size_t cap,
		     size_t *len, struct cmd_error *e)
{
	struct cper_mem_error m = { .severity = sev, .timestamp = (int64_t)time(NULL) };
	uint64_t v;
	bool present;
	size_t i;
	int r;

	if (arg_u64(args, "pa", true, 0, &m.gpa, e) ||
	    arg_opt(args, "error-type", CPER_MEM_TYPE_MAX, &v, &present, e))
		return -1;
	m.mem_error_type = (uint8_t)v;
	for (i = 0; i < ARRAY_SIZE(mem_fields); i++) {
		const struct mem_field *f = &mem_fields[i];

		if (arg_opt(args, f->key, f->max, &v, &present, e))
			return -1;
		if (!present)
			continue;
		m.valid |= f->valid;
		if (f->size == 2)
			*(uint16_t *)((uint8_t *)&m + f->off) = (uint16_t)v;
		else
			*(uint64_t *)((uint8_t *)&m + f->off) = v;
	}
	r = cper_build_mem_error(buf, cap, &m, len);
	if (r)
		return cmd_fail(e, ERR_GENERIC, "cannot build the memory error record: %s",
				strerror(-r));
	return 0;
}

static int build_arm(struct json_object *args, uint32_t sev, uint8_t *buf, size_t cap,
		     size_t *len, struct cmd_error *e)
{
	struct cper_arm_error a = {
		.severity = sev,
		.timestamp = (int64_t)time(NULL),
		.valid = CPER_ARM_VALID_RUNNING_STATE,
		.running_state = 1,	/* it was running when it took the error */
		.n_info = 1,
	};
	struct cper_arm_err_info *f = &a.info[0];
	struct cper_arm_check chk = { 0 };
	const char *kind;
	uint64_t v;
	bool present, has_info;
	int r;

	if (arg_opt(args, "mpidr", UINT64_MAX, &a.mpidr, &present, e))
		return -1;
	if (present)
		a.valid |= CPER_ARM_VALID_MPIDR;
	if (arg_opt(args, "midr", UINT64_MAX, &a.midr, &present, e) ||
	    arg_opt(args, "affinity-level", 0xff, &v, &present, e))
		return -1;
	if (present) {
		a.valid |= CPER_ARM_VALID_AFFINITY_LEVEL;
		a.affinity_level = (uint8_t)v;
	}
	if (arg_str(args, "error", "cache", &kind, e))
		return -1;
	if (!strcmp(kind, "cache"))
		f->type = CPER_ARM_TYPE_CACHE;
	else if (!strcmp(kind, "tlb"))
		f->type = CPER_ARM_TYPE_TLB;
	else if (!strcmp(kind, "bus"))
		f->type = CPER_ARM_TYPE_BUS;
	else if (!strcmp(kind, "vendor"))
		f->type = CPER_ARM_TYPE_VENDOR;
	else
		return cmd_fail(e, ERR_GENERIC, "'error' must be \"cache\", \"tlb\", \"bus\" or \"vendor\"");
	f->valid = CPER_ARM_INFO_VALID_FLAGS;
	f->flags = CPER_ARM_FLAG_FIRST | CPER_ARM_FLAG_LAST;
	if (arg_opt(args, "va", UINT64_MAX, &f->va, &present, e))
		return -1;
	if (present)
		f->valid |= CPER_ARM_INFO_VALID_VA;
	if (arg_opt(args, "pa", UINT64_MAX, &f->pa, &present, e))
		return -1;
	if (present)
		f->valid |= CPER_ARM_INFO_VALID_PA;
	if (arg_opt(args, "count", 0xffff, &v, &present, e))
		return -1;
	if (present) {
		f->valid |= CPER_ARM_INFO_VALID_MULTI_ERR;
		f->multiple_error = (uint16_t)v;
	}
	/* Error information: given whole, or built from its fields. */
	if (arg_opt(args, "error-info", UINT64_MAX, &f->error_info, &has_info, e))
		return -1;
	if (arg_opt(args, "level", 7, &v, &present, e))
		return -1;
	if (present) {
		chk.valid |= CPER_ARM_CHECK_VALID_LEVEL;
		chk.level = (uint8_t)v;
	}
	if (arg_opt(args, "operation", 15, &v, &present, e))
		return -1;
	if (present) {
		chk.valid |= CPER_ARM_CHECK_VALID_OPERATION;
		chk.operation = (uint8_t)v;
	}
	if (arg_opt(args, "transaction", 2, &v, &present, e))
		return -1;
	if (present) {
		chk.valid |= CPER_ARM_CHECK_VALID_TRANSACTION;
		chk.transaction = (uint8_t)v;
	}
	if (chk.valid && has_info)
		return cmd_fail(e, ERR_GENERIC,
				"give 'error-info' or its fields (level, operation, transaction), not both");
	if (chk.valid && f->type == CPER_ARM_TYPE_VENDOR)
		return cmd_fail(e, ERR_GENERIC,
				"a vendor error has no level/operation/transaction; use 'error-info'");
	if (chk.valid) {
		/* The record says whether it was corrected, from its severity. */
		chk.valid |= CPER_ARM_CHECK_VALID_CORRECTED;
		chk.corrected = sev == CPER_SEV_CORRECTED;
		if (cper_arm_check_encode(f->type, &chk, &f->error_info))
			return cmd_fail(e, ERR_GENERIC,
					"'operation' out of range for a %s error (cache 0-10, tlb 0-8, bus 0-6)",
					kind);
		has_info = true;
	}
	if (has_info)
		f->valid |= CPER_ARM_INFO_VALID_ERR_INFO;
	r = cper_build_arm_error(buf, cap, &a, len);
	if (r)
		return cmd_fail(e, ERR_GENERIC, "cannot build the ARM processor error record: %s",
				strerror(-r));
	return 0;
}

/* Section types the raw path knows by name (UEFI N.2.2). */
static const char *section_guid_text(const char *s)
{
	if (!strcmp(s, "memory"))
		return "a5bc1114-6f64-4ede-b863-3e83ed7c83b1";
	if (!strcmp(s, "arm"))
		return "e19e3d16-bc11-11e4-9caa-c2051d5d46b0";
	return s;
}

static int build_raw(struct json_object *args, uint32_t sev, bool sev_given, uint8_t *buf,
		     size_t cap, size_t *len, struct cmd_error *e)
{
	const char *raw, *section, *stype;
	struct cper_guid guid;
	struct cper_section sec = { .type = &guid, .severity = sev,
				    .flags = CPER_GDATA_FLAG_PRIMARY };
	uint8_t *payload;
	size_t plen;
	int r;

	if (arg_str(args, "raw", NULL, &raw, e) || arg_str(args, "section", NULL, &section, e) ||
	    arg_str(args, "section-type", NULL, &stype, e))
		return -1;
	if (!raw == !section)
		return cmd_fail(e, ERR_GENERIC, "type \"raw\" needs one of 'raw' (a whole record) "
				"and 'section' (a section payload), base64");
	if (raw) {
		if (stype || sev_given)
			return cmd_fail(e, ERR_GENERIC, "'raw' is a whole record: it carries its own "
					"section type and severity");
		r = ctlp_base64_decode(raw, buf, cap, len);
		if (r == -EMSGSIZE)
			return cmd_fail(e, ERR_GENERIC, "'raw' decodes to more than %zu bytes "
					"(one error status block)", cap);
		if (r)
			return cmd_fail(e, ERR_GENERIC, "'raw' is not valid base64");
		if (cper_check_record(buf, *len))
			return cmd_fail(e, ERR_GENERIC, "'raw' is not a Generic Error Status Block a "
					"guest would accept (block status 0, or data/entry lengths that "
					"do not add up)");
		return 0;
	}
	if (!stype)
		return cmd_fail(e, ERR_GENERIC, "'section' needs 'section-type' (memory, arm or a GUID)");
	if (cper_guid_parse(section_guid_text(stype), &guid))
		return cmd_fail(e, ERR_GENERIC, "'section-type' must be memory, arm or a GUID "
				"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
	payload = malloc(cap);
	if (!payload)
		return cmd_fail(e, ERR_GENERIC, "out of memory");
	r = ctlp_base64_decode(section, payload, cap - CPER_STATUS_BLOCK_LEN - CPER_DATA_ENTRY_LEN,
			       &plen);
	if (r) {
		free(payload);
		return cmd_fail(e, ERR_GENERIC, r == -EMSGSIZE ?
				"'section' too long for one error status block" :
				"'section' is not valid base64");
	}
	sec.data = payload;
	sec.len = plen;
	r = cper_build_record(buf, cap, sev, (int64_t)time(NULL), false, &sec, 1, len);
	free(payload);
	if (r)
		return cmd_fail(e, ERR_GENERIC, "cannot build the record: %s", strerror(-r));
	return 0;
}

static int cmd_inject_error(const struct control_env *env, struct json_object *args,
			    struct json_object *ret, struct cmd_error *e)
{
	const char *type_s, *source_s, *sev_s;
	enum ras_source_kind kind;
	uint8_t *rec;
	size_t len = 0;
	unsigned vcpu;
	uint32_t sev;
	int r;

	/* Without CONFIG_RAS the record builders are stubs: no env has it. */
	if (!env->post_error || !RAS_ENABLED)
		return cmd_fail(e, ERR_GENERIC, "RAS is not enabled (--ras)");
	if (arg_str(args, "type", NULL, &type_s, e) || arg_str(args, "source", NULL, &source_s, e) ||
	    arg_str(args, "severity", NULL, &sev_s, e))
		return -1;
	if (!type_s)
		return cmd_fail(e, ERR_GENERIC, "missing argument 'type' (memory, arm or raw)");
	if (!source_s)
		return cmd_fail(e, ERR_GENERIC, "missing argument 'source' (sea:N, async, polled or gsiv)");
	if (ctlp_parse_source(source_s, &kind, &vcpu))
		return cmd_fail(e, ERR_GENERIC, "'source' must be \"sea:N\", \"async\", \"polled\" "
				"or \"gsiv\"");
	if (kind == RAS_SOURCE_SEA && check_vcpu(env, vcpu, e))
		return -1;
	sev = CPER_SEV_CORRECTED;
	if (sev_s && ctlp_parse_severity(sev_s, &sev))
		return cmd_fail(e, ERR_GENERIC, "'severity' must be \"corrected\", \"recoverable\", "
				"\"fatal\" or \"info\"");

	/* Every argument of the other types is refused: a typo must not
	 * silently build a different record. */
	{
		static const char *const mem_only[] = { "error-type", "error-status", "pa-mask",
			"node", "card", "module", "bank", "device", "row", "column",
			"bit-position", "requestor-id", "responder-id", "target-id", "rank",
			"card-handle", "module-handle" };
		static const char *const arm_only[] = { "mpidr", "midr", "affinity-level", "error",
			"va", "count", "error-info", "level", "operation", "transaction" };
		static const char *const raw_only[] = { "raw", "section", "section-type" };
		bool is_mem = !strcmp(type_s, "memory"), is_arm = !strcmp(type_s, "arm"),
		     is_raw = !strcmp(type_s, "raw");
		struct json_object *v;
		size_t i;

		if (!is_mem && !is_arm && !is_raw)
			return cmd_fail(e, ERR_GENERIC, "'type' must be \"memory\", \"arm\" or \"raw\"");
		for (i = 0; i < ARRAY_SIZE(mem_only); i++)
			if (!is_mem && json_object_object_get_ex(args, mem_only[i], &v))
				return cmd_fail(e, ERR_GENERIC, "argument '%s' is for type \"memory\"",
						mem_only[i]);
		for (i = 0; i < ARRAY_SIZE(arm_only); i++)
			if (!is_arm && json_object_object_get_ex(args, arm_only[i], &v))
				return cmd_fail(e, ERR_GENERIC, "argument '%s' is for type \"arm\"",
						arm_only[i]);
		for (i = 0; i < ARRAY_SIZE(raw_only); i++)
			if (!is_raw && json_object_object_get_ex(args, raw_only[i], &v))
				return cmd_fail(e, ERR_GENERIC, "argument '%s' is for type \"raw\"",
						raw_only[i]);
		if (is_raw && json_object_object_get_ex(args, "pa", &v))
			return cmd_fail(e, ERR_GENERIC, "argument 'pa' is for types \"memory\" and \"arm\"");
	}

	rec = malloc(GHES_BLOCK_LEN);
	if (!rec)
		return cmd_fail(e, ERR_GENERIC, "out of memory");
	if (!strcmp(type_s, "memory"))
		r = build_mem(args, sev, rec, GHES_BLOCK_LEN, &len, e);
	else if (!strcmp(type_s, "arm"))
		r = build_arm(args, sev, rec, GHES_BLOCK_LEN, &len, e);
	else
		r = build_raw(args, sev, sev_s != NULL, rec, GHES_BLOCK_LEN, &len, e);
	if (r) {
		free(rec);
		return -1;
	}
	/* A raw record's severity is its own (Generic Error Status Block
	 * offset 16), for the reply. */
	if (!strcmp(type_s, "raw"))
		sev = get_le32(rec + 16);

	r = env->post_error(env->opaque, kind, vcpu, rec, len);
	free(rec);
	if (r == -EINVAL)
		return cmd_fail(e, ERR_GENERIC, "the error source refused the record");
	if (r == -ENOSPC)
		return cmd_fail(e, ERR_GENERIC, "too many records wait for the guest's read-ack on "
				"that source; record dropped");
	if (r < 0)
		return cmd_fail(e, ERR_GENERIC, "cannot post the record: %s", strerror(-r));

	json_object_object_add(ret, "type", json_object_new_string(type_s));
	json_object_object_add(ret, "source", json_object_new_string(source_s));
	json_object_object_add(ret, "severity", json_object_new_string(ctlp_severity_name(sev)));
	add_u64(ret, "length", len);
	json_object_object_add(ret, "status", json_object_new_string(r == 0 ? "written" : "queued"));
	return 0;
}

static int cmd_inject_serror(const struct control_env *env, struct json_object *args,
			     struct json_object *ret, struct cmd_error *e)
{
	struct json_object *v;
	uint64_t vcpu, esr = 0;
	uint32_t iss = 0;
	bool has_esr;
	int r;

	if (arg_u64(args, "vcpu", false, 0, &vcpu, e) || check_vcpu(env, vcpu, e))
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
	r = env->inject_serror(env->opaque, (unsigned)vcpu,
			       has_esr ? iss : CONTROL_SERROR_NO_ESR);
	if (r == -ENOTSUP && has_esr)
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

static int cmd_query_ras(const struct control_env *env, struct json_object *args,
			 struct json_object *ret, struct cmd_error *e)
{
	struct json_object *list;
	struct ras_stats st;
	uint64_t *gpas;
	size_t n, i;

	if (!has_ras(env))
		return cmd_fail(e, ERR_GENERIC, "RAS is not enabled (--ras)");
	env->ras_stats(env->opaque, &st);
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
	/* Issue 13: how AO errors were found, and the pagemap scans. */
	STAT(errors_ao_signal);
	STAT(errors_ao_scan);
	STAT(scans);
	STAT(scan_last_us);
	STAT(scan_last_elapsed_us);
	STAT(hwpoison_swap_type);
	/* Issue 8: poisoned pages a device's failed I/O revealed. */
	STAT(errors_ao_io);
	/* Issue 9: records posted by inject-error (any CPER, any source). */
	STAT(records_posted);
#undef STAT

	gpas = calloc(CONTROL_MAX_POISONED, sizeof(*gpas));
	if (!gpas)
		return cmd_fail(e, ERR_GENERIC, "out of memory");
	n = env->ras_poisoned(env->opaque, gpas, CONTROL_MAX_POISONED);
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

/* query-vm's "devices": one object per board device, in guest order:
 * name, base, size, spi (when it has one), then "queues" (virtio) and
 * "counters" (named, device-specific) when the device reports them. */
static int query_devices(const struct control_env *env, struct json_object *ret,
			 struct cmd_error *e)
{
	struct json_object *list, *o, *ql, *q, *cs;
	struct control_device *devs;
	size_t n, i, k;

	if (!env->devices)
		return 0;
	devs = calloc(CONTROL_MAX_DEVICES, sizeof(*devs));
	if (!devs)
		return cmd_fail(e, ERR_GENERIC, "out of memory");
	n = MIN(env->devices(env->opaque, devs, CONTROL_MAX_DEVICES), (size_t)CONTROL_MAX_DEVICES);
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		const struct control_device *d = &devs[i];
		unsigned nq = MIN(d->st.nqueues, (unsigned)DEV_STATS_MAX_QUEUES);
		unsigned nc = MIN(d->st.ncounters, (unsigned)DEV_STATS_MAX_COUNTERS);

		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(d->name ? d->name : "?"));
		add_u64(o, "base", d->base);
		add_u64(o, "size", d->size);
		if (d->spi >= 0)
			add_u64(o, "spi", (uint64_t)d->spi);
		if (nq) {
			ql = json_object_new_array();
			for (k = 0; k < nq; k++) {
				q = json_object_new_object();
				add_u64(q, "queue", k);
				add_u64(q, "popped", d->st.q[k].popped);
				add_u64(q, "pushed", d->st.q[k].pushed);
				add_u64(q, "notifies", d->st.q[k].notifies);
				add_u64(q, "malformed", d->st.q[k].malformed);
				json_object_array_add(ql, q);
			}
			json_object_object_add(o, "queues", ql);
		}
		if (nc) {
			cs = json_object_new_object();
			for (k = 0; k < nc; k++)
				if (d->st.c[k].name)
					add_u64(cs, d->st.c[k].name, d->st.c[k].value);
			json_object_object_add(o, "counters", cs);
		}
		json_object_array_add(list, o);
	}
	free(devs);
	json_object_object_add(ret, "devices", list);
	return 0;
}

static int cmd_query_vm(const struct control_env *env, struct json_object *args,
			struct json_object *ret, struct cmd_error *e)
{
	struct json_object *list, *o;
	uint64_t exits, mmio_exits;
	unsigned i;
	bool running = env->running(env->opaque);
	bool paused = env->paused && env->paused(env->opaque);

	json_object_object_add(ret, "status", json_object_new_string(paused ? "paused" :
								       running ? "running" :
								       "stopping"));
	add_u64(ret, "vcpus", env->ncpus);
	add_u64(ret, "memory", env->ram_size);
	add_u64(ret, "memory-base", env->ram_base);
	json_object_object_add(ret, "firmware", json_object_new_boolean(env->firmware));
	json_object_object_add(ret, "ras", json_object_new_boolean(has_ras(env)));
	add_u64(ret, "boots", env->boots(env->opaque));
	add_u64(ret, "hardware-errors-gpa", env->hw_errors_gpa(env->opaque));

	list = json_object_new_array();
	for (i = 0; i < env->ncpus; i++) {
		env->vcpu_exits(env->opaque, i, &exits, &mmio_exits);
		o = json_object_new_object();
		add_u64(o, "vcpu", i);
		add_u64(o, "exits", exits);
		add_u64(o, "mmio-exits", mmio_exits);
		json_object_array_add(list, o);
	}
	json_object_object_add(ret, "vcpu-exits", list);
	return query_devices(env, ret, e);
}

static int cmd_quit(const struct control_env *env, struct json_object *args,
		    struct json_object *ret, struct cmd_error *e)
{
	return 0;
}

/* Runs after the reply to 'quit' was sent. */
static void after_quit(const struct control_env *env)
{
	env->request_stop(env->opaque);
}

static int cmd_system_reset(const struct control_env *env, struct json_object *args,
			    struct json_object *ret, struct cmd_error *e)
{
	if (!env->request_reset)
		return cmd_fail(e, ERR_GENERIC, "this VM cannot be reset from here");
	return 0;
}

/* Runs after the reply to 'system_reset' was sent. */
static void after_reset(const struct control_env *env)
{
	env->request_reset(env->opaque);
}

static int cmd_system_powerdown(const struct control_env *env, struct json_object *args,
				struct json_object *ret, struct cmd_error *e)
{
	int r;

	if (!env->request_powerdown)
		return cmd_fail(e, ERR_GENERIC, "this VM has no power button");
	r = env->request_powerdown(env->opaque);
	if (r == -ENODEV)
		return cmd_fail(e, ERR_GENERIC,
				"the guest has no power button: system_powerdown needs ACPI "
				"(firmware boot); use system_reset or quit");
	if (r < 0)
		return cmd_fail(e, ERR_GENERIC, "cannot press the power button: %s", strerror(-r));
	return 0;
}

/* {"qemu": {"micro", "minor", "major"}, "package"}: QEMU's VersionInfo
 * layout (qapi/control.json) with our version's numbers, so that QMP
 * clients that read it work; "package" says what answers. */
static struct json_object *version_info(void)
{
	struct json_object *o = json_object_new_object(), *q = json_object_new_object();
	unsigned v[3];

	ctlp_version_numbers(MVR_VERSION, v);
	add_u64(q, "micro", v[2]);
	add_u64(q, "minor", v[1]);
	add_u64(q, "major", v[0]);
	json_object_object_add(o, "qemu", q);
	json_object_object_add(o, "package", json_object_new_string("microvm-ras " MVR_VERSION));
	return o;
}

static int cmd_query_version(const struct control_env *env, struct json_object *args,
			     struct json_object *ret, struct cmd_error *e)
{
	struct json_object *v = version_info();

	json_object_object_add(ret, "qemu", json_object_get(json_object_object_get(v, "qemu")));
	json_object_object_add(ret, "package",
			       json_object_get(json_object_object_get(v, "package")));
	json_object_put(v);
	return 0;
}

/* qmp_capabilities in command mode: negotiation is over (QEMU's answer). */
static int cmd_qmp_capabilities(const struct control_env *env, struct json_object *args,
				struct json_object *ret, struct cmd_error *e)
{
	return cmd_fail(e, ERR_NOT_FOUND,
			"capabilities negotiation is already complete, command ignored");
}

static int cmd_query_commands(const struct control_env *env, struct json_object *args,
			      struct json_object **out, struct cmd_error *e);

/* One command: its name, the argument names it accepts and its handler,
 * which fills 'ret' (the "return" object) and returns 0, or fills 'e' and
 * returns -1 (cmd_fail). Arguments are checked against 'args' before.
 * A command whose return value is not an object has 'fn_value' instead,
 * which sets *out to it. */
struct command {
	const char *name;
	const char *const *args;     /* accepted argument names, NULL-terminated */
	int (*fn)(const struct control_env *env, struct json_object *args,
		  struct json_object *ret, struct cmd_error *e);
	void (*after_reply)(const struct control_env *env);
	int (*fn_value)(const struct control_env *env, struct json_object *args,
			struct json_object **out, struct cmd_error *e);
};

static const char *const args_none[] = { NULL };
static const char *const args_inject_mem[] = { "gpa", "mode", "kind", "vcpu", NULL };
static const char *const args_inject_serror[] = { "vcpu", "esr", NULL };
static const char *const args_inject_error[] = {
	"type", "source", "severity",
	/* memory */
	"pa", "error-type", "error-status", "pa-mask", "node", "card", "module", "bank",
	"device", "row", "column", "bit-position", "requestor-id", "responder-id",
	"target-id", "rank", "card-handle", "module-handle",
	/* arm (and pa) */
	"mpidr", "midr", "affinity-level", "error", "va", "count", "error-info", "level",
	"operation", "transaction",
	/* raw */
	"raw", "section", "section-type",
	NULL
};

static const char *const args_capabilities[] = { "enable", NULL };

static const struct command commands[] = {
	{ .name = "inject-error", .args = args_inject_error, .fn = cmd_inject_error },
	{ .name = "inject-memory-error", .args = args_inject_mem, .fn = cmd_inject_memory_error },
	{ .name = "inject-serror", .args = args_inject_serror, .fn = cmd_inject_serror },
	{ .name = "qmp_capabilities", .args = args_capabilities, .fn = cmd_qmp_capabilities },
	{ .name = "query-commands", .args = args_none, .fn_value = cmd_query_commands },
	{ .name = "query-ras", .args = args_none, .fn = cmd_query_ras },
	{ .name = "query-version", .args = args_none, .fn = cmd_query_version },
	{ .name = "query-vm", .args = args_none, .fn = cmd_query_vm },
	{ .name = "quit", .args = args_none, .fn = cmd_quit, .after_reply = after_quit },
	{ .name = "system_powerdown", .args = args_none, .fn = cmd_system_powerdown },
	{ .name = "system_reset", .args = args_none, .fn = cmd_system_reset,
	  .after_reply = after_reset },
};

/* [{"name": CMD}, ...]: every command this server knows (QEMU's
 * CommandInfo list). */
static int cmd_query_commands(const struct control_env *env, struct json_object *args,
			      struct json_object **out, struct cmd_error *e)
{
	struct json_object *list = json_object_new_array(), *o;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(commands[i].name));
		json_object_array_add(list, o);
	}
	*out = list;
	return 0;
}

/* qmp_capabilities in negotiation mode: "enable" may list capabilities to
 * turn on; this server offers none (the greeting's list is empty). */
static int negotiate(struct json_object *args, struct cmd_error *e)
{
	struct json_object *en, *v;
	size_t i, n;

	if (args_check_known(args, args_capabilities, e))
		return -1;
	if (!args || !json_object_object_get_ex(args, "enable", &en) || !en)
		return 0;
	if (!json_object_is_type(en, json_type_array))
		return cmd_fail(e, ERR_GENERIC, "argument 'enable' must be an array");
	n = json_object_array_length(en);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(en, i);
		if (!json_object_is_type(v, json_type_string))
			return cmd_fail(e, ERR_GENERIC, "'enable' must list capability names");
		return cmd_fail(e, ERR_GENERIC, "capability '%.*s' is not available",
				utf8_prefix(json_object_get_string(v), 64),
				json_object_get_string(v));
	}
	return 0;
}

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
	if (!utf8_valid((const unsigned char *)line, len)) {
		cmd_fail(e, ERR_GENERIC, "invalid JSON: invalid utf-8 string");
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

/* The command that runs qmp_capabilities' negotiation (no after hook). */
static const struct command negotiated = {
	.name = "qmp_capabilities", .args = args_capabilities,
};

/* Validate the request envelope and run the command (only
 * qmp_capabilities while 's' negotiates; 's' NULL: command mode). Sets
 * *ret to the "return" value. Returns the command (for its after_reply
 * hook) or NULL after filling 'e'. */
static const struct command *run_request(const struct control_env *env,
					 struct control_session *s,
					 struct json_object *req, struct json_object **ret,
					 struct cmd_error *e)
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
			cmd_fail(e, ERR_GENERIC, "unexpected member '%.*s' in the request",
				 utf8_prefix(key, 64), key);
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
	if (s && !s->command_mode) {
		if (strcmp(name, "qmp_capabilities")) {
			cmd_fail(e, ERR_NOT_FOUND,
				 "expecting capabilities negotiation with 'qmp_capabilities'");
			return NULL;
		}
		if (negotiate(args, e))
			return NULL;
		s->command_mode = true;
		return &negotiated;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			cmd = &commands[i];
	if (!cmd) {
		cmd_fail(e, ERR_NOT_FOUND, "unknown command '%.*s'", utf8_prefix(name, 64), name);
		return NULL;
	}
	if (args_check_known(args, cmd->args, e))
		return NULL;
	if (cmd->fn_value) {
		struct json_object *v = NULL;

		if (cmd->fn_value(env, args, &v, e)) {
			json_object_put(v);
			return NULL;
		}
		json_object_put(*ret);
		*ret = v;
		return cmd;
	}
	if (cmd->fn(env, args, *ret, e))
		return NULL;
	return cmd;
}

/* ---- replies ------------------------------------------------------------ */

/* Serialise 'reply' as one line into r->line. Returns 0 or -ENOMEM. */
static int reply_format(struct json_object *reply, struct control_reply *r)
{
	const char *s;
	size_t len;

	s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	len = strlen(s);
	r->line = malloc(len + 2);
	if (!r->line)
		return -ENOMEM;
	memcpy(r->line, s, len);
	r->line[len] = '\n';
	r->line[len + 1] = '\0';
	r->len = len + 1;
	return 0;
}

/* {"error": {"class": cls, "desc": desc}} (+ "id" when given) into r. */
static int error_reply(const struct cmd_error *e, struct json_object *id,
		       struct control_reply *r)
{
	struct json_object *reply = json_object_new_object();
	struct json_object *err = json_object_new_object();
	int ret;

	json_object_object_add(err, "class", json_object_new_string(e->cls));
	json_object_object_add(err, "desc", json_object_new_string(e->desc));
	json_object_object_add(reply, "error", err);
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	ret = reply_format(reply, r);
	json_object_put(reply);
	return ret;
}

/* One request line for session 's' (NULL: command mode). */
static int handle_line(const struct control_env *env, struct control_session *s,
		       const char *line, size_t len, struct control_reply *r)
{
	struct cmd_error e = { .cls = ERR_GENERIC };
	struct json_object *req, *ret, *reply, *id = NULL;
	const struct command *cmd;
	int err;

	memset(r, 0, sizeof(*r));
	req = parse_request(line, len, &e);
	if (!req)
		return error_reply(&e, NULL, r);
	json_object_object_get_ex(req, "id", &id);
	ret = json_object_new_object();
	cmd = run_request(env, s, req, &ret, &e);
	if (!cmd) {
		json_object_put(ret);
		err = error_reply(&e, id, r);
		json_object_put(req);
		return err;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "return", ret);
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	err = reply_format(reply, r);
	json_object_put(reply);
	json_object_put(req);
	r->after = cmd->after_reply;
	return err;
}

int control_cmds_handle_line(const struct control_env *env, const char *line, size_t len,
			     struct control_reply *r)
{
	return handle_line(env, NULL, line, len, r);
}

int control_cmds_session_line(const struct control_env *env, struct control_session *s,
			      const char *line, size_t len, struct control_reply *r)
{
	return handle_line(env, s, line, len, r);
}

int control_cmds_greeting(struct control_reply *r)
{
	struct json_object *g = json_object_new_object(), *q = json_object_new_object();
	int ret;

	memset(r, 0, sizeof(*r));
	json_object_object_add(q, "version", version_info());
	json_object_object_add(q, "capabilities", json_object_new_array());
	json_object_object_add(g, "QMP", q);
	ret = reply_format(g, r);
	json_object_put(g);
	return ret;
}

static const char *const event_names[CONTROL_EV_COUNT] = {
	[CONTROL_EV_SHUTDOWN] = "SHUTDOWN",
	[CONTROL_EV_RESET] = "RESET",
	[CONTROL_EV_POWERDOWN] = "POWERDOWN",
	[CONTROL_EV_GUEST_PANICKED] = "GUEST_PANICKED",
	[CONTROL_EV_MEMORY_FAILURE] = "MEMORY_FAILURE",
	[CONTROL_EV_RAS_QUEUE_FULL] = "RAS_QUEUE_FULL",
};

const char *control_event_name(enum control_event_type type)
{
	return (unsigned)type < CONTROL_EV_COUNT ? event_names[type] : NULL;
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

/* The event's "data" member (QEMU's members first, then ours). */
static struct json_object *event_data(const struct control_event *ev)
{
	struct json_object *d = json_object_new_object(), *f;

	switch (ev->type) {
	case CONTROL_EV_SHUTDOWN:
	case CONTROL_EV_RESET:
		json_object_object_add(d, "guest", json_object_new_boolean(ev->stop.guest));
		add_str(d, "reason", ev->stop.reason);
		break;
	case CONTROL_EV_GUEST_PANICKED:
		add_str(d, "action", ev->panic.action);
		break;
	case CONTROL_EV_MEMORY_FAILURE:
		add_str(d, "recipient", ev->mf.recipient);
		add_str(d, "action", ev->mf.action);
		f = json_object_new_object();
		json_object_object_add(f, "action-required",
				       json_object_new_boolean(ev->mf.action_required));
		json_object_object_add(f, "recursive", json_object_new_boolean(ev->mf.recursive));
		json_object_object_add(d, "flags", f);
		if (ev->mf.has_address)
			add_hex(d, "address", ev->mf.address);
		if (ev->mf.found)
			add_str(d, "found", ev->mf.found);
		if (ev->mf.delivery)
			add_str(d, "delivery", ev->mf.delivery);
		if (ev->mf.vcpu >= 0)
			add_u64(d, "vcpu", (uint64_t)ev->mf.vcpu);
		break;
	case CONTROL_EV_RAS_QUEUE_FULL:
		add_u64(d, "source", ev->qfull.source);
		add_hex(d, "address", ev->qfull.address);
		add_u64(d, "queued", ev->qfull.queued);
		break;
	default:
		break;
	}
	return d;
}

int control_cmds_event_line(const struct control_event *ev, struct control_reply *r)
{
	struct json_object *o, *ts;
	const char *name = control_event_name(ev->type);
	int ret;

	memset(r, 0, sizeof(*r));
	if (!name)
		return -EINVAL;
	o = json_object_new_object();
	add_str(o, "event", name);
	json_object_object_add(o, "data", event_data(ev));
	ts = json_object_new_object();
	json_object_object_add(ts, "seconds", json_object_new_int64(ev->ts_sec));
	json_object_object_add(ts, "microseconds", json_object_new_int64(ev->ts_usec));
	json_object_object_add(o, "timestamp", ts);
	ret = reply_format(o, r);
	json_object_put(o);
	return ret;
}

int control_cmds_error_line(const char *desc, struct control_reply *r)
{
	struct cmd_error e = { .cls = ERR_GENERIC };

	memset(r, 0, sizeof(*r));
	snprintf(e.desc, sizeof(e.desc), "%s", desc);
	return error_reply(&e, NULL, r);
}

void control_reply_free(struct control_reply *r)
{
	free(r->line);
	r->line = NULL;
	r->len = 0;
}
