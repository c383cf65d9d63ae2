/* run --check (see preflight.h): the start-up checks of vm_create() and
 * the device models, every one of them, without KVM, reporting every
 * problem rather than the first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arm64/boot.h"
#include "arch/arm64/memmap.h"
#include "control.h"
#include "fileio.h"
#include "log.h"
#include "mem.h"
#include "preflight.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "vm_firmware.h"
#include "varstore.h"

/* The kernel's header and the initrd; whether both fit in RAM. */
static unsigned check_payload(const struct vm_config *cfg)
{
	struct arm64_image img;
	struct boot_layout lay;
	uint64_t ksize = 0, isize = 0;
	const char *why = NULL;
	unsigned bad = 0;
	bool kernel_ok = false;
	uint8_t *head = NULL;
	size_t head_len;
	int fd = -1, ret;

	if (cfg->kernel) {
		ret = boot_open_file(cfg->kernel, &fd, &ksize);
		head_len = (size_t)MIN(ksize, (uint64_t)ARM64_IMAGE_HEAD_MAX);
		if (!ret) {
			head = malloc(head_len ? head_len : 1);
			ret = head ? pread_full(fd, head, head_len, 0) : -ENOMEM;
		}
		if (ret) {
			pr_err("cannot read kernel '%s': %s", cfg->kernel, strerror(-ret));
			bad++;
		} else if (arm64_image_parse_head(head, head_len, ksize, &img, &why)) {
			pr_err("kernel '%s': %s", cfg->kernel, why);
			bad++;
		} else {
			kernel_ok = true;
		}
		free(head);
		if (fd >= 0)
			close(fd);
	}
	/* Without a kernel an initrd is already one problem
	 * (opt_boot_mode), whatever the file. */
	if (cfg->initrd && cfg->kernel) {
		fd = -1;
		ret = boot_open_file(cfg->initrd, &fd, &isize);
		if (fd >= 0)
			close(fd);
		if (ret) {
			pr_err("cannot read initrd '%s': %s", cfg->initrd, strerror(-ret));
			bad++;
			return bad;
		}
	}
	/* The direct-boot placement; the firmware needs at least as much. */
	if (kernel_ok && boot_plan(MEMMAP_RAM_BASE, cfg->ram_size, &img, isize, &lay)) {
		pr_err("kernel (%llu MiB with BSS)%s do not fit in %llu MiB of guest RAM",
		       (unsigned long long)(img.image_size >> 20),
		       isize ? ", initrd and DTB" : " and DTB",
		       (unsigned long long)(cfg->ram_size >> 20));
		bad++;
	}
	return bad;
}

/* --vars FILE: an existing store must be a regular file the VMM can read
 * and write, of exactly a flash bank; a new one is created in a directory
 * that must exist and be writable. */
static unsigned check_vars(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	int err;

	if (stat(path, &st) == 0) {
#ifdef CONFIG_FWCFG
		/* The same rule as a real start (varstore.c): exactly one bank. */
		if (varstore_check(path, MEMMAP_FLASH1_SIZE))
			return 1;
#endif
		if (access(path, R_OK | W_OK) < 0) {
			pr_err("variable store '%s' is not writable: %m", path);
			return 1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		pr_err("variable store '%s': %m", path);
		return 1;
	}
	err = path_dir_writable(path, dir, sizeof(dir));
	if (err)
		pr_err("variable store '%s' cannot be created: directory '%s': %s", path, dir,
		       strerror(err));
	return err != 0;
}

/* --serial file=PATH / socket=PATH: what a start opens must be
 * creatable (an existing file: writable; an existing socket path: a
 * socket, stale or not, chardev.c tells at start). */
static unsigned check_serial(const struct serial_config *sc)
{
	char dir[4096];
	struct stat st;
	int err;

	if (sc->kind != SERIAL_FILE && sc->kind != SERIAL_SOCKET)
		return 0;
	if (lstat(sc->path, &st) == 0) {
		if (sc->kind == SERIAL_SOCKET && !S_ISSOCK(st.st_mode)) {
			pr_err("--serial socket='%s' exists and is not a socket", sc->path);
			return 1;
		}
		if (sc->kind == SERIAL_FILE && access(sc->path, W_OK) < 0) {
			pr_err("--serial file='%s' is not writable: %m", sc->path);
			return 1;
		}
		return 0;
	}
	err = path_dir_writable(sc->path, dir, sizeof(dir));
	if (err)
		pr_err("--serial '%s' cannot be created: directory '%s': %s", sc->path, dir,
		       strerror(err));
	return err != 0;
}

/* --memory-backend hugetlb maps every page at start: is the pool big
 * enough now? */
static unsigned check_hugetlb(const struct vm_config *cfg, const char *dir)
{
	struct mem_hugetlb_pool p;
	uint64_t need = cfg->ram_size / MEM_HUGE_PAGE_SIZE;
	char line[400];
	int ret;

	if (cfg->mem_backend != MEM_BACKEND_HUGETLB)
		return 0;
	ret = mem_hugetlb_pool_read(dir, &p);
	if (ret) {
		pr_err("%s", mem_hugetlb_explain(line, sizeof(line), cfg->ram_size, -ENOMEM, NULL, ret));
		return 1;
	}
	if ((p.free > p.resv ? p.free - p.resv : 0) < need) {
		pr_err("%s", mem_hugetlb_explain(line, sizeof(line), cfg->ram_size, -ENOMEM, &p, 0));
		return 1;
	}
	return 0;
}

unsigned preflight_check(const struct vm_config *cfg, const char *hugetlb_dir)
{
	unsigned i, bad = check_payload(cfg);

	if (cfg->firmware) {
		struct vm_config fw = *cfg;

		fw.vars = NULL; /* checked below, with what creating one needs */
		bad += vm_firmware_check(&fw) != 0;
		if (cfg->vars)
			bad += check_vars(cfg->vars);
	}
	if (cfg->api_socket)
		bad += control_check_path(cfg->api_socket) != 0;
	for (i = 0; i < cfg->ndisks; i++)
		bad += virtio_blk_check(&cfg->disks[i]) != 0;
	for (i = 0; i < cfg->nnets; i++)
		bad += virtio_net_check(&cfg->nets[i]) != 0;
	bad += check_serial(&cfg->serial);
	bad += check_hugetlb(cfg, hugetlb_dir);
	return bad;
}
