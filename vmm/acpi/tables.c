/* Builds the ACPI 6.3 tables for firmware boot (RSDP 5.2.5, XSDT 5.2.8,
 * FADT 5.2.9, DSDT 5.2.11.1, MADT 5.2.12, GTDT 5.2.24, SPCR (Microsoft
 * spec rev 2), HEST via hest.c, EINJ via einj.c) and the linker/loader script that makes
 * edk2 allocate, link, checksum and install them; acpi_build_link() runs
 * the script offline (fwcfg/loader_exec.c) so the result can be dumped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/einj.h"
#include "acpi/tables.h"
#include "fwcfg/loader_exec.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/mpidr.h"
#include "devices/einj.h"
#include "util.h"

#define RSDP_SIZE          36
#define RSDP_CSUM_OFF      8	/* Checksum over the first 20 bytes */
#define RSDP_XSDT_OFF      24	/* XsdtAddress */
#define RSDP_EXT_CSUM_OFF  32	/* Extended Checksum over all 36 bytes */

#define FADT_X_DSDT_OFF    140
#define FADT_FLAG_HW_REDUCED_ACPI (1u << 20)
#define FADT_ARM_PSCI_COMPLIANT   (1u << 0)
#define FADT_ARM_PSCI_USE_HVC     (1u << 1)

#define MADT_TYPE_GICC  0x0B
#define MADT_TYPE_GICD  0x0C
#define MADT_TYPE_GICR  0x0E

#define GTDT_TIMER_ALWAYS_ON (1u << 2)	/* bit 0 edge = 0, bit 1 low = 0 */

#define TABLE_ALIGN        8	/* start of each table inside etc/acpi/tables */

/* Build state: the tables blob, the recorded tables and the pointer fields
 * that need ADD_POINTER commands (all within etc/acpi/tables -> itself). */
struct acpi_ctx {
	const struct acpi_config *cfg;
	struct acpi_buf tables;
	struct acpi_build *out;
	size_t ptr_off[ACPI_MAX_TABLES + 1];	/* XSDT entries + FADT X_DSDT */
	unsigned nptrs;
	size_t einj_off;			/* the EINJ table, if out->einj_param_off */
};

/* Start a table at an aligned offset; returns its start. */
static size_t ctx_table_begin(struct acpi_ctx *c, const char *sig, uint8_t rev)
{
	acpi_buf_align(&c->tables, TABLE_ALIGN);
	return acpi_table_begin(&c->tables, sig, rev);
}

/* Finish the table begun at 'start' and record it by signature. */
static void ctx_table_end(struct acpi_ctx *c, size_t start, const char *sig)
{
	struct acpi_build *o = c->out;
	uint32_t len = acpi_table_end(&c->tables, start);

	if (acpi_buf_error(&c->tables))
		return;
	if (o->ntables == ACPI_MAX_TABLES) {
		acpi_buf_set_error(&c->tables, -ENOSPC);
		return;
	}
	memcpy(o->table[o->ntables].sig, sig, 4);
	o->table[o->ntables].sig[4] = '\0';
	o->table[o->ntables].offset = start;
	o->table[o->ntables].len = len;
	o->ntables++;
}

/* Append a u64 that the loader points at another table (value = offset). */
static void ctx_pointer64(struct acpi_ctx *c, uint64_t target_off)
{
	if (c->nptrs == ARRAY_SIZE(c->ptr_off)) {
		acpi_buf_set_error(&c->tables, -ENOSPC);
		return;
	}
	c->ptr_off[c->nptrs++] = c->tables.len;
	acpi_buf_u64(&c->tables, target_off);
}

/* DSDT: processor devices, then each device of the board's list (PL011,
 * fw_cfg and, with RAS, the GED + HED pair) in list order. */
