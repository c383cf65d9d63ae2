/* CPER record builders: Generic Error Status Block + Generic Error Data
 * Entries (rev 0x300) + sections (memory error, ARM processor error, or a
 * payload given whole), following ACPI 6.3 section 18.3.2.7.1 and UEFI 2.10
 * Appendix N (N.2.1 timestamp, N.2.2 section type GUIDs, N.2.4.4 ARM
 * processor error section, N.2.5 memory error section). Pure: no I/O. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ras/cper.h"
#include "util.h"

/* UEFI N.2.2: Platform Memory Error section type. */
const struct cper_guid cper_sec_platform_mem = {
	0xa5bc1114, 0x6f64, 0x4ede,
	{ 0xb8, 0x63, 0x3e, 0x83, 0xed, 0x7c, 0x83, 0xb1 },
};

/* UEFI N.2.2: ARM Processor Error section type. */
const struct cper_guid cper_sec_proc_arm = {
	0xe19e3d16, 0xbc11, 0x11e4,
	{ 0x9c, 0xaa, 0xc2, 0x05, 0x1d, 0x5d, 0x46, 0xb0 },
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

/* Field value if its validation bit is in 'valid', else 0. */
#define MEMF(e, bit, field) (((e)->valid & (bit)) ? (e)->field : 0)

int cper_build_mem_section(uint8_t *buf, size_t buflen, const struct cper_mem_error *err)
{
	struct cper_cursor c = { .buf = buf, .len = buflen };

	if (!buf || !err || (err->valid & ~CPER_MEM_VALID_ALL))
		return -EINVAL;
	if (buflen < CPER_MEM_SECTION_LEN)
		return -ENOSPC;

	/* --- Memory Error Section (UEFI N.2.5) --- */
	/* Validation Bits (offset 0): physical address and memory error type
	 * always, plus the fields the caller set */
	put64(&c, CPER_MEM_VALID_PA | CPER_MEM_VALID_ERROR_TYPE | err->valid);
	/* Error Status (offset 8, UEFI N.2.7) */
	put64(&c, MEMF(err, CPER_MEM_VALID_ERROR_STATUS, error_status));
	/* Physical Address (offset 16) */
	put64(&c, err->gpa);
	/* Physical Address Mask (offset 24) */
	put64(&c, MEMF(err, CPER_MEM_VALID_PA_MASK, pa_mask));
	/* Node (offset 32) */
	put16(&c, MEMF(err, CPER_MEM_VALID_NODE, node));
	/* Card (offset 34) */
	put16(&c, MEMF(err, CPER_MEM_VALID_CARD, card));
	/* Module (offset 36) */
	put16(&c, MEMF(err, CPER_MEM_VALID_MODULE, module));
	/* Bank (offset 38): the whole bank, or bank group (bits 15:8) and
	 * bank address (bits 7:0) when those validation bits are given */
	put16(&c, (err->valid & (CPER_MEM_VALID_BANK | CPER_MEM_VALID_BANK_GROUP |
				 CPER_MEM_VALID_BANK_ADDRESS)) ? err->bank : 0);
	/* Device (offset 40) */
	put16(&c, MEMF(err, CPER_MEM_VALID_DEVICE, device));
	/* Row (offset 42), bits 15:0; bits 17:16 in Extended */
	put16(&c, MEMF(err, CPER_MEM_VALID_ROW, row));
	/* Column (offset 44) */
	put16(&c, MEMF(err, CPER_MEM_VALID_COLUMN, column));
	/* Bit Position (offset 46) */
	put16(&c, MEMF(err, CPER_MEM_VALID_BIT_POSITION, bit_pos));
	/* Requestor ID (offset 48) */
	put64(&c, MEMF(err, CPER_MEM_VALID_REQUESTOR_ID, requestor_id));
	/* Responder ID (offset 56) */
	put64(&c, MEMF(err, CPER_MEM_VALID_RESPONDER_ID, responder_id));
	/* Target ID (offset 64) */
	put64(&c, MEMF(err, CPER_MEM_VALID_TARGET_ID, target_id));
	/* Memory Error Type (offset 72) */
	put8(&c, err->mem_error_type);
	/* Extended (offset 73): row bits 16/17 (bits 1:0), chip id (bits 7:5) */
	put8(&c, (err->valid & (CPER_MEM_VALID_EXT_ROW | CPER_MEM_VALID_CHIP_ID)) ?
		 err->extended : 0);
	/* Rank Number (offset 74) */
	put16(&c, MEMF(err, CPER_MEM_VALID_RANK, rank));
	/* Card Handle (offset 76, SMBIOS type 16 handle) */
	put16(&c, MEMF(err, CPER_MEM_VALID_CARD_HANDLE, card_handle));
	/* Module Handle (offset 78, SMBIOS type 17 handle) */
	put16(&c, MEMF(err, CPER_MEM_VALID_MODULE_HANDLE, module_handle));
	return c.err;
}

int cper_build_record(uint8_t *buf, size_t buflen, uint32_t severity, int64_t timestamp,
		      bool count_entries, const struct cper_section *secs, unsigned n,
		      size_t *out_len)
{
	struct cper_cursor c = { .buf = buf, .len = buflen };
	uint64_t data_len = 0, total;
	uint64_t tstamp;
	uint32_t block_status;
	uint8_t gdata_valid = 0;
	unsigned i;

	if (!buf || !secs || !out_len || n == 0 || n > 1023 || severity > CPER_SEV_INFO)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!secs[i].type || (!secs[i].data && secs[i].len) ||
		    secs[i].severity > CPER_SEV_INFO || secs[i].len > UINT32_MAX)
			return -EINVAL;
		data_len += CPER_DATA_ENTRY_LEN + (uint64_t)secs[i].len;
	}
	if (data_len > UINT32_MAX)
		return -EINVAL;
	total = CPER_STATUS_BLOCK_LEN + data_len;
	if (total > buflen)
		return -ENOSPC;

	tstamp = cper_timestamp(timestamp);
	if (tstamp)
		gdata_valid |= CPER_GDATA_VALID_TIMESTAMP;
	block_status = severity >= CPER_SEV_CORRECTED ? CPER_BLOCK_CE_VALID : CPER_BLOCK_UE_VALID;
	if (count_entries)
		block_status |= n << CPER_BLOCK_ENTRY_COUNT_SHIFT;

	/* --- Generic Error Status Block (ACPI 18.3.2.7.1) --- */
	/* Block Status: (un)correctable error valid, error data entry count */
	put32(&c, block_status);
	/* Raw Data Offset: no raw data */
	put32(&c, 0);
	/* Raw Data Length */
	put32(&c, 0);
	/* Data Length: every Generic Error Data Entry and its section */
	put32(&c, (uint32_t)data_len);
	/* Error Severity */
	put32(&c, severity);

	for (i = 0; i < n; i++) {
		uint8_t *p;

		/* --- Generic Error Data Entry, revision 0x300 (ACPI 18.3.2.7.1) --- */
		/* Section Type (UEFI N.2.2) */
		put_guid(&c, secs[i].type);
		/* Error Severity */
		put32(&c, secs[i].severity);
		/* Revision */
		put16(&c, CPER_DATA_ENTRY_REVISION);
		/* Validation Bits: FRU Id / FRU Text not valid, timestamp if given */
		put8(&c, gdata_valid);
		/* Flags (UEFI N.2.2 section descriptor flags: primary, ...) */
		put8(&c, secs[i].flags);
		/* Error Data Length: the section */
		put32(&c, (uint32_t)secs[i].len);
		/* FRU Id (GUID) */
		put_zero(&c, 16);
		/* FRU Text (20 bytes) */
		put_zero(&c, 20);
		/* Timestamp (UEFI N.2.1 format) */
		put64(&c, tstamp);
		/* The section itself */
		p = cur_take(&c, secs[i].len);
		if (p && secs[i].len)
			memcpy(p, secs[i].data, secs[i].len);
	}

	if (c.err)
		return c.err;
	*out_len = c.off;
	return 0;
}

