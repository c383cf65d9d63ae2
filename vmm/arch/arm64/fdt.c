/* Device tree for the guest, following the Devicetree Specification v0.4 and
 * the Linux bindings of each platform node (arm,gic-v3, arm,armv8-timer,
 * arm,psci, fixed-clock); devices write their own nodes (devices/device.h). */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

#include "arch/arm64/fdt.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/mpidr.h"
#include "devices/device.h"
#include "fdt_writer.h"
#include "util.h"

#define PHANDLE_GIC 1
#define PHANDLE_CLK 2

#define CHECK(expr) do { int r__ = (expr); if (r__ < 0) return r__; } while (0)

/* struct fdt_writer over libfdt's sequential-write API. */
static int w_begin(void *ctx, const char *name)
{
	return fdt_begin_node(ctx, name);
}

static int w_end(void *ctx)
{
	return fdt_end_node(ctx);
}

static int w_prop(void *ctx, const char *name, const void *val, size_t len)
{
	return fdt_property(ctx, name, val, (int)len);
}

static int prop_reg2(void *fdt, uint64_t a0, uint64_t s0)
{
	fdt64_t reg[2] = { cpu_to_fdt64(a0), cpu_to_fdt64(s0) };

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int prop_irq(void *fdt, uint32_t type, uint32_t num, uint32_t flags)
{
	fdt32_t irq[3] = { cpu_to_fdt32(type), cpu_to_fdt32(num), cpu_to_fdt32(flags) };

	return fdt_property(fdt, "interrupts", irq, sizeof(irq));
}

static int begin_at(void *fdt, const char *stem, uint64_t base)
{
	char name[64];

	snprintf(name, sizeof(name), "%s@%llx", stem, (unsigned long long)base);
	return fdt_begin_node(fdt, name);
}

static int fdt_cpus(void *fdt, unsigned ncpus)
{
	char name[32];
	unsigned i;

	CHECK(fdt_begin_node(fdt, "cpus"));
	CHECK(fdt_property_cell(fdt, "#address-cells", 1));
	CHECK(fdt_property_cell(fdt, "#size-cells", 0));
	for (i = 0; i < ncpus; i++) {
		uint64_t mpidr = arm64_mpidr_of(i);

		snprintf(name, sizeof(name), "cpu@%llx", (unsigned long long)mpidr);
		CHECK(fdt_begin_node(fdt, name));
		CHECK(fdt_property_string(fdt, "device_type", "cpu"));
		CHECK(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
		CHECK(fdt_property_cell(fdt, "reg", (uint32_t)mpidr));
		if (ncpus > 1)
			CHECK(fdt_property_string(fdt, "enable-method", "psci"));
		CHECK(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static int fdt_gic_timer(void *fdt, unsigned ncpus)
{
	fdt64_t reg[4] = {
		cpu_to_fdt64(MEMMAP_GICD_BASE), cpu_to_fdt64(MEMMAP_GICD_SIZE),
		cpu_to_fdt64(MEMMAP_GICR_BASE), cpu_to_fdt64(MEMMAP_GICR_STRIDE * ncpus),
	};
	/* PPIs are numbered from INTID 16 in the binding. */
	const uint32_t ppis[4] = {
		IRQ_PPI_TIMER_SEC - 16, IRQ_PPI_TIMER_PHYS - 16,
		IRQ_PPI_TIMER_VIRT - 16, IRQ_PPI_TIMER_HYP - 16,
	};
	fdt32_t timer[12];
	unsigned i;

	CHECK(begin_at(fdt, "intc", MEMMAP_GICD_BASE));
	CHECK(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	CHECK(fdt_property_cell(fdt, "#interrupt-cells", 3));
	CHECK(fdt_property(fdt, "interrupt-controller", NULL, 0));
	CHECK(fdt_property_cell(fdt, "#redistributor-regions", 1));
	CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	/* vGIC maintenance interrupt (PPIs are numbered from INTID 16). */
	CHECK(prop_irq(fdt, FDT_GIC_PPI, IRQ_PPI_VGIC_MAINT - 16, FDT_IRQ_LEVEL_HIGH));
	CHECK(fdt_property_cell(fdt, "phandle", PHANDLE_GIC));
	CHECK(fdt_end_node(fdt));

	for (i = 0; i < 4; i++) {
		timer[3 * i] = cpu_to_fdt32(FDT_GIC_PPI);
		timer[3 * i + 1] = cpu_to_fdt32(ppis[i]);
		timer[3 * i + 2] = cpu_to_fdt32(FDT_IRQ_LEVEL_HIGH);
	}
	CHECK(fdt_begin_node(fdt, "timer"));
	CHECK(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	CHECK(fdt_property(fdt, "interrupts", timer, sizeof(timer)));
	CHECK(fdt_property(fdt, "always-on", NULL, 0));
	return fdt_end_node(fdt);
}

/* The fixed APB clock the PrimeCell devices name, then every device's own
 * node, in the board's order. */
static int fdt_devices(void *fdt, const struct devlist *devs)
{
	struct fdt_writer w = {
		.begin_node = w_begin, .end_node = w_end, .prop = w_prop, .ctx = fdt,
		.phandle_gic = PHANDLE_GIC, .phandle_clk = PHANDLE_CLK,
	};

	CHECK(fdt_begin_node(fdt, "apb-pclk"));
	CHECK(fdt_property_string(fdt, "compatible", "fixed-clock"));
	CHECK(fdt_property_cell(fdt, "#clock-cells", 0));
	CHECK(fdt_property_cell(fdt, "clock-frequency", 24000000));
	CHECK(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	CHECK(fdt_property_cell(fdt, "phandle", PHANDLE_CLK));
	CHECK(fdt_end_node(fdt));
	return devs ? devlist_write_fdt(devs, &w) : 0;
}

static int fdt_build_tree(const struct fdt_params *p, void *fdt, size_t size)
{
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";

	CHECK(fdt_create(fdt, (int)size));
	CHECK(fdt_finish_reservemap(fdt));
	CHECK(fdt_begin_node(fdt, ""));
	CHECK(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
	CHECK(fdt_property_string(fdt, "model", "microvm-ras"));
	CHECK(fdt_property_cell(fdt, "#address-cells", 2));
	CHECK(fdt_property_cell(fdt, "#size-cells", 2));
	CHECK(fdt_property_cell(fdt, "interrupt-parent", PHANDLE_GIC));

	CHECK(fdt_begin_node(fdt, "chosen"));
	if (p->cmdline)
		CHECK(fdt_property_string(fdt, "bootargs", p->cmdline));
	if (p->devs && devlist_console(p->devs)) {
		const struct device *con = devlist_console(p->devs);
		char path[72];

		snprintf(path, sizeof(path), "/%s@%llx", con->cls->name,
			 (unsigned long long)con->base);
		CHECK(fdt_property_string(fdt, "stdout-path", path));
	}
	if (p->initrd_start) {
		CHECK(fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start));
		CHECK(fdt_property_u64(fdt, "linux,initrd-end", p->initrd_end));
	}
	CHECK(fdt_end_node(fdt));

	CHECK(begin_at(fdt, "memory", p->ram_base));
	CHECK(fdt_property_string(fdt, "device_type", "memory"));
	CHECK(prop_reg2(fdt, p->ram_base, p->ram_size));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_cpus(fdt, p->ncpus));

	CHECK(fdt_begin_node(fdt, "psci"));
	CHECK(fdt_property(fdt, "compatible", psci_compat, sizeof(psci_compat)));
	CHECK(fdt_property_string(fdt, "method", "hvc"));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_gic_timer(fdt, p->ncpus));
	CHECK(fdt_devices(fdt, p->devs));

	CHECK(fdt_end_node(fdt));
	CHECK(fdt_finish(fdt));
	return 0;
}

int fdt_build(const struct fdt_params *p, void *buf, size_t size)
{
	int ret = fdt_build_tree(p, buf, size);

	if (ret == -FDT_ERR_NOSPACE)
		return -ENOSPC;
	if (ret < 0)
		return -EINVAL;
	return (int)fdt_totalsize(buf);
}
