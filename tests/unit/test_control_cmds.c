/* Unit tests for vmm/control_cmds.c: every command driven through the table
 * by request lines against a fake control_env, checking the exact reply
 * bytes (the e2e tests and ctl parse them), argument checking, RAS absent,
 * errors from the env mapped to their messages, and quit's stop request. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control.h"
#include "control_cmds.h"
#include "control_proto.h"
#include "ras/cper.h"
#include "util.h"
#include "version.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x10000000ULL   /* 256 MiB */
#define MAX_POISONED 4096        /* what query-ras lists at most */

/* Records what the commands asked of the VM and answers with canned values. */
struct fake_vm {
	int mem_calls, mem_ret;
	uint64_t mem_gpa;
	enum ras_inject_mode mem_mode;
	enum ras_kind mem_kind;
	unsigned mem_vcpu;

	int post_calls, post_ret;
	enum ras_source_kind post_kind;
	unsigned post_vcpu;
	uint8_t post_rec[4096];
	size_t post_len;

	int serror_calls, serror_ret;
	unsigned serror_vcpu;
	uint64_t serror_esr;

	struct ras_stats stats;
	size_t npoisoned;        /* reported count; the list is 0x40000000 + i pages */

	bool running;
	bool paused;
	unsigned boots;
	uint64_t hw_errors_gpa;
	int stops;

	size_t ndevices;         /* devices() reports this many */
	size_t devices_max;      /* the 'max' devices() was given */
};

static int fake_post_error(void *opaque, enum ras_source_kind kind, unsigned vcpu,
			   const uint8_t *rec, size_t len)
{
	struct fake_vm *f = opaque;

	f->post_calls++;
	f->post_kind = kind;
	f->post_vcpu = vcpu;
	assert_true(len <= sizeof(f->post_rec));
	memcpy(f->post_rec, rec, len);
	f->post_len = len;
	return f->post_ret;
}

static int fake_inject_mem(void *opaque, uint64_t gpa, enum ras_inject_mode mode,
			   enum ras_kind kind, unsigned vcpu)
{
	struct fake_vm *f = opaque;

	f->mem_calls++;
	f->mem_gpa = gpa;
	f->mem_mode = mode;
	f->mem_kind = kind;
	f->mem_vcpu = vcpu;
	return f->mem_ret;
}

static void fake_ras_stats(void *opaque, struct ras_stats *st)
{
	struct fake_vm *f = opaque;

	*st = f->stats;
}

static size_t fake_ras_poisoned(void *opaque, uint64_t *out, size_t max)
{
	struct fake_vm *f = opaque;
	size_t i;

	for (i = 0; i < f->npoisoned && i < max; i++)
		out[i] = RAM_BASE + i * 0x1000;
	return f->npoisoned;
}

static int fake_inject_serror(void *opaque, unsigned vcpu, uint64_t esr)
{
	struct fake_vm *f = opaque;

	f->serror_calls++;
	f->serror_vcpu = vcpu;
	f->serror_esr = esr;
	return f->serror_ret;
}

static bool fake_running(void *opaque)
{
	return ((struct fake_vm *)opaque)->running;
}

static bool fake_paused(void *opaque)
{
	return ((struct fake_vm *)opaque)->paused;
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
	*exits = 100 + vcpu;
	*mmio = 10 + vcpu;
}

/* A UART without counters, a virtio disk with one queue and counters, a
 * device without a window or interrupt; then copies of the UART. */
static size_t fake_devices(void *opaque, struct control_device *out, size_t max)
{
	struct fake_vm *f = opaque;
	size_t i;

	f->devices_max = max;
	for (i = 0; i < f->ndevices && i < max; i++) {
		switch (i) {
		case 1:
			out[i] = (struct control_device){
				.name = "virtio-blk", .base = 0x0a000000, .size = 0x200, .spi = 16,
				.st = { .model = "virtio-blk", .nqueues = 1,
					.q = { { .popped = 5, .pushed = 4, .notifies = 3,
						 .malformed = 1 } } },
			};
			dev_stats_add(&out[i].st, "status", 15);
			dev_stats_add(&out[i].st, "reads", 7);
			break;
		case 2:
			out[i] = (struct control_device){ .name = "ged", .spi = -1 };
			break;
		default:
			out[i] = (struct control_device){
				.name = "pl011", .base = 0x09000000, .size = 0x1000, .spi = 1,
			};
		}
	}
	return f->ndevices;
}

static void fake_request_stop(void *opaque)
{
	((struct fake_vm *)opaque)->stops++;
}

static int resets, powerdowns, powerdown_ret;

static void fake_request_reset(void *opaque)
{
	resets++;
}

static int fake_request_powerdown(void *opaque)
{
	powerdowns++;
	return powerdown_ret;
}

