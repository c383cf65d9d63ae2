/* blk-bench: guest-side block-device load generator for the benchmarks
 * (tests/e2e/bench.sh), in place of fio, which the busybox guest does not
 * have. One job per run, O_DIRECT (open(2)) so that every request goes to
 * the device and none is served from the guest's page cache. At queue
 * depth 1 one synchronous request at a time (pread(2)/pwrite(2)); at a
 * deeper queue (random jobs only) Linux native AIO through the raw system
 * calls io_setup(2), io_submit(2), io_getevents(2) (no libaio): DEPTH
 * requests in flight, each completion replaced by a new request at once.
 * Times on CLOCK_MONOTONIC (clock_gettime(2)) of the guest.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o blk-bench blk-bench.c
 *
 * Usage: blk-bench [--bs BYTES] [--qd DEPTH] [--buffered] JOB DEVICE ARG
 *   seqwrite DEVICE MIB   write MIB MiB from offset 0 in --bs requests
 *                         (default 1 MiB), then fsync(2); the time
 *                         includes the fsync (the device's FLUSH)
 *   seqread DEVICE MIB    read MIB MiB from offset 0 in --bs requests
 *   randread DEVICE SECS  4 KiB reads at 4 KiB-aligned pseudo-random
 *                         offsets over the whole device for SECS seconds
 *                         (at most 10^7 reads)
 *   randwrite DEVICE SECS 4 KiB writes at the same offsets as randread
 *                         for SECS seconds (at most 10^7 writes), then
 *                         fsync(2); the time includes the fsync
 *   --qd DEPTH            requests in flight, 1 to 64 (default 1); above
 *                         1 only for randread and randwrite (native AIO;
 *                         requests still in flight at the end of SECS
 *                         are waited for and counted)
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
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ALIGN      4096ul
#define RAND_BS    4096ul
#define MAX_RAND   10000000ul
#define MAX_BS     (64ul << 20)
#define MAX_MIB    (1ul << 20)
#define MAX_QD     64ul

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

/* Not all zeros: no device or file system may skip them. */
static void fill(uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
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

	if (write_job)
		fill(buf, bs);
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

/* The device's size in 4 KiB blocks; 0 (and the error line) on failure. */
static uint64_t rand_blocks(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);

	if (size < 0) {
		fail("lseek");
		return 0;
	}
	if ((uint64_t)size < RAND_BS) {
		errno = ENOSPC;
		fail("device smaller than 4 KiB");
		return 0;
	}
	return (uint64_t)size / RAND_BS;
}

/* Queue depth 1: one pread/pwrite at a time. */
static int rand_sync(int fd, int write_job, unsigned long secs, uint8_t *buf)
{
	uint64_t blocks, t0, end, ops = 0, seed = 0x9e3779b97f4a7c15ull;
	ssize_t n;

	blocks = rand_blocks(fd);
	if (blocks == 0)
		return 1;
	t0 = now_us();
	end = t0 + (uint64_t)secs * 1000000u;
	while (ops < MAX_RAND && now_us() < end) {
		off_t off = (off_t)((next_rand(&seed) % blocks) * RAND_BS);

		if (write_job)
			n = pwrite(fd, buf, RAND_BS, off);
		else
			n = pread(fd, buf, RAND_BS, off);
		if (n < 0)
			return fail(write_job ? "pwrite" : "pread");
		if ((size_t)n != RAND_BS) {
			errno = EIO;
			return fail(write_job ? "short write" : "short read");
		}
		ops++;
	}
	if (write_job && fsync(fd) != 0)
		return fail("fsync");
	report(ops * RAND_BS, ops, now_us() - t0);
	return 0;
}

static long sys_io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long sys_io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long sys_io_submit(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, nr, iocbs);
}

static long sys_io_getevents(aio_context_t ctx, long min_nr, long nr,
			     struct io_event *events)
{
	return syscall(SYS_io_getevents, ctx, min_nr, nr, events, NULL);
}

/* Submit all NR of IOCBS; io_submit(2) may take fewer than offered. */
static int submit_all(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	long done = 0, r;

	while (done < nr) {
		r = sys_io_submit(ctx, nr - done, iocbs + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EAGAIN;
			return fail("io_submit");
		}
		done += r;
	}
	return 0;
}

/*
 * Queue depth QD > 1: QD requests of 4 KiB, each with its own buffer in
 * BUF, in flight through native AIO. Every completion is checked and
 * replaced by a request at the next offset until SECS have passed (or
 * MAX_RAND were issued); then the rest in flight are waited for.
 */
