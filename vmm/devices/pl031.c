/* PL031 real-time clock (ARM DDI0224 "PrimeCell Real Time Clock (PL031)
 * Technical Reference Manual"). The counter is host CLOCK_REALTIME plus an
 * offset the guest sets through the load register; the match interrupt
 * fires when the guest's match value is reached at read time. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "devices/pl031.h"
#include "fdt_writer.h"

#define RTC_DR   0x00 /* data: current seconds */
#define RTC_MR   0x04 /* match */
#define RTC_LR   0x08 /* load */
#define RTC_CR   0x0c /* control: bit 0 start */
#define RTC_IMSC 0x10
#define RTC_RIS  0x14
#define RTC_MIS  0x18
#define RTC_ICR  0x1c
#define RTC_ID   0xfe0

static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl031 {
	pthread_mutex_t lock;
	struct irq_line irq;
	int64_t offset; /* guest seconds minus host seconds */
	uint32_t mr, imsc, ris;
};

static uint32_t pl031_now(const struct pl031 *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)(ts.tv_sec + r->offset);
}

static void pl031_update_irq(struct pl031 *r)
{
	if (r->imsc && pl031_now(r) >= r->mr && r->mr)
		r->ris = 1;
	irq_line_set(&r->irq, (r->ris & r->imsc) != 0);
}

struct pl031 *pl031_create(struct irq_line irq)
{
	struct pl031 *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->irq = irq;
	return r;
}

void pl031_destroy(struct pl031 *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static int pl031_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct pl031 *r = dev;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_DR:   *val = pl031_now(r); break;
	case RTC_MR:   *val = r->mr; break;
	case RTC_LR:   *val = pl031_now(r); break;
	case RTC_CR:   *val = 1; break; /* always running */
	case RTC_IMSC: *val = r->imsc; break;
	case RTC_RIS:  *val = r->ris; break;
	case RTC_MIS:  *val = r->ris & r->imsc; break;
	default:
		if (off >= RTC_ID && off < RTC_ID + 0x20 && !(off & 3))
			*val = pl031_id[(off - RTC_ID) / 4];
		else
			ret = -EINVAL;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static int pl031_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct pl031 *r = dev;
	struct timespec ts;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_MR:   r->mr = (uint32_t)val; break;
	case RTC_LR:
		clock_gettime(CLOCK_REALTIME, &ts);
		r->offset = (int64_t)(uint32_t)val - ts.tv_sec;
		break;
	case RTC_CR:   break; /* cannot be stopped */
	case RTC_IMSC: r->imsc = val & 1; break;
	case RTC_ICR:  r->ris &= ~(uint32_t)val; break;
	default:
		ret = -EINVAL;
	}
	pl031_update_irq(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

const struct bus_dev_ops pl031_bus_ops = {
	.name = "pl031",
	/* edk2's PL031 library reads the ID registers bytewise. */
	.sizes = BUS_SIZE_1 | BUS_SIZE_2 | BUS_SIZE_4,
	.read = pl031_read,
	.write = pl031_write,
};

/* Device tree node: the arm,pl031 and arm,primecell bindings. */
static int pl031_fdt(const struct device *d, const struct devlist *all, struct fdt_writer *w)
{
	static const char compat[] = "arm,pl031\0arm,primecell";
	const uint64_t reg[1][2] = { { d->base, d->size } };
	int r;

	if ((r = fdtw_begin_at(w, d->cls->name, d->base)) ||
	    (r = fdtw_prop(w, "compatible", compat, sizeof(compat))) ||
	    (r = fdtw_reg(w, reg, 1)) ||
	    (r = fdtw_irq(w, FDT_GIC_SPI, (uint32_t)d->spi, FDT_IRQ_LEVEL_HIGH)) ||
	    (r = fdtw_u32(w, "clocks", w->phandle_clk)) ||
	    (r = fdtw_string(w, "clock-names", "apb_pclk")))
		return r;
	return fdtw_end(w);
}

static int pl031_dev_create(struct device *d, const struct dev_env *env)
{
	d->opaque = pl031_create(dev_irq_line(d, env));
	return d->opaque ? 0 : -ENOMEM;
}

static void pl031_dev_destroy(struct device *d)
{
	pl031_destroy(d->opaque);
}

const struct dev_class pl031_class = {
	.name = "pl031",
	.create = pl031_dev_create,
	.destroy = pl031_dev_destroy,
	.mmio = &pl031_bus_ops,
	.fdt = pl031_fdt,
};
