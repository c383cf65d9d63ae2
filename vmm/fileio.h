/* Reading files whole: the one read loop the kernel, initrd, firmware and
 * variable-store loaders share. */
#ifndef MVR_FILEIO_H
#define MVR_FILEIO_H

#include <errno.h>
#include <stddef.h>
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

#endif
