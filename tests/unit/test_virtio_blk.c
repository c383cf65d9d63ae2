/* Unit tests for virtio-blk (vmm/virtio/blk_req.c, blk_io.c, blk_image.c):
 * config space and features, request parsing against hostile chains (short
 * header, no status byte, data in the wrong direction, sector overflow,
 * unknown type, bad discard segments), GET_ID, read-only disks, and the
 * io_uring path on a real temporary file (write/read back, flush, discard,
 * write zeroes, O_DIRECT bounce, EFAULT from an inaccessible guest page,
 * drain at reset), plus image opening: OFD lock conflicts and bad sizes.
 * Facts from VIRTIO 1.2 section 5.2. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "util.h"
#include "virtio/blk_image.h"
#include "virtio/blk_io.h"
#include "virtio/blk_req.h"
#include "virtio/virtio.h"

/* ---- fake guest RAM: RAM_SIZE bytes at RAM_BASE; the last page is
 * PROT_NONE ("poisoned"): guarded copies fail with -EIO, map() still
 * hands out its address as the VMM's does, so I/O into it faults. ---- */
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1024 * 1024)
#define BAD_GPA  (RAM_BASE + RAM_SIZE - 4096)

struct ram {
	uint8_t *bytes;
	struct guest_mem gm;
};

static bool ram_ok(uint64_t gpa, size_t len)
{
	return range_within(gpa, len, RAM_BASE, RAM_SIZE);
}

static bool ram_bad(uint64_t gpa, size_t len)
{
	return gpa + len > BAD_GPA;
}

static int ram_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	struct ram *r = o;

	if (!ram_ok(gpa, len))
		return -EFAULT;
	if (ram_bad(gpa, len))
		return -EIO;
	memcpy(buf, r->bytes + (gpa - RAM_BASE), len);
	return 0;
}

static int ram_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	struct ram *r = o;

	if (!ram_ok(gpa, len))
		return -EFAULT;
	if (ram_bad(gpa, len))
		return -EIO;
	memcpy(r->bytes + (gpa - RAM_BASE), buf, len);
	return 0;
}

static void *ram_map(void *o, uint64_t gpa, size_t len)
{
	struct ram *r = o;

	return ram_ok(gpa, len) ? r->bytes + (gpa - RAM_BASE) : NULL;
}

static uint8_t *ram_ptr(struct ram *r, uint64_t gpa)
{
	return r->bytes + (gpa - RAM_BASE);
}

/* ---- chains ---- */
static void chain_init(struct vq_chain *c, uint16_t head)
{
	memset(c, 0, sizeof(*c));
	c->head = head;
}

static void chain_add(struct vq_chain *c, struct ram *r, uint64_t gpa, uint32_t len, bool w)
{
	c->buf[c->n] = (struct vq_buf){ gpa, len, w, ram_map(r, gpa, len) };
	if (w) {
		c->write_len += len;
	} else {
		c->nread++;
		c->read_len += len;
	}
	c->n++;
}

static void put_hdr(struct ram *r, uint64_t gpa, uint32_t type, uint64_t sector)
{
	uint8_t *p = ram_ptr(r, gpa);

	put_le32(p, type);
	put_le32(p + 4, 0);
	put_le64(p + 8, sector);
}

static void put_seg(struct ram *r, uint64_t gpa, uint64_t sector, uint32_t num, uint32_t flags)
{
	uint8_t *p = ram_ptr(r, gpa);

	put_le64(p, sector);
	put_le32(p + 8, num);
	put_le32(p + 12, flags);
}

#define HDR   (RAM_BASE + 0x0000)
#define DATA  (RAM_BASE + 0x10000)
#define DATA2 (RAM_BASE + 0x40000)
#define STAT  (RAM_BASE + 0x1000)

/* header | data (dir) | status: the layout Linux uses. */
static void chain_rw(struct vq_chain *c, struct ram *r, uint32_t type, uint64_t sector,
		     uint64_t data, uint32_t len)
{
	chain_init(c, 7);
	put_hdr(r, HDR, type, sector);
	chain_add(c, r, HDR, BLK_HDR_SIZE, false);
	if (type == VIRTIO_BLK_T_IN) {
		chain_add(c, r, data, len, true);
	} else if (len) {
		chain_add(c, r, data, len, false);
	}
	chain_add(c, r, STAT, 1, true);
	*ram_ptr(r, STAT) = 0xaa;
}

