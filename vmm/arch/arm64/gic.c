/* vGICv3 set-up via KVM's device API (Documentation/virt/kvm/devices/
 * arm-vgic-v3.rst): addresses, number of IRQs, then CTRL_INIT once all
 * vCPUs exist. SPIs are driven with KVM_IRQ_LINE. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "arch/arm64/gic.h"
#include "arch/arm64/memmap.h"
#include "log.h"

#define GIC_NR_IRQS 128 /* 32 private + 96 SPIs; a multiple of 32 */

static int gic_attr(int fd, uint32_t group, uint64_t attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)addr,
	};

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

struct gic *gic_create(int vm_fd, unsigned ncpus)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = MEMMAP_GICD_BASE, redist = MEMMAP_GICR_BASE;
	uint32_t nr = GIC_NR_IRQS;
	struct gic *g;
	int ret;

	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->vm_fd = vm_fd;
	g->nr_irqs = nr;
	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
		pr_err("cannot create in-kernel GICv3 (KVM_CREATE_DEVICE): %m; the host needs a GICv3 and vGICv3 support");
		free(g);
		return NULL;
	}
	g->dev_fd = (int)cd.fd;
	ret = gic_attr(g->dev_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	if (!ret)
		ret = gic_attr(g->dev_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			       KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	if (!ret)
		ret = gic_attr(g->dev_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr);
	if (ret) {
		pr_err("cannot configure GICv3 for %u vCPUs: %s", ncpus, strerror(-ret));
		gic_destroy(g);
		return NULL;
	}
	return g;
}

int gic_finalize(struct gic *g)
{
	int ret = gic_attr(g->dev_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);

	if (ret)
		pr_err("cannot initialise GICv3: %s", strerror(-ret));
	return ret;
}

void gic_destroy(struct gic *g)
{
	if (!g)
		return;
	close(g->dev_fd);
	free(g);
}

int gic_set_spi(struct gic *g, unsigned spi, int level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + spi),
		.level = level,
	};

	return ioctl(g->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}
