/* Golden check of the ACPI tables with ACPICA's iasl: every table (after
 * acpi_build_link() has run the loader script) is written to a temp dir
 * as SIG.dat and disassembled with `iasl -d`; any error, warning, checksum
 * or length complaint fails. HEST/DSDT/MADT/FADT disassemblies are grepped
 * for the expected fields, and the DSDT is recompiled and compared. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acpi/tables.h"
#include "board.h"
#include "util.h"

struct iasl_ctx {
	char dir[64];
	struct acpi_build b;
	unsigned ncpus;
};

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return buf;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Build for ncpus with RAS, link at fake addresses, write SIG.dat files. */
static int setup_n(void **state, unsigned ncpus)
{
	const struct vm_config vc = { .firmware = "QEMU_EFI.fd", .ncpus = ncpus, .ras = true };
	static struct devlist devs;
	struct acpi_config cfg = { .ncpus = ncpus, .ram_base = 0x40000000,
				   .ram_size = 1ull << 30, .ras = true, .devs = &devs };
	struct acpi_link lk = { 0x000F0000, 0x7E000000, 0x7D000000, 0 };
	struct iasl_ctx *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c)
		return -1;
	c->ncpus = ncpus;
	snprintf(c->dir, sizeof(c->dir), "/tmp/mvr-iasl-XXXXXX");
	if (board_describe(&vc, &devs) || !mkdtemp(c->dir) || acpi_build(&cfg, &c->b) || acpi_build_link(&c->b, &lk)) {
		free(c);
		return -1;
	}
	for (i = 0; i < c->b.ntables; i++) {
		const char *sig;
		size_t len;
		const uint8_t *t = acpi_build_table(&c->b, i, &sig, &len);
		char path[128];

		snprintf(path, sizeof(path), "%s/%s.dat", c->dir, sig);
		write_file(path, t, len);
	}
	*state = c;
	return 0;
}

static int setup_2cpu(void **state) { return setup_n(state, 2); }
static int setup_16cpu(void **state) { return setup_n(state, 17); }

static int teardown(void **state)
{
	struct iasl_ctx *c = *state;
	char cmd[128];

	if (!c)
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", c->dir);
	acpi_build_free(&c->b);
	free(c);
	return 0;
}

static bool have_iasl(void)
{
	return system("command -v iasl >/dev/null 2>&1") == 0;
}

/* Disassemble SIG.dat; fail on a non-zero exit or any complaint. Returns
 * the .dsl text (caller frees). */
static char *disassemble(const struct iasl_ctx *c, const char *sig)
{
	char cmd[256], path[128];
	char *log, *dsl;
	int rc;

	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat > %s.log 2>&1",
		 c->dir, sig, sig);
	rc = system(cmd);
	snprintf(path, sizeof(path), "%s/%s.log", c->dir, sig);
	log = read_file(path, NULL);
	assert_non_null(log);
	if (rc != 0 || strstr(log, "Error") || strstr(log, "Warning") ||
	    strstr(log, "checksum") || strstr(log, "too long") ||
	    strstr(log, "does not contain a valid"))
		fail_msg("iasl -d %s.dat (rc %d) complained:\n%s", sig, rc, log);
	free(log);
	snprintf(path, sizeof(path), "%s/%s.dsl", c->dir, sig);
	dsl = read_file(path, NULL);
	assert_non_null(dsl);
	if (strstr(dsl, "Incorrect checksum") || strstr(dsl, "**** ") ||
	    strstr(dsl, "Invalid") || strstr(dsl, "Unknown"))
		fail_msg("%s.dsl flags a problem:\n%s", sig, dsl);
	return dsl;
}

static void test_all_tables_disassemble_cleanly(void **state)
{
	struct iasl_ctx *c = *state;
	unsigned i;

	if (!have_iasl()) {
		fprintf(stderr, "iasl not in PATH (Debian: acpica-tools): skipping\n");
		skip();
	}
	assert_true(c->b.ntables >= 7);
	for (i = 0; i < c->b.ntables; i++)
		free(disassemble(c, c->b.table[i].sig));
}