static void build_dsdt(struct acpi_ctx *c)
{
	struct acpi_buf *b = &c->tables;
	struct aml_mark sb, dev;
	size_t start = ctx_table_begin(c, "DSDT", 2);	/* rev 2: 64-bit integers */
	unsigned i;

	sb = aml_scope_begin(b, "\\_SB");
	for (i = 0; i < c->cfg->ncpus; i++) {
		char name[5];

		name[0] = 'C';
		name[1] = "0123456789ABCDEF"[(i >> 8) & 0xF];
		name[2] = "0123456789ABCDEF"[(i >> 4) & 0xF];
		name[3] = "0123456789ABCDEF"[i & 0xF];
		name[4] = '\0';
		dev = aml_device_begin(b, name);	/* Processor device */
		aml_name_string(b, "_HID", "ACPI0007");
		aml_name_integer(b, "_UID", i);		/* = MADT ACPI Processor UID */
		aml_end(b, dev);
	}

	if (c->cfg->devs)
		devlist_write_dsdt(c->cfg->devs, b);	/* each device's own entry */
	aml_end(b, sb);
	ctx_table_end(c, start, "DSDT");
}

/* FADT revision 6.3 for a hardware-reduced, PSCI-over-HVC platform. */
static void build_fadt(struct acpi_ctx *c, size_t dsdt_off)
{
	struct acpi_buf *b = &c->tables;
	size_t start = ctx_table_begin(c, "FACP", 6);	/* FADT Major Version 6 */

	acpi_buf_u32(b, 0);		/* FIRMWARE_CTRL: no FACS (HW-reduced) */
	acpi_buf_u32(b, 0);		/* DSDT: use X_DSDT */
	acpi_buf_u8(b, 0);		/* Reserved */
	acpi_buf_u8(b, 0);		/* Preferred_PM_Profile: unspecified */
	acpi_buf_u16(b, 0);		/* SCI_INT */
	acpi_buf_u32(b, 0);		/* SMI_CMD */
	acpi_buf_u8(b, 0);		/* ACPI_ENABLE */
	acpi_buf_u8(b, 0);		/* ACPI_DISABLE */
	acpi_buf_u8(b, 0);		/* S4BIOS_REQ */
	acpi_buf_u8(b, 0);		/* PSTATE_CNT */
	acpi_buf_zeros(b, 4 * 8);	/* PM1a/b_EVT, PM1a/b_CNT, PM2_CNT, PM_TMR, GPE0/1_BLK */
	acpi_buf_zeros(b, 7);		/* PM1_EVT_LEN .. GPE1_BASE */
	acpi_buf_u8(b, 0);		/* CST_CNT */
	acpi_buf_u16(b, 0);		/* P_LVL2_LAT */
	acpi_buf_u16(b, 0);		/* P_LVL3_LAT */
	acpi_buf_u16(b, 0);		/* FLUSH_SIZE */
	acpi_buf_u16(b, 0);		/* FLUSH_STRIDE */
	acpi_buf_u8(b, 0);		/* DUTY_OFFSET */
	acpi_buf_u8(b, 0);		/* DUTY_WIDTH */
	acpi_buf_u8(b, 0);		/* DAY_ALRM */
	acpi_buf_u8(b, 0);		/* MON_ALRM */
	acpi_buf_u8(b, 0);		/* CENTURY */
	acpi_buf_u16(b, 0);		/* IAPC_BOOT_ARCH */
	acpi_buf_u8(b, 0);		/* Reserved */
	acpi_buf_u32(b, FADT_FLAG_HW_REDUCED_ACPI);	/* Flags */
	acpi_buf_gas(b, 0, 0, 0, 0, 0);	/* RESET_REG: none (PSCI resets) */
	acpi_buf_u8(b, 0);		/* RESET_VALUE */
	acpi_buf_u16(b, FADT_ARM_PSCI_COMPLIANT | FADT_ARM_PSCI_USE_HVC); /* ARM_BOOT_ARCH */
	acpi_buf_u8(b, 3);		/* FADT Minor Version: 6.3 */
	acpi_buf_u64(b, 0);		/* X_FIRMWARE_CTRL */
	if (c->tables.len - start != FADT_X_DSDT_OFF)
		acpi_buf_set_error(b, -EINVAL);
	ctx_pointer64(c, dsdt_off);	/* X_DSDT (loader ADD_POINTER) */
	acpi_buf_zeros(b, 8 * ACPI_GAS_SIZE); /* X_PM1a_EVT_BLK .. X_GPE1_BLK: none */
	acpi_buf_zeros(b, ACPI_GAS_SIZE);	/* SLEEP_CONTROL_REG */
	acpi_buf_zeros(b, ACPI_GAS_SIZE);	/* SLEEP_STATUS_REG */
	acpi_buf_u64(b, 0);		/* Hypervisor Vendor Identity */
	ctx_table_end(c, start, "FACP");
}