struct ctx {
	struct ram ram;
	struct blk_disk disk;
	struct blk_req *req;
	struct vq_chain *c;
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct ctx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	x->ram.bytes = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	if (x->ram.bytes == MAP_FAILED)
		return -1;
	if (mprotect(x->ram.bytes + (BAD_GPA - RAM_BASE), 4096, PROT_NONE))
		return -1;
	x->ram.gm = (struct guest_mem){ ram_read, ram_write, &x->ram, ram_map };
	x->req = calloc(1, sizeof(*x->req));
	x->c = calloc(1, sizeof(*x->c));
	x->disk = (struct blk_disk){ .sectors = 2048, .lbs = 512, .pbs = 4096 };
	memcpy(x->disk.serial, "SER-1", 5);
	x->fd = -1;
	*state = x;
	return x->req && x->c ? 0 : -1;
}

static int teardown(void **state)
{
	struct ctx *x = *state;

	if (x->fd >= 0)
		close(x->fd);
	if (x->path[0])
		unlink(x->path);
	munmap(x->ram.bytes, RAM_SIZE);
	free(x->req);
	free(x->c);
	free(x);
	return 0;
}

static int parse(struct ctx *x)
{
	return blk_req_parse(&x->disk, &x->ram.gm, x->c, x->req);
}

/* ---- config space and features ---- */

static void test_config_rw(void **state)
{
	struct ctx *x = *state;
	uint8_t cfg[BLK_CONFIG_LEN];
	uint64_t f = blk_features(&x->disk);

	blk_config(&x->disk, cfg);
	assert_int_equal(get_le64(cfg + 0), 2048);		/* capacity */
	assert_int_equal(get_le32(cfg + 8), BLK_SIZE_MAX);	/* size_max */
	assert_int_equal(get_le32(cfg + 12), VQ_MAX_CHAIN - 2);	/* seg_max */
	assert_int_equal(get_le32(cfg + 20), 512);		/* blk_size */
	assert_int_equal(cfg[24], 3);				/* 4096 = 512 << 3 */
	assert_int_equal(get_le16(cfg + 26), 1);		/* min_io_size */
	assert_int_equal(get_le32(cfg + 28), 8);		/* opt_io_size */
	assert_int_equal(get_le16(cfg + 34), 1);		/* num_queues */
	assert_int_equal(get_le32(cfg + 36), BLK_DWZ_SECTORS_MAX);
	assert_int_equal(get_le32(cfg + 40), BLK_DWZ_SEG_MAX);
	assert_int_equal(get_le32(cfg + 44), 8);
	assert_int_equal(get_le32(cfg + 48), BLK_DWZ_SECTORS_MAX);
	assert_int_equal(get_le32(cfg + 52), BLK_DWZ_SEG_MAX);
	assert_int_equal(cfg[56], 1);
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX));
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE));
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY));
	assert_false(f & VIRTIO_BIT(VIRTIO_BLK_F_RO));
}

