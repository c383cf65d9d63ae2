/* PL011 UART model (ARM DDI0183 "PrimeCell UART (PL011) Technical Reference
 * Manual"): data, flag, control and interrupt registers and the PrimeCell ID
 * registers Linux's AMBA bus probes. Transmit is immediate (the TX FIFO is
 * always empty): each byte goes to the console backend (chardev.c), which
 * never blocks; receive has a 32-byte FIFO fed from the host console. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "acpi/aml.h"
#include "arch/arm64/memmap.h"
#include "chardev.h"
#include "devices/pl011.h"
#include "fdt_writer.h"
#include "log.h"

#define UART_DR    0x000
#define UART_RSR   0x004
#define UART_FR    0x018
#define UART_ILPR  0x020
#define UART_IBRD  0x024
#define UART_FBRD  0x028
#define UART_LCR_H 0x02c
#define UART_CR    0x030
#define UART_IFLS  0x034
#define UART_IMSC  0x038
#define UART_RIS   0x03c
#define UART_MIS   0x040
#define UART_ICR   0x044
#define UART_DMACR 0x048
#define UART_ID    0xfe0 /* PeriphID0..3, PCellID0..3 */

#define FR_BUSY 0x08
#define FR_RXFE 0x10
#define FR_TXFF 0x20
#define FR_RXFF 0x40
#define FR_TXFE 0x80

#define INT_RX 0x10
#define INT_TX 0x20
#define INT_RT 0x40
#define INT_ALL 0x7ff

#define LCR_FEN 0x10
#define RX_FIFO 32

static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl011 {
	pthread_mutex_t lock;
	struct chardev *out;      /* the backend; NULL: output dropped */
	struct irq_line irq;
	int irq_level;
	uint8_t rx[RX_FIFO];
	unsigned rx_head, rx_count;
	uint32_t ris, imsc, cr, lcr_h, ibrd, fbrd, ifls, dmacr, ilpr;
};

static void pl011_update_irq(struct pl011 *u)
{
	int level = (u->ris & u->imsc) != 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

static unsigned rx_capacity(const struct pl011 *u)
{
	return (u->lcr_h & LCR_FEN) ? RX_FIFO : 1;
}

void pl011_reset(struct pl011 *u)
{
	pthread_mutex_lock(&u->lock);
	u->rx_head = u->rx_count = 0;
	u->ris = INT_TX;
	u->imsc = 0;
	u->cr = 0x300;
	u->lcr_h = 0;
	u->ibrd = u->fbrd = u->ifls = u->dmacr = u->ilpr = 0;
	u->ifls = 0x12;
	pl011_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

struct pl011 *pl011_create(struct chardev *out, struct irq_line irq)
{
	struct pl011 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->out = out;
	u->irq = irq;
	pl011_reset(u);
	return u;
}

void pl011_destroy(struct pl011 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

size_t pl011_rx_room(struct pl011 *u)
{
	size_t room;

	pthread_mutex_lock(&u->lock);
	room = rx_capacity(u) > u->rx_count ? rx_capacity(u) - u->rx_count : 0;
	pthread_mutex_unlock(&u->lock);
	return room;
}

size_t pl011_push_input(struct pl011 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < rx_capacity(u)) {
		u->rx[(u->rx_head + u->rx_count) % RX_FIFO] = buf[n++];
		u->rx_count++;
	}
	if (n) {
		/* No RX trigger-level emulation: signal both "data available"
		 * and "receive timeout" so the driver drains promptly. */
		u->ris |= INT_RX | INT_RT;
		pl011_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}

static void pl011_tx(struct pl011 *u, uint8_t c)
{
	chardev_write(u->out, &c, 1);
	/* The transmit FIFO is always drained at once. */
	u->ris |= INT_TX;
}

static uint32_t pl011_read_dr(struct pl011 *u)
{
	uint32_t c = 0;

	if (u->rx_count) {
		c = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % RX_FIFO;
		u->rx_count--;
	}
	if (!u->rx_count)
		u->ris &= ~(uint32_t)(INT_RX | INT_RT);
	return c;
}

static int pl011_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct pl011 *u = dev;
	uint32_t v = 0;
	int ret = 0;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case UART_DR:    v = pl011_read_dr(u); break;
	case UART_RSR:   v = 0; break;
	case UART_FR:
		v = FR_TXFE;
		if (!u->rx_count)
			v |= FR_RXFE;
		if (u->rx_count >= rx_capacity(u))
			v |= FR_RXFF;
		break;
	case UART_ILPR:  v = u->ilpr; break;
	case UART_IBRD:  v = u->ibrd; break;
	case UART_FBRD:  v = u->fbrd; break;
	case UART_LCR_H: v = u->lcr_h; break;
	case UART_CR:    v = u->cr; break;
	case UART_IFLS:  v = u->ifls; break;
	case UART_IMSC:  v = u->imsc; break;
	case UART_RIS:   v = u->ris; break;
	case UART_MIS:   v = u->ris & u->imsc; break;
	case UART_DMACR: v = u->dmacr; break;
	default:
		if (off >= UART_ID && off < UART_ID + 0x20 && !(off & 3))
			v = pl011_id[(off - UART_ID) / 4];
		else
			ret = -EINVAL;
	}
	pl011_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	*val = v;
	return ret;
}

static int pl011_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pl011 *u = dev;
	uint32_t v = (uint32_t)val;
	int ret = 0;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case UART_DR:    pl011_tx(u, (uint8_t)v); break;
	case UART_RSR:   break; /* clears errors; we have none */
	case UART_ILPR:  u->ilpr = v & 0xff; break;
	case UART_IBRD:  u->ibrd = v & 0xffff; break;
	case UART_FBRD:  u->fbrd = v & 0x3f; break;
	case UART_LCR_H:
		/* Turning the FIFO off drops to a one-character holding
		 * register, as on hardware. */
		if ((u->lcr_h ^ v) & LCR_FEN)
			u->rx_head = u->rx_count = 0;
		u->lcr_h = v & 0xff;
		break;
	case UART_CR:    u->cr = v & 0xffff; break;
	case UART_IFLS:  u->ifls = v & 0x3f; break;
	case UART_IMSC:  u->imsc = v & INT_ALL; break;
	case UART_ICR:
		u->ris &= ~v;
		/* Still-pending conditions re-assert at once. */
		u->ris |= INT_TX;
		if (u->rx_count)
			u->ris |= INT_RX;
		break;
	case UART_DMACR: u->dmacr = v & 7; break;
	default:
		ret = -EINVAL;
	}
	pl011_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return ret;
}