static void test_hest_fields(void **state)
{
	struct iasl_ctx *c = *state;
	const unsigned n = c->ncpus + 3;	/* + async, polled, GSIV */
	char *dsl;

	if (!have_iasl()) {
		fprintf(stderr, "iasl not in PATH (Debian: acpica-tools): skipping\n");
		skip();
	}
	dsl = disassemble(c, "HEST");
	assert_int_equal(count(dsl, "Subtable Type : 000A [Generic Hardware Error Source V2]"), n);
	assert_int_equal(count(dsl, "Related Source Id : FFFF"), n);
	assert_int_equal(count(dsl, "Enabled : 01"), n);
	assert_int_equal(count(dsl, "Records To Preallocate : 00000001"), n);
	assert_int_equal(count(dsl, "Max Sections Per Record : 00000001"), n);
	assert_int_equal(count(dsl, "Max Raw Data Length : 00001000"), n);
	assert_int_equal(count(dsl, "Space ID : 00 [SystemMemory]"), 2 * n);
	assert_int_equal(count(dsl, "Bit Width : 40"), 2 * n);
	assert_int_equal(count(dsl, "Encoded Access Width : 04 [QWord Access:64]"), 2 * n);
	assert_int_equal(count(dsl, "Notify Type : 08 [SEA]"), c->ncpus);
	assert_int_equal(count(dsl, "Notify Type : 07 [GPIO]"), 1);
	assert_int_equal(count(dsl, "Notify Type : 00 [Polled]"), 1);
	assert_int_equal(count(dsl, "PollInterval : 000003E8"), 1);
	assert_int_equal(count(dsl, "Notify Type : 0A [GSIV]"), 1);
	assert_int_equal(count(dsl, "Vector : 00000025"), 1);
	assert_int_equal(count(dsl, "Notify Length : 1C"), n);
	assert_int_equal(count(dsl, "Error Status Block Length : 00001000"), n);
	assert_int_equal(count(dsl, "Read Ack Preserve : FFFFFFFFFFFFFFFE"), n);
	assert_int_equal(count(dsl, "Read Ack Write : 0000000000000001"), n);
	/* Linked addresses: slot 0 at the blob base, ack slot 0 at 8N. */
	assert_non_null(strstr(dsl, "Address : 000000007D000000"));
	{
		char want[64];

		snprintf(want, sizeof(want), "Address : %016llX",
			 0x7D000000ull + 8ull * n);
		assert_non_null(strstr(dsl, want));
	}
	free(dsl);
}

/* EINJ: every action of ACPI 6.5 section 18.6.2 once, registers in the
 * EINJ block, the SET_ERROR_TYPE_WITH_ADDRESS structure linked into
 * etc/hardware_errors (at 0x7D000000 here) past the GHES part. */
static void test_einj_fields(void **state)
{
	static const char *const actions[] = {
		"Action : 00 [Begin Operation]", "Action : 01 [Get Trigger Table]",
		"Action : 02 [Set Error Type]", "Action : 03 [Get Error Type]",
		"Action : 04 [End Operation]", "Action : 05 [Execute Operation]",
		"Action : 06 [Check Busy Status]", "Action : 07 [Get Command Status]",
		"Action : 08 [Set Error Type With Address]",
	};
	struct iasl_ctx *c = *state;
	char want[64];
	unsigned i;
	char *dsl;

	if (!have_iasl()) {
		fprintf(stderr, "iasl not in PATH (Debian: acpica-tools): skipping\n");
		skip();
	}
	dsl = disassemble(c, "EINJ");
	assert_non_null(strstr(dsl, "Injection Header Length : 00000030"));
	assert_non_null(strstr(dsl, "Injection Entry Count : 00000009"));
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		assert_int_equal(count(dsl, actions[i]), 1);
	assert_int_equal(count(dsl, "Instruction : 03 [Write Register Value]"), 3);
	assert_int_equal(count(dsl, "Address : 0000000009050000"), 3);	/* BEGIN, END, EXECUTE */
	assert_int_equal(count(dsl, "Space ID : 00 [SystemMemory]"), 9);
	snprintf(want, sizeof(want), "Address : %016llX",
		 0x7D000000ull + (unsigned long long)c->b.einj_param_off);
	assert_int_equal(count(dsl, want), 1);
	free(dsl);
}

