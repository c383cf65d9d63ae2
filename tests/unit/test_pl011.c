/* Unit tests for the PL011 UART model (vmm/devices/pl011.c) through its bus
 * ops and public functions: PrimeCell IDs, TX to an fd, the RX FIFO and
 * holding register, flags, interrupt mask/raw/masked status and clear with
 * the line level seen by an irq recorder, reset, and hostile accesses.
 * Register facts are from ARM DDI0183 (PL011 TRM). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bus.h"
#include "chardev.h"
#include "devices/pl011.h"
#include "irq_recorder.h"
#include "mmio_access.h"
#include "util.h"

/* Register offsets and bits (DDI0183 section 3.2/3.3). */
#define DR    0x000
#define RSR   0x004
#define FR    0x018
#define ILPR  0x020
#define IBRD  0x024
#define FBRD  0x028
#define LCR_H 0x02c
#define CR    0x030
#define IFLS  0x034
#define IMSC  0x038
#define RIS   0x03c
#define MIS   0x040
#define ICR   0x044
#define DMACR 0x048

#define FR_BUSY 0x08
#define FR_RXFE 0x10
#define FR_TXFF 0x20
#define FR_RXFF 0x40
#define FR_TXFE 0x80

#define RXIM 0x10
#define TXIM 0x20
#define RTIM 0x40

#define LCR_FEN   0x10
#define LCR_WLEN8 0x60

#define TEST_SPI 1

struct ctx {
	struct pl011 *u;
	struct irq_recorder rec;
	int pipe[2]; /* the UART writes to pipe[1] */
	struct chardev *out; /* over pipe[1] */
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || pipe2(c->pipe, O_NONBLOCK) < 0)
		return -1;
	c->out = chardev_from_fd(c->pipe[1]);
	if (!c->out)
		return -1;
	c->u = pl011_create(c->out, irq_recorder_line(&c->rec, TEST_SPI));
	if (!c->u)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	pl011_destroy(c->u);
	chardev_close(c->out);
	close(c->pipe[0]);
	close(c->pipe[1]);
	free(c);
	return 0;
}

static uint32_t rd(struct ctx *c, uint64_t off)
{
	return mmio_rd32(&pl011_bus_ops, c->u, off);
}

static void wr(struct ctx *c, uint64_t off, uint32_t v)
{
	mmio_wr32(&pl011_bus_ops, c->u, off, v);
}

/* The eight ID registers at 0xFE0..0xFFC hold one byte each: PeriphID0..3
 * give part number 0x011, designer 0x41 (ARM), revision 1; PCellID0..3 the
 * PrimeCell preamble 0xB105F00D. Linux's AMBA bus matches on these. */
static void test_ids(void **state)
{
	struct ctx *c = *state;
	uint32_t periph = 0, cell = 0;
	unsigned i;

	for (i = 0; i < 4; i++) {
		periph |= rd(c, 0xfe0 + 4 * i) << (8 * i);
		cell |= rd(c, 0xff0 + 4 * i) << (8 * i);
	}
	assert_int_equal(periph & 0xfff, 0x011);
	assert_int_equal((periph >> 12) & 0xff, 0x41);
	assert_int_equal((periph >> 20) & 0xf, 1);
	assert_int_equal(periph, 0x00141011);
	assert_int_equal(cell, 0xb105f00d);
	assert_int_equal(pl011_bus_ops.sizes, BUS_SIZE_1 | BUS_SIZE_2 | BUS_SIZE_4);
}

/* Power-on values (DDI0183 table 3-1): FR has TXFE and RXFE, CR enables TX
 * and RX (0x300), IFLS is 0x12 (half-full triggers), IMSC 0; no interrupt. */
static void test_reset_values(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rd(c, FR), FR_TXFE | FR_RXFE);
	assert_int_equal(rd(c, CR), 0x300);
	assert_int_equal(rd(c, IFLS), 0x12);
	assert_int_equal(rd(c, LCR_H), 0);
	assert_int_equal(rd(c, IBRD), 0);
	assert_int_equal(rd(c, FBRD), 0);
	assert_int_equal(rd(c, ILPR), 0);
	assert_int_equal(rd(c, DMACR), 0);
	assert_int_equal(rd(c, IMSC), 0);
	assert_int_equal(rd(c, RSR), 0);
	assert_int_equal(rd(c, MIS), 0);
	/* The transmit FIFO is always empty, so TXRIS is raw-pending. */
	assert_int_equal(rd(c, RIS), TXIM);
	assert_int_equal(rd(c, DR), 0);
	assert_int_equal(c->rec.n, 0);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
}

/* Writes to DR leave the UART on its output fd at once, one byte each, and
 * only the low 8 bits (the data field) count; FR never shows TX busy/full. */
