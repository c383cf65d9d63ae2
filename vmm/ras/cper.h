/* CPER record builders: the bytes the VMM writes into a GHES Generic Error
 * Status Block: a memory error, an ARM processor error, or any section
 * payload wrapped in a status block and data entry. Layouts follow UEFI 2.10
 * Appendix N (N.2.1 error record, N.2.2 section types, N.2.4.4 ARM processor
 * error section, N.2.5 memory error section) and ACPI 6.3 section 18.3.2.7
 * (Generic Error Status Block / Generic Error Data Entry). Pure. */
#ifndef MVR_RAS_CPER_H
#define MVR_RAS_CPER_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes of the pieces of a one-section memory error record. */
#define CPER_STATUS_BLOCK_LEN   20u  /* ACPI 18.3.2.7.1 Generic Error Status Block */
#define CPER_DATA_ENTRY_LEN     72u  /* ACPI 18.3.2.7.1 Generic Error Data Entry, rev 0x300 */
#define CPER_MEM_SECTION_LEN    80u  /* UEFI N.2.5 Memory Error Section */
#define CPER_ARM_SECTION_HDR_LEN 40u /* UEFI N.2.4.4 ARM processor section, fixed part */
#define CPER_ARM_ERR_INFO_LEN   32u  /* UEFI N.2.4.4.1 ARM Processor Error Information */
#define CPER_MEM_ERROR_RECORD_LEN \
	(CPER_STATUS_BLOCK_LEN + CPER_DATA_ENTRY_LEN + CPER_MEM_SECTION_LEN) /* 172 */

/* Error severity (UEFI N.2.1, also used by the ACPI status block/entry). */
#define CPER_SEV_RECOVERABLE 0u
#define CPER_SEV_FATAL       1u
#define CPER_SEV_CORRECTED   2u
#define CPER_SEV_INFO        3u

/* Generic Error Status Block, Block Status bits (ACPI 18.3.2.7.1). */
#define CPER_BLOCK_UE_VALID       (1u << 0)  /* uncorrectable error valid */
#define CPER_BLOCK_CE_VALID       (1u << 1)  /* correctable error valid */
#define CPER_BLOCK_MULTI_UE       (1u << 2)
#define CPER_BLOCK_MULTI_CE       (1u << 3)
#define CPER_BLOCK_ENTRY_COUNT_SHIFT 4       /* bits 13:4, error data entry count */

/* Generic Error Data Entry revision and validation bits (ACPI 18.3.2.7.1). */
#define CPER_DATA_ENTRY_REVISION  0x0300u
#define CPER_GDATA_VALID_FRU_ID   (1u << 0)
#define CPER_GDATA_VALID_FRU_TEXT (1u << 1)
#define CPER_GDATA_VALID_TIMESTAMP (1u << 2)

/* Generic Error Data Entry Flags (ACPI 18.3.2.7.1, same bits as the UEFI
 * N.2.2 section descriptor flags). */
#define CPER_GDATA_FLAG_PRIMARY   (1u << 0)

/* Memory error section validation bits (UEFI N.2.5, offset 0). */
#define CPER_MEM_VALID_ERROR_STATUS (1ull << 0)
#define CPER_MEM_VALID_PA           (1ull << 1)
#define CPER_MEM_VALID_PA_MASK      (1ull << 2)
#define CPER_MEM_VALID_NODE         (1ull << 3)
#define CPER_MEM_VALID_CARD         (1ull << 4)
#define CPER_MEM_VALID_MODULE       (1ull << 5)
#define CPER_MEM_VALID_BANK         (1ull << 6)
#define CPER_MEM_VALID_DEVICE       (1ull << 7)
#define CPER_MEM_VALID_ROW          (1ull << 8)
#define CPER_MEM_VALID_COLUMN       (1ull << 9)
#define CPER_MEM_VALID_BIT_POSITION (1ull << 10)
#define CPER_MEM_VALID_REQUESTOR_ID (1ull << 11)
#define CPER_MEM_VALID_RESPONDER_ID (1ull << 12)
#define CPER_MEM_VALID_TARGET_ID    (1ull << 13)
#define CPER_MEM_VALID_ERROR_TYPE   (1ull << 14)
#define CPER_MEM_VALID_RANK         (1ull << 15)
#define CPER_MEM_VALID_CARD_HANDLE  (1ull << 16)
#define CPER_MEM_VALID_MODULE_HANDLE (1ull << 17)
#define CPER_MEM_VALID_EXT_ROW      (1ull << 18) /* row bits 16/17 in Extended */
#define CPER_MEM_VALID_BANK_GROUP   (1ull << 19) /* Bank bits 15:8 */
#define CPER_MEM_VALID_BANK_ADDRESS (1ull << 20) /* Bank bits 7:0 */
#define CPER_MEM_VALID_CHIP_ID      (1ull << 21) /* Extended bits 7:5 */
#define CPER_MEM_VALID_ALL          ((1ull << 22) - 1)

