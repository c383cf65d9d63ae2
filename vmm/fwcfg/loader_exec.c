/* Strict offline linker/loader interpreter (QEMU's ACPI linker/loader
 * commands as edk2's QemuFwCfgAcpi.c executes them; see fwcfg/loader.h for
 * the entry layout). */
#include <errno.h>
#include <string.h>

#include "fwcfg/loader.h"
#include "fwcfg/loader_exec.h"
#include "util.h"

/* Field offsets inside one 128-byte entry (after the u32 command). */
#define E_FILE       4	/* ALLOCATE file, ADD_POINTER/WRITE_POINTER dest, ADD_CHECKSUM file */
#define E_SRC        60	/* ADD_POINTER / WRITE_POINTER src file */
#define E_PTR_OFF    116	/* ADD_POINTER offset, WRITE_POINTER dst_offset */
#define E_PTR_SIZE   120	/* ADD_POINTER size */
#define E_CSUM_OFF   60	/* ADD_CHECKSUM offset, start, length */
#define E_CSUM_START 64
#define E_CSUM_LEN   68
#define E_WP_SRC_OFF 120	/* WRITE_POINTER src_offset, size */
#define E_WP_SIZE    124

static struct loader_file *lookup(struct loader_file *f, size_t n, const uint8_t *name)
{
	size_t i;

	if (memchr(name, '\0', LOADER_FILESZ) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (f[i].name && strcmp(f[i].name, (const char *)name) == 0)
			return &f[i];
	return NULL;
}

static uint64_t get_n(const uint8_t *p, uint8_t size)
{
	uint64_t v = 0;
	int i;

	for (i = size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_n(uint8_t *p, uint8_t size, uint64_t v)
{
	int i;

	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static bool size_ok(uint8_t s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

/* The byte that makes the sum of [p, p+len) zero. Like the firmware, the
 * result byte itself is summed as it is (the builder leaves it 0). */
static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

/* Execute one entry e against the files. */
static int exec_one(struct loader_file *f, size_t n, const uint8_t *e, uint64_t *wp)
{
	struct loader_file *a = lookup(f, n, e + E_FILE), *s;
	uint32_t off, start, len;
	uint64_t v;
	uint8_t size;

	switch (get_le32(e)) {
	case LOADER_CMD_ALLOCATE:
		if (!a || !a->data || a->allocated)
			return -EINVAL;
		a->allocated = true;
		return 0;
	case LOADER_CMD_ADD_POINTER:
		s = lookup(f, n, e + E_SRC);
		off = get_le32(e + E_PTR_OFF);
		size = e[E_PTR_SIZE];
		if (!a || !s || !a->allocated || !s->allocated || !size_ok(size) ||
		    !range_within(off, size, 0, a->len))
			return -EINVAL;
		v = get_n(a->data + off, size);
		if (v >= s->len)
			return -EINVAL;
		v += s->addr;
		if (size < 8 && (v >> (8 * size)) != 0)
			return -EINVAL;
		put_n(a->data + off, size, v);
		return 0;
	case LOADER_CMD_ADD_CHECKSUM:
		off = get_le32(e + E_CSUM_OFF);
		start = get_le32(e + E_CSUM_START);
		len = get_le32(e + E_CSUM_LEN);
		if (!a || !a->allocated || off >= a->len || !range_within(start, len, 0, a->len))
			return -EINVAL;
		a->data[off] = checksum(a->data + start, len);
		return 0;
	case LOADER_CMD_WRITE_POINTER:
		s = lookup(f, n, e + E_SRC);
		off = get_le32(e + E_PTR_OFF);
		start = get_le32(e + E_WP_SRC_OFF);
		size = e[E_WP_SIZE];
		/* dest is a fw_cfg file the firmware writes, never a blob */
		if (!a || a->data || !s || !s->allocated || !size_ok(size) ||
		    !range_within(off, size, 0, a->len) || start >= s->len)
			return -EINVAL;
		*wp = s->addr + start;
		return 0;
	default:
		return -EINVAL;
	}
}

int loader_exec(const uint8_t *script, size_t len, struct loader_file *files, size_t nfiles,
		uint64_t *write_pointer)
{
	size_t i;
	int ret;

	*write_pointer = 0;
	if (len % LOADER_ENTRY_SIZE)
		return -EINVAL;
	for (i = 0; i < len; i += LOADER_ENTRY_SIZE) {
		ret = exec_one(files, nfiles, script + i, write_pointer);
		if (ret)
			return ret;
	}
	return 0;
}
