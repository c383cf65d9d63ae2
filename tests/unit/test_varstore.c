/* Unit tests for the persistent variable store (vmm/varstore.c): creation
 * from the template, the lock against a second VMM, wrong sizes refused,
 * a crash or a size limit during creation leaving no store behind, and a
 * store truncated under a running flash bank failing program/erase with
 * status error bits instead of a fatal SIGBUS (guard.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/cfi_flash.h"
#include "guard.h"
#include "varstore.h"

#define BANK     (4 * CFI_FLASH_BLOCK_SIZE) /* 1 MiB */
#define TMPL_LEN 10000u
#define DUAL(c)  ((uint32_t)(c) << 16 | (uint32_t)(c))

struct dir {
	char path[64];
	char tmpl[96];
	char store[96];
};

static uint8_t tmpl_byte(uint64_t i)
{
	return (uint8_t)(i * 7 + 1);
}

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	uint8_t buf[TMPL_LEN];
	int fd;

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/mvr-test-vars-XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->tmpl, sizeof(d->tmpl), "%s/template.fd", d->path);
	snprintf(d->store, sizeof(d->store), "%s/vars.fd", d->path);
	for (uint32_t i = 0; i < TMPL_LEN; i++)
		buf[i] = tmpl_byte(i);
	fd = open(d->tmpl, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return -1;
	close(fd);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	struct dirent *e;
	DIR *dh = opendir(d->path);
	char p[512];

	while (dh && (e = readdir(dh))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		snprintf(p, sizeof(p), "%s/%s", d->path, e->d_name);
		unlink(p);
	}
	if (dh)
		closedir(dh);
	rmdir(d->path);
	free(d);
	return 0;
}

/* Names in the directory other than the template. */
static int extra_files(const struct dir *d)
{
	struct dirent *e;
	DIR *dh = opendir(d->path);
	int n = 0;

	assert_non_null(dh);
	while ((e = readdir(dh)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "template.fd"))
			n++;
	closedir(dh);
	return n;
}

static void assert_store_bytes(const char *path)
{
	uint8_t *buf = malloc(BANK);
	int fd = open(path, O_RDONLY);
	struct stat st;

	assert_non_null(buf);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, BANK);
	assert_int_equal(pread(fd, buf, BANK, 0), BANK);
	for (uint64_t i = 0; i < BANK; i++)
		assert_int_equal(buf[i], i < TMPL_LEN ? tmpl_byte(i) : 0xFF);
	close(fd);
	free(buf);
}

static void make_file(const char *path, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	close(fd);
}

static void test_create_from_template(void **state)
{
	struct dir *d = *state;
	struct varstore *vs = varstore_open(d->store, d->tmpl, BANK);
	uint8_t *p;

	assert_non_null(vs);
	p = varstore_data(vs);
	assert_int_equal(p[0], tmpl_byte(0));
	assert_int_equal(p[TMPL_LEN - 1], tmpl_byte(TMPL_LEN - 1));
	assert_int_equal(p[TMPL_LEN], 0xFF);
	assert_int_equal(p[BANK - 1], 0xFF);
	/* The mapping is the file: a store through it is in the file. */
	p[20000] = 0x5A;
	assert_int_equal(varstore_flush(vs), 0);
	varstore_close(vs);
	assert_int_equal(extra_files(d), 1); /* no temporary left */
	vs = varstore_open(d->store, d->tmpl, BANK);
	assert_non_null(vs);
	assert_int_equal(varstore_data(vs)[20000], 0x5A);
	assert_int_equal(varstore_data(vs)[5], tmpl_byte(5));
	varstore_close(vs);
	/* No template: erased flash. */
	unlink(d->store);
	vs = varstore_open(d->store, NULL, BANK);
	assert_non_null(vs);
	assert_int_equal(varstore_data(vs)[0], 0xFF);
	varstore_close(vs);
}

/* OFD locks conflict between open file descriptions even in one process:
 * the second open stands for a second VMM. */
static void test_lock_refuses_second_vm(void **state)
{
	struct dir *d = *state;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct varstore *a, *b;
	int fd;

	a = varstore_open(d->store, d->tmpl, BANK);
	assert_non_null(a);
	b = varstore_open(d->store, d->tmpl, BANK);
	assert_null(b);
	/* Any other locker is refused too. */
	fd = open(d->store, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), -1);
	assert_true(errno == EAGAIN || errno == EACCES);
	close(fd);
	/* The store is untouched by the refused open. */
	varstore_data(a)[0] = 0x42;
	varstore_close(a);
	b = varstore_open(d->store, d->tmpl, BANK);
	assert_non_null(b); /* the lock went with the first */
	assert_int_equal(varstore_data(b)[0], 0x42);
	varstore_close(b);
}

static void test_wrong_size_refused(void **state)
{
	struct dir *d = *state;
	static const size_t sizes[] = { 0, 4096, TMPL_LEN, BANK - 1, BANK + 1, 2 * BANK };
	struct stat st;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		make_file(d->store, sizes[i]);
		assert_int_equal(varstore_check(d->store, BANK), -EINVAL);
		assert_null(varstore_open(d->store, d->tmpl, BANK));
		/* Neither padded nor cut. */
		assert_int_equal(stat(d->store, &st), 0);
		assert_int_equal(st.st_size, sizes[i]);
	}
	make_file(d->store, BANK);
	assert_int_equal(varstore_check(d->store, BANK), 0);
	unlink(d->store);
	assert_int_equal(varstore_check(d->store, BANK), 0); /* will be created */
	assert_int_equal(mkdir(d->store, 0700), 0);
	assert_int_equal(varstore_check(d->store, BANK), -EINVAL);
	assert_null(varstore_open(d->store, d->tmpl, BANK));
	rmdir(d->store);
}