/* Memory error type values (UEFI N.2.5, offset 72): 0 unknown, 1 no
 * error, 2 single-bit ECC, 3 multi-bit ECC, 4 single-symbol chipkill,
 * 5 multi-symbol chipkill, 6 master abort, 7 target abort, 8 parity,
 * 9 watchdog timeout, 10 invalid address, 11 mirror broken, 12 memory
 * sparing, 13 scrub corrected, 14 scrub uncorrected, 15 physical memory
 * map-out event, 16 and up reserved. */
#define CPER_MEM_TYPE_UNKNOWN       0u
#define CPER_MEM_TYPE_SINGLE_BIT_ECC 2u
#define CPER_MEM_TYPE_MULTI_BIT_ECC 3u
#define CPER_MEM_TYPE_MAX           15u

/* ARM processor error section validation bits (UEFI N.2.4.4, offset 0). */
#define CPER_ARM_VALID_MPIDR          (1u << 0)
#define CPER_ARM_VALID_AFFINITY_LEVEL (1u << 1)
#define CPER_ARM_VALID_RUNNING_STATE  (1u << 2)
#define CPER_ARM_VALID_VENDOR_INFO    (1u << 3)
#define CPER_ARM_VALID_ALL            0xfu

/* ARM Processor Error Information validation bits (UEFI N.2.4.4.1, offset 2). */
#define CPER_ARM_INFO_VALID_MULTI_ERR  (1u << 0)
#define CPER_ARM_INFO_VALID_FLAGS      (1u << 1)
#define CPER_ARM_INFO_VALID_ERR_INFO   (1u << 2)
#define CPER_ARM_INFO_VALID_VA         (1u << 3)
#define CPER_ARM_INFO_VALID_PA         (1u << 4)
#define CPER_ARM_INFO_VALID_ALL        0x1fu

/* ARM Processor Error Information Type (UEFI 2.10 N.2.4.4.1, offset 4):
 * a bit mask since UEFI 2.9A. Linux before 6.19 reads it as an index
 * (0 cache, 1 TLB, 2 bus, 3 micro-architectural) and so names our cache
 * error a "bus error"; the record is still printed in full. */
#define CPER_ARM_TYPE_CACHE  (1u << 1)
#define CPER_ARM_TYPE_TLB    (1u << 2)
#define CPER_ARM_TYPE_BUS    (1u << 3)
#define CPER_ARM_TYPE_VENDOR (1u << 4)	/* micro-architectural */
#define CPER_ARM_TYPE_ALL    0x1eu

/* ARM Processor Error Information Flags (UEFI N.2.4.4.1, offset 7). */
#define CPER_ARM_FLAG_FIRST      (1u << 0)
#define CPER_ARM_FLAG_LAST       (1u << 1)
#define CPER_ARM_FLAG_PROPAGATED (1u << 2)
#define CPER_ARM_FLAG_OVERFLOW   (1u << 3)

/* Most error-information entries one ARM section built here carries. */
#define CPER_ARM_MAX_ERR_INFO 8u

