/* Direct kernel boot: the arm64 Image header (Linux
 * Documentation/arch/arm64/booting.rst) and where kernel, initrd and DTB go
 * in guest RAM. Pure: works on bytes and sizes, never on KVM. */
#ifndef MVR_ARM64_BOOT_H
#define MVR_ARM64_BOOT_H

#include <stddef.h>
#include <stdint.h>

#define ARM64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at offset 0x38 */
#define ARM64_IMAGE_HDR_SIZE 64
#define DTB_MAX_SIZE (2ULL << 20)

struct arm64_image {
	uint64_t text_offset; /* load offset from a 2 MiB aligned base */
	uint64_t image_size;  /* bytes the kernel occupies, BSS included */
	uint64_t flags;
};

/* Validate an Image in memory. Returns 0, -ENOEXEC when it is not an arm64
 * Image (bad magic, big-endian kernel, too small) or -EINVAL when it is one
 * but truncated or inconsistent; 'why' then names the problem. */
int arm64_image_parse(const uint8_t *data, size_t size, struct arm64_image *img,
		      const char **why);
/* The same from the first 'head_len' bytes of a 'size'-byte file (the
 * header and PE section table must lie within them: ARM64_IMAGE_HEAD_MAX
 * is plenty), so a loader can check an Image without reading it whole. */
int arm64_image_parse_head(const uint8_t *data, size_t head_len, uint64_t size,
			   struct arm64_image *img, const char **why);
#define ARM64_IMAGE_HEAD_MAX (64u << 10)

struct boot_layout {
	uint64_t kernel;      /* GPA of the kernel image (entry point) */
	uint64_t kernel_end;  /* kernel + image_size */
	uint64_t initrd;      /* GPA, or 0 without initrd */
	uint64_t initrd_size;
	uint64_t dtb;         /* GPA of the device tree */
};

/* Place kernel at ram_base + text_offset, the DTB in the last 2 MiB-aligned
 * window below the end of RAM and the initrd page-aligned right below the
 * DTB. Returns 0 or -ENOSPC when they do not fit in RAM without overlap. */
int boot_plan(uint64_t ram_base, uint64_t ram_size, const struct arm64_image *img,
	      uint64_t initrd_size, struct boot_layout *out);

/* Open a regular file for loading (O_RDONLY | O_CLOEXEC) and get its size.
 * Returns 0 or -errno (-EISDIR, -EINVAL for other non-regular files). */
int boot_open_file(const char *path, int *fd, uint64_t *size);
/* Read the whole 'size'-byte file 'fd' straight into 'dst' (guest RAM: no
 * copy on the VMM's heap), at every boot, so a reboot gets the pristine
 * payload whatever the guest overwrote. Returns 0, -errno, or -ESTALE when
 * the file no longer has 'size' bytes. */
int boot_load_file(int fd, uint64_t size, void *dst);

#endif