const struct bus_dev_ops pl011_bus_ops = {
	.name = "pl011",
	.sizes = BUS_SIZE_1 | BUS_SIZE_2 | BUS_SIZE_4,
	.read = pl011_read,
	.write = pl011_write,
};

/* Device tree node: the arm,pl011 and arm,primecell bindings, with the
 * fixed APB clock as both uartclk and apb_pclk. */
static int pl011_fdt(const struct device *d, const struct devlist *all, struct fdt_writer *w)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	const uint64_t reg[1][2] = { { d->base, d->size } };
	const uint32_t clocks[2] = { w->phandle_clk, w->phandle_clk };
	int r;

	if ((r = fdtw_begin_at(w, d->cls->name, d->base)) ||
	    (r = fdtw_prop(w, "compatible", compat, sizeof(compat))) ||
	    (r = fdtw_reg(w, reg, 1)) ||
	    (r = fdtw_irq(w, FDT_GIC_SPI, (uint32_t)d->spi, FDT_IRQ_LEVEL_HIGH)) ||
	    (r = fdtw_cells(w, "clocks", clocks, 2)) ||
	    (r = fdtw_prop(w, "clock-names", clock_names, sizeof(clock_names))))
		return r;
	return fdtw_end(w);
}

/* DSDT: COM0, the ARM PL011 as Linux's ACPI SPCR/amba-pl011 driver knows
 * it (_HID ARMH0011), level-triggered active-high interrupt. */
static void pl011_dsdt(const struct device *d, struct acpi_buf *b)
{
	struct aml_mark dev, crs;

	dev = aml_device_begin(b, "COM0");
	aml_name_string(b, "_HID", "ARMH0011");
	aml_name_integer(b, "_UID", 0);
	aml_name(b, "_CRS");
	crs = aml_restemplate_begin(b);
	aml_memory32_fixed(b, true, (uint32_t)d->base, (uint32_t)d->size);
	aml_ext_interrupt(b, false, false, IRQ_SPI_TO_GSI((unsigned)d->spi)); /* level, active-high */
	aml_end(b, crs);
	aml_end(b, dev);
}

static int pl011_dev_create(struct device *d, const struct dev_env *env)
{
	d->opaque = pl011_create(env->serial, dev_irq_line(d, env));
	return d->opaque ? 0 : -ENOMEM;
}

static void pl011_dev_destroy(struct device *d)
{
	pl011_destroy(d->opaque);
}

static void pl011_dev_reset(struct device *d)
{
	pl011_reset(d->opaque);
}

/* Console input: the receive FIFO. */
static size_t pl011_dev_input_room(const struct device *d)
{
	return pl011_rx_room(d->opaque);
}

static size_t pl011_dev_input(const struct device *d, const uint8_t *buf, size_t len)
{
	return pl011_push_input(d->opaque, buf, len);
}

const struct dev_class pl011_class = {
	.name = "pl011",
	.create = pl011_dev_create,
	.destroy = pl011_dev_destroy,
	.reset = pl011_dev_reset,
	.mmio = &pl011_bus_ops,
	.fdt = pl011_fdt,
	.dsdt = pl011_dsdt,
	.input_room = pl011_dev_input_room,
	.input = pl011_dev_input,
};
