/* Test helper: 32-bit register access to a device straight through its
 * typed MMIO ops (bus_dev.h), asserting the device accepts it and that a
 * read fills no more than 32 bits. Include after cmocka.h. */
#ifndef MVR_TEST_MMIO_ACCESS_H
#define MVR_TEST_MMIO_ACCESS_H

#include <stdint.h>

#include "bus_dev.h"

static inline uint32_t mmio_rd32(const struct bus_dev_ops *ops, void *dev, uint64_t off)
{
	uint64_t v = 0xdeadbeefdeadbeefULL;

	assert_int_equal(ops->read(dev, off, 4, &v), 0);
	assert_true(v <= UINT32_MAX);
	return (uint32_t)v;
}

static inline void mmio_wr32(const struct bus_dev_ops *ops, void *dev, uint64_t off, uint32_t v)
{
	assert_int_equal(ops->write(dev, off, 4, v), 0);
}

#endif
