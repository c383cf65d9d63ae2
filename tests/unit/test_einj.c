/* Unit tests for ACPI EINJ: the table's bytes (acpi/einj.c: every field of
 * the header and of each injection instruction entry, the parameter area and
 * its trigger table as Linux's EINJ driver checks it), the table inside a
 * linked acpi_build (checksum, XSDT entry, loader pointer into
 * etc/hardware_errors), and the register block's state machine
 * (devices/einj.c) with fake injection hooks and a fake guest RAM. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acpi/einj.h"
#include "acpi/tables.h"
#include "arch/arm64/memmap.h"
#include "board.h"
#include "devices/einj.h"
#include "util.h"
#include "vm_config.h"

#define REGS   MEMMAP_EINJ_BASE
#define SETWA  0x5c452040ULL

/* ---- the table ---- */

struct want_entry {
	uint8_t action, ins, bits;
	uint64_t addr, value, mask;
};

static void test_table_bytes(void **state)
{
	const struct want_entry want[EINJ_ENTRY_COUNT] = {
		{ 0, 3, 64, REGS + 0x00, 1, ~0ull },	/* BEGIN: write value 1 */
		{ 1, 0, 64, REGS + 0x28, 0, ~0ull },	/* GET_TRIGGER_TABLE */
		{ 2, 2, 32, REGS + 0x08, 0, 0xFFFFFFFF },	/* SET_ERROR_TYPE */
		{ 3, 0, 32, REGS + 0x10, 0, 0xFFFFFFFF },	/* GET_ERROR_TYPE */
		{ 4, 3, 64, REGS + 0x00, 3, ~0ull },	/* END: write value 3 */
		{ 5, 3, 64, REGS + 0x00, 2, ~0ull },	/* EXECUTE: write value 2 */
		{ 6, 1, 32, REGS + 0x18, 1, 1 },	/* CHECK_BUSY: (r & 1) == 1 */
		{ 7, 0, 32, REGS + 0x20, 0, 0xFFFFFFFF },	/* GET_COMMAND_STATUS */
		{ 8, 2, 32, SETWA, 0, 0xFFFFFFFF },	/* SET_ERROR_TYPE_WITH_ADDRESS */
	};
	struct acpi_buf b;
	size_t off = 99;
	unsigned i;

	acpi_buf_init(&b);
	acpi_buf_u8(&b, 0xAA);	/* the table need not start at 0 */
	einj_build(&b, REGS, SETWA, &off);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(off, 1);
	assert_int_equal(b.len, 1 + EINJ_TABLE_SIZE);
	assert_int_equal(EINJ_TABLE_SIZE, 336);

	const uint8_t *t = b.data + off;

	assert_memory_equal(t, "EINJ", 4);
	assert_int_equal(get_le32(t + 4), 336);		/* Length */
	assert_int_equal(t[8], 1);			/* Revision */
	assert_memory_equal(t + 10, ACPI_OEM_ID, 6);
	assert_int_equal(get_le32(t + 36), 48);		/* Injection Header Size */
	assert_int_equal(t[40], 0);			/* Injection Flags */
	assert_int_equal(t[41] | t[42] | t[43], 0);	/* Reserved */
	assert_int_equal(get_le32(t + 44), 9);		/* Injection Entry Count */
	for (i = 0; i < EINJ_ENTRY_COUNT; i++) {
		const uint8_t *e = t + 48 + i * 32;

		assert_int_equal(e[0], want[i].action);
		assert_int_equal(e[1], want[i].ins);
		assert_int_equal(e[2], 0);			/* Flags */
		assert_int_equal(e[3], 0);			/* Reserved */
		assert_int_equal(e[4], 0);			/* GAS: System Memory */
		assert_int_equal(e[5], want[i].bits);		/* Bit Width */
		assert_int_equal(e[6], 0);			/* Bit Offset */
		assert_int_equal(e[7], want[i].bits == 64 ? 4 : 3);	/* Access Size */
		assert_int_equal(get_le64(e + 8), want[i].addr);
		assert_int_equal(get_le64(e + 16), want[i].value);
		assert_int_equal(get_le64(e + 24), want[i].mask);
	}
	assert_int_equal(get_le64(t + EINJ_SETWA_ADDR_OFF), SETWA);
	/* The checksum byte is left to the loader; once set the sum is 0. */
	assert_int_equal(t[9], 0);
	acpi_table_set_checksum(b.data + off, EINJ_TABLE_SIZE);
	assert_int_equal(acpi_checksum8(b.data + off, EINJ_TABLE_SIZE), 0);
	acpi_buf_free(&b);
}

