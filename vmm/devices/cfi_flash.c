/* CFI NOR flash, Intel/Sharp command set 0x0001 (JESD68 CFI query table,
 * Intel P30-style command sequences), as two interleaved x16 chips on a
 * 32-bit bank like QEMU's virt pflash. Pure state machine over caller
 * storage; program/erase complete instantly; bad sequences set status
 * error bits, never crash. Every access to the storage is guarded: when it
 * maps a file that was truncated (or a page that is poisoned), the
 * operation fails with status error bits instead of a fatal SIGBUS. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/cfi_flash.h"
#include "devices/rom.h"
#include "fdt_writer.h"
#include "guard.h"
#include "log.h"
#include "util.h"

/* Commands (first bus cycle). */
#define CMD_READ_ARRAY      0xFF
#define CMD_READ_ARRAY_AMD  0xF0 /* AMD reset, sent by Linux's CFI probe */
#define CMD_READ_ARRAY_ZERO 0x00 /* accepted as read array, as QEMU */
#define CMD_READ_STATUS     0x70
#define CMD_CLEAR_STATUS    0x50
#define CMD_READ_ID         0x90
#define CMD_CFI_QUERY       0x98
#define CMD_BLOCK_ERASE     0x20
#define CMD_WORD_PROGRAM    0x40
#define CMD_WORD_PROGRAM_2  0x10
#define CMD_BUFFERED_PROG   0xE8
#define CMD_LOCK_SETUP      0x60
/* Second cycles. */
#define CMD_CONFIRM         0xD0 /* erase / buffered program confirm, unlock */
#define CMD_LOCK_BLOCK      0x01
#define CMD_LOCK_DOWN       0x2F

#define SR_SEQ_ERR (CFI_SR_ERASE_ERR | CFI_SR_PROGRAM_ERR)
#define CFI_TABLE_SIZE 0x40

enum read_mode { MODE_ARRAY, MODE_STATUS, MODE_ID, MODE_QUERY };

enum cmd_state {
	ST_IDLE,
	ST_ERASE_SETUP,   /* 0x20 seen, waiting for 0xD0 */
	ST_PROGRAM_SETUP, /* 0x40/0x10 seen, next write is data */
	ST_BUF_COUNT,     /* 0xE8 seen, next write is the count */
	ST_BUF_DATA,      /* collecting count+1 data writes */
	ST_BUF_CONFIRM,   /* waiting for 0xD0 */
	ST_LOCK_SETUP,    /* 0x60 seen, waiting for 0x01/0xD0/0x2F */
};

struct buf_write {
	uint32_t off;
	uint32_t val;
	uint8_t size;
};

struct cfi_flash {
	pthread_mutex_t lock;
	uint8_t *storage;
	uint64_t size;
	uint32_t nblocks;
	bool *locked;
	cfi_flash_romd_cb set_romd;
	void *opaque;
	cfi_flash_flush_cb flush;
	void *flush_opaque;
	bool romd;
	bool dirty;           /* storage written since the last flush */
	enum read_mode mode;
	enum cmd_state state;
	uint8_t status;
	uint64_t buf_block;   /* block base of the buffered program */
	uint32_t buf_total;   /* writes expected */
	uint32_t buf_n;       /* writes collected */
	struct buf_write buf[CFI_FLASH_BUF_WRITES];
	uint8_t cfi[CFI_TABLE_SIZE];
};

/* Fill the CFI query table (JESD68-01 layout; per chip, each chip sees
 * half the bank). One call per field. */
