/* Unit tests for the command-line number and size grammar (vmm/size.c):
 * decimal and hex, never octal, K/M/G/T[i][B] suffixes, the bare unit,
 * overflow, trailing garbage, and sizes written back in the user's unit. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "size.h"

/* size_parse with MiB as the bare unit; returns its result. */
static int parse(const char *s, uint64_t *bytes, uint64_t *unit)
{
	*bytes = *unit = 0xdead;
	return size_parse(s, SIZE_MIB, bytes, unit);
}

static void expect_size(const char *s, uint64_t want, uint64_t want_unit)
{
	uint64_t b, u;

	assert_int_equal(parse(s, &b, &u), 0);
	assert_int_equal(b, want);
	assert_int_equal(u, want_unit);
}

static void expect_fail(const char *s, int err)
{
	uint64_t b, u;

	assert_int_equal(parse(s, &b, &u), err);
	/* Nothing is stored on failure. */
	assert_int_equal(b, 0xdead);
	assert_int_equal(u, 0xdead);
}

static void test_bare_numbers_are_mib(void **state)
{
	expect_size("512", 512 * SIZE_MIB, SIZE_MIB);
	expect_size("0", 0, SIZE_MIB);
	/* Leading zeros are decimal, never octal. */
	expect_size("010", 10 * SIZE_MIB, SIZE_MIB);
	expect_size("0009", 9 * SIZE_MIB, SIZE_MIB);
	/* Hex is a number like any other: still MiB when bare. */
	expect_size("0x200", 0x200 * SIZE_MIB, SIZE_MIB);
	expect_size("0X1f", 31 * SIZE_MIB, SIZE_MIB);
	/* The bare unit is the caller's. */
	{
		uint64_t b, u;

		assert_int_equal(size_parse("4096", 1, &b, &u), 0);
		assert_int_equal(b, 4096);
		assert_int_equal(u, 1);
	}
}

static void test_suffixes(void **state)
{
	expect_size("1K", SIZE_KIB, SIZE_KIB);
	expect_size("3k", 3 * SIZE_KIB, SIZE_KIB);
	expect_size("512M", 512 * SIZE_MIB, SIZE_MIB);
	expect_size("512MiB", 512 * SIZE_MIB, SIZE_MIB);
	expect_size("512Mi", 512 * SIZE_MIB, SIZE_MIB);
	expect_size("512MB", 512 * SIZE_MIB, SIZE_MIB);
	expect_size("512mb", 512 * SIZE_MIB, SIZE_MIB);
	expect_size("2G", 2 * SIZE_GIB, SIZE_GIB);
	expect_size("2GiB", 2 * SIZE_GIB, SIZE_GIB);
	expect_size("1T", SIZE_TIB, SIZE_TIB);
	expect_size("0x10G", 16 * SIZE_GIB, SIZE_GIB);
	expect_size("0x1KiB", SIZE_KIB, SIZE_KIB);
}

static void test_syntax_errors(void **state)
{
	expect_fail("", -EINVAL);
	expect_fail("lots", -EINVAL);
	expect_fail("-1", -EINVAL);
	expect_fail("+1", -EINVAL);
	expect_fail(" 1", -EINVAL);
	expect_fail("1 ", -EINVAL);
	expect_fail("0x", -EINVAL);
	expect_fail("0xG", -EINVAL);
	expect_fail("1.5G", -EINVAL);
	expect_fail("1P", -EINVAL);
	expect_fail("1B", -EINVAL);	/* no bare byte suffix */
	expect_fail("1iB", -EINVAL);
	expect_fail("1GBi", -EINVAL);	/* i before B only */
	expect_fail("1GiBx", -EINVAL);
	expect_fail("1GG", -EINVAL);
	expect_fail("08x", -EINVAL);
	expect_fail("0x1g0", -EINVAL);
	/* A syntax error wins over an overflow in the digits. */
	expect_fail("99999999999999999999999Q", -EINVAL);
}

