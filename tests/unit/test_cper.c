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

/* Every optional memory field lands at its UEFI N.2.5 offset with its
 * validation bit; corrected severity gives Block Status "CE valid". */
static void test_mem_all_fields(void **state)
{
	uint8_t buf[CPER_MEM_ERROR_RECORD_LEN];
	const uint8_t *sec = buf + CPER_OFF_SECTION;
	struct cper_mem_error e = {
		.gpa = 0x40123000, .severity = CPER_SEV_CORRECTED,
		.mem_error_type = CPER_MEM_TYPE_SINGLE_BIT_ECC,
		.valid = CPER_MEM_VALID_ALL,
		.error_status = 0x1122334455667788ULL, .pa_mask = 0xfffffffffffff000ULL,
		.node = 0x0101, .card = 0x0202, .module = 0x0303, .bank = 0x0404,
		.device = 0x0505, .row = 0x0606, .column = 0x0707, .bit_pos = 0x0808,
		.requestor_id = 0x0909090909090909ULL, .responder_id = 0x0a0a0a0a0a0a0a0aULL,
		.target_id = 0x0b0b0b0b0b0b0b0bULL, .extended = 0xe3,
		.rank = 0x0c0c, .card_handle = 0x0d0d, .module_handle = 0x0e0e,
	};
	size_t len;

	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), 0);
	assert_int_equal(len, CPER_MEM_ERROR_RECORD_LEN);
	assert_int_equal(get_le32(buf), CPER_BLOCK_CE_VALID);
	assert_int_equal(get_le64(sec + 0), 0x3fffff);
	assert_int_equal(get_le64(sec + 8), 0x1122334455667788ULL);
	assert_int_equal(get_le64(sec + 16), 0x40123000);
	assert_int_equal(get_le64(sec + 24), 0xfffffffffffff000ULL);
	assert_int_equal(get_le16(sec + 32), 0x0101);
	assert_int_equal(get_le16(sec + 34), 0x0202);
	assert_int_equal(get_le16(sec + 36), 0x0303);
	assert_int_equal(get_le16(sec + 38), 0x0404);
	assert_int_equal(get_le16(sec + 40), 0x0505);
	assert_int_equal(get_le16(sec + 42), 0x0606);
	assert_int_equal(get_le16(sec + 44), 0x0707);
	assert_int_equal(get_le16(sec + 46), 0x0808);
	assert_int_equal(get_le64(sec + 48), 0x0909090909090909ULL);
	assert_int_equal(get_le64(sec + 56), 0x0a0a0a0a0a0a0a0aULL);
	assert_int_equal(get_le64(sec + 64), 0x0b0b0b0b0b0b0b0bULL);
	assert_int_equal(sec[72], CPER_MEM_TYPE_SINGLE_BIT_ECC);
	assert_int_equal(sec[73], 0xe3);
	assert_int_equal(get_le16(sec + 74), 0x0c0c);
	assert_int_equal(get_le16(sec + 76), 0x0d0d);
	assert_int_equal(get_le16(sec + 78), 0x0e0e);
	assert_int_equal(cper_check_record(buf, len), 0);

	/* Only node given: only node's bit and value; the rest stay 0. */
	e.valid = CPER_MEM_VALID_NODE;
	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), 0);
	assert_int_equal(get_le64(sec + 0), 0x4002 | 0x8);
	assert_int_equal(get_le64(sec + 8), 0);
	assert_int_equal(get_le16(sec + 32), 0x0101);
	assert_int_equal(get_le16(sec + 34), 0);
	assert_int_equal(get_le64(sec + 48), 0);
	assert_int_equal(sec[73], 0);

	/* An undefined validation bit is refused. */
	e.valid = 1ull << 22;
	assert_int_equal(cper_build_mem_error(buf, sizeof(buf), &e, &len), -EINVAL);
}

