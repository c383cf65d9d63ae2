/* Byte builder for ACPI tables: a growable little-endian buffer, the
 * standard 36-byte System Description Table Header (ACPI 6.3 section 5.2.6),
 * the Generic Address Structure (section 5.2.3.2) and the 8-bit checksum.
 * Appends never fail individually: the first allocation failure is kept in
 * the buffer (sticky error) and reported by acpi_buf_error(), so table code
 * reads as one call per field, in spec order. */
#ifndef MVR_ACPI_TABLE_H
#define MVR_ACPI_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* OEM identification written into every table header. */
#define ACPI_OEM_ID           "MVRRAS"   /* 6 bytes */
#define ACPI_OEM_TABLE_ID     "MICROVM " /* 8 bytes */
#define ACPI_OEM_REVISION     1
#define ACPI_CREATOR_ID       "MVRR"     /* 4 bytes */
#define ACPI_CREATOR_REVISION 1

#define ACPI_HEADER_SIZE      36
#define ACPI_HEADER_LEN_OFF   4  /* Length field */
#define ACPI_HEADER_CSUM_OFF  9  /* Checksum field */
#define ACPI_GAS_SIZE         12

/* Generic Address Structure: address space ids and access sizes. */
#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_ACCESS_BYTE   1
#define ACPI_GAS_ACCESS_WORD   2
#define ACPI_GAS_ACCESS_DWORD  3
#define ACPI_GAS_ACCESS_QWORD  4

/* A finished blob handed to fw_cfg: malloc'ed bytes, owned by the holder. */
struct acpi_blob {
	uint8_t *data;
	size_t len;
};

struct acpi_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err;	/* 0, or the first -errno seen (sticky) */
};

/* Start an empty buffer (no allocation yet). */
void acpi_buf_init(struct acpi_buf *b);
/* Free the bytes and reset to empty. */
void acpi_buf_free(struct acpi_buf *b);
/* 0, or the first error any append met (-ENOMEM, -EINVAL). */
int acpi_buf_error(const struct acpi_buf *b);
/* Hand the bytes over as a blob (buffer becomes empty). Returns the sticky
 * error instead (and frees the bytes) if any append failed. */
int acpi_buf_to_blob(struct acpi_buf *b, struct acpi_blob *out);

/* Appends, little-endian. On failure they record the error and do nothing. */
void acpi_buf_u8(struct acpi_buf *b, uint8_t v);
void acpi_buf_u16(struct acpi_buf *b, uint16_t v);
void acpi_buf_u32(struct acpi_buf *b, uint32_t v);
void acpi_buf_u64(struct acpi_buf *b, uint64_t v);
void acpi_buf_bytes(struct acpi_buf *b, const void *p, size_t n);
void acpi_buf_zeros(struct acpi_buf *b, size_t n);
/* Fixed-width ASCII field: copies 'str' and pads with spaces to n bytes
 * (used for signatures and OEM ids; longer strings are truncated). */
void acpi_buf_ascii(struct acpi_buf *b, const char *str, size_t n);
/* Append n zero bytes and return the offset where they start (for fields
 * filled in later with acpi_buf_put_*). */
size_t acpi_buf_reserve(struct acpi_buf *b, size_t n);
/* Pad with zeros until len is a multiple of 'align' (a power of two). */
void acpi_buf_align(struct acpi_buf *b, size_t align);

/* Insert n bytes at 'off' (<= len), moving what follows up. */
void acpi_buf_insert(struct acpi_buf *b, size_t off, const void *p, size_t n);
/* Record an error (e.g. -EINVAL from an encoder) unless one is already set. */
void acpi_buf_set_error(struct acpi_buf *b, int err);

/* Overwrite already-appended bytes; out-of-range offsets set -EINVAL. */
void acpi_buf_put_u8(struct acpi_buf *b, size_t off, uint8_t v);
void acpi_buf_put_u32(struct acpi_buf *b, size_t off, uint32_t v);
void acpi_buf_put_u64(struct acpi_buf *b, size_t off, uint64_t v);

/* Generic Address Structure (ACPI 6.3 section 5.2.3.2): space id, bit
 * width, bit offset, access size, 64-bit address. 12 bytes. */
void acpi_buf_gas(struct acpi_buf *b, uint8_t space_id, uint8_t bit_width,
		  uint8_t bit_offset, uint8_t access_size, uint64_t address);

/* Append a table header (ACPI 6.3 section 5.2.6) with 'sig' (4 chars),
 * 'rev', our OEM ids, length 0 and checksum 0. Returns the table's start
 * offset for acpi_table_end(). */
size_t acpi_table_begin(struct acpi_buf *b, const char *sig, uint8_t rev);
/* Fix the Length field of the table that began at 'start' to run to the
 * current end of the buffer. The Checksum byte stays 0: the linker/loader's
 * ADD_CHECKSUM has the firmware compute it after pointers are patched.
 * Returns the table's length. */
uint32_t acpi_table_end(struct acpi_buf *b, size_t start);

/* The byte that makes the 8-bit sum of p[0..len) plus it zero. */
uint8_t acpi_checksum8(const uint8_t *p, size_t len);
/* Set the header checksum of a standalone table of 'len' bytes. */
void acpi_table_set_checksum(uint8_t *table, size_t len);

#endif
