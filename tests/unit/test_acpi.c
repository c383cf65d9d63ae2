/* Unit tests for the ACPI builders (vmm/acpi/): byte builder, AML encoder,
 * the tables and HEST/etc/hardware_errors layout. An independent loader
 * interpreter below runs etc/table-loader like edk2 (blobs at fake
 * addresses) and checks command order, checksums and every pointer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acpi/aml.h"
#include "acpi/einj.h"
#include "acpi/hest.h"
#include "acpi/table.h"
#include "acpi/tables.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/mpidr.h"
#include "board.h"
#include "fwcfg/loader.h"
#include "util.h"

#define SIM_RSDP_ADDR   0x000F0000ull
#define SIM_TABLES_ADDR 0x7E000000ull
#define SIM_HWERR_ADDR  0x7D000000ull

/* ---- a tiny, independent linker/loader interpreter ---- */

struct sim_file {
	const char *name;
	uint8_t *data;		/* copy of the blob; NULL for the fw_cfg file */
	size_t len;
	uint64_t addr;
	bool allocated;
	uint8_t *checksummed;	/* per byte: covered by an ADD_CHECKSUM already */
};

struct sim {
	struct sim_file f[4];
	uint8_t hw_errors_addr[8];	/* the writable fw_cfg file */
	unsigned n_alloc, n_ptr, n_csum, n_wp;
};

static void sim_add(struct sim *s, unsigned i, const char *name, const struct acpi_blob *b,
		    uint64_t addr)
{
	s->f[i].name = name;
	s->f[i].len = b->len;
	s->f[i].addr = addr;
	s->f[i].data = malloc(b->len);
	s->f[i].checksummed = calloc(1, b->len);
	assert_non_null(s->f[i].data);
	assert_non_null(s->f[i].checksummed);
	memcpy(s->f[i].data, b->data, b->len);
}

static void sim_init(struct sim *s, const struct acpi_build *b)
{
	memset(s, 0, sizeof(*s));
	sim_add(s, 0, "etc/acpi/rsdp", &b->rsdp, SIM_RSDP_ADDR);
	sim_add(s, 1, "etc/acpi/tables", &b->tables, SIM_TABLES_ADDR);
	if (b->hw_errors.len)
		sim_add(s, 2, "etc/hardware_errors", &b->hw_errors, SIM_HWERR_ADDR);
}

static void sim_free(struct sim *s)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(s->f); i++) {
		free(s->f[i].data);
		free(s->f[i].checksummed);
	}
}

static struct sim_file *sim_file(struct sim *s, const uint8_t *name)
{
	unsigned i;

	assert_non_null(memchr(name, 0, 56));	/* NUL-terminated in its field */
	for (i = 0; i < ARRAY_SIZE(s->f); i++)
		if (s->f[i].name && strcmp(s->f[i].name, (const char *)name) == 0)
			return &s->f[i];
	fail_msg("loader names unknown file '%s'", (const char *)name);
	return NULL;
}

