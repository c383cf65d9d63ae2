/* Shared by the virtio harnesses: a guest driver's ring writes steered by
 * the fuzz input (descriptors, available ring, event indexes), the checks
 * every popped chain and parsed virtio-blk request must pass, and the
 * device side as the VMM's models run it (virtio-blk request parse and
 * completion with the I/O done inline; virtio-rng's rng_fill_chain).
 * Header-only; include after fuzz.h. */
#ifndef MVR_FUZZ_VIRTIO_H
#define MVR_FUZZ_VIRTIO_H

#include "virtio/blk_req.h"
#include "virtio/rng.h"
#include "virtio/virtqueue.h"

/* Where the guest's rings usually are (RAM offsets), Linux-style. */
#define FZ_VQ_DESC   0x0000ull
#define FZ_VQ_AVAIL  0x1000ull
#define FZ_VQ_USED   0x2000ull
#define FZ_VQ_BUFS   0x4000ull	/* data buffers and indirect tables from here */

/* A descriptor field set by the guest: buffer address mostly in the data
 * area, sometimes anywhere. */
static inline void fz_vq_write_desc(struct fz *f, struct fz_ram *ram, uint64_t table_off,
				    unsigned entries)
{
	uint8_t d[16];
	unsigned i = fz_u8(f) % (entries ? entries : 1);
	uint8_t sel = fz_u8(f);
	uint64_t addr;

	if (table_off + 16ull * (i + 1) > ram->size)
		return;
	addr = sel & 0x80 ? fz_gpa(f, ram)
			  : FZ_RAM_BASE + FZ_VQ_BUFS + (fz_u16(f) % (ram->size - FZ_VQ_BUFS));
	put_le64(d, addr);
	put_le32(d + 8, sel & 0x40 ? fz_u32(f) : fz_u16(f) % 0x2000);
	put_le16(d + 12, fz_u8(f) & 7);		/* NEXT, WRITE, INDIRECT */
	put_le16(d + 14, fz_u8(f));
	memcpy(ram->bytes + table_off + 16ull * i, d, sizeof(d));
}

/* The driver makes head 'head' available: ring[idx % size], then idx++. */
static inline void fz_vq_publish(struct fz *f, struct fz_ram *ram, uint64_t avail_off,
				 unsigned size)
{
	uint8_t *a = ram->bytes + avail_off;
	uint16_t idx;

	if (avail_off + 6 + 2ull * size > ram->size || !size)
		return;
	idx = get_le16(a + 2);
	put_le16(a + 4 + 2 * (idx % size), fz_u8(f) & 0x80 ? fz_u16(f) : fz_u8(f) % size);
	put_le16(a + 2, fz_u8(f) & 0x80 ? fz_u16(f) : (uint16_t)(idx + 1));
}

/* Invariants of a chain vq_pop() handed out. */
static inline void fz_vq_check_chain(const struct fz_ram *ram, const struct virtqueue *vq,
				     const struct vq_chain *c)
{
	uint64_t rl = 0, wl = 0;

	FZ_CHECK(c->head < vq->size);
	FZ_CHECK(c->n <= VQ_MAX_CHAIN && c->nread <= c->n);
	for (unsigned i = 0; i < c->n; i++) {
		const struct vq_buf *b = &c->buf[i];

		FZ_CHECK(b->len >= 1);
		FZ_CHECK(fz_ram_range(ram, b->gpa, b->len));
		FZ_CHECK(b->hva == ram->bytes + (b->gpa - FZ_RAM_BASE));
		FZ_CHECK(b->device_writes == (i >= c->nread));
		if (b->device_writes)
			wl += b->len;
		else
			rl += b->len;
	}
	FZ_CHECK(rl == c->read_len && wl == c->write_len);
}

/* Parse the chain as virtio-blk does, do its I/O inline (reads fill the
 * guest's buffers, writes only look at them), complete it. Returns the used
 * length for vq_push(), or -1 for a malformed chain (queue broken). */
static inline int fz_blk_handle(const struct fz_ram *ram, const struct blk_disk *disk,
				const struct vq_chain *c, struct blk_stats *st)
{
	struct blk_req *r = calloc(1, sizeof(*r));
	uint64_t sum = 0;
	int ret, used;

	FZ_CHECK(r);
	ret = blk_req_parse(disk, &ram->gm, c, r);
	if (ret < 0) {
		free(r);
		return -1;
	}
	FZ_CHECK(ret == BLK_REQ_IO || ret == BLK_REQ_DONE);
	FZ_CHECK(r->head == c->head);
	/* The status byte is the last byte of a writable buffer. */
	FZ_CHECK(fz_ram_range(ram, r->status_gpa, 1));
	if (ret == BLK_REQ_IO) {
		FZ_CHECK(r->niov <= VQ_MAX_CHAIN && r->nseg <= BLK_DWZ_SEG_MAX);
		for (unsigned i = 0; i < r->niov; i++) {
			uint8_t *p = r->iov[i].iov_base;

			FZ_CHECK(fz_ram_range(ram, r->iov_gpa[i], r->iov[i].iov_len));
			FZ_CHECK(p == ram->bytes + (r->iov_gpa[i] - FZ_RAM_BASE));
			/* A read lands here (ASan checks the range too); a
			 * write's data is only read. */
			if (r->type == VIRTIO_BLK_T_IN)
				memset(p, 0xB1, r->iov[i].iov_len);
			else
				sum += p[0] + p[r->iov[i].iov_len - 1];
		}
		if (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT) {
			uint64_t len = 0;

			for (unsigned i = 0; i < r->niov; i++)
				len += r->iov[i].iov_len;
			FZ_CHECK(len == r->len && len % 512 == 0 && len);
			FZ_CHECK(r->offset + r->len <= disk->sectors * 512);
			FZ_CHECK(r->offset + r->len >= r->offset);
			/* The data is every writable byte but the status
			 * byte (buffers may overlap in guest memory: the
			 * guest's own business), or every readable byte
			 * past the header. */
			if (r->type == VIRTIO_BLK_T_IN) {
				FZ_CHECK(r->len + 1 == c->write_len);
				r->written = (uint32_t)(r->len + 1);
			} else {
				FZ_CHECK(r->len + BLK_HDR_SIZE == c->read_len);
			}
		}
		for (unsigned i = 0; i < r->nseg; i++)
			FZ_CHECK(r->seg[i].len && r->seg[i].off + r->seg[i].len <= disk->sectors * 512);
		r->status = VIRTIO_BLK_S_OK;
	}
	(void)sum;
	used = (int)blk_req_complete(&ram->gm, r, st);
	FZ_CHECK((uint64_t)used <= c->write_len);
	free(r);
	return used;
}

/* virtio-rng's share of a chain. */
static inline uint32_t fz_rng_handle(const struct vq_chain *c, uint32_t max)
{
	uint32_t n = rng_fill_chain(c, max);

	FZ_CHECK(n <= max && n <= c->write_len);
	return n;
}

/* A disk of a few sectors, 512 or 4096-byte blocks, maybe read-only. */
static inline void fz_blk_disk(struct fz *f, struct blk_disk *d)
{
	uint8_t sel = fz_u8(f);

	memset(d, 0, sizeof(*d));
	d->sectors = sel & 0x80 ? fz_u64(f) >> 9 : fz_u8(f) * 8ull;	/* a file size */
	d->lbs = sel & 1 ? 4096 : 512;
	d->pbs = sel & 2 ? 4096 : d->lbs;
	d->readonly = sel & 4;
	memcpy(d->serial, "fuzz-disk-serial-0123", VIRTIO_BLK_ID_BYTES);
}

#endif