/* The trigger table as Linux's einj_check_trigger_header() judges it:
 * header size 16, table size within a page and not below the header, entry
 * count = (table size - header size) / 32. */
static void check_trigger_like_linux(const uint8_t *tt)
{
	uint32_t header = get_le32(tt), table = get_le32(tt + 8), count = get_le32(tt + 12);

	assert_int_equal(header, 16);
	assert_true(table <= 4096 && table >= header);
	assert_int_equal(count, (table - header) / 32);
}

static void test_param_area(void **state)
{
	uint8_t p[EINJ_PARAM_AREA_SIZE];
	uint8_t zero[EINJ_SETWA_LEN] = { 0 };

	memset(p, 0xEE, sizeof(p));
	einj_build_param_area(p);
	assert_memory_equal(p + EINJ_SETWA_OFF, zero, EINJ_SETWA_LEN);
	assert_int_equal(get_le32(p + EINJ_TRIGGER_OFF + 0), 16);	/* Header Size */
	assert_int_equal(get_le32(p + EINJ_TRIGGER_OFF + 4), 1);	/* Revision */
	assert_int_equal(get_le32(p + EINJ_TRIGGER_OFF + 8), 16);	/* Table Size */
	assert_int_equal(get_le32(p + EINJ_TRIGGER_OFF + 12), 0);	/* Entry Count */
	check_trigger_like_linux(p + EINJ_TRIGGER_OFF);
	/* The structure and the trigger table do not overlap. */
	assert_true(EINJ_SETWA_OFF + EINJ_SETWA_LEN <= EINJ_TRIGGER_OFF);
	assert_true(EINJ_TRIGGER_OFF + EINJ_TRIGGER_HEADER_SIZE <= EINJ_PARAM_AREA_SIZE);
}

/* In a whole build: published with --ras only, listed in the XSDT, linked
 * to etc/hardware_errors' tail, valid checksum. */
static void test_in_acpi_build(void **state)
{
	const struct vm_config vc = { .firmware = "QEMU_EFI.fd", .ncpus = 2, .ras = true };
	struct devlist devs;
	struct acpi_config cfg = { .ncpus = 2, .ram_base = 0x40000000, .ram_size = 1ull << 30,
				   .ras = true, .devs = &devs };
	struct acpi_link lk = { 0x000F0000, 0x7E000000, 0x7D000000, 0 };
	const struct acpi_table_ref *einj, *xsdt;
	struct acpi_build b;
	const uint8_t *t;
	unsigned i;
	bool listed = false;

	assert_int_equal(board_describe(&vc, &devs), 0);
	assert_non_null(devlist_find(&devs, &einj_class));
	assert_int_equal(acpi_build(&cfg, &b), 0);
	assert_true(b.einj_param_off >= ghes_blob_size(&b.ghes));
	assert_int_equal(b.einj_param_off % EINJ_PARAM_AREA_ALIGN, 0);
	assert_int_equal(b.hw_errors.len, b.einj_param_off + EINJ_PARAM_AREA_SIZE);
	check_trigger_like_linux(b.hw_errors.data + b.einj_param_off + EINJ_TRIGGER_OFF);
	assert_int_equal(acpi_build_link(&b, &lk), 0);
	einj = acpi_build_find(&b, "EINJ");
	assert_non_null(einj);
	t = b.tables.data + einj->offset;
	assert_int_equal(einj->len, EINJ_TABLE_SIZE);
	assert_int_equal(acpi_checksum8(t, einj->len), 0);
	assert_int_equal(get_le64(t + EINJ_SETWA_ADDR_OFF), lk.hw_errors_addr + b.einj_param_off);
	assert_int_equal(get_le64(t + 48 + 8), MEMMAP_EINJ_BASE);	/* BEGIN's register */
	xsdt = acpi_build_find(&b, "XSDT");
	assert_non_null(xsdt);
	for (i = 36; i + 8 <= xsdt->len; i += 8)
		if (get_le64(b.tables.data + xsdt->offset + i) == lk.tables_addr + einj->offset)
			listed = true;
	assert_true(listed);
	acpi_build_free(&b);

	/* Without --ras: no EINJ device, no table. */
	const struct vm_config plain = { .firmware = "QEMU_EFI.fd", .ncpus = 2 };

	assert_int_equal(board_describe(&plain, &devs), 0);
	assert_null(devlist_find(&devs, &einj_class));
	cfg.ras = false;
	assert_int_equal(acpi_build(&cfg, &b), 0);
	assert_null(acpi_build_find(&b, "EINJ"));
	assert_int_equal(b.einj_param_off, 0);
	acpi_build_free(&b);
}