/* Offsets inside a record built by cper_build_mem_error(). */
#define CPER_OFF_BLOCK_STATUS   0u
#define CPER_OFF_DATA_LENGTH    12u
#define CPER_OFF_ENTRY          CPER_STATUS_BLOCK_LEN
#define CPER_OFF_SECTION        (CPER_STATUS_BLOCK_LEN + CPER_DATA_ENTRY_LEN)
#define CPER_OFF_SECTION_PA     (CPER_OFF_SECTION + 16u)

/* A GUID held in host order; encoded in its mixed-endian wire form
 * (UEFI Appendix A: d1, d2, d3 little-endian, d4 as bytes). */
struct cper_guid {
	uint32_t d1;
	uint16_t d2, d3;
	uint8_t d4[8];
};

/* What one memory error record says. Zero-initialise, then set fields.
 * The physical address and memory error type are always reported (their
 * validation bits are always set); every other field is written, with its
 * validation bit, only when its CPER_MEM_VALID_* bit is in 'valid'. */
struct cper_mem_error {
	uint64_t gpa;          /* guest physical address of the error */
	uint32_t severity;     /* CPER_SEV_*; 0 (recoverable) is what Linux can
				* handle without panicking */
	uint8_t mem_error_type; /* CPER_MEM_TYPE_*, 0 = unknown */
	int64_t timestamp;     /* 0: none; else UTC seconds since the epoch,
				* encoded as BCD with "timestamp valid" set.
				* A distinct timestamp keeps Linux from dropping
				* a repeat of the same address within 10 s. */
	uint64_t valid;        /* more CPER_MEM_VALID_* fields below */
	uint64_t error_status; /* UEFI N.2.7 Error Status */
	uint64_t pa_mask;
	uint16_t node, card, module, bank, device, row, column, bit_pos;
	uint64_t requestor_id, responder_id, target_id;
	uint8_t extended;      /* row bits 16/17 (bits 0-1), chip id (bits 7:5) */
	uint16_t rank, card_handle, module_handle;
};

/* A UTC calendar date and time (what the CPER timestamp encodes). */
struct cper_utc {
	uint64_t year;
	unsigned mon;   /* 1..12 */
	unsigned mday;  /* 1..31 */
	unsigned hour, min, sec;
};

/* Split 'secs' (>= 0, seconds since 1970-01-01T00:00:00Z, no leap
 * seconds) into its UTC date and time. */
void cper_utc(int64_t secs, struct cper_utc *u);

/* One ARM Processor Error Information entry (UEFI N.2.4.4.1). Fields are
 * written with their CPER_ARM_INFO_VALID_* bit only when it is in 'valid'. */
struct cper_arm_err_info {
	uint16_t valid;          /* CPER_ARM_INFO_VALID_* */
	uint8_t type;            /* CPER_ARM_TYPE_*, at least one, no other bits */
	uint16_t multiple_error; /* 0 single, 1 multiple, >= 2 the count */
	uint8_t flags;           /* CPER_ARM_FLAG_* */
	uint64_t error_info;     /* cache/TLB/bus check (cper_arm_check_encode()) */
	uint64_t va, pa;         /* virtual / physical fault address */
};

/* One ARM processor error section (UEFI N.2.4.4). No processor context
 * structures (CONTEXT_INFO_NUM 0); optional vendor-specific bytes after
 * the error-information entries (with CPER_ARM_VALID_VENDOR_INFO). */
struct cper_arm_error {
	uint32_t severity;       /* CPER_SEV_* */
	int64_t timestamp;       /* as in struct cper_mem_error */
	uint32_t valid;          /* CPER_ARM_VALID_* */
	uint8_t affinity_level;
	uint64_t mpidr, midr;    /* MIDR has no validation bit: always written */
	uint32_t running_state;  /* bit 0: processor running */
	uint32_t psci_state;     /* written with the running state */
	unsigned n_info;         /* 1 .. CPER_ARM_MAX_ERR_INFO */
	struct cper_arm_err_info info[CPER_ARM_MAX_ERR_INFO];
	const uint8_t *vendor;   /* vendor-specific error info, or NULL */
	size_t vendor_len;
};