static void test_config_ro(void **state)
{
	struct ctx *x = *state;
	uint8_t cfg[BLK_CONFIG_LEN];
	uint64_t f;

	x->disk.readonly = true;
	f = blk_features(&x->disk);
	blk_config(&x->disk, cfg);
	assert_true(f & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_false(f & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_false(f & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
	assert_int_equal(get_le32(cfg + 36), 0);
	assert_int_equal(cfg[56], 0);
}

/* ---- parsing ---- */

static void test_parse_in(void **state)
{
	struct ctx *x = *state;

	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 2046, DATA, 1024);
	assert_int_equal(parse(x), BLK_REQ_IO);
	assert_int_equal(x->req->head, 7);
	assert_int_equal(x->req->offset, 2046 * 512);
	assert_int_equal(x->req->len, 1024);
	assert_int_equal(x->req->niov, 1);
	assert_ptr_equal(x->req->iov[0].iov_base, ram_ptr(&x->ram, DATA));
	assert_int_equal(x->req->status_gpa, STAT);
}

/* No framing assumptions: a header split over two buffers, data and the
 * status byte in one buffer. */
static void test_parse_odd_framing(void **state)
{
	struct ctx *x = *state;

	chain_init(x->c, 3);
	put_hdr(&x->ram, HDR, VIRTIO_BLK_T_IN, 5);
	chain_add(x->c, &x->ram, HDR, 10, false);
	chain_add(x->c, &x->ram, HDR + 10, 6, false);
	chain_add(x->c, &x->ram, DATA, 512 + 1, true);
	assert_int_equal(parse(x), BLK_REQ_IO);
	assert_int_equal(x->req->offset, 5 * 512);
	assert_int_equal(x->req->len, 512);
	assert_int_equal(x->req->iov[0].iov_len, 512);
	assert_int_equal(x->req->status_gpa, DATA + 512);
}

static void test_parse_malformed(void **state)
{
	struct ctx *x = *state;

	/* Header of 8 readable bytes. */
	chain_init(x->c, 0);
	chain_add(x->c, &x->ram, HDR, 8, false);
	chain_add(x->c, &x->ram, STAT, 1, true);
	assert_int_equal(parse(x), -EINVAL);
	/* No writable byte for the status. */
	chain_init(x->c, 0);
	put_hdr(&x->ram, HDR, VIRTIO_BLK_T_FLUSH, 0);
	chain_add(x->c, &x->ram, HDR, 16, false);
	assert_int_equal(parse(x), -EINVAL);
	/* A zero-length writable buffer is no status byte either. */
	chain_add(x->c, &x->ram, STAT, 0, true);
	assert_int_equal(parse(x), -EINVAL);
	/* Header where the guest's copy fails (poisoned page). */
	chain_init(x->c, 0);
	chain_add(x->c, &x->ram, BAD_GPA, 16, false);
	chain_add(x->c, &x->ram, STAT, 1, true);
	assert_int_equal(parse(x), -EINVAL);
	/* A buffer without a host mapping. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 0, DATA, 512);
	x->c->buf[1].hva = NULL;
	assert_int_equal(parse(x), -EINVAL);
}

static void expect_done(struct ctx *x, uint8_t status, uint32_t written)
{
	assert_int_equal(parse(x), BLK_REQ_DONE);
	assert_int_equal(x->req->status, status);
	assert_int_equal(x->req->written, written);
}

static void test_parse_wrong_direction(void **state)
{
	struct ctx *x = *state;

	/* IN whose data buffer is device-readable. */
	chain_init(x->c, 1);
	put_hdr(&x->ram, HDR, VIRTIO_BLK_T_IN, 0);
	chain_add(x->c, &x->ram, HDR, 16, false);
	chain_add(x->c, &x->ram, DATA, 512, false);
	chain_add(x->c, &x->ram, STAT, 1, true);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	/* OUT whose data buffer is device-writable. */
	chain_init(x->c, 1);
	put_hdr(&x->ram, HDR, VIRTIO_BLK_T_OUT, 0);
	chain_add(x->c, &x->ram, HDR, 16, false);
	chain_add(x->c, &x->ram, DATA, 512, true);
	chain_add(x->c, &x->ram, STAT, 1, true);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
}

static void test_parse_bounds(void **state)
{
	struct ctx *x = *state;

	/* Past the end by one sector. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 2047, DATA, 1024);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	/* Sector + length wrapping around 2^64. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_OUT, UINT64_MAX, DATA, 512);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, UINT64_MAX / 512, DATA, 512);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	/* Not a whole number of sectors, or nothing at all. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 0, DATA, 100);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_OUT, 0, DATA, 0);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	/* The last sector is fine. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_OUT, 2047, DATA, 512);
	assert_int_equal(parse(x), BLK_REQ_IO);
	/* A 4 KiB-sector disk refuses I/O that is not 4 KiB aligned. */
	x->disk.lbs = 4096;
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 1, DATA, 4096);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 8, DATA, 4096);
	assert_int_equal(parse(x), BLK_REQ_IO);
}

static void test_parse_unknown_type(void **state)
{
	struct ctx *x = *state;

	chain_rw(x->c, &x->ram, 99, 0, DATA, 0);
	expect_done(x, VIRTIO_BLK_S_UNSUPP, 1);
	chain_rw(x->c, &x->ram, 10 /* GET_LIFETIME: not offered */, 0, DATA, 0);
	expect_done(x, VIRTIO_BLK_S_UNSUPP, 1);
}

