/* ARM PrimeCell UART PL011 (DDI0183): the guest console. Output goes to a
 * console backend (chardev.h: stdout, a file, a pty, a socket), input is
 * pushed by the event loop with pl011_push_input(). */
#ifndef MVR_PL011_H
#define MVR_PL011_H

#include <stddef.h>
#include <stdint.h>

#include "bus_dev.h"
#include "devices/device.h"
#include "irq.h"

struct pl011;
struct chardev;

extern const struct bus_dev_ops pl011_bus_ops;
/* Describes itself: FDT node "pl011@BASE" (arm,pl011 binding) and the
 * DSDT's COM0 (ARMH0011). */
extern const struct dev_class pl011_class;

/* 'out' (NULL: output dropped) must outlive the UART. */
struct pl011 *pl011_create(struct chardev *out, struct irq_line irq);
void pl011_destroy(struct pl011 *u);

/* Queue received bytes; returns how many fit in the receive FIFO (the rest
 * must be offered again later, see pl011_rx_room()). Thread-safe. */
size_t pl011_push_input(struct pl011 *u, const uint8_t *buf, size_t len);
size_t pl011_rx_room(struct pl011 *u);

/* Back to power-on state (guest reset). */
void pl011_reset(struct pl011 *u);

#endif