/* A child creating the store is killed in the middle of writing it (the
 * file size limit's SIGXFSZ, default action): the store's path must not
 * exist, and the next start creates a whole one. */
static void test_crash_during_creation(void **state)
{
	struct dir *d = *state;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 256 * 1024, 256 * 1024 };

		signal(SIGXFSZ, SIG_DFL);
		setrlimit(RLIMIT_FSIZE, &rl);
		varstore_open(d->store, d->tmpl, BANK);
		_exit(0); /* not reached: killed while writing */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGXFSZ);
	assert_int_equal(access(d->store, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(extra_files(d), 1); /* the dead child's temporary */
	varstore_close(varstore_open(d->store, d->tmpl, BANK));
	assert_store_bytes(d->store);
}

/* No room for the store (a file size limit standing in for a full disk,
 * EFBIG as ENOSPC would be): one error, no store, no temporary left. */
static void test_no_space_at_creation(void **state)
{
	struct dir *d = *state;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 256 * 1024, 256 * 1024 };

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		_exit(varstore_open(d->store, d->tmpl, BANK) == NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(d->store, F_OK), -1);
	assert_int_equal(extra_files(d), 0);
}

static void cmd(struct cfi_flash *f, uint64_t off, uint8_t c)
{
	assert_int_equal(cfi_flash_bus_ops.write(f, off, 4, DUAL(c)), 0);
}

static uint32_t read_status(struct cfi_flash *f)
{
	uint64_t v = 0;

	cmd(f, 0, 0x70);
	assert_int_equal(cfi_flash_bus_ops.read(f, 0, 4, &v), 0);
	return (uint32_t)v;
}

static int flush_cb(void *opaque)
{
	return varstore_flush(opaque);
}

/* The file is cut to nothing while the bank runs: word program, buffered
 * program and erase set their error bits, array reads fail, the process
 * lives on; with the file whole again, writes work and reach it. */
static void test_truncated_store(void **state)
{
	struct dir *d = *state;
	struct varstore *vs = varstore_open(d->store, d->tmpl, BANK);
	struct cfi_flash *f;
	uint64_t v;
	uint8_t b[4];
	int fd;

	assert_non_null(vs);
	assert_int_equal(guard_sigbus_install(), 0);
	f = cfi_flash_create(varstore_data(vs), BANK, NULL, NULL);
	assert_non_null(f);
	cfi_flash_set_flush(f, flush_cb, vs);
	assert_int_equal(truncate(d->store, 0), 0);

	cmd(f, 0x100, 0x40);
	assert_int_equal(cfi_flash_bus_ops.write(f, 0x100, 4, 0), 0);
	assert_int_equal(read_status(f), DUAL(0x80 | CFI_SR_PROGRAM_ERR));
	cmd(f, 0, 0x50);
	cmd(f, CFI_FLASH_BLOCK_SIZE, 0x20);
	cmd(f, CFI_FLASH_BLOCK_SIZE, 0xD0);
	assert_int_equal(read_status(f), DUAL(0x80 | CFI_SR_ERASE_ERR));
	cmd(f, 0, 0x50);
	cmd(f, 0x200, 0xE8);
	assert_int_equal(cfi_flash_bus_ops.write(f, 0x200, 4, 0), 0); /* one write */
	assert_int_equal(cfi_flash_bus_ops.write(f, 0x200, 4, 0x11223344), 0);
	cmd(f, 0x200, 0xD0);
	assert_int_equal(read_status(f), DUAL(0x80 | CFI_SR_PROGRAM_ERR));
	cmd(f, 0, 0x50);
	cmd(f, 0, 0xFF);
	assert_int_equal(cfi_flash_bus_ops.read(f, 0x100, 4, &v), -EIO);

	/* The file whole again (holes read as zero): program works. */
	assert_int_equal(truncate(d->store, BANK), 0);
	cmd(f, 0, 0x20);
	cmd(f, 0, 0xD0);
	assert_int_equal(read_status(f), DUAL(0x80));
	cmd(f, 0x104, 0x40);
	assert_int_equal(cfi_flash_bus_ops.write(f, 0x104, 4, 0x12345678), 0);
	assert_int_equal(read_status(f), DUAL(0x80));
	cmd(f, 0, 0xFF); /* end of the burst: flushed */
	assert_int_equal(cfi_flash_bus_ops.read(f, 0x104, 4, &v), 0);
	assert_int_equal(v, 0x12345678);
	fd = open(d->store, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4, 0x104), 4);
	assert_int_equal(b[0], 0x78);
	assert_int_equal(b[3], 0x12);
	assert_int_equal(pread(fd, b, 1, 0x108), 1);
	assert_int_equal(b[0], 0xFF);
	close(fd);
	cfi_flash_destroy(f);
	varstore_close(vs);
	signal(SIGBUS, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_from_template, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_refuses_second_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_size_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_during_creation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_space_at_creation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_store, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