/* Run the script; checks edk2's constraints and our ordering rules. */
static void sim_run(struct sim *s, const struct acpi_blob *loader)
{
	size_t i, k;

	assert_int_equal(loader->len % 128, 0);
	for (i = 0; i < loader->len; i += 128) {
		const uint8_t *e = loader->data + i;
		struct sim_file *a, *src;
		uint32_t off, start, len;
		uint64_t v;
		uint8_t size;

		switch (get_le32(e)) {
		case 1:	/* ALLOCATE: all come first */
			assert_int_equal(s->n_ptr + s->n_csum + s->n_wp, 0);
			a = sim_file(s, e + 4);
			assert_false(a->allocated);
			assert_true(get_le32(e + 60) <= 4096);
			assert_true(e[64] == 1 || e[64] == 2);
			a->allocated = true;
			s->n_alloc++;
			break;
		case 2:	/* ADD_POINTER: before any checksum covering it */
			assert_int_equal(s->n_wp, 0);
			a = sim_file(s, e + 4);
			src = sim_file(s, e + 60);
			off = get_le32(e + 116);
			size = e[120];
			assert_true(a->allocated && src->allocated);
			assert_int_equal(size, 8);
			assert_true(range_within(off, size, 0, a->len));
			for (k = 0; k < size; k++)
				assert_false(a->checksummed[off + k]);
			v = get_le64(a->data + off);
			assert_true(v < src->len);
			put_le64(a->data + off, v + src->addr);
			s->n_ptr++;
			break;
		case 3:	/* ADD_CHECKSUM: byte is 0 in the blob */
			assert_int_equal(s->n_wp, 0);
			a = sim_file(s, e + 4);
			off = get_le32(e + 60);
			start = get_le32(e + 64);
			len = get_le32(e + 68);
			assert_true(a->allocated);
			assert_true(range_within(start, len, 0, a->len));
			assert_true(off >= start && off < start + len);
			assert_int_equal(a->data[off], 0);
			a->data[off] = acpi_checksum8(a->data + start, len);
			memset(a->checksummed + start, 1, len);
			s->n_csum++;
			break;
		case 4:	/* WRITE_POINTER into etc/hardware_errors_addr */
			assert_string_equal((const char *)e + 4, "etc/hardware_errors_addr");
			src = sim_file(s, e + 60);
			assert_true(src->allocated);
			assert_int_equal(get_le32(e + 116), 0);
			assert_int_equal(e[124], 8);
			assert_true(get_le32(e + 120) < src->len);
			put_le64(s->hw_errors_addr, src->addr + get_le32(e + 120));
			s->n_wp++;
			break;
		default:
			fail_msg("unknown loader command %u", get_le32(e));
		}
	}
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* The simulated tables blob byte at guest address 'gpa' (must be inside). */
static const uint8_t *sim_tables_at(struct sim *s, uint64_t gpa, size_t need)
{
	assert_true(range_within(gpa, need, s->f[1].addr, s->f[1].len));
	return s->f[1].data + (gpa - s->f[1].addr);
}

/* The firmware-boot board of run --cpus ncpus [--ras]. */
static struct devlist board_devs;

static void build_ok(struct acpi_build *b, unsigned ncpus, bool ras)
{
	const struct vm_config vc = { .firmware = "QEMU_EFI.fd", .ncpus = ncpus, .ras = ras };
	struct acpi_config cfg = {
		.ncpus = ncpus, .ram_base = MEMMAP_RAM_BASE, .ram_size = 1ull << 30, .ras = ras,
		.devs = &board_devs,
	};

	assert_int_equal(board_describe(&vc, &board_devs), 0);
	assert_int_equal(acpi_build(&cfg, b), 0);
}

/* ---- table builder ---- */

static void test_table_header(void **state)
{
	struct acpi_buf b;
	struct acpi_blob blob;
	size_t start;
	static const uint8_t want[36] = {
		'T', 'E', 'S', 'T', 40, 0, 0, 0, 3, 0,
		'M', 'V', 'R', 'R', 'A', 'S',
		'M', 'I', 'C', 'R', 'O', 'V', 'M', ' ',
		1, 0, 0, 0, 'M', 'V', 'R', 'R', 1, 0, 0, 0,
	};

	acpi_buf_init(&b);
	acpi_buf_u8(&b, 0xAA);			/* something before: start != 0 */
	start = acpi_table_begin(&b, "TEST", 3);
	assert_int_equal(start, 1);
	acpi_buf_u32(&b, 0x11223344);
	assert_int_equal(acpi_table_end(&b, start), 40);
	assert_int_equal(acpi_buf_to_blob(&b, &blob), 0);
	assert_int_equal(blob.len, 41);
	assert_memory_equal(blob.data + 1, want, 36);
	assert_int_equal(get_le32(blob.data + 37), 0x11223344);
	acpi_table_set_checksum(blob.data + 1, 40);
	assert_int_equal(sum8(blob.data + 1, 40), 0);
	free(blob.data);
}

static void test_buf_fields_and_errors(void **state)
{
	struct acpi_buf b;
	static const uint8_t gas[12] = { 0, 64, 0, 4, 8, 7, 6, 5, 4, 3, 2, 1 };
	size_t off;

	acpi_buf_init(&b);
	acpi_buf_u16(&b, 0x0102);
	acpi_buf_u64(&b, 0x0807060504030201ull);
	acpi_buf_ascii(&b, "AB", 4);
	assert_int_equal(b.len, 14);
	assert_memory_equal(b.data, "\x02\x01\x01\x02\x03\x04\x05\x06\x07\x08" "AB  ", 14);
	acpi_buf_align(&b, 8);
	assert_int_equal(b.len, 16);
	off = acpi_buf_reserve(&b, 4);
	assert_int_equal(off, 16);
	acpi_buf_put_u32(&b, off, 0xCAFEF00D);
	assert_int_equal(get_le32(b.data + 16), 0xCAFEF00D);
	acpi_buf_gas(&b, ACPI_GAS_SYSTEM_MEMORY, 64, 0, ACPI_GAS_ACCESS_QWORD,
		     0x0102030405060708ull);
	assert_memory_equal(b.data + 20, gas, 12);
	acpi_buf_insert(&b, 0, "\xEE", 1);
	assert_int_equal(b.data[0], 0xEE);
	assert_int_equal(b.data[1], 0x02);
	assert_int_equal(acpi_buf_error(&b), 0);

	/* An out-of-range patch is a sticky error; later appends do nothing. */
	acpi_buf_put_u32(&b, b.len - 2, 1);
	assert_int_equal(acpi_buf_error(&b), -EINVAL);
	off = b.len;
	acpi_buf_u32(&b, 5);
	assert_int_equal(b.len, off);
	{
		struct acpi_blob blob = { NULL, 0 };

		assert_int_equal(acpi_buf_to_blob(&b, &blob), -EINVAL);
		assert_null(blob.data);
	}
	assert_null(b.data);
}

/* ---- AML encoder ---- */

static void test_aml_pkglength(void **state)
{
	uint8_t e[4];

	assert_int_equal(aml_pkglength_encode(e, 0), 1);
	assert_int_equal(e[0], 1);
	assert_int_equal(aml_pkglength_encode(e, 62), 1);
	assert_int_equal(e[0], 0x3F);
	/* 63 body bytes: total 65 = 0x41 in two bytes: 0x41 0x04 */
	assert_int_equal(aml_pkglength_encode(e, 63), 2);
	assert_int_equal(e[0], 0x41);
	assert_int_equal(e[1], 0x04);
	/* Largest two-byte: total 0xFFF */
	assert_int_equal(aml_pkglength_encode(e, 0xFFD), 2);
	assert_int_equal(e[0], 0x4F);
	assert_int_equal(e[1], 0xFF);
	assert_int_equal(aml_pkglength_encode(e, 0xFFE), 3);	/* total 0x1001 */
	assert_int_equal(e[0], 0x81);
	assert_int_equal(e[1], 0x00);
	assert_int_equal(e[2], 0x01);
	assert_int_equal(aml_pkglength_encode(e, 0x100000), 4); /* total 0x100004 */
	assert_int_equal(e[0], 0xC4);
	assert_int_equal(e[1], 0x00);
	assert_int_equal(e[2], 0x00);
	assert_int_equal(e[3], 0x01);
	assert_int_equal(aml_pkglength_encode(e, 1u << 28), -EINVAL);
}

static void test_aml_names_and_data(void **state)
{
	struct acpi_buf b;
	static const uint8_t want[] = {
		0x5C, 0x2E, '_', 'S', 'B', '_', 'H', 'E', 'D', '_',	/* \_SB.HED */
		'C', 'O', 'M', '0',					/* COM0 */
		0x2F, 3, '_', 'S', 'B', '_', 'A', '_', '_', '_', 'B', '_', '_', '_',
		0x00, 0x01, 0x0A, 0x23, 0x0B, 0x34, 0x12,
		0x0C, 0x78, 0x56, 0x34, 0x12,
		0x0E, 8, 7, 6, 5, 4, 3, 2, 1,
		0x0D, 'h', 'i', 0x00,
		0x0C, 0x41, 0xD0, 0x0C, 0x33,				/* EISAID PNP0C33 */
	};

	acpi_buf_init(&b);
	aml_namestring(&b, "\\_SB.HED");
	aml_namestring(&b, "COM0");
	aml_namestring(&b, "_SB.A.B");
	aml_integer(&b, 0);
	aml_integer(&b, 1);
	aml_integer(&b, 0x23);
	aml_integer(&b, 0x1234);
	aml_integer(&b, 0x12345678);
	aml_integer(&b, 0x0102030405060708ull);
	aml_string(&b, "hi");
	aml_eisaid(&b, "PNP0C33");
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(aml_eisaid_value("PNP0C33"), 0x330CD041);
	assert_int_equal(aml_eisaid_value("PNP0C3"), 0);
	assert_int_equal(aml_eisaid_value("pnp0C33"), 0);
	acpi_buf_free(&b);

	/* Invalid names are errors, not silently mangled. */
	acpi_buf_init(&b);
	aml_namestring(&b, "TOOLONG");
	assert_int_equal(acpi_buf_error(&b), -EINVAL);
	acpi_buf_free(&b);
	acpi_buf_init(&b);
	aml_namestring(&b, "1ABC");
	assert_int_equal(acpi_buf_error(&b), -EINVAL);
	acpi_buf_free(&b);
}

static void test_aml_resources(void **state)
{
	struct acpi_buf b;
	struct aml_mark m;
	static const uint8_t want[] = {
		0x11, 0x2C, 0x0A, 0x29,		/* Buffer, PkgLength 44, BufferSize 41 */
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x10, 0x00, 0x00,
		0x89, 0x06, 0x00, 0x01, 0x01, 0x21, 0x00, 0x00, 0x00,	/* level high */
		0x89, 0x06, 0x00, 0x03, 0x01, 0x23, 0x00, 0x00, 0x00,	/* edge high */
		0x89, 0x06, 0x00, 0x07, 0x01, 0x24, 0x00, 0x00, 0x00,	/* edge low */
		0x79, 0x00,						/* End Tag */
	};
	uint8_t q[46];

	acpi_buf_init(&b);
	m = aml_restemplate_begin(&b);
	aml_memory32_fixed(&b, true, 0x09000000, 0x1000);
	aml_ext_interrupt(&b, false, false, 33);
	aml_ext_interrupt(&b, true, false, 35);
	aml_ext_interrupt(&b, true, true, 36);
	aml_end(&b, m);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	acpi_buf_free(&b);

	/* QWordMemory: 3-byte header + 43 bytes */
	acpi_buf_init(&b);
	aml_qword_memory(&b, true, true, 0x40000000, 0x10000000);
	assert_int_equal(b.len, 46);
	memcpy(q, b.data, 46);
	assert_int_equal(q[0], 0x8A);
	assert_int_equal(get_le16(q + 1), 43);
	assert_int_equal(q[3], 0);		/* memory */
	assert_int_equal(q[4], 0x0D);		/* MaxFixed|MinFixed|consumer */
	assert_int_equal(q[5], 0x03);		/* cacheable, RW */
	assert_int_equal(get_le64(q + 6), 0);
	assert_int_equal(get_le64(q + 14), 0x40000000);
	assert_int_equal(get_le64(q + 22), 0x4FFFFFFF);
	assert_int_equal(get_le64(q + 30), 0);
	assert_int_equal(get_le64(q + 38), 0x10000000);
	acpi_buf_free(&b);
}

static void test_aml_restemplate_bytes(void **state)
{
	struct acpi_buf b;
	struct aml_mark m;
	static const uint8_t want[] = {
		0x11, 0x1A, 0x0A, 0x17,			/* Buffer, PkgLength 26, size 23 */
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x10, 0x00, 0x00,
		0x89, 0x06, 0x00, 0x01, 0x01, 0x21, 0x00, 0x00, 0x00,
		0x79, 0x00,
	};

	acpi_buf_init(&b);
	m = aml_restemplate_begin(&b);
	aml_memory32_fixed(&b, true, 0x09000000, 0x1000);
	aml_ext_interrupt(&b, false, false, 33);
	aml_end(&b, m);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	acpi_buf_free(&b);
}

static void test_aml_device_method_nesting(void **state)
{
	struct acpi_buf b;
	struct aml_mark d, m;
	static const uint8_t want[] = {
		0x5B, 0x82, 0x1F, 'G', 'E', 'D', '0',		/* Device(GED0), PkgLength 31 */
		0x14, 0x13, '_', 'E', 'V', 'T', 0x09,		/* Method(_EVT,1,Serialized) */
		0x86, 0x5C, 0x2E, '_', 'S', 'B', '_', 'H', 'E', 'D', '0', 0x0A, 0x80,
		0x08, '_', 'U', 'I', 'D', 0x00,			/* Name(_UID, Zero) */
	};

	acpi_buf_init(&b);
	d = aml_device_begin(&b, "GED0");
	m = aml_method_begin(&b, "_EVT", 1, true);
	aml_notify(&b, "\\_SB.HED0", 0x80);
	aml_end(&b, m);
	aml_name_integer(&b, "_UID", 0);
	aml_end(&b, d);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));

	/* A body longer than 62 bytes takes a two-byte PkgLength. */
	acpi_buf_free(&b);
	acpi_buf_init(&b);
	d = aml_device_begin(&b, "BIG0");
	acpi_buf_zeros(&b, 100);
	aml_end(&b, d);
	assert_int_equal(b.len, 2 + 2 + 4 + 100);
	assert_int_equal(b.data[2], 0x40 | (106 & 0xF));
	assert_int_equal(b.data[3], 106 >> 4);
	acpi_buf_free(&b);
}