struct fixture {
	struct fake_vm vm;
	struct control_env env;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->vm.running = true;
	fx->vm.boots = 1;
	fx->vm.hw_errors_gpa = 0x7fff0000;
	fx->env = (struct control_env){
		.opaque = &fx->vm,
		.ncpus = 2,
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.firmware = true,
		.inject_memory_error = fake_inject_mem,
		.post_error = fake_post_error,
		.ras_stats = fake_ras_stats,
		.ras_poisoned = fake_ras_poisoned,
		.inject_serror = fake_inject_serror,
		.running = fake_running,
		.boots = fake_boots,
		.hw_errors_gpa = fake_hw_errors_gpa,
		.vcpu_exits = fake_vcpu_exits,
		.request_stop = fake_request_stop,
		.request_reset = fake_request_reset,
		.request_powerdown = fake_request_powerdown,
	};
	resets = powerdowns = powerdown_ret = 0;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Run 'req' and check the reply line is exactly 'want' + "\n"; no command
 * but quit may leave work for after the reply. */
static void expect_reply(const struct control_env *env, const char *req, const char *want)
{
	struct control_reply r;

	assert_int_equal(control_cmds_handle_line(env, req, strlen(req), &r), 0);
	assert_non_null(r.line);
	assert_int_equal(r.len, strlen(want) + 1);
	assert_int_equal(r.line[r.len - 1], '\n');
	r.line[r.len - 1] = '\0';
	assert_string_equal(r.line, want);
	assert_null(r.after);
	control_reply_free(&r);
	control_reply_free(&r);   /* idempotent */
}

#define GENERIC(desc) "{\"error\":{\"class\":\"GenericError\",\"desc\":\"" desc "\"}}"

/* ---- inject-memory-error ------------------------------------------------ */

static void test_inject_mem_ok(void **state)
{
	struct fixture *fx = *state;

	expect_reply(&fx->env,
		     "{\"execute\":\"inject-memory-error\",\"arguments\":{\"gpa\":\"0x40001000\","
		     "\"mode\":\"hwpoison\",\"kind\":\"ar\",\"vcpu\":1},\"id\":7}",
		     "{\"return\":{\"gpa\":\"0x40001000\",\"mode\":\"hwpoison\",\"kind\":\"ar\","
		     "\"vcpu\":1},\"id\":7}");
	assert_int_equal(fx->vm.mem_calls, 1);
	assert_int_equal(fx->vm.mem_gpa, 0x40001000);
	assert_int_equal(fx->vm.mem_mode, RAS_INJECT_HWPOISON);
	assert_int_equal(fx->vm.mem_kind, RAS_KIND_AR);
	assert_int_equal(fx->vm.mem_vcpu, 1);
}

static void test_inject_mem_defaults_and_ao(void **state)
{
	struct fixture *fx = *state;

	/* Decimal integer gpa; mode cper, kind ar and vcpu 0 by default. */
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-memory-error\",\"arguments\":{\"gpa\":1073745920}}",
		     "{\"return\":{\"gpa\":\"0x40001000\",\"mode\":\"cper\",\"kind\":\"ar\","
		     "\"vcpu\":0}}");
	assert_int_equal(fx->vm.mem_mode, RAS_INJECT_CPER);
	assert_int_equal(fx->vm.mem_kind, RAS_KIND_AR);
	assert_int_equal(fx->vm.mem_vcpu, 0);

	/* AO has no vCPU in the reply; "command" is accepted for "execute";
	 * the last byte of RAM is in range. */
	expect_reply(&fx->env,
		     "{\"command\":\"inject-memory-error\",\"arguments\":{\"gpa\":\"0x4fffffff\","
		     "\"kind\":\"ao\"},\"id\":\"x\"}",
		     "{\"return\":{\"gpa\":\"0x4fffffff\",\"mode\":\"cper\",\"kind\":\"ao\"},"
		     "\"id\":\"x\"}");
	assert_int_equal(fx->vm.mem_kind, RAS_KIND_AO);
	assert_int_equal(fx->vm.mem_calls, 2);
}

static void test_inject_mem_bad_args(void **state)
{
	static const struct {
		const char *args, *desc;
	} cases[] = {
		{ "{}", "missing argument 'gpa'" },
		{ "{\"gpa\":-1}", "argument 'gpa' must not be negative" },
		{ "{\"gpa\":true}", "argument 'gpa' must be an integer" },
		{ "{\"gpa\":1.5}", "argument 'gpa' must be an integer" },
		{ "{\"gpa\":\"0xzz\"}",
		  "argument 'gpa' must be an unsigned integer (decimal or 0x hex)" },
		{ "{\"gpa\":\"0x40000000\",\"mode\":\"bogus\"}",
		  "'mode' must be \\\"cper\\\" or \\\"hwpoison\\\"" },
		{ "{\"gpa\":\"0x40000000\",\"mode\":3}", "argument 'mode' must be a string" },
		{ "{\"gpa\":\"0x40000000\",\"kind\":\"sync\"}",
		  "'kind' must be \\\"ar\\\" or \\\"ao\\\"" },
		{ "{\"gpa\":\"0x40000000\",\"vcpu\":2}", "vcpu 2 out of range (the VM has 2 vCPUs)" },
		{ "{\"gpa\":\"0x40000000\",\"vcpu\":\"0x10000000000000000\"}",
		  "argument 'vcpu' must be an unsigned integer (decimal or 0x hex)" },
		{ "{\"gpa\":\"0x10\"}",
		  "gpa 0x10 is outside guest RAM [0x40000000, 0x50000000)" },
		{ "{\"gpa\":\"0x50000000\"}",
		  "gpa 0x50000000 is outside guest RAM [0x40000000, 0x50000000)" },
		{ "{\"gpa\":\"0x40000000\",\"size\":1}", "unexpected argument 'size'" },
	};
	struct fixture *fx = *state;
	char req[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req),
			 "{\"execute\":\"inject-memory-error\",\"arguments\":%s,\"id\":%zu}",
			 cases[i].args, i);
		snprintf(want, sizeof(want),
			 "{\"error\":{\"class\":\"GenericError\",\"desc\":\"%s\"},\"id\":%zu}",
			 cases[i].desc, i);
		expect_reply(&fx->env, req, want);
	}
	/* Nothing reached the VM. */
	assert_int_equal(fx->vm.mem_calls, 0);
}

static void test_inject_mem_env_errors(void **state)
{
	static const char req[] =
		"{\"execute\":\"inject-memory-error\",\"arguments\":{\"gpa\":\"0x40002000\","
		"\"vcpu\":1}}";
	struct fixture *fx = *state;

	fx->vm.mem_ret = -EINVAL;
	expect_reply(&fx->env, req, GENERIC("gpa 0x40002000 or vcpu 1 rejected"));
	fx->vm.mem_ret = -EPERM;
	expect_reply(&fx->env, req,
		     GENERIC("MADV_HWPOISON refused (needs CAP_SYS_ADMIN and a kernel with "
			     "CONFIG_MEMORY_FAILURE); try mode \\\"cper\\\""));
	fx->vm.mem_ret = -EIO;
	expect_reply(&fx->env, req, GENERIC("injection failed: Input/output error"));
	assert_int_equal(fx->vm.mem_calls, 3);
}

/* ---- RAS absent ------------------------------------------------------------- */

static void test_ras_absent(void **state)
{
	struct fixture *fx = *state;

	fx->env.inject_memory_error = NULL;
	fx->env.ras_stats = NULL;
	fx->env.ras_poisoned = NULL;
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-memory-error\",\"arguments\":{\"gpa\":\"0x40000000\"}}",
		     GENERIC("RAS is not enabled (--ras)"));
	expect_reply(&fx->env, "{\"execute\":\"query-ras\"}", GENERIC("RAS is not enabled (--ras)"));
	expect_reply(&fx->env, "{\"execute\":\"query-vm\"}",
		     "{\"return\":{\"status\":\"running\",\"vcpus\":2,\"memory\":268435456,"
		     "\"memory-base\":1073741824,\"firmware\":true,\"ras\":false,\"boots\":1,"
		     "\"hardware-errors-gpa\":2147418112,\"vcpu-exits\":[{\"vcpu\":0,"
		     "\"exits\":100,\"mmio-exits\":10},{\"vcpu\":1,\"exits\":101,"
		     "\"mmio-exits\":11}]}}");
	/* SError injection does not need RAS. */
	expect_reply(&fx->env, "{\"execute\":\"inject-serror\"}", "{\"return\":{\"vcpu\":0}}");
}

