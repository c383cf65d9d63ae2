/* fw_cfg device model (QEMU docs/specs/fw_cfg.rst, MMIO variant with DMA):
 * items and files, the generated file directory, the data/selector/DMA
 * registers and DMA descriptor processing. Pure: guest memory is reached
 * only through the injected struct guest_mem; every guest request is
 * checked and answered with the ERROR bit, never a crash. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"
#include "fdt_writer.h"
#include "fwcfg/fwcfg.h"
#include "log.h"
#include "util.h"

struct fwcfg_item {
	uint16_t key;
	bool is_file;
	bool writable;
	uint8_t *data;
	uint32_t len;
	char name[FWCFG_FILE_NAME_MAX];
	fwcfg_write_cb cb;
	void *cb_opaque;
	fwcfg_read_fn reader;      /* contents on demand (data is NULL) */
	void *reader_opaque;
};

struct fwcfg {
	pthread_mutex_t lock;
	const struct guest_mem *gm;
	struct fwcfg_item **items; /* plain items, then files in name order */
	unsigned n_items;
	unsigned n_files;
	struct fwcfg_item *cur;    /* selected item or NULL */
	uint32_t cur_off;          /* always <= cur->len */
	uint32_t dma_hi;           /* high half from a 32-bit write at +0x10 */
	struct fwcfg_stats stats;
};

/* Signature the DMA register reads as, in address order. */
static const uint8_t dma_signature[8] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };

/* ---- item table ---------------------------------------------------- */

static struct fwcfg_item *find_key(struct fwcfg *f, uint16_t key)
{
	for (unsigned i = 0; i < f->n_items; i++)
		if (f->items[i]->key == key)
			return f->items[i];
	return NULL;
}

static struct fwcfg_item *find_file(struct fwcfg *f, const char *name)
{
	for (unsigned i = 0; i < f->n_items; i++)
		if (f->items[i]->is_file && strcmp(f->items[i]->name, name) == 0)
			return f->items[i];
	return NULL;
}

static void item_free(struct fwcfg_item *it)
{
	if (!it)
		return;
	free(it->data);
	free(it);
}

