/* Unit tests for the console escape parser (vmm/escape.c): Ctrl-A x, h,
 * ?, c and unknown keys are commands that never reach the guest, Ctrl-A
 * Ctrl-A is one literal Ctrl-A, a Ctrl-A split across reads waits for its
 * key, and every other byte (Ctrl-C included) passes through unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

/* Feed all of 'in' (one call per command), collecting the guest bytes in
 * out and the commands in cmds (ESCAPE_NONE not recorded). */
static size_t run(struct escape *e, const char *in, size_t len, uint8_t *out, size_t *nout,
		  enum escape_cmd *cmds)
{
	size_t off = 0, ncmd = 0;

	*nout = 0;
	while (off < len) {
		enum escape_cmd c;
		size_t used = escape_feed(e, (const uint8_t *)in + off, len - off, out, nout, &c);

		assert_true(used > 0 && used <= len - off);
		off += used;
		if (c != ESCAPE_NONE)
			cmds[ncmd++] = c;
	}
	return ncmd;
}

static void test_plain_bytes_pass(void **state)
{
	struct escape e = { 0 };
	const char in[] = "ls -l\r\x03\x04\x1a\xff";
	enum escape_cmd cmds[8];
	uint8_t out[32];
	size_t n;

	assert_int_equal(run(&e, in, sizeof(in) - 1, out, &n, cmds), 0);
	assert_int_equal(n, sizeof(in) - 1);
	assert_memory_equal(out, in, n);
	assert_false(e.pending);
}

static void test_quit_stops_at_key(void **state)
{
	struct escape e = { 0 };
	const uint8_t in[] = "ab\x01xcd";
	enum escape_cmd c;
	uint8_t out[16];
	size_t n = 0, used;

	used = escape_feed(&e, in, 6, out, &n, &c);
	assert_int_equal(used, 4);        /* "ab", Ctrl-A, 'x' */
	assert_int_equal(c, ESCAPE_QUIT);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "ab", 2);
	used = escape_feed(&e, in + 4, 2, out, &n, &c);
	assert_int_equal(used, 2);
	assert_int_equal(c, ESCAPE_NONE);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "abcd", 4);
}

static void test_commands(void **state)
{
	struct escape e = { 0 };
	const char in[] = "\x01h\x01?\x01" "c\x01X\x01z1";
	enum escape_cmd cmds[8];
	uint8_t out[16];
	size_t n;

	assert_int_equal(run(&e, in, sizeof(in) - 1, out, &n, cmds), 5);
	assert_int_equal(cmds[0], ESCAPE_HELP);
	assert_int_equal(cmds[1], ESCAPE_HELP);
	assert_int_equal(cmds[2], ESCAPE_MONITOR);
	assert_int_equal(cmds[3], ESCAPE_QUIT);
	assert_int_equal(cmds[4], ESCAPE_UNKNOWN);
	/* Only the byte after the swallowed unknown key reaches the guest. */
	assert_int_equal(n, 1);
	assert_int_equal(out[0], '1');
}

static void test_literal_ctrl_a(void **state)
{
	struct escape e = { 0 };
	const char in[] = "a\x01\x01" "b\x01\x01\x01\x01";
	enum escape_cmd cmds[8];
	uint8_t out[16];
	size_t n;

	assert_int_equal(run(&e, in, sizeof(in) - 1, out, &n, cmds), 0);
	/* Three pairs: three literal Ctrl-As. */
	assert_int_equal(n, 5);
	assert_memory_equal(out, "a\x01" "b\x01\x01", 5);
	assert_false(e.pending);
}

/* A Ctrl-A at the end of one read and its key in the next. */
static void test_split_across_reads(void **state)
{
	struct escape e = { 0 };
	enum escape_cmd c;
	uint8_t out[16];
	size_t n = 0;

	assert_int_equal(escape_feed(&e, (const uint8_t *)"q\x01", 2, out, &n, &c), 2);
	assert_int_equal(c, ESCAPE_NONE);
	assert_true(e.pending);
	assert_int_equal(n, 1);
	assert_int_equal(escape_feed(&e, (const uint8_t *)"x", 1, out, &n, &c), 1);
	assert_int_equal(c, ESCAPE_QUIT);
	assert_int_equal(n, 1);
	assert_false(e.pending);
	/* And a split literal. */
	n = 0;
	assert_int_equal(escape_feed(&e, (const uint8_t *)"\x01", 1, out, &n, &c), 1);
	assert_int_equal(n, 0);
	assert_int_equal(escape_feed(&e, (const uint8_t *)"\x01", 1, out, &n, &c), 1);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(c, ESCAPE_NONE);
}

static void test_help_text(void **state)
{
	assert_non_null(strstr(escape_help, "x        quit"));
	assert_non_null(strstr(escape_help, "\r\n"));
	/* Raw terminal: every line feed comes with its carriage return. */
	for (const char *p = strchr(escape_help, '\n'); p; p = strchr(p + 1, '\n'))
		assert_int_equal(p[-1], '\r');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_bytes_pass),
		cmocka_unit_test(test_quit_stops_at_key),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_literal_ctrl_a),
		cmocka_unit_test(test_split_across_reads),
		cmocka_unit_test(test_help_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