/* MADT revision 5 (ACPI 6.3) with GICv3: GICC per vCPU, GICD, GICR range. */
static void build_madt(struct acpi_ctx *c)
{
	struct acpi_buf *b = &c->tables;
	size_t start = ctx_table_begin(c, "APIC", 5);
	unsigned i;

	acpi_buf_u32(b, 0);	/* Local Interrupt Controller Address */
	acpi_buf_u32(b, 0);	/* Flags: no PC-AT 8259s */
	for (i = 0; i < c->cfg->ncpus; i++) {
		/* GIC CPU Interface (GICC) structure, 5.2.12.14 */
		acpi_buf_u8(b, MADT_TYPE_GICC);		/* Type */
		acpi_buf_u8(b, 80);			/* Length */
		acpi_buf_u16(b, 0);			/* Reserved */
		acpi_buf_u32(b, i);			/* CPU Interface Number */
		acpi_buf_u32(b, i);			/* ACPI Processor UID */
		acpi_buf_u32(b, 1);			/* Flags: Enabled, level-triggered */
		acpi_buf_u32(b, 0);			/* Parking Protocol Version */
		acpi_buf_u32(b, 0);			/* Performance Interrupt GSIV: none */
		acpi_buf_u64(b, 0);			/* Parked Address */
		acpi_buf_u64(b, 0);			/* Physical Base Address (GICv3: sysregs) */
		acpi_buf_u64(b, 0);			/* GICV */
		acpi_buf_u64(b, 0);			/* GICH */
		acpi_buf_u32(b, IRQ_PPI_VGIC_MAINT);	/* VGIC Maintenance interrupt */
		acpi_buf_u64(b, 0);			/* GICR Base Address: see GICR struct */
		acpi_buf_u64(b, arm64_mpidr_of(i));	/* MPIDR */
		acpi_buf_u8(b, 0);			/* Processor Power Efficiency Class */
		acpi_buf_u8(b, 0);			/* Reserved */
		acpi_buf_u16(b, 0);			/* SPE overflow Interrupt: none */
	}
	/* GIC Distributor (GICD) structure, 5.2.12.15 */
	acpi_buf_u8(b, MADT_TYPE_GICD);		/* Type */
	acpi_buf_u8(b, 24);			/* Length */
	acpi_buf_u16(b, 0);			/* Reserved */
	acpi_buf_u32(b, 0);			/* GIC ID */
	acpi_buf_u64(b, MEMMAP_GICD_BASE);	/* Physical Base Address */
	acpi_buf_u32(b, 0);			/* System Vector Base: must be 0 */
	acpi_buf_u8(b, 3);			/* GIC version: GICv3 */
	acpi_buf_zeros(b, 3);			/* Reserved */
	/* GIC Redistributor (GICR) structure, 5.2.12.17 */
	acpi_buf_u8(b, MADT_TYPE_GICR);		/* Type */
	acpi_buf_u8(b, 16);			/* Length */
	acpi_buf_u16(b, 0);			/* Reserved */
	acpi_buf_u64(b, MEMMAP_GICR_BASE);	/* Discovery Range Base Address */
	acpi_buf_u32(b, (uint32_t)(c->cfg->ncpus * MEMMAP_GICR_STRIDE)); /* Discovery Range Length */
	ctx_table_end(c, start, "APIC");
}