static void test_get_id(void **state)
{
	struct ctx *x = *state;
	uint8_t want[20] = "SER-1";

	memset(ram_ptr(&x->ram, DATA), 0xee, 64);
	/* A 20-byte writable buffer before the status. */
	chain_init(x->c, 2);
	put_hdr(&x->ram, HDR, VIRTIO_BLK_T_GET_ID, 0);
	chain_add(x->c, &x->ram, HDR, 16, false);
	chain_add(x->c, &x->ram, DATA, 20, true);
	chain_add(x->c, &x->ram, STAT, 1, true);
	expect_done(x, VIRTIO_BLK_S_OK, 21);
	assert_memory_equal(ram_ptr(&x->ram, DATA), want, 20);
	assert_int_equal(*ram_ptr(&x->ram, DATA + 20), 0xee);
	/* A full 20-byte serial has no NUL; an 8-byte buffer gets 8 bytes. */
	memcpy(x->disk.serial, "ABCDEFGHIJKLMNOPQRST", 20);
	chain_init(x->c, 2);
	chain_add(x->c, &x->ram, HDR, 16, false);
	chain_add(x->c, &x->ram, DATA, 8, true);
	chain_add(x->c, &x->ram, STAT, 1, true);
	expect_done(x, VIRTIO_BLK_S_OK, 9);
	assert_memory_equal(ram_ptr(&x->ram, DATA), "ABCDEFGH", 8);
	/* Into a poisoned page: IOERR, nothing else. */
	chain_init(x->c, 2);
	chain_add(x->c, &x->ram, HDR, 16, false);
	chain_add(x->c, &x->ram, BAD_GPA, 20, true);
	chain_add(x->c, &x->ram, STAT, 1, true);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
}

static void test_readonly(void **state)
{
	struct ctx *x = *state;

	x->disk.readonly = true;
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_OUT, 0, DATA, 512);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	put_seg(&x->ram, DATA, 0, 8, 0);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_DISCARD, 0, DATA, 16);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	/* Reads and flushes still work. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 0, DATA, 512);
	assert_int_equal(parse(x), BLK_REQ_IO);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_FLUSH, 0, DATA, 0);
	assert_int_equal(parse(x), BLK_REQ_IO);
}

static void test_parse_dwz(void **state)
{
	struct ctx *x = *state;

	put_seg(&x->ram, DATA, 8, 16, 0);
	put_seg(&x->ram, DATA + 16, 100, 4, VIRTIO_BLK_DWZ_F_UNMAP);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 32);
	assert_int_equal(parse(x), BLK_REQ_IO);
	assert_int_equal(x->req->nseg, 2);
	assert_int_equal(x->req->seg[0].off, 8 * 512);
	assert_int_equal(x->req->seg[0].len, 16 * 512);
	assert_false(x->req->seg[0].unmap);
	assert_true(x->req->seg[1].unmap);
	/* Unmap on a discard, unknown flags: UNSUPP. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_DISCARD, 0, DATA, 32);
	expect_done(x, VIRTIO_BLK_S_UNSUPP, 1);
	put_seg(&x->ram, DATA, 8, 16, 4);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16);
	expect_done(x, VIRTIO_BLK_S_UNSUPP, 1);
	/* Out of range, empty, too long, wrapping. */
	put_seg(&x->ram, DATA, 2040, 16, 0);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_DISCARD, 0, DATA, 16);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	put_seg(&x->ram, DATA, 0, 0, 0);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_DISCARD, 0, DATA, 16);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	put_seg(&x->ram, DATA, UINT64_MAX - 1, 8, 0);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_DISCARD, 0, DATA, 16);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	/* A partial segment, too many segments. */
	put_seg(&x->ram, DATA, 0, 8, 0);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_DISCARD, 0, DATA, 24);
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_DISCARD, 0, DATA, 16 * (BLK_DWZ_SEG_MAX + 1));
	expect_done(x, VIRTIO_BLK_S_IOERR, 1);
}

static void test_complete_status(void **state)
{
	struct ctx *x = *state;
	struct blk_stats st = { 0 };

	chain_rw(x->c, &x->ram, 99, 0, DATA, 0);
	assert_int_equal(parse(x), BLK_REQ_DONE);
	assert_int_equal(blk_req_complete(&x->ram.gm, x->req, &st), 1);
	assert_int_equal(*ram_ptr(&x->ram, STAT), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(st.unsupported, 1);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_OUT, 4096, DATA, 512);
	assert_int_equal(parse(x), BLK_REQ_DONE);
	blk_req_complete(&x->ram.gm, x->req, &st);
	assert_int_equal(*ram_ptr(&x->ram, STAT), VIRTIO_BLK_S_IOERR);
	assert_int_equal(st.io_errors, 1);
	assert_int_equal(st.writes, 1);
	assert_int_equal(st.bytes_written, 0);
	/* A status byte on a poisoned page is counted, not fatal. */
	x->req->status_gpa = BAD_GPA;
	blk_req_complete(&x->ram.gm, x->req, &st);
	assert_int_equal(st.status_lost, 1);
}

