/* Minimal AML encoder (ACPI 6.3 section 20 grammar, section 6.4 resource
 * descriptors): just what the DSDT needs. Package lengths are inserted when
 * a construct closes, so bodies can be appended without knowing their size. */
#include <errno.h>
#include <string.h>

#include "acpi/aml.h"
#include "util.h"

#define AML_PKGLEN_MAX ((1u << 28) - 1)

/* Resource descriptor tags (section 6.4.2 / 6.4.3). */
#define RES_END_TAG           0x79	/* small item, length 1 */
#define RES_MEMORY32_FIXED    0x86	/* large item 0x06 */
#define RES_EXT_INTERRUPT     0x89	/* large item 0x09 */
#define RES_QWORD_ADDRESS     0x8A	/* large item 0x0A */

int aml_pkglength_encode(uint8_t out[4], size_t body_len)
{
	size_t total;
	int n;

	/* One byte holds lengths up to 63 (bits 5:0). */
	if (body_len < 0x3F) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	/* Otherwise bits 7:6 count the following bytes, bits 3:0 hold the
	 * low nibble and each following byte the next 8 bits. */
	for (n = 2; n <= 4; n++) {
		if (__builtin_add_overflow(body_len, (size_t)n, &total))
			return -EINVAL;
		if (total < (1ull << (4 + 8 * (n - 1)))) {
			int i;

			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0F));
			for (i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return -EINVAL;
}

static bool aml_lead_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool aml_name_char_ok(char c)
{
	return aml_lead_char_ok(c) || (c >= '0' && c <= '9');
}

/* Emit the segment [seg, seg+len) padded to 4 chars with '_'. */
static void aml_nameseg_n(struct acpi_buf *b, const char *seg, size_t len)
{
	char out[4] = { '_', '_', '_', '_' };
	size_t i;

	if (len == 0 || len > 4 || !aml_lead_char_ok(seg[0])) {
		acpi_buf_set_error(b, -EINVAL);
		return;
	}
	for (i = 0; i < len; i++) {
		if (!aml_name_char_ok(seg[i])) {
			acpi_buf_set_error(b, -EINVAL);
			return;
		}
		out[i] = seg[i];
	}
	acpi_buf_bytes(b, out, 4);
}

void aml_nameseg(struct acpi_buf *b, const char *seg)
{
	aml_nameseg_n(b, seg, strlen(seg));
}

void aml_namestring(struct acpi_buf *b, const char *path)
{
	const char *p = path;
	size_t nsegs = 0;

	if (*p == '\\') {
		acpi_buf_u8(b, AML_ROOT_CHAR);	/* RootChar */
		p++;
	}
	if (*p == '\0') {
		acpi_buf_u8(b, 0x00);		/* NullName */
		return;
	}
	for (const char *q = p; q; q = strchr(q, '.')) {
		nsegs++;
		q++;
	}
	if (nsegs == 2) {
		acpi_buf_u8(b, AML_DUAL_NAME_PREFIX);	/* DualNamePath */
	} else if (nsegs > 2) {
		if (nsegs > 255) {
			acpi_buf_set_error(b, -EINVAL);
			return;
		}
		acpi_buf_u8(b, AML_MULTI_NAME_PREFIX);	/* MultiNamePath */
		acpi_buf_u8(b, (uint8_t)nsegs);		/* SegCount */
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		aml_nameseg_n(b, p, len);
		p += len;
		if (*p == '.')
			p++;
	}
}

void aml_integer(struct acpi_buf *b, uint64_t v)
{
	if (v == 0) {
		acpi_buf_u8(b, AML_ZERO_OP);
	} else if (v == 1) {
		acpi_buf_u8(b, AML_ONE_OP);
	} else if (v <= UINT8_MAX) {
		acpi_buf_u8(b, AML_BYTE_PREFIX);
		acpi_buf_u8(b, (uint8_t)v);
	} else if (v <= UINT16_MAX) {
		acpi_buf_u8(b, AML_WORD_PREFIX);
		acpi_buf_u16(b, (uint16_t)v);
	} else if (v <= UINT32_MAX) {
		acpi_buf_u8(b, AML_DWORD_PREFIX);
		acpi_buf_u32(b, (uint32_t)v);
	} else {
		acpi_buf_u8(b, AML_QWORD_PREFIX);
		acpi_buf_u64(b, v);
	}
}

void aml_string(struct acpi_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		/* AsciiCharList: 0x01-0x7F */
		if ((unsigned char)*p > 0x7F) {
			acpi_buf_set_error(b, -EINVAL);
			return;
		}
	}
	acpi_buf_u8(b, AML_STRING_PREFIX);
	acpi_buf_bytes(b, s, strlen(s) + 1);	/* including NullChar */
}

