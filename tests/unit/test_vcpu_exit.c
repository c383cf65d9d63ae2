/* Unit tests for vmm/vcpu_exit.c: the KVM exit table driven with a
 * hand-filled struct kvm_run, MMIO through a real bus to a fake device,
 * system events to stop actions, NISV with and without the capability. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"
#include "util.h"
#include "vcpu_exit.h"

#define DEV_BASE 0x09000000ULL
#define DEV_SIZE 0x1000ULL

/* A device that answers reads with 0x11223344 + offset and logs writes. */
struct fake_dev {
	unsigned reads, writes;
	uint64_t last_off, last_val;
	unsigned last_size;
};

static int fake_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
	struct fake_dev *d = opaque;

	d->reads++;
	d->last_off = off;
	d->last_size = size;
	*val = 0x11223344ULL + off;
	return 0;
}

static int fake_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct fake_dev *d = opaque;

	d->writes++;
	d->last_off = off;
	d->last_size = size;
	d->last_val = val;
	return 0;
}

static const struct bus_dev_ops fake_ops = {
	.name = "fake",
	.sizes = BUS_SIZE_1 | BUS_SIZE_2 | BUS_SIZE_4,
	.read = fake_read,
	.write = fake_write,
};

struct fixture {
	struct bus *bus;
	struct fake_dev dev;
	struct vcpu_exit_deps deps;
	struct kvm_run run;
	unsigned dabt_calls;
	int dabt_ret;
};

static int fake_inject_dabt(void *opaque)
{
	struct fixture *fx = opaque;

	fx->dabt_calls++;
	return fx->dabt_ret;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->bus = bus_create();
	if (!fx->bus || bus_register(fx->bus, DEV_BASE, DEV_SIZE, &fake_ops, &fx->dev)) {
		bus_destroy(fx->bus);
		free(fx);
		return -1;
	}
	fx->deps.index = 1;
	fx->deps.bus = fx->bus;
	fx->deps.inject_ext_dabt = fake_inject_dabt;
	fx->deps.opaque = fx;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	bus_destroy(fx->bus);
	free(fx);
	return 0;
}

static void set_mmio(struct kvm_run *run, uint64_t addr, unsigned len, int is_write)
{
	memset(run, 0, sizeof(*run));
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = addr;
	run->mmio.len = len;
	run->mmio.is_write = (uint8_t)is_write;
}

static void test_mmio_read_reaches_device(void **state)
{
	struct fixture *fx = *state;

	set_mmio(&fx->run, DEV_BASE + 0x10, 4, 0);
	memset(fx->run.mmio.data, 0xee, sizeof(fx->run.mmio.data));
	assert_int_equal(vcpu_exit_dispatch(&fx->deps, &fx->run), VCPU_EXIT_CONTINUE);
	assert_int_equal(fx->dev.reads, 1);
	assert_int_equal(fx->dev.writes, 0);
	assert_int_equal(fx->dev.last_off, 0x10);
	assert_int_equal(fx->dev.last_size, 4);
	/* Little-endian bytes of 0x11223354 back in the kvm_run data. */
	assert_int_equal(get_le32(fx->run.mmio.data), 0x11223354);
}

static void test_mmio_write_reaches_device(void **state)
{
	struct fixture *fx = *state;

	set_mmio(&fx->run, DEV_BASE + 0x20, 2, 1);
	fx->run.mmio.data[0] = 0xaa;
	fx->run.mmio.data[1] = 0xbb;
	fx->run.mmio.data[2] = 0xcc; /* beyond the access: ignored */
	assert_int_equal(vcpu_exit_dispatch(&fx->deps, &fx->run), VCPU_EXIT_CONTINUE);
	assert_int_equal(fx->dev.writes, 1);
	assert_int_equal(fx->dev.reads, 0);
	assert_int_equal(fx->dev.last_off, 0x20);
	assert_int_equal(fx->dev.last_size, 2);
	assert_int_equal(fx->dev.last_val, 0xbbaa);
}

