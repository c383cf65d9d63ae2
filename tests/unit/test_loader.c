/* Unit tests for the linker/loader builder (vmm/fwcfg/loader.c): exact
 * 128-byte encodings of each command, against the layout edk2's
 * QemuFwCfgAcpi.c reads, and rejection of arguments edk2 would refuse;
 * and for the offline interpreter (vmm/fwcfg/loader_exec.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fwcfg/loader.h"
#include "fwcfg/loader_exec.h"
#include "util.h"

/* Expected entry, built by hand field by field. */
static void expect_name(uint8_t *e, size_t off, const char *name)
{
	memcpy(e + off, name, strlen(name));
}

static const uint8_t *only_entry(struct loader *l)
{
	size_t len = 0;
	const uint8_t *p = loader_bytes(l, &len);

	assert_int_equal(len, LOADER_ENTRY_SIZE);
	assert_non_null(p);
	return p;
}

static void test_allocate_encoding(void **state)
{
	struct loader *l = loader_create();
	uint8_t want[LOADER_ENTRY_SIZE] = { 0 };

	assert_non_null(l);
	assert_int_equal(loader_allocate(l, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG), 0);
	put_le32(want, 1);			/* command ALLOCATE */
	expect_name(want, 4, "etc/acpi/rsdp");	/* file[56] */
	put_le32(want + 60, 16);		/* align */
	want[64] = 2;				/* zone FSEG */
	assert_memory_equal(only_entry(l), want, LOADER_ENTRY_SIZE);
	loader_destroy(l);
}

static void test_add_pointer_encoding(void **state)
{
	struct loader *l = loader_create();
	uint8_t want[LOADER_ENTRY_SIZE] = { 0 };

	assert_non_null(l);
	assert_int_equal(loader_add_pointer(l, "etc/acpi/tables", "etc/hardware_errors",
					    0x1234, 8), 0);
	put_le32(want, 2);				/* command ADD_POINTER */
	expect_name(want, 4, "etc/acpi/tables");	/* dest */
	expect_name(want, 60, "etc/hardware_errors");	/* src */
	put_le32(want + 116, 0x1234);			/* offset */
	want[120] = 8;					/* size */
	assert_memory_equal(only_entry(l), want, LOADER_ENTRY_SIZE);
	loader_destroy(l);
}

static void test_add_checksum_encoding(void **state)
{
	struct loader *l = loader_create();
	uint8_t want[LOADER_ENTRY_SIZE] = { 0 };

	assert_non_null(l);
	assert_int_equal(loader_add_checksum(l, "etc/acpi/tables", 0x49, 0x40, 0x114), 0);
	put_le32(want, 3);				/* command ADD_CHECKSUM */
	expect_name(want, 4, "etc/acpi/tables");	/* file */
	put_le32(want + 60, 0x49);			/* result offset */
	put_le32(want + 64, 0x40);			/* start */
	put_le32(want + 68, 0x114);			/* length */
	assert_memory_equal(only_entry(l), want, LOADER_ENTRY_SIZE);
	loader_destroy(l);
}

static void test_write_pointer_encoding(void **state)
{
	struct loader *l = loader_create();
	uint8_t want[LOADER_ENTRY_SIZE] = { 0 };

	assert_non_null(l);
	assert_int_equal(loader_write_pointer(l, "etc/hardware_errors_addr",
					      "etc/hardware_errors", 0, 0x10, 8), 0);
	put_le32(want, 4);					/* WRITE_POINTER */
	expect_name(want, 4, "etc/hardware_errors_addr");	/* dest */
	expect_name(want, 60, "etc/hardware_errors");		/* src */
	put_le32(want + 116, 0);				/* dst offset */
	put_le32(want + 120, 0x10);				/* src offset */
	want[124] = 8;						/* size */
	assert_memory_equal(only_entry(l), want, LOADER_ENTRY_SIZE);
	loader_destroy(l);
}

static void test_many_entries_in_order(void **state)
{
	struct loader *l = loader_create();
	const uint8_t *p;
	size_t len = 0;
	unsigned i;

	assert_non_null(l);
	for (i = 0; i < 100; i++)
		assert_int_equal(loader_add_pointer(l, "a", "b", i, 4), 0);
	p = loader_bytes(l, &len);
	assert_int_equal(len, 100 * LOADER_ENTRY_SIZE);
	for (i = 0; i < 100; i++) {
		assert_int_equal(get_le32(p + i * LOADER_ENTRY_SIZE), LOADER_CMD_ADD_POINTER);
		assert_int_equal(get_le32(p + i * LOADER_ENTRY_SIZE + 116), i);
	}
	loader_destroy(l);
}

