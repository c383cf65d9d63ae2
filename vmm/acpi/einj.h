/* Error Injection table (EINJ, ACPI 6.5 section 18.6) and what its
 * instructions point at: a small VMM-emulated register block (the
 * EINJ_REG_* offsets, at memmap.h's MEMMAP_EINJ_BASE) for the actions a
 * guest runs one register access at a time, and a parameter area in guest
 * RAM (appended to etc/hardware_errors) for the two structures a guest reads
 * and writes as memory: the SET_ERROR_TYPE_WITH_ADDRESS data structure and
 * the Trigger Error Action Table. Linux (drivers/acpi/apei/einj.c) accesses
 * those with ordinary (possibly paired) loads and stores, which an emulated
 * MMIO window cannot take; the registers it reads and writes through
 * acpi_os_{read,write}_memory, one access each. Pure: bytes only. */
#ifndef MVR_ACPI_EINJ_H
#define MVR_ACPI_EINJ_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/table.h"

/* Injection actions (ACPI 6.5 section 18.6.2, Error Injection Actions). */
#define EINJ_ACTION_BEGIN_INJECTION      0x0
#define EINJ_ACTION_GET_TRIGGER_TABLE    0x1
#define EINJ_ACTION_SET_ERROR_TYPE       0x2
#define EINJ_ACTION_GET_ERROR_TYPE       0x3
#define EINJ_ACTION_END_OPERATION        0x4
#define EINJ_ACTION_EXECUTE_OPERATION    0x5
#define EINJ_ACTION_CHECK_BUSY_STATUS    0x6
#define EINJ_ACTION_GET_COMMAND_STATUS   0x7
#define EINJ_ACTION_SET_ERROR_TYPE_WITH_ADDRESS 0x8
#define EINJ_ACTION_TRIGGER_ERROR        0xFF	/* trigger table only */

/* Injection instructions (ACPI 6.5 section 18.6.3). */
#define EINJ_INS_READ_REGISTER        0x0
#define EINJ_INS_READ_REGISTER_VALUE  0x1
#define EINJ_INS_WRITE_REGISTER       0x2
#define EINJ_INS_WRITE_REGISTER_VALUE 0x3
#define EINJ_INS_NOOP                 0x4

/* Instruction flags: PRESERVE_REGISTER (section 18.6.2). */
#define EINJ_FLAG_PRESERVE_REGISTER   0x1

/* Error types (section 18.6.4), as GET_ERROR_TYPE reports and SET_ERROR_TYPE
 * takes: one bit each. */
#define EINJ_TYPE_PROC_CORRECTABLE    (1u << 0)
#define EINJ_TYPE_PROC_UNCORRECTABLE  (1u << 1)	/* non-fatal */
#define EINJ_TYPE_PROC_FATAL          (1u << 2)
#define EINJ_TYPE_MEM_CORRECTABLE     (1u << 3)
#define EINJ_TYPE_MEM_UNCORRECTABLE   (1u << 4)	/* non-fatal */
#define EINJ_TYPE_MEM_FATAL           (1u << 5)
#define EINJ_TYPE_VENDOR              (1u << 31)

/* Command status (section 18.6.2, GET_COMMAND_STATUS). */
#define EINJ_STATUS_SUCCESS           0x0
#define EINJ_STATUS_UNKNOWN_FAILURE   0x1
#define EINJ_STATUS_INVALID_ACCESS    0x2

/* The table: standard header, Injection Header Size, Injection Flags,
 * 3 reserved bytes, Injection Entry Count, then 32-byte entries. */
#define EINJ_INJECTION_HEADER_SIZE 48	/* bytes before the first entry */
#define EINJ_ENTRY_SIZE            32
#define EINJ_ENTRY_GAS_OFF         4	/* Register Region inside an entry */
#define EINJ_ENTRY_COUNT           9	/* one per action 0..8 */
#define EINJ_TABLE_SIZE (EINJ_INJECTION_HEADER_SIZE + EINJ_ENTRY_COUNT * EINJ_ENTRY_SIZE)
/* Offset, inside the table, of the SET_ERROR_TYPE_WITH_ADDRESS entry's
 * Register Region Address (the loader points it at the parameter area). */
