/* virtio-rng / entropy device (VIRTIO 1.2 section 5.4) on the virtio-mmio
 * transport: one request queue whose writable buffers are filled from
 * getrandom(2). --rng adds one; without CONFIG_VIRTIO the class is NULL. */
#ifndef MVR_VIRTIO_RNG_H
#define MVR_VIRTIO_RNG_H

#include <stdint.h>

#include "devices/device.h"
#include "virtio/virtqueue.h"

/* Most bytes given for one request (a driver asking for more gets less,
 * which 5.4.6 allows). */
#define RNG_MAX_REQUEST 65536u

/* Fill the writable buffers of chain 'c' (host mappings) with random
 * bytes, at most 'max' in all; readable buffers are skipped. Returns the
 * bytes written, stopping at the first buffer getrandom() cannot fill
 * (e.g. EFAULT on a poisoned page). Pure apart from getrandom(). */
uint32_t rng_fill_chain(const struct vq_chain *c, uint32_t max);

#ifdef CONFIG_VIRTIO
extern const struct dev_class virtio_rng_class;

static inline const struct dev_class *virtio_rng_dev_class(void)
{
	return &virtio_rng_class;
}
#else
static inline const struct dev_class *virtio_rng_dev_class(void)
{
	return NULL;
}
#endif

#endif
