/* CPER record builder for guest memory errors: Generic Error Status Block +
 * Generic Error Data Entry (rev 0x300) + Memory Error Section, following
 * ACPI 6.3 section 18.3.2.7.1 and UEFI 2.10 Appendix N (N.2.1 timestamp,
 * N.2.2 section type GUIDs, N.2.5 memory error section). Pure: no I/O. */
#include <errno.h>
#include <string.h>

#include "ras/cper.h"
#include "util.h"

/* A GUID held in host order; encoded in its mixed-endian wire form. */
struct cper_guid {
	uint32_t d1;
	uint16_t d2, d3;
	uint8_t d4[8];
};

/* UEFI N.2.2: Platform Memory Error section type. */
static const struct cper_guid cper_sec_platform_mem = {
	0xa5bc1114, 0x6f64, 0x4ede,
	{ 0xb8, 0x63, 0x3e, 0x83, 0xed, 0x7c, 0x83, 0xb1 },
};

/* Append-only byte cursor. The caller checks the total size up front; the
 * bound check here only keeps a miscount from writing past the buffer. */
struct cper_cursor {
	uint8_t *buf;
	size_t len;
	size_t off;
	int err;
};

static uint8_t *cur_take(struct cper_cursor *c, size_t n)
{
	uint8_t *p;

	if (c->err || n > c->len - c->off) {
		c->err = -ENOSPC;
		return NULL;
	}
	p = c->buf + c->off;
	c->off += n;
	return p;
}

static void put8(struct cper_cursor *c, uint8_t v)
{
	uint8_t *p = cur_take(c, 1);

	if (p)
		*p = v;
}

static void put16(struct cper_cursor *c, uint16_t v)
{
	uint8_t *p = cur_take(c, 2);

	if (p)
		put_le16(p, v);
}

static void put32(struct cper_cursor *c, uint32_t v)
{
	uint8_t *p = cur_take(c, 4);

	if (p)
		put_le32(p, v);
}

static void put64(struct cper_cursor *c, uint64_t v)
{
	uint8_t *p = cur_take(c, 8);

	if (p)
		put_le64(p, v);
}

static void put_zero(struct cper_cursor *c, size_t n)
{
	uint8_t *p = cur_take(c, n);

	if (p)
		memset(p, 0, n);
}

/* GUID wire form: d1, d2, d3 little-endian, d4 as bytes (UEFI Appendix A). */
static void put_guid(struct cper_cursor *c, const struct cper_guid *g)
{
	uint8_t *p = cur_take(c, 16);

	if (!p)
		return;
	put_le32(p, g->d1);
	put_le16(p + 4, g->d2);
	put_le16(p + 6, g->d3);
	memcpy(p + 8, g->d4, sizeof(g->d4));
}

static uint8_t bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

/* Seconds since the Unix epoch to the UTC calendar date and time, for
 * secs >= 0 (proleptic Gregorian calendar; days counted in 400-year eras of
 * 146097 days from 0000-03-01, so the leap day ends a year). Computed here
 * rather than with gmtime_r, which links glibc's time-zone machinery (and
 * sscanf) into the static binary. */
void cper_utc(int64_t secs, struct cper_utc *u)
{
	int64_t days = secs / 86400, rem = secs % 86400;
	int64_t z = days + 719468;	/* days since 0000-03-01 */
	int64_t era = z / 146097;
	int64_t doe = z - era * 146097;					/* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;	/* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		/* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;				/* March = 0 */

	u->mday = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	u->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	u->year = (uint64_t)(yoe + era * 400 + (u->mon <= 2));
	u->hour = (unsigned)(rem / 3600);
	u->min = (unsigned)(rem / 60 % 60);
	u->sec = (unsigned)(rem % 60);
}

/* UEFI N.2.1 Timestamp: BCD seconds, minutes, hours, flags (bit 0:
 * precise), day, month, year (two digits), century. Returns 0 when the
 * time cannot be converted (the entry then says "no timestamp"). */
static uint64_t cper_timestamp(int64_t secs)
{
	struct cper_utc u;

	if (secs <= 0)
		return 0;
	cper_utc(secs, &u);
	if (u.year > 9999)
		return 0;
	return (uint64_t)bcd(u.sec) |
	       (uint64_t)bcd(u.min) << 8 |
	       (uint64_t)bcd(u.hour) << 16 |
	       (uint64_t)1 << 24 |  /* precise: taken from the host clock */
	       (uint64_t)bcd(u.mday) << 32 |
	       (uint64_t)bcd(u.mon) << 40 |
	       (uint64_t)bcd((unsigned)(u.year % 100)) << 48 |
	       (uint64_t)bcd((unsigned)(u.year / 100)) << 56;
}

