/* Unit tests for vmm/control_proto.c: line framing (split reads, CRLF, the
 * length cap, the unterminated rest), strict integer parsing, ctl value
 * classification, key=value splitting and the argument vocabularies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "control_proto.h"

/* Copy 's' into the buffer as one read would; returns bytes taken. */
static size_t feed(struct ctlp_linebuf *lb, const char *s)
{
	size_t avail, n = strlen(s);
	char *p = ctlp_linebuf_space(lb, &avail);

	if (n > avail)
		n = avail;
	memcpy(p, s, n);
	ctlp_linebuf_commit(lb, n);
	return n;
}

static void test_lines_split_across_reads(void **state)
{
	struct ctlp_linebuf lb;
	char *line;
	size_t len;

	assert_int_equal(ctlp_linebuf_init(&lb, 64), 0);
	feed(&lb, "{\"exec");
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 0);
	feed(&lb, "ute\":1}\r\nsecond\nthi");
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "{\"execute\":1}");
	assert_int_equal(len, 13);
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "second");
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 0);
	feed(&lb, "rd\n\n");
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "third");
	/* An empty line is still a line; the caller skips it. */
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 0);
	ctlp_linebuf_free(&lb);
	ctlp_linebuf_free(&lb);  /* idempotent */
}

static void test_line_cap(void **state)
{
	struct ctlp_linebuf lb;
	char long_line[20];
	char *line;
	size_t len, avail;

	assert_int_equal(ctlp_linebuf_init(&lb, 8), 0);
	/* 7 characters + '\n' fill the buffer exactly and are accepted. */
	assert_int_equal(feed(&lb, "1234567\n"), 8);
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "1234567");
	/* Consumed lines free their room for the next read. */
	ctlp_linebuf_space(&lb, &avail);
	assert_int_equal(avail, 8);

	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	assert_int_equal(feed(&lb, long_line), 8);
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), -EMSGSIZE);
	ctlp_linebuf_space(&lb, &avail);
	assert_int_equal(avail, 0);
	ctlp_linebuf_free(&lb);

	assert_int_equal(ctlp_linebuf_init(&lb, 0), -EINVAL);
}

static void test_rest_at_eof(void **state)
{
	struct ctlp_linebuf lb;
	char *line;
	size_t len;

	assert_int_equal(ctlp_linebuf_init(&lb, 8), 0);
	feed(&lb, "ab\n");
	assert_int_equal(ctlp_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "ab");
	assert_int_equal(feed(&lb, "12345678"), 8);
	/* Full buffer, no newline: the rest is still NUL-terminated. */
	assert_int_equal(ctlp_linebuf_rest(&lb, &line, &len), 1);
	assert_int_equal(len, 8);
	assert_string_equal(line, "12345678");
	assert_int_equal(ctlp_linebuf_rest(&lb, &line, &len), 0);

	feed(&lb, " \t\r");
	assert_int_equal(ctlp_linebuf_rest(&lb, &line, &len), 0);
	ctlp_linebuf_free(&lb);
}