/* GTDT revision 2: the architected timers' PPIs, no platform timers. */
static void build_gtdt(struct acpi_ctx *c)
{
	struct acpi_buf *b = &c->tables;
	size_t start = ctx_table_begin(c, "GTDT", 2);

	acpi_buf_u64(b, ~0ull);			/* CntControlBase Physical Address: none */
	acpi_buf_u32(b, 0);			/* Reserved */
	acpi_buf_u32(b, IRQ_PPI_TIMER_SEC);	/* Secure EL1 Timer GSIV */
	acpi_buf_u32(b, 0);			/* Secure EL1 Timer Flags: level, high */
	acpi_buf_u32(b, IRQ_PPI_TIMER_PHYS);	/* Non-Secure EL1 Timer GSIV */
	acpi_buf_u32(b, GTDT_TIMER_ALWAYS_ON);	/* Non-Secure EL1 Timer Flags */
	acpi_buf_u32(b, IRQ_PPI_TIMER_VIRT);	/* Virtual EL1 Timer GSIV */
	acpi_buf_u32(b, GTDT_TIMER_ALWAYS_ON);	/* Virtual EL1 Timer Flags */
	acpi_buf_u32(b, IRQ_PPI_TIMER_HYP);	/* EL2 Timer GSIV */
	acpi_buf_u32(b, GTDT_TIMER_ALWAYS_ON);	/* EL2 Timer Flags */
	acpi_buf_u64(b, ~0ull);			/* CntReadBase Physical Address: none */
	acpi_buf_u32(b, 0);			/* Platform Timer Count */
	acpi_buf_u32(b, 0);			/* Platform Timer Offset */
	ctx_table_end(c, start, "GTDT");
}

/* SPCR revision 2 (Microsoft Serial Port Console Redirection Table) for
 * the board's console UART (a PL011). */
static void build_spcr(struct acpi_ctx *c, const struct device *con)
{
	struct acpi_buf *b = &c->tables;
	size_t start = ctx_table_begin(c, "SPCR", 2);

	acpi_buf_u8(b, 3);		/* Interface Type: ARM PL011 UART */
	acpi_buf_zeros(b, 3);		/* Reserved */
	acpi_buf_gas(b, ACPI_GAS_SYSTEM_MEMORY, 32, 0, ACPI_GAS_ACCESS_DWORD,
		     con->base);		/* Base Address */
	acpi_buf_u8(b, 1 << 3);		/* Interrupt Type: ARMH GIC interrupt */
	acpi_buf_u8(b, 0);		/* IRQ (PC-AT): none */
	acpi_buf_u32(b, IRQ_SPI_TO_GSI((unsigned)con->spi)); /* Global System Interrupt */
	acpi_buf_u8(b, 7);		/* Configured Baud Rate: 115200 */
	acpi_buf_u8(b, 0);		/* Parity: none */
	acpi_buf_u8(b, 1);		/* Stop Bits: 1 */
	acpi_buf_u8(b, 0);		/* Flow Control: none */
	acpi_buf_u8(b, 0);		/* Terminal Type: VT100 */
	acpi_buf_u8(b, 0);		/* Language */
	acpi_buf_u16(b, 0xFFFF);	/* PCI Device ID: not PCI */
	acpi_buf_u16(b, 0xFFFF);	/* PCI Vendor ID: not PCI */
	acpi_buf_u8(b, 0);		/* PCI Bus Number */
	acpi_buf_u8(b, 0);		/* PCI Device Number */
	acpi_buf_u8(b, 0);		/* PCI Function Number */
	acpi_buf_u32(b, 0);		/* PCI Flags */
	acpi_buf_u8(b, 0);		/* PCI Segment */
	acpi_buf_u32(b, 0);		/* Reserved */
	ctx_table_end(c, start, "SPCR");
}

/* XSDT: one pointer per table except the DSDT (reached through the FADT). */
static void build_xsdt(struct acpi_ctx *c)
{
	size_t start = ctx_table_begin(c, "XSDT", 1);
	unsigned i, n = c->out->ntables;

	for (i = 0; i < n; i++) {
		if (memcmp(c->out->table[i].sig, "DSDT", 4) != 0)
			ctx_pointer64(c, c->out->table[i].offset); /* Entry */
	}
	ctx_table_end(c, start, "XSDT");
}

/* RSDP revision 2 (5.2.5.3), its own blob; XsdtAddress via ADD_POINTER. */
static int build_rsdp(struct acpi_blob *out, size_t xsdt_off)
{
	struct acpi_buf b;

	acpi_buf_init(&b);
	acpi_buf_ascii(&b, "RSD PTR ", 8);	/* Signature */
	acpi_buf_u8(&b, 0);			/* Checksum: loader */
	acpi_buf_ascii(&b, ACPI_OEM_ID, 6);	/* OEMID */
	acpi_buf_u8(&b, 2);			/* Revision */
	acpi_buf_u32(&b, 0);			/* RsdtAddress: none */
	acpi_buf_u32(&b, RSDP_SIZE);		/* Length */
	acpi_buf_u64(&b, xsdt_off);		/* XsdtAddress (loader) */
	acpi_buf_u8(&b, 0);			/* Extended Checksum: loader */
	acpi_buf_zeros(&b, 3);			/* Reserved */
	return acpi_buf_to_blob(&b, out);
}