#define EINJ_SETWA_ADDR_OFF \
	(EINJ_INJECTION_HEADER_SIZE + EINJ_ACTION_SET_ERROR_TYPE_WITH_ADDRESS * EINJ_ENTRY_SIZE + \
	 EINJ_ENTRY_GAS_OFF + 4 /* GAS Address */)

/* The register block: 64-bit registers, 32- or 64-bit accesses. */
#define EINJ_REG_OPERATION   0x00	/* W: EINJ_OP_* (BEGIN, EXECUTE, END) */
#define EINJ_REG_ERROR_TYPE  0x08	/* RW: SET_ERROR_TYPE */
#define EINJ_REG_SUPPORTED   0x10	/* R: GET_ERROR_TYPE, the types offered */
#define EINJ_REG_BUSY        0x18	/* R: CHECK_BUSY_STATUS, bit 0 */
#define EINJ_REG_STATUS      0x20	/* R: GET_COMMAND_STATUS, EINJ_STATUS_* */
#define EINJ_REG_TRIGGER     0x28	/* R: GET_TRIGGER_ERROR_ACTION_TABLE address */
#define EINJ_REGS_SIZE       0x30
#define EINJ_OP_BEGIN        1
#define EINJ_OP_EXECUTE      2
#define EINJ_OP_END          3
#define EINJ_BUSY_BIT        0x1

/* The parameter area in guest RAM: the SET_ERROR_TYPE_WITH_ADDRESS data
 * structure (ACPI 6.5 section 18.6.2, Table 18.34), then the Trigger Error
 * Action Table (section 18.6.5) with no entries: the error is armed by
 * EXECUTE_OPERATION and consumed when the guest touches the memory. */
#define EINJ_SETWA_OFF            0
#define EINJ_SETWA_TYPE           0	/* u32 Error Type */
#define EINJ_SETWA_VENDOR_EXT     4	/* u32 Vendor Error Type Extension Structure Offset */
#define EINJ_SETWA_FLAGS          8	/* u32 Flags, EINJ_SETWA_FLAG_* */
#define EINJ_SETWA_PROC           12	/* u32 Processor (APIC id / ACPI UID) */
#define EINJ_SETWA_MEM_ADDR       16	/* u64 Memory Address */
#define EINJ_SETWA_MEM_RANGE      24	/* u64 Memory Address Range (mask) */
#define EINJ_SETWA_PCIE_SBDF      32	/* u32 PCIe Segment/Bus/Device/Function */
#define EINJ_SETWA_LEN            36
#define EINJ_SETWA_FLAG_PROC      (1u << 0)	/* Processor field valid */
#define EINJ_SETWA_FLAG_MEM       (1u << 1)	/* Memory Address and Range valid */
#define EINJ_SETWA_FLAG_PCIE      (1u << 2)	/* PCIe SBDF valid */
#define EINJ_TRIGGER_OFF          64
#define EINJ_TRIGGER_HEADER_SIZE  16
#define EINJ_PARAM_AREA_SIZE      128
#define EINJ_PARAM_AREA_ALIGN     64	/* its offset in etc/hardware_errors */

/* Append the EINJ table (revision 1) to 'tables'; *offset receives where it
 * starts. Register block at 'regs' (absolute); the SET_ERROR_TYPE_WITH_ADDRESS
 * entry's address is 'setwa', which the caller's loader ADD_POINTER makes
 * absolute (at table offset EINJ_SETWA_ADDR_OFF). Errors are the buffer's
 * sticky error. */
void einj_build(struct acpi_buf *tables, uint64_t regs, uint64_t setwa, size_t *offset);

/* Write the initial parameter area (zeroed SET_ERROR_TYPE_WITH_ADDRESS
 * structure, trigger table header) into p[0..EINJ_PARAM_AREA_SIZE). */
void einj_build_param_area(uint8_t *p);

#endif