static int items_append(struct fwcfg *f, struct fwcfg_item *it)
{
	struct fwcfg_item **n;

	n = realloc(f->items, (f->n_items + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	f->items = n;
	f->items[f->n_items++] = it;
	return 0;
}

/* Rebuild item 0x0019 from the files in name order, renumbering them. */
static int regen_directory(struct fwcfg *f)
{
	struct fwcfg_item *dir = find_key(f, FWCFG_KEY_FILE_DIR);
	struct fwcfg_item **files;
	uint32_t len = 4 + f->n_files * FWCFG_DIR_ENTRY_SIZE;
	unsigned nf = 0;
	uint8_t *buf, *e;

	buf = calloc(1, len);
	files = calloc(f->n_files ? f->n_files : 1, sizeof(*files));
	if (!buf || !files) {
		free(buf);
		free(files);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < f->n_items; i++) {
		struct fwcfg_item *it = f->items[i];
		unsigned j;

		if (!it->is_file)
			continue;
		/* insertion sort by name */
		for (j = nf; j > 0 && strcmp(files[j - 1]->name, it->name) > 0; j--)
			files[j] = files[j - 1];
		files[j] = it;
		nf++;
	}
	put_be32(buf, nf);                                  /* count */
	for (unsigned i = 0; i < nf; i++) {
		files[i]->key = (uint16_t)(FWCFG_KEY_FILE_FIRST + i);
		e = buf + 4 + i * FWCFG_DIR_ENTRY_SIZE;
		put_be32(e + 0, files[i]->len);             /* size */
		put_be16(e + 4, files[i]->key);             /* select */
		put_be16(e + 6, 0);                         /* reserved */
		memcpy(e + 8, files[i]->name, FWCFG_FILE_NAME_MAX); /* name */
	}
	free(files);
	free(dir->data);
	dir->data = buf;
	dir->len = len;
	f->cur = NULL;
	f->cur_off = 0;
	return 0;
}

static int add_item_locked(struct fwcfg *f, uint16_t key, const char *name,
			   void *data, uint32_t len, bool writable, bool internal)
{
	struct fwcfg_item *it;
	int ret;

	if (name) {
		size_t nl = strnlen(name, FWCFG_FILE_NAME_MAX);

		if (nl == 0)
			return -EINVAL;
		if (nl >= FWCFG_FILE_NAME_MAX)
			return -ENAMETOOLONG;
		if (find_file(f, name))
			return -EEXIST;
		if (f->n_files >= FWCFG_MAX_FILES)
			return -ENOSPC;
	} else {
		if (key >= FWCFG_KEY_FILE_FIRST || (key == FWCFG_KEY_FILE_DIR && !internal))
			return -EINVAL;
		if (find_key(f, key))
			return -EEXIST;
	}
	if (!data && len)
		return -EINVAL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->key = key;
	it->writable = writable;
	it->data = data;
	it->len = len;
	if (name) {
		it->is_file = true;
		it->key = 0xffff; /* assigned by regen_directory */
		memcpy(it->name, name, strlen(name) + 1);
	}
	ret = items_append(f, it);
	if (ret < 0) {
		free(it);
		return ret;
	}
	if (name) {
		f->n_files++;
		ret = regen_directory(f);
		if (ret < 0) {
			f->n_items--;
			f->n_files--;
			free(it); /* not item_free: on failure the caller frees data */
			return ret;
		}
	}
	return 0;
}

/* Copy 'data' into a fresh buffer (NULL for len 0). */
static int dup_buf(const void *data, uint32_t len, void **out)
{
	*out = NULL;
	if (!len)
		return 0;
	if (!data)
		return -EINVAL;
	*out = malloc(len);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, data, len);
	return 0;
}

int fwcfg_add_item_owned(struct fwcfg *f, uint16_t key, void *data, uint32_t len)
{
	int ret;

	pthread_mutex_lock(&f->lock);
	ret = add_item_locked(f, key, NULL, data, len, false, false);
	pthread_mutex_unlock(&f->lock);
	if (ret < 0)
		free(data);
	return ret;
}

int fwcfg_add_item(struct fwcfg *f, uint16_t key, const void *data, uint32_t len)
{
	void *copy;
	int ret = dup_buf(data, len, &copy);

	return ret < 0 ? ret : fwcfg_add_item_owned(f, key, copy, len);
}

int fwcfg_add_item_reader(struct fwcfg *f, uint16_t key, uint32_t len, fwcfg_read_fn read,
			  void *opaque)
{
	struct fwcfg_item *it;
	int ret;

	if (!read)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	ret = add_item_locked(f, key, NULL, NULL, 0, false, false);
	if (!ret) {
		it = find_key(f, key);
		it->len = len;
		it->reader = read;
		it->reader_opaque = opaque;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	return fwcfg_add_item(f, key, b, sizeof(b));
}

int fwcfg_add_file_owned(struct fwcfg *f, const char *name, void *data,
			 uint32_t len, bool writable)
{
	int ret = -EINVAL;

	if (name) {
		pthread_mutex_lock(&f->lock);
		ret = add_item_locked(f, 0, name, data, len, writable, false);
		pthread_mutex_unlock(&f->lock);
	}
	if (ret < 0)
		free(data);
	return ret;
}

int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data,
		   uint32_t len, bool writable)
{
	void *copy;
	int ret = dup_buf(data, len, &copy);

	return ret < 0 ? ret : fwcfg_add_file_owned(f, name, copy, len, writable);
}

int fwcfg_set_write_cb(struct fwcfg *f, const char *name, fwcfg_write_cb cb, void *opaque)
{
	struct fwcfg_item *it;
	int ret = 0;

	pthread_mutex_lock(&f->lock);
	it = find_file(f, name);
	if (!it) {
		ret = -ENOENT;
	} else if (!it->writable) {
		ret = -EPERM;
	} else {
		it->cb = cb;
		it->cb_opaque = opaque;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

const uint8_t *fwcfg_file_data(struct fwcfg *f, const char *name, uint32_t *len)
{
	struct fwcfg_item *it;
	const uint8_t *p = NULL;

	pthread_mutex_lock(&f->lock);
	it = find_file(f, name);
	if (it) {
		p = it->data;
		if (len)
			*len = it->len;
	}
	pthread_mutex_unlock(&f->lock);
	return p;
}

int fwcfg_file_copy(struct fwcfg *f, const char *name, void *buf, uint32_t len)
{
	struct fwcfg_item *it;
	int ret = -ENOENT;

	pthread_mutex_lock(&f->lock);
	it = find_file(f, name);
	if (it) {
		uint32_t n = MIN(len, it->len);

		if (n)
			memcpy(buf, it->data, n);
		ret = (int)n;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

struct fwcfg *fwcfg_create(const struct guest_mem *gm)
{
	static const uint8_t sig[4] = { 'Q', 'E', 'M', 'U' };
	struct fwcfg *f;
	uint8_t id[4];

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	if (pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		return NULL;
	}
	f->gm = gm;
	if (fwcfg_add_item(f, FWCFG_KEY_SIGNATURE, sig, sizeof(sig)) < 0)
		goto fail;
	put_le32(id, FWCFG_ID_TRADITIONAL | FWCFG_ID_DMA);
	if (fwcfg_add_item(f, FWCFG_KEY_ID, id, sizeof(id)) < 0)
		goto fail;
	if (add_item_locked(f, FWCFG_KEY_FILE_DIR, NULL, NULL, 0, false, true) < 0)
		goto fail;
	if (regen_directory(f) < 0)
		goto fail;
	return f;
fail:
	fwcfg_destroy(f);
	return NULL;
}

void fwcfg_destroy(struct fwcfg *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->n_items; i++)
		item_free(f->items[i]);
	free(f->items);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void fwcfg_reset(struct fwcfg *f)
{
	pthread_mutex_lock(&f->lock);
	f->cur = NULL;
	f->cur_off = 0;
	f->dma_hi = 0;
	pthread_mutex_unlock(&f->lock);
}

void fwcfg_get_stats(struct fwcfg *f, struct fwcfg_stats *st)
{
	pthread_mutex_lock(&f->lock);
	*st = f->stats;
	pthread_mutex_unlock(&f->lock);
}

/* ---- selection and DMA --------------------------------------------- */

static void select_key(struct fwcfg *f, uint16_t key)
{
	f->cur = find_key(f, key);
	f->cur_off = 0;
}

/* Write 'len' zero bytes to guest memory at gpa. */
static int dma_zero(struct fwcfg *f, uint64_t gpa, uint32_t len)
{
	static const uint8_t zeros[4096];

	while (len) {
		uint32_t n = MIN(len, (uint32_t)sizeof(zeros));
		int ret = guest_mem_write(f->gm, gpa, zeros, n);

		if (ret < 0)
			return ret;
		gpa += n;
		len -= n;
	}
	return 0;
}

/* Probe both ends of [gpa, gpa+len) before a transfer, so that a huge
 * length fails up front instead of after clobbering the rest of RAM. */
static bool dma_range_ok(struct fwcfg *f, uint64_t gpa, uint32_t len)
{
	uint8_t b;

	return guest_mem_read(f->gm, gpa, &b, 1) == 0 &&
	       guest_mem_read(f->gm, gpa + len - 1, &b, 1) == 0;
}

/* A reader item's bytes [cur_off, cur_off + len) into guest memory: straight
 * into the host mapping of the guest buffer when there is one, else through
 * a small bounce buffer. */
static int dma_read_reader(struct fwcfg *f, struct fwcfg_item *it, uint64_t gpa, uint32_t len)
{
	uint8_t bounce[4096];
	uint32_t done = 0;
	void *dst = guest_mem_map(f->gm, gpa, len);
	int ret;

	if (dst)
		return it->reader(it->reader_opaque, f->cur_off, dst, len);
	while (done < len) {
		uint32_t n = MIN(len - done, (uint32_t)sizeof(bounce));

		ret = it->reader(it->reader_opaque, (uint64_t)f->cur_off + done, bounce, n);
		if (!ret)
			ret = guest_mem_write(f->gm, gpa + done, bounce, n);
		if (ret < 0)
			return ret;
		done += n;
	}
	return 0;
}

/* READ 'len' bytes at the current offset into guest memory; zeros past
 * the end of the item, or for no/unknown selection (as QEMU: edk2 reads
 * size keys it may not know about and spins forever on ERROR). */
static int dma_read(struct fwcfg *f, uint64_t gpa, uint32_t len)
{
	uint32_t avail = 0;
	int ret;

	if (f->cur)
		avail = MIN(len, f->cur->len - f->cur_off);
	if (avail) {
		if (f->cur->reader)
			ret = dma_read_reader(f, f->cur, gpa, avail);
		else
			ret = guest_mem_write(f->gm, gpa, f->cur->data + f->cur_off, avail);
		if (ret < 0)
			return ret;
		f->cur_off += avail;
	}
	return dma_zero(f, gpa + avail, len - avail);
}

/* WRITE 'len' guest bytes into the selected writable item. On success
 * *changed is set when a callback is due. */
static int dma_write(struct fwcfg *f, uint64_t gpa, uint32_t len, bool *changed)
{
	struct fwcfg_item *it = f->cur;
	uint8_t *tmp;
	int ret;

	if (!it) {
		pr_warn_rl("fw_cfg: DMA write without a valid selection");
		return -ENOENT;
	}
	if (!it->writable) {
		pr_warn_rl("fw_cfg: DMA write to read-only item 0x%04x", it->key);
		return -EPERM;
	}
	if (len > it->len - f->cur_off) {
		pr_warn_rl("fw_cfg: DMA write of %u bytes at %u past the end of item 0x%04x (%u)",
			   len, f->cur_off, it->key, it->len);
		return -EINVAL;
	}
	if (!len)
		return 0;
	/* Read into a bounce buffer so a failed copy leaves the item intact. */
	tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	ret = guest_mem_read(f->gm, gpa, tmp, len);
	if (ret == 0) {
		memcpy(it->data + f->cur_off, tmp, len);
		f->cur_off += len;
		*changed = it->cb != NULL;
	}
	free(tmp);
	return ret;
}

/* Process the descriptor at 'desc_gpa'. Called with the lock held; when a
 * write callback is due, returns the item in *notify (lock still held). */
static void dma_run(struct fwcfg *f, uint64_t desc_gpa, struct fwcfg_item **notify)
{
	uint8_t desc[FWCFG_DMA_DESC_SIZE], st[4];
	uint32_t control, len, ops;
	uint64_t addr, end;
	bool changed = false;
	int ret = 0;

	*notify = NULL;
	if (guest_mem_read(f->gm, desc_gpa, desc, sizeof(desc)) < 0) {
		pr_warn_rl("fw_cfg: DMA descriptor at 0x%llx is not in guest RAM",
			   (unsigned long long)desc_gpa);
		f->stats.dma_errors++;
		return;
	}
	control = get_be32(desc + 0);
	len = get_be32(desc + 4);
	addr = get_be64(desc + 8);

	if (control & FWCFG_DMA_SELECT)
		select_key(f, (uint16_t)(control >> 16));
	ops = control & (FWCFG_DMA_READ | FWCFG_DMA_WRITE | FWCFG_DMA_SKIP);
	if (ops & (ops - 1)) {
		pr_warn_rl("fw_cfg: DMA control 0x%08x has several operations", control);
		ret = -EINVAL;
	} else if ((ops & (FWCFG_DMA_READ | FWCFG_DMA_WRITE)) &&
		   __builtin_add_overflow(addr, (uint64_t)len, &end)) {
		pr_warn_rl("fw_cfg: DMA address 0x%llx + %u wraps",
			   (unsigned long long)addr, len);
		ret = -EINVAL;
	} else if ((ops & (FWCFG_DMA_READ | FWCFG_DMA_WRITE)) && len &&
		   !dma_range_ok(f, addr, len)) {
		pr_warn_rl("fw_cfg: DMA range 0x%llx + %u is not guest RAM",
			   (unsigned long long)addr, len);
		ret = -EFAULT;
	} else if (ops == FWCFG_DMA_READ) {
		ret = dma_read(f, addr, len);
	} else if (ops == FWCFG_DMA_WRITE) {
		ret = dma_write(f, addr, len, &changed);
	} else if (ops == FWCFG_DMA_SKIP && f->cur) {
		f->cur_off += MIN(len, f->cur->len - f->cur_off);
	}
	if (ret < 0 && ret != -EINVAL && ret != -EPERM && ret != -ENOENT && ret != -EFAULT)
		pr_warn_rl("fw_cfg: DMA transfer at 0x%llx len %u failed (%d)",
			   (unsigned long long)addr, len, ret);

	put_be32(st, ret < 0 ? FWCFG_DMA_ERROR : 0);        /* control */
	if (guest_mem_write(f->gm, desc_gpa, st, sizeof(st)) < 0)
		pr_warn_rl("fw_cfg: cannot complete DMA descriptor at 0x%llx",
			   (unsigned long long)desc_gpa);
	if (ret < 0)
		f->stats.dma_errors++;
	else
		f->stats.dma_ok++;
	if (changed)
		*notify = f->cur;
}

/* Start DMA at desc_gpa; runs the file callback (if any) unlocked. */
static void dma_trigger(struct fwcfg *f, uint64_t desc_gpa)
{
	struct fwcfg_item *it;
	uint8_t small[256], *snap = NULL;
	char name[FWCFG_FILE_NAME_MAX];
	fwcfg_write_cb cb = NULL;
	void *opaque = NULL;
	uint32_t len = 0;

	pthread_mutex_lock(&f->lock);
	f->dma_hi = 0;
	dma_run(f, desc_gpa, &it);
	if (it) {
		len = it->len;
		snap = len <= sizeof(small) ? small : malloc(len);
		if (snap) {
			memcpy(snap, it->data, len);
			memcpy(name, it->name, sizeof(name));
			cb = it->cb;
			opaque = it->cb_opaque;
		} else {
			pr_warn_rl("fw_cfg: no memory to report a write to %s", it->name);
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (cb)
		cb(opaque, name, snap, len);
	if (snap != small)
		free(snap);
}

/* ---- MMIO registers ------------------------------------------------ */

static int fwcfg_mmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct fwcfg *f = dev;
	uint64_t v = 0;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (off == FWCFG_REG_DATA) {
		pthread_mutex_lock(&f->lock);
		if (f->cur) {
			uint32_t n = MIN(size, f->cur->len - f->cur_off);
			uint8_t b[8];
			const uint8_t *src = b;

			if (n && !f->cur->reader) {
				src = f->cur->data + f->cur_off;
			} else if (n && f->cur->reader(f->cur->reader_opaque, f->cur_off, b, n) < 0) {
				pr_warn_rl("fw_cfg: cannot read item 0x%04x", f->cur->key);
				memset(b, 0, sizeof(b));
			}
			for (uint32_t i = 0; i < n; i++)
				v |= (uint64_t)src[i] << (8 * i);
			f->cur_off += n;
		}
		pthread_mutex_unlock(&f->lock);
	} else if (off >= FWCFG_REG_DMA && off < FWCFG_MMIO_SIZE &&
		   IS_ALIGNED(off, size) && off + size <= FWCFG_MMIO_SIZE) {
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)dma_signature[off - FWCFG_REG_DMA + i] << (8 * i);
	} else {
		return -EINVAL;
	}
	*val = v;
	return 0;
}

static int fwcfg_mmio_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct fwcfg *f = dev;

	if (off == FWCFG_REG_DATA && size <= 8) {
		return 0; /* data writes are ignored (writes happen only via DMA) */
	} else if (off == FWCFG_REG_SELECTOR && size == 2) {
		pthread_mutex_lock(&f->lock);
		select_key(f, __builtin_bswap16((uint16_t)val));
		pthread_mutex_unlock(&f->lock);
		return 0;
	} else if (off == FWCFG_REG_DMA && size == 8) {
		dma_trigger(f, __builtin_bswap64(val));
		return 0;
	} else if (off == FWCFG_REG_DMA && size == 4) {
		pthread_mutex_lock(&f->lock);
		f->dma_hi = __builtin_bswap32((uint32_t)val);
		pthread_mutex_unlock(&f->lock);
		return 0;
	} else if (off == FWCFG_REG_DMA + 4 && size == 4) {
		uint64_t gpa;

		pthread_mutex_lock(&f->lock);
		gpa = (uint64_t)f->dma_hi << 32 | __builtin_bswap32((uint32_t)val);
		pthread_mutex_unlock(&f->lock);
		dma_trigger(f, gpa);
		return 0;
	}
	return -EINVAL;
}

const struct bus_dev_ops fwcfg_bus_ops = {
	.name = "fw_cfg",
	.sizes = BUS_SIZE_ANY,
	.read = fwcfg_mmio_read,
	.write = fwcfg_mmio_write,
};

/* Device tree node (QEMU's qemu,fw-cfg-mmio binding). edk2 uses DMA only
 * when the window is at least FWCFG_MMIO_SIZE (0x18) bytes. */
static int fwcfg_fdt(const struct device *d, const struct devlist *all, struct fdt_writer *w)
{
	const uint64_t reg[1][2] = { { d->base, d->size } };
	int r;

	if ((r = fdtw_begin_at(w, d->cls->name, d->base)) ||
	    (r = fdtw_string(w, "compatible", "qemu,fw-cfg-mmio")) ||
	    (r = fdtw_reg(w, reg, 1)) ||
	    (r = fdtw_empty(w, "dma-coherent")))
		return r;
	return fdtw_end(w);
}

/* DSDT: FWCF (_HID QEMU0002, as Linux's qemu_fw_cfg driver matches it). */
static void fwcfg_dsdt(const struct device *d, struct acpi_buf *b)
{
	struct aml_mark dev, crs;

	dev = aml_device_begin(b, "FWCF");
	aml_name_string(b, "_HID", "QEMU0002");
	aml_name_integer(b, "_STA", 0x0B);	/* present, enabled, not shown in UI */
	aml_name_integer(b, "_CCA", 1);		/* DMA-coherent */
	aml_name(b, "_CRS");
	crs = aml_restemplate_begin(b);
	aml_memory32_fixed(b, true, (uint32_t)d->base, (uint32_t)d->size);
	aml_end(b, crs);
	aml_end(b, dev);
}

const struct dev_class fwcfg_class = {
	.name = "fw-cfg",
	.mmio = &fwcfg_bus_ops,
	.fdt = fwcfg_fdt,
	.dsdt = fwcfg_dsdt,
};