/* ---- the device ---- */

#define AREA    0x40100000ULL	/* parameter area's guest address */
#define RAM_LO  0x40000000ULL
#define RAM_LEN 0x00200000ULL

struct fake {
	uint8_t ram[RAM_LEN];	/* guest RAM [RAM_LO, RAM_LO + RAM_LEN) */
	struct guest_mem gm;
	uint64_t area;		/* what param_area() says */
	int ret;		/* what the injection hooks return */
	unsigned poisons, records, procs;
	uint64_t last_gpa;
	bool last_fatal;
	uint32_t last_type, last_proc;
	struct einj *e;
	/* Observations from inside a hook: */
	bool peek;
	uint64_t busy_seen;
};

static int fake_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct fake *f = opaque;

	if (gpa < RAM_LO || gpa - RAM_LO > RAM_LEN || len > RAM_LEN - (gpa - RAM_LO))
		return -EFAULT;
	memcpy(buf, f->ram + (gpa - RAM_LO), len);
	return 0;
}

static int fake_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	return -EPERM;
}

static uint64_t rd(struct einj *e, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(einj_bus_ops.read(e, off, size, &v), 0);
	return v;
}

static void wr(struct einj *e, uint64_t off, unsigned size, uint64_t v)
{
	assert_int_equal(einj_bus_ops.write(e, off, size, v), 0);
}

static void hook_peek(struct fake *f)
{
	if (!f->peek)
		return;
	f->busy_seen = rd(f->e, EINJ_REG_BUSY, 4);
	/* A second EXECUTE while this one runs is refused, not run. */
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_EXECUTE);
}

static uint64_t fake_area(void *opaque)
{
	return ((struct fake *)opaque)->area;
}

static int fake_poison(void *opaque, uint64_t gpa)
{
	struct fake *f = opaque;

	f->poisons++;
	f->last_gpa = gpa;
	hook_peek(f);
	return f->ret;
}

static int fake_record(void *opaque, uint64_t gpa, bool fatal)
{
	struct fake *f = opaque;

	f->records++;
	f->last_gpa = gpa;
	f->last_fatal = fatal;
	return f->ret;
}

static int fake_proc(void *opaque, uint32_t type, uint32_t proc)
{
	struct fake *f = opaque;

	f->procs++;
	f->last_type = type;
	f->last_proc = proc;
	return f->ret;
}

static const struct einj_ops mem_ops = {
	.param_area = fake_area, .mem_poison = fake_poison, .mem_record = fake_record,
};
static const struct einj_ops all_ops = {
	.param_area = fake_area, .mem_poison = fake_poison, .mem_record = fake_record,
	.proc_record = fake_proc,
};

