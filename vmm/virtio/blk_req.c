/* virtio-blk request parsing and completion (VIRTIO 1.2 section 5.2.6) and
 * the device's features and config space (5.2.3, 5.2.4). No assumption
 * about descriptor framing (2.6.4): the header may span buffers and the
 * status byte may share a buffer with data. Small guest structures (header,
 * discard segments, GET_ID string, status byte) go through the guarded
 * guest_mem copies; data buffers become iovecs for io_uring. */
#include <errno.h>
#include <string.h>

#include "util.h"
#include "virtio/blk_image.h"
#include "virtio/blk_req.h"
#include "virtio/virtio.h"

uint64_t blk_features(const struct blk_disk *d)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		     VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) |
		     VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);

	if (d->readonly)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		f |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

static uint8_t log2_u32(uint32_t v)
{
	uint8_t n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

void blk_config(const struct blk_disk *d, uint8_t cfg[BLK_CONFIG_LEN])
{
	uint32_t lbs = d->lbs ? d->lbs : BLK_SECTOR_SIZE;
	uint32_t pbs = d->pbs >= lbs ? d->pbs : lbs;

	memset(cfg, 0, BLK_CONFIG_LEN);
	/* capacity: 512-byte sectors, whatever blk_size says. */
	put_le64(cfg + BLK_CFG_CAPACITY, d->sectors);
	/* size_max: largest data buffer (VIRTIO_BLK_F_SIZE_MAX). */
	put_le32(cfg + BLK_CFG_SIZE_MAX, BLK_SIZE_MAX);
	/* seg_max: data buffers per request (VIRTIO_BLK_F_SEG_MAX). */
	put_le32(cfg + BLK_CFG_SEG_MAX, BLK_SEG_MAX);
	/* geometry (16..19): not offered. */
	/* blk_size: the image's logical block size (VIRTIO_BLK_F_BLK_SIZE). */
	put_le32(cfg + BLK_CFG_BLK_SIZE, lbs);
	/* topology.physical_block_exp: log2(physical / logical blocks). */
	cfg[BLK_CFG_PHYS_EXP] = log2_u32(pbs / lbs);
	/* topology.alignment_offset: 0; min_io_size (logical blocks): 1;
	 * opt_io_size (logical blocks): one physical block. */
	cfg[BLK_CFG_ALIGN_OFFSET] = 0;
	put_le16(cfg + BLK_CFG_MIN_IO, 1);
	put_le32(cfg + BLK_CFG_OPT_IO, pbs / lbs);
	/* writeback (32): no CONFIG_WCE; num_queues: one request queue. */
	put_le16(cfg + BLK_CFG_NUM_QUEUES, 1);
	if (d->readonly)
		return;
	/* max_discard_sectors, max_discard_seg, discard_sector_alignment
	 * (VIRTIO_BLK_F_DISCARD). */
	put_le32(cfg + BLK_CFG_MAX_DISCARD, BLK_DWZ_SECTORS_MAX);
	put_le32(cfg + BLK_CFG_DISCARD_SEG, BLK_DWZ_SEG_MAX);
	put_le32(cfg + BLK_CFG_DISCARD_ALIGN, MAX(BLK_DISCARD_ALIGN, lbs / BLK_SECTOR_SIZE));
	/* max_write_zeroes_sectors, max_write_zeroes_seg,
	 * write_zeroes_may_unmap (VIRTIO_BLK_F_WRITE_ZEROES). */
	put_le32(cfg + BLK_CFG_MAX_WZ, BLK_DWZ_SECTORS_MAX);
	put_le32(cfg + BLK_CFG_WZ_SEG, BLK_DWZ_SEG_MAX);
	cfg[BLK_CFG_WZ_MAY_UNMAP] = 1;
}

/* A byte range [skip, skip + len) of buffers first..end-1 of 'c'. */
struct chain_span {
	unsigned first, end;
	uint64_t skip, len;
};

/* Copy between a span of guest memory and 'buf' (guarded copies), into the
 * guest when 'to_guest'. 0, or -errno (-EFAULT if the span is shorter). */
static int span_copy(const struct guest_mem *gm, const struct vq_chain *c,
		     struct chain_span s, void *buf, bool to_guest)
{
	uint8_t *p = buf;
	unsigned i;
	int ret;

	for (i = s.first; i < s.end && s.len; i++) {
		uint64_t blen = c->buf[i].len, n;

		if (s.skip >= blen) {
			s.skip -= blen;
			continue;
		}
		n = MIN(blen - s.skip, s.len);
		ret = to_guest ? guest_mem_write(gm, c->buf[i].gpa + s.skip, p, n) :
				 guest_mem_read(gm, c->buf[i].gpa + s.skip, p, n);
		if (ret)
			return ret;
		p += n;
		s.len -= n;
		s.skip = 0;
	}
	return s.len ? -EFAULT : 0;
}

static int span_read(const struct guest_mem *gm, const struct vq_chain *c,
		     struct chain_span s, void *dst)
{
	return span_copy(gm, c, s, dst, false);
}

static int span_write(const struct guest_mem *gm, const struct vq_chain *c,
		      struct chain_span s, const void *src)
{
	return span_copy(gm, c, s, (void *)src, true);
}

/* The span as iovecs (host addresses) into r. */
static void span_iov(const struct vq_chain *c, struct chain_span s, struct blk_req *r)
{
	unsigned i;

	r->niov = 0;
	for (i = s.first; i < s.end && s.len; i++) {
		uint64_t blen = c->buf[i].len, n;

		if (s.skip >= blen) {
			s.skip -= blen;
			continue;
		}
		n = MIN(blen - s.skip, s.len);
		r->iov[r->niov].iov_base = (uint8_t *)c->buf[i].hva + s.skip;
		r->iov[r->niov].iov_len = n;
		r->iov_gpa[r->niov] = c->buf[i].gpa + s.skip;
		r->niov++;
		s.len -= n;
		s.skip = 0;
	}
}

/* [sector, sector + len bytes) inside the disk, without overflow. */
static bool blk_range_ok(const struct blk_disk *d, uint64_t sector, uint64_t len)
{
	uint64_t nsec = len / BLK_SECTOR_SIZE, end;

	if (len % BLK_SECTOR_SIZE || __builtin_add_overflow(sector, nsec, &end))
		return false;
	return end <= d->sectors;
}

static int blk_done(struct blk_req *r, uint8_t status)
{
	r->status = status;
	r->written = 1;
	return BLK_REQ_DONE;
}

/* IN/OUT: one data span in the direction the type needs. */
static int blk_parse_rw(const struct blk_disk *d, const struct vq_chain *c,
			uint64_t sector, struct blk_req *r)
{
	bool in = r->type == VIRTIO_BLK_T_IN;
	struct chain_span s;

	if (!in && d->readonly)
		return blk_done(r, VIRTIO_BLK_S_IOERR);
	/* Data in the wrong direction (an IN into readable buffers, an OUT
	 * from writable ones) is the driver's mistake. */
	if (in ? c->read_len != BLK_HDR_SIZE : c->write_len != 1)
		return blk_done(r, VIRTIO_BLK_S_IOERR);
	if (in)
		s = (struct chain_span){ c->nread, c->n, 0, c->write_len - 1 };
	else
		s = (struct chain_span){ 0, c->nread, BLK_HDR_SIZE, c->read_len - BLK_HDR_SIZE };
	if (!s.len || s.len % BLK_SECTOR_SIZE || !blk_range_ok(d, sector, s.len) ||
	    (d->lbs > BLK_SECTOR_SIZE && ((sector * BLK_SECTOR_SIZE) % d->lbs || s.len % d->lbs)))
		return blk_done(r, VIRTIO_BLK_S_IOERR);
	r->offset = sector * BLK_SECTOR_SIZE;
	r->len = s.len;
	span_iov(c, s, r);
	return BLK_REQ_IO;
}

/* GET_ID: the serial into the data buffers, at most 20 bytes. */
static int blk_parse_get_id(const struct blk_disk *d, const struct guest_mem *gm,
			    const struct vq_chain *c, struct blk_req *r)
{
	uint64_t n = MIN((uint64_t)VIRTIO_BLK_ID_BYTES, c->write_len - 1);
	struct chain_span s = { c->nread, c->n, 0, n };

	if (span_write(gm, c, s, d->serial))
		return blk_done(r, VIRTIO_BLK_S_IOERR);
	r->status = VIRTIO_BLK_S_OK;
	r->written = (uint32_t)n + 1;
	return BLK_REQ_DONE;
}

/* DISCARD / WRITE_ZEROES: 1..BLK_DWZ_SEG_MAX segments after the header. */
static int blk_parse_dwz(const struct blk_disk *d, const struct guest_mem *gm,
			 const struct vq_chain *c, struct blk_req *r)
{
	uint64_t dlen = c->read_len - BLK_HDR_SIZE;
	uint8_t raw[BLK_DWZ_SEG_SIZE];
	unsigned i;

	if (d->readonly || !dlen || dlen % BLK_DWZ_SEG_SIZE ||
	    dlen / BLK_DWZ_SEG_SIZE > BLK_DWZ_SEG_MAX)
		return blk_done(r, VIRTIO_BLK_S_IOERR);
	r->nseg = (unsigned)(dlen / BLK_DWZ_SEG_SIZE);
	for (i = 0; i < r->nseg; i++) {
		struct chain_span s = { 0, c->nread, BLK_HDR_SIZE + i * BLK_DWZ_SEG_SIZE,
					BLK_DWZ_SEG_SIZE };
		uint64_t sector;
		uint32_t num, flags;

		if (span_read(gm, c, s, raw))
			return blk_done(r, VIRTIO_BLK_S_IOERR);
		sector = get_le64(raw);
		num = get_le32(raw + 8);
		flags = get_le32(raw + 12);
		/* Unknown flags, or unmap on a discard: UNSUPP (5.2.6.2). */
		if ((flags & ~VIRTIO_BLK_DWZ_F_UNMAP) ||
		    (r->type == VIRTIO_BLK_T_DISCARD && (flags & VIRTIO_BLK_DWZ_F_UNMAP)))
			return blk_done(r, VIRTIO_BLK_S_UNSUPP);
		if (!num || num > BLK_DWZ_SECTORS_MAX ||
		    !blk_range_ok(d, sector, (uint64_t)num * BLK_SECTOR_SIZE))
			return blk_done(r, VIRTIO_BLK_S_IOERR);
		r->seg[i] = (struct blk_seg){ sector * BLK_SECTOR_SIZE,
					      (uint64_t)num * BLK_SECTOR_SIZE,
					      (flags & VIRTIO_BLK_DWZ_F_UNMAP) != 0 };
	}
	return BLK_REQ_IO;
}

int blk_req_parse(const struct blk_disk *d, const struct guest_mem *gm,
		  const struct vq_chain *c, struct blk_req *r)
{
	uint8_t hdr[BLK_HDR_SIZE];
	uint64_t sector;
	unsigned i;

	/* Only the request fields: iov[]/seg[] are filled as far as
	 * niov/nseg say, the engine fields are the engine's. */
	r->head = c->head;
	r->type = 0;
	r->status = VIRTIO_BLK_S_OK;
	r->status_gpa = 0;
	r->offset = 0;
	r->len = 0;
	r->written = 1;
	r->niov = 0;
	r->nseg = 0;
	if (c->n > VQ_MAX_CHAIN || c->nread > c->n || c->read_len < BLK_HDR_SIZE ||
	    c->write_len < 1)
		return -EINVAL;
	for (i = 0; i < c->n; i++)
		if (c->buf[i].len && !c->buf[i].hva)
			return -EINVAL;
	/* The status byte: the last byte of the last non-empty writable
	 * buffer (write_len >= 1 guarantees one). */
	for (i = c->n; i-- > c->nread;) {
		if (c->buf[i].len) {
			r->status_gpa = c->buf[i].gpa + c->buf[i].len - 1;
			break;
		}
	}
	if (span_read(gm, c, (struct chain_span){ 0, c->nread, 0, BLK_HDR_SIZE }, hdr))
		return -EINVAL;
	r->type = get_le32(hdr);
	sector = get_le64(hdr + 8);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return blk_parse_rw(d, c, sector, r);
	case VIRTIO_BLK_T_FLUSH:
		return BLK_REQ_IO;
	case VIRTIO_BLK_T_GET_ID:
		return blk_parse_get_id(d, gm, c, r);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_parse_dwz(d, gm, c, r);
	default:
		return blk_done(r, VIRTIO_BLK_S_UNSUPP);
	}
}

uint32_t blk_req_complete(const struct guest_mem *gm, const struct blk_req *r,
			  struct blk_stats *st)
{
	bool ok = r->status == VIRTIO_BLK_S_OK;

	if (guest_mem_write(gm, r->status_gpa, &r->status, 1))
		st->status_lost++;
	if (r->status == VIRTIO_BLK_S_UNSUPP)
		st->unsupported++;
	else if (!ok)
		st->io_errors++;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		st->reads++;
		st->bytes_read += ok ? r->len : 0;
		break;
	case VIRTIO_BLK_T_OUT:
		st->writes++;
		st->bytes_written += ok ? r->len : 0;
		break;
	case VIRTIO_BLK_T_FLUSH:
		st->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID:
		st->get_ids++;
		break;
	case VIRTIO_BLK_T_DISCARD:
		st->discards++;
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st->write_zeroes++;
		break;
	}
	return r->written;
}
