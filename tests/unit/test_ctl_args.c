/* Unit tests for vmm/ctl_args.c: options before and after the command,
 * "--", the socket from the environment, the usage errors (each one line)
 * and the --raw / --qmp / --pretty combinations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ctl_args.h"

#define MAXARGS 16

struct parsed {
	struct ctl_opts o;
	const char *kv[MAXARGS];
	char why[256];
	int ret;
};

/* Parse a NULL-terminated list of arguments after "ctl". */
static void parse(struct parsed *p, const char *env, ...)
{
	char *argv[MAXARGS] = { "ctl" };
	const char *a;
	va_list ap;
	int argc = 1;

	memset(p, 0, sizeof(*p));
	va_start(ap, env);
	while ((a = va_arg(ap, const char *)) && argc < MAXARGS - 1)
		argv[argc++] = (char *)a;
	va_end(ap);
	p->ret = ctl_parse_args(argc, argv, env, p->kv, &p->o, p->why, sizeof(p->why));
}

static void test_options_before_command(void **state)
{
	struct parsed p;

	parse(&p, NULL, "--api-socket", "/s", "--timeout=3", "query-ras", NULL);
	assert_int_equal(p.ret, CTL_PARSE_OK);
	assert_string_equal(p.o.socket, "/s");
	assert_int_equal(p.o.timeout_s, 3);
	assert_string_equal(p.o.command, "query-ras");
	assert_int_equal(p.o.nkv, 0);
	assert_false(p.o.pretty);
}

static void test_options_after_command(void **state)
{
	struct parsed p;

	parse(&p, NULL, "inject-memory-error", "gpa=0x40000000", "--api-socket", "/run/s",
	      "--pretty", "kind=ao", "--timeout", "7", NULL);
	assert_int_equal(p.ret, CTL_PARSE_OK);
	assert_string_equal(p.o.socket, "/run/s");
	assert_string_equal(p.o.command, "inject-memory-error");
	assert_int_equal(p.o.nkv, 2);
	assert_string_equal(p.o.kv[0], "gpa=0x40000000");
	assert_string_equal(p.o.kv[1], "kind=ao");
	assert_true(p.o.pretty);
	assert_int_equal(p.o.timeout_s, 7);
}

static void test_double_dash_ends_options(void **state)
{
	struct parsed p;

	parse(&p, NULL, "--api-socket", "/s", "--", "cmd", "--pretty", NULL);
	assert_int_equal(p.ret, CTL_PARSE_OK);
	assert_string_equal(p.o.command, "cmd");
	assert_int_equal(p.o.nkv, 1);
	assert_string_equal(p.o.kv[0], "--pretty");
	assert_false(p.o.pretty);
}

static void test_socket_from_env(void **state)
{
	struct parsed p;

	parse(&p, "/env.sock", "query-vm", NULL);
	assert_int_equal(p.ret, CTL_PARSE_OK);
	assert_string_equal(p.o.socket, "/env.sock");
	assert_int_equal(p.o.timeout_s, CTL_DEFAULT_TIMEOUT_S);
	/* --api-socket wins over the environment. */
	parse(&p, "/env.sock", "query-vm", "--api-socket=/opt.sock", NULL);
	assert_int_equal(p.ret, CTL_PARSE_OK);
	assert_string_equal(p.o.socket, "/opt.sock");
}

static void test_no_socket(void **state)
{
	struct parsed p;

	parse(&p, NULL, "query-vm", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why,
			    "ctl: no socket given (use --api-socket PATH or set MICROVM_RAS_SOCKET)");
	/* An empty variable is no socket either. */
	parse(&p, "", "query-vm", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_non_null(strstr(p.why, "MICROVM_RAS_SOCKET"));
	parse(&p, "/env", "query-vm", "--api-socket", "", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why, "ctl: --api-socket is empty");
}

static void test_usage_errors(void **state)
{
	struct parsed p;

	parse(&p, "/s", "query-vm", "--bogus", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why, "ctl: unknown option '--bogus' (see ctl --help)");
	parse(&p, "/s", "query-vm", "--timeout", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why, "ctl: option '--timeout' needs a value");
	parse(&p, "/s", "query-vm", "--timeout", "0", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why, "ctl: invalid --timeout '0' (seconds, 1..3600)");
	parse(&p, "/s", "--pretty", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why, "ctl: no command given (see ctl --help)");
	parse(&p, "/s", "events", "x=1", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why, "ctl: 'events' takes no arguments");
}

static void test_raw_qmp_pretty(void **state)
{
	struct parsed p;

	parse(&p, "/s", "--raw", "{\"execute\":\"quit\"}", "--pretty", NULL);
	assert_int_equal(p.ret, CTL_PARSE_OK);
	assert_string_equal(p.o.raw, "{\"execute\":\"quit\"}");
	assert_null(p.o.command);
	assert_true(p.o.pretty);
	parse(&p, "/s", "--raw", "{}", "query-vm", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why, "ctl: unexpected argument 'query-vm' with --raw");
	parse(&p, "/s", "--qmp", "--raw", "{}", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.why, "ctl: --raw and --qmp cannot be combined");
	parse(&p, "/s", "--qmp", "--pretty", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_non_null(strstr(p.why, "--pretty and --qmp cannot be combined"));
	parse(&p, "/s", "--qmp", NULL);
	assert_int_equal(p.ret, CTL_PARSE_OK);
	assert_true(p.o.qmp);
}

static void test_help_anywhere(void **state)
{
	struct parsed p;

	/* Help wins even without a socket. */
	parse(&p, NULL, "query-vm", "--help", NULL);
	assert_int_equal(p.ret, CTL_PARSE_HELP);
	parse(&p, NULL, "-h", NULL);
	assert_int_equal(p.ret, CTL_PARSE_HELP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_before_command),
		cmocka_unit_test(test_options_after_command),
		cmocka_unit_test(test_double_dash_ends_options),
		cmocka_unit_test(test_socket_from_env),
		cmocka_unit_test(test_no_socket),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_raw_qmp_pretty),
		cmocka_unit_test(test_help_anywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
