/* Hardware Error Source Table (ACPI 6.3 section 18.3.2) with GHESv2 entries
 * (section 18.3.2.8), the "etc/hardware_errors" blob they point into and the
 * linker/loader commands that tie the two together (QEMU's
 * docs/specs/acpi_hest_ghes.rst scheme). Sources 0..ncpus-1 are per-vCPU SEA
 * sources; source ncpus is the asynchronous (GPIO-signal via GED) source,
 * ncpus + 1 the polled and ncpus + 2 the GSIV source (corrected errors).
 * The blob's layout is ras/ghes_layout.h's, shared with the GHES runtime. */
#ifndef MVR_ACPI_HEST_H
#define MVR_ACPI_HEST_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/table.h"
#include "fwcfg/loader.h"
#include "ras/ghes_layout.h"

#define HEST_FILE_HW_ERRORS      "etc/hardware_errors"
#define HEST_FILE_HW_ERRORS_ADDR "etc/hardware_errors_addr"
#define HEST_HW_ERRORS_ADDR_SIZE 8	/* the fw_cfg file WRITE_POINTER fills */
#define HEST_HW_ERRORS_ALIGN     4096	/* ALLOCATE alignment of the blob */

#define HEST_TYPE_GHES_V2  10
#define HEST_GHESV2_SIZE   92
#define HEST_ENTRIES_OFF   40	/* header + Error Source Count */
/* Offsets inside one GHESv2 entry (of the GAS Address fields, for pointers). */
#define GHESV2_ERR_STATUS_GAS_OFF   20
#define GHESV2_READ_ACK_GAS_OFF     64
#define ACPI_GAS_ADDRESS_OFF        4

/* Append the HEST (revision 1) to 'tables'; *offset receives where it
 * starts. Address fields hold offsets into etc/hardware_errors, made
 * absolute by hest_loader_pointers(). Errors are the buffer's sticky error. */
void hest_build(struct acpi_buf *tables, const struct ghes_layout *g, size_t *offset);

/* Build the initial etc/hardware_errors contents. 0 or -ENOMEM. */
int hest_build_hw_errors(const struct ghes_layout *g, struct acpi_blob *out);

/* Loader commands, in the order acpi_build() emits them:
 * ALLOCATE etc/hardware_errors (zone HIGH, 4096-aligned); */
int hest_loader_allocate(struct loader *l);
/* ADD_POINTER each error_block_address -> its block, and each HEST entry's
 * Error Status Address / Read Ack Register -> its slot. 'tables_file' holds
 * the HEST at 'hest_offset'; */
int hest_loader_pointers(struct loader *l, const struct ghes_layout *g,
			 const char *tables_file, uint32_t hest_offset);
/* WRITE_POINTER the blob's address into etc/hardware_errors_addr. */
int hest_loader_write_pointer(struct loader *l);

#endif