/* An ARM processor error record, byte for byte (UEFI N.2.4.4/N.2.4.4.1). */
static void test_arm_bytes(void **state)
{
	static const uint8_t arm_guid[16] = { 0x16, 0x3d, 0x9e, 0xe1, 0x11, 0xbc, 0xe4, 0x11,
					      0x9c, 0xaa, 0xc2, 0x05, 0x1d, 0x5d, 0x46, 0xb0 };
	uint8_t buf[512];
	const uint8_t *ent = buf + CPER_STATUS_BLOCK_LEN, *sec = ent + CPER_DATA_ENTRY_LEN;
	const uint8_t *inf = sec + CPER_ARM_SECTION_HDR_LEN;
	struct cper_arm_error a = {
		.severity = CPER_SEV_CORRECTED,
		.valid = CPER_ARM_VALID_MPIDR | CPER_ARM_VALID_AFFINITY_LEVEL |
			 CPER_ARM_VALID_RUNNING_STATE,
		.affinity_level = 1, .mpidr = 0x80000001, .midr = 0x410fd083,
		.running_state = 1, .psci_state = 0x55,
		.n_info = 2,
		.info = {
			{ .valid = CPER_ARM_INFO_VALID_ALL, .type = CPER_ARM_TYPE_CACHE,
			  .multiple_error = 3, .flags = CPER_ARM_FLAG_FIRST | CPER_ARM_FLAG_LAST,
			  .error_info = 0x0091000f, .va = 0xffff800012345678ULL,
			  .pa = 0x40012000 },
			{ .valid = CPER_ARM_INFO_VALID_PA, .type = CPER_ARM_TYPE_TLB,
			  .multiple_error = 9, .va = 1, .pa = 0x40034000 },
		},
	};
	size_t len = 0, slen = CPER_ARM_SECTION_HDR_LEN + 2 * CPER_ARM_ERR_INFO_LEN;

	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(cper_arm_section_len(&a), slen);
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), 0);
	assert_int_equal(len, CPER_STATUS_BLOCK_LEN + CPER_DATA_ENTRY_LEN + slen);
	assert_int_equal(buf[len], 0xa5);
	/* status block: CE valid, data length, severity corrected */
	assert_int_equal(get_le32(buf + 0), CPER_BLOCK_CE_VALID);
	assert_int_equal(get_le32(buf + 12), CPER_DATA_ENTRY_LEN + slen);
	assert_int_equal(get_le32(buf + 16), CPER_SEV_CORRECTED);
	/* data entry: ARM GUID, severity, rev 0x300, primary, length */
	assert_memory_equal(ent, arm_guid, 16);
	assert_int_equal(get_le32(ent + 16), CPER_SEV_CORRECTED);
	assert_int_equal(get_le16(ent + 20), 0x0300);
	assert_int_equal(ent[23], CPER_GDATA_FLAG_PRIMARY);
	assert_int_equal(get_le32(ent + 24), slen);
	/* section header */
	assert_int_equal(get_le32(sec + 0), 0x7);
	assert_int_equal(get_le16(sec + 4), 2);		/* ERR_INFO_NUM */
	assert_int_equal(get_le16(sec + 6), 0);		/* CONTEXT_INFO_NUM */
	assert_int_equal(get_le32(sec + 8), slen);	/* section length */
	assert_int_equal(sec[12], 1);			/* affinity level */
	assert_int_equal(sec[13] | sec[14] | sec[15], 0);
	assert_int_equal(get_le64(sec + 16), 0x80000001);
	assert_int_equal(get_le64(sec + 24), 0x410fd083);
	assert_int_equal(get_le32(sec + 32), 1);
	assert_int_equal(get_le32(sec + 36), 0x55);
	/* error info 0: every field */
	assert_int_equal(inf[0], 0);			/* version */
	assert_int_equal(inf[1], 32);			/* length */
	assert_int_equal(get_le16(inf + 2), 0x1f);
	assert_int_equal(inf[4], 0x02);			/* cache (bit 1) */
	assert_int_equal(get_le16(inf + 5), 3);
	assert_int_equal(inf[7], 0x3);
	assert_int_equal(get_le64(inf + 8), 0x0091000f);
	assert_int_equal(get_le64(inf + 16), 0xffff800012345678ULL);
	assert_int_equal(get_le64(inf + 24), 0x40012000);
	/* error info 1: only PA valid, the rest written as 0 */
	inf += 32;
	assert_int_equal(get_le16(inf + 2), CPER_ARM_INFO_VALID_PA);
	assert_int_equal(inf[4], 0x04);			/* TLB (bit 2) */
	assert_int_equal(get_le16(inf + 5), 0);
	assert_int_equal(get_le64(inf + 16), 0);
	assert_int_equal(get_le64(inf + 24), 0x40034000);
	assert_int_equal(cper_check_record(buf, len), 0);
}

