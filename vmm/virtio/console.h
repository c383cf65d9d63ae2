/* virtio-console (VIRTIO 1.2 section 5.3) on the virtio-mmio transport:
 * one port, no MULTIPORT: receiveq 0 carries the VMM's console input to
 * the guest, transmitq 1 the guest's output to the console fd. The guest
 * sees it as hvc0. --console virtio adds one (board.c) and routes stdin to
 * it (devlist_input); without CONFIG_VIRTIO the class is NULL. */
#ifndef MVR_VIRTIO_CONSOLE_H
#define MVR_VIRTIO_CONSOLE_H

#include "devices/device.h"

/* Input bytes held for the guest until it gives receive buffers; when
 * full, input_room() is 0 and the rest waits in the VMM's stdin. */
#define VCON_IN_SIZE  1024u
/* Guest output accepted but not yet written to the console fd; when full,
 * transmit chains wait in the queue. */
#define VCON_OUT_SIZE 65536u
/* Largest single write(2) to the console fd (a pipe reported writable
 * takes this much without blocking). */
#define VCON_WRITE_MAX 4096u
/* Delay before trying a console fd that took no more output again. */
#define VCON_RETRY_MS 10

#define VCON_RX_QUEUE 0
#define VCON_TX_QUEUE 1

/* Device config space (5.3.4): cols, rows, max_nr_ports, emerg_wr. */
#define VCON_CONFIG_LEN 12

#ifdef CONFIG_VIRTIO
extern const struct dev_class virtio_console_class;

static inline const struct dev_class *virtio_console_dev_class(void)
{
	return &virtio_console_class;
}
#else
static inline const struct dev_class *virtio_console_dev_class(void)
{
	return NULL;
}
#endif

#endif