static int setup_ops(void **state, const struct einj_ops *ops)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->gm = (struct guest_mem){ fake_read, fake_write, f, NULL };
	f->area = AREA;
	f->e = einj_create(ops, f, &f->gm);
	assert_non_null(f->e);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_ops(state, &mem_ops); }
static int setup_all(void **state) { return setup_ops(state, &all_ops); }

static int teardown(void **state)
{
	struct fake *f = *state;

	einj_destroy(f->e);
	free(f);
	return 0;
}

/* What Linux writes into the SET_ERROR_TYPE_WITH_ADDRESS structure. */
static void guest_setwa(struct fake *f, uint32_t type, uint32_t flags, uint32_t proc,
			uint64_t addr, uint64_t range)
{
	uint8_t *s = f->ram + (AREA - RAM_LO) + EINJ_SETWA_OFF;

	put_le32(s + EINJ_SETWA_TYPE, type);
	put_le32(s + EINJ_SETWA_FLAGS, flags);
	put_le32(s + EINJ_SETWA_PROC, proc);
	put_le64(s + EINJ_SETWA_MEM_ADDR, addr);
	put_le64(s + EINJ_SETWA_MEM_RANGE, range);
}

/* Linux's sequence: BEGIN, (structure), EXECUTE, poll busy, status. */
static uint64_t inject(struct fake *f)
{
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_BEGIN);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_EXECUTE);
	assert_int_equal(rd(f->e, EINJ_REG_BUSY, 4) & EINJ_BUSY_BIT, 0);
	return rd(f->e, EINJ_REG_STATUS, 4);
}

static void test_supported_types(void **state)
{
	struct fake *f = *state;

	/* Memory 0x8, 0x10, 0x20; processor types not without a hook. */
	assert_int_equal(rd(f->e, EINJ_REG_SUPPORTED, 4), 0x38);
	assert_int_equal(einj_supported_types(f->e), 0x38);
}

static void test_supported_types_with_proc(void **state)
{
	struct fake *f = *state;

	assert_int_equal(rd(f->e, EINJ_REG_SUPPORTED, 4), 0x3b);
	guest_setwa(f, EINJ_TYPE_PROC_UNCORRECTABLE, EINJ_SETWA_FLAG_PROC, 3, 0, 0);
	assert_int_equal(inject(f), EINJ_STATUS_SUCCESS);
	assert_int_equal(f->procs, 1);
	assert_int_equal(f->last_type, 0x2);
	assert_int_equal(f->last_proc, 3);
	/* Processor fatal (0x4) is not offered. */
	guest_setwa(f, EINJ_TYPE_PROC_FATAL, EINJ_SETWA_FLAG_PROC, 0, 0, 0);
	assert_int_equal(inject(f), EINJ_STATUS_INVALID_ACCESS);
	assert_int_equal(f->procs, 1);
}

static void test_uncorrectable_poisons(void **state)
{
	struct fake *f = *state;

	guest_setwa(f, 0x10, EINJ_SETWA_FLAG_MEM, 0, 0x5c032123, 0xfffffffffffff000ull);
	assert_int_equal(inject(f), EINJ_STATUS_SUCCESS);
	assert_int_equal(f->poisons, 1);
	assert_int_equal(f->records, 0);
	assert_int_equal(f->last_gpa, 0x5c032123);
	/* The trigger table the guest then reads. */
	assert_int_equal(rd(f->e, EINJ_REG_TRIGGER, 8), AREA + EINJ_TRIGGER_OFF);
	assert_int_equal(rd(f->e, EINJ_REG_TRIGGER, 4), (uint32_t)(AREA + EINJ_TRIGGER_OFF));
	assert_int_equal(rd(f->e, EINJ_REG_TRIGGER + 4, 4), (AREA + EINJ_TRIGGER_OFF) >> 32);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_END);
}

