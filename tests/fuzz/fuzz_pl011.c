/* Fuzz target: the PL011 UART (vmm/devices/pl011.c) on the bus at its
 * memmap.h window: register accesses of every width and offset, host input
 * pushed into the receive FIFO, resets. Output goes to /dev/null.
 * Invariants: the interrupt line follows MIS (level changes only, always
 * equal to MIS != 0 after an access); the receive FIFO never takes more
 * than it has room for. */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"

#include "arch/arm64/memmap.h"
#include "bus.h"
#include "chardev.h"
#include "devices/pl011.h"

#define UART_MIS 0x040

struct line {
	int level;
	unsigned changes;
};

static void line_set(void *opaque, unsigned spi, int level)
{
	struct line *l = opaque;

	FZ_CHECK(spi == IRQ_SPI_UART);
	FZ_CHECK(level != l->level);	/* the model reports changes only */
	l->level = level;
	l->changes++;
}

static struct chardev *null_out; /* over /dev/null */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	null_out = chardev_from_fd(open("/dev/null", O_WRONLY | O_CLOEXEC));
	FZ_CHECK(null_out);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct line l = { 0 };
	struct irq_line irq = { line_set, &l, IRQ_SPI_UART };
	struct pl011 *u;
	struct bus *b;
	unsigned steps = 0;
	uint8_t buf[8], in[64];

	u = pl011_create(null_out, irq);
	b = bus_create();
	FZ_CHECK(u && b);
	FZ_CHECK(bus_register(b, MEMMAP_UART_BASE, MEMMAP_UART_SIZE, &pl011_bus_ops, u) == 0);

	while (fz_more(&f) && steps++ < 512) {
		uint8_t op = fz_u8(&f);
		unsigned sz, n;
		size_t room, took;
		uint64_t off;

		switch (op % 6) {
		case 0: case 1: case 2: /* register access, mostly at a register */
			sz = fz_size(&f);
			off = fz_u8(&f) & 0x80 ? fz_u16(&f) % (MEMMAP_UART_SIZE + 8)
					      : (fz_u8(&f) % 0x14) * 4u;
			if (op & 0x80)
				off += 0xfe0 - (op & 0x40 ? 0 : 0x20);
			put_le64(buf, fz_u32(&f));
			bus_access(b, MEMMAP_UART_BASE + off, buf, sz, op & 0x10);
			break;
		case 3: case 4: /* host console input */
			n = fz_u8(&f) % sizeof(in);
			fz_bytes(&f, in, n);
			room = pl011_rx_room(u);
			took = pl011_push_input(u, in, n);
			FZ_CHECK(took == MIN((size_t)n, room));
			break;
		case 5:
			pl011_reset(u);
			break;
		}
		/* MIS (no side effects) and the line agree. */
		FZ_CHECK(bus_access(b, MEMMAP_UART_BASE + UART_MIS, buf, 4, false) == 0);
		FZ_CHECK((get_le32(buf) != 0) == (l.level != 0));
	}

	bus_destroy(b);
	pl011_destroy(u);
	return 0;
}
