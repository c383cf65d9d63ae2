/* Unit tests for the pvpanic MMIO device (vmm/devices/pvpanic.c) through
 * the MMIO bus: the register reads the supported events, byte accesses
 * only, each event bit written reaches the guest_event hook once, unknown
 * bits and the reserved byte are ignored, and the class creates its state
 * from dev_env. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/memmap.h"
#include "bus.h"
#include "devices/device.h"
#include "devices/pvpanic.h"

#define BASE MEMMAP_PVPANIC_BASE

/* What the hook saw, in order. */
struct events {
	int ev[8];
	unsigned n;
};

static void record_event(void *opaque, int event)
{
	struct events *e = opaque;

	assert_true(e->n < 8);
	e->ev[e->n++] = event;
}

struct fixture {
	struct bus *bus;
	struct pvpanic *p;
	struct events e;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->p = pvpanic_create(record_event, &f->e);
	f->bus = bus_create();
	assert_non_null(f->p);
	assert_non_null(f->bus);
	assert_int_equal(bus_register(f->bus, BASE, MEMMAP_PVPANIC_SIZE, &pvpanic_bus_ops, f->p), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bus_destroy(f->bus);
	pvpanic_destroy(f->p);
	free(f);
	return 0;
}

static uint8_t rd8(struct fixture *f, uint64_t gpa)
{
	uint8_t v = 0xee;

	assert_int_equal(bus_access(f->bus, gpa, &v, 1, false), 0);
	return v;
}

static void wr8(struct fixture *f, uint64_t gpa, uint8_t v)
{
	assert_int_equal(bus_access(f->bus, gpa, &v, 1, true), 0);
}

static void test_read_events(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(MEMMAP_PVPANIC_SIZE, 2);
	/* PANICKED | CRASH_LOADED, the bits Linux checks at probe. */
	assert_int_equal(rd8(f, BASE), 0x03);
	assert_int_equal(rd8(f, BASE), 0x03);	/* reading has no side effect */
	assert_int_equal(rd8(f, BASE + 1), 0);
	assert_int_equal(f->e.n, 0);
}

static void test_byte_access_only(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4] = { 1, 1, 1, 1 };

	assert_int_not_equal(bus_access(f->bus, BASE, buf, 2, true), 0);
	assert_int_not_equal(bus_access(f->bus, BASE, buf, 4, false), 0);
	/* Past the 2-byte window: no device there. */
	assert_int_equal(bus_access(f->bus, BASE + 2, buf, 1, true), -ENODEV);
	assert_int_equal(f->e.n, 0);
}

static void test_write_panicked(void **state)
{
	struct fixture *f = *state;

	wr8(f, BASE, PVPANIC_PANICKED);
	assert_int_equal(f->e.n, 1);
	assert_int_equal(f->e.ev[0], DEV_GUEST_PANICKED);
	wr8(f, BASE, PVPANIC_CRASH_LOADED);
	assert_int_equal(f->e.n, 2);
	assert_int_equal(f->e.ev[1], DEV_GUEST_CRASH_LOADED);
	/* Both bits: both events, PANICKED first. */
	wr8(f, BASE, PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
	assert_int_equal(f->e.n, 4);
	assert_int_equal(f->e.ev[2], DEV_GUEST_PANICKED);
	assert_int_equal(f->e.ev[3], DEV_GUEST_CRASH_LOADED);
}

static void test_write_ignored(void **state)
{
	struct fixture *f = *state;

	/* 0, unknown bits (bit 2 is a newer spec's SHUTDOWN), the reserved byte. */
	wr8(f, BASE, 0);
	wr8(f, BASE, 0xfc);
	wr8(f, BASE + 1, PVPANIC_PANICKED);
	assert_int_equal(f->e.n, 0);
	/* Unknown bits next to a known one: the known one counts. */
	wr8(f, BASE, 0x80 | PVPANIC_PANICKED);
	assert_int_equal(f->e.n, 1);
	assert_int_equal(f->e.ev[0], DEV_GUEST_PANICKED);
}

/* No hook (a VM that does not listen): writes are accepted and dropped. */
static void test_no_hook(void **state)
{
	struct pvpanic *p = pvpanic_create(NULL, NULL);
	uint64_t v = 0;

	assert_non_null(p);
	assert_int_equal(pvpanic_bus_ops.write(p, 0, 1, PVPANIC_PANICKED), 0);
	assert_int_equal(pvpanic_bus_ops.read(p, 0, 1, &v), 0);
	assert_int_equal(v, PVPANIC_EVENTS);
	pvpanic_destroy(p);
}

/* The class: create() takes the hook from dev_env; stats count events. */
static void test_class_create_stats(void **state)
{
	struct events e = { .n = 0 };
	const struct dev_env env = { .guest_event = record_event, .event_opaque = &e };
	struct devlist l;
	struct dev_stats st;

	devlist_init(&l);
	assert_int_equal(devlist_add(&l, &pvpanic_class, BASE, MEMMAP_PVPANIC_SIZE, -1), 0);
	assert_int_equal(devlist_create(&l, &env), 0);
	assert_non_null(l.dev[0].opaque);
	assert_int_equal(pvpanic_bus_ops.write(l.dev[0].opaque, 0, 1, PVPANIC_PANICKED), 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.ev[0], DEV_GUEST_PANICKED);
	memset(&st, 0, sizeof(st));
	pvpanic_class.stats(&l.dev[0], &st);
	assert_int_equal(st.ncounters, 2);
	assert_string_equal(st.c[0].name, "panicked");
	assert_int_equal(st.c[0].value, 1);
	assert_string_equal(st.c[1].name, "crash-loaded");
	assert_int_equal(st.c[1].value, 0);
	devlist_destroy(&l);
	assert_null(l.dev[0].opaque);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_access_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_panicked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_ignored, setup, teardown),
		cmocka_unit_test(test_no_hook),
		cmocka_unit_test(test_class_create_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
