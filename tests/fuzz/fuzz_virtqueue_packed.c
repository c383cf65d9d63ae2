/* Fuzz target: the packed virtqueue (vmm/virtio/virtqueue_packed.c, VIRTIO
 * 1.2 section 2.8) through the layout-blind vq_* interface, with the
 * request handling of the device models on every chain it pops
 * (virtio-blk's blk_req_parse/blk_req_complete with the I/O inline, or
 * virtio-rng's rng_fill_chain). The queue is enabled with fuzz sizes (any
 * 1..256, not only powers of two) and ring addresses (mostly a Linux
 * layout, sometimes anywhere); the guest then makes chains available as a
 * driver does (wrap counter bits right, first descriptor's flags last) or
 * scribbles raw descriptors and flags anywhere in the ring, writes
 * indirect tables, sets its event suppression, pokes and poisons RAM,
 * while the device pops, pushes at once or later in any order, pushes
 * stale heads, asks whether to notify, toggles notifications, resets.
 * Invariants: fz_vq_check_chain / fz_blk_handle (fuzz_virtio.h); a
 * broken or disabled queue pops nothing and pushes nothing; a push writes
 * one used descriptor at the old used position with the chain's Buffer ID
 * and both wrap bits equal to the old counter; slots free + in flight =
 * ring size; counters move as the calls say. */
#include "fuzz.h"
#include "fuzz_virtio.h"

#define RAM_SIZE 0x10000ull
#define PK_AVAIL (1u << 7)
#define PK_USED  (1u << 15)

/* The driver's view: where it makes descriptors available next. */
struct pk_drv {
	uint16_t next;
	bool wrap;
};

/* Chains popped and not yet pushed: (head, used length). */
struct pk_flight {
	unsigned n;
	uint16_t head[VQ_MAX_SIZE];
	uint32_t used[VQ_MAX_SIZE];
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

static void enable(struct fz *f, struct fz_ram *ram, struct virtqueue *vq, struct pk_drv *d,
		   struct pk_flight *fl)
{
	uint8_t sel = fz_u8(f);
	uint16_t size = sel & 0x80 ? fz_u16(f) : (uint16_t)(1 + fz_u8(f) % VQ_MAX_SIZE);
	uint64_t desc = FZ_RAM_BASE + FZ_VQ_DESC, drv = FZ_RAM_BASE + FZ_VQ_AVAIL,
		 dev = FZ_RAM_BASE + FZ_VQ_AVAIL + 4;

