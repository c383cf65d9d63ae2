/* How a device writes its own device-tree node without knowing the FDT
 * library: a sequential writer (begin node, properties, end node) that
 * arch/arm64/fdt.c backs with libfdt and unit tests back with a recorder.
 * Cells are encoded big-endian here (Devicetree Specification v0.4,
 * section 2.2.4); the root uses #address-cells = #size-cells = 2. */
#ifndef MVR_FDT_WRITER_H
#define MVR_FDT_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* GIC interrupt specifier (arm,gic-v3 binding): type, number, flags. */
#define FDT_GIC_SPI 0
#define FDT_GIC_PPI 1
#define FDT_IRQ_EDGE_RISING 1
#define FDT_IRQ_LEVEL_HIGH  4

struct fdt_writer {
	/* Each returns 0 or a negative error (stops the build). */
	int (*begin_node)(void *ctx, const char *name);
	int (*end_node)(void *ctx);
	int (*prop)(void *ctx, const char *name, const void *val, size_t len);
	void *ctx;
	uint32_t phandle_gic;	/* the interrupt controller */
	uint32_t phandle_clk;	/* the fixed 24 MHz APB clock */
};

static inline void fdtw_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Begin node "stem@<base in hex>", the unit-address form of section 2.2.1. */
static inline int fdtw_begin_at(struct fdt_writer *w, const char *stem, uint64_t base)
{
	char name[64];

	snprintf(name, sizeof(name), "%s@%llx", stem, (unsigned long long)base);
	return w->begin_node(w->ctx, name);
}

static inline int fdtw_end(struct fdt_writer *w)
{
	return w->end_node(w->ctx);
}

static inline int fdtw_prop(struct fdt_writer *w, const char *name, const void *val, size_t len)
{
	return w->prop(w->ctx, name, val, len);
}

static inline int fdtw_empty(struct fdt_writer *w, const char *name)
{
	return w->prop(w->ctx, name, NULL, 0);
}

static inline int fdtw_string(struct fdt_writer *w, const char *name, const char *s)
{
	return w->prop(w->ctx, name, s, strlen(s) + 1);
}

static inline int fdtw_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
	uint8_t c[4];

	fdtw_put_be32(c, v);
	return w->prop(w->ctx, name, c, sizeof(c));
}

/* 'n' cells (n <= 16). */
static inline int fdtw_cells(struct fdt_writer *w, const char *name, const uint32_t *v, unsigned n)
{
	uint8_t c[16 * 4];
	unsigned i;

	if (n > 16)
		return -1;
	for (i = 0; i < n; i++)
		fdtw_put_be32(c + 4 * i, v[i]);
	return w->prop(w->ctx, name, c, 4 * (size_t)n);
}

/* 'reg' of 'n' (address, size) pairs, two cells each (n <= 4). */
static inline int fdtw_reg(struct fdt_writer *w, const uint64_t (*ranges)[2], unsigned n)
{
	uint32_t c[16];
	unsigned i;

	if (n > 4)
		return -1;
	for (i = 0; i < n; i++) {
		c[4 * i] = (uint32_t)(ranges[i][0] >> 32);
		c[4 * i + 1] = (uint32_t)ranges[i][0];
		c[4 * i + 2] = (uint32_t)(ranges[i][1] >> 32);
		c[4 * i + 3] = (uint32_t)ranges[i][1];
	}
	return fdtw_cells(w, "reg", c, 4 * n);
}

/* 'interrupts' = one GIC specifier. */
static inline int fdtw_irq(struct fdt_writer *w, uint32_t type, uint32_t num, uint32_t flags)
{
	const uint32_t c[3] = { type, num, flags };

	return fdtw_cells(w, "interrupts", c, 3);
}

#endif