/* ---- inject-serror -------------------------------------------------------- */

static void test_inject_serror_ok(void **state)
{
	struct fixture *fx = *state;

	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"vcpu\":1}}",
		     "{\"return\":{\"vcpu\":1}}");
	assert_int_equal(fx->vm.serror_vcpu, 1);
	assert_true(fx->vm.serror_esr == CONTROL_SERROR_NO_ESR);

	/* A whole SError ESR (the seeds' form): KVM gets its ISS, the reply
	 * echoes what was given. */
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-serror\",\"arguments\":{\"vcpu\":0,\"esr\":\"0xbe000011\"}}",
		     "{\"return\":{\"vcpu\":0,\"esr\":\"0xbe000011\"}}");
	assert_int_equal(fx->vm.serror_vcpu, 0);
	assert_int_equal(fx->vm.serror_esr, 0x11);

	/* An ISS of 0 is a syndrome too, not "none". */
	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"esr\":0}}",
		     "{\"return\":{\"vcpu\":0,\"esr\":\"0x0\"}}");
	assert_int_equal(fx->vm.serror_esr, 0);
	assert_int_equal(fx->vm.serror_calls, 3);
}

static void test_inject_serror_bad_args(void **state)
{
	struct fixture *fx = *state;

	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"vcpu\":5}}",
		     GENERIC("vcpu 5 out of range (the VM has 2 vCPUs)"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-serror\",\"arguments\":{\"esr\":\"0x2000000\"}}",
		     GENERIC("esr 0x2000000 is neither an ISS (bits [24:0], max 0x1ffffff) "
			     "nor an SError ESR (EC 0x2f)"));
	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"esr\":null}}",
		     "{\"return\":{\"vcpu\":0}}");
	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"esr\":[1]}}",
		     GENERIC("argument 'esr' must be an integer"));
	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"gpa\":0}}",
		     GENERIC("unexpected argument 'gpa'"));
	/* Only the null esr got through. */
	assert_int_equal(fx->vm.serror_calls, 1);
	assert_true(fx->vm.serror_esr == CONTROL_SERROR_NO_ESR);
}

static void test_inject_serror_env_errors(void **state)
{
	struct fixture *fx = *state;

	fx->vm.serror_ret = -ENOTSUP;
	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"esr\":\"0x11\"}}",
		     GENERIC("KVM cannot set an SError syndrome on this host "
			     "(no KVM_CAP_ARM_INJECT_SERROR_ESR: CPU without RAS extension); "
			     "omit 'esr' to inject an SError without one"));
	/* Without a syndrome -ENOTSUP is just a failure. */
	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"vcpu\":1}}",
		     GENERIC("KVM_SET_VCPU_EVENTS on vCPU 1 failed: Operation not supported"));
	fx->vm.serror_ret = -EINVAL;
	expect_reply(&fx->env, "{\"execute\":\"inject-serror\",\"arguments\":{\"esr\":\"0x11\"}}",
		     GENERIC("KVM_SET_VCPU_EVENTS on vCPU 0 failed: Invalid argument"));
	assert_int_equal(fx->vm.serror_calls, 3);
}

/* ---- queries and quit --------------------------------------------------------- */

static void test_query_ras(void **state)
{
	struct fixture *fx = *state;
	struct ras_stats *st = &fx->vm.stats;

	st->errors_ar = 1;
	st->errors_ao = 2;
	st->errors_injected = 3;
	st->errors_ignored = 4;
	st->records_written = 5;
	st->records_queued = 6;
	st->records_max_queue = 7;
	st->records_retried = 8;
	st->records_dropped = 9;
	st->sea_injected = 10;
	st->irqs_raised = 11;
	st->poisoned_pages = 12;
	st->pages_replaced = 13;
	st->lat_samples = 14;
	st->lat_min_us = 15;
	st->lat_median_us = 16;
	st->lat_max_us = UINT64_MAX;
	st->errors_ao_signal = 19;
	st->errors_ao_scan = 20;
	st->scans = 21;
	st->scan_last_us = 22;
	st->scan_last_elapsed_us = 23;
	st->hwpoison_swap_type = 24;
	st->errors_ao_io = 25;
	st->records_posted = 26;
	fx->vm.npoisoned = 2;
	expect_reply(&fx->env, "{\"execute\":\"query-ras\",\"id\":[1,2]}",
		     "{\"return\":{\"errors_ar\":1,\"errors_ao\":2,\"errors_injected\":3,"
		     "\"errors_ignored\":4,\"records_written\":5,\"records_queued\":6,"
		     "\"records_max_queue\":7,\"records_retried\":8,\"records_dropped\":9,"
		     "\"sea_injected\":10,\"irqs_raised\":11,\"poisoned_pages\":12,"
		     "\"pages_replaced\":13,\"lat_samples\":14,\"lat_min_us\":15,"
		     "\"lat_median_us\":16,\"lat_max_us\":18446744073709551615,"
		     "\"errors_ao_signal\":19,\"errors_ao_scan\":20,\"scans\":21,"
		     "\"scan_last_us\":22,\"scan_last_elapsed_us\":23,\"hwpoison_swap_type\":24,"
		     "\"errors_ao_io\":25,\"records_posted\":26,\"poisoned\":[\"0x40000000\",\"0x40001000\"],\"poisoned-truncated\":false},"
		     "\"id\":[1,2]}");
}