/* ---- image opening ---- */

static void make_file(struct ctx *x, off_t size)
{
	strcpy(x->path, "/tmp/mvr-blk-XXXXXX");
	x->fd = mkstemp(x->path);
	assert_true(x->fd >= 0);
	assert_int_equal(ftruncate(x->fd, size), 0);
}

static void test_image_lock(void **state)
{
	struct ctx *x = *state;
	struct disk_config dc = { 0 };
	struct blk_image a, b, c;
	char why[BLK_IMAGE_WHY_LEN];

	make_file(x, 1 << 20);
	dc.path = x->path;
	assert_int_equal(blk_image_open(&dc, &a, why, sizeof(why)), 0);
	assert_int_equal(a.size, 1 << 20);
	assert_int_equal(a.lbs, 512);
	/* A second writer, or a reader, is refused while a writer has it. */
	assert_int_equal(blk_image_open(&dc, &b, why, sizeof(why)), -EAGAIN);
	assert_non_null(strstr(why, "locked by another process"));
	assert_int_equal(b.fd, -1);
	dc.readonly = true;
	assert_int_equal(blk_image_open(&dc, &b, why, sizeof(why)), -EAGAIN);
	blk_image_close(&a);
	/* Readers share; a writer is then refused. */
	assert_int_equal(blk_image_open(&dc, &b, why, sizeof(why)), 0);
	assert_int_equal(blk_image_open(&dc, &c, why, sizeof(why)), 0);
	assert_true(b.readonly);
	dc.readonly = false;
	assert_int_equal(blk_image_open(&dc, &a, why, sizeof(why)), -EAGAIN);
	blk_image_close(&b);
	blk_image_close(&c);
	assert_int_equal(blk_image_open(&dc, &a, why, sizeof(why)), 0);
	blk_image_close(&a);
}