int cper_build_mem_error(uint8_t *buf, size_t buflen, const struct cper_mem_error *err,
			 size_t *out_len)
{
	uint8_t sec[CPER_MEM_SECTION_LEN];
	struct cper_section s = {
		.type = &cper_sec_platform_mem,
		.data = sec,
		.len = sizeof(sec),
	};
	int ret;

	if (!buf || !err || !out_len || err->severity > CPER_SEV_INFO)
		return -EINVAL;
	ret = cper_build_mem_section(sec, sizeof(sec), err);
	if (ret)
		return ret;
	s.severity = err->severity;
	/* Flags 0 as QEMU writes (the seed record): not marked primary. */
	return cper_build_record(buf, buflen, err->severity, err->timestamp, false, &s, 1,
				 out_len);
}

/* ---- ARM processor error section (UEFI N.2.4.4) ---- */

/* Bit positions of the check structures (UEFI N.2.4.4.2 - N.2.4.4.4). */
#define CHK_TRANSACTION_SHIFT 16	/* 2 bits */
#define CHK_OPERATION_SHIFT   18	/* 4 bits */
#define CHK_LEVEL_SHIFT       22	/* 3 bits */
#define CHK_PCC_SHIFT         25
#define CHK_CORRECTED_SHIFT   26
#define CHK_PRECISE_PC_SHIFT  27
#define CHK_RESTARTABLE_SHIFT 28
#define CHK_PARTICIPATION_SHIFT 29	/* bus: 2 bits */
#define CHK_TIME_OUT_SHIFT    31	/* bus */
#define CHK_ADDR_SPACE_SHIFT  32	/* bus: 2 bits */
#define CHK_MEM_ATTR_SHIFT    34	/* bus: 9 bits */
#define CHK_ACCESS_MODE_SHIFT 43	/* bus */
#define CHK_VALID_COMMON      0x7fu	/* bits 0-6: any check */
#define CHK_VALID_BUS         0xfffu	/* bits 0-11: bus check */