static void build_cfi_table(struct cfi_flash *f)
{
	uint8_t *t = f->cfi;
	uint64_t chip_size = f->size / 2;
	uint32_t chip_block = CFI_FLASH_BLOCK_SIZE / 2;

	t[0x10] = 'Q'; t[0x11] = 'R'; t[0x12] = 'Y';     /* query string */
	put_le16(t + 0x13, 0x0001);                       /* primary command set: Intel/Sharp */
	put_le16(t + 0x15, 0x0031);                       /* primary extended table address */
	put_le16(t + 0x17, 0x0000);                       /* alternate command set: none */
	put_le16(t + 0x19, 0x0000);                       /* alternate extended table: none */
	t[0x1B] = 0x45;                                   /* Vcc min 4.5 V (BCD) */
	t[0x1C] = 0x55;                                   /* Vcc max 5.5 V (BCD) */
	t[0x1D] = 0x00;                                   /* Vpp min: no Vpp pin */
	t[0x1E] = 0x00;                                   /* Vpp max: no Vpp pin */
	t[0x1F] = 0x07;                                   /* typical word program 2^7 us */
	t[0x20] = 0x07;                                   /* typical buffer program 2^7 us */
	t[0x21] = 0x0A;                                   /* typical block erase 2^10 ms */
	t[0x22] = 0x00;                                   /* chip erase: unsupported */
	t[0x23] = 0x04;                                   /* max word program: typ * 2^4 */
	t[0x24] = 0x04;                                   /* max buffer program: typ * 2^4 */
	t[0x25] = 0x04;                                   /* max block erase: typ * 2^4 */
	t[0x26] = 0x00;                                   /* max chip erase: unsupported */
	t[0x27] = (uint8_t)__builtin_ctzll(chip_size);    /* device size 2^N bytes */
	put_le16(t + 0x28, 0x0002);                       /* interface: x8/x16 async */
	put_le16(t + 0x2A, 11);                           /* write buffer 2^N bytes */
	t[0x2C] = 0x01;                                   /* one erase block region */
	put_le16(t + 0x2D, (uint16_t)(f->nblocks - 1));   /* region: blocks - 1 */
	put_le16(t + 0x2F, (uint16_t)(chip_block / 256)); /* region: block size / 256 */
	t[0x31] = 'P'; t[0x32] = 'R'; t[0x33] = 'I';     /* extended query string */
	t[0x34] = '1';                                    /* extended table major version */
	t[0x35] = '0';                                    /* extended table minor version */
	put_le32(t + 0x36, 0);                            /* optional features: none */
	t[0x3A] = 0x00;                                   /* functions after suspend: none */
	put_le16(t + 0x3B, 0x0001);                       /* block status: lock bit */
	t[0x3D] = 0x33;                                   /* Vcc optimum 3.3 V (BCD) */
	t[0x3E] = 0x00;                                   /* Vpp optimum: none */
}

/* Lock held: write back what program/erase changed. A failure shows as a
 * program error in the status register from then on, so the guest learns
 * its last writes may not have reached the disk. */
static void flush_storage(struct cfi_flash *f)
{
	if (!f->dirty)
		return;
	f->dirty = false;
	if (f->flush && f->flush(f->flush_opaque) < 0)
		f->status |= CFI_SR_PROGRAM_ERR;
}

/* Called after every state change, with the lock held. The end of a burst
 * of program/erase commands (back to read-array mode) is a flush point. */
static void update_romd(struct cfi_flash *f)
{
	bool want = f->mode == MODE_ARRAY && f->state == ST_IDLE;

	if (want == f->romd)
		return;
	if (want)
		flush_storage(f);
	f->romd = want;
	if (f->set_romd)
		f->set_romd(f->opaque, want);
}

static uint32_t block_of(uint64_t off)
{
	return (uint32_t)(off / CFI_FLASH_BLOCK_SIZE);
}

struct program_op {
	uint8_t *storage;
	const struct buf_write *w;
	uint32_t n;
};

/* Under the guard: AND each write's bytes into storage (program only
 * clears bits). */
static void program_writes(void *arg)
{
	const struct program_op *op = arg;

	for (uint32_t k = 0; k < op->n; k++)
		for (unsigned i = 0; i < op->w[k].size; i++)
			op->storage[op->w[k].off + i] &= (uint8_t)(op->w[k].val >> (8 * i));
}

static void storage_fault(const char *what, uint64_t off)
{
	pr_warn_rl("cfi_flash: %s at 0x%llx failed: its backing store cannot be accessed (file truncated or I/O error)",
		   what, (unsigned long long)off);
}

