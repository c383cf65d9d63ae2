/* Devices describe themselves (after kvmtool's per-device FDT generators and
 * Cloud Hypervisor's per-device AML): each device model exports one const
 * struct dev_class with its MMIO ops and optional device-tree and DSDT
 * writers. The platform's devices form one list (struct devlist, filled by
 * board.c from memmap.h's addresses and interrupts); the MMIO bus, the FDT
 * builder and the DSDT builder all walk that list. */
#ifndef MVR_DEVICE_H
#define MVR_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus_dev.h"
#include "devices/dev_stats.h"
#include "guest_mem.h"
#include "irq.h"
#include "loop.h"

struct acpi_buf;
struct chardev;
struct bus;
struct vm_config;
struct fdt_writer;
struct device;
struct devlist;
struct einj_ops;

/* What a device's create hook may use; filled once by vm_create. */
struct dev_env {
	const struct vm_config *cfg;	/* the parsed configuration */
	const struct guest_mem *gm;	/* checked, poison-safe guest RAM access */
	int console_fd;			/* where the virtio console writes (stdout) */
	struct chardev *serial;		/* where the console UART writes (--serial) */
	/* Watch an fd from the main event loop (loop.h semantics). */
	int (*watch_fd)(void *opaque, int fd, loop_cb_t cb, void *cb_opaque);
	void (*unwatch_fd)(void *opaque, int fd);
	void *loop_opaque;
	/* Drive SPI 'spi' to 'level' (the vGIC); see dev_irq_line(). */
	void (*irq_set)(void *opaque, unsigned spi, int level);
	void *irq_opaque;
	/* Optional, NULL without --ras: an I/O on the guest buffer [gpa,
	 * gpa + len) failed as a poisoned page makes it fail (EFAULT, EIO,
	 * EHWPOISON, a short transfer, a failed guarded copy). The RAS runtime
	 * checks the buffer's pages and tells the guest (GHES) about poisoned
	 * ones it does not know of. Main event-loop thread. Returns how many
	 * pages of the buffer are poisoned, or -errno. */
	int (*report_poison)(void *opaque, uint64_t gpa, uint64_t len);
	void *report_opaque;
	/* Optional (NULL: events are dropped): the guest told a device about
	 * itself (enum dev_guest_event), e.g. the pvpanic device a panic. The
	 * VM decides what that means (vm.c: stop, exit, pause); devices never
	 * see the VM. Called on the vCPU thread of the access. */
	void (*guest_event)(void *opaque, int event);
	void *event_opaque;
	/* Optional (NULL without --ras): what the EINJ device's injections do
	 * (devices/einj.h), with their opaque. */
	const struct einj_ops *einj_ops;
	void *einj_opaque;
};

/* What dev_env.guest_event reports. */
enum dev_guest_event {
	DEV_GUEST_PANICKED = 1,		/* the guest kernel panicked */
	DEV_GUEST_CRASH_LOADED,		/* it panicked; its crash kernel runs next */
};

struct dev_class {
	const char *name;		/* FDT node-name stem ("pl011") */
	/* Optional lifecycle. create() makes the instance state for 'd' and
	 * stores it in d->opaque (0 or -errno, after logging); destroy() frees
	 * it; reset() returns it to power-on state at every guest reset.
	 * Devices without create() get their state from devlist_attach(). */
	int (*create)(struct device *d, const struct dev_env *env);
	void (*destroy)(struct device *d);
	void (*reset)(struct device *d);
	/* MMIO handler for the window; NULL for a device without one (only
	 * described: a memslot-backed or interrupt-only device). */
	const struct bus_dev_ops *mmio;
	/* Optional: write the device's node(s) into the guest device tree.
	 * 'all' is the whole list (for devices described together). Returns 0
	 * or the writer's negative error. */
	int (*fdt)(const struct device *d, const struct devlist *all, struct fdt_writer *w);
	/* Optional: append the device's AML Device() objects, inside the
	 * DSDT's \_SB scope. Errors are the buffer's sticky error. */
	void (*dsdt)(const struct device *d, struct acpi_buf *b);
	/* Optional, for a device that can take the VMM's console input
	 * (devlist_input): how many bytes input() would take now, and queue
	 * up to 'len' bytes, returning how many were taken (0: no room; the
	 * caller offers the rest again later). Main thread. */
	size_t (*input_room)(const struct device *d);
	size_t (*input)(const struct device *d, const uint8_t *buf, size_t len);
	/* Optional: fill *st (zeroed by the caller) with the device's
	 * counters for query-vm. Main thread, any time after create(). */
	void (*stats)(const struct device *d, struct dev_stats *st);
};

