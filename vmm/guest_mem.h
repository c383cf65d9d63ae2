/* The interface through which pure device models (fw_cfg DMA, GHES record
 * writer) reach guest physical memory. The VMM backs it with checked,
 * poison-guarded copies into guest RAM; unit tests back it with a byte array.
 * Both calls return 0 or a negative errno (-EFAULT for an address range that
 * is not wholly guest RAM, -EIO for a poisoned page) and never touch memory
 * outside the range. A read or write of 2, 4 or 8 bytes whose guest address
 * and host buffer are both naturally aligned is one access (a ring index
 * the guest updates concurrently is never seen torn). */
#ifndef MVR_GUEST_MEM_H
#define MVR_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	int (*read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
	void *opaque;
	/* Optional: the host mapping of [gpa, gpa+len) when it lies wholly in
	 * guest RAM, else NULL (zero-copy I/O into guest buffers; an access
	 * through it to a poisoned page is the caller's to survive, e.g. by
	 * letting the kernel fail the I/O with EFAULT/EIO). */
	void *(*map)(void *opaque, uint64_t gpa, size_t len);
};

static inline int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *buf, size_t len)
{
	return gm->read(gm->opaque, gpa, buf, len);
}

static inline int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *buf, size_t len)
{
	return gm->write(gm->opaque, gpa, buf, len);
}

/* Host pointer for [gpa, gpa+len) in guest RAM, or NULL (outside RAM,
 * wrapping, or no map() in this guest_mem). */
static inline void *guest_mem_map(const struct guest_mem *gm, uint64_t gpa, size_t len)
{
	return gm->map ? gm->map(gm->opaque, gpa, len) : NULL;
}

#endif
