/* Device tree for the guest, following the Devicetree Specification v0.4 and
 * the Linux bindings of each node (arm,gic-v3, arm,armv8-timer, arm,psci,
 * arm,pl011, arm,pl031, qemu,fw-cfg-mmio, cfi-flash). */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

#include "arch/arm64/fdt.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/regs.h"
#include "util.h"

#define PHANDLE_GIC 1
#define PHANDLE_CLK 2

/* GIC interrupt specifier: type, number, flags. */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_EDGE_RISING 1
#define IRQ_LEVEL_HIGH 4

#define CHECK(expr) do { int r__ = (expr); if (r__ < 0) return r__; } while (0)

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

	CHECK(fdt_begin_node(fdt, "intc@8000000"));
	CHECK(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	CHECK(fdt_property_cell(fdt, "#interrupt-cells", 3));
	CHECK(fdt_property(fdt, "interrupt-controller", NULL, 0));
	CHECK(fdt_property_cell(fdt, "#redistributor-regions", 1));
	CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	/* VGIC maintenance interrupt: PPI 9 (INTID 25). */
	CHECK(prop_irq(fdt, GIC_PPI, 9, IRQ_LEVEL_HIGH));
	CHECK(fdt_property_cell(fdt, "phandle", PHANDLE_GIC));
	CHECK(fdt_end_node(fdt));

	for (i = 0; i < 4; i++) {
		timer[3 * i] = cpu_to_fdt32(GIC_PPI);
		timer[3 * i + 1] = cpu_to_fdt32(ppis[i]);
		timer[3 * i + 2] = cpu_to_fdt32(IRQ_LEVEL_HIGH);
	}
	CHECK(fdt_begin_node(fdt, "timer"));
	CHECK(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	CHECK(fdt_property(fdt, "interrupts", timer, sizeof(timer)));
	CHECK(fdt_property(fdt, "always-on", NULL, 0));
	return fdt_end_node(fdt);
}

static int fdt_devices(void *fdt, bool firmware)
{
	static const char pl011_compat[] = "arm,pl011\0arm,primecell";
	static const char pl031_compat[] = "arm,pl031\0arm,primecell";
	static const char uart_clocks[] = "uartclk\0apb_pclk";
	fdt32_t clk2[2] = { cpu_to_fdt32(PHANDLE_CLK), cpu_to_fdt32(PHANDLE_CLK) };

	CHECK(fdt_begin_node(fdt, "apb-pclk"));
	CHECK(fdt_property_string(fdt, "compatible", "fixed-clock"));
	CHECK(fdt_property_cell(fdt, "#clock-cells", 0));
	CHECK(fdt_property_cell(fdt, "clock-frequency", 24000000));
	CHECK(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	CHECK(fdt_property_cell(fdt, "phandle", PHANDLE_CLK));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_begin_node(fdt, "pl011@9000000"));
	CHECK(fdt_property(fdt, "compatible", pl011_compat, sizeof(pl011_compat)));
	CHECK(prop_reg2(fdt, MEMMAP_UART_BASE, MEMMAP_UART_SIZE));
	CHECK(prop_irq(fdt, GIC_SPI, IRQ_SPI_UART, IRQ_LEVEL_HIGH));
	CHECK(fdt_property(fdt, "clocks", clk2, sizeof(clk2)));
	CHECK(fdt_property(fdt, "clock-names", uart_clocks, sizeof(uart_clocks)));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_begin_node(fdt, "pl031@9010000"));
	CHECK(fdt_property(fdt, "compatible", pl031_compat, sizeof(pl031_compat)));
	CHECK(prop_reg2(fdt, MEMMAP_RTC_BASE, MEMMAP_RTC_SIZE));
	CHECK(prop_irq(fdt, GIC_SPI, IRQ_SPI_RTC, IRQ_LEVEL_HIGH));
	CHECK(fdt_property_cell(fdt, "clocks", PHANDLE_CLK));
	CHECK(fdt_property_string(fdt, "clock-names", "apb_pclk"));
	CHECK(fdt_end_node(fdt));

	if (!firmware)
		return 0;

	CHECK(fdt_begin_node(fdt, "fw-cfg@9020000"));
	CHECK(fdt_property_string(fdt, "compatible", "qemu,fw-cfg-mmio"));
	CHECK(prop_reg2(fdt, MEMMAP_FWCFG_BASE, MEMMAP_FWCFG_SIZE));
	CHECK(fdt_property(fdt, "dma-coherent", NULL, 0));
	CHECK(fdt_end_node(fdt));

	{
		fdt64_t reg[4] = {
			cpu_to_fdt64(MEMMAP_FLASH0_BASE), cpu_to_fdt64(MEMMAP_FLASH0_SIZE),
			cpu_to_fdt64(MEMMAP_FLASH1_BASE), cpu_to_fdt64(MEMMAP_FLASH1_SIZE),
		};

		CHECK(fdt_begin_node(fdt, "flash@0"));
		CHECK(fdt_property_string(fdt, "compatible", "cfi-flash"));
		CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
		CHECK(fdt_property_cell(fdt, "bank-width", 4));
		CHECK(fdt_end_node(fdt));
	}
	return 0;
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
	CHECK(fdt_property_string(fdt, "stdout-path", "/pl011@9000000"));
	if (p->initrd_start) {
		CHECK(fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start));
		CHECK(fdt_property_u64(fdt, "linux,initrd-end", p->initrd_end));
	}
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_begin_node(fdt, "memory@40000000"));
	CHECK(fdt_property_string(fdt, "device_type", "memory"));
	CHECK(prop_reg2(fdt, p->ram_base, p->ram_size));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_cpus(fdt, p->ncpus));

	CHECK(fdt_begin_node(fdt, "psci"));
	CHECK(fdt_property(fdt, "compatible", psci_compat, sizeof(psci_compat)));
	CHECK(fdt_property_string(fdt, "method", "hvc"));
	CHECK(fdt_end_node(fdt));

	CHECK(fdt_gic_timer(fdt, p->ncpus));
	CHECK(fdt_devices(fdt, p->firmware));

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
