/* Hardware Error Source Table (ACPI 6.3 section 18.3.2) with GHESv2 entries
 * (section 18.3.2.8), the "etc/hardware_errors" blob they point into and the
 * linker/loader commands that tie the two together (QEMU's
 * docs/specs/acpi_hest_ghes.rst scheme). Sources 0..ncpus-1 are per-vCPU SEA
 * sources; source ncpus is the asynchronous (GPIO-signal via GED) source. */
#ifndef MVR_ACPI_HEST_H
#define MVR_ACPI_HEST_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/table.h"
#include "fwcfg/loader.h"

#define GHES_FILE_HW_ERRORS      "etc/hardware_errors"
#define GHES_FILE_HW_ERRORS_ADDR "etc/hardware_errors_addr"
#define GHES_HW_ERRORS_ADDR_SIZE 8	/* the fw_cfg file WRITE_POINTER fills */
#define GHES_HW_ERRORS_ALIGN     4096	/* ALLOCATE alignment of the blob */
#define GHES_BLOCK_LEN           0x1000	/* one Generic Error Status Block */

/* Hardware Error Notification types (ACPI 6.3 table 18-394). */
#define ACPI_HEST_NOTIFY_POLLED 0
#define ACPI_HEST_NOTIFY_GPIO   7
#define ACPI_HEST_NOTIFY_SEA    8

#define HEST_TYPE_GHES_V2  10
#define HEST_GHESV2_SIZE   92
#define HEST_ENTRIES_OFF   40	/* header + Error Source Count */
/* Offsets inside one GHESv2 entry (of the GAS Address fields, for pointers). */
#define GHESV2_ERR_STATUS_GAS_OFF   20
#define GHESV2_READ_ACK_GAS_OFF     64
#define ACPI_GAS_ADDRESS_OFF        4

/* Where everything lives in "etc/hardware_errors":
 *   [0, 8N)           N x u64 error_block_address (-> block i, patched)
 *   [8N, 16N)         N x u64 read_ack_register (initially 1 = acked)
 *   [16N, 16N + N*len) N x Generic Error Status Block (QEMU's layout;
 *                     vmm/ras/ghes.h's GHES_*_OFF macros assume the same).
 * N = nsources = ncpus + 1. Source id i: SEA source of vCPU i for i < ncpus,
 * the asynchronous source for i == ncpus. Block addresses are fixed for the
 * VM's lifetime: guest address = (etc/hardware_errors_addr) + offset. */
struct ghes_layout {
	unsigned ncpus;
	unsigned nsources;
	uint32_t block_len;
};

/* Fill 'g' for 'ncpus' vCPUs (1..MAX_VCPUS). Returns 0 or -EINVAL. */
int ghes_layout_init(struct ghes_layout *g, unsigned ncpus);

/* Source id of the SEA source of vCPU 'vcpu'. */
static inline unsigned ghes_source_sea(unsigned vcpu)
{
	return vcpu;
}

/* Source id of the asynchronous (AO, GPIO-signal) source. */
static inline unsigned ghes_source_async(const struct ghes_layout *g)
{
	return g->ncpus;
}

/* Notification type of source i: SEA or GPIO-signal. */
uint8_t ghes_notify_type(const struct ghes_layout *g, unsigned i);
/* Byte offsets of source i's slots and block inside etc/hardware_errors
 * (i < nsources; callers must check). */
uint64_t ghes_addr_offset(const struct ghes_layout *g, unsigned i);
uint64_t ghes_ack_offset(const struct ghes_layout *g, unsigned i);
uint64_t ghes_block_offset(const struct ghes_layout *g, unsigned i);
/* Total size of etc/hardware_errors. */
uint64_t ghes_hw_errors_size(const struct ghes_layout *g);

/* Append the HEST (revision 1) to 'tables'; *offset receives where it
 * starts. Address fields hold offsets into etc/hardware_errors, made
 * absolute by hest_loader_pointers(). Errors are the buffer's sticky error. */
void hest_build(struct acpi_buf *tables, const struct ghes_layout *g, size_t *offset);

/* Build the initial etc/hardware_errors contents. 0 or -ENOMEM. */
int ghes_build_hw_errors(const struct ghes_layout *g, struct acpi_blob *out);

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
