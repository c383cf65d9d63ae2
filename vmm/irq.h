/* How a device drives its interrupt line: the VM backs this with
 * KVM_IRQ_LINE on the vGIC, tests with a recorder. 'spi' is the SPI number
 * (INTID - 32). */
#ifndef MVR_IRQ_H
#define MVR_IRQ_H

struct irq_line {
	void (*set)(void *opaque, unsigned spi, int level);
	void *opaque;
	unsigned spi;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->opaque, l->spi, level);
}

#endif
