/* The guest's ACPI tables for firmware boot (RSDP, XSDT, FADT, DSDT, MADT,
 * GTDT, SPCR and, with RAS, HEST and EINJ), as fw_cfg blobs plus the linker/loader
 * script edk2 ArmVirtQemu executes to install them (ACPI 6.3; QEMU's
 * linker/loader as edk2's QemuFwCfgAcpi.c implements it). Pure: bytes only;
 * vm_firmware.c registers the blobs as fw_cfg files. */
#ifndef MVR_ACPI_TABLES_H
#define MVR_ACPI_TABLES_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acpi/table.h"
#include "acpi/hest.h"
#include "devices/device.h"

/* fw_cfg file names. */
#define ACPI_FILE_RSDP   "etc/acpi/rsdp"
#define ACPI_FILE_TABLES "etc/acpi/tables"
#define ACPI_FILE_LOADER "etc/table-loader"

#define ACPI_MAX_TABLES  12

struct acpi_config {
	unsigned ncpus;		/* 1..MAX_VCPUS */
	uint64_t ram_base;	/* informational: firmware reports RAM via UEFI */
	uint64_t ram_size;
	bool ras;		/* add HEST and etc/hardware_errors */
	/* The board's devices (board_describe): each writes its own DSDT
	 * entry; the console UART is also described by the SPCR. */
	const struct devlist *devs;
};

/* One table inside the etc/acpi/tables blob. */
struct acpi_table_ref {
	char sig[5];	/* NUL-terminated signature */
	size_t offset;
	size_t len;
};

struct acpi_build {
	struct acpi_blob rsdp;		/* etc/acpi/rsdp */
	struct acpi_blob tables;	/* etc/acpi/tables */
	struct acpi_blob loader;	/* etc/table-loader */
	struct acpi_blob hw_errors;	/* etc/hardware_errors (empty unless ras) */
	/* Size of the writable fw_cfg file etc/hardware_errors_addr that the
	 * firmware's WRITE_POINTER fills (0 unless ras). */
	size_t hw_errors_addr_size;
	struct ghes_layout ghes;	/* nsources 0 unless ras */
	/* Offset in hw_errors of the EINJ parameter area (acpi/einj.h), after
	 * the GHES part; 0: no EINJ table (no --ras, or no EINJ device). */
	size_t einj_param_off;
	struct acpi_table_ref table[ACPI_MAX_TABLES];
	unsigned ntables;
};

/* Addresses at which acpi_build_link() pretends the firmware put each blob. */
struct acpi_link {
	uint64_t rsdp_addr;
	uint64_t tables_addr;
	uint64_t hw_errors_addr;
	uint64_t hw_errors_addr_written; /* out: what WRITE_POINTER stored */
};

#ifdef CONFIG_ACPI

/* True when this build has ACPI tables (CONFIG_ACPI). */
#define ACPI_ENABLED true

/* Build every blob for 'cfg' into 'out' (fully overwritten). Returns 0, or
 * -EINVAL (bad ncpus) / -ENOMEM with 'out' left empty. Free with
 * acpi_build_free(). */
int acpi_build(const struct acpi_config *cfg, struct acpi_build *out);
void acpi_build_free(struct acpi_build *b);

/* The table with signature 'sig' (4 chars) inside b->tables, or NULL. */
const struct acpi_table_ref *acpi_build_find(const struct acpi_build *b, const char *sig);
/* Table i (< b->ntables) for iteration: its bytes and length; NULL if out
 * of range. Before acpi_build_link() pointers hold blob offsets and
 * checksums are 0. */
const uint8_t *acpi_build_table(const struct acpi_build *b, unsigned i,
				const char **sig, size_t *len);

/* Execute b->loader against b's own blobs, in place, as the firmware would
 * (strictly: unknown files, out-of-range offsets or pointer values fail
 * with -EINVAL). Afterwards the tables carry absolute addresses and valid
 * checksums, ready for `dump-acpi` and iasl. The blobs must not then be
 * given to fw_cfg. */
int acpi_build_link(struct acpi_build *b, struct acpi_link *lk);

#else /* !CONFIG_ACPI: no tables; edk2 finds no etc/table-loader in fw_cfg
       * and hands the guest our device tree instead. */

#define ACPI_ENABLED false

static inline int acpi_build(const struct acpi_config *cfg, struct acpi_build *out)
{
	memset(out, 0, sizeof(*out));
	return -ENOTSUP;
}
static inline void acpi_build_free(struct acpi_build *b) { }
static inline const struct acpi_table_ref *acpi_build_find(const struct acpi_build *b,
							   const char *sig)
{
	return NULL;
}
static inline const uint8_t *acpi_build_table(const struct acpi_build *b, unsigned i,
					      const char **sig, size_t *len)
{
	return NULL;
}
static inline int acpi_build_link(struct acpi_build *b, struct acpi_link *lk)
{
	return -ENOTSUP;
}

#endif /* CONFIG_ACPI */

#endif
