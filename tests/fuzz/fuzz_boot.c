/* Fuzz target: the kernel Image checks and the direct-boot planner
 * (vmm/arch/arm64/boot.c), as vm.c runs them on a user's --kernel file:
 * arm64_image_parse() on the input, then, for an accepted Image,
 * boot_plan() at MEMMAP_RAM_BASE for a RAM size and initrd size taken from
 * the input's last 16 bytes (every --memory the VMM accepts: 2 MiB steps up
 * to the 1 TiB an IPA of 40 bits leaves).
 * Invariants: a refusal names a reason; an accepted plan keeps kernel,
 * initrd and DTB inside RAM, in that order, without overlap, the DTB
 * 8-byte aligned in one 2 MiB window. */
#include "fuzz.h"

#include "arch/arm64/boot.h"
#include "arch/arm64/memmap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arm64_image img;
	struct boot_layout l;
	const char *why = NULL;
	uint64_t ram_size, initrd_size, ram_end;
	uint8_t *copy;
	int r;

	/* An exact-size copy: ASan sees any read past the file. */
	copy = malloc(size ? size : 1);
	FZ_CHECK(copy);
	memcpy(copy, data, size);
	r = arm64_image_parse(copy, size, &img, &why);
	FZ_CHECK(r == 0 || r == -ENOEXEC || r == -EINVAL);
	if (r) {
		FZ_CHECK(why && *why);
		goto out;
	}
	FZ_CHECK(img.text_offset < SZ_2M && IS_ALIGNED(img.text_offset, SZ_4K));
	FZ_CHECK(img.image_size >= size || img.image_size + SZ_1M >= size);

	ram_size = size >= 16 ? get_le64(data + size - 16) : 0;
	initrd_size = size >= 16 ? get_le64(data + size - 8) : 0;
	ram_size = (ram_size % (1ull << 19) + 1) * SZ_2M;	/* 2 MiB .. 1 TiB */
	if (initrd_size >> 63)
		initrd_size &= 0xffffffffull;	/* mostly file-sized */
	ram_end = MEMMAP_RAM_BASE + ram_size;

	r = boot_plan(MEMMAP_RAM_BASE, ram_size, &img, initrd_size, &l);
	FZ_CHECK(r == 0 || r == -ENOSPC);
	if (r)
		goto out;
	FZ_CHECK(l.kernel == MEMMAP_RAM_BASE + img.text_offset);
	FZ_CHECK(!__builtin_add_overflow(l.kernel, img.image_size, &l.kernel_end) &&
		 l.kernel_end == l.kernel + img.image_size);
	FZ_CHECK(l.kernel_end <= l.dtb);
	FZ_CHECK(l.dtb >= MEMMAP_RAM_BASE && IS_ALIGNED(l.dtb, 8));
	FZ_CHECK(l.dtb + DTB_MAX_SIZE <= ram_end);
	FZ_CHECK(l.dtb / SZ_2M == (l.dtb + DTB_MAX_SIZE - 1) / SZ_2M);
	FZ_CHECK(l.initrd_size == initrd_size);
	if (initrd_size) {
		FZ_CHECK(l.initrd >= l.kernel_end);
		FZ_CHECK(l.initrd + initrd_size <= l.dtb);
	} else {
		FZ_CHECK(l.initrd == 0);
	}
out:
	free(copy);
	return 0;
}