static int rand_aio(aio_context_t ctx, int fd, int write_job, unsigned long secs,
		    unsigned long qd, uint8_t *buf)
{
	uint64_t blocks, t0, end, issued = 0, ops = 0, seed = 0x9e3779b97f4a7c15ull;
	struct iocb cbs[MAX_QD], *ready[MAX_QD];
	struct io_event ev[MAX_QD];
	unsigned long i, inflight = 0;
	long got, k, nready;
	int stop = 0;

	blocks = rand_blocks(fd);
	if (blocks == 0)
		return 1;
	memset(cbs, 0, sizeof(cbs));
	for (i = 0; i < qd; i++) {
		cbs[i].aio_fildes = (uint32_t)fd;
		cbs[i].aio_lio_opcode = write_job ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
		cbs[i].aio_buf = (uint64_t)(uintptr_t)(buf + i * RAND_BS);
		cbs[i].aio_nbytes = RAND_BS;
		cbs[i].aio_data = i;
	}
	t0 = now_us();
	end = t0 + (uint64_t)secs * 1000000u;
	nready = 0;
	for (i = 0; i < qd && issued < MAX_RAND; i++) {
		cbs[i].aio_offset = (int64_t)((next_rand(&seed) % blocks) * RAND_BS);
		ready[nready++] = &cbs[i];
		issued++;
	}
	if (submit_all(ctx, nready, ready))
		return 1;
	inflight = (unsigned long)nready;
	while (inflight > 0) {
		got = sys_io_getevents(ctx, 1, (long)inflight, ev);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = EIO;
			return fail("io_getevents");
		}
		inflight -= (unsigned long)got;
		if (!stop && (issued >= MAX_RAND || now_us() >= end))
			stop = 1;
		nready = 0;
		for (k = 0; k < got; k++) {
			if (ev[k].res < 0) {
				errno = (int)-ev[k].res;
				return fail(write_job ? "aio write" : "aio read");
			}
			if ((uint64_t)ev[k].res != RAND_BS || ev[k].data >= qd) {
				errno = EIO;
				return fail(write_job ? "short write" : "short read");
			}
			ops++;
			if (stop)
				continue;
			i = (unsigned long)ev[k].data;
			cbs[i].aio_offset = (int64_t)((next_rand(&seed) % blocks) * RAND_BS);
			ready[nready++] = &cbs[i];
			issued++;
			if (issued >= MAX_RAND)
				stop = 1;
		}
		if (nready && submit_all(ctx, nready, ready))
			return 1;
		inflight += (unsigned long)nready;
	}
	if (write_job && fsync(fd) != 0)
		return fail("fsync");
	report(ops * RAND_BS, ops, now_us() - t0);
	return 0;
}

static int rand_job(int fd, int write_job, unsigned long secs, unsigned long qd,
		    uint8_t *buf)
{
	aio_context_t ctx = 0;
	int rc;

	if (write_job)
		fill(buf, qd * RAND_BS);
	if (qd == 1)
		return rand_sync(fd, write_job, secs, buf);
	if (sys_io_setup((unsigned int)qd, &ctx) != 0)
		return fail("io_setup");
	rc = rand_aio(ctx, fd, write_job, secs, qd, buf);
	/* Destroying the context waits for whatever an error left in flight. */
	sys_io_destroy(ctx);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: blk-bench [--bs BYTES] [--qd 1-64] [--buffered] "
		"seqwrite|seqread DEVICE MIB | randread|randwrite DEVICE SECS\n");
	return 2;
}

int main(int argc, char **argv)
{
	size_t bs = 1ul << 20, len;
	int a = 1, direct = 1, fd, rc, write_job = 0, is_rand = 0;
	unsigned long arg, qd = 1;
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
		} else if (strcmp(argv[a], "--qd") == 0 && a + 1 < argc) {
			qd = parse_num(argv[a + 1], MAX_QD);
			if (qd == 0)
				return usage();
			a += 2;
		} else {
			return usage();
		}
	}
	if (argc - a != 3)
		return usage();
	job = argv[a];
	if (strcmp(job, "seqwrite") == 0) {
		write_job = 1;
	} else if (strcmp(job, "randwrite") == 0) {
		write_job = 1;
		is_rand = 1;
	} else if (strcmp(job, "randread") == 0) {
		is_rand = 1;
	} else if (strcmp(job, "seqread") != 0) {
		return usage();
	}
	if (!is_rand && qd != 1)
		return usage();
	arg = parse_num(argv[a + 2], MAX_MIB);
	if (arg == 0)
		return usage();

	len = is_rand ? qd * RAND_BS : bs;
	if (posix_memalign(&buf, ALIGN, len) != 0) {
		errno = ENOMEM;
		return fail("buffer");
	}
	fd = open(argv[a + 1], (write_job ? O_WRONLY : O_RDONLY) |
		  (direct ? O_DIRECT : 0) | O_CLOEXEC);
	if (fd < 0)
		return fail(argv[a + 1]);
	if (is_rand)
		rc = rand_job(fd, write_job, arg, qd, buf);
	else
		rc = seq(fd, write_job, arg, bs, buf);
	close(fd);
	free(buf);
	return rc;
}