/* ---- whole build, linked by the simulated firmware ---- */

static void check_linked(unsigned ncpus, bool ras)
{
	struct acpi_build b;
	struct sim s;
	const uint8_t *rsdp, *xsdt, *fadt, *t;
	uint64_t xsdt_addr;
	unsigned i, nent, seen_hest = 0;
	const char *want_sigs[] = { "FACP", "APIC", "GTDT", "SPCR", "HEST", "EINJ" };
	bool seen[6] = { false };

	build_ok(&b, ncpus, ras);
	sim_init(&s, &b);
	sim_run(&s, &b.loader);
	assert_int_equal(s.n_alloc, ras ? 3 : 2);
	assert_int_equal(s.n_wp, ras ? 1 : 0);
	assert_int_equal(s.n_csum, b.ntables + 2);

	/* RSDP: both checksums, revision 2, XSDT pointer. */
	rsdp = s.f[0].data;
	assert_int_equal(s.f[0].len, 36);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum8(rsdp, 20), 0);
	assert_int_equal(sum8(rsdp, 36), 0);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(get_le32(rsdp + 20), 36);
	xsdt_addr = get_le64(rsdp + 24);
	xsdt = sim_tables_at(&s, xsdt_addr, 36);
	assert_memory_equal(xsdt, "XSDT", 4);

	/* Every table: length matches the header, checksum 0, inside the
	 * blob, 8-aligned, no overlaps. */
	for (i = 0; i < b.ntables; i++) {
		const struct acpi_table_ref *r = &b.table[i];

		t = s.f[1].data + r->offset;
		assert_true(range_within(r->offset, r->len, 0, s.f[1].len));
		assert_memory_equal(t, r->sig, 4);
		assert_int_equal(get_le32(t + 4), r->len);
		assert_int_equal(sum8(t, r->len), 0);
		assert_int_equal(r->offset % 8, 0);
		if (i > 0)
			assert_true(b.table[i - 1].offset + b.table[i - 1].len <= r->offset);
	}

	/* XSDT entries point at the start of each non-DSDT table. */
	nent = (get_le32(xsdt + 4) - 36) / 8;
	assert_int_equal(nent, ras ? 6 : 4);
	for (i = 0; i < nent; i++) {
		uint64_t a = get_le64(xsdt + 36 + 8 * i);
		unsigned k;

		t = sim_tables_at(&s, a, 36);
		assert_true(range_within(a, get_le32(t + 4), s.f[1].addr, s.f[1].len));
		for (k = 0; k < 6; k++)
			if (memcmp(t, want_sigs[k], 4) == 0)
				seen[k] = true;
		if (memcmp(t, "HEST", 4) == 0)
			seen_hest++;
	}
	for (i = 0; i < 4; i++)
		assert_true(seen[i]);
	assert_int_equal(seen_hest, ras ? 1 : 0);
	assert_int_equal(seen[5], ras);	/* EINJ with RAS only */

	/* FADT: HW-reduced, PSCI via HVC, 6.3, X_DSDT -> DSDT. */
	fadt = s.f[1].data + acpi_build_find(&b, "FACP")->offset;
	assert_int_equal(get_le32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_int_equal(fadt[131], 3);
	assert_true(get_le32(fadt + 112) & (1u << 20));
	assert_int_equal(get_le16(fadt + 129), 3);
	assert_memory_equal(sim_tables_at(&s, get_le64(fadt + 140), 36), "DSDT", 4);

	/* The library's own interpreter gives byte-identical results. */
	{
		struct acpi_link lk = { SIM_RSDP_ADDR, SIM_TABLES_ADDR, SIM_HWERR_ADDR, 0 };

		assert_int_equal(acpi_build_link(&b, &lk), 0);
		assert_memory_equal(b.rsdp.data, s.f[0].data, b.rsdp.len);
		assert_memory_equal(b.tables.data, s.f[1].data, b.tables.len);
		if (ras) {
			assert_memory_equal(b.hw_errors.data, s.f[2].data, b.hw_errors.len);
			assert_int_equal(lk.hw_errors_addr_written, SIM_HWERR_ADDR);
		}
	}
	sim_free(&s);
	acpi_build_free(&b);
}