static void test_overflow(void **state)
{
	/* The largest number that fits, bare with a unit of 1. */
	uint64_t b, u;

	assert_int_equal(size_parse("18446744073709551615", 1, &b, &u), 0);
	assert_int_equal(b, UINT64_MAX);
	assert_int_equal(size_parse("0xffffffffffffffff", 1, &b, &u), 0);
	assert_int_equal(b, UINT64_MAX);
	/* One more does not fit in the number itself. */
	expect_fail("18446744073709551616", -ERANGE);
	expect_fail("0x10000000000000000", -ERANGE);
	expect_fail("0x10000000000000000G", -ERANGE);
	/* Fits as a number, not once multiplied by its unit. */
	expect_fail("0x400000000000G", -ERANGE);	/* 2^46 GiB = 2^76 */
	expect_fail("16777216T", -ERANGE);		/* 2^24 TiB = 2^64 */
	expect_size("16777215T", 16777215ULL * SIZE_TIB, SIZE_TIB);
	/* 2^60 bytes fits in 64 bits: a limit check, not an overflow. */
	expect_size("0x40000000G", 1ULL << 60, SIZE_GIB);
	expect_fail("17592186044416", -ERANGE);		/* 2^44 MiB = 2^64 */
}

static void test_count(void **state)
{
	uint64_t v = 77;

	assert_int_equal(size_parse_count("8", 123, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(size_parse_count("0x8", 123, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(size_parse_count("010", 123, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(size_parse_count("0", 123, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(size_parse_count("123", 123, &v), 0);
	assert_int_equal(v, 123);
	v = 77;
	assert_int_equal(size_parse_count("124", 123, &v), -ERANGE);
	assert_int_equal(size_parse_count("0x7c", 123, &v), -ERANGE);
	assert_int_equal(size_parse_count("99999999999999999999", 123, &v), -ERANGE);
	assert_int_equal(size_parse_count("two", 123, &v), -EINVAL);
	assert_int_equal(size_parse_count("8K", 123, &v), -EINVAL);
	assert_int_equal(size_parse_count("", 123, &v), -EINVAL);
	assert_int_equal(size_parse_count("-1", 123, &v), -EINVAL);
	assert_int_equal(size_parse_count("99999999999999999999x", 123, &v), -EINVAL);
	assert_int_equal(v, 77);
}

static void test_number_prefix(void **state)
{
	const char *end = NULL;
	uint64_t v = 0;
	const char *s = "0x1fGiB";

	assert_int_equal(size_parse_number(s, &end, &v), 0);
	assert_int_equal(v, 0x1f);
	assert_ptr_equal(end, s + 4);
	s = "42";
	assert_int_equal(size_parse_number(s, &end, &v), 0);
	assert_int_equal(v, 42);
	assert_ptr_equal(end, s + 2);
	assert_int_equal(size_parse_number("x1", &end, &v), -EINVAL);
}

static void test_format(void **state)
{
	char buf[40];

	/* In the user's unit when it divides exactly. */
	assert_string_equal(size_format(buf, sizeof(buf), 10 * SIZE_MIB, SIZE_MIB), "10 MiB");
	assert_string_equal(size_format(buf, sizeof(buf), 3 * SIZE_KIB, SIZE_KIB), "3 KiB");
	assert_string_equal(size_format(buf, sizeof(buf), 2 * SIZE_TIB, SIZE_TIB), "2 TiB");
	assert_string_equal(size_format(buf, sizeof(buf), 2 * SIZE_GIB, SIZE_MIB), "2048 MiB");
	assert_string_equal(size_format(buf, sizeof(buf), 0, SIZE_MIB), "0 MiB");
	/* Otherwise in the largest unit that does. */
	assert_string_equal(size_format(buf, sizeof(buf), 1023 * SIZE_GIB, SIZE_TIB), "1023 GiB");
	assert_string_equal(size_format(buf, sizeof(buf), 5, SIZE_KIB), "5 bytes");
	assert_string_equal(size_format(buf, sizeof(buf), 6 * SIZE_KIB, 12345), "6 KiB");
	/* Truncated, still terminated. */
	assert_string_equal(size_format(buf, 4, 1023 * SIZE_GIB, SIZE_GIB), "102");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_numbers_are_mib),
		cmocka_unit_test(test_suffixes),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_number_prefix),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