static void test_query_ras_truncated(void **state)
{
	struct fixture *fx = *state;
	struct control_reply r;
	const char *p;
	size_t n = 0;

	fx->vm.npoisoned = MAX_POISONED + 1;
	assert_int_equal(control_cmds_handle_line(&fx->env, "{\"execute\":\"query-ras\"}", 23,
						  &r), 0);
	for (p = strstr(r.line, "\"poisoned\":["); p && *p != ']'; p++)
		n += *p == ',';
	/* 4096 entries: 4095 commas inside the list. */
	assert_int_equal(n, MAX_POISONED - 1);
	assert_non_null(strstr(r.line, "\"0x40fff000\"]"));
	assert_non_null(strstr(r.line, ",\"poisoned-truncated\":true}}\n"));
	control_reply_free(&r);

	fx->vm.npoisoned = MAX_POISONED;
	assert_int_equal(control_cmds_handle_line(&fx->env, "{\"execute\":\"query-ras\"}", 23,
						  &r), 0);
	assert_non_null(strstr(r.line, ",\"poisoned-truncated\":false}}\n"));
	control_reply_free(&r);
}

static void test_query_vm(void **state)
{
	struct fixture *fx = *state;

	fx->vm.running = false;
	fx->vm.boots = 3;
	fx->vm.hw_errors_gpa = 0;
	fx->env.firmware = false;
	fx->env.ncpus = 1;
	expect_reply(&fx->env, "{\"execute\":\"query-vm\",\"arguments\":{}}",
		     "{\"return\":{\"status\":\"stopping\",\"vcpus\":1,\"memory\":268435456,"
		     "\"memory-base\":1073741824,\"firmware\":false,\"ras\":true,\"boots\":3,"
		     "\"hardware-errors-gpa\":0,\"vcpu-exits\":[{\"vcpu\":0,\"exits\":100,"
		     "\"mmio-exits\":10}]}}");
	expect_reply(&fx->env, "{\"execute\":\"query-vm\",\"arguments\":{\"extra\":1}}",
		     GENERIC("unexpected argument 'extra'"));
	/* After a guest panic with --on-panic pause. */
	fx->env.paused = fake_paused;
	fx->vm.running = true;
	fx->vm.paused = true;
	expect_reply(&fx->env, "{\"execute\":\"query-vm\"}",
		     "{\"return\":{\"status\":\"paused\",\"vcpus\":1,\"memory\":268435456,"
		     "\"memory-base\":1073741824,\"firmware\":false,\"ras\":true,\"boots\":3,"
		     "\"hardware-errors-gpa\":0,\"vcpu-exits\":[{\"vcpu\":0,\"exits\":100,"
		     "\"mmio-exits\":10}]}}");
	fx->vm.paused = false;
	expect_reply(&fx->env, "{\"execute\":\"query-vm\"}",
		     "{\"return\":{\"status\":\"running\",\"vcpus\":1,\"memory\":268435456,"
		     "\"memory-base\":1073741824,\"firmware\":false,\"ras\":true,\"boots\":3,"
		     "\"hardware-errors-gpa\":0,\"vcpu-exits\":[{\"vcpu\":0,\"exits\":100,"
		     "\"mmio-exits\":10}]}}");
}

/* With the devices callback: "devices" after the existing keys, one
 * object per device; queues and counters only where reported. */
static void test_query_vm_devices(void **state)
{
	struct fixture *fx = *state;

	fx->env.devices = fake_devices;
	fx->env.ncpus = 1;
	fx->vm.ndevices = 3;
	expect_reply(&fx->env, "{\"execute\":\"query-vm\"}",
		     "{\"return\":{\"status\":\"running\",\"vcpus\":1,\"memory\":268435456,"
		     "\"memory-base\":1073741824,\"firmware\":true,\"ras\":true,\"boots\":1,"
		     "\"hardware-errors-gpa\":2147418112,\"vcpu-exits\":[{\"vcpu\":0,"
		     "\"exits\":100,\"mmio-exits\":10}],\"devices\":["
		     "{\"name\":\"pl011\",\"base\":150994944,\"size\":4096,\"spi\":1},"
		     "{\"name\":\"virtio-blk\",\"base\":167772160,\"size\":512,\"spi\":16,"
		     "\"queues\":[{\"queue\":0,\"popped\":5,\"pushed\":4,\"notifies\":3,"
		     "\"malformed\":1}],\"counters\":{\"status\":15,\"reads\":7}},"
		     "{\"name\":\"ged\",\"base\":0,\"size\":0}]}}");
	assert_int_equal(fx->vm.devices_max, CONTROL_MAX_DEVICES);
}

/* More devices than the list holds: the first CONTROL_MAX_DEVICES. */
static void test_query_vm_devices_many(void **state)
{
	struct fixture *fx = *state;
	struct control_reply r;
	static const char req[] = "{\"execute\":\"query-vm\"}";
	const char *p;
	unsigned n = 0;

	fx->env.devices = fake_devices;
	fx->vm.ndevices = CONTROL_MAX_DEVICES + 8;
	assert_int_equal(control_cmds_handle_line(&fx->env, req, strlen(req), &r), 0);
	assert_non_null(r.line);
	for (p = r.line; (p = strstr(p, "{\"name\":")); p++)
		n++;
	assert_int_equal(n, CONTROL_MAX_DEVICES);
	control_reply_free(&r);
}

static void test_quit(void **state)
{
	static const char req[] = "{\"execute\":\"quit\",\"id\":null}";
	struct fixture *fx = *state;
	struct control_reply r;

	assert_int_equal(control_cmds_handle_line(&fx->env, req, strlen(req), &r), 0);
	assert_string_equal(r.line, "{\"return\":{}}\n");
	/* The stop waits until the server sent the reply. */
	assert_int_equal(fx->vm.stops, 0);
	assert_non_null(r.after);
	r.after(&fx->env);
	assert_int_equal(fx->vm.stops, 1);
	control_reply_free(&r);

	/* A refused quit stops nothing. */
	expect_reply(&fx->env, "{\"execute\":\"quit\",\"arguments\":{\"now\":true}}",
		     GENERIC("unexpected argument 'now'"));
	assert_int_equal(fx->vm.stops, 1);
}

/* ---- the request envelope ----------------------------------------------------- */

