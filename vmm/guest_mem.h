/* The interface through which pure device models (fw_cfg DMA, GHES record
 * writer) reach guest physical memory. The VMM backs it with checked,
 * poison-guarded copies into guest RAM; unit tests back it with a byte array.
 * Both calls return 0 or a negative errno (-EFAULT for an address range that
 * is not wholly guest RAM, -EIO for a poisoned page) and never touch memory
 * outside the range. */
#ifndef MVR_GUEST_MEM_H
#define MVR_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	int (*read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
	void *opaque;
};

static inline int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *buf, size_t len)
{
	return gm->read(gm->opaque, gpa, buf, len);
}

static inline int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *buf, size_t len)
{
	return gm->write(gm->opaque, gpa, buf, len);
}

#endif
