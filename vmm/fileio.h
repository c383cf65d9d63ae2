/* Reading files: the one read loop the kernel, initrd, firmware and
 * variable-store loaders share. Large payloads are read straight into
 * their destination (guest RAM, a fw_cfg DMA target) with pread_full, so
 * the VMM never holds a heap copy of them. */
#ifndef MVR_FILEIO_H
#define MVR_FILEIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
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

#endif