static void test_correctable_and_fatal_records(void **state)
{
	struct fake *f = *state;

	guest_setwa(f, 0x8, EINJ_SETWA_FLAG_MEM, 0, 0x41000000, 0);
	assert_int_equal(inject(f), EINJ_STATUS_SUCCESS);
	assert_int_equal(f->records, 1);
	assert_false(f->last_fatal);
	assert_int_equal(f->last_gpa, 0x41000000);
	guest_setwa(f, 0x20, EINJ_SETWA_FLAG_MEM, 0, 0x42000000, 0);
	assert_int_equal(inject(f), EINJ_STATUS_SUCCESS);
	assert_int_equal(f->records, 2);
	assert_true(f->last_fatal);
	assert_int_equal(f->last_gpa, 0x42000000);
	assert_int_equal(f->poisons, 0);
}

/* The hooks' verdicts: an address the VM refuses is INVALID_ACCESS, any
 * other failure UNKNOWN_FAILURE; the guest never takes the VMM down. */
static void test_bad_address_and_failure(void **state)
{
	struct fake *f = *state;

	guest_setwa(f, 0x10, EINJ_SETWA_FLAG_MEM, 0, 0x1000, 0);
	f->ret = -EINVAL;
	assert_int_equal(inject(f), EINJ_STATUS_INVALID_ACCESS);
	f->ret = -EFAULT;
	assert_int_equal(inject(f), EINJ_STATUS_INVALID_ACCESS);
	f->ret = -EPERM;
	assert_int_equal(inject(f), EINJ_STATUS_UNKNOWN_FAILURE);
	f->ret = 0;
	assert_int_equal(inject(f), EINJ_STATUS_SUCCESS);
	assert_int_equal(f->poisons, 4);
}

static void test_bad_types(void **state)
{
	struct fake *f = *state;
	const uint32_t bad[] = { 0, 0x18, 0x1, 0x2, 0x4, 0x40, 0x80000010u };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		guest_setwa(f, bad[i], EINJ_SETWA_FLAG_MEM, 0, 0x41000000, 0);
		assert_int_equal(inject(f), EINJ_STATUS_INVALID_ACCESS);
	}
	/* A memory type without "memory address valid". */
	guest_setwa(f, 0x10, EINJ_SETWA_FLAG_PROC, 0, 0x41000000, 0);
	assert_int_equal(inject(f), EINJ_STATUS_INVALID_ACCESS);
	assert_int_equal(f->poisons + f->records + f->procs, 0);
}

/* SET_ERROR_TYPE's register wins over the structure; BEGIN clears it. */
static void test_set_error_type_register(void **state)
{
	struct fake *f = *state;

	guest_setwa(f, 0x10, EINJ_SETWA_FLAG_MEM, 0, 0x41000000, 0);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_BEGIN);
	wr(f->e, EINJ_REG_ERROR_TYPE, 4, 0x8);
	assert_int_equal(rd(f->e, EINJ_REG_ERROR_TYPE, 4), 0x8);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_EXECUTE);
	assert_int_equal(rd(f->e, EINJ_REG_STATUS, 4), EINJ_STATUS_SUCCESS);
	assert_int_equal(f->records, 1);
	assert_int_equal(f->poisons, 0);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_BEGIN);
	assert_int_equal(rd(f->e, EINJ_REG_ERROR_TYPE, 4), 0);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_EXECUTE);
	assert_int_equal(f->poisons, 1);
}

/* EXECUTE outside BEGIN..END, after a reset, or while another runs. */
static void test_state_machine(void **state)
{
	struct fake *f = *state;

	guest_setwa(f, 0x10, EINJ_SETWA_FLAG_MEM, 0, 0x41000000, 0);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_EXECUTE);	/* no BEGIN */
	assert_int_equal(rd(f->e, EINJ_REG_STATUS, 4), EINJ_STATUS_INVALID_ACCESS);
	assert_int_equal(f->poisons, 0);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_BEGIN);
	assert_int_equal(rd(f->e, EINJ_REG_STATUS, 4), EINJ_STATUS_SUCCESS);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_END);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_EXECUTE);	/* after END */
	assert_int_equal(rd(f->e, EINJ_REG_STATUS, 4), EINJ_STATUS_INVALID_ACCESS);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_BEGIN);
	einj_reset(f->e);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_EXECUTE);	/* after a reset */
	assert_int_equal(rd(f->e, EINJ_REG_STATUS, 4), EINJ_STATUS_INVALID_ACCESS);
	assert_int_equal(f->poisons, 0);

	/* Busy while the injection runs; a nested EXECUTE is not run. */
	f->peek = true;
	assert_int_equal(inject(f), EINJ_STATUS_SUCCESS);
	assert_int_equal(f->busy_seen, EINJ_BUSY_BIT);
	assert_int_equal(f->poisons, 1);
	assert_int_equal(rd(f->e, EINJ_REG_BUSY, 4), 0);
}

