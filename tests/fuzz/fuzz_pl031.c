/* Fuzz target: the PL031 RTC (vmm/devices/pl031.c) on the bus at its
 * memmap.h window, with a fuzz-controlled wall clock (clock_gettime is
 * wrapped at link time, FUZZ_LDFLAGS_pl031, so runs are deterministic):
 * register accesses of every width and offset, clock jumps (also backwards
 * and past 2^32 s). Invariants: the interrupt line equals RIS & IMSC after
 * every access; DR reads the clock plus the loaded offset. */
#include <time.h>

#include "fuzz.h"

#include "arch/arm64/memmap.h"
#include "bus.h"
#include "devices/pl031.h"

#define RTC_DR   0x00
#define RTC_LR   0x08
#define RTC_IMSC 0x10
#define RTC_RIS  0x14

/* The wall clock the device sees (CLOCK_REALTIME only). */
static bool fake_clock;
static int64_t fake_now;

int __real_clock_gettime(clockid_t clk, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (!fake_clock || clk != CLOCK_REALTIME)
		return __real_clock_gettime(clk, ts);
	ts->tv_sec = (time_t)fake_now;
	ts->tv_nsec = 0;
	return 0;
}

static int line_level;

static void line_set(void *opaque, unsigned spi, int level)
{
	FZ_CHECK(spi == IRQ_SPI_RTC);
	FZ_CHECK(level == 0 || level == 1);
	line_level = level;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

static uint32_t rd32(struct bus *b, uint64_t off)
{
	uint8_t buf[8];

	FZ_CHECK(bus_access(b, MEMMAP_RTC_BASE + off, buf, 4, false) == 0);
	return get_le32(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct irq_line irq = { line_set, NULL, IRQ_SPI_RTC };
	struct pl031 *r;
	struct bus *b;
	unsigned steps = 0;
	uint8_t buf[8];
	bool loaded = false;
	uint32_t load = 0;
	int64_t load_at = 0;

	fake_clock = true;
	fake_now = 1700000000 + (int64_t)fz_u32(&f);
	line_level = 0;	/* low from creation, without a call */
	r = pl031_create(irq);
	b = bus_create();
	FZ_CHECK(r && b);
	FZ_CHECK(bus_register(b, MEMMAP_RTC_BASE, MEMMAP_RTC_SIZE, &pl031_bus_ops, r) == 0);

	while (fz_more(&f) && steps++ < 512) {
		uint8_t op = fz_u8(&f);
		bool wr = op & 0x10;
		uint64_t off;
		uint32_t v;
		unsigned sz;

		switch (op % 4) {
		case 0: case 1: /* register access, mostly at a register */
			sz = fz_size(&f);
			off = op & 0x80 ? fz_u16(&f) % (MEMMAP_RTC_SIZE + 8)
					: (fz_u8(&f) % 8) * 4u + (op & 0x40 ? 0xfe0 : 0);
			v = fz_u32(&f);
			put_le64(buf, v);
			if (bus_access(b, MEMMAP_RTC_BASE + off, buf, sz, wr) == 0 && wr &&
			    off == RTC_LR) {
				loaded = true;
				load = (uint32_t)(get_le64(buf) & (sz == 8 ? ~0ull : (1ull << (8 * sz)) - 1));
				load_at = fake_now;
			}
			if (wr)
				FZ_CHECK(line_level == (int)((rd32(b, RTC_RIS) & rd32(b, RTC_IMSC)) != 0));
			break;
		case 2: /* time passes (or jumps) */
			fake_now += op & 0x80 ? (int64_t)(int32_t)fz_u32(&f) : fz_u8(&f);
			break;
		case 3:
			if (loaded)
				FZ_CHECK(rd32(b, RTC_DR) == (uint32_t)(load + (fake_now - load_at)));
			else
				FZ_CHECK(rd32(b, RTC_DR) == (uint32_t)fake_now);
			break;
		}
	}

	bus_destroy(b);
	pl031_destroy(r);
	fake_clock = false;
	return 0;
}