static void test_linked_1cpu_ras(void **state) { check_linked(1, true); }
static void test_linked_4cpu_ras(void **state) { check_linked(4, true); }
static void test_linked_2cpu_noras(void **state) { check_linked(2, false); }
static void test_linked_max_cpus(void **state) { check_linked(MAX_VCPUS, true); }

static void test_madt(void **state)
{
	struct acpi_build b;
	const struct acpi_table_ref *r;
	const uint8_t *t, *p, *end;
	unsigned gicc = 0, gicd = 0, gicr = 0;
	const unsigned ncpus = 20;

	build_ok(&b, ncpus, false);
	r = acpi_build_find(&b, "APIC");
	assert_non_null(r);
	t = b.tables.data + r->offset;
	assert_int_equal(r->len, 44 + ncpus * 80 + 24 + 16);
	end = t + r->len;
	for (p = t + 44; p < end; p += p[1]) {
		assert_true(p[1] > 0 && p + p[1] <= end);
		switch (p[0]) {
		case 0x0B:
			assert_int_equal(p[1], 80);
			assert_int_equal(get_le32(p + 4), gicc);		/* CPU interface */
			assert_int_equal(get_le32(p + 8), gicc);		/* UID */
			assert_int_equal(get_le32(p + 12), 1);			/* enabled */
			assert_int_equal(get_le32(p + 56), 25);			/* VGIC maint */
			assert_int_equal(get_le64(p + 68),
					 ((uint64_t)(gicc / 16) << 8) | (gicc % 16)); /* MPIDR */
			gicc++;
			break;
		case 0x0C:
			assert_int_equal(get_le64(p + 8), 0x08000000);
			assert_int_equal(p[20], 3);
			gicd++;
			break;
		case 0x0E:
			assert_int_equal(get_le64(p + 4), 0x080A0000);
			assert_int_equal(get_le32(p + 12), ncpus * 0x20000);
			gicr++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
	}
	assert_int_equal(gicc, ncpus);
	assert_int_equal(gicd, 1);
	assert_int_equal(gicr, 1);
	assert_int_equal(arm64_mpidr_of(17), 0x101);
	acpi_build_free(&b);
}

static void test_gtdt_spcr(void **state)
{
	struct acpi_build b;
	const uint8_t *g, *s;

	build_ok(&b, 1, false);
	g = b.tables.data + acpi_build_find(&b, "GTDT")->offset;
	assert_int_equal(get_le64(g + 36), UINT64_MAX);	/* CntControlBase */
	assert_int_equal(get_le32(g + 48), 29);
	assert_int_equal(get_le32(g + 56), 30);
	assert_int_equal(get_le32(g + 64), 27);
	assert_int_equal(get_le32(g + 72), 26);
	assert_int_equal(get_le32(g + 52) & 3, 0);	/* level, active-high */
	assert_int_equal(get_le32(g + 68) & 3, 0);
	s = b.tables.data + acpi_build_find(&b, "SPCR")->offset;
	assert_int_equal(get_le32(s + 4), 80);
	assert_int_equal(s[36], 3);			/* PL011 */
	assert_int_equal(s[40], 0);			/* SystemMemory */
	assert_int_equal(get_le64(s + 44), 0x09000000);
	assert_int_equal(s[52], 8);			/* GIC */
	assert_int_equal(get_le32(s + 54), 33);
	assert_int_equal(s[58], 7);			/* 115200 */
	acpi_build_free(&b);
}

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m) != NULL;
}

