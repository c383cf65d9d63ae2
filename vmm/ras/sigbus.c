/* SIGBUS recording. Signal dispositions are per process, so the handler's
 * ring and wake fd are process state, not per-VM state: there is one VMM
 * per process. Everything in the handler is async-signal-safe (atomics,
 * clock_gettime, write, _exit). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "ras/sigbus.h"

#define RING_SIZE 256 /* power of two */

struct ring_entry {
	volatile int ready;
	struct sigbus_event ev;
};

static struct ring_entry ring[RING_SIZE];
static unsigned ring_head;  /* next slot producers claim (atomic) */
static unsigned ring_tail;  /* next slot the consumer reads */
static uint64_t ring_overruns;
static int ring_wake_fd = -1;

static __thread struct sigbus_slot *tls_slot;
static __thread volatile int *tls_in_run;

/* Format "0x<hex>" into buf without stdio. */
static size_t fmt_hex(char *buf, uint64_t v)
{
	char tmp[16];
	size_t n = 0, i;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < n; i++)
		buf[2 + i] = tmp[n - 1 - i];
	return n + 2;
}

static void put(char *line, size_t *len, const char *s)
{
	size_t n = strlen(s);

	memcpy(line + *len, s, n);
	*len += n;
}

static void __attribute__((noreturn)) sigbus_fatal(const siginfo_t *si, const char *why)
{
	char line[256];
	size_t len = 0;

	put(line, &len, "microvm-ras: error: SIGBUS (si_code ");
	len += fmt_hex(line + len, (uint64_t)(unsigned)si->si_code);
	put(line, &len, ") at host address ");
	len += fmt_hex(line + len, (uint64_t)(uintptr_t)si->si_addr);
	put(line, &len, ": ");
	put(line, &len, why);
	put(line, &len, "; exiting\n");
	if (write(STDERR_FILENO, line, len) < 0)
		_exit(1);
	_exit(1);
}

static void ring_push(const struct sigbus_event *ev)
{
	unsigned head = __atomic_load_n(&ring_head, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	/* Claim a slot only while the ring has room (multi-producer CAS). */
	for (;;) {
		if (head - __atomic_load_n(&ring_tail, __ATOMIC_ACQUIRE) >= RING_SIZE) {
			__atomic_add_fetch(&ring_overruns, 1, __ATOMIC_RELAXED);
			goto wake;
		}
		if (__atomic_compare_exchange_n(&ring_head, &head, head + 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	ring[head & (RING_SIZE - 1)].ev = *ev;
	__atomic_store_n(&ring[head & (RING_SIZE - 1)].ready, 1, __ATOMIC_RELEASE);
wake:
	if (ring_wake_fd >= 0 && write(ring_wake_fd, &one, sizeof(one)) < 0) {
		/* eventfd counter saturated: the loop is awake anyway */
	}
}

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	struct sigbus_event ev;
	int saved_errno = errno;

	(void)sig;
	(void)uc;
	/* An AO does not stop the thread: record it and carry on, even in the
	 * middle of a guarded copy. Anything else that hits a guarded copy of
	 * guest RAM fails that copy only. */
	if (si->si_code != BUS_MCEERR_AO)
		guard_sigbus_recover();
	if (si->si_code != BUS_MCEERR_AR && si->si_code != BUS_MCEERR_AO)
		sigbus_fatal(si, "not a memory error");
	ev.code = si->si_code;
	/* Keep the page named, not only the block: a 2 MiB huge page is
	 * reported once per guest page touched, each by its own address. */
	ev.lsb = si->si_addr_lsb >= 12 && si->si_addr_lsb < 64 ? si->si_addr_lsb : 12;
	ev.addr = (uint64_t)(uintptr_t)si->si_addr & ~0xfffULL;
	clock_gettime(CLOCK_MONOTONIC, &ev.when);

	if (si->si_code == BUS_MCEERR_AO) {
		ring_push(&ev);
	} else if (tls_slot && tls_in_run && *tls_in_run) {
		tls_slot->ev = ev;
		__atomic_store_n(&tls_slot->pending, 1, __ATOMIC_RELEASE);
	} else {
		sigbus_fatal(si, "memory error (action required) in VMM code outside a guarded copy");
	}
	errno = saved_errno;
}

int sigbus_install(int wake_fd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigbus_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	ring_wake_fd = wake_fd;
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	return 0;
}

void sigbus_register_vcpu_thread(struct sigbus_slot *slot, volatile int *in_run)
{
	tls_slot = slot;
	tls_in_run = in_run;
}

int sigbus_ring_pop(struct sigbus_event *ev)
{
	struct ring_entry *e = &ring[ring_tail & (RING_SIZE - 1)];

	if (!__atomic_load_n(&e->ready, __ATOMIC_ACQUIRE))
		return 0;
	*ev = e->ev;
	__atomic_store_n(&e->ready, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&ring_tail, 1, __ATOMIC_ACQ_REL);
	return 1;
}

uint64_t sigbus_ring_overruns(void)
{
	return __atomic_load_n(&ring_overruns, __ATOMIC_RELAXED);
}
