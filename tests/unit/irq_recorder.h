/* Test double for struct irq_line (vmm/irq.h): records every set() a device
 * or module makes as (spi, level), so tests can assert exact pulses and
 * level changes. Header-only; single-threaded use. */
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

/* The line's level after the last recorded set(): 0 before any, or -1 if
 * events were lost (the level is then unknown). */
static inline int irq_recorder_level(const struct irq_recorder *rec)
{
	if (rec->lost)
		return -1;
	return rec->n ? rec->ev[rec->n - 1].level : 0;
}

/* Rising edges of a level-driven line: set() calls with a non-zero level
 * after a zero one (the line starts low); a device may repeat a level, which
 * is no edge. Returns -1 if an event is on another SPI or was lost. */
static inline int irq_recorder_rises(const struct irq_recorder *rec, unsigned spi)
{
	unsigned i;
	int rises = 0, prev = 0;

	if (rec->lost)
		return -1;
	for (i = 0; i < rec->n; i++) {
		if (rec->ev[i].spi != spi)
			return -1;
		if (rec->ev[i].level && !prev)
			rises++;
		prev = rec->ev[i].level;
	}
	return rises;
}

#endif
