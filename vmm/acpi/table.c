/* Byte builder for ACPI tables: growable little-endian buffer with a sticky
 * error, the System Description Table Header (ACPI 6.3 section 5.2.6), the
 * Generic Address Structure (section 5.2.3.2) and table checksums. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/table.h"
#include "util.h"

void acpi_buf_init(struct acpi_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

void acpi_buf_free(struct acpi_buf *b)
{
	free(b->data);
	acpi_buf_init(b);
}

int acpi_buf_error(const struct acpi_buf *b)
{
	return b->err;
}

int acpi_buf_to_blob(struct acpi_buf *b, struct acpi_blob *out)
{
	int err = b->err;

	if (err) {
		acpi_buf_free(b);
		return err;
	}
	out->data = b->data;
	out->len = b->len;
	acpi_buf_init(b);
	return 0;
}

/* Make room for n more bytes; returns a pointer to them or NULL (error set). */
static uint8_t *acpi_buf_grow(struct acpi_buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (b->err)
		return NULL;
	if (__builtin_add_overflow(b->len, n, &need)) {
		b->err = -ENOMEM;
		return NULL;
	}
	if (need > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < need) {
			if (__builtin_mul_overflow(cap, 2, &cap)) {
				b->err = -ENOMEM;
				return NULL;
			}
		}
		p = realloc(b->data, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	p = b->data + b->len;
	b->len = need;
	return p;
}

void acpi_buf_u8(struct acpi_buf *b, uint8_t v)
{
	uint8_t *p = acpi_buf_grow(b, 1);

	if (p)
		p[0] = v;
}

void acpi_buf_u16(struct acpi_buf *b, uint16_t v)
{
	uint8_t *p = acpi_buf_grow(b, 2);

	if (p)
		put_le16(p, v);
}

void acpi_buf_u32(struct acpi_buf *b, uint32_t v)
{
	uint8_t *p = acpi_buf_grow(b, 4);

	if (p)
		put_le32(p, v);
}

void acpi_buf_u64(struct acpi_buf *b, uint64_t v)
{
	uint8_t *p = acpi_buf_grow(b, 8);

	if (p)
		put_le64(p, v);
}

void acpi_buf_bytes(struct acpi_buf *b, const void *src, size_t n)
{
	uint8_t *p;

	if (n == 0)
		return;
	p = acpi_buf_grow(b, n);
	if (p)
		memcpy(p, src, n);
}

void acpi_buf_zeros(struct acpi_buf *b, size_t n)
{
	uint8_t *p;

	if (n == 0)
		return;
	p = acpi_buf_grow(b, n);
	if (p)
		memset(p, 0, n);
}

void acpi_buf_ascii(struct acpi_buf *b, const char *str, size_t n)
{
	size_t sl = strnlen(str, n);
	uint8_t *p;

	if (n == 0)
		return;
	p = acpi_buf_grow(b, n);
	if (!p)
		return;
	memcpy(p, str, sl);
	memset(p + sl, ' ', n - sl);
}

size_t acpi_buf_reserve(struct acpi_buf *b, size_t n)
{
	size_t off = b->len;

	acpi_buf_zeros(b, n);
	return off;
}

void acpi_buf_align(struct acpi_buf *b, size_t align)
{
	if (align == 0 || (align & (align - 1))) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	acpi_buf_zeros(b, ALIGN_UP(b->len, align) - b->len);
}

void acpi_buf_insert(struct acpi_buf *b, size_t off, const void *src, size_t n)
{
	size_t old = b->len;

	if (b->err)
		return;
	if (off > old) {
		b->err = -EINVAL;
		return;
	}
	if (n == 0 || !acpi_buf_grow(b, n))
		return;
	memmove(b->data + off + n, b->data + off, old - off);
	memcpy(b->data + off, src, n);
}

void acpi_buf_set_error(struct acpi_buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

/* Pointer to n existing bytes at off, or NULL (error set) if out of range. */
static uint8_t *acpi_buf_at(struct acpi_buf *b, size_t off, size_t n)
{
	if (b->err)
		return NULL;
	if (!range_within(off, n, 0, b->len)) {
		b->err = -EINVAL;
		return NULL;
	}
	return b->data + off;
}

void acpi_buf_put_u8(struct acpi_buf *b, size_t off, uint8_t v)
{
	uint8_t *p = acpi_buf_at(b, off, 1);

	if (p)
		p[0] = v;
}

void acpi_buf_put_u32(struct acpi_buf *b, size_t off, uint32_t v)
{
	uint8_t *p = acpi_buf_at(b, off, 4);

	if (p)
		put_le32(p, v);
}

void acpi_buf_put_u64(struct acpi_buf *b, size_t off, uint64_t v)
{
	uint8_t *p = acpi_buf_at(b, off, 8);

	if (p)
		put_le64(p, v);
}

void acpi_buf_gas(struct acpi_buf *b, uint8_t space_id, uint8_t bit_width,
		  uint8_t bit_offset, uint8_t access_size, uint64_t address)
{
	acpi_buf_u8(b, space_id);	/* Address Space ID */
	acpi_buf_u8(b, bit_width);	/* Register Bit Width */
	acpi_buf_u8(b, bit_offset);	/* Register Bit Offset */
	acpi_buf_u8(b, access_size);	/* Access Size */
	acpi_buf_u64(b, address);	/* Address */
}

size_t acpi_table_begin(struct acpi_buf *b, const char *sig, uint8_t rev)
{
	size_t start = b->len;

	acpi_buf_ascii(b, sig, 4);			/* Signature */
	acpi_buf_u32(b, 0);				/* Length: acpi_table_end() */
	acpi_buf_u8(b, rev);				/* Revision */
	acpi_buf_u8(b, 0);				/* Checksum: loader ADD_CHECKSUM */
	acpi_buf_ascii(b, ACPI_OEM_ID, 6);		/* OEMID */
	acpi_buf_ascii(b, ACPI_OEM_TABLE_ID, 8);	/* OEM Table ID */
	acpi_buf_u32(b, ACPI_OEM_REVISION);		/* OEM Revision */
	acpi_buf_ascii(b, ACPI_CREATOR_ID, 4);		/* Creator ID */
	acpi_buf_u32(b, ACPI_CREATOR_REVISION);		/* Creator Revision */
	return start;
}

uint32_t acpi_table_end(struct acpi_buf *b, size_t start)
{
	size_t len;

	if (b->err)
		return 0;
	if (start > b->len || b->len - start < ACPI_HEADER_SIZE ||
	    b->len - start > UINT32_MAX) {
		b->err = -EINVAL;
		return 0;
	}
	len = b->len - start;
	acpi_buf_put_u32(b, start + ACPI_HEADER_LEN_OFF, (uint32_t)len);
	return (uint32_t)len;
}

uint8_t acpi_checksum8(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)(0u - sum);
}

void acpi_table_set_checksum(uint8_t *table, size_t len)
{
	if (len < ACPI_HEADER_SIZE)
		return;
	table[ACPI_HEADER_CSUM_OFF] = 0;
	table[ACPI_HEADER_CSUM_OFF] = acpi_checksum8(table, len);
}