struct device {
	const struct dev_class *cls;
	uint64_t base;			/* guest physical window (memmap.h) */
	uint64_t size;			/* 0: no window */
	int spi;			/* SPI (INTID - 32, memmap.h), -1: none */
	unsigned index;			/* instance number within its class family
					 * (e.g. the virtio window n), from board.c */
	const void *param;		/* board-given parameters (e.g. the
					 * struct disk_config of this disk) */
	void *opaque;			/* instance state for cls->mmio */
};

#define DEVLIST_MAX 16

struct devlist {
	struct device dev[DEVLIST_MAX];
	unsigned n;
	int console;			/* index of the console UART, -1: none */
	int input;			/* index of the device that takes the
					 * VMM's console input, -1: the console */
};

/* Empty list, no console, input to the console. */
void devlist_init(struct devlist *l);

/* Append a device of class 'cls' at [base, base+size) with interrupt 'spi'
 * (-1: none). Returns its index, -EINVAL (no class, window wraps), -EEXIST
 * (window overlaps an earlier device's) or -ENOSPC (list full). A class may
 * be listed several times (one entry per instance). Order is the guest-visible order of FDT nodes and
 * DSDT devices. */
int devlist_add(struct devlist *l, const struct dev_class *cls, uint64_t base, uint64_t size,
		int spi);

/* The first device of class 'cls', or NULL. */
const struct device *devlist_find(const struct devlist *l, const struct dev_class *cls);

/* The console UART (devlist_add's index given to devlist_set_console), or
 * NULL. */
const struct device *devlist_console(const struct devlist *l);
int devlist_set_console(struct devlist *l, int index);

/* The device the VMM's console input (stdin) goes to: the one given to
 * devlist_set_input(), else the console UART; NULL when neither. The
 * console UART stays what the device tree's stdout-path and the SPCR
 * describe. devlist_set_input: 0 or -EINVAL (no such index). */
const struct device *devlist_input(const struct devlist *l);
int devlist_set_input(struct devlist *l, int index);

/* Give the first device of class 'cls' that has none its instance state
 * (so instances attach in list order). Returns 0, or -ENOENT when no such
 * device is listed. */
int devlist_attach(struct devlist *l, const struct dev_class *cls, void *opaque);

/* The interrupt line of device 'd' (its SPI, from memmap.h via board.c). */
static inline struct irq_line dev_irq_line(const struct device *d, const struct dev_env *env)
{
	return (struct irq_line){ env->irq_set, env->irq_opaque, d->spi < 0 ? 0 : (unsigned)d->spi };
}

/* Run create() for every device that has one and no state yet, in list
 * order. Returns 0 or the first error (devices created so far keep their
 * state: devlist_destroy() frees them). */
int devlist_create(struct devlist *l, const struct dev_env *env);

/* destroy() every device that has state and the hook; state becomes NULL. */
void devlist_destroy(struct devlist *l);

/* reset() every device that has state and the hook (guest reset). */
void devlist_reset(struct devlist *l);

/* Register every device that has MMIO ops and a window on 'bus'. Returns
 * 0, -EINVAL when such a device has no instance attached, or bus_register's
 * error. */
int devlist_register(const struct devlist *l, struct bus *bus);

/* Write every device's FDT node, in list order. 0 or the first error. */
int devlist_write_fdt(const struct devlist *l, struct fdt_writer *w);

/* Append every device's DSDT objects, in list order. */
void devlist_write_dsdt(const struct devlist *l, struct acpi_buf *b);

#endif