static void test_parse_u64(void **state)
{
	uint64_t v = 0;

	assert_int_equal(ctlp_parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ctlp_parse_u64("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(ctlp_parse_u64("010", &v), 0);  /* decimal, not octal */
	assert_int_equal(v, 10);
	assert_int_equal(ctlp_parse_u64("0x40001000", &v), 0);
	assert_int_equal(v, 0x40001000);
	assert_int_equal(ctlp_parse_u64("0XfFfF", &v), 0);
	assert_int_equal(v, 0xffff);
	assert_int_equal(ctlp_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(ctlp_parse_u64("0xffffffffffffffff", &v), 0);
	assert_true(v == UINT64_MAX);

	v = 7;
	assert_int_equal(ctlp_parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(ctlp_parse_u64("0x10000000000000000", &v), -ERANGE);
	assert_int_equal(ctlp_parse_u64("", &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64(NULL, &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64("0x", &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64("-1", &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64("+1", &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64(" 1", &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64("1 ", &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64("12a", &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64("0x1g", &v), -EINVAL);
	assert_int_equal(ctlp_parse_u64("1e3", &v), -EINVAL);
	assert_int_equal(v, 7);  /* untouched on failure */
}

static void test_classify_number(void **state)
{
	uint64_t u = 0;
	int64_t i = 0;

	assert_int_equal(ctlp_classify_number("0x1000", &u, &i), CTLP_NUM_UNSIGNED);
	assert_int_equal(u, 0x1000);
	assert_int_equal(ctlp_classify_number("3", &u, &i), CTLP_NUM_UNSIGNED);
	assert_int_equal(u, 3);
	assert_int_equal(ctlp_classify_number("-5", &u, &i), CTLP_NUM_NEGATIVE);
	assert_int_equal(i, -5);
	assert_int_equal(ctlp_classify_number("-9223372036854775808", &u, &i),
			 CTLP_NUM_NEGATIVE);
	assert_true(i == INT64_MIN);
	assert_int_equal(ctlp_classify_number("-9223372036854775809", &u, &i), CTLP_NUM_NONE);
	assert_int_equal(ctlp_classify_number("-0x5", &u, &i), CTLP_NUM_NONE);
	assert_int_equal(ctlp_classify_number("-", &u, &i), CTLP_NUM_NONE);
	assert_int_equal(ctlp_classify_number("cper", &u, &i), CTLP_NUM_NONE);
	assert_int_equal(ctlp_classify_number("", &u, &i), CTLP_NUM_NONE);
	assert_int_equal(ctlp_classify_number("1.5", &u, &i), CTLP_NUM_NONE);
}

static void test_split_kv(void **state)
{
	char key[8];
	const char *val = NULL;

	assert_int_equal(ctlp_split_kv("gpa=0x1000", key, sizeof(key), &val), 0);
	assert_string_equal(key, "gpa");
	assert_string_equal(val, "0x1000");
	assert_int_equal(ctlp_split_kv("mode=", key, sizeof(key), &val), 0);
	assert_string_equal(key, "mode");
	assert_string_equal(val, "");
	assert_int_equal(ctlp_split_kv("a_b-c=x=y", key, sizeof(key), &val), 0);
	assert_string_equal(key, "a_b-c");
	assert_string_equal(val, "x=y");
	assert_int_equal(ctlp_split_kv("1234567=x", key, sizeof(key), &val), 0);

	assert_int_equal(ctlp_split_kv("12345678=x", key, sizeof(key), &val), -EINVAL);
	assert_int_equal(ctlp_split_kv("=x", key, sizeof(key), &val), -EINVAL);
	assert_int_equal(ctlp_split_kv("novalue", key, sizeof(key), &val), -EINVAL);
	assert_int_equal(ctlp_split_kv("a\"b=x", key, sizeof(key), &val), -EINVAL);
	assert_int_equal(ctlp_split_kv("a b=x", key, sizeof(key), &val), -EINVAL);
}

static void test_vocabularies(void **state)
{
	enum ras_inject_mode m = RAS_INJECT_CPER;
	enum ras_kind k = RAS_KIND_AR;

	assert_int_equal(ctlp_parse_inject_mode("hwpoison", &m), 0);
	assert_int_equal(m, RAS_INJECT_HWPOISON);
	assert_string_equal(ctlp_inject_mode_name(m), "hwpoison");
	assert_int_equal(ctlp_parse_inject_mode("cper", &m), 0);
	assert_int_equal(m, RAS_INJECT_CPER);
	assert_string_equal(ctlp_inject_mode_name(m), "cper");
	assert_int_equal(ctlp_parse_inject_mode("CPER", &m), -EINVAL);
	assert_int_equal(ctlp_parse_inject_mode("", &m), -EINVAL);

	assert_int_equal(ctlp_parse_kind("ao", &k), 0);
	assert_int_equal(k, RAS_KIND_AO);
	assert_string_equal(ctlp_kind_name(k), "ao");
	assert_int_equal(ctlp_parse_kind("ar", &k), 0);
	assert_int_equal(k, RAS_KIND_AR);
	assert_string_equal(ctlp_kind_name(k), "ar");
	assert_int_equal(ctlp_parse_kind("sync", &k), -EINVAL);
}

static void test_serror_esr(void **state)
{
	assert_true(ctlp_serror_esr_valid(0));
	assert_true(ctlp_serror_esr_valid(0x1ffffff));
	assert_true(ctlp_serror_esr_valid(0x000011));
	assert_false(ctlp_serror_esr_valid(0x2000000));
	assert_false(ctlp_serror_esr_valid(0xbe000000));  /* EC bits are not ours */
	assert_false(ctlp_serror_esr_valid(UINT64_MAX));
	{
		uint32_t iss = 0;

		assert_int_equal(ctlp_serror_iss(0xbe000c11, &iss), 0); /* the seeds' value */
		assert_int_equal(iss, 0xc11);
		assert_int_equal(ctlp_serror_iss(0x11, &iss), 0);
		assert_int_equal(iss, 0x11);
		assert_int_equal(ctlp_serror_iss(0x96000410, &iss), -EINVAL); /* a data abort */
		assert_int_equal(ctlp_serror_iss(0xbc000c11, &iss), -EINVAL); /* IL clear */
		assert_int_equal(ctlp_serror_iss(0x1be000c11ULL, &iss), -EINVAL);
	}
}

static void expect_version(const char *s, unsigned maj, unsigned min, unsigned mic)
{
	unsigned v[3] = { 9, 9, 9 };

	ctlp_version_numbers(s, v);
	assert_int_equal(v[0], maj);
	assert_int_equal(v[1], min);
	assert_int_equal(v[2], mic);
}

/* git describe output to QMP's major/minor/micro. */
static void test_version_numbers(void **state)
{
	expect_version("v1.2.3", 1, 2, 3);
	expect_version("1.2.3-14-g673ef4c-dirty", 1, 2, 3);
	expect_version("v0.9", 0, 9, 0);
	expect_version("2", 2, 0, 0);
	expect_version("673ef4c", 0, 0, 0);        /* a bare hash */
	expect_version("673ef4c-dirty", 0, 0, 0);
	expect_version("abcdef0", 0, 0, 0);
	expect_version("unknown", 0, 0, 0);
	expect_version("", 0, 0, 0);
	expect_version(NULL, 0, 0, 0);
	expect_version("v99999999.1.2", 65535, 1, 2);
	expect_version("1.2.3.4", 0, 0, 0);
}

static void test_inject_error_vocab(void **state)
{
	enum ras_source_kind k;
	unsigned v;
	uint32_t sev;

	assert_int_equal(ctlp_parse_source("sea:3", &k, &v), 0);
	assert_int_equal(k, RAS_SOURCE_SEA);
	assert_int_equal(v, 3);
	assert_int_equal(ctlp_parse_source("sea:0x1", &k, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ctlp_parse_source("async", &k, &v), 0);
	assert_int_equal(k, RAS_SOURCE_ASYNC);
	assert_int_equal(ctlp_parse_source("polled", &k, &v), 0);
	assert_int_equal(k, RAS_SOURCE_POLLED);
	assert_int_equal(ctlp_parse_source("gsiv", &k, &v), 0);
	assert_int_equal(k, RAS_SOURCE_GSIV);
	assert_int_equal(ctlp_parse_source("sea:", &k, &v), -EINVAL);
	assert_int_equal(ctlp_parse_source("sea:-1", &k, &v), -EINVAL);
	assert_int_equal(ctlp_parse_source("sea:4294967296", &k, &v), -EINVAL);
	assert_int_equal(ctlp_parse_source("Polled", &k, &v), -EINVAL);
	assert_int_equal(ctlp_parse_source("", &k, &v), -EINVAL);

	assert_int_equal(ctlp_parse_severity("recoverable", &sev), 0);
	assert_int_equal(sev, 0);
	assert_int_equal(ctlp_parse_severity("fatal", &sev), 0);
	assert_int_equal(sev, 1);
	assert_int_equal(ctlp_parse_severity("corrected", &sev), 0);
	assert_int_equal(sev, 2);
	assert_int_equal(ctlp_parse_severity("info", &sev), 0);
	assert_int_equal(sev, 3);
	assert_int_equal(ctlp_parse_severity("minor", &sev), -EINVAL);
	assert_string_equal(ctlp_severity_name(2), "corrected");
	assert_string_equal(ctlp_severity_name(7), "?");
}

static void test_base64(void **state)
{
	uint8_t out[8];
	size_t n = 99;

	assert_int_equal(ctlp_base64_decode("TWFu", out, sizeof(out), &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "Man", 3);
	assert_int_equal(ctlp_base64_decode("TWE=", out, sizeof(out), &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "Ma", 2);
	assert_int_equal(ctlp_base64_decode("TQ==", out, sizeof(out), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'M');
	assert_int_equal(ctlp_base64_decode("+/+/", out, sizeof(out), &n), 0);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(out[2], 0xbf);
	/* malformed: empty, no padding, padding inside, bad characters,
	 * non-canonical trailing bits, whitespace */
	assert_int_equal(ctlp_base64_decode("", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(ctlp_base64_decode("TWF", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(ctlp_base64_decode("TQ==TWFu", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(ctlp_base64_decode("T=Fu", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(ctlp_base64_decode("TQ=u", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(ctlp_base64_decode("TW-u", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(ctlp_base64_decode("TR==", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(ctlp_base64_decode("TW E", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(ctlp_base64_decode("====", out, sizeof(out), &n), -EINVAL);
	/* longer than the room */
	assert_int_equal(ctlp_base64_decode("TWFuTWFuTWFu", out, sizeof(out), &n), -EMSGSIZE);
	assert_int_equal(ctlp_base64_decode("TWFuTWFuTWE=", out, sizeof(out), &n), 0);
	assert_int_equal(n, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_numbers),
		cmocka_unit_test(test_lines_split_across_reads),
		cmocka_unit_test(test_line_cap),
		cmocka_unit_test(test_rest_at_eof),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_classify_number),
		cmocka_unit_test(test_split_kv),
		cmocka_unit_test(test_vocabularies),
		cmocka_unit_test(test_serror_esr),
		cmocka_unit_test(test_inject_error_vocab),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
