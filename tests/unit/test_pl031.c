/* Unit tests for the PL031 RTC model (vmm/devices/pl031.c): the data
 * register counts host seconds from the last load, match/mask/raw/masked
 * status and clear with the line level seen by an irq recorder, PrimeCell
 * IDs read bytewise (as edk2 does), and hostile accesses. Register facts are
 * from ARM DDI0224 (PL031 TRM). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "bus.h"
#include "devices/pl031.h"
#include "irq_recorder.h"
#include "mmio_access.h"
#include "util.h"

#define DR   0x00
#define MR   0x04
#define LR   0x08
#define CR   0x0c
#define IMSC 0x10
#define RIS  0x14
#define MIS  0x18
#define ICR  0x1c

#define TEST_SPI 2

struct ctx {
	struct pl031 *r;
	struct irq_recorder rec;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->r = pl031_create(irq_recorder_line(&c->rec, TEST_SPI));
	if (!c->r)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	pl031_destroy(c->r);
	free(c);
	return 0;
}

static uint32_t rd(struct ctx *c, uint64_t off)
{
	return mmio_rd32(&pl031_bus_ops, c->r, off);
}

static void wr(struct ctx *c, uint64_t off, uint32_t v)
{
	mmio_wr32(&pl031_bus_ops, c->r, off, v);
}

static uint32_t host_seconds(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (uint32_t)ts.tv_sec;
}

/* PeriphID0..3 = part 0x031, designer 0x41 (ARM), revision 1; PCellID0..3
 * = 0xB105F00D. edk2's PL031 library reads each ID register with a byte
 * load, so 1-byte accesses on the bus must return the value too. */
static void test_ids_bytewise(void **state)
{
	struct ctx *c = *state;
	static const uint8_t id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	struct bus *b = bus_create();
	uint8_t data[8];
	unsigned i, size;

	assert_non_null(b);
	assert_int_equal(bus_register(b, 0x9010000, 0x1000, &pl031_bus_ops, c->r), 0);
	for (i = 0; i < 8; i++) {
		for (size = 1; size <= 4; size *= 2) {
			memset(data, 0xaa, sizeof(data));
			assert_int_equal(bus_access(b, 0x9010fe0 + 4 * i, data, size, false), 0);
			assert_int_equal(data[0], id[i]);
			if (size > 1)
				assert_int_equal(data[1], 0);
		}
	}
	/* 8-byte accesses are not declared: refused, read as zero. */
	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x9010fe0, data, 8, false), -EINVAL);
	assert_int_equal(get_le64(data), 0);
	/* Unaligned ID offsets are not registers. */
	memset(data, 0xaa, sizeof(data));
	assert_int_equal(bus_access(b, 0x9010fe1, data, 1, false), -EINVAL);
	assert_int_equal(data[0], 0);
	bus_destroy(b);
}

/* Out of reset the counter runs (CR.RTCStart reads 1) at host wall-clock
 * seconds; the control register cannot stop it. */
static void test_data_register_is_host_time(void **state)
{
	struct ctx *c = *state;
	uint32_t before, dr, after;

	before = host_seconds();
	dr = rd(c, DR);
	after = host_seconds();
	assert_in_range(dr, before, after);
	assert_int_equal(rd(c, CR), 1);
	wr(c, CR, 0);
	assert_int_equal(rd(c, CR), 1);
	assert_int_equal(rd(c, IMSC), 0);
	assert_int_equal(rd(c, RIS), 0);
	assert_int_equal(rd(c, MIS), 0);
	assert_int_equal(rd(c, MR), 0);
}

/* A write to the load register sets the counter, which then keeps
 * counting up once a second from the loaded value. */
static void test_load_and_count(void **state)
{
	struct ctx *c = *state;
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	uint32_t dr = 0;
	unsigned i;

	wr(c, LR, 1000);
	assert_in_range(rd(c, DR), 1000, 1001);
	/* Wait (at most 3 s) for the next second. */
	for (i = 0; i < 60; i++) {
		dr = rd(c, DR);
		if (dr != 1000)
			break;
		nanosleep(&nap, NULL);
	}
	assert_int_equal(dr, 1001);
	/* Loads take the full 32-bit value. */
	wr(c, LR, 0xfffffff0);
	assert_in_range(rd(c, DR), 0xfffffff0, 0xfffffff2);
	wr(c, LR, 0);
	assert_in_range(rd(c, DR), 0, 2);
}