static void test_image_bad(void **state)
{
	struct ctx *x = *state;
	struct disk_config dc = { 0 };
	struct blk_image a;
	char why[BLK_IMAGE_WHY_LEN];

	make_file(x, 0);
	dc.path = x->path;
	assert_int_equal(blk_image_open(&dc, &a, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "the image is empty");
	assert_int_equal(ftruncate(x->fd, 513), 0);
	assert_int_equal(blk_image_open(&dc, &a, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "size is not a multiple of 512 bytes");
	dc.path = "/nonexistent/disk.img";
	assert_int_equal(blk_image_open(&dc, &a, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "cannot open: No such file or directory");
	dc.path = "/tmp";
	dc.readonly = true;
	assert_int_equal(blk_image_open(&dc, &a, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "not a regular file or block device");
}

/* ---- the io_uring path on a real file ---- */

struct done_log {
	unsigned n;
	uint16_t head[16];
	uint8_t status[16];
	uint32_t written[16];
	bool suspect[16];		/* r->mem_suspect */
	struct blk_stats st;
	const struct guest_mem *gm;
};

static void done_cb(void *opaque, struct blk_req *r)
{
	struct done_log *d = opaque;

	if (d->n < 16) {
		d->head[d->n] = r->head;
		d->status[d->n] = r->status;
		d->written[d->n] = r->written;
		d->suspect[d->n] = r->mem_suspect;
	}
	d->n++;
	blk_req_complete(d->gm, r, &d->st);
}

/* Parse x->c, submit it and wait for it; returns its status. */
static uint8_t run_req(struct ctx *x, struct blk_io *io, struct done_log *d)
{
	struct blk_req *r = blk_io_get_req(io);
	unsigned before = d->n;
	int i, ret;

	assert_non_null(r);
	ret = blk_req_parse(&x->disk, &x->ram.gm, x->c, r);
	assert_true(ret >= 0);
	if (ret == BLK_REQ_DONE || blk_io_submit(io, r)) {
		done_cb(d, r);
		blk_io_put_req(io, r);
		return d->status[(d->n - 1) % 16];
	}
	assert_int_equal(blk_io_kick(io), 0);
	for (i = 0; i < 5000 && d->n == before; i++) {
		blk_io_reap(io, done_cb, d);
		if (d->n == before)
			usleep(1000);
	}
	assert_int_equal(d->n, before + 1);
	assert_int_equal(*ram_ptr(&x->ram, STAT), d->status[before % 16]);
	return d->status[before % 16];
}

static struct blk_io *open_io(struct ctx *x, struct blk_image *img, bool direct,
			      struct done_log *d)
{
	struct disk_config dc = { .path = x->path, .direct = direct };
	char why[BLK_IMAGE_WHY_LEN];
	struct blk_io *io;

	if (blk_image_open(&dc, img, why, sizeof(why)))
		return NULL;
	x->disk.sectors = img->size / 512;
	io = blk_io_create(img->fd, 8, direct ? img->lbs : 0, &x->ram.gm, -1);
	assert_non_null(io);
	memset(d, 0, sizeof(*d));
	d->gm = &x->ram.gm;
	return io;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void test_io_write_read_flush(void **state)
{
	struct ctx *x = *state;
	struct blk_image img;
	struct done_log d;
	struct blk_io *io;
	uint8_t back[8192];

	make_file(x, 1 << 20);
	io = open_io(x, &img, false, &d);
	assert_non_null(io);
	/* Write 8 KiB at sector 10 from two guest buffers. */
	fill(ram_ptr(&x->ram, DATA), 4096, 1);
	fill(ram_ptr(&x->ram, DATA2), 4096, 2);
	chain_init(x->c, 11);
	put_hdr(&x->ram, HDR, VIRTIO_BLK_T_OUT, 10);
	chain_add(x->c, &x->ram, HDR, 16, false);
	chain_add(x->c, &x->ram, DATA, 4096, false);
	chain_add(x->c, &x->ram, DATA2, 4096, false);
	chain_add(x->c, &x->ram, STAT, 1, true);
	*ram_ptr(&x->ram, STAT) = 0xaa;
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	assert_int_equal(d.head[0], 11);
	assert_int_equal(d.written[0], 1);
	assert_int_equal(pread(x->fd, back, 8192, 10 * 512), 8192);
	assert_memory_equal(back, ram_ptr(&x->ram, DATA), 4096);
	assert_memory_equal(back + 4096, ram_ptr(&x->ram, DATA2), 4096);
	/* Read it back elsewhere. */
	memset(ram_ptr(&x->ram, DATA + 0x8000), 0, 8192);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 10, DATA + 0x8000, 8192);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	assert_int_equal(d.written[1], 8192 + 1);
	assert_memory_equal(ram_ptr(&x->ram, DATA + 0x8000), back, 8192);
	/* Flush. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_FLUSH, 0, DATA, 0);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	assert_int_equal(d.st.reads, 1);
	assert_int_equal(d.st.writes, 1);
	assert_int_equal(d.st.flushes, 1);
	assert_int_equal(d.st.bytes_read, 8192);
	assert_int_equal(d.st.bytes_written, 8192);
	assert_int_equal(blk_io_inflight(io), 0);
	blk_io_destroy(io);
	blk_image_close(&img);
}

static void test_io_discard_write_zeroes(void **state)
{
	struct ctx *x = *state;
	struct blk_image img;
	struct done_log d;
	struct blk_io *io;
	uint8_t buf[16384], zero[16384] = { 0 };

	make_file(x, 1 << 20);
	if (fallocate(x->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096)) {
		skip();
		return;
	}
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(pwrite(x->fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	io = open_io(x, &img, false, &d);
	assert_non_null(io);
	/* Write zeroes over sectors 0-7 (no unmap: ZERO_RANGE or its
	 * fallback), then with unmap over 8-15. */
	put_seg(&x->ram, DATA, 0, 8, 0);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	put_seg(&x->ram, DATA, 8, 8, VIRTIO_BLK_DWZ_F_UNMAP);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(x->fd, buf, 8192, 0), 8192);
	assert_memory_equal(buf, zero, 8192);
	/* Discard two segments; punched holes read as zeroes. */
	put_seg(&x->ram, DATA, 16, 8, 0);
	put_seg(&x->ram, DATA + 16, 24, 8, 0);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_DISCARD, 0, DATA, 32);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(x->fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_memory_equal(buf, zero, 16384);
	assert_int_equal(d.st.write_zeroes, 2);
	assert_int_equal(d.st.discards, 1);
	assert_int_equal(img.size, 1 << 20);	/* KEEP_SIZE */
	blk_io_destroy(io);
	blk_image_close(&img);
}

/* A guest buffer the kernel cannot touch (a poisoned page): that request
 * fails with IOERR, the next one works. */
static void test_io_efault(void **state)
{
	struct ctx *x = *state;
	struct blk_image img;
	struct blk_io_stats st;
	struct done_log d;
	struct blk_io *io;

	make_file(x, 1 << 20);
	io = open_io(x, &img, false, &d);
	assert_non_null(io);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 0, BAD_GPA, 4096);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_IOERR);
	assert_int_equal(d.written[0], 1);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_OUT, 0, BAD_GPA, 4096);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_IOERR);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 0, DATA, 4096);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	/* Both failures are marked for the poison check, the success not. */
	assert_true(d.suspect[0]);
	assert_true(d.suspect[1]);
	assert_false(d.suspect[2]);
	blk_io_get_stats(io, &st);
	assert_int_equal(st.failed, 2);
	assert_int_equal(d.st.io_errors, 2);
	blk_io_destroy(io);
	blk_image_close(&img);
}

