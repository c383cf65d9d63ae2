/* JSON control socket (--api-socket PATH, DESIGN.md section 9): QMP as
 * QEMU's docs/interop/qmp-spec describes it, one JSON object per line,
 * served from the main event loop. On connect the server sends the greeting
 * {"QMP": {"version": ..., "capabilities": []}}; until the client runs
 * qmp_capabilities only that command is accepted (capabilities negotiation
 * mode). Then requests {"execute": CMD, "arguments": {...}, "id": ANY} get
 * one reply line, {"return": ...} or {"error": {"class": ..., "desc": ...}}
 * (+ "id"), and asynchronous events {"event": NAME, "data": {...},
 * "timestamp": {"seconds": S, "microseconds": U}} arrive between replies. */
#ifndef MVR_CONTROL_H
#define MVR_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/dev_stats.h"
#include "log.h"
#include "loop.h"
#include "ras/ras.h"

struct control;

/* inject_serror() 'esr' meaning "pend an SError without a syndrome". */
#define CONTROL_SERROR_NO_ESR UINT64_MAX

/* Most devices query-vm lists. */
#define CONTROL_MAX_DEVICES 32

/* One device of the board for query-vm, with its counters. */
struct control_device {
	const char *name;              /* model ("pl011", "virtio-blk") */
	uint64_t base, size;           /* MMIO window; size 0: none */
	int spi;                       /* SPI (INTID - 32), -1: none */
	struct dev_stats st;           /* queues and counters (may be empty) */
};

/* The VM as the control commands see it (control_cmds.c), and nothing more.
 * Filled by the VM's owner; every callback gets 'opaque' and runs on the
 * main thread. The three RAS callbacks are all NULL when RAS is absent. */
struct control_env {
	void *opaque;

	/* Facts fixed for the VM's lifetime. */
	unsigned ncpus;
	uint64_t ram_base, ram_size;
	bool firmware;                 /* booted through UEFI firmware */

	/* Inject a memory error at 'gpa' (page granular) on vCPU 'vcpu' (AR)
	 * or the asynchronous source (AO). Returns 0, -EINVAL (gpa or vcpu
	 * refused), -EPERM (MADV_HWPOISON refused) or another -errno. */
	int (*inject_memory_error)(void *opaque, uint64_t gpa, enum ras_inject_mode mode,
				   enum ras_kind kind, unsigned vcpu);
	/* Optional (NULL without RAS): post the complete CPER record rec
	 * (len bytes) on the error source of role 'kind' ('vcpu' for SEA,
	 * < ncpus), as ras_post_record(). Returns 0 written, 1 queued, or
	 * -errno (-EINVAL: the record was refused). */
	int (*post_error)(void *opaque, enum ras_source_kind kind, unsigned vcpu,
			  const uint8_t *rec, size_t len);
	/* Fill every field of *st. */
	void (*ras_stats)(void *opaque, struct ras_stats *st);
	/* Copy up to 'max' poisoned GPAs (sorted); return how many exist. */
	size_t (*ras_poisoned)(void *opaque, uint64_t *out, size_t max);

	/* Make an SError pending on vCPU 'vcpu' (< ncpus), with syndrome ISS
	 * 'esr' (bits [24:0]) or CONTROL_SERROR_NO_ESR for none. Returns 0,
	 * -ENOTSUP when a syndrome is given and KVM cannot set one
	 * (no KVM_CAP_ARM_INJECT_SERROR_ESR), or another -errno. */
	int (*inject_serror)(void *opaque, unsigned vcpu, uint64_t esr);

	/* Snapshots of state that changes while the VM runs. */
	bool (*running)(void *opaque);             /* no stop requested yet */
	/* Optional: the vCPUs are stopped after a guest panic (--on-panic
	 * pause); query-vm then says "paused". */
	bool (*paused)(void *opaque);
	unsigned (*boots)(void *opaque);           /* guest starts so far */
	uint64_t (*hw_errors_gpa)(void *opaque);   /* etc/hardware_errors, 0: none */
	/* Exit counters of vCPU 'vcpu' (< ncpus). */
	void (*vcpu_exits)(void *opaque, unsigned vcpu, uint64_t *exits,
			   uint64_t *mmio_exits);
	/* Optional: the board's devices in guest-visible order; fills
	 * out[0 .. min(n, max)) and returns n, how many there are. */
	size_t (*devices)(void *opaque, struct control_device *out, size_t max);

	/* Ask the VM to stop (as SIGTERM would); called after the reply to
	 * 'quit' was sent. */
	void (*request_stop)(void *opaque);
	/* Optional: reboot the guest now (system_reset), after the reply. */
	void (*request_reset)(void *opaque);
	/* Optional: press the guest's power button (system_powerdown).
	 * Returns 0, or -ENODEV when the guest has none (no ACPI). */
	int (*request_powerdown)(void *opaque);
};

/* Asynchronous events (QMP events, QEMU's qapi/run-state.json names and
 * members where QEMU has the event). */
