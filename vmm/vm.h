/* The virtual machine: owns KVM fds, memory, bus, devices and vCPUs.
 * vm_create() builds everything in boot order (see vm.c, top to bottom);
 * vm_run() runs the guest until it powers off, is stopped by a signal or
 * fails, rebooting it in place on PSCI SYSTEM_RESET. */
#ifndef MVR_VM_H
#define MVR_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "vm_config.h"
#include "arch/arm64/boot.h"
#include "devices/device.h"
#include "devices/rom.h"
#include "escape.h"

enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_SHUTDOWN,   /* PSCI SYSTEM_OFF */
	VM_STOP_RESET,      /* PSCI SYSTEM_RESET */
	VM_STOP_SIGNAL,     /* SIGINT/SIGTERM/SIGHUP (vm->stop_signal says which) */
	VM_STOP_ERROR,      /* a vCPU failed */
	VM_STOP_QUIT,       /* control 'quit' */
	VM_STOP_PANIC,      /* the guest reported a panic (pvpanic) */
	VM_STOP_HOST_RESET, /* control 'system_reset' (a reset, not the guest's) */
};

struct vcpu;
struct mem;
struct bus;
struct gic;
struct loop;
struct fwcfg;
struct cfi_flash;
struct varstore;
struct acpi_build;
struct ras;
struct control;

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int run_mmap_size;
	struct kvm_vcpu_init target;
	bool cap_ext_dabt;            /* KVM_CAP_ARM_INJECT_EXT_DABT */

	struct mem *mem;
	struct bus *bus;
	struct devlist devs;           /* the board's devices (board.c) */
	struct gic *gic;
	const struct device *console_in; /* takes stdin (devlist_input), or NULL
					  * when stdin is no console (--serial
					  * other than stdio, PL011 console) */
	struct chardev *serial;        /* the PL011's host side (--serial) */
	struct escape esc;             /* Ctrl-A keys, stdin on a terminal */
	bool console_escape;           /* stdin is a terminal in raw mode */
	struct fwcfg *fwcfg;
	struct cfi_flash *flash;
	uint8_t *flash0, *flash1;      /* host mappings of the two banks */
	struct varstore *varstore;     /* --vars: flash1's file, locked */
	struct rom rom;                /* flash0's MMIO side */
	int flash1_slot;
	struct acpi_build *acpi;       /* blobs handed to the firmware */
	uint64_t hw_errors_gpa;        /* where firmware put etc/hardware_errors */
	struct ras *ras;               /* NULL without --ras */
	struct control *control;       /* NULL without --api-socket */

	struct vcpu *vcpus;
	unsigned ncpus;

	/* Boot payload: the open files (-1: none), read again at every boot
	 * straight into guest RAM or the firmware's fw_cfg DMA buffer; the
	 * VMM keeps no copy of them. */
	int kernel_fd;
	uint64_t kernel_size;
	struct arm64_image image;
	int initrd_fd;
	uint64_t initrd_size;
	struct boot_layout layout;
	unsigned boots;               /* how many times the guest started */

	/* Stop protocol: first reason wins; stop_efd wakes the main loop. */
	int stop_reason;
	int stop_signal;              /* with VM_STOP_SIGNAL: the first signal */
	int paused;                   /* vCPUs stopped after a panic (--on-panic
				       * pause); the main loop still runs */
	int stop_efd;
	struct loop *loop;
};

/* Build the VM. Logs one error line and returns NULL on failure. */
struct vm *vm_create(const struct vm_config *cfg);
void vm_destroy(struct vm *vm);

/* Run until the guest is done. Returns the process exit status
 * (exit_codes.h): EXIT_GUEST_POWEROFF, EXIT_GUEST_RESET (--no-reboot),
 * EXIT_GUEST_PANIC (--on-panic exit), EXIT_QUIT, EXIT_SIGNAL_BASE + signal
 * or EXIT_VMM_ERROR. With --on-panic pause a panic stops the vCPUs and the
 * main loop (control socket) runs on until a signal or 'quit'. */
int vm_run(struct vm *vm);

/* Ask every vCPU to leave KVM_RUN and the main loop to end the current
 * boot. Thread-safe; the first reason given sticks. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason);

/* Build the DTB for this configuration and its board devices 'devs'
 * (board_describe) into buf; used by run and dump-dtb. 'lay' gives the
 * initrd for direct boot (may be NULL). Returns its size or -errno. */
int vm_build_fdt(const struct vm_config *cfg, const struct devlist *devs,
		 const struct boot_layout *lay, void *buf, size_t size);

struct control_event;
/* Send 'ev' to the control socket's clients (none without --api-socket).
 * Any thread; never blocks. */
void vm_post_event(struct vm *vm, const struct control_event *ev);

/* Press the guest's power button (system_powerdown): pulse the power
 * button GED's interrupt. Returns 0 or -ENODEV (no ACPI power button). */
int vm_press_power_button(struct vm *vm);

/* Open and check kernel/initrd (the Image's header only) and compute their
 * placement without KVM (for run and for dump-dtb); without --kernel
 * (firmware boot from a disk) only the firmware is checked. Logs one error
 * line on failure. vm_close_payload closes what it opened (also after a failure). */
int vm_load_payload(struct vm *vm);
void vm_close_payload(struct vm *vm);

#endif