/* The match register holds any 32-bit value; IMSC has one bit. */
static void test_match_and_mask_registers(void **state)
{
	struct ctx *c = *state;

	wr(c, LR, 100);
	wr(c, MR, 0xdeadbeef);
	assert_int_equal(rd(c, MR), 0xdeadbeef);
	wr(c, IMSC, 0xffffffff);
	assert_int_equal(rd(c, IMSC), 1);
	wr(c, IMSC, 2);
	assert_int_equal(rd(c, IMSC), 0);
	/* The match is far in the future: nothing pending. */
	assert_int_equal(rd(c, RIS), 0);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
}

/* When the counter reaches the match value RTCRIS is set; RTCMIS and the
 * line follow RIS & IMSC; ICR clears the raw status. */
static void test_match_interrupt(void **state)
{
	struct ctx *c = *state;

	wr(c, LR, 1000);
	wr(c, MR, 5000);
	wr(c, IMSC, 1);
	assert_int_equal(rd(c, RIS), 0);
	assert_int_equal(rd(c, MIS), 0);
	assert_int_equal(irq_recorder_level(&c->rec), 0);

	/* Loading a time past the match raises the interrupt. */
	wr(c, LR, 5000);
	assert_int_equal(rd(c, RIS), 1);
	assert_int_equal(rd(c, MIS), 1);
	assert_int_equal(irq_recorder_level(&c->rec), 1);
	assert_true(c->rec.n > 0);
	assert_int_equal(c->rec.ev[c->rec.n - 1].spi, TEST_SPI);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 1);

	/* Masking lowers the line; the raw status stays. */
	wr(c, IMSC, 0);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
	assert_int_equal(rd(c, RIS), 1);
	assert_int_equal(rd(c, MIS), 0);

	/* Clearing the raw status, then unmasking: nothing pending. */
	wr(c, ICR, 1);
	assert_int_equal(rd(c, RIS), 0);
	wr(c, MR, 9000);
	wr(c, IMSC, 1);
	assert_int_equal(rd(c, RIS), 0);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 1);

	/* Moving the match to a time already passed raises it again. */
	wr(c, MR, 4000);
	assert_int_equal(rd(c, MIS), 1);
	assert_int_equal(irq_recorder_level(&c->rec), 1);
	assert_int_equal(irq_recorder_rises(&c->rec, TEST_SPI), 2);
}

/* Read-only, write-only and undefined offsets are refused without
 * changing the device. */
static void test_bad_offsets(void **state)
{
	struct ctx *c = *state;
	static const uint64_t bad_read[] = {
		ICR, 0x20, 0x100, 0xfdc, 0xfe2, 0x1000, 0xffffffffffffffffULL,
	};
	static const uint64_t bad_write[] = {
		DR, RIS, MIS, 0x20, 0xfe0, 0xffc, 0x1000, 0xffffffffffffffffULL,
	};
	uint32_t before, dr, after;
	uint64_t v;
	unsigned i;

	wr(c, MR, 77);
	for (i = 0; i < ARRAY_SIZE(bad_read); i++)
		assert_int_equal(pl031_bus_ops.read(c->r, bad_read[i], 4, &v), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(bad_write); i++)
		assert_int_equal(pl031_bus_ops.write(c->r, bad_write[i], 4, 0xffffffff), -EINVAL);
	assert_int_equal(rd(c, MR), 77);
	assert_int_equal(rd(c, IMSC), 0);
	assert_int_equal(rd(c, RIS), 0);
	before = host_seconds();
	dr = rd(c, DR);
	after = host_seconds();
	assert_in_range(dr, before, after);
	assert_int_equal(irq_recorder_level(&c->rec), 0);
	pl031_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_bytewise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_register_is_host_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_and_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_and_mask_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_offsets, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