/* O_DIRECT with a buffer that is not 512-byte aligned: bounced, correct. */
static void test_io_direct_bounce(void **state)
{
	struct ctx *x = *state;
	struct blk_image img;
	struct blk_io_stats st;
	struct done_log d;
	struct blk_io *io;
	uint8_t back[1024];

	make_file(x, 1 << 20);
	io = open_io(x, &img, true, &d);
	if (!io) {
		skip();	/* no O_DIRECT on this file system */
		return;
	}
	fill(ram_ptr(&x->ram, DATA + 1), 1024, 9);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_OUT, 4, DATA + 1, 1024);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(x->fd, back, 1024, 4 * 512), 1024);
	assert_memory_equal(back, ram_ptr(&x->ram, DATA + 1), 1024);
	memset(ram_ptr(&x->ram, DATA2 + 3), 0, 1024);
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 4, DATA2 + 3, 1024);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	assert_memory_equal(ram_ptr(&x->ram, DATA2 + 3), back, 1024);
	/* Aligned buffers go straight through. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, 4, DATA2, 1024);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_OK);
	assert_false(d.suspect[2]);
	/* Bouncing a write from a poisoned page: the guarded copy fails, the
	 * request too, marked for the poison check. */
	chain_rw(x->c, &x->ram, VIRTIO_BLK_T_OUT, 4, BAD_GPA + 1, 1024);
	assert_int_equal(run_req(x, io, &d), VIRTIO_BLK_S_IOERR);
	assert_true(d.suspect[3]);
	blk_io_get_stats(io, &st);
	assert_int_equal(st.bounced, 2);
	blk_io_destroy(io);
	blk_image_close(&img);
}

/* Reset with requests in flight: they finish, nothing is reported and no
 * status byte is written; slots are free again. */
static void test_io_drain(void **state)
{
	struct ctx *x = *state;
	struct blk_image img;
	struct blk_io_stats st;
	struct done_log d;
	struct blk_io *io;
	struct blk_req *r;
	unsigned i;

	make_file(x, 1 << 20);
	io = open_io(x, &img, false, &d);
	assert_non_null(io);
	for (i = 0; i < 8; i++) {
		r = blk_io_get_req(io);
		assert_non_null(r);
		chain_rw(x->c, &x->ram, VIRTIO_BLK_T_IN, i * 8, DATA + i * 4096, 4096);
		assert_int_equal(blk_req_parse(&x->disk, &x->ram.gm, x->c, r), BLK_REQ_IO);
		assert_int_equal(blk_io_submit(io, r), 0);
	}
	/* depth 8: no ninth slot. */
	assert_null(blk_io_get_req(io));
	assert_int_equal(blk_io_inflight(io), 8);
	blk_io_drain(io);
	assert_int_equal(blk_io_inflight(io), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(*ram_ptr(&x->ram, STAT), 0xaa);
	blk_io_get_stats(io, &st);
	assert_int_equal(st.dropped, 8);
	assert_int_equal(blk_io_reap(io, done_cb, &d), 0);
	assert_int_equal(d.n, 0);
	assert_non_null(blk_io_get_req(io));
	blk_io_destroy(io);
	blk_image_close(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_rw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_ro, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_odd_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_wrong_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_unknown_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_dwz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_write_read_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_discard_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_direct_bounce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_drain, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