static void test_dsdt_devices(void **state)
{
	struct acpi_build b;
	const struct acpi_table_ref *r;
	const uint8_t *d;
	static const uint8_t uart_irq[] = { 0x89, 0x06, 0x00, 0x01, 0x01, 33, 0, 0, 0 };
	static const uint8_t ged_irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 35, 0, 0, 0 };
	static const uint8_t uart_mem[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09,
					    0x00, 0x10, 0x00, 0x00 };
	static const uint8_t fwcfg_mem[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x02, 0x09,
					     0x18, 0x00, 0x00, 0x00 };
	static const uint8_t notify[] = { 0x86, 0x5C, 0x2E, '_', 'S', 'B', '_',
					  'H', 'E', 'D', '0', 0x0A, 0x80 };
	static const uint8_t hed_hid[] = { 0x0C, 0x41, 0xD0, 0x0C, 0x33 };
	/* The power button: its own GED on SPI 4 (GSI 36), whose _EVT
	 * notifies \_SB.PWRB (EISAID PNP0C0C) with 0x80. */
	static const uint8_t pwr_irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 36, 0, 0, 0 };
	static const uint8_t pwr_notify[] = { 0x86, 0x5C, 0x2E, '_', 'S', 'B', '_',
					      'P', 'W', 'R', 'B', 0x0A, 0x80 };
	static const uint8_t pwr_hid[] = { 0x0C, 0x41, 0xD0, 0x0C, 0x0C };
	const uint8_t *first;

	build_ok(&b, 3, true);
	r = acpi_build_find(&b, "DSDT");
	d = b.tables.data + r->offset;
	assert_int_equal(d[8], 2);
	assert_true(contains(d, r->len, "ARMH0011", 8));
	assert_true(contains(d, r->len, uart_irq, sizeof(uart_irq)));
	assert_true(contains(d, r->len, uart_mem, sizeof(uart_mem)));
	assert_true(contains(d, r->len, "QEMU0002", 8));
	assert_true(contains(d, r->len, fwcfg_mem, sizeof(fwcfg_mem)));
	assert_true(contains(d, r->len, "ACPI0013", 8));
	assert_true(contains(d, r->len, ged_irq, sizeof(ged_irq)));
	/* ... and the GHES GSIV source's interrupt (GSI 37) right after it */
	{
		static const uint8_t gsiv_irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 0x25, 0x00,
						    0x00, 0x00 };

		assert_true(contains(d, r->len, gsiv_irq, sizeof(gsiv_irq)));
	}
	assert_true(contains(d, r->len, "_EVT\x09", 5));	/* 1 arg, serialized */
	assert_true(contains(d, r->len, notify, sizeof(notify)));
	assert_true(contains(d, r->len, hed_hid, sizeof(hed_hid)));
	assert_true(contains(d, r->len, "C002", 4));
	assert_false(contains(d, r->len, "C003", 4));
	assert_true(contains(d, r->len, pwr_irq, sizeof(pwr_irq)));
	assert_true(contains(d, r->len, pwr_notify, sizeof(pwr_notify)));
	assert_true(contains(d, r->len, pwr_hid, sizeof(pwr_hid)));
	assert_true(contains(d, r->len, "GEDP", 4));
	assert_true(contains(d, r->len, "GED0", 4));
	acpi_build_free(&b);

	/* Without RAS: the power button's GED only; no HED, no HEST, no
	 * hardware_errors. */
	build_ok(&b, 1, false);
	r = acpi_build_find(&b, "DSDT");
	d = b.tables.data + r->offset;
	first = memmem(d, r->len, "ACPI0013", 8);
	assert_non_null(first);
	assert_false(contains(first + 8, r->len - (size_t)(first + 8 - d), "ACPI0013", 8));
	assert_true(contains(d, r->len, pwr_notify, sizeof(pwr_notify)));
	assert_false(contains(d, r->len, "GED0", 4));
	assert_false(contains(d, r->len, hed_hid, sizeof(hed_hid)));
	assert_null(acpi_build_find(&b, "HEST"));
	assert_int_equal(b.hw_errors.len, 0);
	assert_int_equal(b.hw_errors_addr_size, 0);
	assert_false(contains(b.loader.data, b.loader.len, "hardware_errors", 15));
	acpi_build_free(&b);
}