int cper_arm_check_encode(uint8_t type, const struct cper_arm_check *c, uint64_t *out)
{
	unsigned max_op;
	uint64_t v;

	if (!c || !out)
		return -EINVAL;
	switch (type) {
	case CPER_ARM_TYPE_CACHE:
		max_op = 10;	/* N.2.4.4.2: generic .. management */
		break;
	case CPER_ARM_TYPE_TLB:
		max_op = 8;	/* N.2.4.4.3: generic .. external management */
		break;
	case CPER_ARM_TYPE_BUS:
		max_op = 6;	/* N.2.4.4.4: generic .. prefetch */
		break;
	default:
		return -EINVAL;
	}
	if (c->valid & ~(type == CPER_ARM_TYPE_BUS ? CHK_VALID_BUS : CHK_VALID_COMMON))
		return -EINVAL;
	if (c->transaction > 2 || c->operation > max_op || c->level > 7 ||
	    c->participation > 3 || c->addr_space > 3 || c->mem_attr > 0x1ff)
		return -EINVAL;

	/* Validation Bits (bits 15:0) */
	v = c->valid;
	/* Transaction Type (bits 17:16) */
	if (c->valid & CPER_ARM_CHECK_VALID_TRANSACTION)
		v |= (uint64_t)c->transaction << CHK_TRANSACTION_SHIFT;
	/* Operation (bits 21:18) */
	if (c->valid & CPER_ARM_CHECK_VALID_OPERATION)
		v |= (uint64_t)c->operation << CHK_OPERATION_SHIFT;
	/* Level (bits 24:22) */
	if (c->valid & CPER_ARM_CHECK_VALID_LEVEL)
		v |= (uint64_t)c->level << CHK_LEVEL_SHIFT;
	/* Processor Context Corrupt (bit 25) */
	if ((c->valid & CPER_ARM_CHECK_VALID_PCC) && c->pcc)
		v |= 1ull << CHK_PCC_SHIFT;
	/* Corrected (bit 26) */
	if ((c->valid & CPER_ARM_CHECK_VALID_CORRECTED) && c->corrected)
		v |= 1ull << CHK_CORRECTED_SHIFT;
	/* Precise PC (bit 27) */
	if ((c->valid & CPER_ARM_CHECK_VALID_PRECISE_PC) && c->precise_pc)
		v |= 1ull << CHK_PRECISE_PC_SHIFT;
	/* Restartable PC (bit 28) */
	if ((c->valid & CPER_ARM_CHECK_VALID_RESTARTABLE) && c->restartable_pc)
		v |= 1ull << CHK_RESTARTABLE_SHIFT;
	/* Bus only: Participation Type (bits 30:29) */
	if (c->valid & CPER_ARM_CHECK_VALID_PARTICIPATION)
		v |= (uint64_t)c->participation << CHK_PARTICIPATION_SHIFT;
	/* Bus only: Time Out (bit 31) */
	if ((c->valid & CPER_ARM_CHECK_VALID_TIME_OUT) && c->time_out)
		v |= 1ull << CHK_TIME_OUT_SHIFT;
	/* Bus only: Address Space (bits 33:32) */
	if (c->valid & CPER_ARM_CHECK_VALID_ADDR_SPACE)
		v |= (uint64_t)c->addr_space << CHK_ADDR_SPACE_SHIFT;
	/* Bus only: Memory Access Attributes (bits 42:34) */
	if (c->valid & CPER_ARM_CHECK_VALID_MEM_ATTR)
		v |= (uint64_t)c->mem_attr << CHK_MEM_ATTR_SHIFT;
	/* Bus only: Access Mode (bit 43) */
	if ((c->valid & CPER_ARM_CHECK_VALID_ACCESS_MODE) && c->access_mode)
		v |= 1ull << CHK_ACCESS_MODE_SHIFT;
	*out = v;
	return 0;
}