/* Program n writes: 0, or -EIO when the storage could not be written (some
 * bytes may have been). */
static int program(struct cfi_flash *f, const struct buf_write *w, uint32_t n)
{
	struct program_op op = { f->storage, w, n };
	int ret;

	f->dirty = true;
	ret = guarded_call(program_writes, &op);
	if (ret)
		storage_fault("program", w[0].off);
	return ret;
}

/* Finish an operation: report in the status register, show status. */
static void finish(struct cfi_flash *f, uint8_t err)
{
	f->status |= err;
	f->state = ST_IDLE;
	f->mode = MODE_STATUS;
}

static void seq_error(struct cfi_flash *f, const char *what, uint8_t cmd)
{
	pr_warn_rl("cfi_flash: command sequence error (%s, got 0x%02x)", what, cmd);
	finish(f, SR_SEQ_ERR);
}

static void do_erase(struct cfi_flash *f, uint64_t off)
{
	uint32_t b = block_of(off);

	if (f->locked[b]) {
		finish(f, CFI_SR_LOCKED | CFI_SR_ERASE_ERR);
		return;
	}
	f->dirty = true;
	if (guarded_memset(f->storage + (uint64_t)b * CFI_FLASH_BLOCK_SIZE, 0xFF,
			   CFI_FLASH_BLOCK_SIZE)) {
		storage_fault("block erase", (uint64_t)b * CFI_FLASH_BLOCK_SIZE);
		finish(f, CFI_SR_ERASE_ERR);
		return;
	}
	finish(f, 0);
}

static void do_buffer_program(struct cfi_flash *f)
{
	if (f->locked[block_of(f->buf_block)]) {
		finish(f, CFI_SR_LOCKED | CFI_SR_PROGRAM_ERR);
		return;
	}
	finish(f, program(f, f->buf, f->buf_n) ? CFI_SR_PROGRAM_ERR : 0);
}

static void idle_command(struct cfi_flash *f, uint64_t off, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_ARRAY:
	case CMD_READ_ARRAY_AMD:
	case CMD_READ_ARRAY_ZERO:
		f->mode = MODE_ARRAY;
		break;
	case CMD_READ_STATUS:
		f->mode = MODE_STATUS;
		break;
	case CMD_CLEAR_STATUS:
		f->status = CFI_SR_READY; /* read mode unchanged */
		break;
	case CMD_READ_ID:
		f->mode = MODE_ID;
		break;
	case CMD_CFI_QUERY:
		f->mode = MODE_QUERY;
		break;
	case CMD_BLOCK_ERASE:
		f->state = ST_ERASE_SETUP;
		break;
	case CMD_WORD_PROGRAM:
	case CMD_WORD_PROGRAM_2:
		f->state = ST_PROGRAM_SETUP;
		break;
	case CMD_BUFFERED_PROG:
		f->state = ST_BUF_COUNT;
		f->buf_block = ALIGN_DOWN(off, (uint64_t)CFI_FLASH_BLOCK_SIZE);
		f->buf_n = 0;
		break;
	case CMD_LOCK_SETUP:
		f->state = ST_LOCK_SETUP;
		break;
	default:
		pr_warn_rl("cfi_flash: unknown command 0x%02x at 0x%llx", cmd,
			   (unsigned long long)off);
		f->status |= SR_SEQ_ERR;
		f->mode = MODE_ARRAY;
		break;
	}
}

