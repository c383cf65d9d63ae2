/* Unit tests for vmm/ras/cper.c: the memory error record must match, byte
 * for byte, the record QEMU wrote in the seed dump (seeds 000/001: guest
 * memory at 0x785d80b0 shown as 32-bit words), and its lengths must be
 * self-consistent the way the Linux GHES driver checks them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "ras/cper.h"
#include "util.h"

/* The seed's "xp /100x 0x785d80b0" output: the first 0x60 bytes of the
 * record as little-endian 32-bit words. */
static const uint32_t seed_words[] = {
	0x00000001, 0x00000000, 0x00000000, 0x00000098, /* 785d80b0 */
	0x00000000, 0xa5bc1114, 0x4ede6f64, 0x833e63b8, /* 785d80c0 */
	0xb1837ced, 0x00000000, 0x00000300, 0x00000050, /* 785d80d0 */
	0x00000000, 0x00000000, 0x00000000, 0x00000000, /* 785d80e0 */
	0x00000000, 0x00000000, 0x00000000, 0x00000000, /* 785d80f0 */
	0x00000000, 0x00000000, 0x00000000, 0x00004002, /* 785d8100 */
};

/* Physical address from the seed's guest log for the same record. */
#define SEED_PA 0x0000000040fa6000ULL

/* Expected 172 bytes: the seed's 96 bytes, then the rest of the memory
 * error section written out field by field. */
static void build_expected(uint8_t out[CPER_MEM_ERROR_RECORD_LEN], uint64_t pa, uint8_t type)
{
	size_t i;

	memset(out, 0, CPER_MEM_ERROR_RECORD_LEN);
	for (i = 0; i < ARRAY_SIZE(seed_words); i++)
		put_le32(out + 4 * i, seed_words[i]);
	/* section starts at 92: validation bits are a u64, high half 0 at 96 */
	put_le64(out + 92 + 16, pa);      /* physical address */
	out[92 + 72] = type;              /* memory error type */
}

static void test_matches_seed(void **state)
{
	uint8_t expect[CPER_MEM_ERROR_RECORD_LEN];
	uint8_t buf[256];
	struct cper_mem_error e = { .gpa = SEED_PA };
	size_t len = 0;

	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), 0);
	assert_int_equal(len, 172);
	build_expected(expect, SEED_PA, CPER_MEM_TYPE_UNKNOWN);
	assert_memory_equal(buf, expect, sizeof(expect));
	/* nothing written past the record */
	assert_int_equal(buf[172], 0xa5);
	assert_int_equal(buf[255], 0xa5);
}

static void test_other_address_and_type(void **state)
{
	uint8_t expect[CPER_MEM_ERROR_RECORD_LEN];
	uint8_t buf[CPER_MEM_ERROR_RECORD_LEN];
	struct cper_mem_error e = {
		.gpa = 0x123456789abcd000ULL,
		.mem_error_type = CPER_MEM_TYPE_MULTI_BIT_ECC,
	};
	size_t len = 0;

	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), 0);
	build_expected(expect, e.gpa, CPER_MEM_TYPE_MULTI_BIT_ECC);
	assert_memory_equal(buf, expect, sizeof(expect));
	assert_int_equal(get_le64(buf + CPER_OFF_SECTION_PA), e.gpa);
}

static void test_length_arithmetic(void **state)
{
	uint8_t buf[CPER_MEM_ERROR_RECORD_LEN];
	struct cper_mem_error e = { .gpa = SEED_PA };
	size_t len = 0;

	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), 0);
	/* data_length == one entry header + its section, and fills the record */
	assert_int_equal(get_le32(buf + CPER_OFF_DATA_LENGTH),
			 CPER_DATA_ENTRY_LEN + CPER_MEM_SECTION_LEN);
	assert_int_equal(get_le32(buf + CPER_OFF_DATA_LENGTH) + CPER_STATUS_BLOCK_LEN, len);
	/* entry's error data length == section size */
	assert_int_equal(get_le32(buf + CPER_OFF_ENTRY + 24), CPER_MEM_SECTION_LEN);
	/* revision 0x0300 */
	assert_int_equal(get_le16(buf + CPER_OFF_ENTRY + 20), 0x0300);
	assert_int_equal(cper_check_record(buf, len), 0);
}

static void test_too_small(void **state)
{
	uint8_t buf[CPER_MEM_ERROR_RECORD_LEN];
	struct cper_mem_error e = { .gpa = SEED_PA };
	size_t len = 77;

	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(cper_build_mem_error(buf, sizeof(buf) - 1, &e, &len), -ENOSPC);
	assert_int_equal(cper_build_mem_error(buf, 0, &e, &len), -ENOSPC);
	assert_int_equal(len, 77);
	assert_int_equal(buf[0], 0x5a);  /* untouched */
	assert_int_equal(cper_build_mem_error(NULL, 0, &e, &len), -EINVAL);
	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), NULL, &len), -EINVAL);
	e.severity = 4;
	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), -EINVAL);
}

