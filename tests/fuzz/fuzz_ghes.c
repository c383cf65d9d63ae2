/* Fuzz target: the GHESv2 read-ack/record path (vmm/ras/ghes.c) against a
 * fuzz-controlled guest blob: the firmware's "etc/hardware_errors" laid out
 * as ras/ghes_layout.h says, then a sequence of submits (CPER records and
 * raw ones), SEA try-writes, polls, guest acks, guest scribbles over the
 * address slots and read_ack registers, poisoned pages, WRITE_POINTER
 * bases anywhere (wrap-around included) and resets.
 * Invariants: ghes writes guest memory only inside the blob or inside the
 * block a slot names at that moment; the counters agree with the queues
 * (queued_now, pending, depth <= max_queue); a "written" return means one
 * more record written, a poll's count is the records written. */
#include "fuzz.h"

#include "ras/cper.h"
#include "ras/ghes.h"

#define RAM_SIZE 0x10000ull
#define GHES_MAX_SOURCES_FUZZ (3 + GHES_EXTRA_SOURCES)	/* 1..3 vCPUs + async, polled, GSIV */

struct world {
	struct fz_ram ram;
	struct guest_mem gm;		/* checking wrapper around ram.gm */
	struct ghes_layout lay;
	bool have_base;
	uint64_t base;
	uint64_t slot_seen[GHES_MAX_SOURCES_FUZZ];	/* slot i as ghes last read it */
	bool slot_valid[GHES_MAX_SOURCES_FUZZ];
};

/* Every write must hit the blob at the current base or a whole block named
 * by an address slot as ghes last read it (the block may overlap the slot:
 * the guest's own business). */
static int checked_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	struct world *w = o;
	uint64_t end;
	bool ok = false;

	FZ_CHECK(w->have_base);
	FZ_CHECK(!__builtin_add_overflow(gpa, len, &end));
	if (gpa >= w->base && end <= w->base + ghes_blob_size(&w->lay))
		ok = true;
	for (unsigned i = 0; i < w->lay.nsources && !ok; i++) {
		uint64_t blk = w->slot_seen[i];

		ok = w->slot_valid[i] && gpa >= blk && end - blk <= w->lay.block_len;
	}
	FZ_CHECK(ok);
	return fz_ram_write(&w->ram, gpa, buf, len);
}

/* Reads pass through; an 8-byte read of an address slot is remembered. */
static int plain_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	struct world *w = o;
	int r = fz_ram_read(&w->ram, gpa, buf, len);

	for (unsigned i = 0; r == 0 && len == 8 && w->have_base && i < w->lay.nsources; i++) {
		if (gpa == w->base + ghes_addr_offset(&w->lay, i)) {
			w->slot_seen[i] = get_le64(buf);
			w->slot_valid[i] = true;
		}
	}
	return r;
}

/* What the firmware does with the blob: slots point at the blocks, every
 * read_ack starts at 1. */
static void firmware_setup(struct world *w, uint64_t base)
{
	uint8_t b[8];

	for (unsigned i = 0; i < w->lay.nsources; i++) {
		put_le64(b, base + ghes_block_offset(&w->lay, i));
		fz_ram_write(&w->ram, base + ghes_addr_offset(&w->lay, i), b, 8);
		put_le64(b, GHES_READ_ACK_BIT);
		fz_ram_write(&w->ram, base + ghes_ack_offset(&w->lay, i), b, 8);
	}
}

static void set_base(struct world *w, struct ghes *g, uint64_t base)
{
	if (ghes_set_base(g, base) == 0) {
		w->have_base = true;
		w->base = base;
		memset(w->slot_valid, 0, sizeof(w->slot_valid));
	}
}

static unsigned notified;

static void notify(void *opaque, unsigned source)
{
	struct world *w = opaque;

	FZ_CHECK(source < w->lay.nsources);
	notified++;
}