/* One bus write, lock held, offset already checked. */
static void flash_write(struct cfi_flash *f, uint64_t off, unsigned size, uint32_t val)
{
	uint8_t cmd = (uint8_t)val;

	switch (f->state) {
	case ST_IDLE:
		idle_command(f, off, cmd);
		break;
	case ST_ERASE_SETUP:
		if (cmd == CMD_CONFIRM)
			do_erase(f, off);
		else
			seq_error(f, "block erase", cmd);
		break;
	case ST_PROGRAM_SETUP:
		if (f->locked[block_of(off)]) {
			finish(f, CFI_SR_LOCKED | CFI_SR_PROGRAM_ERR);
		} else {
			struct buf_write w = { (uint32_t)off, val, (uint8_t)size };

			finish(f, program(f, &w, 1) ? CFI_SR_PROGRAM_ERR : 0);
		}
		break;
	case ST_BUF_COUNT:
		/* Count of bank writes minus one, in each chip's 16-bit lane. */
		f->buf_total = (val & 0xFFFF) + 1u;
		if (f->buf_total > CFI_FLASH_BUF_WRITES)
			seq_error(f, "buffer count too large", cmd);
		else
			f->state = ST_BUF_DATA;
		break;
	case ST_BUF_DATA:
		if (ALIGN_DOWN(off, (uint64_t)CFI_FLASH_BLOCK_SIZE) != f->buf_block) {
			seq_error(f, "buffer data outside the block", cmd);
			break;
		}
		f->buf[f->buf_n].off = (uint32_t)off;
		f->buf[f->buf_n].val = val;
		f->buf[f->buf_n].size = (uint8_t)size;
		if (++f->buf_n == f->buf_total)
			f->state = ST_BUF_CONFIRM;
		break;
	case ST_BUF_CONFIRM:
		if (cmd == CMD_CONFIRM)
			do_buffer_program(f);
		else
			seq_error(f, "buffered program confirm", cmd);
		break;
	case ST_LOCK_SETUP:
		if (cmd == CMD_LOCK_BLOCK || cmd == CMD_LOCK_DOWN) {
			f->locked[block_of(off)] = true;
			finish(f, 0);
		} else if (cmd == CMD_CONFIRM) {
			f->locked[block_of(off)] = false;
			finish(f, 0);
		} else {
			seq_error(f, "block lock", cmd);
		}
		break;
	}
	update_romd(f);
}

/* The 32-bit bank word at 'off' (4-aligned) in a non-array read mode. */
static uint32_t mode_word(struct cfi_flash *f, uint64_t off)
{
	uint16_t v = 0;

	if (f->state != ST_IDLE || f->mode == MODE_STATUS) {
		v = f->status;
	} else if (f->mode == MODE_ID) {
		/* Identifier codes at word offsets from each block's base. */
		switch ((off % CFI_FLASH_BLOCK_SIZE) / CFI_FLASH_BANK_WIDTH) {
		case 0: v = CFI_FLASH_MANUFACTURER; break;
		case 1: v = CFI_FLASH_DEVICE_ID; break;
		case 2: v = f->locked[block_of(off)] ? 1 : 0; break; /* block lock status */
		default: v = 0; break;
		}
	} else if (f->mode == MODE_QUERY) {
		uint64_t idx = off / CFI_FLASH_BANK_WIDTH;

		v = idx < CFI_TABLE_SIZE ? f->cfi[idx] : 0;
	}
	/* Same answer from both x16 chips, one per 16-bit lane. */
	return (uint32_t)v | (uint32_t)v << 16;
}

static int cfi_mmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct cfi_flash *f = dev;
	uint64_t v = 0;

	if (size < 1 || size > 8 || !range_within(off, size, 0, f->size)) {
		pr_warn_rl("cfi_flash: bad read of %u bytes at 0x%llx", size,
			   (unsigned long long)off);
		return -EINVAL;
	}
	pthread_mutex_lock(&f->lock);
	if (f->mode == MODE_ARRAY && f->state == ST_IDLE) {
		uint8_t b[8];

		if (guarded_memcpy(b, f->storage + off, size)) {
			pthread_mutex_unlock(&f->lock);
			storage_fault("read", off);
			return -EIO;
		}
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)b[i] << (8 * i);
	} else {
		for (unsigned i = 0; i < size; i++) {
			uint64_t a = off + i;
			uint8_t b = (uint8_t)(mode_word(f, ALIGN_DOWN(a, 4ULL)) >> (8 * (a & 3)));

			v |= (uint64_t)b << (8 * i);
		}
	}
	pthread_mutex_unlock(&f->lock);
	*val = v;
	return 0;
}