/* The script: allocations, then every pointer, then every checksum (so
 * firmware sums patched bytes), then the WRITE_POINTER. */
static int build_loader(struct acpi_ctx *c, struct loader *l, size_t hest_off)
{
	struct acpi_build *o = c->out;
	const struct acpi_table_ref *xsdt = acpi_build_find(o, "XSDT");
	unsigned i;
	int ret;

	ret = loader_allocate(l, ACPI_FILE_RSDP, 16, LOADER_ZONE_FSEG);
	if (!ret)
		ret = loader_allocate(l, ACPI_FILE_TABLES, 64, LOADER_ZONE_HIGH);
	if (!ret && c->cfg->ras)
		ret = hest_loader_allocate(l);
	if (!ret)
		ret = loader_add_pointer(l, ACPI_FILE_RSDP, ACPI_FILE_TABLES,
					 RSDP_XSDT_OFF, 8);
	for (i = 0; !ret && i < c->nptrs; i++)
		ret = loader_add_pointer(l, ACPI_FILE_TABLES, ACPI_FILE_TABLES,
					 (uint32_t)c->ptr_off[i], 8);
	if (!ret && c->cfg->ras)
		ret = hest_loader_pointers(l, &o->ghes, ACPI_FILE_TABLES, (uint32_t)hest_off);
	/* EINJ's SET_ERROR_TYPE_WITH_ADDRESS register -> its parameter area */
	if (!ret && o->einj_param_off)
		ret = loader_add_pointer(l, ACPI_FILE_TABLES, HEST_FILE_HW_ERRORS,
					 (uint32_t)(c->einj_off + EINJ_SETWA_ADDR_OFF), 8);
	for (i = 0; !ret && i < o->ntables; i++)
		ret = loader_add_checksum(l, ACPI_FILE_TABLES,
					  (uint32_t)(o->table[i].offset + ACPI_HEADER_CSUM_OFF),
					  (uint32_t)o->table[i].offset,
					  (uint32_t)o->table[i].len);
	/* The 20-byte checksum first: the extended one covers its byte. */
	if (!ret)
		ret = loader_add_checksum(l, ACPI_FILE_RSDP, RSDP_CSUM_OFF, 0, 20);
	if (!ret)
		ret = loader_add_checksum(l, ACPI_FILE_RSDP, RSDP_EXT_CSUM_OFF, 0, RSDP_SIZE);
	if (!ret && c->cfg->ras)
		ret = hest_loader_write_pointer(l);
	if (!ret && !xsdt)
		ret = -EINVAL;
	return ret;
}

/* Grow etc/hardware_errors to hold the EINJ parameter area at 'off'
 * (zeros up to it). 0, -EINVAL (offset inside the GHES part) or -ENOMEM. */
static int append_einj_param_area(struct acpi_blob *hw, size_t off)
{
	uint8_t *p;

	if (off < hw->len)
		return -EINVAL;
	p = realloc(hw->data, off + EINJ_PARAM_AREA_SIZE);
	if (!p)
		return -ENOMEM;
	memset(p + hw->len, 0, off - hw->len);
	einj_build_param_area(p + off);
	hw->data = p;
	hw->len = off + EINJ_PARAM_AREA_SIZE;
	return 0;
}