static int aml_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint32_t aml_eisaid_value(const char *id)
{
	uint32_t v = 0;
	int i;

	if (strlen(id) != 7)
		return 0;
	/* Three letters, 5 bits each (letter - 0x40), in bits 30:16. */
	for (i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return 0;
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
	}
	/* Four hex digits in bits 15:0. */
	for (i = 3; i < 7; i++) {
		int d = aml_hex_digit(id[i]);

		if (d < 0)
			return 0;
		v |= (uint32_t)d << (4 * (6 - i));
	}
	/* Stored byte-swapped: the compressed id is big-endian in memory. */
	return __builtin_bswap32(v);
}

void aml_eisaid(struct acpi_buf *b, const char *id)
{
	uint32_t v = aml_eisaid_value(id);

	if (!v) {
		acpi_buf_set_error(b, -EINVAL);
		return;
	}
	acpi_buf_u8(b, AML_DWORD_PREFIX);	/* always a DWordConst */
	acpi_buf_u32(b, v);
}

void aml_name(struct acpi_buf *b, const char *name)
{
	acpi_buf_u8(b, AML_NAME_OP);	/* DefName := NameOp NameString DataRefObject */
	aml_namestring(b, name);
}

void aml_name_integer(struct acpi_buf *b, const char *name, uint64_t v)
{
	aml_name(b, name);
	aml_integer(b, v);
}

void aml_name_string(struct acpi_buf *b, const char *name, const char *s)
{
	aml_name(b, name);
	aml_string(b, s);
}

void aml_name_eisaid(struct acpi_buf *b, const char *name, const char *id)
{
	aml_name(b, name);
	aml_eisaid(b, id);
}

static struct aml_mark aml_mark_here(const struct acpi_buf *b)
{
	struct aml_mark m = { .pkg_off = b->len };

	return m;
}

struct aml_mark aml_scope_begin(struct acpi_buf *b, const char *path)
{
	struct aml_mark m;

	acpi_buf_u8(b, AML_SCOPE_OP);	/* DefScope := ScopeOp PkgLength NameString TermList */
	m = aml_mark_here(b);
	aml_namestring(b, path);
	return m;
}

struct aml_mark aml_device_begin(struct acpi_buf *b, const char *name)
{
	struct aml_mark m;

	acpi_buf_u8(b, AML_EXT_OP_PREFIX);	/* DefDevice := DeviceOp PkgLength */
	acpi_buf_u8(b, AML_DEVICE_OP);		/*   NameString TermList */
	m = aml_mark_here(b);
	aml_namestring(b, name);
	return m;
}

