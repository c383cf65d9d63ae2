/* Unit tests for the flash bank mappings (vmm/flash_map.c): contents, and
 * that they are mappings of shared pages, not copies. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "flash_map.h"
#include "util.h"

#define BANK (64ULL << 20)

static char *tmpfile_with(size_t len, uint8_t seed)
{
	static char path[64];
	uint8_t *buf = malloc(len);
	int fd;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "/tmp/mvr-test-flash-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + seed);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	return path;
}

static long max_rss_kb(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* 64 MiB of erased flash reads 0xFF everywhere; making it costs nothing
 * up front (anonymous memory filled with 0xFF would cost 64 MiB at once),
 * only pages read count (edk2 reads the variable store at the bank's start,
 * not the whole bank); a write changes only its own page. */
static void test_erased(void **state)
{
	long before = max_rss_kb();
	uint8_t *p = flash_map_erased(BANK);
	uint64_t sum = 0;

	assert_non_null(p);
	for (uint64_t off = 0; off < (1 << 20); off += 512)
		sum += p[off];
	assert_int_equal(sum, 0xffULL * ((1 << 20) / 512));
	if (max_rss_kb() - before >= 8 * 1024)
		fail_msg("peak RSS grew by %ld KiB", max_rss_kb() - before);
	for (uint64_t off = 0; off < BANK; off += 512)
		if (p[off] != 0xff)
			fail_msg("byte %llu is 0x%02x", (unsigned long long)off, p[off]);
	p[4096 + 5] = 0x12;
	assert_int_equal(p[4096 + 5], 0x12);
	assert_int_equal(p[2 * 1024 * 1024 + 4096 + 5], 0xff); /* same chunk offset, next chunk */
	assert_int_equal(p[5], 0xff);
	munmap(p, BANK);
	/* A size the chunk does not divide: still all 0xFF. */
	p = flash_map_erased(3 * 4096);
	assert_non_null(p);
	for (unsigned i = 0; i < 3 * 4096; i++)
		assert_int_equal(p[i], 0xff);
	munmap(p, 3 * 4096);
}

/* The firmware file is mapped, not copied: a change to the file shows
 * through the mapping; past the file's end the bank reads zeros. */
static void test_map_file(void **state)
{
	const size_t len = 3 * 4096 + 100;
	char *path = tmpfile_with(len, 7);
	uint8_t *p = flash_map_file(path, BANK, "firmware");
	int fd;

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(p[i], (uint8_t)(i * 31 + 7));
	assert_int_equal(p[len], 0);
	assert_int_equal(p[BANK - 1], 0);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "Z", 1, 4096), 1);
	close(fd);
	assert_int_equal(p[4096], 'Z');
	munmap(p, BANK);
	/* Larger than the bank, or empty: refused. */
	assert_null(flash_map_file(path, 4096, "firmware"));
	assert_null(flash_map_file("/nonexistent/fw", BANK, "firmware"));
	unlink(path);
}

/* A short template over erased flash; filling a store file through it. */
static void test_template_and_fill(void **state)
{
	const size_t len = 10000;
	char *path = tmpfile_with(len, 3), store[] = "/tmp/mvr-test-store-XXXXXX";
	uint8_t *p = flash_load_template(path, BANK, "template"), b[4];
	int tfd, sfd;

	assert_non_null(p);
	assert_int_equal(p[9999], (uint8_t)(9999 * 31 + 3));
	assert_int_equal(p[10000], 0xff);
	assert_int_equal(p[BANK - 1], 0xff);
	munmap(p, BANK);

	tfd = open(path, O_RDONLY);
	sfd = mkstemp(store);
	assert_true(tfd >= 0 && sfd >= 0);
	assert_int_equal(ftruncate(sfd, 1 << 20), 0);
	assert_int_equal(flash_fill(sfd, 0, 1 << 20, tfd), 0);
	assert_int_equal(pread(sfd, b, 2, 9998), 2);
	assert_int_equal(b[0], (uint8_t)(9998 * 31 + 3));
	assert_int_equal(b[1], (uint8_t)(9999 * 31 + 3));
	assert_int_equal(pread(sfd, b, 1, 10000), 1);
	assert_int_equal(b[0], 0xff);
	assert_int_equal(pread(sfd, b, 1, (1 << 20) - 1), 1);
	assert_int_equal(b[0], 0xff);
	/* Without a template, from an offset: the bytes before stay. */
	assert_int_equal(flash_fill(sfd, 4096, 1 << 20, -1), 0);
	assert_int_equal(pread(sfd, b, 1, 4095), 1);
	assert_int_equal(b[0], (uint8_t)(4095 * 31 + 3));
	assert_int_equal(pread(sfd, b, 1, 4096), 1);
	assert_int_equal(b[0], 0xff);
	close(tfd);
	close(sfd);
	unlink(path);
	unlink(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erased),
		cmocka_unit_test(test_map_file),
		cmocka_unit_test(test_template_and_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