/* The cache, TLB and bus check structures of the Error Information field
 * (UEFI N.2.4.4.2 - N.2.4.4.4): each field counts only when its
 * CPER_ARM_CHECK_VALID_* bit is in 'valid'; bits 7-11 are for bus checks. */
#define CPER_ARM_CHECK_VALID_TRANSACTION (1u << 0)
#define CPER_ARM_CHECK_VALID_OPERATION   (1u << 1)
#define CPER_ARM_CHECK_VALID_LEVEL       (1u << 2)
#define CPER_ARM_CHECK_VALID_PCC         (1u << 3)
#define CPER_ARM_CHECK_VALID_CORRECTED   (1u << 4)
#define CPER_ARM_CHECK_VALID_PRECISE_PC  (1u << 5)
#define CPER_ARM_CHECK_VALID_RESTARTABLE (1u << 6)
#define CPER_ARM_CHECK_VALID_PARTICIPATION (1u << 7)
#define CPER_ARM_CHECK_VALID_TIME_OUT    (1u << 8)
#define CPER_ARM_CHECK_VALID_ADDR_SPACE  (1u << 9)
#define CPER_ARM_CHECK_VALID_MEM_ATTR    (1u << 10)
#define CPER_ARM_CHECK_VALID_ACCESS_MODE (1u << 11)

struct cper_arm_check {
	uint16_t valid;          /* CPER_ARM_CHECK_VALID_* */
	uint8_t transaction;     /* 0 instruction, 1 data access, 2 generic */
	uint8_t operation;       /* cache 0-10, TLB 0-8, bus 0-6 */
	uint8_t level;           /* 0-7 */
	bool pcc;                /* processor context corrupt */
	bool corrected, precise_pc, restartable_pc;
	uint8_t participation;   /* bus: 0-3 */
	bool time_out;           /* bus */
	uint8_t addr_space;      /* bus: 0-3 */
	uint16_t mem_attr;       /* bus: 9 bits */
	bool access_mode;        /* bus: 1 normal, 0 secure */
};

/* One section to wrap in a record: its type, severity, data entry flags
 * (CPER_GDATA_FLAG_*) and payload. */
struct cper_section {
	const struct cper_guid *type;
	uint32_t severity;
	uint8_t flags;
	const uint8_t *data;
	size_t len;
};

#ifdef CONFIG_RAS

/* Section types (UEFI N.2.2). */
extern const struct cper_guid cper_sec_platform_mem;
extern const struct cper_guid cper_sec_proc_arm;

/*
 * Write a complete single-section memory error record (Generic Error Status
 * Block + one rev-0x300 Generic Error Data Entry + memory error section,
 * CPER_MEM_ERROR_RECORD_LEN bytes) into buf, little-endian. Block Status is
 * CPER_BLOCK_UE_VALID (1) as QEMU writes (CPER_BLOCK_CE_VALID for corrected
 * and informational severities), Linux only checks it is non-zero; the
 * error data entry count bits stay 0 (Linux does not read them).
 * Returns 0 and sets *out_len, -ENOSPC if buflen is too small (buf is not
 * touched), -EINVAL for a NULL argument, a severity above CPER_SEV_INFO
 * or a 'valid' bit beyond CPER_MEM_VALID_ALL.
 */
int cper_build_mem_error(uint8_t *buf, size_t buflen, const struct cper_mem_error *err,
			 size_t *out_len);

/*
 * Write the memory error section alone (CPER_MEM_SECTION_LEN bytes, UEFI
 * N.2.5) for err. Returns 0, -EINVAL (NULL, a validation bit not defined,
 * a memory error type above 255 cannot happen: u8) or -ENOSPC.
 */
int cper_build_mem_section(uint8_t *buf, size_t buflen, const struct cper_mem_error *err);

/*
 * Encode a cache (type CPER_ARM_TYPE_CACHE), TLB or bus check structure
 * into *out (UEFI N.2.4.4.2 - N.2.4.4.4). Returns 0, or -EINVAL for a
 * value out of its field's range, bus-only fields on a non-bus check, or a
 * type that is not exactly one of cache, TLB and bus.
 */
