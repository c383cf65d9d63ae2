/* Test double for struct irq_line (vmm/irq.h): records every level change
 * a device or module makes, so tests can assert exact pulses. */
#ifndef MVR_TEST_IRQ_RECORDER_H
#define MVR_TEST_IRQ_RECORDER_H

#include <string.h>

#include "irq.h"

#define IRQ_RECORDER_MAX 64

struct irq_recorder {
	unsigned n;                 /* events recorded (at most IRQ_RECORDER_MAX) */
	unsigned lost;              /* events past the end */
	struct {
		unsigned spi;
		int level;
	} ev[IRQ_RECORDER_MAX];
};

static inline void irq_recorder_set(void *opaque, unsigned spi, int level)
{
	struct irq_recorder *rec = opaque;

	if (rec->n >= IRQ_RECORDER_MAX) {
		rec->lost++;
		return;
	}
	rec->ev[rec->n].spi = spi;
	rec->ev[rec->n].level = level;
	rec->n++;
}

/* An irq_line for SPI 'spi' that records into 'rec' (zeroed here). */
static inline struct irq_line irq_recorder_line(struct irq_recorder *rec, unsigned spi)
{
	struct irq_line l = { irq_recorder_set, rec, spi };

	memset(rec, 0, sizeof(*rec));
	return l;
}

/* Complete pulses (level 1 immediately followed by level 0) on 'spi';
 * returns -1 if the record holds anything else (a stray level, another
 * SPI, a lost event), so tests see malformed sequences. */
static inline int irq_recorder_pulses(const struct irq_recorder *rec, unsigned spi)
{
	unsigned i;
	int pulses = 0;

	if (rec->lost || rec->n % 2)
		return -1;
	for (i = 0; i < rec->n; i += 2) {
		if (rec->ev[i].spi != spi || rec->ev[i + 1].spi != spi ||
		    rec->ev[i].level != 1 || rec->ev[i + 1].level != 0)
			return -1;
		pulses++;
	}
	return pulses;
}

#endif
