/* Constants of the VIRTIO 1.2 specification (OASIS, virtio-v1.2-cs01) that
 * the transport and the device models share: device status bits (2.1),
 * reserved feature bits (6), device ids (5). Values only, no code. */
#ifndef MVR_VIRTIO_H
#define MVR_VIRTIO_H

/* Device status field (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        1u
#define VIRTIO_STATUS_DRIVER             2u
#define VIRTIO_STATUS_DRIVER_OK          4u
#define VIRTIO_STATUS_FEATURES_OK        8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED             128u

/* Reserved feature bits (section 6). */
#define VIRTIO_F_INDIRECT_DESC   28
#define VIRTIO_F_EVENT_IDX       29
#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED     34
#define VIRTIO_F_IN_ORDER        35

/* Device ids (section 5). */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4

#define VIRTIO_BIT(b) (1ull << (b))

#endif
