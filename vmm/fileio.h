/* Reading files: the one read loop the kernel, initrd, firmware and
 * variable-store loaders share, and the one check that a file can be
 * created where a path names it. Large payloads are read straight into
 * their destination (guest RAM, a fw_cfg DMA target) with pread_full, so
 * the VMM never holds a heap copy of them. */
#ifndef MVR_FILEIO_H
#define MVR_FILEIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Read exactly len bytes from fd into buf, retrying on EINTR and short
 * reads. Returns 0, -errno, or -EIO when the file ends early. */
static inline int read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* As read_full, at file offset 'off' (the file position is untouched, so
 * several threads may read the same fd). */
static inline int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Can a file be created at 'path'? Its directory ("." for a bare name) is
 * copied into dir[0 .. cap) and must exist, be a directory, and be
 * writable and searchable. Returns 0 or an errno value (ENAMETOOLONG when
 * 'path' does not fit in 'dir'). */
static inline int path_dir_writable(const char *path, char *dir, size_t cap)
{
	size_t len = strlen(path);
	struct stat st;
	char *slash;

	if (cap)
		dir[0] = '\0';
	if (cap < 2 || len >= cap)
		return ENAMETOOLONG;
	memcpy(dir, path, len + 1);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';	/* "/x": the root itself */
	if (stat(dir, &st) < 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	if (access(dir, W_OK | X_OK) < 0)
		return errno;
	return 0;
}

#endif