static void test_hest_entries(void **state)
{
	struct acpi_build b;
	struct sim s;
	const struct acpi_table_ref *r;
	const uint8_t *h, *e;
	const unsigned ncpus = 3, n = ncpus + 3;	/* + async, polled, GSIV */
	unsigned i;

	build_ok(&b, ncpus, true);
	sim_init(&s, &b);
	sim_run(&s, &b.loader);
	r = acpi_build_find(&b, "HEST");
	assert_non_null(r);
	h = s.f[1].data + r->offset;
	assert_int_equal(r->len, 40 + n * 92);
	assert_int_equal(get_le32(h + 36), n);
	for (i = 0; i < n; i++) {
		e = h + 40 + i * 92;
		assert_int_equal(get_le16(e + 0), 10);		/* GHESv2 */
		assert_int_equal(get_le16(e + 2), i);		/* source id */
		assert_int_equal(get_le16(e + 4), 0xFFFF);	/* related */
		assert_int_equal(e[6], 0);			/* flags */
		assert_int_equal(e[7], 1);			/* enabled */
		assert_int_equal(get_le32(e + 8), 1);		/* records */
		assert_int_equal(get_le32(e + 12), 1);		/* sections */
		assert_int_equal(get_le32(e + 16), 0x1000);	/* max raw data */
		/* Error Status Address GAS */
		assert_int_equal(e[20], 0);
		assert_int_equal(e[21], 64);
		assert_int_equal(e[22], 0);
		assert_int_equal(e[23], 4);
		assert_int_equal(get_le64(e + 24), SIM_HWERR_ADDR + 8 * i);
		/* Notification structure: SEA, GPIO, polled every 1000 ms,
		 * GSIV on GSI 37 (SPI 5) */
		assert_int_equal(e[32], i < ncpus ? 8 : i == ncpus ? 7 : i == ncpus + 1 ? 0 : 10);
		assert_int_equal(e[33], 28);
		assert_int_equal(get_le16(e + 34), 0);
		assert_int_equal(get_le32(e + 36), i == ncpus + 1 ? 1000 : 0);
		assert_int_equal(get_le32(e + 40), i == ncpus + 2 ? IRQ_SPI_TO_GSI(IRQ_SPI_GHES_GSIV) : 0);
		for (unsigned k = 44; k < 60; k++)
			assert_int_equal(e[k], 0);
		assert_int_equal(get_le32(e + 60), 0x1000);	/* block length */
		/* Read Ack Register GAS */
		assert_int_equal(e[64], 0);
		assert_int_equal(e[65], 64);
		assert_int_equal(e[66], 0);
		assert_int_equal(e[67], 4);
		assert_int_equal(get_le64(e + 68), SIM_HWERR_ADDR + 8 * (n + i));
		assert_int_equal(get_le64(e + 76), 0xFFFFFFFFFFFFFFFEull);
		assert_int_equal(get_le64(e + 84), 1);
	}
	sim_free(&s);
	acpi_build_free(&b);
}