struct aml_mark aml_method_begin(struct acpi_buf *b, const char *name,
				 unsigned nargs, bool serialized)
{
	struct aml_mark m;

	if (nargs > 7)
		acpi_buf_set_error(b, -EINVAL);
	acpi_buf_u8(b, AML_METHOD_OP);	/* DefMethod := MethodOp PkgLength */
	m = aml_mark_here(b);
	aml_namestring(b, name);	/*   NameString MethodFlags TermList */
	/* MethodFlags: bits 2:0 ArgCount, bit 3 SerializeFlag, 7:4 SyncLevel 0 */
	acpi_buf_u8(b, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
	return m;
}

struct aml_mark aml_buffer_begin(struct acpi_buf *b)
{
	struct aml_mark m;

	acpi_buf_u8(b, AML_BUFFER_OP);	/* DefBuffer := BufferOp PkgLength BufferSize ByteList */
	m = aml_mark_here(b);
	m.buffer = true;
	return m;
}

struct aml_mark aml_restemplate_begin(struct acpi_buf *b)
{
	struct aml_mark m = aml_buffer_begin(b);

	m.restemplate = true;
	return m;
}

void aml_end(struct acpi_buf *b, struct aml_mark m)
{
	uint8_t enc[4];
	int n;

	if (m.restemplate)
		aml_end_tag(b);
	if (b->err)
		return;
	if (m.pkg_off > b->len) {
		acpi_buf_set_error(b, -EINVAL);
		return;
	}
	if (m.buffer) {
		/* BufferSize (a TermArg, here an Integer) precedes the bytes. */
		struct acpi_buf sz;

		acpi_buf_init(&sz);
		aml_integer(&sz, b->len - m.pkg_off);
		if (sz.err) {
			acpi_buf_set_error(b, sz.err);
			acpi_buf_free(&sz);
			return;
		}
		acpi_buf_insert(b, m.pkg_off, sz.data, sz.len);
		acpi_buf_free(&sz);
	}
	n = aml_pkglength_encode(enc, b->len - m.pkg_off);
	if (n < 0) {
		acpi_buf_set_error(b, n);
		return;
	}
	acpi_buf_insert(b, m.pkg_off, enc, (size_t)n);
}

void aml_notify(struct acpi_buf *b, const char *path, uint64_t value)
{
	acpi_buf_u8(b, AML_NOTIFY_OP);	/* DefNotify := NotifyOp NotifyObject NotifyValue */
	aml_namestring(b, path);	/* NotifyObject: SuperName */
	aml_integer(b, value);		/* NotifyValue: TermArg */
}

void aml_memory32_fixed(struct acpi_buf *b, bool writable, uint32_t base, uint32_t len)
{
	acpi_buf_u8(b, RES_MEMORY32_FIXED);	/* Large item, name 0x06 */
	acpi_buf_u16(b, 9);			/* Length of the rest */
	acpi_buf_u8(b, writable ? 1 : 0);	/* Information: bit 0 _RW */
	acpi_buf_u32(b, base);			/* Range base address _BAS */
	acpi_buf_u32(b, len);			/* Range length _LEN */
}

void aml_qword_memory(struct acpi_buf *b, bool writable, bool cacheable,
		      uint64_t base, uint64_t len)
{
	if (len == 0) {
		acpi_buf_set_error(b, -EINVAL);
		return;
	}
	acpi_buf_u8(b, RES_QWORD_ADDRESS);	/* Large item, name 0x0A */
	acpi_buf_u16(b, 0x2B);			/* Length of the rest: 43 */
	acpi_buf_u8(b, 0);			/* Resource Type: memory range */
	/* General Flags: bit 3 _MAF, bit 2 _MIF, bit 1 _DEC positive, bit 0 consumer */
	acpi_buf_u8(b, 0x08 | 0x04 | 0x01);
	/* Type Specific Flags: bits 2:1 _MEM (1 cacheable, 0 non-cacheable), bit 0 _RW */
	acpi_buf_u8(b, (uint8_t)((cacheable ? 0x02 : 0) | (writable ? 0x01 : 0)));
	acpi_buf_u64(b, 0);			/* Address space granularity _GRA */
	acpi_buf_u64(b, base);			/* Range minimum _MIN */
	acpi_buf_u64(b, base + len - 1);	/* Range maximum _MAX */
	acpi_buf_u64(b, 0);			/* Address translation offset _TRA */
	acpi_buf_u64(b, len);			/* Address length _LEN */
}

void aml_ext_interrupt(struct acpi_buf *b, bool edge, bool active_low, uint32_t gsi)
{
	acpi_buf_u8(b, RES_EXT_INTERRUPT);	/* Large item, name 0x09 */
	acpi_buf_u16(b, 6);			/* Length of the rest */
	/* Interrupt Vector Flags: bit 4 wake 0, bit 3 shared 0 (exclusive),
	 * bit 2 _LL (1 active-low), bit 1 _HE (1 edge), bit 0 consumer 1 */
	acpi_buf_u8(b, (uint8_t)((active_low ? 0x04 : 0) | (edge ? 0x02 : 0) | 0x01));
	acpi_buf_u8(b, 1);			/* Interrupt table length */
	acpi_buf_u32(b, gsi);			/* Interrupt number _INT */
}

void aml_end_tag(struct acpi_buf *b)
{
	acpi_buf_u8(b, RES_END_TAG);	/* Small item, name 0x0F, length 1 */
	acpi_buf_u8(b, 0);		/* Checksum 0: treated as checksummed */
}
