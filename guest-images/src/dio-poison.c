/* dio-poison: guest-side test program for memory errors on the virtio-blk
 * I/O path. It fills NBUF page-sized anonymous buffers, pins them, prints
 * their physical addresses (from /proc/self/pagemap, see Linux
 * Documentation/admin-guide/mm/pagemap.rst) and then, on command, writes a
 * buffer to a block device with O_DIRECT (open(2)), so that the device reads
 * the page straight from guest memory and the guest CPU never touches it:
 * a page poisoned behind the guest's back is met by the device first.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o dio-poison dio-poison.c
 *
 * Usage: dio-poison DEVICE   (commands on stdin)
 * Output lines (stdout, line-buffered):
 *   DIO-BUF i va=0x... pa=0x...
 *   DIO-READY
 *   DIO-WRITE buf=i off=N ret=R errno=NAME    (NAME: 0, EIO, EFAULT, ... or a number)
 *   DIO-ERROR ...
 *   DIO-DONE
 * Commands: "write I OFF" (buffer I to byte offset OFF, a multiple of 4096),
 * "quit"/EOF. The buffers are never read or written after DIO-READY.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NBUF 2
#define PM_PFN_MASK ((1ull << 55) - 1)   /* bits 0-54 */
#define PM_PRESENT  (1ull << 63)

static uint8_t *buf[NBUF];
static size_t page_size;

static const char *errno_name(int e)
{
	static char num[16];

	switch (e) {
	case 0: return "0";
	case EIO: return "EIO";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EHWPOISON: return "EHWPOISON";
	}
	snprintf(num, sizeof(num), "%d", e);
	return num;
}

/* Map, fill and pin the buffers; print their addresses. 0 or -1. */
static int setup_buffers(void)
{
	unsigned i;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0) {
		perror("dio-poison: /proc/self/pagemap");
		return -1;
	}
	for (i = 0; i < NBUF; i++) {
		uint64_t ent = 0, pa = 0;
		uintptr_t va;

		/* One mapping per buffer: never merged into a huge page. */
		buf[i] = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf[i] == MAP_FAILED) {
			perror("dio-poison: mmap");
			close(fd);
			return -1;
		}
		memset(buf[i], 0xa0 + i, page_size);
		if (mlock(buf[i], page_size) < 0)
			printf("DIO-WARN mlock failed (%s): buffer %u may move\n",
			       strerror(errno), i);
		va = (uintptr_t)buf[i];
		if (pread(fd, &ent, sizeof(ent), (off_t)(va / page_size * sizeof(ent))) !=
		    (ssize_t)sizeof(ent)) {
			perror("dio-poison: pagemap read");
			close(fd);
			return -1;
		}
		if ((ent & PM_PRESENT) && (ent & PM_PFN_MASK))
			pa = (ent & PM_PFN_MASK) * page_size;
		else
			printf("DIO-WARN buffer %u: no PFN (not present, or not root)\n", i);
		printf("DIO-BUF %u va=0x%lx pa=0x%llx\n", i, (unsigned long)va,
		       (unsigned long long)pa);
	}
	close(fd);
	return 0;
}

static void do_write(int dev, const char *args)
{
	unsigned long i;
	long long off;
	ssize_t ret;
	int err = 0;

	if (sscanf(args, "%lu %lld", &i, &off) != 2 || i >= NBUF || off < 0 ||
	    off % 4096) {
		printf("DIO-ERROR bad arguments '%s' (write 0..%d OFF)\n", args, NBUF - 1);
		return;
	}
	ret = pwrite(dev, buf[i], page_size, (off_t)off);
	if (ret < 0)
		err = errno;
	printf("DIO-WRITE buf=%lu off=%lld ret=%ld errno=%s\n", i, off, (long)ret,
	       errno_name(err));
}

int main(int argc, char **argv)
{
	char line[128];
	int dev;

	if (argc != 2) {
		fprintf(stderr, "usage: dio-poison DEVICE  (stdin: write I OFF | quit)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	dev = open(argv[1], O_RDWR | O_DIRECT | O_SYNC);
	if (dev < 0) {
		printf("DIO-ERROR open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (setup_buffers() < 0)
		return 1;
	printf("DIO-READY\n");
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		if (strncmp(line, "write ", 6) == 0)
			do_write(dev, line + 6);
		else if (line[0])
			printf("DIO-ERROR unknown command '%s'\n", line);
	}
	close(dev);
	printf("DIO-DONE\n");
	return 0;
}