static void check_hw_errors(unsigned ncpus)
{
	struct acpi_build b;
	struct sim s;
	const struct ghes_layout *g;
	const unsigned n = ncpus + 3;
	const uint8_t *hw;
	unsigned i;

	build_ok(&b, ncpus, true);
	g = &b.ghes;
	assert_int_equal(g->nsources, n);
	assert_int_equal(g->block_len, 0x1000);
	assert_int_equal(ghes_source_sea(0), 0);
	assert_int_equal(ghes_source_sea(ncpus - 1), ncpus - 1);
	assert_int_equal(ghes_source_async(g), ncpus);
	assert_int_equal(ghes_notify_type(g, 0), 8);
	assert_int_equal(ghes_notify_type(g, ncpus), 7);
	assert_int_equal(ghes_source_polled(g), ncpus + 1);
	assert_int_equal(ghes_notify_type(g, ncpus + 1), 0);
	assert_int_equal(ghes_source_gsiv(g), ncpus + 2);
	assert_int_equal(ghes_notify_type(g, ncpus + 2), 10);
	assert_int_equal(b.hw_errors_addr_size, 8);
	/* The GHES part, then the EINJ parameter area (acpi/einj.h). */
	assert_int_equal(ghes_blob_size(g), 16 * n + n * 0x1000);
	assert_int_equal(b.einj_param_off, ALIGN_UP(ghes_blob_size(g), 64));
	assert_int_equal(b.hw_errors.len, b.einj_param_off + EINJ_PARAM_AREA_SIZE);

	/* Fixed offsets (the same formulas as vmm/ras/ghes.h). */
	for (i = 0; i < n; i++) {
		assert_int_equal(ghes_addr_offset(g, i), 8 * i);
		assert_int_equal(ghes_ack_offset(g, i), 8 * (n + i));
		assert_int_equal(ghes_block_offset(g, i), 16 * n + 0x1000 * i);
	}

	/* Unlinked: slots hold block offsets, read_ack = 1, blocks zero. */
	hw = b.hw_errors.data;
	for (i = 0; i < n; i++) {
		assert_int_equal(get_le64(hw + ghes_addr_offset(g, i)), ghes_block_offset(g, i));
		assert_int_equal(get_le64(hw + ghes_ack_offset(g, i)), 1);
	}
	for (size_t k = ghes_block_offset(g, 0); k < b.einj_param_off + EINJ_TRIGGER_OFF; k++)
		assert_int_equal(hw[k], 0);

	/* Regions do not overlap: slots, acks, blocks in order, in bounds. */
	assert_true(ghes_addr_offset(g, n - 1) + 8 <= ghes_ack_offset(g, 0));
	assert_true(ghes_ack_offset(g, n - 1) + 8 <= ghes_block_offset(g, 0));
	for (i = 0; i + 1 < n; i++)
		assert_true(ghes_block_offset(g, i) + g->block_len <= ghes_block_offset(g, i + 1));
	assert_true(ghes_block_offset(g, n - 1) + g->block_len <= b.einj_param_off);

	/* Linked: slots hold absolute block addresses; the WRITE_POINTER
	 * reports the blob's base. */
	sim_init(&s, &b);
	sim_run(&s, &b.loader);
	for (i = 0; i < n; i++) {
		assert_int_equal(get_le64(s.f[2].data + ghes_addr_offset(g, i)),
				 SIM_HWERR_ADDR + ghes_block_offset(g, i));
		assert_int_equal(get_le64(s.f[2].data + ghes_ack_offset(g, i)), 1);
	}
	assert_int_equal(get_le64(s.hw_errors_addr), SIM_HWERR_ADDR);
	sim_free(&s);
	acpi_build_free(&b);
}