enum control_event_type {
	CONTROL_EV_SHUTDOWN,        /* the VM stops (guest, reason) */
	CONTROL_EV_RESET,           /* the guest is rebooted (guest, reason) */
	CONTROL_EV_POWERDOWN,       /* the power button was pressed */
	CONTROL_EV_GUEST_PANICKED,  /* pvpanic (action) */
	CONTROL_EV_MEMORY_FAILURE,  /* a memory error was handled */
	CONTROL_EV_RAS_QUEUE_FULL,  /* ours: a GHES record was dropped */
	CONTROL_EV_COUNT,
};

/* One event. Strings must be static (string literals): the event is copied
 * between threads and formatted later on the main thread. */
struct control_event {
	enum control_event_type type;
	/* CLOCK_REALTIME when it happened; control_post_event() fills it in
	 * when both are 0. */
	int64_t ts_sec, ts_usec;
	union {
		/* SHUTDOWN, RESET: QEMU's ShutdownCause ("guest-shutdown",
		 * "guest-reset", "guest-panic", "host-qmp-quit",
		 * "host-qmp-system-reset", "host-signal", "host-error"), and
		 * whether the guest asked for it. */
		struct {
			bool guest;
			const char *reason;
		} stop;
		/* GUEST_PANICKED: what the VMM does now, "pause" or "poweroff". */
		struct {
			const char *action;
		} panic;
		/* MEMORY_FAILURE: QEMU's recipient ("hypervisor", "guest"),
		 * action ("ignore", "inject", "fatal"), flags; then ours: the
		 * guest page, how the error was found ("sigbus", "scan", "io",
		 * "inject") and what was done ("sea", "interrupt", "queued",
		 * "dropped", "none"). */
		struct {
			const char *recipient;
			const char *action;
			bool action_required, recursive;
			bool has_address;
			uint64_t address;
			const char *found;
			const char *delivery;
			int vcpu;               /* -1: none (asynchronous) */
		} mf;
		/* RAS_QUEUE_FULL: error source, the dropped record's page and
		 * how many records wait for the guest's acknowledgement. */
		struct {
			unsigned source;
			uint64_t address;
			unsigned queued;
		} qfull;
	};
};

/* The QMP name of an event type ("SHUTDOWN"), or NULL. */
const char *control_event_name(enum control_event_type type);

/* How the server watches its sockets: the main event loop's
 * loop_add_fd()/loop_remove_fd() with 'opaque' as the loop. */
struct control_watch {
	void *opaque;
	/* Returns 0 or -errno; 'cb' then runs whenever 'fd' is readable. */
	int (*add)(void *opaque, int fd, loop_cb_t cb, void *cb_opaque);
	/* No callback runs for 'fd' afterwards. */
	void (*remove)(void *opaque, int fd);
};

#ifdef CONFIG_CONTROL_API

/* Listen on a UNIX stream socket at 'path' (mode 0600) and serve commands
 * against 'env' (copied) from the sockets 'watch' (copied) reports readable.
 * An existing socket at 'path' is replaced; any other existing file is
 * refused. Returns NULL after one pr_err() line. Main thread only. */
struct control *control_create(const struct control_env *env,
			       const struct control_watch *watch, const char *path);

/* run --check: could control_create() listen at 'path'? Its length fits
 * sun_path, its directory exists and is writable, nothing but a stale
 * socket is there. Changes nothing. Returns 0, or -errno after one
 * pr_err() line. */
int control_check_path(const char *path);

/* Disconnect all clients, stop listening and unlink the socket. Events
 * posted and not yet sent are formatted and sent first, as far as each
 * client's socket takes them without waiting. Must run before the event
 * loop is destroyed. NULL is a no-op. Main thread only. */
void control_destroy(struct control *c);

/* Send 'ev' to every client in command mode. Any thread, never blocks on a
 * client: the event goes into a bounded ring the main loop drains (full:
 * dropped and counted), then into each client's bounded output queue (a
 * client that does not read: dropped for it and counted). NULL 'c' is a
 * no-op. */
void control_post_event(struct control *c, const struct control_event *ev);

/* Events dropped so far: ring overflow plus every client's. */
uint64_t control_events_dropped(struct control *c);

/* Idle limits in milliseconds (0: none): a client must complete
 * qmp_capabilities within 'handshake_ms' of connecting, and a request line
 * within 'line_ms' of its first byte; else it gets one error line and is
 * closed. A client in command mode with no incomplete line (one waiting
 * for events) is never timed out. Defaults: 30000 and 10000. Main thread. */
void control_set_timeouts(struct control *c, unsigned handshake_ms, unsigned line_ms);

#else

static inline struct control *control_create(const struct control_env *env,
					     const struct control_watch *watch,
					     const char *path)
{
	pr_err("--api-socket: this build has no control socket (CONFIG_CONTROL_API)");
	return NULL;
}

static inline int control_check_path(const char *path)
{
	pr_err("--api-socket: this build has no control socket (CONFIG_CONTROL_API)");
	return -ENOTSUP;
}

static inline void control_destroy(struct control *c)
{
}

static inline void control_post_event(struct control *c, const struct control_event *ev)
{
}

static inline uint64_t control_events_dropped(struct control *c)
{
	return 0;
}

static inline void control_set_timeouts(struct control *c, unsigned handshake_ms,
					unsigned line_ms)
{
}

#endif

#endif
