/* QEMU linker/loader script builder ("etc/table-loader"): an array of
 * 128-byte little-endian commands, in the layout QEMU's bios-linker-loader
 * defines and edk2's OvmfPkg/AcpiPlatformDxe/QemuFwCfgAcpi.c executes.
 * Arguments are checked against what edk2 accepts, so a bad script fails
 * here at build time rather than in the guest's firmware. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwcfg/loader.h"
#include "util.h"

/* Field offsets inside one 128-byte entry (after the u32 command). */
#define OFF_CMD        0
#define OFF_NAME1      4			/* file / dest */
#define OFF_NAME2      (OFF_NAME1 + LOADER_FILESZ) /* src (pointer cmds) */
#define OFF_ALLOC_ALIGN (OFF_NAME1 + LOADER_FILESZ)
#define OFF_ALLOC_ZONE  (OFF_ALLOC_ALIGN + 4)
#define OFF_PTR_OFFSET  (OFF_NAME2 + LOADER_FILESZ)
#define OFF_PTR_SIZE    (OFF_PTR_OFFSET + 4)
#define OFF_CSUM_OFFSET (OFF_NAME1 + LOADER_FILESZ)
#define OFF_CSUM_START  (OFF_CSUM_OFFSET + 4)
#define OFF_CSUM_LENGTH (OFF_CSUM_START + 4)
#define OFF_WP_DST      (OFF_NAME2 + LOADER_FILESZ)
#define OFF_WP_SRC      (OFF_WP_DST + 4)
#define OFF_WP_SIZE     (OFF_WP_SRC + 4)

/* edk2 rejects ALLOCATE alignments above one page. */
#define LOADER_MAX_ALIGN 4096

struct loader {
	uint8_t *bytes;
	size_t n;	/* entries used */
	size_t cap;	/* entries allocated */
};

struct loader *loader_create(void)
{
	return calloc(1, sizeof(struct loader));
}

void loader_destroy(struct loader *l)
{
	if (!l)
		return;
	free(l->bytes);
	free(l);
}

/* A name must be non-empty and fit with its NUL in LOADER_FILESZ bytes. */
static bool loader_name_ok(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, LOADER_FILESZ);
	return len > 0 && len < LOADER_FILESZ;
}

static bool loader_size_ok(uint8_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Append one zeroed entry with 'cmd' set; NULL on allocation failure. */
static uint8_t *loader_new_entry(struct loader *l, uint32_t cmd)
{
	uint8_t *e;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		size_t bytes;

		if (__builtin_mul_overflow(cap, (size_t)LOADER_ENTRY_SIZE, &bytes))
			return NULL;
		e = realloc(l->bytes, bytes);
		if (!e)
			return NULL;
		l->bytes = e;
		l->cap = cap;
	}
	e = l->bytes + l->n * LOADER_ENTRY_SIZE;
	memset(e, 0, LOADER_ENTRY_SIZE);
	put_le32(e + OFF_CMD, cmd);
	l->n++;
	return e;
}

/* Copy a checked name into its 56-byte field (the rest stays NUL). */
static void loader_put_name(uint8_t *field, const char *name)
{
	memcpy(field, name, strlen(name));
}

int loader_allocate(struct loader *l, const char *file, uint32_t align, uint8_t zone)
{
	uint8_t *e;

	if (!loader_name_ok(file) || align == 0 || (align & (align - 1)) ||
	    align > LOADER_MAX_ALIGN ||
	    (zone != LOADER_ZONE_HIGH && zone != LOADER_ZONE_FSEG))
		return -EINVAL;
	e = loader_new_entry(l, LOADER_CMD_ALLOCATE);
	if (!e)
		return -ENOMEM;
	loader_put_name(e + OFF_NAME1, file);	/* file */
	put_le32(e + OFF_ALLOC_ALIGN, align);	/* align */
	e[OFF_ALLOC_ZONE] = zone;		/* zone */
	return 0;
}

int loader_add_pointer(struct loader *l, const char *dest, const char *src,
		       uint32_t offset, uint8_t size)
{
	uint8_t *e;

	if (!loader_name_ok(dest) || !loader_name_ok(src) || !loader_size_ok(size))
		return -EINVAL;
	e = loader_new_entry(l, LOADER_CMD_ADD_POINTER);
	if (!e)
		return -ENOMEM;
	loader_put_name(e + OFF_NAME1, dest);	/* pointer file */
	loader_put_name(e + OFF_NAME2, src);	/* pointee file */
	put_le32(e + OFF_PTR_OFFSET, offset);	/* pointer offset */
	e[OFF_PTR_SIZE] = size;			/* pointer size */
	return 0;
}

int loader_add_checksum(struct loader *l, const char *file, uint32_t offset,
			uint32_t start, uint32_t length)
{
	uint32_t end;
	uint8_t *e;

	if (!loader_name_ok(file) || __builtin_add_overflow(start, length, &end))
		return -EINVAL;
	e = loader_new_entry(l, LOADER_CMD_ADD_CHECKSUM);
	if (!e)
		return -ENOMEM;
	loader_put_name(e + OFF_NAME1, file);	/* file */
	put_le32(e + OFF_CSUM_OFFSET, offset);	/* result offset */
	put_le32(e + OFF_CSUM_START, start);	/* start */
	put_le32(e + OFF_CSUM_LENGTH, length);	/* length */
	return 0;
}

int loader_write_pointer(struct loader *l, const char *dest, const char *src,
			 uint32_t dst_offset, uint32_t src_offset, uint8_t size)
{
	uint8_t *e;

	if (!loader_name_ok(dest) || !loader_name_ok(src) || !loader_size_ok(size))
		return -EINVAL;
	e = loader_new_entry(l, LOADER_CMD_WRITE_POINTER);
	if (!e)
		return -ENOMEM;
	loader_put_name(e + OFF_NAME1, dest);	/* fw_cfg file to write */
	loader_put_name(e + OFF_NAME2, src);	/* allocated blob */
	put_le32(e + OFF_WP_DST, dst_offset);	/* offset in dest */
	put_le32(e + OFF_WP_SRC, src_offset);	/* offset in src */
	e[OFF_WP_SIZE] = size;			/* pointer size */
	return 0;
}

const uint8_t *loader_bytes(const struct loader *l, size_t *len)
{
	*len = l->n * LOADER_ENTRY_SIZE;
	return l->bytes;
}
