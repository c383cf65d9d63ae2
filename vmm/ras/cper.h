/* CPER record builder: the bytes the VMM writes into a GHES Generic Error
 * Status Block for one guest memory error. Layouts follow UEFI 2.10
 * Appendix N (N.2.1 error record, N.2.5 memory error section) and ACPI 6.3
 * section 18.3.2.7 (Generic Error Status Block / Generic Error Data Entry). */
#ifndef MVR_RAS_CPER_H
#define MVR_RAS_CPER_H

#include <stddef.h>
#include <stdint.h>

/* Sizes of the pieces of a one-section memory error record. */
#define CPER_STATUS_BLOCK_LEN   20u  /* ACPI 18.3.2.7.1 Generic Error Status Block */
#define CPER_DATA_ENTRY_LEN     72u  /* ACPI 18.3.2.7.1 Generic Error Data Entry, rev 0x300 */
#define CPER_MEM_SECTION_LEN    80u  /* UEFI N.2.5 Memory Error Section */
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

/* Memory error section validation bits (UEFI N.2.5). */
#define CPER_MEM_VALID_ERROR_STATUS (1ull << 0)
#define CPER_MEM_VALID_PA           (1ull << 1)
#define CPER_MEM_VALID_PA_MASK      (1ull << 2)
#define CPER_MEM_VALID_ERROR_TYPE   (1ull << 14)

/* Memory error type values (UEFI N.2.5, offset 72). */
#define CPER_MEM_TYPE_UNKNOWN       0u
#define CPER_MEM_TYPE_MULTI_BIT_ECC 3u

/* Offsets inside a record built by cper_build_mem_error(). */
#define CPER_OFF_BLOCK_STATUS   0u
#define CPER_OFF_DATA_LENGTH    12u
#define CPER_OFF_ENTRY          CPER_STATUS_BLOCK_LEN
#define CPER_OFF_SECTION        (CPER_STATUS_BLOCK_LEN + CPER_DATA_ENTRY_LEN)
#define CPER_OFF_SECTION_PA     (CPER_OFF_SECTION + 16u)

/* What one memory error record says. Zero-initialise, then set fields. */
struct cper_mem_error {
	uint64_t gpa;          /* guest physical address of the error */
	uint32_t severity;     /* CPER_SEV_*; 0 (recoverable) is what Linux can
				* handle without panicking */
	uint8_t mem_error_type; /* CPER_MEM_TYPE_*, 0 = unknown */
	int64_t timestamp;     /* 0: none; else UTC seconds since the epoch,
				* encoded as BCD with "timestamp valid" set.
				* A distinct timestamp keeps Linux from dropping
				* a repeat of the same address within 10 s. */
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

/*
 * Write a complete single-section memory error record (Generic Error Status
 * Block + one rev-0x300 Generic Error Data Entry + memory error section,
 * CPER_MEM_ERROR_RECORD_LEN bytes) into buf, little-endian. Block Status is
 * CPER_BLOCK_UE_VALID (1), as QEMU writes and Linux checks for non-zero; the
 * error data entry count bits stay 0 (Linux does not read them).
 * Returns 0 and sets *out_len, -ENOSPC if buflen is too small (buf is not
 * touched), -EINVAL for a NULL argument or a severity above CPER_SEV_INFO.
 */
int cper_build_mem_error(uint8_t *buf, size_t buflen, const struct cper_mem_error *err,
			 size_t *out_len);

/*
 * Check a Generic Error Status Block the way the Linux GHES driver does
 * before trusting it: block status non-zero, data_length covering whole
 * data entries exactly, each entry's data length in bounds, whole record
 * within len. Returns 0 if a guest would accept it, -EINVAL otherwise.
 */
int cper_check_record(const uint8_t *rec, size_t len);

#endif