static void test_envelope_errors(void **state)
{
	static const char *const bad[] = {
		"{notjson", "{\"execute\":\"quit\"} x", "{\"execute\":\"quit\"}{}", "{\"a\":}",
	};
	struct fixture *fx = *state;
	struct control_reply r;
	size_t i;

	expect_reply(&fx->env, "{\"execute\":\"frobnicate\",\"id\":3}",
		     "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"unknown command "
		     "'frobnicate'\"},\"id\":3}");
	expect_reply(&fx->env, "[1,2]", GENERIC("a request must be a JSON object"));
	expect_reply(&fx->env, "{\"execute\":\"quit\"", GENERIC("invalid JSON: incomplete input"));
	expect_reply(&fx->env, "{\"execute\":\"quit\",\"command\":\"quit\"}",
		     GENERIC("give only one of 'execute' and 'command'"));
	expect_reply(&fx->env, "{\"id\":1}",
		     "{\"error\":{\"class\":\"GenericError\",\"desc\":\"the request needs "
		     "\\\"execute\\\": \\\"<command>\\\"\"},\"id\":1}");
	expect_reply(&fx->env, "{\"execute\":7}",
		     GENERIC("the request needs \\\"execute\\\": \\\"<command>\\\""));
	expect_reply(&fx->env, "{\"execute\":\"quit\",\"arguments\":[]}",
		     GENERIC("'arguments' must be an object"));
	expect_reply(&fx->env, "{\"execute\":\"quit\",\"token\":\"x\"}",
		     GENERIC("unexpected member 'token' in the request"));

	/* json-c's own wording is not ours to pin; the prefix is. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(control_cmds_handle_line(&fx->env, bad[i], strlen(bad[i]), &r), 0);
		assert_ptr_equal(strstr(r.line, "{\"error\":{\"class\":\"GenericError\","
					"\"desc\":\"invalid JSON: "), r.line);
		assert_null(r.after);
		control_reply_free(&r);
	}

	/* An embedded NUL is not whitespace after the object. */
	assert_int_equal(control_cmds_handle_line(&fx->env, "{\"execute\":\"quit\"}\0", 19, &r), 0);
	assert_string_equal(r.line,
			    GENERIC("invalid JSON: trailing characters after the object") "\n");
	control_reply_free(&r);
	assert_int_equal(fx->vm.stops, 0);
}

/* Found by tests/fuzz/fuzz_control.c (reproducers in
 * tests/fuzz/crashes/control): replies must stay valid UTF-8. A request
 * with invalid UTF-8 (even what json-c's UTF-8 check accepts) was echoed
 * into the reply; a name cut at 64 bytes could end inside a character. */
static void test_utf8_replies(void **state)
{
	struct fixture *fx = *state;
	char req[128], want[192], name[70];

	expect_reply(&fx->env, "{\"execute\":\"\xff\"}",
		     GENERIC("invalid JSON: invalid utf-8 string"));
	expect_reply(&fx->env, "{\"execute\":\"quit\",\"\xc3\"}",
		     GENERIC("invalid JSON: invalid utf-8 string"));
	/* What json-c's own check lets through: an overlong form, an encoded
	 * surrogate, a code point above U+10FFFF. */
	expect_reply(&fx->env, "{\"execute\":\"\xc1\xa9\"}",
		     GENERIC("invalid JSON: invalid utf-8 string"));
	expect_reply(&fx->env, "{\"execute\":\"quit\",\"id\":\"\xed\xa0\x80\"}",
		     GENERIC("invalid JSON: invalid utf-8 string"));
	expect_reply(&fx->env, "{\"execute\":\"\xf4\x90\x80\x80\"}",
		     GENERIC("invalid JSON: invalid utf-8 string"));
	/* Escapes of lone surrogates become U+FFFD; good UTF-8 passes. */
	expect_reply(&fx->env, "{\"execute\":\"\\udc00\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		     "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"unknown command "
		     "'\xef\xbf\xbd\xe2\x82\xac\xf0\x9f\x98\x80'\"}}");
	/* 63 ASCII bytes then U+00E9 (2 bytes): the quote stops before it. */
	memset(name, 'a', 63);
	memcpy(name + 63, "\xc3\xa9", 3);
	snprintf(req, sizeof(req), "{\"execute\":\"%s\"}", name);
	snprintf(want, sizeof(want), "{\"error\":{\"class\":\"CommandNotFound\","
		 "\"desc\":\"unknown command '%.63s'\"}}", name);
	expect_reply(&fx->env, req, want);
	/* 62 ASCII bytes then U+00E9: it fits whole in 64 bytes. */
	snprintf(req, sizeof(req), "{\"execute\":\"quit\",\"%s\":1}", name + 1);
	snprintf(want, sizeof(want), GENERIC("unexpected member '%s' in the request"), name + 1);
	expect_reply(&fx->env, req, want);
	assert_int_equal(fx->vm.stops, 0);
}

static void test_error_line(void **state)
{
	struct control_reply r;

	assert_int_equal(control_cmds_error_line("too many clients (at most 8)", &r), 0);
	assert_string_equal(r.line, GENERIC("too many clients (at most 8)") "\n");
	assert_int_equal(r.len, strlen(r.line));
	assert_null(r.after);
	control_reply_free(&r);
}

/* ---- QMP: commands, session, greeting, events ------------------------- */

static void test_query_commands(void **state)
{
	struct fixture *fx = *state;

	expect_reply(&fx->env, "{\"execute\":\"query-commands\",\"id\":[1]}",
		     "{\"return\":[{\"name\":\"inject-error\"},{\"name\":\"inject-memory-error\"},"
		     "{\"name\":\"inject-serror\"},{\"name\":\"qmp_capabilities\"},"
		     "{\"name\":\"query-commands\"},{\"name\":\"query-ras\"},"
		     "{\"name\":\"query-version\"},{\"name\":\"query-vm\"},"
		     "{\"name\":\"quit\"},{\"name\":\"system_powerdown\"},"
		     "{\"name\":\"system_reset\"}],\"id\":[1]}");
	expect_reply(&fx->env, "{\"execute\":\"query-commands\",\"arguments\":{\"x\":1}}",
		     GENERIC("unexpected argument 'x'"));
}

static void test_query_version(void **state)
{
	struct fixture *fx = *state;
	char want[256];
	unsigned v[3];

	ctlp_version_numbers(MVR_VERSION, v);
	snprintf(want, sizeof(want),
		 "{\"return\":{\"qemu\":{\"micro\":%u,\"minor\":%u,\"major\":%u},"
		 "\"package\":\"microvm-ras %s\"}}", v[2], v[1], v[0], MVR_VERSION);
	expect_reply(&fx->env, "{\"execute\":\"query-version\"}", want);
}

