/* Fuzz target: MMIO bus dispatch (vmm/bus.c): registration of regions with
 * fuzz bases, lengths and width masks (overlaps, zero length, wrap-around),
 * then accesses of every width at addresses around the region edges, read
 * and write. Checked against a naive model: the same registration verdicts,
 * the same region and offset reaching the device, reads returning exactly
 * what the device produced (and zeros when refused), never a byte written
 * past the access (KVM's 8-byte buffer) and the unhandled counter. */
#include "fuzz.h"

#include "bus.h"

#define MAX_REGIONS 12

/* A recording device: region i reads as a pattern of its id and offset,
 * refuses offsets whose low byte is 0xEE. */
struct echo {
	unsigned id;
	unsigned calls;
	uint64_t off, val;
	unsigned size;
	bool write;
};

static uint64_t echo_pattern(unsigned id, uint64_t off)
{
	return 0x0101010101010101ull * (id + 1) ^ off * 0x9E3779B97F4A7C15ull;
}

static int echo_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct echo *e = dev;

	e->calls++;
	e->off = off;
	e->size = size;
	e->write = false;
	if ((off & 0xff) == 0xEE)
		return -EINVAL;
	*val = echo_pattern(e->id, off) & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
	return 0;
}

static int echo_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct echo *e = dev;

	e->calls++;
	e->off = off;
	e->size = size;
	e->val = val;
	e->write = true;
	return (off & 0xff) == 0xEE ? -EINVAL : 0;
}

static const char *const names[] = { "echo-a", "echo-b", "echo-c", "echo-d" };

struct model_region {
	uint64_t base, len;
	struct bus_dev_ops ops;
	struct echo dev;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

static uint64_t pick_addr(struct fz *f, const struct model_region *m, unsigned n)
{
	uint8_t sel = fz_u8(f);
	const struct model_region *r;

	if (!n || sel % 4 == 0)
		return sel & 0x80 ? fz_u64(f) : 0x09000000ull + fz_u16(f);
	r = &m[fz_u8(f) % n];
	switch (sel % 4) {
	case 1:
		return r->base - 1 + fz_u8(f) % 10;		/* around the start */
	case 2:
		return r->base + r->len - 9 + fz_u8(f) % 12;	/* around the end */
	default:
		return r->base + fz_u32(f) % r->len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct model_region *m;
	unsigned n = 0, steps = 0, nreg;
	unsigned long unhandled = 0;
	struct bus *b = bus_create();

	m = calloc(MAX_REGIONS, sizeof(*m));
	FZ_CHECK(b && m);

	/* Registration: base near the previous ones, any length and mask. */
	nreg = fz_u8(&f) % (MAX_REGIONS + 1);
	for (unsigned i = 0; i < nreg; i++) {
		struct model_region *r = &m[n];
		uint8_t sel = fz_u8(&f);
		uint64_t base, len, end;
		int want = 0, got;

		base = sel & 0x80 ? fz_u64(&f) : 0x09000000ull + (uint64_t)fz_u16(&f) * 16;
		len = sel & 0x40 ? fz_u64(&f) : fz_u16(&f);
		if (!len || __builtin_add_overflow(base, len - 1, &end))
			want = -EINVAL;
		for (unsigned k = 0; k < n && !want; k++)
			if (base <= m[k].base + m[k].len - 1 && m[k].base <= end)
				want = -EEXIST;
		r->base = base;
		r->len = len;
		r->dev.id = n;
		r->ops = (struct bus_dev_ops){
			.name = names[n % ARRAY_SIZE(names)],
			.sizes = sel & BUS_SIZE_ANY,
			.read = sel & 0x10 ? NULL : echo_read,
			.write = sel & 0x20 ? NULL : echo_write,
		};
		got = bus_register(b, base, len, &r->ops, &r->dev);
		FZ_CHECK(got == want);
		if (!got)
			n++;
	}
	FZ_CHECK(b->nregions == n);
	for (unsigned k = 1; k < n; k++)
		FZ_CHECK(b->regions[k - 1].base < b->regions[k].base);

	while (fz_more(&f) && steps++ < 256) {
		uint8_t buf[16], before[16];
		uint64_t addr = pick_addr(&f, m, n), val = fz_u64(&f);
		unsigned sz = fz_size(&f), i;
		bool wr = fz_u8(&f) & 1;
		struct model_region *r = NULL;
		unsigned calls[MAX_REGIONS];
		bool valid_size;
		int want, got;

		for (i = 0; i < n; i++) {
			calls[i] = m[i].dev.calls;
			if (addr >= m[i].base && addr - m[i].base < m[i].len)
				r = &m[i];
		}
		memset(buf, 0xAB, sizeof(buf));
		put_le64(buf, val);
		memcpy(before, buf, sizeof(buf));

		valid_size = sz == 1 || sz == 2 || sz == 4 || sz == 8;
		if (!valid_size)
			want = -EINVAL;
		else if (!r)
			want = -ENODEV;
		else if (!(r->ops.sizes & sz) || addr - r->base + sz > r->len)
			want = -EINVAL;
		else if (wr ? !r->ops.write : !r->ops.read)
			want = -EPERM;
		else
			want = ((addr - r->base) & 0xff) == 0xEE ? -EINVAL : 0;
		if (want == -ENODEV)
			unhandled++;

		got = bus_access(b, addr, buf, sz, wr);
		FZ_CHECK(got == want);
		/* Exactly one device call, on the right region, when it is due. */
		for (i = 0; i < n; i++) {
			bool due = &m[i] == r && (want == 0 || (want == -EINVAL && valid_size &&
				   (r->ops.sizes & sz) && addr - r->base + sz <= r->len));

			FZ_CHECK(m[i].dev.calls == calls[i] + due);
			if (due) {
				FZ_CHECK(m[i].dev.off == addr - r->base && m[i].dev.size == sz &&
					 m[i].dev.write == wr);
				if (wr)
					FZ_CHECK(m[i].dev.val == (sz == 8 ? val :
						 val & ((1ull << (8 * sz)) - 1)));
			}
		}
		/* Bytes past the access (and past 8) are never touched. */
		FZ_CHECK(memcmp(buf + 8, before + 8, 8) == 0);
		if (wr) {
			FZ_CHECK(memcmp(buf, before, 8) == 0);
		} else if (got == 0) {
			uint64_t pat = echo_pattern(r->dev.id, addr - r->base);

			for (i = 0; i < sz; i++)
				FZ_CHECK(buf[i] == (uint8_t)(pat >> (8 * i)));
			FZ_CHECK(memcmp(buf + sz, before + sz, 8 - sz) == 0);
		} else {
			for (i = 0; i < MIN(sz, 8u); i++)
				FZ_CHECK(buf[i] == 0);
			FZ_CHECK(memcmp(buf + MIN(sz, 8u), before + MIN(sz, 8u), 8 - MIN(sz, 8u)) == 0);
		}
	}
	FZ_CHECK(b->unhandled == unhandled);

	bus_destroy(b);
	free(m);
	return 0;
}