int cper_build_mem_error(uint8_t *buf, size_t buflen, const struct cper_mem_error *err,
			 size_t *out_len)
{
	struct cper_cursor c = { .buf = buf, .len = buflen };
	uint64_t tstamp;
	uint8_t gdata_valid = 0;

	if (!buf || !err || !out_len || err->severity > CPER_SEV_INFO)
		return -EINVAL;
	if (buflen < CPER_MEM_ERROR_RECORD_LEN)
		return -ENOSPC;

	tstamp = cper_timestamp(err->timestamp);
	if (tstamp)
		gdata_valid |= CPER_GDATA_VALID_TIMESTAMP;

	/* --- Generic Error Status Block (ACPI 18.3.2.7.1) --- */
	/* Block Status: uncorrectable error valid; entry count bits left 0 */
	put32(&c, CPER_BLOCK_UE_VALID);
	/* Raw Data Offset: no raw data */
	put32(&c, 0);
	/* Raw Data Length */
	put32(&c, 0);
	/* Data Length: the one Generic Error Data Entry and its section */
	put32(&c, CPER_DATA_ENTRY_LEN + CPER_MEM_SECTION_LEN);
	/* Error Severity */
	put32(&c, err->severity);

	/* --- Generic Error Data Entry, revision 0x300 (ACPI 18.3.2.7.1) --- */
	/* Section Type: Platform Memory Error (UEFI N.2.2) */
	put_guid(&c, &cper_sec_platform_mem);
	/* Error Severity */
	put32(&c, err->severity);
	/* Revision */
	put16(&c, CPER_DATA_ENTRY_REVISION);
	/* Validation Bits: FRU Id / FRU Text not valid, timestamp if given */
	put8(&c, gdata_valid);
	/* Flags: not primary, no containment/reset/threshold flags */
	put8(&c, 0);
	/* Error Data Length: the memory error section */
	put32(&c, CPER_MEM_SECTION_LEN);
	/* FRU Id (GUID) */
	put_zero(&c, 16);
	/* FRU Text (20 bytes) */
	put_zero(&c, 20);
	/* Timestamp (UEFI N.2.1 format) */
	put64(&c, tstamp);

	/* --- Memory Error Section (UEFI N.2.5) --- */
	/* Validation Bits: physical address valid, memory error type valid */
	put64(&c, CPER_MEM_VALID_PA | CPER_MEM_VALID_ERROR_TYPE);
	/* Error Status (offset 8) */
	put64(&c, 0);
	/* Physical Address (offset 16) */
	put64(&c, err->gpa);
	/* Physical Address Mask (offset 24) */
	put64(&c, 0);
	/* Node (offset 32) */
	put16(&c, 0);
	/* Card (offset 34) */
	put16(&c, 0);
	/* Module (offset 36) */
	put16(&c, 0);
	/* Bank (offset 38) */
	put16(&c, 0);
	/* Device (offset 40) */
	put16(&c, 0);
	/* Row (offset 42) */
	put16(&c, 0);
	/* Column (offset 44) */
	put16(&c, 0);
	/* Bit Position (offset 46) */
	put16(&c, 0);
	/* Requestor ID (offset 48) */
	put64(&c, 0);
	/* Responder ID (offset 56) */
	put64(&c, 0);
	/* Target ID (offset 64) */
	put64(&c, 0);
	/* Memory Error Type (offset 72) */
	put8(&c, err->mem_error_type);
	/* Extended (offset 73): row/rank bits not used */
	put8(&c, 0);
	/* Rank Number (offset 74) */
	put16(&c, 0);
	/* Card Handle (offset 76) */
	put16(&c, 0);
	/* Module Handle (offset 78) */
	put16(&c, 0);

	if (c.err)
		return c.err;
	*out_len = c.off;
	return 0;
}

/* Size of one Generic Error Data Entry header by revision (major >= 3 has
 * the 8-byte timestamp), as the Linux GHES driver computes it. */
static size_t gdata_header_len(const uint8_t *entry)
{
	uint16_t rev = get_le16(entry + 20);

	return (rev >> 8) >= 3 ? CPER_DATA_ENTRY_LEN : CPER_DATA_ENTRY_LEN - 8;
}

int cper_check_record(const uint8_t *rec, size_t len)
{
	uint32_t data_len, raw_off, raw_len, left;
	const uint8_t *p;

	if (!rec || len < CPER_STATUS_BLOCK_LEN)
		return -EINVAL;
	raw_off = get_le32(rec + 4);
	raw_len = get_le32(rec + 8);
	data_len = get_le32(rec + CPER_OFF_DATA_LENGTH);
	if (get_le32(rec + CPER_OFF_BLOCK_STATUS) == 0)
		return -EINVAL;
	if (data_len > len - CPER_STATUS_BLOCK_LEN)
		return -EINVAL;
	if (data_len && data_len < CPER_DATA_ENTRY_LEN - 8)
		return -EINVAL;
	if (raw_len && (raw_off < CPER_STATUS_BLOCK_LEN + (uint64_t)data_len ||
			(uint64_t)raw_off + raw_len > len))
		return -EINVAL;

	/* Walk the entries: each header + its data must fit what is left,
	 * and together they must fill data_length exactly. */
	p = rec + CPER_STATUS_BLOCK_LEN;
	left = data_len;
	while (left) {
		size_t hdr;
		uint32_t elen;

		if (left < CPER_DATA_ENTRY_LEN - 8)
			return -EINVAL;
		hdr = gdata_header_len(p);
		if (hdr > left)
			return -EINVAL;
		elen = get_le32(p + 24);
		if (elen > left - hdr)
			return -EINVAL;
		p += hdr + elen;
		left -= (uint32_t)(hdr + elen);
	}
	return 0;
}
