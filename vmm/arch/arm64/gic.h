/* In-kernel vGICv3 (KVM_DEV_TYPE_ARM_VGIC_V3): distributor and
 * redistributors at the memmap.h addresses. gic_create() goes after the
 * vCPUs are created, gic_finalize() after they are initialised. */
#ifndef MVR_ARM64_GIC_H
#define MVR_ARM64_GIC_H

struct gic {
	int vm_fd;
	int dev_fd;
	unsigned nr_irqs;
};

struct gic *gic_create(int vm_fd, unsigned ncpus);
int gic_finalize(struct gic *g);
void gic_destroy(struct gic *g);

/* Drive SPI 'spi' (INTID 32 + spi) to 'level'. Returns 0 or -errno. */
int gic_set_spi(struct gic *g, unsigned spi, int level);

#endif