static void test_system_reset(void **state)
{
	static const char req[] = "{\"execute\":\"system_reset\",\"id\":3}";
	struct fixture *fx = *state;
	struct control_reply r;

	assert_int_equal(control_cmds_handle_line(&fx->env, req, strlen(req), &r), 0);
	assert_string_equal(r.line, "{\"return\":{},\"id\":3}\n");
	/* The reset waits until the reply was sent. */
	assert_int_equal(resets, 0);
	assert_non_null(r.after);
	r.after(&fx->env);
	assert_int_equal(resets, 1);
	control_reply_free(&r);

	fx->env.request_reset = NULL;
	expect_reply(&fx->env, "{\"execute\":\"system_reset\"}",
		     GENERIC("this VM cannot be reset from here"));
	assert_int_equal(resets, 1);
}

static void test_system_powerdown(void **state)
{
	struct fixture *fx = *state;

	expect_reply(&fx->env, "{\"execute\":\"system_powerdown\"}", "{\"return\":{}}");
	assert_int_equal(powerdowns, 1);
	/* Direct boot: no ACPI, no power button. */
	powerdown_ret = -ENODEV;
	expect_reply(&fx->env, "{\"execute\":\"system_powerdown\"}",
		     GENERIC("the guest has no power button: system_powerdown needs ACPI "
			     "(firmware boot); use system_reset or quit"));
	powerdown_ret = -EIO;
	expect_reply(&fx->env, "{\"execute\":\"system_powerdown\"}",
		     GENERIC("cannot press the power button: Input/output error"));
	fx->env.request_powerdown = NULL;
	expect_reply(&fx->env, "{\"execute\":\"system_powerdown\"}",
		     GENERIC("this VM has no power button"));
	assert_int_equal(powerdowns, 3);
}

/* Run 'req' in session 's'; the reply must be exactly 'want'. */
static void expect_session(const struct control_env *env, struct control_session *s,
			   const char *req, const char *want)
{
	struct control_reply r;

	assert_int_equal(control_cmds_session_line(env, s, req, strlen(req), &r), 0);
	assert_non_null(r.line);
	r.line[r.len - 1] = '\0';
	assert_string_equal(r.line, want);
	if (r.after)
		r.after(env);
	control_reply_free(&r);
}

#define NOT_FOUND(desc) "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"" desc "\"}"

/* Negotiation mode refuses everything but qmp_capabilities, whose bad
 * forms keep the session negotiating; command mode refuses it. */
static void test_session_state_machine(void **state)
{
	struct fixture *fx = *state;
	struct control_session s = { 0 };

	expect_session(&fx->env, &s, "{\"execute\":\"quit\",\"id\":1}",
		       NOT_FOUND("expecting capabilities negotiation with 'qmp_capabilities'")
		       ",\"id\":1}");
	assert_int_equal(fx->vm.stops, 0);
	expect_session(&fx->env, &s, "{\"execute\":\"no-such\"}",
		       NOT_FOUND("expecting capabilities negotiation with 'qmp_capabilities'") "}");
	/* Envelope errors are GenericError in either mode. */
	expect_session(&fx->env, &s, "[1]", GENERIC("a request must be a JSON object"));
	expect_session(&fx->env, &s, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"x\":1}}",
		       GENERIC("unexpected argument 'x'"));
	expect_session(&fx->env, &s, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":1}}",
		       GENERIC("argument 'enable' must be an array"));
	expect_session(&fx->env, &s, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[2]}}",
		       GENERIC("'enable' must list capability names"));
	expect_session(&fx->env, &s, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}",
		       GENERIC("capability 'oob' is not available"));
	assert_false(s.command_mode);
	expect_session(&fx->env, &s, "{\"execute\":\"qmp_capabilities\",\"id\":{\"a\":\"b\"}}",
		       "{\"return\":{},\"id\":{\"a\":\"b\"}}");
	assert_true(s.command_mode);
	expect_session(&fx->env, &s, "{\"execute\":\"qmp_capabilities\"}",
		       NOT_FOUND("capabilities negotiation is already complete, command ignored") "}");
	assert_true(s.command_mode);
	expect_session(&fx->env, &s, "{\"execute\":\"quit\"}", "{\"return\":{}}");
	assert_int_equal(fx->vm.stops, 1);
}

static void test_greeting(void **state)
{
	struct control_reply r;
	char want[256];
	unsigned v[3];

	ctlp_version_numbers(MVR_VERSION, v);
	snprintf(want, sizeof(want),
		 "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":%u,\"minor\":%u,\"major\":%u},"
		 "\"package\":\"microvm-ras %s\"},\"capabilities\":[]}}\n",
		 v[2], v[1], v[0], MVR_VERSION);
	assert_int_equal(control_cmds_greeting(&r), 0);
	assert_string_equal(r.line, want);
	assert_int_equal(r.len, strlen(want));
	control_reply_free(&r);
}

static void expect_event(const struct control_event *ev, const char *want)
{
	struct control_reply r;

	assert_int_equal(control_cmds_event_line(ev, &r), 0);
	assert_int_equal(r.line[r.len - 1], '\n');
	r.line[r.len - 1] = '\0';
	assert_string_equal(r.line, want);
	control_reply_free(&r);
}

#define TS "\"timestamp\":{\"seconds\":1267061043,\"microseconds\":959568}}"

