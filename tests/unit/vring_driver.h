/* Test doubles for virtio: a fake guest RAM (a byte array behind struct
 * guest_mem, with read/write/map and an optional "poisoned" range that
 * fails with -EIO) and the driver side of a split virtqueue laid out as
 * Linux's virtio_ring does (descriptor table, available ring right after,
 * used ring on the next page). Header-only; include after cmocka.h. */
#ifndef MVR_TEST_VRING_DRIVER_H
#define MVR_TEST_VRING_DRIVER_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "guest_mem.h"
#include "util.h"

#define FAKE_RAM_BASE 0x40000000ull
#define FAKE_RAM_SIZE (256 * 1024)

struct fake_ram {
	uint8_t *bytes;			/* FAKE_RAM_SIZE bytes at FAKE_RAM_BASE */
	uint64_t poison_gpa, poison_len;	/* reads/writes here fail -EIO */
	struct guest_mem gm;
};

static inline bool fake_ram_range(const struct fake_ram *r, uint64_t gpa, size_t len)
{
	return range_within(gpa, len, FAKE_RAM_BASE, FAKE_RAM_SIZE);
}

static inline bool fake_ram_poisoned(const struct fake_ram *r, uint64_t gpa, size_t len)
{
	return r->poison_len && gpa < r->poison_gpa + r->poison_len &&
	       r->poison_gpa < gpa + len;
}

static inline int fake_ram_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	struct fake_ram *r = o;

	if (!fake_ram_range(r, gpa, len))
		return -EFAULT;
	if (fake_ram_poisoned(r, gpa, len))
		return -EIO;
	memcpy(buf, r->bytes + (gpa - FAKE_RAM_BASE), len);
	return 0;
}

static inline int fake_ram_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	struct fake_ram *r = o;

	if (!fake_ram_range(r, gpa, len))
		return -EFAULT;
	if (fake_ram_poisoned(r, gpa, len))
		return -EIO;
	memcpy(r->bytes + (gpa - FAKE_RAM_BASE), buf, len);
	return 0;
}

static inline void *fake_ram_map(void *o, uint64_t gpa, size_t len)
{
	struct fake_ram *r = o;

	return fake_ram_range(r, gpa, len) ? r->bytes + (gpa - FAKE_RAM_BASE) : NULL;
}

/* Zeroed RAM; free with fake_ram_fini(). */
static inline void fake_ram_init(struct fake_ram *r)
{
	memset(r, 0, sizeof(*r));
	r->bytes = calloc(1, FAKE_RAM_SIZE);
	assert_non_null(r->bytes);
	r->gm = (struct guest_mem){ fake_ram_read, fake_ram_write, r, fake_ram_map };
}

static inline void fake_ram_fini(struct fake_ram *r)
{
	free(r->bytes);
	r->bytes = NULL;
}

static inline uint8_t *fake_ram_ptr(struct fake_ram *r, uint64_t gpa)
{
	assert_true(fake_ram_range(r, gpa, 1));
	return r->bytes + (gpa - FAKE_RAM_BASE);
}

/* ---- the driver side of one split virtqueue ---- */

#define DRV_F_NEXT     1
#define DRV_F_WRITE    2
#define DRV_F_INDIRECT 4

struct vring_drv {
	struct fake_ram *ram;
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx;		/* next avail slot the driver fills */
	uint16_t last_used;		/* next used slot the driver reads */
};

/* Lay out a queue of 'size' entries at 'gpa' (page aligned) as Linux
 * does: desc, avail right after it, used on the next 4 KiB boundary. */
static inline void drv_init(struct vring_drv *d, struct fake_ram *ram, uint64_t gpa, uint16_t size)
{
	memset(d, 0, sizeof(*d));
	d->ram = ram;
	d->size = size;
	d->desc = gpa;
	d->avail = gpa + 16ull * size;
	d->used = ALIGN_UP(d->avail + 6 + 2ull * size, 4096ull);
}

/* Write descriptor i of the table at 'table' (the queue's, or an
 * indirect table). */
static inline void drv_desc_at(struct fake_ram *ram, uint64_t table, unsigned i, uint64_t addr,
			       uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = fake_ram_ptr(ram, table + 16ull * i);

	put_le64(p, addr);
	put_le32(p + 8, len);
	put_le16(p + 12, flags);
	put_le16(p + 14, next);
}

static inline void drv_desc(struct vring_drv *d, unsigned i, uint64_t addr, uint32_t len,
			    uint16_t flags, uint16_t next)
{
	drv_desc_at(d->ram, d->desc, i, addr, len, flags, next);
}

/* Make chain 'head' available and publish the new avail->idx. */
static inline void drv_publish(struct vring_drv *d, uint16_t head)
{
	put_le16(fake_ram_ptr(d->ram, d->avail + 4 + 2ull * (d->avail_idx % d->size)), head);
	d->avail_idx++;
	put_le16(fake_ram_ptr(d->ram, d->avail + 2), d->avail_idx);
}

/* Overwrite avail->idx (hostile drivers). */
static inline void drv_set_avail_idx(struct vring_drv *d, uint16_t idx)
{
	put_le16(fake_ram_ptr(d->ram, d->avail + 2), idx);
}

static inline void drv_set_avail_flags(struct vring_drv *d, uint16_t flags)
{
	put_le16(fake_ram_ptr(d->ram, d->avail), flags);
}

static inline void drv_set_used_event(struct vring_drv *d, uint16_t v)
{
	put_le16(fake_ram_ptr(d->ram, d->avail + 4 + 2ull * d->size), v);
}

static inline uint16_t drv_used_idx(struct vring_drv *d)
{
	return get_le16(fake_ram_ptr(d->ram, d->used + 2));
}

static inline uint16_t drv_used_flags(struct vring_drv *d)
{
	return get_le16(fake_ram_ptr(d->ram, d->used));
}

static inline uint16_t drv_avail_event(struct vring_drv *d)
{
	return get_le16(fake_ram_ptr(d->ram, d->used + 4 + 8ull * d->size));
}

/* Take the next used element; false when there is none. */
static inline bool drv_get_used(struct vring_drv *d, uint32_t *id, uint32_t *len)
{
	const uint8_t *e;

	if (drv_used_idx(d) == d->last_used)
		return false;
	e = fake_ram_ptr(d->ram, d->used + 4 + 8ull * (d->last_used % d->size));
	*id = get_le32(e);
	*len = get_le32(e + 4);
	d->last_used++;
	return true;
}

#endif
