/* Unit tests for the SIGBUS path (vmm/ras/sigbus.c) and guarded copies
 * (vmm/guard.c), with real signals: a SIGBUS from a truncated file mapping
 * inside a guarded copy fails only that copy; memory-error signals sent to
 * ourselves (rt_tgsigqueueinfo allows any si_code within one process) land
 * in the AO ring and the vCPU slot with the page named and si_addr_lsb. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "guard.h"
#include "ras/sigbus.h"
#include "sigbus_inject.h"

static int efd = -1;

static int setup(void **state)
{
	efd = eventfd(0, EFD_NONBLOCK);
	return efd < 0 ? -1 : 0;
}

/* cmocka installs its own SIGBUS handler around each test: each test takes
 * it back first. */
#define INSTALL() assert_int_equal(sigbus_install(efd), 0)

static void test_guarded_copy_survives_sigbus(void **state)
{
	char path[] = "/tmp/mvr-sigbus-XXXXXX";
	uint8_t buf[64], *map;
	int fd = mkstemp(path);

	INSTALL();

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, 8192), 0);
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	memset(map, 0x5a, 16);
	assert_int_equal(guarded_memcpy(buf, map, 16), 0);
	assert_int_equal(buf[15], 0x5a);
	/* Shrink the file: the second page now raises SIGBUS (BUS_ADRERR). */
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(guarded_memcpy(buf, map + 4096, 16), -EIO);
	assert_int_equal(guarded_memcpy(map + 4096, buf, 16), -EIO);
	/* And the guard is disarmed again: a good copy still works. */
	assert_int_equal(guarded_memcpy(buf, map, 16), 0);
	munmap(map, 8192);
	close(fd);
}

static void test_ao_goes_to_ring(void **state)
{
	struct sigbus_event ev;
	uint64_t n, start, len;

	INSTALL();

	while (sigbus_ring_pop(&ev))
		;
	send_mce(BUS_MCEERR_AO, (void *)0x7f0000012345ULL, 12);
	send_mce(BUS_MCEERR_AO, (void *)0x7f0000345678ULL, 21);
	assert_int_equal(read(efd, &n, sizeof(n)), sizeof(n));
	assert_true(n >= 2);
	assert_int_equal(sigbus_ring_pop(&ev), 1);
	assert_int_equal(ev.code, BUS_MCEERR_AO);
	assert_int_equal(ev.addr, 0x7f0000012000ULL);
	assert_int_equal(ev.lsb, 12);
	assert_int_equal(sigbus_ring_pop(&ev), 1);
	/* A 2 MiB block is lost; the page named is kept, not the block's. */
	assert_int_equal(ev.addr, 0x7f0000345000ULL);
	assert_int_equal(ev.lsb, 21);
	sigbus_event_span(&ev, &start, &len);
	assert_int_equal(start, 0x7f0000200000ULL);
	assert_int_equal(len, 0x200000ULL);
	assert_int_equal(sigbus_ring_pop(&ev), 0);
	/* A bogus lsb (0, or below a page) counts as one 4 KiB page. */
	send_mce(BUS_MCEERR_AO, (void *)0x7f0000001234ULL, 0);
	send_mce(BUS_MCEERR_AO, (void *)0x7f0000001234ULL, 3);
	assert_int_equal(sigbus_ring_pop(&ev), 1);
	assert_int_equal(ev.lsb, 12);
	assert_int_equal(sigbus_ring_pop(&ev), 1);
	assert_int_equal(ev.lsb, 12);
	assert_int_equal(ev.addr, 0x7f0000001000ULL);
}

static void test_ring_overrun_counted(void **state)
{
	struct sigbus_event ev;
	uint64_t before = sigbus_ring_overruns(), n;
	int i, got = 0;

	INSTALL();

	for (i = 0; i < 300; i++)
		send_mce(BUS_MCEERR_AO, (void *)(uintptr_t)(0x10000ULL * (i + 1)), 12);
	while (sigbus_ring_pop(&ev))
		got++;
	assert_int_equal(got, 256);
	assert_int_equal(sigbus_ring_overruns() - before, 300 - 256);
	assert_int_equal(read(efd, &n, sizeof(n)), sizeof(n));
	/* Usable again after draining. */
	send_mce(BUS_MCEERR_AO, (void *)0x1000, 12);
	assert_int_equal(sigbus_ring_pop(&ev), 1);
}

static void test_ar_goes_to_vcpu_slot(void **state)
{
	struct sigbus_slot slot = { 0 };
	volatile int in_run = 1;

	INSTALL();

	sigbus_register_vcpu_thread(&slot, &in_run);
	send_mce(BUS_MCEERR_AR, (void *)0xffff00001fffULL, 12);
	assert_int_equal(slot.pending, 1);
	assert_int_equal(slot.ev.code, BUS_MCEERR_AR);
	assert_int_equal(slot.ev.addr, 0xffff00001000ULL);
	assert_true(slot.ev.when.tv_sec || slot.ev.when.tv_nsec);
	sigbus_register_vcpu_thread(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guarded_copy_survives_sigbus),
		cmocka_unit_test(test_ao_goes_to_ring),
		cmocka_unit_test(test_ring_overrun_counted),
		cmocka_unit_test(test_ar_goes_to_vcpu_slot),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
