/* HEST with GHESv2 error sources (ACPI 6.3 section 18.3.2.8), the
 * etc/hardware_errors blob (error block address slots, read-ack registers,
 * error status blocks) and their linker/loader commands, following the
 * scheme of QEMU's docs/specs/acpi_hest_ghes.rst with one SEA source per
 * vCPU, one GPIO-signal source for asynchronous errors, and a polled and a
 * GSIV source for corrected errors (ras/ghes_layout.h). */
#include <errno.h>
#include <stdlib.h>

#include "acpi/hest.h"
#include "arch/arm64/memmap.h"
#include "util.h"

/* Hardware Error Notification Structure (ACPI 6.5 section 18.3.2.9, table
 * 18.14), 28 bytes. Only the polled type has a Poll Interval (ms) and only
 * GSIV a Vector (the GSI of the interrupt; on arm64 the GIC INTID, which
 * the GED's _CRS lists too so its _EVT notifies the HED). */
static void hest_build_notify(struct acpi_buf *b, uint8_t type)
{
	acpi_buf_u8(b, type);	/* Type */
	acpi_buf_u8(b, 28);	/* Length */
	acpi_buf_u16(b, 0);	/* Configuration Write Enable */
	/* Poll Interval */
	acpi_buf_u32(b, type == GHES_NOTIFY_POLLED ? GHES_POLL_INTERVAL_MS : 0);
	/* Vector */
	acpi_buf_u32(b, type == GHES_NOTIFY_GSIV ? IRQ_SPI_TO_GSI(IRQ_SPI_GHES_GSIV) : 0);
	acpi_buf_u32(b, 0);	/* Switch To Polling Threshold Value */
	acpi_buf_u32(b, 0);	/* Switch To Polling Threshold Window */
	acpi_buf_u32(b, 0);	/* Error Threshold Value */
	acpi_buf_u32(b, 0);	/* Error Threshold Window */
}

/* Generic Hardware Error Source version 2 (ACPI 6.3 section 18.3.2.8), 92 bytes. */
static void hest_build_ghesv2(struct acpi_buf *b, const struct ghes_layout *g, unsigned i)
{
	acpi_buf_u16(b, HEST_TYPE_GHES_V2);	/* Type */
	acpi_buf_u16(b, (uint16_t)i);		/* Source Id */
	acpi_buf_u16(b, 0xFFFF);		/* Related Source Id: none */
	acpi_buf_u8(b, 0);			/* Flags */
	acpi_buf_u8(b, 1);			/* Enabled */
	acpi_buf_u32(b, 1);			/* Number of Records To Pre-allocate */
	acpi_buf_u32(b, 1);			/* Max Sections Per Record */
	acpi_buf_u32(b, g->block_len);		/* Max Raw Data Length */
	/* Error Status Address: -> error_block_address slot i (loader pointer) */
	acpi_buf_gas(b, ACPI_GAS_SYSTEM_MEMORY, 64, 0, ACPI_GAS_ACCESS_QWORD,
		     ghes_addr_offset(g, i));
	hest_build_notify(b, ghes_notify_type(g, i));	/* Notification Structure */
	acpi_buf_u32(b, g->block_len);		/* Error Status Block Length */
	/* Read Ack Register: -> read_ack_register slot i (loader pointer) */
	acpi_buf_gas(b, ACPI_GAS_SYSTEM_MEMORY, 64, 0, ACPI_GAS_ACCESS_QWORD,
		     ghes_ack_offset(g, i));
	acpi_buf_u64(b, ~GHES_READ_ACK_BIT);	/* Read Ack Preserve: keep all but bit 0 */
	acpi_buf_u64(b, GHES_READ_ACK_BIT);	/* Read Ack Write: set bit 0 */
}

void hest_build(struct acpi_buf *tables, const struct ghes_layout *g, size_t *offset)
{
	size_t start = acpi_table_begin(tables, "HEST", 1);	/* Header, rev 1 */
	unsigned i;

	acpi_buf_u32(tables, g->nsources);		/* Error Source Count */
	for (i = 0; i < g->nsources; i++)
		hest_build_ghesv2(tables, g, i);	/* Error Source Structures */
	acpi_table_end(tables, start);
	*offset = start;
}

int hest_build_hw_errors(const struct ghes_layout *g, struct acpi_blob *out)
{
	uint64_t size = ghes_blob_size(g);
	uint8_t *p;
	unsigned i;

	if (size > SIZE_MAX)
		return -ENOMEM;
	p = calloc(1, (size_t)size);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < g->nsources; i++) {
		/* error_block_address: block offset, made absolute by ADD_POINTER */
		put_le64(p + ghes_addr_offset(g, i), ghes_block_offset(g, i));
		/* read_ack_register: 1 = previous record acked, may write */
		put_le64(p + ghes_ack_offset(g, i), GHES_READ_ACK_BIT);
	}
	/* Generic Error Status Blocks start zeroed (Block Status 0). */
	out->data = p;
	out->len = (size_t)size;
	return 0;
}

int hest_loader_allocate(struct loader *l)
{
	return loader_allocate(l, HEST_FILE_HW_ERRORS, HEST_HW_ERRORS_ALIGN,
			       LOADER_ZONE_HIGH);
}

int hest_loader_pointers(struct loader *l, const struct ghes_layout *g,
			 const char *tables_file, uint32_t hest_offset)
{
	unsigned i;
	int ret;

	for (i = 0; i < g->nsources; i++) {
		uint32_t entry = hest_offset + HEST_ENTRIES_OFF + i * HEST_GHESV2_SIZE;

		/* error_block_address[i] -> Generic Error Status Block i */
		ret = loader_add_pointer(l, HEST_FILE_HW_ERRORS, HEST_FILE_HW_ERRORS,
					 (uint32_t)ghes_addr_offset(g, i), 8);
		if (ret)
			return ret;
		/* HEST Error Status Address -> error_block_address[i] */
		ret = loader_add_pointer(l, tables_file, HEST_FILE_HW_ERRORS,
					 entry + GHESV2_ERR_STATUS_GAS_OFF + ACPI_GAS_ADDRESS_OFF, 8);
		if (ret)
			return ret;
		/* HEST Read Ack Register -> read_ack_register[i] */
		ret = loader_add_pointer(l, tables_file, HEST_FILE_HW_ERRORS,
					 entry + GHESV2_READ_ACK_GAS_OFF + ACPI_GAS_ADDRESS_OFF, 8);
		if (ret)
			return ret;
	}
	return 0;
}

int hest_loader_write_pointer(struct loader *l)
{
	return loader_write_pointer(l, HEST_FILE_HW_ERRORS_ADDR, HEST_FILE_HW_ERRORS,
				    0, 0, HEST_HW_ERRORS_ADDR_SIZE);
}
