/* EINJ table (ACPI 6.5 section 18.6) for the VMM's error-injection register
 * block, and the initial bytes of its parameter area in guest RAM (the
 * SET_ERROR_TYPE_WITH_ADDRESS structure and the Trigger Error Action Table).
 * See einj.h for which piece lives where and why. */
#include "acpi/einj.h"
#include "util.h"

#define MASK32 0xFFFFFFFFull
#define MASK64 0xFFFFFFFFFFFFFFFFull

/* Injection Instruction Entry (ACPI 6.5 section 18.6.2), 32 bytes, with a
 * System Memory register of 'bits' (32 or 64) at 'addr'. */
static void einj_entry(struct acpi_buf *b, uint8_t action, uint8_t ins, uint8_t bits,
		       uint64_t addr, uint64_t value, uint64_t mask)
{
	acpi_buf_u8(b, action);		/* Injection Action */
	acpi_buf_u8(b, ins);		/* Instruction */
	acpi_buf_u8(b, 0);		/* Flags: no PRESERVE_REGISTER */
	acpi_buf_u8(b, 0);		/* Reserved */
	acpi_buf_gas(b, ACPI_GAS_SYSTEM_MEMORY, bits, 0,	/* Register Region */
		     bits == 64 ? ACPI_GAS_ACCESS_QWORD : ACPI_GAS_ACCESS_DWORD, addr);
	acpi_buf_u64(b, value);		/* Value */
	acpi_buf_u64(b, mask);		/* Mask */
}

void einj_build(struct acpi_buf *b, uint64_t regs, uint64_t setwa, size_t *offset)
{
	size_t start = acpi_table_begin(b, "EINJ", 1);	/* Header, revision 1 */

	acpi_buf_u32(b, EINJ_INJECTION_HEADER_SIZE);	/* Injection Header Size */
	acpi_buf_u8(b, 0);				/* Injection Flags */
	acpi_buf_zeros(b, 3);				/* Reserved */
	acpi_buf_u32(b, EINJ_ENTRY_COUNT);		/* Injection Entry Count */
	/* Injection Instruction Entries, in action order (the entry of
	 * SET_ERROR_TYPE_WITH_ADDRESS must stay at index 8: EINJ_SETWA_ADDR_OFF). */
	einj_entry(b, EINJ_ACTION_BEGIN_INJECTION, EINJ_INS_WRITE_REGISTER_VALUE, 64,
		   regs + EINJ_REG_OPERATION, EINJ_OP_BEGIN, MASK64);
	einj_entry(b, EINJ_ACTION_GET_TRIGGER_TABLE, EINJ_INS_READ_REGISTER, 64,
		   regs + EINJ_REG_TRIGGER, 0, MASK64);
	einj_entry(b, EINJ_ACTION_SET_ERROR_TYPE, EINJ_INS_WRITE_REGISTER, 32,
		   regs + EINJ_REG_ERROR_TYPE, 0, MASK32);
	einj_entry(b, EINJ_ACTION_GET_ERROR_TYPE, EINJ_INS_READ_REGISTER, 32,
		   regs + EINJ_REG_SUPPORTED, 0, MASK32);
	einj_entry(b, EINJ_ACTION_END_OPERATION, EINJ_INS_WRITE_REGISTER_VALUE, 64,
		   regs + EINJ_REG_OPERATION, EINJ_OP_END, MASK64);
	einj_entry(b, EINJ_ACTION_EXECUTE_OPERATION, EINJ_INS_WRITE_REGISTER_VALUE, 64,
		   regs + EINJ_REG_OPERATION, EINJ_OP_EXECUTE, MASK64);
	/* Busy when (register & 1) == 1. */
	einj_entry(b, EINJ_ACTION_CHECK_BUSY_STATUS, EINJ_INS_READ_REGISTER_VALUE, 32,
		   regs + EINJ_REG_BUSY, EINJ_BUSY_BIT, EINJ_BUSY_BIT);
	einj_entry(b, EINJ_ACTION_GET_COMMAND_STATUS, EINJ_INS_READ_REGISTER, 32,
		   regs + EINJ_REG_STATUS, 0, MASK32);
	/* Its register is the structure's first field, Error Type. */
	einj_entry(b, EINJ_ACTION_SET_ERROR_TYPE_WITH_ADDRESS, EINJ_INS_WRITE_REGISTER, 32,
		   setwa + EINJ_SETWA_TYPE, 0, MASK32);
	acpi_table_end(b, start);
	*offset = start;
}

void einj_build_param_area(uint8_t *p)
{
	uint8_t *t = p + EINJ_TRIGGER_OFF;
	size_t i;

	for (i = 0; i < EINJ_PARAM_AREA_SIZE; i++)
		p[i] = 0;
	/* SET_ERROR_TYPE_WITH_ADDRESS data structure: all fields 0 (no type,
	 * no vendor extension, no valid field); the guest fills it. */
	/* Trigger Error Action Table header (ACPI 6.5 section 18.6.5): */
	put_le32(t + 0, EINJ_TRIGGER_HEADER_SIZE);	/* Header Size */
	put_le32(t + 4, 1);				/* Revision */
	put_le32(t + 8, EINJ_TRIGGER_HEADER_SIZE);	/* Table Size: no entries */
	put_le32(t + 12, 0);				/* Entry Count */
}