/* Every event's exact line: QEMU's members first, then ours. */
static void test_event_lines(void **state)
{
	struct control_event ev = { .ts_sec = 1267061043, .ts_usec = 959568 };
	struct control_reply r;

	ev.type = CONTROL_EV_SHUTDOWN;
	ev.stop.guest = false;
	ev.stop.reason = "host-qmp-quit";
	expect_event(&ev, "{\"event\":\"SHUTDOWN\",\"data\":{\"guest\":false,"
			  "\"reason\":\"host-qmp-quit\"}," TS);
	ev.type = CONTROL_EV_RESET;
	ev.stop.guest = true;
	ev.stop.reason = "guest-reset";
	expect_event(&ev, "{\"event\":\"RESET\",\"data\":{\"guest\":true,"
			  "\"reason\":\"guest-reset\"}," TS);
	ev.type = CONTROL_EV_POWERDOWN;
	expect_event(&ev, "{\"event\":\"POWERDOWN\",\"data\":{}," TS);
	ev.type = CONTROL_EV_GUEST_PANICKED;
	ev.panic.action = "pause";
	expect_event(&ev, "{\"event\":\"GUEST_PANICKED\",\"data\":{\"action\":\"pause\"}," TS);

	memset(&ev.mf, 0, sizeof(ev.mf));
	ev.type = CONTROL_EV_MEMORY_FAILURE;
	ev.mf.recipient = "guest";
	ev.mf.action = "inject";
	ev.mf.action_required = true;
	ev.mf.has_address = true;
	ev.mf.address = 0x40001000;
	ev.mf.found = "sigbus";
	ev.mf.delivery = "sea";
	ev.mf.vcpu = 1;
	expect_event(&ev, "{\"event\":\"MEMORY_FAILURE\",\"data\":{\"recipient\":\"guest\","
			  "\"action\":\"inject\",\"flags\":{\"action-required\":true,"
			  "\"recursive\":false},\"address\":\"0x40001000\",\"found\":\"sigbus\","
			  "\"delivery\":\"sea\",\"vcpu\":1}," TS);
	/* Outside guest RAM: no address, no vCPU. */
	memset(&ev.mf, 0, sizeof(ev.mf));
	ev.mf.recipient = "hypervisor";
	ev.mf.action = "ignore";
	ev.mf.vcpu = -1;
	expect_event(&ev, "{\"event\":\"MEMORY_FAILURE\",\"data\":{\"recipient\":\"hypervisor\","
			  "\"action\":\"ignore\",\"flags\":{\"action-required\":false,"
			  "\"recursive\":false}}," TS);

	ev.type = CONTROL_EV_RAS_QUEUE_FULL;
	ev.qfull.source = 2;
	ev.qfull.address = 0x40200000;
	ev.qfull.queued = 64;
	expect_event(&ev, "{\"event\":\"RAS_QUEUE_FULL\",\"data\":{\"source\":2,"
			  "\"address\":\"0x40200000\",\"queued\":64}," TS);

	ev.type = CONTROL_EV_COUNT;
	assert_int_equal(control_cmds_event_line(&ev, &r), -EINVAL);
	assert_null(r.line);
	assert_null(control_event_name(CONTROL_EV_COUNT));
	assert_string_equal(control_event_name(CONTROL_EV_GUEST_PANICKED), "GUEST_PANICKED");
}

/* ---- inject-error --------------------------------------------------------- */

static void test_inject_error_memory(void **state)
{
	struct fixture *fx = *state;
	const uint8_t *sec = fx->vm.post_rec + CPER_OFF_SECTION;

	if (!RAS_ENABLED)
		skip();	/* the record builders are left out */
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\","
		     "\"source\":\"polled\",\"pa\":\"0x40001000\",\"node\":1,\"row\":\"0x77\","
		     "\"bit-position\":5,\"error-type\":2}}",
		     "{\"return\":{\"type\":\"memory\",\"source\":\"polled\",\"severity\":\"corrected\","
		     "\"length\":172,\"status\":\"written\"}}");
	assert_int_equal(fx->vm.post_calls, 1);
	assert_int_equal(fx->vm.post_kind, RAS_SOURCE_POLLED);
	assert_int_equal(fx->vm.post_len, 172);
	assert_int_equal(cper_check_record(fx->vm.post_rec, 172), 0);
	assert_int_equal(get_le32(fx->vm.post_rec + 16), CPER_SEV_CORRECTED);
	assert_int_equal(get_le64(sec), CPER_MEM_VALID_PA | CPER_MEM_VALID_ERROR_TYPE |
			 CPER_MEM_VALID_NODE | CPER_MEM_VALID_ROW | CPER_MEM_VALID_BIT_POSITION);
	assert_int_equal(get_le64(sec + 16), 0x40001000);
	assert_int_equal(get_le16(sec + 32), 1);
	assert_int_equal(get_le16(sec + 42), 0x77);
	assert_int_equal(get_le16(sec + 46), 5);
	assert_int_equal(sec[72], 2);

	/* queued, fatal, on vCPU 1's SEA source */
	fx->vm.post_ret = 1;
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\","
		     "\"source\":\"sea:1\",\"severity\":\"fatal\",\"pa\":4096}}",
		     "{\"return\":{\"type\":\"memory\",\"source\":\"sea:1\",\"severity\":\"fatal\","
		     "\"length\":172,\"status\":\"queued\"}}");
	assert_int_equal(fx->vm.post_kind, RAS_SOURCE_SEA);
	assert_int_equal(fx->vm.post_vcpu, 1);
	assert_int_equal(get_le32(fx->vm.post_rec), CPER_BLOCK_UE_VALID);
	assert_int_equal(get_le32(fx->vm.post_rec + 16), CPER_SEV_FATAL);
}

static void test_inject_error_arm(void **state)
{
	struct fixture *fx = *state;
	const uint8_t *sec = fx->vm.post_rec + CPER_STATUS_BLOCK_LEN + CPER_DATA_ENTRY_LEN;
	const uint8_t *inf = sec + CPER_ARM_SECTION_HDR_LEN;

	if (!RAS_ENABLED)
		skip();	/* the record builders are left out */
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"arm\","
		     "\"source\":\"async\",\"mpidr\":\"0x80000001\",\"error\":\"tlb\",\"level\":1,"
		     "\"operation\":3,\"va\":\"0xffff0000\",\"pa\":\"0x40002000\"}}",
		     "{\"return\":{\"type\":\"arm\",\"source\":\"async\",\"severity\":\"corrected\","
		     "\"length\":164,\"status\":\"written\"}}");
	assert_int_equal(fx->vm.post_kind, RAS_SOURCE_ASYNC);
	assert_int_equal(cper_check_record(fx->vm.post_rec, fx->vm.post_len), 0);
	assert_int_equal(get_le32(sec), CPER_ARM_VALID_MPIDR | CPER_ARM_VALID_RUNNING_STATE);
	assert_int_equal(get_le16(sec + 4), 1);
	assert_int_equal(get_le64(sec + 16), 0x80000001);
	assert_int_equal(get_le32(sec + 32), 1);	/* running */
	assert_int_equal(inf[4], CPER_ARM_TYPE_TLB);
	assert_int_equal(get_le16(inf + 2), CPER_ARM_INFO_VALID_FLAGS | CPER_ARM_INFO_VALID_ERR_INFO |
			 CPER_ARM_INFO_VALID_VA | CPER_ARM_INFO_VALID_PA);
	/* level 1, operation 3 (data read), corrected: valid bits 0x16 */
	assert_int_equal(get_le64(inf + 8), 0x16ull | 3ull << 18 | 1ull << 22 | 1ull << 26);
	assert_int_equal(get_le64(inf + 16), 0xffff0000);
	assert_int_equal(get_le64(inf + 24), 0x40002000);

	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"arm\","
		     "\"source\":\"gsiv\",\"error\":\"bus\",\"operation\":7}}",
		     GENERIC("'operation' out of range for a bus error (cache 0-10, tlb 0-8, bus 0-6)"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"arm\","
		     "\"source\":\"gsiv\",\"error\":\"cpu\"}}",
		     GENERIC("'error' must be \\\"cache\\\", \\\"tlb\\\", \\\"bus\\\" or \\\"vendor\\\""));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"arm\","
		     "\"source\":\"gsiv\",\"error-info\":1,\"level\":1}}",
		     GENERIC("give 'error-info' or its fields (level, operation, transaction), not both"));
}

