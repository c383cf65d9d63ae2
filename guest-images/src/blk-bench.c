/* blk-bench: guest-side block-device load generator for the benchmarks
 * (tests/e2e/bench.sh), in place of fio, which the busybox guest does not
 * have. One job per run, queue depth 1 (one synchronous request at a
 * time), O_DIRECT (open(2)) so that every request goes to the device and
 * none is served from the guest's page cache. Times on CLOCK_MONOTONIC
 * (clock_gettime(2)) of the guest.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o blk-bench blk-bench.c
 *
 * Usage: blk-bench [--bs BYTES] [--buffered] JOB DEVICE ARG
 *   seqwrite DEVICE MIB   write MIB MiB from offset 0 in --bs requests
 *                         (default 1 MiB), then fsync(2); the time
 *                         includes the fsync (the device's FLUSH)
 *   seqread DEVICE MIB    read MIB MiB from offset 0 in --bs requests
 *   randread DEVICE SECS  4 KiB reads at 4 KiB-aligned pseudo-random
 *                         offsets over the whole device for SECS seconds
 *                         (at most 10^7 reads)
 *   --buffered            no O_DIRECT (for file systems without it)
 * Output (stdout, one line):
 *   BLK-BENCH job=J bytes=B ops=N usecs=U mbps=M iops=I
 * M in 10^6 bytes per second and I in requests per second, both with two
 * decimals. On error one line "BLK-BENCH-ERROR job=J: what: why", exit 1;
 * exit 2 on a bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ALIGN      4096ul
#define RAND_BS    4096ul
#define MAX_RAND   10000000ul
#define MAX_BS     (64ul << 20)
#define MAX_MIB    (1ul << 20)

static const char *job;

static int fail(const char *what)
{
	printf("BLK-BENCH-ERROR job=%s: %s: %s\n", job, what, strerror(errno));
	return 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* xorshift64: a fixed sequence of offsets, the same for every VMM. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void report(uint64_t bytes, uint64_t ops, uint64_t us)
{
	double secs = us ? (double)us / 1e6 : 1e-6;

	printf("BLK-BENCH job=%s bytes=%llu ops=%llu usecs=%llu mbps=%.2f iops=%.2f\n",
	       job, (unsigned long long)bytes, (unsigned long long)ops,
	       (unsigned long long)us, (double)bytes / 1e6 / secs,
	       (double)ops / secs);
}

/* Parse a positive decimal below LIMIT; 0 when it is not one. */
static unsigned long parse_num(const char *s, unsigned long limit)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v == 0 || v > limit)
		return 0;
	return v;
}

static int seq(int fd, int write_job, unsigned long mib, size_t bs, uint8_t *buf)
{
	uint64_t total = (uint64_t)mib << 20, done = 0, ops = 0, t0;
	ssize_t n;
	size_t len;

	if (write_job) {
		size_t i;

		/* Not all zeros: no device or file system may skip them. */
		for (i = 0; i < bs; i++)
			buf[i] = (uint8_t)(i * 131 + 7);
	}
	t0 = now_us();
	while (done < total) {
		len = total - done < bs ? (size_t)(total - done) : bs;
		if (write_job)
			n = pwrite(fd, buf, len, (off_t)done);
		else
			n = pread(fd, buf, len, (off_t)done);
		if (n < 0)
			return fail(write_job ? "pwrite" : "pread");
		if (n == 0) {
			errno = ENOSPC;
			return fail("device smaller than the transfer");
		}
		done += (uint64_t)n;
		ops++;
	}
	if (write_job && fsync(fd) != 0)
		return fail("fsync");
	report(done, ops, now_us() - t0);
	return 0;
}

static int randread(int fd, unsigned long secs, uint8_t *buf)
{
	uint64_t blocks, t0, end, ops = 0, seed = 0x9e3779b97f4a7c15ull;
	off_t size;
	ssize_t n;

	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return fail("lseek");
	blocks = (uint64_t)size / RAND_BS;
	if (blocks == 0) {
		errno = ENOSPC;
		return fail("device smaller than 4 KiB");
	}
	t0 = now_us();
	end = t0 + (uint64_t)secs * 1000000u;
	while (ops < MAX_RAND && now_us() < end) {
		off_t off = (off_t)((next_rand(&seed) % blocks) * RAND_BS);

		n = pread(fd, buf, RAND_BS, off);
		if (n < 0)
			return fail("pread");
		if ((size_t)n != RAND_BS) {
			errno = EIO;
			return fail("short read");
		}
		ops++;
	}
	report(ops * RAND_BS, ops, now_us() - t0);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: blk-bench [--bs BYTES] [--buffered] "
		"seqwrite|seqread DEVICE MIB | randread DEVICE SECS\n");
	return 2;
}

int main(int argc, char **argv)
{
	size_t bs = 1ul << 20;
	int a = 1, direct = 1, fd, rc, write_job = 0;
	unsigned long arg;
	void *buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (a < argc && strncmp(argv[a], "--", 2) == 0) {
		if (strcmp(argv[a], "--buffered") == 0) {
			direct = 0;
			a++;
		} else if (strcmp(argv[a], "--bs") == 0 && a + 1 < argc) {
			bs = parse_num(argv[a + 1], MAX_BS);
			if (bs == 0 || bs % ALIGN)
				return usage();
			a += 2;
		} else {
			return usage();
		}
	}
	if (argc - a != 3)
		return usage();
	job = argv[a];
	if (strcmp(job, "seqwrite") == 0)
		write_job = 1;
	else if (strcmp(job, "seqread") != 0 && strcmp(job, "randread") != 0)
		return usage();
	arg = parse_num(argv[a + 2], MAX_MIB);
	if (arg == 0)
		return usage();

	if (posix_memalign(&buf, ALIGN, bs > RAND_BS ? bs : RAND_BS) != 0) {
		errno = ENOMEM;
		return fail("buffer");
	}
	fd = open(argv[a + 1], (write_job ? O_WRONLY : O_RDONLY) |
		  (direct ? O_DIRECT : 0) | O_CLOEXEC);
	if (fd < 0)
		return fail(argv[a + 1]);
	if (strcmp(job, "randread") == 0)
		rc = randread(fd, arg, buf);
	else
		rc = seq(fd, write_job, arg, bs, buf);
	close(fd);
	free(buf);
	return rc;
}