static bool arm_error_ok(const struct cper_arm_error *e)
{
	unsigned i;

	if (e->n_info == 0 || e->n_info > CPER_ARM_MAX_ERR_INFO ||
	    (e->valid & ~CPER_ARM_VALID_ALL) || e->severity > CPER_SEV_INFO)
		return false;
	/* Vendor bytes go with their validation bit, and only with it. */
	if (!!(e->valid & CPER_ARM_VALID_VENDOR_INFO) != !!(e->vendor && e->vendor_len))
		return false;
	if (e->vendor_len > 0xffff)
		return false;
	for (i = 0; i < e->n_info; i++) {
		const struct cper_arm_err_info *f = &e->info[i];

		if ((f->valid & ~CPER_ARM_INFO_VALID_ALL) || f->type == 0 ||
		    (f->type & ~CPER_ARM_TYPE_ALL) || (f->flags & ~0xfu))
			return false;
	}
	return true;
}

size_t cper_arm_section_len(const struct cper_arm_error *err)
{
	if (!err || !arm_error_ok(err))
		return 0;
	return CPER_ARM_SECTION_HDR_LEN + err->n_info * CPER_ARM_ERR_INFO_LEN +
	       (err->vendor ? err->vendor_len : 0);
}

/* Field value if its validation bit is in the entry's 'valid', else 0. */
#define INFOF(f, bit, field) (((f)->valid & (bit)) ? (f)->field : 0)

