/* Unit tests for vmm/dump.c: dump-dtb's notes for each boot mode, the
 * text of dump-acpi's placeholder note, and dump-acpi's directory rules
 * (created when missing, refused when not empty, --force deletes only the
 * *.dat files) on a real temporary directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dump.h"
#include "log.h"

static void test_dtb_notes(void **state)
{
	char notes[DUMP_DTB_NOTES][DUMP_NOTE_MAX];
	struct vm_config cfg = { .firmware = "fw.fd" };

	/* Firmware boot: one line, /chosen's boot-time addresses. */
	assert_int_equal(dump_dtb_notes(&cfg, notes), 1);
	assert_non_null(strstr(notes[0], "note: firmware boot: the initrd and UEFI table addresses in /chosen are assigned at boot"));
	/* Direct boot with a kernel: every address is real, nothing to say. */
	cfg = (struct vm_config){ .kernel = "Image", .initrd = "initrd" };
	assert_int_equal(dump_dtb_notes(&cfg, notes), 0);
	/* Direct boot, --initrd without --kernel: why it is left out. */
	cfg = (struct vm_config){ .initrd = "initrd" };
	assert_int_equal(dump_dtb_notes(&cfg, notes), 1);
	assert_string_equal(notes[0], "note: --initrd is left out of the device tree: in direct boot the initrd is placed after the kernel, so its address needs --kernel");
	/* Firmware boot, --initrd without --kernel: both lines. */
	cfg = (struct vm_config){ .firmware = "fw.fd", .initrd = "initrd" };
	assert_int_equal(dump_dtb_notes(&cfg, notes), 2);
	assert_non_null(strstr(notes[0], "note: firmware boot:"));
	assert_non_null(strstr(notes[1], "note: --initrd is left out: without --kernel"));
}

static void test_acpi_note(void **state)
{
	char buf[DUMP_NOTE_MAX];

	dump_acpi_note(false, false, 0x5c481000, 0x5c450000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "placeholders in this dump"));
	assert_non_null(strstr(buf, "etc/acpi/tables at 0x5c481000"));
	assert_null(strstr(buf, "HEST"));
	assert_null(strstr(buf, "0x5c450000"));
	dump_acpi_note(true, false, 0x5c481000, 0x5c450000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "; HEST's error-status and read-ack addresses assume etc/hardware_errors at 0x5c450000"));
	dump_acpi_note(true, true, 0x1000, 0x2000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "and EINJ's parameter address assume etc/hardware_errors at 0x2000"));
	assert_non_null(strstr(buf, "etc/acpi/tables at 0x1000"));
	/* The longest note still fits one log line (512 bytes). */
	assert_true(strlen(buf) + strlen("microvm-ras: \n") < 512);
	assert_true(strlen(buf) < sizeof(buf) - 1);
}

static void test_is_table_file(void **state)
{
	assert_true(dump_is_table_file("HEST.dat"));
	assert_true(dump_is_table_file("x.dat"));
	assert_false(dump_is_table_file(".dat"));
	assert_false(dump_is_table_file("HEST.dsl"));
	assert_false(dump_is_table_file("dat"));
	assert_false(dump_is_table_file("notes.dat.txt"));
}

static void touch(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
}

static bool exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static void test_acpi_dir(void **state)
{
	char base[] = "/tmp/test_dump.XXXXXX", dir[64], path[128];

	assert_non_null(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/tables", base);
	/* Missing: created. Empty: used. */
	assert_int_equal(dump_acpi_dir(dir, false), 0);
	assert_true(exists(base, "tables"));
	assert_int_equal(dump_acpi_dir(dir, false), 0);
	/* A stale table from an earlier dump: refused, nothing deleted. */
	touch(dir, "HEST.dat");
	touch(dir, "HEST.dsl");
	assert_int_equal(dump_acpi_dir(dir, false), -ENOTEMPTY);
	assert_true(exists(dir, "HEST.dat"));
	/* --force: the *.dat files go, others stay. */
	assert_int_equal(dump_acpi_dir(dir, true), 0);
	assert_false(exists(dir, "HEST.dat"));
	assert_true(exists(dir, "HEST.dsl"));
	/* A file in place of the directory. */
	snprintf(path, sizeof(path), "%s/file", base);
	touch(base, "file");
	assert_int_equal(dump_acpi_dir(path, true), -ENOTDIR);

	unlink(path);
	snprintf(path, sizeof(path), "%s/HEST.dsl", dir);
	unlink(path);
	rmdir(dir);
	rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtb_notes),
		cmocka_unit_test(test_acpi_note),
		cmocka_unit_test(test_is_table_file),
		cmocka_unit_test(test_acpi_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