int acpi_build(const struct acpi_config *cfg, struct acpi_build *out)
{
	struct acpi_ctx c = { .cfg = cfg, .out = out };
	const struct device *einj;
	struct loader *l = NULL;
	const uint8_t *lb;
	size_t dsdt_off, hest_off = 0, llen;
	int ret;

	memset(out, 0, sizeof(*out));
	if (cfg->ncpus == 0 || cfg->ncpus > MAX_VCPUS)
		return -EINVAL;
	acpi_buf_init(&c.tables);
	if (cfg->ras) {
		ret = ghes_layout_init(&out->ghes, cfg->ncpus);
		if (ret)
			goto fail;
	}

	build_dsdt(&c);
	dsdt_off = out->table[0].offset;
	build_fadt(&c, dsdt_off);
	build_madt(&c);
	build_gtdt(&c);
	if (cfg->devs && devlist_console(cfg->devs))
		build_spcr(&c, devlist_console(cfg->devs));
	if (cfg->ras) {
		hest_build(&c.tables, &out->ghes, &hest_off);
		ctx_table_end(&c, hest_off, "HEST");
	}
	/* EINJ with RAS when the board has the register block; its parameter
	 * area follows the GHES part of etc/hardware_errors. */
	einj = cfg->ras && cfg->devs ? devlist_find(cfg->devs, &einj_class) : NULL;
	if (einj) {
		out->einj_param_off = ALIGN_UP((size_t)ghes_blob_size(&out->ghes),
					       (size_t)EINJ_PARAM_AREA_ALIGN);
		acpi_buf_align(&c.tables, TABLE_ALIGN);
		einj_build(&c.tables, einj->base, out->einj_param_off + EINJ_SETWA_OFF,
			   &c.einj_off);
		ctx_table_end(&c, c.einj_off, "EINJ");
	}
	build_xsdt(&c);

	l = loader_create();
	if (!l) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = acpi_buf_error(&c.tables);
	if (!ret)
		ret = build_loader(&c, l, hest_off);
	if (!ret)
		ret = build_rsdp(&out->rsdp, acpi_build_find(out, "XSDT")->offset);
	if (!ret)
		ret = acpi_buf_to_blob(&c.tables, &out->tables);
	if (!ret && cfg->ras) {
		ret = hest_build_hw_errors(&out->ghes, &out->hw_errors);
		out->hw_errors_addr_size = HEST_HW_ERRORS_ADDR_SIZE;
	}
	if (!ret && out->einj_param_off)
		ret = append_einj_param_area(&out->hw_errors, out->einj_param_off);
	if (ret)
		goto fail;
	lb = loader_bytes(l, &llen);
	out->loader.data = malloc(llen);
	if (!out->loader.data) {
		ret = -ENOMEM;
		goto fail;
	}
	memcpy(out->loader.data, lb, llen);
	out->loader.len = llen;
	loader_destroy(l);
	return 0;

fail:
	loader_destroy(l);
	acpi_buf_free(&c.tables);
	acpi_build_free(out);
	return ret;
}

void acpi_build_free(struct acpi_build *b)
{
	free(b->rsdp.data);
	free(b->tables.data);
	free(b->loader.data);
	free(b->hw_errors.data);
	memset(b, 0, sizeof(*b));
}

const struct acpi_table_ref *acpi_build_find(const struct acpi_build *b, const char *sig)
{
	unsigned i;

	for (i = 0; i < b->ntables; i++)
		if (memcmp(b->table[i].sig, sig, 4) == 0)
			return &b->table[i];
	return NULL;
}

const uint8_t *acpi_build_table(const struct acpi_build *b, unsigned i,
				const char **sig, size_t *len)
{
	if (i >= b->ntables || !b->tables.data)
		return NULL;
	*sig = b->table[i].sig;
	*len = b->table[i].len;
	return b->tables.data + b->table[i].offset;
}

int acpi_build_link(struct acpi_build *b, struct acpi_link *lk)
{
	struct loader_file f[] = {
		{ ACPI_FILE_RSDP, b->rsdp.data, b->rsdp.len, lk->rsdp_addr, false },
		{ ACPI_FILE_TABLES, b->tables.data, b->tables.len, lk->tables_addr, false },
		{ b->hw_errors.data ? HEST_FILE_HW_ERRORS : NULL, b->hw_errors.data,
		  b->hw_errors.len, lk->hw_errors_addr, false },
		{ b->hw_errors_addr_size ? HEST_FILE_HW_ERRORS_ADDR : NULL, NULL,
		  b->hw_errors_addr_size, 0, false },
	};

	return loader_exec(b->loader.data, b->loader.len, f, ARRAY_SIZE(f),
			   &lk->hw_errors_addr_written);
}