int cper_build_arm_section(uint8_t *buf, size_t buflen, const struct cper_arm_error *err,
			   size_t *out_len)
{
	struct cper_cursor c = { .buf = buf, .len = buflen };
	size_t len = cper_arm_section_len(err);
	unsigned i;

	if (!buf || !out_len || len == 0)
		return -EINVAL;
	if (buflen < len)
		return -ENOSPC;

	/* --- ARM Processor Error Section (UEFI N.2.4.4) --- */
	/* Validation Bit (offset 0): MPIDR, affinity level, running state,
	 * vendor specific info */
	put32(&c, err->valid);
	/* ERR_INFO_NUM (offset 4): error information structures */
	put16(&c, (uint16_t)err->n_info);
	/* CONTEXT_INFO_NUM (offset 6): no processor context structures */
	put16(&c, 0);
	/* Section Length (offset 8): this whole section */
	put32(&c, (uint32_t)len);
	/* Error Affinity Level (offset 12) */
	put8(&c, (err->valid & CPER_ARM_VALID_AFFINITY_LEVEL) ? err->affinity_level : 0);
	/* Reserved (offset 13, 3 bytes) */
	put_zero(&c, 3);
	/* MPIDR_EL1 (offset 16) */
	put64(&c, (err->valid & CPER_ARM_VALID_MPIDR) ? err->mpidr : 0);
	/* MIDR_EL1 (offset 24) */
	put64(&c, err->midr);
	/* Running State (offset 32): bit 0 processor running */
	put32(&c, (err->valid & CPER_ARM_VALID_RUNNING_STATE) ? err->running_state : 0);
	/* PSCI State (offset 36) */
	put32(&c, (err->valid & CPER_ARM_VALID_RUNNING_STATE) ? err->psci_state : 0);

	for (i = 0; i < err->n_info; i++) {
		const struct cper_arm_err_info *f = &err->info[i];

		/* --- ARM Processor Error Information (UEFI N.2.4.4.1) --- */
		/* Version (offset 0) */
		put8(&c, 0);
		/* Length (offset 1): 32 */
		put8(&c, CPER_ARM_ERR_INFO_LEN);
		/* Validation Bit (offset 2) */
		put16(&c, f->valid);
		/* Type (offset 4): cache / TLB / bus / micro-architectural bits */
		put8(&c, f->type);
		/* Multiple Error (offset 5): 0 single, 1 multiple, else the count */
		put16(&c, INFOF(f, CPER_ARM_INFO_VALID_MULTI_ERR, multiple_error));
		/* Flags (offset 7): first, last, propagated, overflow */
		put8(&c, INFOF(f, CPER_ARM_INFO_VALID_FLAGS, flags));
		/* Error Information (offset 8): cache/TLB/bus check structure */
		put64(&c, INFOF(f, CPER_ARM_INFO_VALID_ERR_INFO, error_info));
		/* Virtual Fault Address (offset 16) */
		put64(&c, INFOF(f, CPER_ARM_INFO_VALID_VA, va));
		/* Physical Fault Address (offset 24) */
		put64(&c, INFOF(f, CPER_ARM_INFO_VALID_PA, pa));
	}
	/* Vendor Specific Error Info (after the context structures, none) */
	if (err->vendor && err->vendor_len) {
		uint8_t *p = cur_take(&c, err->vendor_len);

		if (p)
			memcpy(p, err->vendor, err->vendor_len);
	}
	if (c.err)
		return c.err;
	*out_len = c.off;
	return 0;
}

int cper_build_arm_error(uint8_t *buf, size_t buflen, const struct cper_arm_error *err,
			 size_t *out_len)
{
	uint8_t sec[CPER_ARM_SECTION_HDR_LEN + CPER_ARM_MAX_ERR_INFO * CPER_ARM_ERR_INFO_LEN];
	struct cper_section s = { .type = &cper_sec_proc_arm, .flags = CPER_GDATA_FLAG_PRIMARY };
	uint8_t *tmp = sec;
	size_t len = cper_arm_section_len(err), slen = 0;
	int ret;

	if (!buf || !out_len || len == 0)
		return -EINVAL;
	if (len > sizeof(sec)) {	/* vendor bytes: a bigger scratch */
		tmp = malloc(len);
		if (!tmp)
			return -ENOMEM;
	}
	ret = cper_build_arm_section(tmp, len, err, &slen);
	if (!ret) {
		s.severity = err->severity;
		s.data = tmp;
		s.len = slen;
		ret = cper_build_record(buf, buflen, err->severity, err->timestamp, false, &s, 1,
					out_len);
	}
	if (tmp != sec)
		free(tmp);
	return ret;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int cper_guid_parse(const char *s, struct cper_guid *g)
{
	/* 8-4-4-4-12 hex digits; the last two groups are d4's 8 bytes */
	static const unsigned groups[] = { 8, 4, 4, 4, 12 };
	uint8_t b[16];
	unsigned gi, k, nb = 0;
	const char *p = s;

	if (!s || !g || strlen(s) != 36)
		return -EINVAL;
	for (gi = 0; gi < 5; gi++) {
		if (gi && *p++ != '-')
			return -EINVAL;
		for (k = 0; k < groups[gi]; k += 2) {
			int hi = hexval(p[0]), lo = hexval(p[1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			b[nb++] = (uint8_t)(hi << 4 | lo);
			p += 2;
		}
	}
	/* The text is big-endian per group; d1-d3 are held as numbers. */
	g->d1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	g->d2 = (uint16_t)(b[4] << 8 | b[5]);
	g->d3 = (uint16_t)(b[6] << 8 | b[7]);
	memcpy(g->d4, b + 8, 8);
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