static void test_arm_rejects(void **state)
{
	uint8_t buf[512];
	struct cper_arm_error a = { .n_info = 1, .info = { { .type = CPER_ARM_TYPE_BUS } } };
	static const uint8_t vendor[3] = { 1, 2, 3 };
	size_t len;

	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), 0);
	a.n_info = 0;
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), -EINVAL);
	a.n_info = CPER_ARM_MAX_ERR_INFO + 1;
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), -EINVAL);
	a.n_info = 1;
	a.info[0].type = 0x01;		/* bit 0 is reserved */
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), -EINVAL);
	a.info[0].type = 0;
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), -EINVAL);
	a.info[0].type = CPER_ARM_TYPE_TLB | CPER_ARM_TYPE_VENDOR;	/* combined: fine */
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), 0);
	a.valid = 1u << 4;
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), -EINVAL);
	/* vendor bytes need their bit, and the bit needs bytes */
	a.valid = CPER_ARM_VALID_VENDOR_INFO;
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), -EINVAL);
	a.vendor = vendor;
	a.vendor_len = sizeof(vendor);
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), 0);
	assert_int_equal(get_le32(buf + CPER_STATUS_BLOCK_LEN + CPER_DATA_ENTRY_LEN + 8), 75);
	assert_memory_equal(buf + len - 3, vendor, 3);
	a.valid = 0;
	assert_int_equal(cper_build_arm_error(buf, sizeof(buf), &a, &len), -EINVAL);
	/* too small a buffer */
	a.vendor = NULL;
	a.vendor_len = 0;
	assert_int_equal(cper_build_arm_error(buf, 100, &a, &len), -ENOSPC);
}

/* Cache/TLB/bus check structures (UEFI N.2.4.4.2 - N.2.4.4.4). */
static void test_arm_check(void **state)
{
	struct cper_arm_check c = {
		.valid = CPER_ARM_CHECK_VALID_TRANSACTION | CPER_ARM_CHECK_VALID_OPERATION |
			 CPER_ARM_CHECK_VALID_LEVEL | CPER_ARM_CHECK_VALID_PCC,
		.transaction = 1, .operation = 4, .level = 2, .pcc = false,
	};
	uint64_t v;

	/* data access, data write, level 2, context not corrupted: the
	 * value QEMU's arm_processor_error.py uses for its cache example */
	assert_int_equal(cper_arm_check_encode(CPER_ARM_TYPE_CACHE, &c, &v), 0);
	assert_int_equal(v, 0x0091000f);
	c.operation = 11;
	assert_int_equal(cper_arm_check_encode(CPER_ARM_TYPE_CACHE, &c, &v), -EINVAL);
	c.operation = 9;
	assert_int_equal(cper_arm_check_encode(CPER_ARM_TYPE_TLB, &c, &v), -EINVAL);
	assert_int_equal(cper_arm_check_encode(CPER_ARM_TYPE_BUS, &c, &v), -EINVAL);
	c.operation = 6;
	assert_int_equal(cper_arm_check_encode(CPER_ARM_TYPE_BUS, &c, &v), 0);
	/* bus-only fields */
	c.valid |= CPER_ARM_CHECK_VALID_ACCESS_MODE | CPER_ARM_CHECK_VALID_MEM_ATTR;
	c.access_mode = true;
	c.mem_attr = 0x1ff;
	assert_int_equal(cper_arm_check_encode(CPER_ARM_TYPE_BUS, &c, &v), 0);
	assert_int_equal(v >> 43 & 1, 1);
	assert_int_equal(v >> 34 & 0x1ff, 0x1ff);
	assert_int_equal(v & 0xffff, c.valid);
	assert_int_equal(cper_arm_check_encode(CPER_ARM_TYPE_CACHE, &c, &v), -EINVAL);
	assert_int_equal(cper_arm_check_encode(CPER_ARM_TYPE_CACHE | CPER_ARM_TYPE_TLB, &c, &v),
			 -EINVAL);
}

