/* Shared pieces of the libFuzzer harnesses: a reader that turns the fuzz
 * input into operations (bytes past the end read as zero), a fake guest
 * RAM behind struct guest_mem (an exact-size heap buffer, so ASan sees any
 * access outside it, with an optional "poisoned" range failing -EIO), the
 * address/length pickers that aim at RAM, its edges and wrap-around, and
 * quiet logging. Header-only; every harness includes it once. */
#ifndef MVR_FUZZ_H
#define MVR_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: report and abort, so libFuzzer keeps the input. */
#define FZ_CHECK(cond)                                                          \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
				__LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

/* ---- input reader --------------------------------------------------- */

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_more(const struct fz *f)
{
	return f->n != 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

/* 'len' bytes into buf; what the input lacks is zero. */
static inline void fz_bytes(struct fz *f, void *buf, size_t len)
{
	size_t n = MIN(len, f->n);

	memcpy(buf, f->p, n);
	memset((uint8_t *)buf + n, 0, len - n);
	f->p += n;
	f->n -= n;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint8_t b[2];

	fz_bytes(f, b, sizeof(b));
	return get_le16(b);
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint8_t b[4];

	fz_bytes(f, b, sizeof(b));
	return get_le32(b);
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint8_t b[8];

	fz_bytes(f, b, sizeof(b));
	return get_le64(b);
}

/* An MMIO access width: mostly 1, 2, 4 or 8, sometimes anything in 0..15
 * (the bus must refuse those). */
static inline unsigned fz_size(struct fz *f)
{
	uint8_t b = fz_u8(f);

	return (b & 0x80) ? (b & 0x0f) : 1u << (b & 3);
}

/* ---- fake guest RAM ------------------------------------------------- */

#define FZ_RAM_BASE 0x40000000ull

struct fz_ram {
	uint8_t *bytes;			/* exactly 'size' bytes: ASan guards both ends */
	uint64_t size;
	uint64_t poison_gpa, poison_len;	/* accesses here fail with -EIO */
	struct guest_mem gm;
};

static inline bool fz_ram_range(const struct fz_ram *r, uint64_t gpa, uint64_t len)
{
	return range_within(gpa, len, FZ_RAM_BASE, r->size);
}

static inline bool fz_ram_poisoned(const struct fz_ram *r, uint64_t gpa, uint64_t len)
{
	return r->poison_len && gpa < r->poison_gpa + r->poison_len &&
	       r->poison_gpa < gpa + len;
}

static inline int fz_ram_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	struct fz_ram *r = o;

	if (!fz_ram_range(r, gpa, len))
		return -EFAULT;
	if (fz_ram_poisoned(r, gpa, len))
		return -EIO;
	memcpy(buf, r->bytes + (gpa - FZ_RAM_BASE), len);
	return 0;
}

static inline int fz_ram_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	struct fz_ram *r = o;

	if (!fz_ram_range(r, gpa, len))
		return -EFAULT;
	if (fz_ram_poisoned(r, gpa, len))
		return -EIO;
	memcpy(r->bytes + (gpa - FZ_RAM_BASE), buf, len);
	return 0;
}

static inline void *fz_ram_map(void *o, uint64_t gpa, size_t len)
{
	struct fz_ram *r = o;

	return fz_ram_range(r, gpa, len) ? r->bytes + (gpa - FZ_RAM_BASE) : NULL;
}

/* Zeroed RAM of 'size' bytes at FZ_RAM_BASE; aborts when out of memory. */
static inline void fz_ram_init(struct fz_ram *r, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->bytes = calloc(1, size);
	FZ_CHECK(r->bytes);
	r->size = size;
	r->gm = (struct guest_mem){ fz_ram_read, fz_ram_write, r, fz_ram_map };
}

static inline void fz_ram_fini(struct fz_ram *r)
{
	free(r->bytes);
	r->bytes = NULL;
}

/* A guest address: mostly inside RAM, sometimes at its edges, below it,
 * anywhere, or just below 2^64 (wrap-around). */
static inline uint64_t fz_gpa(struct fz *f, const struct fz_ram *r)
{
	uint8_t sel = fz_u8(f);

	switch (sel % 8) {
	case 6:
		return fz_u64(f);
	case 7:
		return UINT64_MAX - fz_u8(f);
	case 5:
		return FZ_RAM_BASE + r->size - fz_u8(f);
	case 4:
		return FZ_RAM_BASE - 1 - fz_u8(f);
	default:
		return FZ_RAM_BASE + fz_u16(f) % r->size;
	}
}

/* A length: mostly small, sometimes 16-bit, sometimes any 32-bit value. */
static inline uint32_t fz_len(struct fz *f)
{
	uint8_t sel = fz_u8(f);

	switch (sel % 8) {
	case 6:
		return fz_u16(f);
	case 7:
		return fz_u32(f);
	default:
		return fz_u8(f);
	}
}

/* Guest writes 'len' fuzz bytes at a RAM offset (clipped to RAM). */
static inline void fz_ram_poke(struct fz *f, struct fz_ram *r)
{
	uint64_t off = fz_u16(f) % r->size;
	uint64_t want = fz_u8(f);
	size_t len = MIN(want, r->size - off);

	fz_bytes(f, r->bytes + off, len);
}

/* Set (or, for a zero length, clear) the poisoned range. */
static inline void fz_ram_poison(struct fz *f, struct fz_ram *r)
{
	r->poison_gpa = FZ_RAM_BASE + fz_u16(f) % r->size;
	r->poison_len = fz_u8(f);
}

/* Warnings a guest can trigger are rate-limited, but a fuzzer triggers
 * millions: show errors only. */
static inline void fz_quiet(void)
{
	log_level = LOG_ERROR;
}

#endif