static void test_inject_error_raw(void **state)
{
	struct fixture *fx = *state;

	if (!RAS_ENABLED)
		skip();	/* the record builders are left out */
	/* A whole (empty) status block: block status 1, data length 0. */
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"raw\","
		     "\"source\":\"gsiv\",\"raw\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}",
		     "{\"return\":{\"type\":\"raw\",\"source\":\"gsiv\",\"severity\":\"recoverable\","
		     "\"length\":20,\"status\":\"written\"}}");
	assert_int_equal(fx->vm.post_kind, RAS_SOURCE_GSIV);
	assert_int_equal(fx->vm.post_len, 20);
	assert_int_equal(get_le32(fx->vm.post_rec), 1);

	/* A section payload wrapped in a record of the given type. */
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"raw\","
		     "\"source\":\"polled\",\"section\":\"AQIDBA==\",\"section-type\":"
		     "\"01234567-89ab-cdef-0011-223344556677\",\"severity\":\"info\"}}",
		     "{\"return\":{\"type\":\"raw\",\"source\":\"polled\",\"severity\":\"info\","
		     "\"length\":96,\"status\":\"written\"}}");
	assert_int_equal(get_le32(fx->vm.post_rec + 20), 0x01234567);
	assert_int_equal(get_le32(fx->vm.post_rec + 20 + 24), 4);
	assert_int_equal(fx->vm.post_rec[92], 1);
	assert_int_equal(fx->vm.post_rec[95], 4);

	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"raw\","
		     "\"source\":\"gsiv\",\"raw\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}",
		     GENERIC("'raw' is not a Generic Error Status Block a guest would accept "
			     "(block status 0, or data/entry lengths that do not add up)"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"raw\","
		     "\"source\":\"gsiv\",\"raw\":\"AQ$A\"}}",
		     GENERIC("'raw' is not valid base64"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"raw\","
		     "\"source\":\"gsiv\",\"raw\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"severity\":\"fatal\"}}",
		     GENERIC("'raw' is a whole record: it carries its own section type and severity"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"raw\",\"source\":\"gsiv\"}}",
		     GENERIC("type \\\"raw\\\" needs one of 'raw' (a whole record) and 'section' "
			     "(a section payload), base64"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"raw\",\"source\":\"gsiv\","
		     "\"section\":\"AQIDBA==\",\"section-type\":\"memry\"}}",
		     GENERIC("'section-type' must be memory, arm or a GUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
	assert_int_equal(fx->vm.post_calls, 2);
}

static void test_inject_error_bad_args(void **state)
{
	struct fixture *fx = *state;

	if (!RAS_ENABLED)
		skip();	/* the record builders are left out */
	expect_reply(&fx->env, "{\"execute\":\"inject-error\",\"arguments\":{\"source\":\"polled\"}}",
		     GENERIC("missing argument 'type' (memory, arm or raw)"));
	expect_reply(&fx->env, "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\"}}",
		     GENERIC("missing argument 'source' (sea:N, async, polled or gsiv)"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"disk\",\"source\":\"polled\"}}",
		     GENERIC("'type' must be \\\"memory\\\", \\\"arm\\\" or \\\"raw\\\""));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"sci\"}}",
		     GENERIC("'source' must be \\\"sea:N\\\", \\\"async\\\", \\\"polled\\\" or \\\"gsiv\\\""));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"sea:2\","
		     "\"pa\":0}}",
		     GENERIC("vcpu 2 out of range (the VM has 2 vCPUs)"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\","
		     "\"pa\":0,\"severity\":\"bad\"}}",
		     GENERIC("'severity' must be \\\"corrected\\\", \\\"recoverable\\\", \\\"fatal\\\" or \\\"info\\\""));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\"}}",
		     GENERIC("missing argument 'pa'"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\","
		     "\"pa\":0,\"node\":65536}}",
		     GENERIC("argument 'node' must be at most 0xffff"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\","
		     "\"pa\":0,\"error-type\":16}}",
		     GENERIC("argument 'error-type' must be at most 0xf"));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\","
		     "\"pa\":0,\"mpidr\":1}}",
		     GENERIC("argument 'mpidr' is for type \\\"arm\\\""));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"arm\",\"source\":\"polled\","
		     "\"row\":1}}",
		     GENERIC("argument 'row' is for type \\\"memory\\\""));
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\","
		     "\"pa\":0,\"colour\":1}}",
		     GENERIC("unexpected argument 'colour'"));
	assert_int_equal(fx->vm.post_calls, 0);

	fx->vm.post_ret = -ENOSPC;
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\","
		     "\"pa\":0}}",
		     GENERIC("too many records wait for the guest's read-ack on that source; record dropped"));
	fx->vm.post_ret = -EIO;
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\","
		     "\"pa\":0}}",
		     GENERIC("cannot post the record: Input/output error"));
	fx->env.post_error = NULL;
	expect_reply(&fx->env,
		     "{\"execute\":\"inject-error\",\"arguments\":{\"type\":\"memory\",\"source\":\"polled\","
		     "\"pa\":0}}",
		     GENERIC("RAS is not enabled (--ras)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inject_mem_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_mem_defaults_and_ao, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_mem_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_mem_env_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ras_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_serror_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_serror_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_serror_env_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_ras, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_ras_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_vm_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_vm_devices_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_error_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_error_arm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_error_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_error_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_envelope_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_replies, setup, teardown),
		cmocka_unit_test(test_error_line),
		cmocka_unit_test_setup_teardown(test_query_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_powerdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_state_machine, setup, teardown),
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_event_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