static void test_rejects_bad_args(void **state)
{
	struct loader *l = loader_create();
	char name55[56], name56[57];
	size_t len = 1;

	assert_non_null(l);
	memset(name55, 'x', 55);
	name55[55] = '\0';
	memset(name56, 'y', 56);
	name56[56] = '\0';

	/* Names: 55 chars fit with the NUL, 56 do not; empty/NULL refused. */
	assert_int_equal(loader_allocate(l, name56, 8, LOADER_ZONE_HIGH), -EINVAL);
	assert_int_equal(loader_allocate(l, "", 8, LOADER_ZONE_HIGH), -EINVAL);
	assert_int_equal(loader_allocate(l, NULL, 8, LOADER_ZONE_HIGH), -EINVAL);
	assert_int_equal(loader_add_pointer(l, name56, "b", 0, 8), -EINVAL);
	assert_int_equal(loader_add_pointer(l, "a", name56, 0, 8), -EINVAL);
	assert_int_equal(loader_add_checksum(l, name56, 0, 0, 1), -EINVAL);
	assert_int_equal(loader_write_pointer(l, name56, "b", 0, 0, 8), -EINVAL);
	assert_int_equal(loader_write_pointer(l, "a", name56, 0, 0, 8), -EINVAL);

	/* Alignment: power of two, at most 4096. */
	assert_int_equal(loader_allocate(l, "f", 3, LOADER_ZONE_HIGH), -EINVAL);
	assert_int_equal(loader_allocate(l, "f", 0, LOADER_ZONE_HIGH), -EINVAL);
	assert_int_equal(loader_allocate(l, "f", 8192, LOADER_ZONE_HIGH), -EINVAL);
	/* Zone: HIGH or FSEG only. */
	assert_int_equal(loader_allocate(l, "f", 8, 0), -EINVAL);
	assert_int_equal(loader_allocate(l, "f", 8, 3), -EINVAL);

	/* Pointer sizes 1, 2, 4, 8 only. */
	assert_int_equal(loader_add_pointer(l, "a", "b", 0, 3), -EINVAL);
	assert_int_equal(loader_add_pointer(l, "a", "b", 0, 0), -EINVAL);
	assert_int_equal(loader_add_pointer(l, "a", "b", 0, 16), -EINVAL);
	assert_int_equal(loader_write_pointer(l, "a", "b", 0, 0, 3), -EINVAL);

	/* Checksum range must not wrap. */
	assert_int_equal(loader_add_checksum(l, "f", 0, 0xFFFFFFF0u, 0x20), -EINVAL);

	/* Nothing was appended by the failures. */
	loader_bytes(l, &len);
	assert_int_equal(len, 0);

	/* Boundary values that are fine. */
	assert_int_equal(loader_allocate(l, name55, 4096, LOADER_ZONE_HIGH), 0);
	assert_int_equal(loader_allocate(l, "g", 1, LOADER_ZONE_HIGH), 0);
	assert_int_equal(loader_add_pointer(l, "a", "b", 0, 1), 0);
	assert_int_equal(loader_add_pointer(l, "a", "b", 0, 2), 0);
	loader_bytes(l, &len);
	assert_int_equal(len, 4 * LOADER_ENTRY_SIZE);
	/* The 55-char name is NUL-terminated inside its field. */
	assert_int_equal(loader_bytes(l, &len)[4 + 55], 0);
	loader_destroy(l);
}

/* ---- the offline loader interpreter ---- */

static void test_loader_exec(void **state)
{
	struct loader *l = loader_create();
	uint8_t a[32] = { 0 }, t[16] = { 0 };
	struct loader_file f[] = {
		{ "a", a, sizeof(a), 0x1000, false },
		{ "t", t, sizeof(t), 0x8000, false },
		{ "wp", NULL, 8, 0, false },
	};
	const uint8_t *s;
	uint64_t wp = 1;
	size_t len;
	uint8_t sum = 0;
	unsigned i;

	assert_non_null(l);
	put_le32(a + 4, 8);	/* pointer field: offset 8 into t */
	a[20] = 0x55;
	assert_int_equal(loader_allocate(l, "a", 16, LOADER_ZONE_HIGH), 0);
	assert_int_equal(loader_allocate(l, "t", 16, LOADER_ZONE_HIGH), 0);
	assert_int_equal(loader_add_pointer(l, "a", "t", 4, 4), 0);
	assert_int_equal(loader_add_checksum(l, "a", 0, 0, sizeof(a)), 0);
	assert_int_equal(loader_write_pointer(l, "wp", "t", 0, 4, 8), 0);
	s = loader_bytes(l, &len);
	assert_int_equal(loader_exec(s, len, f, ARRAY_SIZE(f), &wp), 0);
	assert_int_equal(get_le32(a + 4), 0x8008);
	for (i = 0; i < sizeof(a); i++)
		sum = (uint8_t)(sum + a[i]);
	assert_int_equal(sum, 0);
	assert_int_equal(wp, 0x8004);
	assert_true(f[0].allocated && f[1].allocated);

	/* A partial entry, an unknown file, a second ALLOCATE. */
	assert_int_equal(loader_exec(s, len - 1, f, ARRAY_SIZE(f), &wp), -EINVAL);
	f[0].allocated = f[1].allocated = false;
	assert_int_equal(loader_exec(s, len, f, 1, &wp), -EINVAL);
	f[0].allocated = f[1].allocated = false;
	assert_int_equal(loader_exec(s, LOADER_ENTRY_SIZE, f, ARRAY_SIZE(f), &wp), 0);
	assert_int_equal(loader_exec(s, LOADER_ENTRY_SIZE, f, ARRAY_SIZE(f), &wp), -EINVAL);
	loader_destroy(l);

	/* A pointer value past its source blob is refused. */
	l = loader_create();
	assert_non_null(l);
	memset(a, 0, sizeof(a));
	put_le32(a, sizeof(t));
	f[0].allocated = f[1].allocated = false;
	assert_int_equal(loader_allocate(l, "a", 16, LOADER_ZONE_HIGH), 0);
	assert_int_equal(loader_allocate(l, "t", 16, LOADER_ZONE_HIGH), 0);
	assert_int_equal(loader_add_pointer(l, "a", "t", 0, 4), 0);
	s = loader_bytes(l, &len);
	assert_int_equal(loader_exec(s, len, f, ARRAY_SIZE(f), &wp), -EINVAL);
	loader_destroy(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocate_encoding),
		cmocka_unit_test(test_add_pointer_encoding),
		cmocka_unit_test(test_add_checksum_encoding),
		cmocka_unit_test(test_write_pointer_encoding),
		cmocka_unit_test(test_many_entries_in_order),
		cmocka_unit_test(test_rejects_bad_args),
		cmocka_unit_test(test_loader_exec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
