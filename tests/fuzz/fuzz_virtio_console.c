/* Fuzz target: the virtio-console device (vmm/virtio/console.c) through
 * its dev_class and the virtio-mmio transport, with a non-blocking pipe of
 * one page as the console fd and the fake event loop of fuzz_vdev.h. The
 * guest probes, writes receive and transmit chains (direct, indirect,
 * pointing anywhere), publishes, notifies (transmit is served right there,
 * as on the vCPU thread), acks, resets; the host types input (as far as
 * input_room says), drains the pipe or closes it; pages get poisoned.
 * Invariants besides fuzz_vdev.h's: input taken never exceeds the room
 * reported; every input byte taken is delivered (rx-bytes) or pending,
 * except across a reset; every output byte copied from the guest
 * (tx-bytes) was read by the host, is in the pipe or is pending while the
 * pipe is open (afterwards the difference is counted as dropped); the
 * pending counts stay within the rings. */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_virtio.h"
#include "fuzz_vdev.h"

#include "virtio/console.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_quiet();
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

struct con_counts {
	uint64_t rx, tx, in_pending, out_pending, dropped;
};

static struct con_counts counts(struct fzd *d)
{
	return (struct con_counts){
		.rx = fzd_counter(d, "rx-bytes"), .tx = fzd_counter(d, "tx-bytes"),
		.in_pending = fzd_counter(d, "input-pending"),
		.out_pending = fzd_counter(d, "output-pending"),
		.dropped = fzd_counter(d, "dropped"),
	};
}

/* The host reads what is in the pipe. */
static uint64_t host_drain(int fd)
{
	uint8_t buf[4096];
	uint64_t got = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += (uint64_t)n;
	return got;
}

/* Bytes written to the pipe and not read yet. */
static uint64_t in_pipe(int fd)
{
	int n = 0;

	if (fd < 0)
		return 0;
	FZ_CHECK(ioctl(fd, FIONREAD, &n) == 0 && n >= 0);
	return (uint64_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct con_counts c0, c;
	uint64_t taken = 0, got = 0;
	bool closed = false;
	struct dev_env env;
	struct fzd d;
	unsigned steps = 0;
	int pfd[2];

	fzd_init(&d, &env, &virtio_console_class, NULL);
	FZ_CHECK(pipe2(pfd, O_NONBLOCK | O_CLOEXEC) == 0);
	/* One page: the console fills up quickly. */
	fcntl(pfd[1], F_SETPIPE_SZ, 4096);
	env.console_fd = pfd[1];
	FZ_CHECK(d.dev.cls->create(&d.dev, &env) == 0);
	fzd_register(&d);
	c0 = counts(&d);

	while (fz_more(&f) && steps++ < 256) {
		uint8_t op = fz_u8(&f), buf[2048];
		size_t room, len, n;
		uint64_t m0 = fzd_counter(&d, "malformed");
		bool reset = false;

		switch (op % 12) {
		case 0: case 1:
			fzd_ring_op(&f, &d, op >> 7, false, op & 0x40);
			break;
		case 2: case 3:
			fzd_ring_op(&f, &d, op >> 7, true, false);
			break;
		case 4: /* QueueNotify: transmit is served on the "vCPU" */
			fzd_wr(&d, VMIO_QUEUE_NOTIFY, op & 0x40 ? fz_u32(&f) : op >> 7);
			break;
		case 5:
			fzd_run_loop(&d, 1 + (op >> 6));
			break;
		case 6: /* console input */
			room = d.dev.cls->input_room(&d.dev);
			len = op & 0x80 ? fz_u16(&f) % sizeof(buf) : fz_u8(&f);
			fz_bytes(&f, buf, len);
			n = d.dev.cls->input(&d.dev, buf, len);
			FZ_CHECK(n <= len && n <= room);
			taken += n;
			break;
		case 7:
			if (op & 0x80 && !closed) {
				got += host_drain(pfd[0]);
				close(pfd[0]);
				pfd[0] = -1;
				closed = true;
			} else {
				got += host_drain(pfd[0]);
			}
			break;
		case 8:
			fzd_ack_or_reg_op(&f, &d, op);
			break;
		case 9:
			fzd_probe(&f, &d);
			break;
		case 10:
			if (op & 0x80)
				fz_ram_poke(&f, &d.ram);
			else
				fz_ram_poison(&f, &d.ram);
			break;
		case 11: /* VM reset */
			d.dev.cls->reset(&d.dev);
			d.status_zeroed = true;
			FZ_CHECK(fzd_rd(&d, VMIO_STATUS) == 0);
			break;
		}
		reset = d.status_zeroed;
		fzd_check_step(&d, m0);
		c = counts(&d);
		FZ_CHECK(c.in_pending <= VCON_IN_SIZE && c.out_pending <= VCON_OUT_SIZE);
		FZ_CHECK(c.rx >= c0.rx && c.tx >= c0.tx && c.dropped >= c0.dropped);
		/* Input: delivered or pending; a reset forgets the pending. */
		if (reset)
			FZ_CHECK(c.rx + c.in_pending <= c0.rx + c0.in_pending + taken);
		else
			FZ_CHECK(c.rx + c.in_pending == c0.rx + c0.in_pending + taken);
		taken = 0;
		/* Output: read by the host, in the pipe or pending; dropped
		 * once the pipe closed. */
		FZ_CHECK(got + in_pipe(pfd[0]) + c.out_pending <= c.tx);
		if (!closed)
			FZ_CHECK(got + in_pipe(pfd[0]) + c.out_pending == c.tx);
		else
			FZ_CHECK(c.tx - got - c.out_pending <= c.dropped);
		c0 = c;
	}

	fzd_fini(&d);	/* writes what the pipe takes */
	got += host_drain(pfd[0]);
	FZ_CHECK(got <= c0.tx);
	if (pfd[0] >= 0)
		close(pfd[0]);
	close(pfd[1]);
	return 0;
}
