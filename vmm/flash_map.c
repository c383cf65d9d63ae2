/* Host mappings of the firmware flash banks without copies (issue 10): the
 * code bank as a read-only private mapping of its file, erased flash as
 * shared 0xFF pages mapped copy-on-write, the variable store's missing part
 * written through its file. No KVM: unit tested natively. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "flash_map.h"
#include "log.h"
#include "util.h"

#define ERASED_CHUNK SZ_2M

/* Erased flash (every byte 0xFF) over 'size' bytes without 'size' bytes of
 * memory: one ERASED_CHUNK of 0xFF in a memfd, mapped copy-on-write over
 * and over. Reads share those pages; a page the guest (or the CFI model)
 * writes becomes a private copy. Falls back to filling anonymous memory
 * when memfd is unavailable. */
uint8_t *flash_map_erased(uint64_t size)
{
	uint8_t *p, *buf = NULL;
	uint64_t off;
	int fd = -1, ret = -1;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (size % ERASED_CHUNK == 0) {
		fd = memfd_create("microvm-ras-erased-flash", MFD_CLOEXEC);
		buf = malloc(SZ_64K);
	}
	if (fd >= 0 && buf && ftruncate(fd, ERASED_CHUNK) == 0) {
		memset(buf, 0xff, SZ_64K);
		for (off = 0, ret = 0; off < ERASED_CHUNK && !ret; off += SZ_64K)
			ret = pwrite(fd, buf, SZ_64K, (off_t)off) == (ssize_t)SZ_64K ? 0 : -1;
		for (off = 0; off < size && !ret; off += ERASED_CHUNK)
			if (mmap(p + off, ERASED_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
				 fd, 0) == MAP_FAILED)
				ret = -1;
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	if (ret) {
		/* Whatever got mapped is replaced by plain anonymous memory. */
		if (mmap(p, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
			munmap(p, size);
			return NULL;
		}
		memset(p, 0xff, size);
	}
	return p;
}

/* A template smaller than the bank: its bytes over erased flash. */
uint8_t *flash_load_template(const char *path, uint64_t size, const char *what)
{
	struct stat st;
	uint8_t *p = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("cannot open %s '%s': %m", what, path);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > size) {
		pr_err("%s '%s' must be a regular file of at most %" PRIu64 " MiB",
		       what, path, size >> 20);
		goto out;
	}
	p = flash_map_erased(size);
	if (!p) {
		pr_err("cannot map %s: %m", what);
		goto out;
	}
	ret = pread_full(fd, p, (size_t)st.st_size, 0);
	if (ret) {
		pr_err("cannot read %s '%s': %s", what, path, strerror(-ret));
		munmap(p, size);
		p = NULL;
	}
out:
	close(fd);
	return p;
}

/* Map 'path' read-only into a 'size'-byte window: the file's pages come
 * from the page cache (shared with every other VM booting the same
 * firmware, never copied), the rest of the window reads as zeros (untouched
 * anonymous pages: the shared zero page). Fails if the file is larger. */
uint8_t *flash_map_file(const char *path, uint64_t size, const char *what)
{
	struct stat st;
	uint8_t *p;
	void *q;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("cannot open %s '%s': %m", what, path);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > size) {
		pr_err("%s '%s' must be a regular non-empty file of at most %" PRIu64 " MiB",
		       what, path, size >> 20);
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		pr_err("cannot map %s: %m", what);
		close(fd);
		return NULL;
	}
	/* The file's last partial page reads as zeros past its end. */
	q = mmap(p, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
	close(fd);
	if (q == MAP_FAILED) {
		pr_err("cannot map %s '%s': %m", what, path);
		munmap(p, size);
		return NULL;
	}
	return p;
}

/* Make fd's size bytes from 'old' on: the template's bytes where it has
 * them (tmpl_fd >= 0), erased flash (0xFF) after. Written through the
 * file, so the VMM's mapping of it only costs what the guest touches. */
int flash_fill(int fd, uint64_t old, uint64_t size, int tmpl_fd)
{
	uint64_t tmpl_size = 0, off;
	struct stat st;
	uint8_t *buf;
	int ret = 0;

	if (tmpl_fd >= 0 && fstat(tmpl_fd, &st) == 0 && S_ISREG(st.st_mode))
		tmpl_size = MIN((uint64_t)st.st_size, size);
	buf = malloc(SZ_64K);
	if (!buf)
		return -ENOMEM;
	for (off = old; off < size && !ret; off += SZ_64K) {
		size_t n = (size_t)MIN(size - off, (uint64_t)SZ_64K), t = 0;
		ssize_t w;

		if (off < tmpl_size) {
			t = (size_t)MIN(tmpl_size - off, (uint64_t)n);
			ret = pread_full(tmpl_fd, buf, t, off);
		}
		memset(buf + t, 0xff, n - t);
		/* A short write is retried, so that a full disk or a file
		 * size limit is reported as such (ENOSPC, EFBIG). */
		for (size_t done = 0; !ret && done < n; done += (size_t)w) {
			w = pwrite(fd, buf + done, n - done, (off_t)(off + done));
			if (w < 0) {
				ret = errno == EINTR ? 0 : -errno;
				w = 0;
			} else if (w == 0) {
				ret = -EIO;
			}
		}
	}
	free(buf);
	return ret;
}
