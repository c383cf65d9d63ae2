/* Fuzz target: the CFI flash command machine (vmm/devices/cfi_flash.c) on
 * the bus as the VMM registers it, over a two-block bank: every access size
 * (legal or not) at every offset, in and past the bank, command sequences
 * (program, buffered program, erase, lock, query, ID, status), resets.
 * Invariants: the romd callback alternates and agrees with
 * cfi_flash_romd(); in read-array mode reads return the storage. */
#include "fuzz.h"

#include "bus.h"
#include "devices/cfi_flash.h"

#define BANK_BASE 0x04000000ull
#define BANK_SIZE (2ull * CFI_FLASH_BLOCK_SIZE)

struct romd_state {
	bool romd;
	unsigned calls;
};

static void set_romd(void *opaque, bool romd)
{
	struct romd_state *s = opaque;

	FZ_CHECK(romd != s->romd);	/* a real transition each time */
	s->romd = romd;
	s->calls++;
}

static uint8_t *storage;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	storage = malloc(BANK_SIZE);
	FZ_CHECK(storage);
	return 0;
}

/* Offsets: mostly the first words of each block (where commands and the
 * query table live), sometimes anywhere in or just past the bank. */
static uint64_t pick_off(struct fz *f)
{
	uint8_t sel = fz_u8(f);

	switch (sel % 4) {
	case 0:
		return fz_u32(f) % (BANK_SIZE + 16);
	case 1:
		return BANK_SIZE - 1 - fz_u8(f) % 16;
	default:
		return (sel & 0x10 ? CFI_FLASH_BLOCK_SIZE : 0) + fz_u8(f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct romd_state rs = { .romd = true };
	struct cfi_flash *fl;
	struct bus *b;
	unsigned steps = 0;
	uint8_t buf[8];

	memset(storage, 0xA5, BANK_SIZE);
	fz_bytes(&f, storage, 64);	/* some initial contents */
	fl = cfi_flash_create(storage, BANK_SIZE, set_romd, &rs);
	b = bus_create();
	FZ_CHECK(fl && b);
	FZ_CHECK(bus_register(b, BANK_BASE, BANK_SIZE, &cfi_flash_bus_ops, fl) == 0);

	while (fz_more(&f) && steps++ < 512) {
		uint8_t op = fz_u8(&f);
		uint64_t off;
		unsigned sz;

		switch (op % 8) {
		case 0: case 1: case 2: /* command / data write */
			sz = fz_size(&f);
			off = pick_off(&f);
			put_le32(buf, fz_u8(&f) & 0x80 ? fz_u32(&f) : fz_u8(&f) * 0x00010001u);
			put_le32(buf + 4, 0);
			bus_access(b, BANK_BASE + off, buf, sz, true);
			break;
		case 3: case 4: case 5: { /* read */
			bool array = cfi_flash_romd(fl);

			sz = fz_size(&f);
			off = pick_off(&f);
			memset(buf, 0xEE, sizeof(buf));
			if (bus_access(b, BANK_BASE + off, buf, sz, false) == 0 && array)
				FZ_CHECK(memcmp(buf, storage + off, sz) == 0);
			break;
		}
		case 6: /* a buffered program burst with a fuzz count */
			off = pick_off(&f);
			put_le32(buf, 0x00E800E8);
			bus_access(b, BANK_BASE + off, buf, 4, true);
			put_le32(buf, fz_u16(&f) % 40 * 0x00010001u);
			bus_access(b, BANK_BASE + off, buf, 4, true);
			for (unsigned n = fz_u8(&f) % 40; n; n--) {
				put_le32(buf, fz_u32(&f));
				bus_access(b, BANK_BASE + (off & ~3ull) + 4 * (n % 64), buf, 4, true);
			}
			break;
		case 7:
			cfi_flash_reset(fl);
			FZ_CHECK(cfi_flash_romd(fl));
			break;
		}
		FZ_CHECK(rs.romd == cfi_flash_romd(fl));
	}

	bus_destroy(b);
	cfi_flash_destroy(fl);
	return 0;
}