static void test_tx(void **state)
{
	struct ctx *c = *state;
	char buf[16];
	ssize_t n;

	wr(c, DR, 'H');
	assert_int_equal(pl011_bus_ops.write(c->u, DR, 1, 'i'), 0);
	assert_int_equal(pl011_bus_ops.write(c->u, DR, 2, 0x0f00 | '!'), 0);
	n = read(c->pipe[0], buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "Hi!", 3);
	assert_int_equal(rd(c, FR) & (FR_BUSY | FR_TXFF | FR_TXFE), FR_TXFE);
	assert_true(rd(c, RIS) & TXIM);
	assert_int_equal(c->rec.n, 0);
}

/* A closed output (write fails) must not stop the model: the byte is
 * dropped and the UART keeps working. */
static void test_tx_bad_fd(void **state)
{
	struct irq_recorder rec;
	struct chardev *bad = chardev_from_fd(-1);
	struct pl011 *u = pl011_create(bad, irq_recorder_line(&rec, TEST_SPI));
	uint64_t v;

	assert_non_null(u);
	assert_int_equal(pl011_bus_ops.write(u, DR, 4, 'x'), 0);
	assert_int_equal(pl011_bus_ops.read(u, FR, 4, &v), 0);
	assert_int_equal(v, FR_TXFE | FR_RXFE);
	pl011_destroy(u);
	pl011_destroy(NULL);
	chardev_close(bad);
}

/* With FIFOs off (LCR_H.FEN = 0, the reset state) the receiver is a one
 * character holding register: a second byte does not fit. */
static void test_rx_holding_register(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(pl011_rx_room(c->u), 1);
	assert_int_equal(pl011_push_input(c->u, (const uint8_t *)"ab", 2), 1);
	assert_int_equal(pl011_rx_room(c->u), 0);
	assert_int_equal(pl011_push_input(c->u, (const uint8_t *)"b", 1), 0);
	assert_int_equal(rd(c, FR), FR_TXFE | FR_RXFF);
	assert_int_equal(rd(c, DR), 'a');
	assert_int_equal(rd(c, FR), FR_TXFE | FR_RXFE);
	assert_int_equal(pl011_rx_room(c->u), 1);
	assert_int_equal(pl011_push_input(c->u, (const uint8_t *)"", 0), 0);
	assert_int_equal(rd(c, RIS) & (RXIM | RTIM), 0);
}

/* With FEN set the receive FIFO is 32 entries deep (DDI0183 2.4.3): it
 * takes 32 bytes, reports RXFF, and returns them in order. */
static void test_rx_fifo(void **state)
{
	struct ctx *c = *state;
	uint8_t in[40];
	unsigned i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)('A' + i);
	wr(c, LCR_H, LCR_FEN | LCR_WLEN8);
	assert_int_equal(rd(c, LCR_H), LCR_FEN | LCR_WLEN8);
	assert_int_equal(pl011_rx_room(c->u), 32);
	assert_int_equal(pl011_push_input(c->u, in, 10), 10);
	assert_int_equal(pl011_rx_room(c->u), 22);
	assert_int_equal(rd(c, FR) & (FR_RXFE | FR_RXFF), 0);
	assert_int_equal(pl011_push_input(c->u, in + 10, 30), 22);
	assert_int_equal(pl011_rx_room(c->u), 0);
	assert_int_equal(rd(c, FR) & (FR_RXFE | FR_RXFF), FR_RXFF);
	/* Reading frees room; the ring wraps around correctly. */
	for (i = 0; i < 5; i++)
		assert_int_equal(rd(c, DR), 'A' + i);
	assert_int_equal(pl011_push_input(c->u, in + 32, 8), 5);
	for (i = 5; i < 37; i++)
		assert_int_equal(rd(c, DR), 'A' + i);
	assert_int_equal(rd(c, FR) & (FR_RXFE | FR_RXFF), FR_RXFE);
	assert_int_equal(pl011_rx_room(c->u), 32);
	/* Reading an empty FIFO gives 0 and changes nothing. */
	assert_int_equal(rd(c, DR), 0);
	assert_int_equal(rd(c, FR) & FR_RXFE, FR_RXFE);
}

/* Switching the FIFO on or off flushes what was received, as hardware does
 * when the FIFO mode changes; rewriting the same mode keeps the data. */
static void test_fen_toggle_flushes(void **state)
{
	struct ctx *c = *state;

	wr(c, LCR_H, LCR_FEN);
	assert_int_equal(pl011_push_input(c->u, (const uint8_t *)"xyz", 3), 3);
	wr(c, LCR_H, LCR_FEN | LCR_WLEN8);
	assert_int_equal(rd(c, DR), 'x');
	wr(c, LCR_H, LCR_WLEN8);
	assert_int_equal(rd(c, FR) & FR_RXFE, FR_RXFE);
	assert_int_equal(pl011_rx_room(c->u), 1);
	assert_int_equal(rd(c, DR), 0);
}

