/* The one description of the "etc/hardware_errors" blob and its error
 * sources (DESIGN.md section 6; QEMU's docs/specs/acpi_hest_ghes.rst
 * scheme), used by the HEST builder (acpi/hest.c) and the GHES runtime
 * (ras/ghes.c) alike, so the two cannot disagree. Header only and pure.
 *
 * For N = nsources = ncpus + 3 sources, at the blob's guest address:
 *   [0, 8N)              N x u64 error_block_address (-> block i)
 *   [8N, 16N)            N x u64 read_ack_register, 1 = acked (initial)
 *   [16N, 16N + N*len)   N x Generic Error Status Block of block_len bytes
 * Source i < ncpus is vCPU i's SEA source; source ncpus is the
 * asynchronous (GPIO-signal through the GED) source; ncpus + 1 is the
 * polled source (the guest reads it every GHES_POLL_INTERVAL_MS) and
 * ncpus + 2 the GSIV (interrupt) source, both meant for corrected errors. */
#ifndef MVR_RAS_GHES_LAYOUT_H
#define MVR_RAS_GHES_LAYOUT_H

#include <errno.h>
#include <stdint.h>

/* Size of one Generic Error Status Block (ACPI 6.3 section 18.3.2.7.1). */
#define GHES_BLOCK_LEN 0x1000

/* Hardware Error Notification types (ACPI 6.5 section 18.3.2.9, table
 * 18.14): 0 polled, 1 external interrupt, 2 local interrupt, 3 SCI, 4 NMI,
 * 5 CMCI, 6 MCE, 7 GPIO-signal, 8 ARMv8 SEA, 9 ARMv8 SEI, 10 external
 * interrupt - GSIV, 11 software delegated exception. */
#define GHES_NOTIFY_POLLED 0
#define GHES_NOTIFY_GPIO   7
#define GHES_NOTIFY_SEA    8
#define GHES_NOTIFY_GSIV   10

/* Poll Interval of the polled source, in milliseconds (ACPI 6.5 table
 * 18.14: Poll Interval; Linux disables a polled source whose interval is
 * 0). */
#define GHES_POLL_INTERVAL_MS 1000

/* Sources besides the per-vCPU SEA ones: async, polled, GSIV. */
#define GHES_EXTRA_SOURCES 3

/* Bit the guest sets in read_ack_register[i] when it has consumed block i:
 * the HEST entry's Read Ack Write value; Read Ack Preserve is ~this. */
#define GHES_READ_ACK_BIT 1ull

/* At most this many sources (a sanity bound for hostile configurations). */
#define GHES_MAX_SOURCES 4096u

struct ghes_layout {
	unsigned ncpus;
	unsigned nsources;
	uint32_t block_len;
};

/* Fill 'g' for 'ncpus' vCPUs (1 .. GHES_MAX_SOURCES - GHES_EXTRA_SOURCES).
 * Returns 0 or -EINVAL. */
static inline int ghes_layout_init(struct ghes_layout *g, unsigned ncpus)
{
	if (ncpus == 0 || ncpus > GHES_MAX_SOURCES - GHES_EXTRA_SOURCES)
		return -EINVAL;
	g->ncpus = ncpus;
	g->nsources = ncpus + GHES_EXTRA_SOURCES;
	g->block_len = GHES_BLOCK_LEN;
	return 0;
}

/* Source id of vCPU 'vcpu''s SEA source. */
static inline unsigned ghes_source_sea(unsigned vcpu)
{
	return vcpu;
}

/* Source id of the asynchronous (AO, GPIO-signal) source. */
static inline unsigned ghes_source_async(const struct ghes_layout *g)
{
	return g->ncpus;
}

/* Source id of the polled source (corrected errors). */
static inline unsigned ghes_source_polled(const struct ghes_layout *g)
{
	return g->ncpus + 1;
}

/* Source id of the GSIV (interrupt-signalled) source (corrected errors). */
static inline unsigned ghes_source_gsiv(const struct ghes_layout *g)
{
	return g->ncpus + 2;
}

/* Notification type (GHES_NOTIFY_*) of source i. A layout built by hand
 * with fewer sources (tests) keeps this meaning for the ones it has. */
static inline uint8_t ghes_notify_type(const struct ghes_layout *g, unsigned i)
{
	if (i < g->ncpus)
		return GHES_NOTIFY_SEA;
	if (i == ghes_source_async(g))
		return GHES_NOTIFY_GPIO;
	if (i == ghes_source_polled(g))
		return GHES_NOTIFY_POLLED;
	return GHES_NOTIFY_GSIV;
}

/* Byte offsets of source i's error_block_address slot, read_ack register
 * and status block inside the blob (i <= nsources; callers check i). */
static inline uint64_t ghes_addr_offset(const struct ghes_layout *g, unsigned i)
{
	return (uint64_t)i * sizeof(uint64_t);
}

static inline uint64_t ghes_ack_offset(const struct ghes_layout *g, unsigned i)
{
	return ((uint64_t)g->nsources + i) * sizeof(uint64_t);
}

static inline uint64_t ghes_block_offset(const struct ghes_layout *g, unsigned i)
{
	return (uint64_t)g->nsources * 2 * sizeof(uint64_t) + (uint64_t)i * g->block_len;
}

/* Total size of the blob. */
static inline uint64_t ghes_blob_size(const struct ghes_layout *g)
{
	return ghes_block_offset(g, g->nsources);
}

#endif
