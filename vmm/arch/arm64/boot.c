/* arm64 Image header checks and the direct-boot memory layout, following
 * Linux's Documentation/arch/arm64/booting.rst: the Image is loaded at
 * text_offset from a 2 MiB aligned base, the DTB must be 8-byte aligned and
 * not cross a 2 MiB boundary, the initrd may go anywhere in RAM. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arm64/boot.h"
#include "fileio.h"
#include "util.h"

/* Image header fields (all little-endian). */
#define HDR_TEXT_OFFSET 0x08
#define HDR_IMAGE_SIZE  0x10
#define HDR_FLAGS       0x18
#define HDR_MAGIC       0x38
#define HDR_PE_OFFSET   0x3c

#define FLAG_BE         (1u << 0)

/* The EFI stub makes the Image a PE/COFF file too; its section table says
 * how many bytes of file data there must be, which is how a truncated
 * Image is told from one whose image_size merely includes BSS. 'size' is
 * how many bytes of the file's start 'd' holds: the headers must lie
 * within them. */
static int pe_min_file_size(const uint8_t *d, size_t size, uint64_t *need)
{
	uint32_t pe = get_le32(d + HDR_PE_OFFSET);
	uint64_t end = 0, sec;
	uint16_t nsec, opt_size;
	unsigned i;

	if (d[0] != 'M' || d[1] != 'Z')
		return -ENOENT; /* no EFI stub: nothing more to check */
	if (pe > size || size - pe < 24 || get_le32(d + pe) != 0x00004550)
		return -EINVAL;
	nsec = get_le16(d + pe + 6);       /* COFF NumberOfSections */
	opt_size = get_le16(d + pe + 20);  /* SizeOfOptionalHeader */
	sec = (uint64_t)pe + 24 + opt_size;
	for (i = 0; i < nsec; i++, sec += 40) {
		uint64_t raw_size, raw_ptr;

		if (sec + 40 > size)
			return -EINVAL;
		raw_size = get_le32(d + sec + 16); /* SizeOfRawData */
		raw_ptr = get_le32(d + sec + 20);  /* PointerToRawData */
		end = MAX(end, raw_ptr + raw_size);
	}
	*need = end;
	return 0;
}

int arm64_image_parse_head(const uint8_t *data, size_t head_len, uint64_t size,
			   struct arm64_image *img, const char **why)
{
	uint64_t need;
	int ret;

	if (head_len > size)
		head_len = (size_t)size;
	if (head_len < ARM64_IMAGE_HDR_SIZE || get_le32(data + HDR_MAGIC) != ARM64_IMAGE_MAGIC) {
		*why = "not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 0x38)";
		return -ENOEXEC;
	}
	img->text_offset = get_le64(data + HDR_TEXT_OFFSET);
	img->image_size = get_le64(data + HDR_IMAGE_SIZE);
	img->flags = get_le64(data + HDR_FLAGS);
	if (img->image_size == 0) {
		/* Kernels before 3.17: fixed 0x80000 offset, size unknown. */
		img->text_offset = 0x80000;
		img->image_size = size;
	}
	if (img->flags & FLAG_BE) {
		*why = "big-endian kernel Image is not supported";
		return -ENOEXEC;
	}
	if (img->text_offset >= SZ_2M || !IS_ALIGNED(img->text_offset, SZ_4K)) {
		*why = "Image header has an invalid text_offset";
		return -EINVAL;
	}
	if (img->image_size < size && img->image_size + SZ_1M < size) {
		/* Tolerate appended signatures, not a wrong header. */
		*why = "Image header's image_size is smaller than the file";
		return -EINVAL;
	}
	ret = pe_min_file_size(data, head_len, &need);
	if (ret == -EINVAL || (ret == 0 && need > size)) {
		*why = "Image is truncated (file shorter than its PE sections)";
		return -EINVAL;
	}
	return 0;
}

int arm64_image_parse(const uint8_t *data, size_t size, struct arm64_image *img,
		      const char **why)
{
	return arm64_image_parse_head(data, size, size, img, why);
}

int boot_plan(uint64_t ram_base, uint64_t ram_size, const struct arm64_image *img,
	      uint64_t initrd_size, struct boot_layout *out)
{
	uint64_t ram_end = ram_base + ram_size, floor;

	out->kernel = ram_base + img->text_offset;
	if (__builtin_add_overflow(out->kernel, img->image_size, &out->kernel_end) ||
	    __builtin_add_overflow(out->kernel_end, SZ_4K - 1, &floor))
		return -ENOSPC;
	floor = ALIGN_DOWN(floor, SZ_4K);	/* ALIGN_UP(kernel_end), without wrapping */
	/* DTB: last 2 MiB window of RAM (never crosses a 2 MiB boundary). */
	if (ram_size < DTB_MAX_SIZE)
		return -ENOSPC;
	out->dtb = ALIGN_DOWN(ram_end - DTB_MAX_SIZE, SZ_2M);
	if (out->dtb < floor)
		return -ENOSPC;
	out->initrd_size = initrd_size;
	out->initrd = 0;
	if (initrd_size) {
		if (initrd_size > out->dtb - floor)
			return -ENOSPC;
		out->initrd = ALIGN_DOWN(out->dtb - initrd_size, SZ_4K);
		if (out->initrd < floor)
			return -ENOSPC;
	}
	return 0;
}

int boot_open_file(const char *path, int *fd_out, uint64_t *size)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto fail;
	}
	*fd_out = fd;
	*size = (uint64_t)st.st_size;
	return 0;
fail:
	close(fd);
	return ret;
}

int boot_load_file(int fd, uint64_t size, void *dst)
{
	struct stat st;

	/* The file must still be the one measured when it was opened. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size != size)
		return -ESTALE;
	return pread_full(fd, dst, (size_t)size, 0);
}