static void test_mmio_unclaimed_reads_zero(void **state)
{
	struct fixture *fx = *state;

	set_mmio(&fx->run, 0x0a000000ULL, 4, 0);
	memset(fx->run.mmio.data, 0xee, sizeof(fx->run.mmio.data));
	assert_int_equal(vcpu_exit_dispatch(&fx->deps, &fx->run), VCPU_EXIT_CONTINUE);
	assert_int_equal(fx->dev.reads, 0);
	assert_int_equal(get_le32(fx->run.mmio.data), 0);
	assert_int_equal(fx->bus->unhandled, 1);
}

static enum vcpu_exit_action system_event(struct fixture *fx, uint32_t type)
{
	memset(&fx->run, 0, sizeof(fx->run));
	fx->run.exit_reason = KVM_EXIT_SYSTEM_EVENT;
	fx->run.system_event.type = type;
	return vcpu_exit_dispatch(&fx->deps, &fx->run);
}

static void test_system_events(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(system_event(fx, KVM_SYSTEM_EVENT_SHUTDOWN), VCPU_EXIT_STOP_SHUTDOWN);
	assert_int_equal(system_event(fx, KVM_SYSTEM_EVENT_RESET), VCPU_EXIT_STOP_RESET);
	assert_int_equal(system_event(fx, KVM_SYSTEM_EVENT_CRASH), VCPU_EXIT_STOP_ERROR);
}

static enum vcpu_exit_action plain_exit(struct fixture *fx, uint32_t reason)
{
	memset(&fx->run, 0, sizeof(fx->run));
	fx->run.exit_reason = reason;
	return vcpu_exit_dispatch(&fx->deps, &fx->run);
}

static void test_unknown_and_failure_exits_stop(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(plain_exit(fx, KVM_EXIT_HLT), VCPU_EXIT_STOP_ERROR);   /* no handler */
	assert_int_equal(plain_exit(fx, 100000), VCPU_EXIT_STOP_ERROR);         /* past the table */
	assert_int_equal(plain_exit(fx, KVM_EXIT_FAIL_ENTRY), VCPU_EXIT_STOP_ERROR);
	assert_int_equal(plain_exit(fx, KVM_EXIT_INTERNAL_ERROR), VCPU_EXIT_STOP_ERROR);
	assert_int_equal(plain_exit(fx, KVM_EXIT_INTR), VCPU_EXIT_CONTINUE);
	assert_int_equal(fx->dev.reads + fx->dev.writes, 0);
	assert_int_equal(fx->dabt_calls, 0);
}

static enum vcpu_exit_action nisv_exit(struct fixture *fx)
{
	memset(&fx->run, 0, sizeof(fx->run));
	fx->run.exit_reason = KVM_EXIT_ARM_NISV;
	fx->run.arm_nisv.fault_ipa = DEV_BASE + 8;
	return vcpu_exit_dispatch(&fx->deps, &fx->run);
}

static void test_nisv_without_cap_stops(void **state)
{
	struct fixture *fx = *state;

	fx->deps.can_inject_ext_dabt = false;
	assert_int_equal(nisv_exit(fx), VCPU_EXIT_STOP_ERROR);
	assert_int_equal(fx->dabt_calls, 0);
	assert_int_equal(fx->dev.reads + fx->dev.writes, 0);
}

static void test_nisv_with_cap_injects_abort(void **state)
{
	struct fixture *fx = *state;

	fx->deps.can_inject_ext_dabt = true;
	assert_int_equal(nisv_exit(fx), VCPU_EXIT_CONTINUE);
	assert_int_equal(fx->dabt_calls, 1);
	assert_int_equal(fx->dev.reads + fx->dev.writes, 0);
	/* The injection itself failing stops the VM. */
	fx->dabt_ret = -EINVAL;
	assert_int_equal(nisv_exit(fx), VCPU_EXIT_STOP_ERROR);
	assert_int_equal(fx->dabt_calls, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmio_read_reaches_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_write_reaches_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_unclaimed_reads_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_failure_exits_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nisv_without_cap_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nisv_with_cap_injects_abort, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