int cper_arm_check_encode(uint8_t type, const struct cper_arm_check *c, uint64_t *out);

/* Length of the ARM processor error section err describes (0 if invalid). */
size_t cper_arm_section_len(const struct cper_arm_error *err);

/*
 * Write the ARM processor error section alone (UEFI N.2.4.4). Returns 0
 * and sets *out_len, -EINVAL (NULL; n_info 0 or above
 * CPER_ARM_MAX_ERR_INFO; a validation bit or type bit not defined; vendor
 * bytes without CPER_ARM_VALID_VENDOR_INFO or the reverse) or -ENOSPC.
 */
int cper_build_arm_section(uint8_t *buf, size_t buflen, const struct cper_arm_error *err,
			   size_t *out_len);

/*
 * Write a complete record with one ARM processor error section: Generic
 * Error Status Block + Generic Error Data Entry (primary) + section.
 * Returns as cper_build_arm_section(), plus -EINVAL for a bad severity.
 */
int cper_build_arm_error(uint8_t *buf, size_t buflen, const struct cper_arm_error *err,
			 size_t *out_len);

/*
 * Write a record holding sections secs[0 .. n): Generic Error Status Block
 * (Block Status: correctable-error valid for a corrected or informational
 * 'severity', else uncorrectable-error valid; the data entry count in bits
 * 13:4 is written when 'count_entries' is true) and one rev-0x300 Generic
 * Error Data Entry per section, each followed by its payload. 'timestamp'
 * as in struct cper_mem_error (applied to every entry). Returns 0 and sets
 * *out_len, -EINVAL (NULL, n 0 or above 1023, a severity above
 * CPER_SEV_INFO, a section without type or with data NULL and len > 0, a
 * length that overflows 32 bits) or -ENOSPC (buf untouched).
 */
int cper_build_record(uint8_t *buf, size_t buflen, uint32_t severity, int64_t timestamp,
		      bool count_entries, const struct cper_section *secs, unsigned n,
		      size_t *out_len);

/*
 * Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, either case) into *g.
 * Returns 0 or -EINVAL.
 */
int cper_guid_parse(const char *s, struct cper_guid *g);

/*
 * Check a Generic Error Status Block the way the Linux GHES driver does
 * before trusting it: block status non-zero, data_length covering whole
 * data entries exactly, each entry's data length in bounds, whole record
 * within len. Returns 0 if a guest would accept it, -EINVAL otherwise.
 */
int cper_check_record(const uint8_t *rec, size_t len);

#else /* !CONFIG_RAS: the builders are left out; callers get -ENOTSUP */

static inline int cper_build_mem_error(uint8_t *buf, size_t buflen,
				       const struct cper_mem_error *err, size_t *out_len)
{
	return -ENOTSUP;
}
static inline int cper_build_mem_section(uint8_t *buf, size_t buflen,
					 const struct cper_mem_error *err)
{
	return -ENOTSUP;
}
static inline int cper_arm_check_encode(uint8_t type, const struct cper_arm_check *c,
					uint64_t *out)
{
	return -ENOTSUP;
}
static inline size_t cper_arm_section_len(const struct cper_arm_error *err)
{
	return 0;
}
static inline int cper_build_arm_section(uint8_t *buf, size_t buflen,
					 const struct cper_arm_error *err, size_t *out_len)
{
	return -ENOTSUP;
}
static inline int cper_build_arm_error(uint8_t *buf, size_t buflen,
				       const struct cper_arm_error *err, size_t *out_len)
{
	return -ENOTSUP;
}
static inline int cper_build_record(uint8_t *buf, size_t buflen, uint32_t severity,
				    int64_t timestamp, bool count_entries,
				    const struct cper_section *secs, unsigned n, size_t *out_len)
{
	return -ENOTSUP;
}
static inline int cper_guid_parse(const char *s, struct cper_guid *g)
{
	return -ENOTSUP;
}
static inline int cper_check_record(const uint8_t *rec, size_t len)
{
	return -ENOTSUP;
}

#endif /* CONFIG_RAS */

#endif