/* Two sections in one record, with the entry count in Block Status. */
static void test_record_two_sections(void **state)
{
	struct cper_guid g;
	const uint8_t one[4] = { 1, 2, 3, 4 }, two[2] = { 5, 6 };
	const struct cper_section secs[2] = {
		{ .type = &g, .severity = CPER_SEV_FATAL, .flags = 1, .data = one, .len = 4 },
		{ .type = &g, .severity = CPER_SEV_RECOVERABLE, .data = two, .len = 2 },
	};
	uint8_t buf[256];
	size_t len;

	assert_int_equal(cper_guid_parse("01234567-89ab-CDEF-0011-223344556677", &g), 0);
	assert_int_equal(g.d1, 0x01234567);
	assert_int_equal(g.d2, 0x89ab);
	assert_int_equal(g.d3, 0xcdef);
	assert_int_equal(g.d4[0], 0x00);
	assert_int_equal(g.d4[7], 0x77);
	assert_int_equal(cper_build_record(buf, sizeof(buf), CPER_SEV_FATAL, 0, true, secs, 2,
					   &len), 0);
	assert_int_equal(len, 20 + 72 + 4 + 72 + 2);
	assert_int_equal(get_le32(buf), CPER_BLOCK_UE_VALID | 2 << 4);
	assert_int_equal(get_le32(buf + 12), 72 + 4 + 72 + 2);
	assert_int_equal(get_le32(buf + 16), CPER_SEV_FATAL);
	/* GUID wire form: d1..d3 little-endian */
	assert_int_equal(buf[20], 0x67);
	assert_int_equal(buf[23], 0x01);
	assert_int_equal(buf[24], 0xab);
	assert_int_equal(buf[26], 0xef);
	assert_int_equal(buf[28], 0x00);
	assert_int_equal(buf[35], 0x77);
	assert_int_equal(buf[20 + 23], 1);			/* flags */
	assert_memory_equal(buf + 20 + 72, one, 4);
	assert_int_equal(get_le32(buf + 20 + 76 + 16), CPER_SEV_RECOVERABLE);
	assert_memory_equal(buf + 20 + 76 + 72, two, 2);
	assert_int_equal(cper_check_record(buf, len), 0);
	assert_int_equal(cper_build_record(buf, len - 1, CPER_SEV_FATAL, 0, true, secs, 2, &len),
			 -ENOSPC);
	assert_int_equal(cper_build_record(buf, sizeof(buf), CPER_SEV_FATAL, 0, true, secs, 0,
					   &len), -EINVAL);
	assert_int_equal(cper_guid_parse("01234567-89ab-cdef-0011-22334455667", &g), -EINVAL);
	assert_int_equal(cper_guid_parse("01234567_89ab-cdef-0011-223344556677", &g), -EINVAL);
	assert_int_equal(cper_guid_parse("0123456g-89ab-cdef-0011-223344556677", &g), -EINVAL);
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
		cmocka_unit_test(test_mem_all_fields),
		cmocka_unit_test(test_arm_bytes),
		cmocka_unit_test(test_arm_rejects),
		cmocka_unit_test(test_arm_check),
		cmocka_unit_test(test_record_two_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