	if (sel & 0x40) {
		desc = fz_gpa(f, ram);
		drv = fz_gpa(f, ram);
		dev = fz_gpa(f, ram);
	}
	*d = (struct pk_drv){ 0, true };
	fl->n = 0;
	if (vq_enable_packed(vq, size, desc, drv, dev, sel & 1, sel & 2) == 0) {
		FZ_CHECK(vq->enabled && vq->packed && vq->size == size);
		FZ_CHECK(vq->pk.avail_wrap && vq->pk.used_wrap && vq->pk.nfree == size);
	} else {
		FZ_CHECK(!vq->enabled);
	}
}

/* RAM offset of ring position pos, or -1 when it is not in RAM. */
static int64_t ring_off(const struct fz_ram *ram, const struct virtqueue *vq, uint16_t pos)
{
	uint64_t gpa = vq->desc_gpa + 16ull * pos;

	if (!fz_ram_range(ram, gpa, 16))
		return -1;
	return (int64_t)(gpa - FZ_RAM_BASE);
}

/* The driver makes a chain of 1..4 descriptors available the proper way
 * (2.8.21.1): buffers from the input, wrap bits right, NEXT on all but
 * the last, the first descriptor's flags last. */
static void add_chain(struct fz *f, struct fz_ram *ram, const struct virtqueue *vq, struct pk_drv *d)
{
	unsigned n = 1 + fz_u8(f) % 4, i;
	uint16_t id = fz_u8(f) & 0x80 ? fz_u16(f) : fz_u8(f);
	int64_t first = -1;
	uint16_t first_flags = 0;

	for (i = 0; i < n; i++) {
		int64_t off = ring_off(ram, vq, d->next);
		uint8_t sel = fz_u8(f);
		uint64_t addr = sel & 0x80 ? fz_gpa(f, ram)
				: FZ_RAM_BASE + FZ_VQ_BUFS + (fz_u16(f) % (ram->size - FZ_VQ_BUFS));
		uint32_t len = sel & 0x40 ? fz_u32(f) : fz_u16(f) % 0x2000;
		uint16_t fl = (d->wrap ? PK_AVAIL : PK_USED) | (sel & 6) |	/* WRITE, INDIRECT */
			      (i + 1 < n ? 1 : 0);
		uint8_t *p;

		if (off < 0)
			return;
		p = ram->bytes + off;
		put_le64(p, addr);
		put_le32(p + 8, len);
		put_le16(p + 12, id);
		if (i) {
			put_le16(p + 14, fl);
		} else {
			first = off;
			first_flags = fl;
		}
		if (++d->next >= vq->size) {
			d->next = 0;
			d->wrap = !d->wrap;
		}
	}
	if (first >= 0)
		put_le16(ram->bytes + first + 14, first_flags);
}

/* A hostile write: any descriptor field or flags at any ring position. */
static void raw_desc(struct fz *f, struct fz_ram *ram, const struct virtqueue *vq)
{
	int64_t off = ring_off(ram, vq, (uint16_t)(fz_u8(f) % (vq->size ? vq->size : 1)));
	uint8_t d[16];

	if (off < 0)
		return;
	put_le64(d, fz_u8(f) & 1 ? fz_gpa(f, ram)
				 : FZ_RAM_BASE + FZ_VQ_BUFS + fz_u16(f) % (ram->size - FZ_VQ_BUFS));
	put_le32(d + 8, fz_len(f));
	put_le16(d + 12, fz_u16(f));
	put_le16(d + 14, fz_u16(f));
	memcpy(ram->bytes + off, d, sizeof(d));
}

/* The driver's event suppression structure (anything, 2.8.14). */
static void driver_event(struct fz *f, struct fz_ram *ram, const struct virtqueue *vq)
{
	uint32_t v = fz_u32(f);

	if (fz_ram_range(ram, vq->avail_gpa, 4))
		memcpy(ram->bytes + (vq->avail_gpa - FZ_RAM_BASE), &v, 4);
}

/* Push one in-flight chain back and check the used descriptor written. */
static void push_one(struct fz *f, struct fz_ram *ram, struct virtqueue *vq, struct pk_flight *fl)
{
	unsigned k = fz_u8(f) % fl->n;
	uint16_t head = fl->head[k], pos = vq->pk.next_used, id;
	uint16_t ndesc = vq->pk.slot[head].ndesc;
	bool wrap = vq->pk.used_wrap;
	struct vq_stats st0 = vq->st;
	int64_t off = ring_off(ram, vq, pos);
	uint32_t used = fl->used[k];

	FZ_CHECK(ndesc >= 1 && ndesc <= vq->size);
	id = vq->pk.slot[head].id;
	fl->head[k] = fl->head[fl->n - 1];
	fl->used[k] = fl->used[fl->n - 1];
	fl->n--;
	if (vq_push(vq, head, used)) {
		FZ_CHECK(vq->broken && vq->st.pushed == st0.pushed);
		return;
	}
	FZ_CHECK(vq->st.pushed == st0.pushed + 1);
	FZ_CHECK(off >= 0);
	{
		const uint8_t *p = ram->bytes + off;
		uint16_t flags = get_le16(p + 14);

		FZ_CHECK(get_le16(p + 12) == id && get_le32(p + 8) == used);
		FZ_CHECK(!!(flags & PK_AVAIL) == wrap && !!(flags & PK_USED) == wrap);
		FZ_CHECK(!!(flags & 2) == (used != 0));
	}
	FZ_CHECK(vq->pk.next_used == (pos + ndesc) % vq->size);
	FZ_CHECK(vq->pk.used_wrap == (pos + ndesc >= vq->size ? !wrap : wrap));
	/* The same head again is refused. */
	FZ_CHECK(vq_push(vq, head, used) == -EINVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct fz_ram ram;
	struct virtqueue *vq = malloc(sizeof(*vq));
	struct vq_chain *c = malloc(sizeof(*c));
	struct pk_flight *fl = malloc(sizeof(*fl));
	struct blk_stats bst = { 0 };
	struct blk_disk disk;
	struct pk_drv drv;
	unsigned steps = 0;
	bool is_blk;

	FZ_CHECK(c && vq && fl);
	fz_ram_init(&ram, RAM_SIZE);
	fz_blk_disk(&f, &disk);
	is_blk = !(fz_u8(&f) & 0x10);
	vq_init(vq, &ram.gm);
	enable(&f, &ram, vq, &drv, fl);

	while (fz_more(&f) && steps++ < 256) {
		uint8_t op = fz_u8(&f);
		struct vq_stats st0 = vq->st;
		bool broken = vq->broken, on = vq->enabled;
		int r, used;

		switch (op % 12) {
		case 0: case 1:
			if (vq->enabled)
				add_chain(&f, &ram, vq, &drv);
			break;
		case 2: /* a descriptor in an indirect table in the data area */
			fz_vq_write_desc(&f, &ram, FZ_VQ_BUFS + (fz_u8(&f) & 0xf0) * 16, 16);
			break;
		case 3:
			if (vq->enabled)
				raw_desc(&f, &ram, vq);
			break;
		case 4:
			driver_event(&f, &ram, vq);
			break;
		case 5:
			fz_ram_poke(&f, &ram);
			break;
		case 6: case 7: /* the device pops and serves; pushes now or later */
			r = vq_pop(vq, c);
			FZ_CHECK(r == 0 || r == 1 || r == -EINVAL);
			if (!on || broken)
				FZ_CHECK(r == 0);
			if (r < 0) {
				FZ_CHECK(vq->broken && vq->st.malformed == st0.malformed + 1);
				break;
			}
			if (r == 0)
				break;
			FZ_CHECK(vq->st.popped == st0.popped + 1);
			FZ_CHECK(fl->n < vq->size);
			fz_vq_check_chain(&ram, vq, c);
			used = is_blk ? fz_blk_handle(&ram, &disk, c, &bst)
				      : (int)fz_rng_handle(c, op & 0x80 ? 7 : RNG_MAX_REQUEST);
			if (used < 0) {
				vq->broken = true;	/* as blk_broken() does */
				break;
			}
			fl->head[fl->n] = c->head;
			fl->used[fl->n++] = (uint32_t)used;
			if (!(op & 0x40))
				push_one(&f, &ram, vq, fl);
			break;
		case 8: /* a deferred completion, or a device bug: a stale head */
			if (fl->n && !(op & 0x80) && vq->enabled && !vq->broken) {
				push_one(&f, &ram, vq, fl);
			} else {
				uint16_t h = fz_u16(&f);
				bool inflight = vq->enabled && h < vq->size && vq->pk.slot[h].ndesc;

				r = vq_push(vq, h, fz_u32(&f));
				if (!on || broken || !inflight)
					FZ_CHECK(r == -EINVAL && vq->st.pushed == st0.pushed);
				/* A real in-flight head pushed behind our back:
				 * forget it in the flight list. */
				for (unsigned k = 0; r == 0 && k < fl->n; k++) {
					if (fl->head[k] == h) {
						fl->head[k] = fl->head[--fl->n];
						fl->used[k] = fl->used[fl->n];
						break;
					}
				}
			}
			break;
		case 9:
			if (vq_should_notify(vq))
				FZ_CHECK(vq->st.notifies == st0.notifies + 1 && !broken && on);
			break;
		case 10:
			vq_set_notify(vq, op & 0x80);
			break;
		case 11:
			if (op & 0x80) {
				fz_ram_poison(&f, &ram);
			} else {
				vq_reset(vq);
				FZ_CHECK(!vq->enabled && !vq->broken && !vq->packed);
				enable(&f, &ram, vq, &drv, fl);
			}
			break;
		}
		if (vq->enabled) {
			FZ_CHECK(vq->size && vq->size <= VQ_MAX_SIZE);
			FZ_CHECK(vq->pk.next_avail < vq->size && vq->pk.next_used < vq->size);
			FZ_CHECK(vq->pk.nfree <= vq->size);
			if (!vq->broken)
				FZ_CHECK(vq->pk.nfree + fl->n == vq->size);
		}
	}

	free(fl);
	free(c);
	free(vq);
	fz_ram_fini(&ram);
	return 0;
}