static void test_hw_errors_1(void **state) { check_hw_errors(1); }
static void test_hw_errors_2(void **state) { check_hw_errors(2); }
static void test_hw_errors_8(void **state) { check_hw_errors(8); }

static void test_bad_config(void **state)
{
	struct acpi_config cfg = { .ncpus = 0, .ras = true };
	struct acpi_build b;

	assert_int_equal(acpi_build(&cfg, &b), -EINVAL);
	assert_null(b.tables.data);
	cfg.ncpus = MAX_VCPUS + 1;
	assert_int_equal(acpi_build(&cfg, &b), -EINVAL);
	assert_null(b.loader.data);
}

static void test_link_rejects_bad_script(void **state)
{
	struct acpi_build b;
	struct acpi_link lk = { SIM_RSDP_ADDR, SIM_TABLES_ADDR, SIM_HWERR_ADDR, 0 };

	/* Corrupt the RSDP's XSDT pointer so it points past the tables blob. */
	build_ok(&b, 1, true);
	put_le64(b.rsdp.data + 24, b.tables.len);
	assert_int_equal(acpi_build_link(&b, &lk), -EINVAL);
	acpi_build_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_header),
		cmocka_unit_test(test_buf_fields_and_errors),
		cmocka_unit_test(test_aml_pkglength),
		cmocka_unit_test(test_aml_names_and_data),
		cmocka_unit_test(test_aml_resources),
		cmocka_unit_test(test_aml_restemplate_bytes),
		cmocka_unit_test(test_aml_device_method_nesting),
		cmocka_unit_test(test_linked_1cpu_ras),
		cmocka_unit_test(test_linked_4cpu_ras),
		cmocka_unit_test(test_linked_2cpu_noras),
		cmocka_unit_test(test_linked_max_cpus),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_gtdt_spcr),
		cmocka_unit_test(test_dsdt_devices),
		cmocka_unit_test(test_hest_entries),
		cmocka_unit_test(test_hw_errors_1),
		cmocka_unit_test(test_hw_errors_2),
		cmocka_unit_test(test_hw_errors_8),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_link_rejects_bad_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