/* RX data sets RXRIS and RTRIS; MIS = RIS & IMSC; the line follows MIS
 * and is driven only on level changes. */
static void test_rx_interrupt(void **state)
{
	struct ctx *c = *state;

	wr(c, LCR_H, LCR_FEN);
	assert_int_equal(pl011_push_input(c->u, (const uint8_t *)"ab", 2), 2);
	/* Masked: raw status set, masked status and line clear. */
	assert_int_equal(rd(c, RIS), RXIM | RTIM | TXIM);
	assert_int_equal(rd(c, MIS), 0);
	assert_int_equal(c->rec.n, 0);

	/* Unmasking a pending source raises the line. */
	wr(c, IMSC, RXIM | RTIM);
	assert_int_equal(rd(c, IMSC), RXIM | RTIM);
	assert_int_equal(rd(c, MIS), RXIM | RTIM);
	assert_int_equal(c->rec.n, 1);
	assert_int_equal(c->rec.ev[0].spi, TEST_SPI);
	assert_int_equal(c->rec.ev[0].level, 1);

	/* Clearing RT leaves RX pending while data remains: still high. */
	wr(c, ICR, RTIM);
	assert_int_equal(rd(c, MIS), RXIM);
	/* ICR clearing RX with data still in the FIFO re-asserts it at once. */
	wr(c, ICR, RXIM);
	assert_int_equal(rd(c, MIS), RXIM);
	assert_int_equal(c->rec.n, 1);

	/* Masking lowers the line, unmasking raises it again. */
	wr(c, IMSC, 0);
	assert_int_equal(c->rec.n, 2);
	assert_int_equal(c->rec.ev[1].level, 0);
	assert_int_equal(rd(c, MIS), 0);
	assert_int_equal(rd(c, RIS) & RXIM, RXIM);
	wr(c, IMSC, RXIM | RTIM);
	assert_int_equal(c->rec.n, 3);
	assert_int_equal(c->rec.ev[2].level, 1);

	/* Draining the FIFO clears RXRIS/RTRIS and lowers the line. */
	assert_int_equal(rd(c, DR), 'a');
	assert_int_equal(c->rec.n, 3);
	assert_int_equal(rd(c, DR), 'b');
	assert_int_equal(c->rec.n, 4);
	assert_int_equal(c->rec.ev[3].level, 0);
	assert_int_equal(rd(c, RIS), TXIM);
	assert_int_equal(rd(c, MIS), 0);

	/* New input while unmasked raises the line straight away. */
	assert_int_equal(pl011_push_input(c->u, (const uint8_t *)"c", 1), 1);
	assert_int_equal(c->rec.n, 5);
	assert_int_equal(c->rec.ev[4].spi, TEST_SPI);
	assert_int_equal(c->rec.ev[4].level, 1);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 3);
}

/* TXRIS stays set while the (always empty) transmit FIFO is below its
 * trigger: unmasking it raises the line and ICR cannot clear it. */
static void test_tx_interrupt(void **state)
{
	struct ctx *c = *state;

	wr(c, IMSC, TXIM);
	assert_int_equal(rd(c, MIS), TXIM);
	assert_int_equal(irq_recorder_level(&c->rec), 1);
	wr(c, ICR, TXIM);
	assert_int_equal(rd(c, RIS), TXIM);
	wr(c, DR, 'z');
	assert_int_equal(c->rec.n, 1);
	wr(c, IMSC, 0);
	assert_int_equal(c->rec.n, 2);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
	/* ICR with every bit set clears the rest, but TX re-asserts. */
	wr(c, ICR, 0x7ff);
	assert_int_equal(rd(c, RIS), TXIM);
}

/* Writable registers keep only their defined bits (DDI0183 3.3). */
static void test_register_widths(void **state)
{
	struct ctx *c = *state;

	wr(c, IBRD, 0xffffffff);
	assert_int_equal(rd(c, IBRD), 0xffff);
	wr(c, FBRD, 0xffffffff);
	assert_int_equal(rd(c, FBRD), 0x3f);
	wr(c, ILPR, 0x1234);
	assert_int_equal(rd(c, ILPR), 0x34);
	wr(c, CR, 0xffff0301);
	assert_int_equal(rd(c, CR), 0x0301);
	wr(c, IFLS, 0xff);
	assert_int_equal(rd(c, IFLS), 0x3f);
	wr(c, DMACR, 0xff);
	assert_int_equal(rd(c, DMACR), 7);
	wr(c, LCR_H, 0x1ff);
	assert_int_equal(rd(c, LCR_H), 0xff);
	wr(c, IMSC, 0xffffffff);
	assert_int_equal(rd(c, IMSC), 0x7ff);
	/* RSR/ECR: a write clears the (never set) error bits. */
	wr(c, RSR, 0xff);
	assert_int_equal(rd(c, RSR), 0);
}

