/* Test double: the driver side of one packed virtqueue (VIRTIO 1.2 section
 * 2.8) in a fake guest RAM (vring_driver.h), laid out as Linux's
 * virtio_ring does: the descriptor ring, then the driver and the device
 * event suppression structures. It makes chains available as 2.8.21.1
 * says (first descriptor's flags last), tracks its Driver and Device Ring
 * Wrap Counters, and reads used descriptors back skipping the chain's
 * length by Buffer ID. Header-only; include after vring_driver.h. */
#ifndef MVR_TEST_VRING_PACKED_DRIVER_H
#define MVR_TEST_VRING_PACKED_DRIVER_H

#include "vring_driver.h"

#define PD_F_NEXT     1
#define PD_F_WRITE    2
#define PD_F_INDIRECT 4
#define PD_F_AVAIL    (1 << 7)
#define PD_F_USED     (1 << 15)
#define PD_EV_ENABLE  0
#define PD_EV_DISABLE 1
#define PD_EV_DESC    2

/* One buffer of a chain the test makes available. */
struct pbuf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

struct pvring_drv {
	struct fake_ram *ram;
	uint16_t size;
	uint64_t desc, driver, device;
	uint16_t next_avail;
	bool avail_wrap;
	uint16_t next_used;
	bool used_wrap;
	uint16_t ndesc[65536 / 64];	/* ring descriptors per Buffer ID < 1024 */
};

static inline void pdrv_init(struct pvring_drv *d, struct fake_ram *ram, uint64_t gpa,
			     uint16_t size)
{
	memset(d, 0, sizeof(*d));
	d->ram = ram;
	d->size = size;
	d->desc = gpa;
	d->driver = gpa + 16ull * size;
	d->device = d->driver + 4;
	d->avail_wrap = d->used_wrap = true;
	memset(fake_ram_ptr(ram, gpa), 0, 16ull * size + 8);
}

/* The AVAIL/USED bits that make a descriptor available in lap 'wrap'. */
static inline uint16_t pdrv_avail_bits(bool wrap)
{
	return wrap ? PD_F_AVAIL : PD_F_USED;
}

/* Raw descriptor at ring position 'pos' (hostile drivers). */
static inline void pdrv_raw(struct pvring_drv *d, uint16_t pos, uint64_t addr, uint32_t len,
			    uint16_t id, uint16_t flags)
{
	uint8_t *p = fake_ram_ptr(d->ram, d->desc + 16ull * pos);

	put_le64(p, addr);
	put_le32(p + 8, len);
	put_le16(p + 12, id);
	put_le16(p + 14, flags);
}

/* Make a chain of n ring descriptors available with Buffer ID 'id'
 * ('extra' ORed into every descriptor's flags). Returns its first
 * position. */
static inline uint16_t pdrv_add_flags(struct pvring_drv *d, const struct pbuf *b, unsigned n,
				      uint16_t id, uint16_t extra)
{
	uint16_t first = d->next_avail, first_flags = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t f = pdrv_avail_bits(d->avail_wrap) | extra |
			     (b[i].write ? PD_F_WRITE : 0) | (i + 1 < n ? PD_F_NEXT : 0);
		uint8_t *p = fake_ram_ptr(d->ram, d->desc + 16ull * d->next_avail);

		put_le64(p, b[i].addr);
		put_le32(p + 8, b[i].len);
		put_le16(p + 12, id);
		if (i)
			put_le16(p + 14, f);
		else
			first_flags = f;
		if (++d->next_avail == d->size) {
			d->next_avail = 0;
			d->avail_wrap = !d->avail_wrap;
		}
	}
	if (id < ARRAY_SIZE(d->ndesc))
		d->ndesc[id] = (uint16_t)n;
	put_le16(fake_ram_ptr(d->ram, d->desc + 16ull * first + 14), first_flags);
	return first;
}

static inline uint16_t pdrv_add(struct pvring_drv *d, const struct pbuf *b, unsigned n, uint16_t id)
{
	return pdrv_add_flags(d, b, n, id, 0);
}

/* Write an indirect table of n entries at 'table' and make it available
 * as one ring descriptor with Buffer ID 'id'. */
static inline void pdrv_add_indirect(struct pvring_drv *d, uint64_t table, const struct pbuf *b,
				     unsigned n, uint16_t id)
{
	struct pbuf ring = { table, 16 * n, false };
	unsigned i;

	for (i = 0; i < n; i++) {
		uint8_t *p = fake_ram_ptr(d->ram, table + 16ull * i);

		put_le64(p, b[i].addr);
		put_le32(p + 8, b[i].len);
		put_le16(p + 12, 0);
		put_le16(p + 14, b[i].write ? PD_F_WRITE : 0);
	}
	pdrv_add_flags(d, &ring, 1, id, PD_F_INDIRECT);
}

/* Flags word of the descriptor at ring position pos. */
static inline uint16_t pdrv_flags_at(struct pvring_drv *d, uint16_t pos)
{
	return get_le16(fake_ram_ptr(d->ram, d->desc + 16ull * pos + 14));
}

/* Take the next used descriptor (2.8.22): false when there is none. */
static inline bool pdrv_get_used(struct pvring_drv *d, uint16_t *id, uint32_t *len, uint16_t *flags)
{
	const uint8_t *p = fake_ram_ptr(d->ram, d->desc + 16ull * d->next_used);
	uint16_t f = get_le16(p + 14);
	bool avail = f & PD_F_AVAIL, used = f & PD_F_USED;
	unsigned n;

	if (avail != d->used_wrap || used != d->used_wrap)
		return false;
	*id = get_le16(p + 12);
	*len = get_le32(p + 8);
	*flags = f;
	n = *id < ARRAY_SIZE(d->ndesc) && d->ndesc[*id] ? d->ndesc[*id] : 1;
	d->next_used = (uint16_t)(d->next_used + n);
	if (d->next_used >= d->size) {
		d->next_used = (uint16_t)(d->next_used - d->size);
		d->used_wrap = !d->used_wrap;
	}
	return true;
}

/* Driver event suppression (2.8.14): flags and descriptor offset/wrap. */
static inline void pdrv_set_event(struct pvring_drv *d, uint16_t flags, uint16_t off, bool wrap)
{
	put_le16(fake_ram_ptr(d->ram, d->driver), (uint16_t)(off | (wrap ? 0x8000 : 0)));
	put_le16(fake_ram_ptr(d->ram, d->driver + 2), flags);
}

/* Device event suppression flags, as the device wrote them. */
static inline uint16_t pdrv_device_flags(struct pvring_drv *d)
{
	return get_le16(fake_ram_ptr(d->ram, d->device + 2));
}

#endif
