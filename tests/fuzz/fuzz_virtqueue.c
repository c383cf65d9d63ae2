/* Fuzz target: the split virtqueue (vmm/virtio/virtqueue.c) with the
 * request handling of the device models on every chain it pops: virtio-blk
 * (vmm/virtio/blk_req.c blk_req_parse/blk_req_complete, I/O done inline)
 * and virtio-rng (rng_fill_chain). The queue is enabled with fuzz sizes and
 * ring addresses (mostly a Linux layout, sometimes anywhere), then the
 * guest writes descriptors (direct and indirect), publishes heads, moves
 * its indexes and event fields, poisons pages, while the device pops,
 * pushes, asks whether to notify and toggles notifications.
 * Invariants: fz_vq_check_chain / fz_blk_handle (fuzz_virtio.h); a broken
 * queue pops nothing and pushes nothing; counters move as the calls say. */
#include "fuzz.h"
#include "fuzz_virtio.h"

#define RAM_SIZE 0x10000ull

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

static int enable(struct fz *f, struct fz_ram *ram, struct virtqueue *vq)
{
	uint8_t sel = fz_u8(f);
	uint16_t size = sel & 0x80 ? fz_u16(f) : (uint16_t)(1u << (fz_u8(f) % 9));
	uint64_t desc = FZ_RAM_BASE + FZ_VQ_DESC, avail = FZ_RAM_BASE + FZ_VQ_AVAIL,
		 used = FZ_RAM_BASE + FZ_VQ_USED;

	if (sel & 0x40) {
		desc = fz_gpa(f, ram);
		avail = fz_gpa(f, ram);
		used = fz_gpa(f, ram);
	}
	return vq_enable(vq, size, desc, avail, used, sel & 1, sel & 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct fz_ram ram;
	struct virtqueue vq;
	struct vq_chain *c = malloc(sizeof(*c));
	struct blk_stats bst = { 0 };
	struct blk_disk disk;
	unsigned steps = 0;
	bool is_blk;

	FZ_CHECK(c);
	fz_ram_init(&ram, RAM_SIZE);
	fz_blk_disk(&f, &disk);
	is_blk = !(fz_u8(&f) & 0x10);
	vq_init(&vq, &ram.gm);
	enable(&f, &ram, &vq);

	while (fz_more(&f) && steps++ < 256) {
		uint8_t op = fz_u8(&f);
		struct vq_stats st0 = vq.st;
		bool broken = vq.broken, on = vq.enabled;
		int r, used;

		switch (op % 12) {
		case 0: case 1: /* a descriptor in the table */
			if (vq.enabled && vq.desc_gpa >= FZ_RAM_BASE)
				fz_vq_write_desc(&f, &ram, vq.desc_gpa - FZ_RAM_BASE, vq.size);
			break;
		case 2: /* a descriptor in an indirect table in the data area */
			fz_vq_write_desc(&f, &ram, FZ_VQ_BUFS + (fz_u8(&f) & 0xf0) * 16, 16);
			break;
		case 3: case 4:
			if (vq.enabled && vq.avail_gpa >= FZ_RAM_BASE)
				fz_vq_publish(&f, &ram, vq.avail_gpa - FZ_RAM_BASE, vq.size);
			break;
		case 5:
			fz_ram_poke(&f, &ram);
			break;
		case 6: case 7: /* the device pops and serves */
			r = vq_pop(&vq, c);
			FZ_CHECK(r == 0 || r == 1 || r == -EINVAL);
			if (!on || broken)
				FZ_CHECK(r == 0);
			if (r < 0) {
				FZ_CHECK(vq.broken && vq.st.malformed == st0.malformed + 1);
				break;
			}
			if (r == 0)
				break;
			FZ_CHECK(vq.st.popped == st0.popped + 1);
			fz_vq_check_chain(&ram, &vq, c);
			used = is_blk ? fz_blk_handle(&ram, &disk, c, &bst)
				      : (int)fz_rng_handle(c, op & 0x80 ? 7 : RNG_MAX_REQUEST);
			if (used >= 0 && vq_push(&vq, c->head, (uint32_t)used) == 0)
				FZ_CHECK(vq.st.pushed == st0.pushed + 1);
			break;
		case 8: /* a device bug or a stale head: pushes are checked */
			r = vq_push(&vq, fz_u16(&f), fz_u32(&f));
			if (!on || broken)
				FZ_CHECK(r == -EINVAL && vq.st.pushed == st0.pushed);
			break;
		case 9:
			if (vq_should_notify(&vq))
				FZ_CHECK(vq.st.notifies == st0.notifies + 1 && !broken && on);
			break;
		case 10:
			vq_set_notify(&vq, op & 0x80);
			break;
		case 11:
			if (op & 0x80) {
				fz_ram_poison(&f, &ram);
			} else {
				vq_reset(&vq);
				FZ_CHECK(!vq.enabled && !vq.broken);
				enable(&f, &ram, &vq);
			}
			break;
		}
		if (vq.enabled)
			FZ_CHECK(vq.size && vq.size <= VQ_MAX_SIZE && !(vq.size & (vq.size - 1)));
	}

	free(c);
	fz_ram_fini(&ram);
	return 0;
}