static int cfi_mmio_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct cfi_flash *f = dev;

	if ((size != 1 && size != 2 && size != 4) || !range_within(off, size, 0, f->size)) {
		pr_warn_rl("cfi_flash: bad write of %u bytes at 0x%llx", size,
			   (unsigned long long)off);
		return -EINVAL;
	}
	pthread_mutex_lock(&f->lock);
	flash_write(f, off, size, (uint32_t)val);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

const struct bus_dev_ops cfi_flash_bus_ops = {
	.name = "cfi_flash",
	.sizes = BUS_SIZE_ANY,
	.read = cfi_mmio_read,
	.write = cfi_mmio_write,
};

struct cfi_flash *cfi_flash_create(uint8_t *storage, uint64_t size,
				   cfi_flash_romd_cb set_romd, void *opaque)
{
	struct cfi_flash *f;

	if (!storage || size == 0 || size % CFI_FLASH_BLOCK_SIZE ||
	    size > (1ULL << 32) || (size & (size - 1)))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->nblocks = (uint32_t)(size / CFI_FLASH_BLOCK_SIZE);
	f->locked = calloc(f->nblocks, sizeof(*f->locked));
	if (!f->locked)
		goto fail_free;
	if (pthread_mutex_init(&f->lock, NULL) != 0)
		goto fail_locked;
	f->storage = storage;
	f->size = size;
	f->set_romd = set_romd;
	f->opaque = opaque;
	f->romd = true;
	f->mode = MODE_ARRAY;
	f->state = ST_IDLE;
	f->status = CFI_SR_READY;
	build_cfi_table(f);
	return f;

fail_locked:
	free(f->locked);
fail_free:
	free(f);
	return NULL;
}

void cfi_flash_destroy(struct cfi_flash *f)
{
	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f->locked);
	free(f);
}

void cfi_flash_set_flush(struct cfi_flash *f, cfi_flash_flush_cb flush, void *opaque)
{
	pthread_mutex_lock(&f->lock);
	f->flush = flush;
	f->flush_opaque = opaque;
	pthread_mutex_unlock(&f->lock);
}

void cfi_flash_flush(struct cfi_flash *f)
{
	pthread_mutex_lock(&f->lock);
	flush_storage(f);
	pthread_mutex_unlock(&f->lock);
}

void cfi_flash_reset(struct cfi_flash *f)
{
	pthread_mutex_lock(&f->lock);
	flush_storage(f);
	f->mode = MODE_ARRAY;
	f->state = ST_IDLE;
	f->status = CFI_SR_READY;
	f->buf_n = 0;
	update_romd(f);
	pthread_mutex_unlock(&f->lock);
}

bool cfi_flash_romd(struct cfi_flash *f)
{
	bool r;

	pthread_mutex_lock(&f->lock);
	r = f->romd;
	pthread_mutex_unlock(&f->lock);
	return r;
}

/* Device tree: one cfi-flash node for both banks, ROM bank first, named
 * after the first bank's address; bank-width as CFI_FLASH_BANK_WIDTH. */
static int cfi_flash_fdt(const struct device *d, const struct devlist *all,
			 struct fdt_writer *w)
{
	const struct device *rom = devlist_find(all, &rom_class);
	uint64_t reg[2][2];
	unsigned n = 0;
	int r;

	if (rom) {
		reg[n][0] = rom->base;
		reg[n++][1] = rom->size;
	}
	reg[n][0] = d->base;
	reg[n++][1] = d->size;
	if ((r = fdtw_begin_at(w, "flash", reg[0][0])) ||
	    (r = fdtw_string(w, "compatible", "cfi-flash")) ||
	    (r = fdtw_reg(w, (const uint64_t (*)[2])reg, n)) ||
	    (r = fdtw_u32(w, "bank-width", CFI_FLASH_BANK_WIDTH)))
		return r;
	return fdtw_end(w);
}

const struct dev_class cfi_flash_class = {
	.name = "flash",
	.mmio = &cfi_flash_bus_ops,
	.fdt = cfi_flash_fdt,
};