static void check_counters(struct world *w, struct ghes *g, unsigned max_queue)
{
	struct ghes_stats st;
	unsigned sum = 0;

	ghes_get_stats(g, &st);
	for (unsigned i = 0; i < w->lay.nsources; i++) {
		unsigned d = ghes_queue_depth(g, i);

		FZ_CHECK(d <= max_queue);
		FZ_CHECK(d <= st.max_depth);
		sum += d;
	}
	FZ_CHECK(ghes_queue_depth(g, w->lay.nsources) == 0);
	FZ_CHECK(st.queued_now == sum);
	FZ_CHECK(ghes_pending(g) == (sum != 0));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct world *w = calloc(1, sizeof(*w));
	struct ghes_stats st0, st1;
	unsigned max_queue, steps = 0;
	uint8_t rec[GHES_BLOCK_LEN + 16];
	struct ghes *g;

	FZ_CHECK(w);
	fz_ram_init(&w->ram, RAM_SIZE);
	w->gm = (struct guest_mem){ plain_read, checked_write, w, NULL };
	FZ_CHECK(ghes_layout_init(&w->lay, 1 + fz_u8(&f) % 3) == 0);
	max_queue = 1 + fz_u8(&f) % 8;
	g = ghes_create(&w->gm, &w->lay, max_queue);
	FZ_CHECK(g);
	if (!(fz_u8(&f) & 0x80)) {
		firmware_setup(w, FZ_RAM_BASE + 0x1000);
		set_base(w, g, FZ_RAM_BASE + 0x1000);
	}

	while (fz_more(&f) && steps++ < 128) {
		uint8_t op = fz_u8(&f);
		unsigned src = fz_u8(&f) % (w->lay.nsources + 1);	/* one past: invalid */
		size_t len = 0;
		uint64_t gpa;
		uint8_t b[8];
		int r, n;

		switch (op % 10) {
		case 0: case 1: case 2: { /* a record: CPER or raw bytes */
			if (op & 0x80) {
				len = fz_u16(&f) % sizeof(rec);
				fz_bytes(&f, rec, MIN(len, (size_t)64));
				memset(rec + MIN(len, (size_t)64), 0x5A, len - MIN(len, (size_t)64));
			} else {
				struct cper_mem_error e = { .gpa = fz_u64(&f), .severity = fz_u8(&f) % 4,
							    .mem_error_type = fz_u8(&f) % 4,
							    .timestamp = fz_u8(&f) };

				FZ_CHECK(cper_build_mem_error(rec, sizeof(rec), &e, &len) == 0);
			}
			ghes_get_stats(g, &st0);
			r = (op % 10 == 2) ? ghes_try_write(g, src, rec, len)
					   : ghes_submit(g, src, rec, len);
			ghes_get_stats(g, &st1);
			if (r == 0)
				FZ_CHECK(st1.written == st0.written + 1);
			else
				FZ_CHECK(st1.written == st0.written);
			if (r == 1)
				FZ_CHECK(st1.queued_total + st1.coalesced ==
					 st0.queued_total + st0.coalesced + 1);
			if (r == -EINVAL || r == -EMSGSIZE)
				FZ_CHECK(memcmp(&st0, &st1, sizeof(st0)) == 0);
			break;
		}
		case 3: /* the event loop polls */
			ghes_get_stats(g, &st0);
			notified = 0;
			n = ghes_poll(g, op & 0x80 ? NULL : notify, w);
			ghes_get_stats(g, &st1);
			FZ_CHECK(n >= 0 && st1.written == st0.written + (unsigned)n);
			FZ_CHECK(op & 0x80 || notified == (unsigned)n);
			break;
		case 4: /* the guest acks source src (or writes junk there) */
			if (w->have_base) {
				put_le64(b, op & 0x80 ? fz_u64(&f) : GHES_READ_ACK_BIT);
				fz_ram_write(&w->ram, w->base + ghes_ack_offset(&w->lay, src), b, 8);
			}
			break;
		case 5: /* the guest rewrites an address slot */
			if (w->have_base) {
				put_le64(b, fz_gpa(&f, &w->ram));
				fz_ram_write(&w->ram, w->base + ghes_addr_offset(&w->lay, src), b, 8);
			}
			break;
		case 6:
			if (op & 0x80)
				fz_ram_poison(&f, &w->ram);
			else
				fz_ram_poke(&f, &w->ram);
			break;
		case 7: /* WRITE_POINTER: a base anywhere */
			gpa = fz_gpa(&f, &w->ram);
			if (op & 0x80)
				firmware_setup(w, gpa);
			set_base(w, g, gpa);
			break;
		case 8: /* guest reset: the firmware allocates the blob again */
			ghes_reset(g);
			w->have_base = false;
			FZ_CHECK(!ghes_pending(g));
			if (op & 0x80) {
				firmware_setup(w, FZ_RAM_BASE + 0x2000);
				set_base(w, g, FZ_RAM_BASE + 0x2000);
			}
			break;
		case 9:
			n = fz_u8(&f) % (w->lay.nsources + 2);
			r = ghes_idle(g, src, (unsigned)n);
			FZ_CHECK(r == 1 || r == 0 || r == -EINVAL || r == -EFAULT || r == -EIO);
			for (unsigned i = src; r == 1 && i < src + (unsigned)n; i++)
				FZ_CHECK(!ghes_queue_depth(g, i));
			break;
		}
		check_counters(w, g, max_queue);
	}

	ghes_destroy(g);
	fz_ram_fini(&w->ram);
	free(w);
	return 0;
}
