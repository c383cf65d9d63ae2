/* Minimal AML encoder for our DSDT: names, package lengths, Scope/Device/
 * Method/Name, integers, strings, EISAID, Notify and ResourceTemplate
 * buffers with the descriptors we use. Encodings follow ACPI 6.3 section 20
 * (AML grammar) and section 6.4 (resource descriptors). Appends go to an
 * acpi_buf; an invalid name or length sets the buffer's sticky -EINVAL. */
#ifndef MVR_ACPI_AML_H
#define MVR_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi/table.h"

/* Opcodes (ACPI 6.3 section 20.3). */
#define AML_ZERO_OP      0x00
#define AML_ONE_OP       0x01
#define AML_NAME_OP      0x08
#define AML_BYTE_PREFIX  0x0A
#define AML_WORD_PREFIX  0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_QWORD_PREFIX 0x0E
#define AML_SCOPE_OP     0x10
#define AML_BUFFER_OP    0x11
#define AML_METHOD_OP    0x14
#define AML_DUAL_NAME_PREFIX  0x2E
#define AML_MULTI_NAME_PREFIX 0x2F
#define AML_EXT_OP_PREFIX 0x5B
#define AML_DEVICE_OP    0x82	/* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR    0x5C
#define AML_ARG0_OP      0x68
#define AML_NOTIFY_OP    0x86

/* Where an open PkgLength-prefixed construct started (see aml_*_begin). */
struct aml_mark {
	size_t pkg_off;	/* where the PkgLength will be inserted */
	bool buffer;	/* a Buffer: BufferSize goes before the bytes */
	bool restemplate; /* a ResourceTemplate: End Tag appended at the end */
};

/* Encode a PkgLength (section 20.2.4) for a construct whose body (what
 * follows the PkgLength) is body_len bytes; the encoded value counts the
 * PkgLength bytes too. Writes 1-4 bytes to out and returns how many, or
 * -EINVAL if the total does not fit in 28 bits. */
int aml_pkglength_encode(uint8_t out[4], size_t body_len);

/* NameSeg (section 20.2.2): 1-4 chars [A-Z_][A-Z0-9_]*, padded with '_'. */
void aml_nameseg(struct acpi_buf *b, const char *seg);
/* NameString: optional leading '\', then NameSegs separated by '.', e.g.
 * "\\_SB.HED" or "COM0"; emits DualNamePath/MultiNamePath as needed. */
void aml_namestring(struct acpi_buf *b, const char *path);

/* Data objects (section 20.2.3): the shortest integer encoding, a
 * NUL-terminated String, an EISAID ("PNP0C33") as DWordConst. */
void aml_integer(struct acpi_buf *b, uint64_t v);
void aml_string(struct acpi_buf *b, const char *s);
void aml_eisaid(struct acpi_buf *b, const char *id);
/* Compressed EISA id value (host order) for "AAA####", or 0 if malformed. */
uint32_t aml_eisaid_value(const char *id);

/* Name(name, <data>): the caller appends one data object after this. */
void aml_name(struct acpi_buf *b, const char *name);
void aml_name_integer(struct acpi_buf *b, const char *name, uint64_t v);
void aml_name_string(struct acpi_buf *b, const char *name, const char *s);
void aml_name_eisaid(struct acpi_buf *b, const char *name, const char *id);

/* PkgLength constructs: *_begin() emits the opcode and returns a mark;
 * append the body; aml_end() inserts the PkgLength (and, for buffers, the
 * BufferSize; for resource templates, the End Tag). Nest freely. */
struct aml_mark aml_scope_begin(struct acpi_buf *b, const char *path);
struct aml_mark aml_device_begin(struct acpi_buf *b, const char *name);
/* Method(name, nargs 0-7, Serialized/NotSerialized), sync level 0. */
struct aml_mark aml_method_begin(struct acpi_buf *b, const char *name,
				 unsigned nargs, bool serialized);
struct aml_mark aml_buffer_begin(struct acpi_buf *b);
/* A Buffer holding resource descriptors, closed with an End Tag. */
struct aml_mark aml_restemplate_begin(struct acpi_buf *b);
void aml_end(struct acpi_buf *b, struct aml_mark m);

/* Notify(path, value) (section 20.2.5.3). */
void aml_notify(struct acpi_buf *b, const char *path, uint64_t value);

/* Resource descriptors (section 6.4), for use inside a resource template. */
/* 32-Bit Fixed Memory Range Descriptor (6.4.3.4), 12 bytes. */
void aml_memory32_fixed(struct acpi_buf *b, bool writable, uint32_t base, uint32_t len);
/* QWord Address Space Descriptor (6.4.3.5.1) for memory, consumer,
 * MinFixed/MaxFixed, non-cacheable unless 'cacheable', 46 bytes. */
void aml_qword_memory(struct acpi_buf *b, bool writable, bool cacheable,
		      uint64_t base, uint64_t len);
/* Extended Interrupt Descriptor (6.4.3.6) with one GSI, consumer,
 * exclusive, not wake capable, 9 bytes. */
void aml_ext_interrupt(struct acpi_buf *b, bool edge, bool active_low, uint32_t gsi);
/* End Tag (6.4.2.9) with checksum 0 ("treat as checksummed"). */
void aml_end_tag(struct acpi_buf *b);

#endif
