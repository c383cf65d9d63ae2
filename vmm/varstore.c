/* The persistent UEFI variable store (--vars FILE, flash bank 1): one file
 * of exactly the bank's size, shared-mapped so the guest's variable writes
 * reach the page cache at once. Host faults stay host faults: the file is
 * locked against a second VMM, created whole or not at all (temporary file,
 * fsync, rename), its blocks reserved at open (a full disk shows at start,
 * not as a SIGBUS later) and written to disk at the flush points the VMM
 * calls varstore_flush() from. No KVM: unit tested natively. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "flash_map.h"
#include "log.h"
#include "varstore.h"

struct varstore {
	char *path;
	int fd;          /* open for the VM's life: it holds the lock */
	uint8_t *map;
	uint64_t size;
};

static void size_error(const char *path, uint64_t have, uint64_t size)
{
	pr_err("variable store '%s' is %" PRIu64 " bytes; it must be exactly %" PRIu64
	       " MiB (a copy of AAVMF_VARS.fd), or a path that does not exist yet to create it from the template",
	       path, have, size >> 20);
}

int varstore_check(const char *path, uint64_t size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0; /* created at start, or an open error then */
	if (!S_ISREG(st.st_mode)) {
		pr_err("variable store '%s' must be a regular file", path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size != size) {
		size_error(path, (uint64_t)st.st_size, size);
		return -EINVAL;
	}
	return 0;
}

/* An exclusive lock held by this open file description: a second open of
 * the store (another VMM, or this one twice) is refused. Released when the
 * fd closes, including when the process dies. */
static int lock_store(int fd, const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES) {
		pr_err("variable store '%s' is in use by another VM", path);
		return -EBUSY;
	}
	pr_err("cannot lock variable store '%s': %m", path);
	return -errno;
}

/* fsync the directory holding 'path', so a rename into it is on disk. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, ret = 0;

	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

/* Put the finished temporary file at 'path' unless something is there
 * already (another VMM created it meanwhile): -EEXIST then. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0) /* <linux/fs.h>; musl has no renameat2() */
#endif
static int publish(const char *tmp, const char *path)
{
	if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -errno;
	/* A file system without RENAME_NOREPLACE: link fails if 'path'
	 * exists, just as atomically. */
	if (link(tmp, path) < 0)
		return -errno;
	unlink(tmp);
	return 0;
}

/* A new store at 'path': the template's bytes, 0xFF to 'size', written and
 * synced in a temporary file beside it, locked, then renamed into place, so
 * 'path' never names a partly written store whatever kills us. Returns the
 * locked fd, -EEXIST if 'path' appeared meanwhile, or -errno after one
 * error line. */
static int create_store(const char *path, const char *tmpl, uint64_t size)
{
	char tmp[PATH_MAX];
	int fd, tmpl_fd = -1, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.new-XXXXXX", path) >= (int)sizeof(tmp)) {
		pr_err("variable store path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_err("cannot create variable store '%s': %m", path);
		return ret;
	}
	/* No template (no AAVMF installed): erased flash, which edk2 formats
	 * as an empty store at its first boot. */
	if (tmpl)
		tmpl_fd = open(tmpl, O_RDONLY | O_CLOEXEC);
	ret = lock_store(fd, tmp);
	if (!ret) {
		ret = flash_fill(fd, 0, size, tmpl_fd);
		if (!ret && fsync(fd) < 0)
			ret = -errno;
		if (ret)
			pr_err("cannot write variable store '%s': %s", path, strerror(-ret));
	}
	if (!ret) {
		ret = publish(tmp, path);
		if (ret && ret != -EEXIST)
			pr_err("cannot create variable store '%s': %s", path, strerror(-ret));
	}
	if (!ret) {
		ret = sync_dir(path);
		if (ret)
			pr_err("cannot sync the directory of variable store '%s': %s", path,
			       strerror(-ret));
	}
	if (tmpl_fd >= 0)
		close(tmpl_fd);
	if (ret) {
		unlink(tmp); /* not 'path': another VMM's store, or not yet ours */
		close(fd);
		return ret;
	}
	return fd;
}

/* The store's fd, locked and of the right size, created when missing. */
static int open_store(const char *path, const char *tmpl, uint64_t size)
{
	struct stat st;
	int fd, ret, tries;

	/* Missing: create it. Created by another VMM meanwhile: open that
	 * one (and find it locked). */
	for (tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		fd = create_store(path, tmpl, size);
		if (fd != -EEXIST)
			return fd;
		errno = EEXIST;
	}
	if (fd < 0) {
		ret = -errno;
		pr_err("cannot open variable store '%s': %m", path);
		return ret;
	}
	ret = lock_store(fd, path);
	if (!ret && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		pr_err("variable store '%s' must be a regular file", path);
		ret = -EINVAL;
	}
	if (!ret && (uint64_t)st.st_size != size) {
		size_error(path, (uint64_t)st.st_size, size);
		ret = -EINVAL;
	}
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

struct varstore *varstore_open(const char *path, const char *tmpl, uint64_t size)
{
	struct varstore *vs;
	int fd;

	if (size == 0 || size > SIZE_MAX) {
		pr_err("variable store '%s': bad bank size", path);
		return NULL;
	}
	fd = open_store(path, tmpl, size);
	if (fd < 0)
		return NULL;
	/* Every block of the file allocated now: a store written through the
	 * mapping never needs new disk space (no SIGBUS on a full disk). A
	 * file system without fallocate gets no promise, as before. */
	if (fallocate(fd, 0, 0, (off_t)size) < 0 && errno != EOPNOTSUPP && errno != ENOSYS) {
		pr_err("cannot reserve %" PRIu64 " MiB for variable store '%s': %m", size >> 20,
		       path);
		goto fail;
	}
	vs = calloc(1, sizeof(*vs));
	if (!vs || !(vs->path = strdup(path))) {
		pr_err("cannot open variable store '%s': out of memory", path);
		free(vs);
		goto fail;
	}
	vs->map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (vs->map == MAP_FAILED) {
		pr_err("cannot map variable store '%s': %m", path);
		free(vs->path);
		free(vs);
		goto fail;
	}
	vs->fd = fd;
	vs->size = size;
	return vs;
fail:
	close(fd);
	return NULL;
}

uint8_t *varstore_data(const struct varstore *vs)
{
	return vs->map;
}

int varstore_flush(struct varstore *vs)
{
	/* A shared file mapping's dirty pages are the file's: fdatasync
	 * writes them (msync(MS_SYNC) would too, for more system calls). */
	if (fdatasync(vs->fd) < 0) {
		int ret = -errno;

		pr_warn_rl("cannot write variable store '%s' to disk: %s; the guest's last variable changes may be lost",
			   vs->path, strerror(-ret));
		return ret;
	}
	return 0;
}

void varstore_close(struct varstore *vs)
{
	if (!vs)
		return;
	varstore_flush(vs);
	munmap(vs->map, (size_t)vs->size);
	close(vs->fd);
	free(vs->path);
	free(vs);
}