/* pl011_reset() returns every register to its power-on value, empties
 * the receive FIFO and lowers a raised line. */
static void test_reset(void **state)
{
	struct ctx *c = *state;

	wr(c, LCR_H, LCR_FEN | LCR_WLEN8);
	wr(c, IBRD, 13);
	wr(c, FBRD, 2);
	wr(c, CR, 0x301);
	wr(c, IFLS, 0);
	wr(c, DMACR, 3);
	wr(c, ILPR, 9);
	wr(c, IMSC, RXIM);
	assert_int_equal(pl011_push_input(c->u, (const uint8_t *)"abc", 3), 3);
	assert_int_equal(irq_recorder_level(&c->rec), 1);

	pl011_reset(c->u);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
	assert_int_equal(c->rec.ev[c->rec.n - 1].spi, TEST_SPI);
	assert_int_equal(rd(c, FR), FR_TXFE | FR_RXFE);
	assert_int_equal(rd(c, LCR_H), 0);
	assert_int_equal(rd(c, IBRD), 0);
	assert_int_equal(rd(c, FBRD), 0);
	assert_int_equal(rd(c, CR), 0x300);
	assert_int_equal(rd(c, IFLS), 0x12);
	assert_int_equal(rd(c, DMACR), 0);
	assert_int_equal(rd(c, ILPR), 0);
	assert_int_equal(rd(c, IMSC), 0);
	assert_int_equal(rd(c, RIS), TXIM);
	assert_int_equal(rd(c, DR), 0);
	assert_int_equal(pl011_rx_room(c->u), 1);
}

/* Undefined offsets, read-only and write-only registers, and IDs at
 * unaligned offsets are refused with -EINVAL; reads of them give 0. */
static void test_bad_offsets(void **state)
{
	struct ctx *c = *state;
	static const uint64_t bad_read[] = {
		0x008, 0x01c, ICR, 0x04c, 0x100, 0xfdc, 0xfe1, 0xfe2, 0xffd,
		0x1000, 0xffffffffffffffffULL,
	};
	static const uint64_t bad_write[] = {
		FR, RIS, MIS, 0x04c, 0xfe0, 0xffc, 0x1000, 0xffffffffffffffffULL,
	};
	uint64_t v;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(bad_read); i++) {
		v = 0x55;
		assert_int_equal(pl011_bus_ops.read(c->u, bad_read[i], 4, &v), -EINVAL);
		assert_int_equal(v, 0);
	}
	for (i = 0; i < ARRAY_SIZE(bad_write); i++)
		assert_int_equal(pl011_bus_ops.write(c->u, bad_write[i], 4, 0xffffffff), -EINVAL);
	/* None of that disturbed the state. */
	assert_int_equal(rd(c, FR), FR_TXFE | FR_RXFE);
	assert_int_equal(rd(c, RIS), TXIM);
	assert_int_equal(rd(c, 0xfe0), 0x11);
	assert_int_equal(c->rec.n, 0);
}

/* On the bus: byte and halfword reads of IDs work, 8-byte accesses are
 * refused before reaching the device, accesses past the 4 KiB region hit
 * no device. */
static void test_on_bus(void **state)
{
	struct ctx *c = *state;
	struct bus *b = bus_create();
	uint8_t data[8];
	char out;

	assert_non_null(b);
	assert_int_equal(bus_register(b, 0x9000000, 0x1000, &pl011_bus_ops, c->u), 0);
	assert_int_equal(bus_access(b, 0x9000ff0, data, 1, false), 0);
	assert_int_equal(data[0], 0x0d);
	assert_int_equal(bus_access(b, 0x9000ffc, data, 2, false), 0);
	assert_int_equal(get_le16(data), 0xb1);
	assert_int_equal(bus_access(b, 0x9000018, data, 4, false), 0);
	assert_int_equal(get_le32(data), FR_TXFE | FR_RXFE);
	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x9000018, data, 8, false), -EINVAL);
	assert_int_equal(get_le64(data), 0);
	data[0] = 'q';
	assert_int_equal(bus_access(b, 0x9000000, data, 8, true), -EINVAL);
	assert_int_equal(bus_access(b, 0x9000000, data, 1, true), 0);
	assert_int_equal(read(c->pipe[0], &out, 1), 1);
	assert_int_equal(out, 'q');
	assert_int_equal(bus_access(b, 0x9001000, data, 4, false), -ENODEV);
	/* Unknown register inside the region: device error, reads as zero. */
	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x9000800, data, 4, false), -EINVAL);
	assert_int_equal(get_le32(data), 0);
	bus_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test(test_tx_bad_fd),
		cmocka_unit_test_setup_teardown(test_rx_holding_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fen_toggle_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_widths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_bus, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