static void test_other_tables_fields(void **state)
{
	struct iasl_ctx *c = *state;
	char *dsl;

	if (!have_iasl()) {
		fprintf(stderr, "iasl not in PATH (Debian: acpica-tools): skipping\n");
		skip();
	}
	dsl = disassemble(c, "APIC");
	assert_int_equal(count(dsl, "[Generic Interrupt Controller]"), c->ncpus);
	assert_int_equal(count(dsl, "[Generic Interrupt Distributor]"), 1);
	assert_int_equal(count(dsl, "[Generic Interrupt Redistributor]"), 1);
	if (c->ncpus > 16)
		assert_non_null(strstr(dsl, "ARM MPIDR : 0000000000000100"));
	free(dsl);

	dsl = disassemble(c, "FACP");
	assert_non_null(strstr(dsl, "Hardware Reduced (V5) : 1"));
	assert_non_null(strstr(dsl, "PSCI Compliant : 1"));
	assert_non_null(strstr(dsl, "Must use HVC for PSCI : 1"));
	assert_non_null(strstr(dsl, "DSDT Address : 000000007E000000"));
	free(dsl);

	dsl = disassemble(c, "GTDT");
	assert_non_null(strstr(dsl, "Virtual Timer Interrupt : 0000001B"));
	free(dsl);

	dsl = disassemble(c, "SPCR");
	assert_non_null(strstr(dsl, "Interface Type : 03"));
	assert_non_null(strstr(dsl, "Address : 0000000009000000"));
	free(dsl);

	dsl = disassemble(c, "DSDT");
	assert_non_null(strstr(dsl, "Name (_HID, \"ARMH0011\")"));
	assert_non_null(strstr(dsl, "Name (_HID, \"QEMU0002\")"));
	assert_non_null(strstr(dsl, "Name (_HID, \"ACPI0013\""));
	assert_non_null(strstr(dsl, "EisaId (\"PNP0C33\")"));
	assert_non_null(strstr(dsl, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )"));
	assert_non_null(strstr(dsl, "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, )"));
	assert_non_null(strstr(dsl, "0x00000023,"));
	assert_non_null(strstr(dsl, "Method (_EVT, 1, Serialized)"));
	assert_non_null(strstr(dsl, "Notify (\\_SB.HED0, 0x80)"));
	free(dsl);
}

/* iasl recompiles our disassembled DSDT to the same AML body (-oa: no
 * name-path or integer optimisation, so byte-for-byte comparable). */
static void test_dsdt_roundtrip(void **state)
{
	struct iasl_ctx *c = *state;
	const struct acpi_table_ref *r = acpi_build_find(&c->b, "DSDT");
	char cmd[256], path[128];
	char *aml, *dsl;
	size_t len = 0;
	int rc;

	if (!have_iasl()) {
		fprintf(stderr, "iasl not in PATH (Debian: acpica-tools): skipping\n");
		skip();
	}
	dsl = disassemble(c, "DSDT");
	free(dsl);
	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -oa -p rt DSDT.dsl > rt.log 2>&1", c->dir);
	rc = system(cmd);
	snprintf(path, sizeof(path), "%s/rt.aml", c->dir);
	aml = read_file(path, &len);
	if (rc != 0 || !aml) {
		snprintf(path, sizeof(path), "%s/rt.log", c->dir);
		dsl = read_file(path, NULL);
		fail_msg("iasl could not recompile DSDT.dsl (rc %d):\n%s", rc, dsl ? dsl : "");
	}
	assert_int_equal(len, r->len);
	/* Bodies equal (the header's compiler id/revision differ). */
	assert_memory_equal(aml + 36, c->b.tables.data + r->offset + 36, r->len - 36);
	free(aml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_all_tables_disassemble_cleanly,
						setup_2cpu, teardown),
		cmocka_unit_test_setup_teardown(test_hest_fields, setup_2cpu, teardown),
		cmocka_unit_test_setup_teardown(test_hest_fields, setup_16cpu, teardown),
		cmocka_unit_test_setup_teardown(test_einj_fields, setup_2cpu, teardown),
		cmocka_unit_test_setup_teardown(test_einj_fields, setup_16cpu, teardown),
		cmocka_unit_test_setup_teardown(test_other_tables_fields, setup_2cpu, teardown),
		cmocka_unit_test_setup_teardown(test_other_tables_fields, setup_16cpu, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt_roundtrip, setup_2cpu, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt_roundtrip, setup_16cpu, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