static void test_severity(void **state)
{
	uint8_t buf[CPER_MEM_ERROR_RECORD_LEN];
	struct cper_mem_error e = { .gpa = SEED_PA, .severity = CPER_SEV_CORRECTED };
	size_t len;

	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), 0);
	assert_int_equal(get_le32(buf + 16), CPER_SEV_CORRECTED);               /* block */
	assert_int_equal(get_le32(buf + CPER_OFF_ENTRY + 16), CPER_SEV_CORRECTED); /* entry */
}

static void test_timestamp(void **state)
{
	uint8_t buf[CPER_MEM_ERROR_RECORD_LEN];
	/* 2024-02-29 13:45:07 UTC */
	struct cper_mem_error e = { .gpa = SEED_PA, .timestamp = 1709214307 };
	size_t len;

	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), 0);
	assert_int_equal(buf[CPER_OFF_ENTRY + 22], CPER_GDATA_VALID_TIMESTAMP);
	/* sec, min, hour, flags(precise), day, month, year, century */
	assert_int_equal(get_le64(buf + CPER_OFF_ENTRY + 64), 0x2024022901134507ULL);
	assert_int_equal(cper_check_record(buf, len), 0);
}

static void test_check_rejects_bad(void **state)
{
	uint8_t buf[CPER_MEM_ERROR_RECORD_LEN];
	struct cper_mem_error e = { .gpa = SEED_PA };
	size_t len;

	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), 0);
	/* data_length one byte short: entries no longer fill it exactly */
	put_le32(buf + CPER_OFF_DATA_LENGTH, 151);
	assert_int_equal(cper_check_record(buf, len), -EINVAL);
	/* data_length past the record */
	put_le32(buf + CPER_OFF_DATA_LENGTH, 153);
	assert_int_equal(cper_check_record(buf, len), -EINVAL);
	put_le32(buf + CPER_OFF_DATA_LENGTH, 152);
	assert_int_equal(cper_check_record(buf, len), 0);
	/* empty block status: the guest sees no error */
	put_le32(buf, 0);
	assert_int_equal(cper_check_record(buf, len), -EINVAL);
	put_le32(buf, 1);
	/* section length larger than the entry room */
	put_le32(buf + CPER_OFF_ENTRY + 24, 81);
	assert_int_equal(cper_check_record(buf, len), -EINVAL);
	/* truncated buffer */
	assert_int_equal(cper_check_record(buf, 10), -EINVAL);
}

/* cper_utc against the C library's gmtime_r: day, month and year edges,
 * leap days (2000 is one, 2100 is not), and a spread of times to 9999. */
static void check_utc(int64_t secs)
{
	struct cper_utc u;
	struct tm tm;
	time_t t = (time_t)secs;

	assert_non_null(gmtime_r(&t, &tm));
	cper_utc(secs, &u);
	if (u.year != (uint64_t)tm.tm_year + 1900 || u.mon != (unsigned)tm.tm_mon + 1 ||
	    u.mday != (unsigned)tm.tm_mday || u.hour != (unsigned)tm.tm_hour ||
	    u.min != (unsigned)tm.tm_min || u.sec != (unsigned)tm.tm_sec)
		fail_msg("%lld: got %llu-%u-%u %u:%u:%u", (long long)secs,
			 (unsigned long long)u.year, u.mon, u.mday, u.hour, u.min, u.sec);
}

static void test_utc(void **state)
{
	static const int64_t edges[] = {
		0, 59, 60, 3599, 3600, 86399, 86400,
		951782399, 951782400, 951868800,	/* 2000-02-28/29, 03-01 */
		1709164800, 1709251200,			/* 2024-02-29, 03-01 */
		4107542399LL, 4107542400LL,		/* 2100-02-28 end, 03-01 */
		253402300799LL,				/* 9999-12-31T23:59:59 */
	};
	struct cper_utc u;
	uint64_t x = 88172645463325252ULL;

	for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check_utc(edges[i]);
	for (unsigned i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_utc((int64_t)(x % 253402300800ULL));
	}
	cper_utc(951782400, &u);
	assert_int_equal(u.year, 2000);
	assert_int_equal(u.mon, 2);
	assert_int_equal(u.mday, 29);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_seed),
		cmocka_unit_test(test_other_address_and_type),
		cmocka_unit_test(test_length_arithmetic),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_check_rejects_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