/* No parameter area yet (firmware has not placed etc/hardware_errors):
 * no trigger table, memory types refused. Area outside RAM: likewise. */
static void test_no_param_area(void **state)
{
	struct fake *f = *state;

	f->area = 0;
	assert_int_equal(rd(f->e, EINJ_REG_TRIGGER, 8), 0);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_BEGIN);
	wr(f->e, EINJ_REG_ERROR_TYPE, 4, 0x10);
	wr(f->e, EINJ_REG_OPERATION, 8, EINJ_OP_EXECUTE);
	assert_int_equal(rd(f->e, EINJ_REG_STATUS, 4), EINJ_STATUS_INVALID_ACCESS);
	f->area = RAM_LO + RAM_LEN - 8;	/* structure runs off RAM */
	assert_int_equal(inject(f), EINJ_STATUS_INVALID_ACCESS);
	assert_int_equal(f->poisons, 0);
}

static void test_bad_accesses(void **state)
{
	struct fake *f = *state;
	uint64_t v;

	assert_int_equal(einj_bus_ops.read(f->e, EINJ_REG_STATUS + 2, 4, &v), -EINVAL);
	assert_int_equal(einj_bus_ops.write(f->e, EINJ_REG_OPERATION, 8, 7), -EINVAL);
	assert_int_equal(einj_bus_ops.write(f->e, EINJ_REG_SUPPORTED, 4, 0xff), -EINVAL);
	assert_int_equal(einj_bus_ops.write(f->e, EINJ_REG_ERROR_TYPE + 4, 4, 1), -EINVAL);
	assert_int_equal(einj_bus_ops.write(f->e, EINJ_REG_STATUS, 4, 0), -EINVAL);
	assert_int_equal(rd(f->e, EINJ_REG_SUPPORTED, 4), 0x38);	/* unchanged */
	assert_int_equal(rd(f->e, 0x38, 8), 0);	/* past the registers: zero */
	assert_int_equal(einj_bus_ops.sizes, BUS_SIZE_4 | BUS_SIZE_8);
}

static void test_class_needs_hooks(void **state)
{
	struct device d = { .cls = &einj_class, .base = REGS, .size = MEMMAP_EINJ_SIZE, .spi = -1 };
	struct dev_env env = { 0 };
	struct dev_stats st = { 0 };

	assert_int_equal(einj_class.create(&d, &env), -EINVAL);
	assert_null(d.opaque);
	env.einj_ops = &mem_ops;
	env.einj_opaque = *state;
	assert_int_equal(einj_class.create(&d, &env), 0);
	assert_non_null(d.opaque);
	einj_class.stats(&d, &st);
	assert_int_equal(st.ncounters, 3);
	assert_string_equal(st.c[0].name, "injected");
	assert_null(einj_class.fdt);
	assert_null(einj_class.dsdt);
	einj_class.destroy(&d);
	assert_true(EINJ_REGS_SIZE <= MEMMAP_EINJ_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_bytes),
		cmocka_unit_test(test_param_area),
		cmocka_unit_test(test_in_acpi_build),
		cmocka_unit_test_setup_teardown(test_supported_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supported_types_with_proc, setup_all, teardown),
		cmocka_unit_test_setup_teardown(test_uncorrectable_poisons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_correctable_and_fatal_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_address_and_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_error_type_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_param_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class_needs_hooks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
