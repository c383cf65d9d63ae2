/* VM construction in boot order, top to bottom (vm_create), and the run /
 * reboot cycle (vm_run). Firmware-specific pieces live in vm_firmware.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "arch/arm64/fdt.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/regs.h"
#include "board.h"
#include "bus.h"
#include "chardev.h"
#include "log.h"
#include "loop.h"
#include "control.h"
#include "devices/pwrbtn.h"
#include "exit_codes.h"
#include "fileio.h"
#include "mem.h"
#include "term.h"
#include "trace.h"
#include "ras/ras.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"
#include "vm_control.h"
#include "vm_firmware.h"
#include "vm_ras.h"

#define KVM_API_EXPECTED 12

static const struct {
	long cap;
	const char *what;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "user memory slots" },
	{ KVM_CAP_ONE_REG, "ONE_REG register access" },
	{ KVM_CAP_ARM_PSCI_0_2, "PSCI 0.2" },
	{ KVM_CAP_DEVICE_CTRL, "device control API (vGIC)" },
	{ KVM_CAP_IRQCHIP, "in-kernel interrupt controller" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate_exit" },
	{ KVM_CAP_READONLY_MEM, "read-only memory slots (flash)" },
};

static int kvm_open_checked(struct vm *vm)
{
	unsigned i;
	int ver, max_vcpus, ipa;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		pr_err("cannot open /dev/kvm: %m (is KVM available and are you allowed to use it?)");
		return -errno;
	}
	ver = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_EXPECTED) {
		pr_err("unsupported KVM API version %d (need %d)", ver, KVM_API_EXPECTED);
		return -ENOTSUP;
	}
	for (i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			pr_err("KVM lacks a required capability: %s", required_caps[i].what);
			return -ENOTSUP;
		}
	}
	max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max_vcpus > 0 && vm->ncpus > (unsigned)max_vcpus) {
		pr_err("--cpus %u exceeds this host's KVM limit of %d vCPUs", vm->ncpus, max_vcpus);
		return -EINVAL;
	}
	ipa = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	if (ipa <= 0)
		ipa = 40;
	if (MEMMAP_RAM_BASE + vm->cfg->ram_size > (1ULL << ipa)) {
		pr_err("--memory %llu MiB does not fit this host's %d-bit guest physical address space",
		       (unsigned long long)(vm->cfg->ram_size >> 20), ipa);
		return -EINVAL;
	}
	vm->run_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_mmap_size <= 0) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE failed: %m");
		return -errno;
	}
	return 0;
}

/* One error line for guest RAM that could not be mapped. */
static void vm_mem_error(const struct vm_config *cfg, int err)
{
	struct mem_hugetlb_pool pool;
	char line[512];
	int perr;

	switch (cfg->mem_backend) {
	case MEM_BACKEND_HUGETLB:
		perr = mem_hugetlb_pool_read(MEM_HUGETLB_SYSFS, &pool);
		pr_err("%s", mem_hugetlb_explain(line, sizeof(line), cfg->ram_size, err,
						 perr ? NULL : &pool, perr));
		break;
	case MEM_BACKEND_THP:
		if (err == -EINVAL) {
			pr_err("--memory-backend thp: this host kernel has no transparent huge pages (madvise MADV_HUGEPAGE refused)");
			break;
		}
		/* fall through */
	default:
		pr_err("cannot allocate %llu MiB of guest RAM: %s",
		       (unsigned long long)(cfg->ram_size >> 20), strerror(-err));
		break;
	}
}

static int vm_create_kvm_vm(struct vm *vm)
{
	/* Type 0: the default 40-bit IPA space (MEMMAP_IPA_BITS). */
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		pr_err("KVM_CREATE_VM failed: %m");
		return -errno;
	}
	/* Report undecodable MMIO accesses to us instead of failing the vCPU. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) > 0) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };

		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			pr_warn("cannot enable KVM_CAP_ARM_NISV_TO_USER: %m");
	}
	vm->cap_ext_dabt = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_INJECT_EXT_DABT) > 0;
	return 0;
}

static int vm_create_vcpus(struct vm *vm)
{
	unsigned i;
	int ret;

	ret = arm64_preferred_target(vm->vm_fd, &vm->target);
	if (ret) {
		pr_err("KVM_ARM_PREFERRED_TARGET failed: %s", strerror(-ret));
		return ret;
	}
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (i = 0; i < vm->ncpus; i++) {
		ret = vcpu_create(vm, &vm->vcpus[i], i);
		if (!ret)
			ret = vcpu_reset(&vm->vcpus[i]);
		if (ret) {
			pr_err("cannot create vCPU %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void vm_irq_set(void *opaque, unsigned spi, int level)
{
	struct vm *vm = opaque;
	int ret = gic_set_spi(vm->gic, spi, level);

	if (ret)
		pr_warn_rl("cannot set SPI %u to %d: %s", spi, level, strerror(-ret));
}

/* dev_env.guest_event (a vCPU thread): a panic stops the VM; vm_run()
 * then exits or pauses as --on-panic says. A crash kernel taking over is
 * only noted: the guest goes on. */
static void vm_guest_event(void *opaque, int event)
{
	struct vm *vm = opaque;

	switch (event) {
	case DEV_GUEST_PANICKED:
		/* GUEST_PANICKED goes out from vm_run(), which knows the action. */
		vm_request_stop(vm, VM_STOP_PANIC);
		break;
	case DEV_GUEST_CRASH_LOADED:
		pr_warn_rl("guest panicked (pvpanic crash-loaded): its crash kernel takes over");
		break;
	default:
		break;
	}
}

static int vm_watch_fd(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	return loop_add_fd(opaque, fd, cb, cb_opaque);
}

static void vm_unwatch_fd(void *opaque, int fd)
{
	loop_remove_fd(opaque, fd);
}

static int vm_console_cb(void *opaque, int fd);
static size_t vm_serial_room(void *opaque);
static size_t vm_serial_push(void *opaque, const uint8_t *buf, size_t len);
static bool vm_stdin_is_console(const struct vm_config *cfg);

/* State for every device that creates its own (devices/device.h); the
 * firmware devices get theirs from vm_firmware.c. */
static int vm_create_devices(struct vm *vm)
{
	const struct dev_env env = {
		.cfg = vm->cfg,
		.gm = &vm->mem->gm,
		.console_fd = STDOUT_FILENO,
		.serial = vm->serial,
		.watch_fd = vm_watch_fd,
		.unwatch_fd = vm_unwatch_fd,
		.loop_opaque = vm->loop,
		.irq_set = vm_irq_set,
		.irq_opaque = vm,
		/* Failed guest-buffer I/O reaches the RAS runtime (--ras). */
		.report_poison = vm->cfg->ras ? vm_ras_report_poison : NULL,
		.report_opaque = vm,
		.guest_event = vm_guest_event,
		.event_opaque = vm,
		/* EINJ injections reach the RAS runtime (--ras). */
		.einj_ops = vm->cfg->ras ? &vm_einj_ops : NULL,
		.einj_opaque = vm,
	};
	const struct device *in, *uart;
	int ret;

	ret = devlist_create(&vm->devs, &env);
	if (ret)
		return ret;
	/* --serial pty/socket: that input goes to the console UART. */
	uart = devlist_console(&vm->devs);
	if (uart && uart->opaque && uart->cls->input_room && uart->cls->input) {
		const struct chardev_sink sink = { vm_serial_room, vm_serial_push, (void *)uart };

		chardev_set_sink(vm->serial, &sink);
	}
	if (!vm_stdin_is_console(vm->cfg))
		return 0;
	/* stdin: to the console UART, or the virtio console with --console
	 * virtio. A terminal goes raw, with the Ctrl-A keys. */
	in = devlist_input(&vm->devs);
	if (!in || !in->opaque || !in->cls->input_room || !in->cls->input)
		return -ENODEV;
	vm->console_in = in;
	ret = term_raw_enter(STDIN_FILENO);
	if (ret < 0)
		pr_warn("cannot put the terminal in raw mode: %s", strerror(-ret));
	vm->console_escape = ret > 0;
	return loop_add_fd(vm->loop, STDIN_FILENO, vm_console_cb, vm);
}

int vm_build_fdt(const struct vm_config *cfg, const struct devlist *devs,
		 const struct boot_layout *lay, void *buf, size_t size)
{
	struct fdt_params p = {
		.ncpus = cfg->ncpus,
		.ram_base = MEMMAP_RAM_BASE,
		.ram_size = cfg->ram_size,
		.cmdline = cfg->cmdline,
		.devs = devs,
	};

	if (!cfg->firmware && lay && lay->initrd_size) {
		p.initrd_start = lay->initrd;
		p.initrd_end = lay->initrd + lay->initrd_size;
	}
	return fdt_build(&p, buf, size);
}

int vm_load_payload(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	const char *why = NULL;
	uint8_t *head;
	size_t head_len;
	int ret;

	vm->kernel_fd = vm->initrd_fd = -1;
	vm->kernel_size = vm->initrd_size = 0;
	/* No kernel: the firmware boots from a disk (opt_boot_mode() has
	 * refused every other case before). */
	if (!cfg->kernel)
		return cfg->firmware ? vm_firmware_check(cfg) : -EINVAL;
	ret = boot_open_file(cfg->kernel, &vm->kernel_fd, &vm->kernel_size);
	if (ret) {
		pr_err("cannot read kernel '%s': %s", cfg->kernel, strerror(-ret));
		return ret;
	}
	/* Only the header and PE section table are checked now; the Image
	 * itself goes straight to guest RAM (or fw_cfg) at each boot. */
	head_len = (size_t)MIN(vm->kernel_size, (uint64_t)ARM64_IMAGE_HEAD_MAX);
	head = malloc(head_len ? head_len : 1);
	if (!head)
		return -ENOMEM;
	ret = pread_full(vm->kernel_fd, head, head_len, 0);
	if (ret) {
		pr_err("cannot read kernel '%s': %s", cfg->kernel, strerror(-ret));
		free(head);
		return ret;
	}
	ret = arm64_image_parse_head(head, head_len, vm->kernel_size, &vm->image, &why);
	free(head);
	if (ret) {
		pr_err("kernel '%s': %s", cfg->kernel, why);
		return ret;
	}
	if (cfg->initrd) {
		ret = boot_open_file(cfg->initrd, &vm->initrd_fd, &vm->initrd_size);
		if (ret) {
			pr_err("cannot read initrd '%s': %s", cfg->initrd, strerror(-ret));
			return ret;
		}
	}
	if (cfg->firmware)
		return vm_firmware_check(cfg); /* it loads them through fw_cfg */
	ret = boot_plan(MEMMAP_RAM_BASE, cfg->ram_size, &vm->image, vm->initrd_size, &vm->layout);
	if (ret)
		pr_err("kernel (%llu MiB with BSS)%s do not fit in %llu MiB of guest RAM",
		       (unsigned long long)(vm->image.image_size >> 20),
		       vm->initrd_size ? ", initrd and DTB" : " and DTB",
		       (unsigned long long)(cfg->ram_size >> 20));
	return ret;
}

void vm_close_payload(struct vm *vm)
{
	if (vm->kernel_fd >= 0)
		close(vm->kernel_fd);
	if (vm->initrd_fd >= 0)
		close(vm->initrd_fd);
	vm->kernel_fd = vm->initrd_fd = -1;
}

/* Read 'what' (file 'path', open as fd) into guest RAM at gpa. */
static int vm_load_into_ram(struct vm *vm, const char *what, const char *path, int fd,
			    uint64_t size, uint64_t gpa)
{
	void *dst = mem_gpa_to_hva(vm->mem, gpa, size);
	int ret;

	if (!dst)
		return -EFAULT;
	ret = boot_load_file(fd, size, dst);
	if (ret == -ESTALE)
		pr_err("%s '%s' changed size since the VMM started; cannot boot it", what, path);
	else if (ret)
		pr_err("cannot read %s '%s': %s", what, path, strerror(-ret));
	return ret;
}

/* Put kernel, initrd and DTB into RAM and point vCPU 0 at the kernel. The
 * files are read again at every boot: the guest may have overwritten the
 * previous copies. */
static int vm_direct_boot_prepare(struct vm *vm)
{
	const struct boot_layout *lay = &vm->layout;
	void *dst;
	int ret;

	ret = vm_load_into_ram(vm, "kernel", vm->cfg->kernel, vm->kernel_fd, vm->kernel_size,
			       lay->kernel);
	if (!ret && vm->initrd_size)
		ret = vm_load_into_ram(vm, "initrd", vm->cfg->initrd, vm->initrd_fd,
				       vm->initrd_size, lay->initrd);
	if (ret)
		return ret;
	dst = mem_gpa_to_hva(vm->mem, lay->dtb, DTB_MAX_SIZE);
	if (!dst)
		return -EFAULT;
	ret = vm_build_fdt(vm->cfg, &vm->devs, lay, dst, DTB_MAX_SIZE);
	if (ret < 0) {
		pr_err("cannot build the device tree: %s", strerror(-ret));
		return ret;
	}
	ret = arm64_set_reg(vm->vcpus[0].fd, ARM64_REG_PC, lay->kernel);
	if (!ret)
		ret = arm64_set_reg(vm->vcpus[0].fd, ARM64_REG_X0, lay->dtb);
	if (ret)
		pr_err("cannot set boot registers: %s", strerror(-ret));
	return ret;
}

static int vm_stop_cb(void *opaque, int fd)
{
	struct vm *vm = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -1;
	/* Late wake-ups from a previous boot's stop are ignored. */
	if (__atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE) != VM_RUNNING)
		loop_quit(vm->loop);
	return 0;
}

static int vm_signal_cb(void *opaque, int fd)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	pr_info("terminating on signal %u", si.ssi_signo);
	/* The first signal names the exit status (128 + signal). */
	__atomic_compare_exchange_n(&vm->stop_signal, &(int){ 0 }, (int)si.ssi_signo, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	vm_request_stop(vm, VM_STOP_SIGNAL);
	return 0;
}

/* A console key (escape.h, stdin on a terminal): its action. */
static void vm_console_cmd(struct vm *vm, enum escape_cmd cmd)
{
	static const char monitor[] =
		"\r\nmicrovm-ras: no monitor on the console; use --api-socket PATH and 'microvm-ras ctl --api-socket PATH COMMAND'\r\n";

	switch (cmd) {
	case ESCAPE_QUIT:
		pr_info("Ctrl-A x: quitting");
		vm_request_stop(vm, VM_STOP_QUIT);
		break;
	case ESCAPE_HELP:
		if (write(STDERR_FILENO, escape_help, strlen(escape_help)) < 0)
			break;
		break;
	case ESCAPE_MONITOR:
		if (write(STDERR_FILENO, monitor, sizeof(monitor) - 1) < 0)
			break;
		break;
	default:
		break;
	}
}

/* stdin to the input device's class hooks (dev_class.input_room/input):
 * only as many bytes as it takes now, the rest stays in stdin. stdin stays
 * blocking (O_NONBLOCK on a terminal would be the user's shell's too, and
 * stdout's when they share it): a read only follows a poll that found
 * input, and then returns what is there. On a terminal, Ctrl-A keys are
 * the VMM's (escape.h); they never reach the guest. */
static int vm_console_cb(void *opaque, int fd)
{
	struct vm *vm = opaque;
	const struct device *in = vm->console_in;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t buf[256], out[256];
	size_t room = in->cls->input_room(in), off = 0;
	ssize_t n;

	if (!room)
		return 10; /* guest has not drained its FIFO: look again later */
	if (poll(&p, 1, 0) <= 0)
		return 0; /* nothing to read after all (another reader took it) */
	n = read(fd, buf, MIN(room, sizeof(buf)));
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if (n == 0)
		return -1; /* EOF: the guest keeps running without input */
	if (!vm->console_escape) {
		in->cls->input(in, buf, (size_t)n);
		return 0;
	}
	while (off < (size_t)n) {
		enum escape_cmd cmd;
		size_t nout = 0;

		off += escape_feed(&vm->esc, buf + off, (size_t)n - off, out, &nout, &cmd);
		if (nout)
			in->cls->input(in, out, nout);
		vm_console_cmd(vm, cmd);
	}
	return 0;
}

/* The PL011's backend input (pty, socket) to the console UART. */
static size_t vm_serial_room(void *opaque)
{
	const struct device *d = opaque;

	return d->cls->input_room(d);
}

static size_t vm_serial_push(void *opaque, const uint8_t *buf, size_t len)
{
	const struct device *d = opaque;

	return d->cls->input(d, buf, len);
}

/* Whether the VMM's stdin is a guest console: always with --console
 * virtio, else when the PL011 is on stdio. */
static bool vm_stdin_is_console(const struct vm_config *cfg)
{
	return cfg->virtio_console || cfg->serial.kind == SERIAL_STDIO;
}

/* The PL011's backend (--serial), before the devices that write to it. */
static int vm_open_serial(struct vm *vm)
{
	const struct chardev_env env = {
		.watch_fd = vm_watch_fd,
		.unwatch_fd = vm_unwatch_fd,
		.loop_opaque = vm->loop,
	};

	vm->serial = chardev_open(&vm->cfg->serial, &env);
	return vm->serial ? 0 : -EINVAL;
}

static int vm_create_loop(struct vm *vm)
{
	sigset_t set;
	int sfd, ret;

	vm->loop = loop_create();
	if (!vm->loop)
		return -ENOMEM;
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Blocked in every thread (vCPU threads inherit the mask). */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->stop_efd < 0 || sfd < 0)
		return -errno;
	ret = loop_add_fd(vm->loop, vm->stop_efd, vm_stop_cb, vm);
	if (!ret)
		ret = loop_add_fd(vm->loop, sfd, vm_signal_cb, vm);
	return ret;
}

struct vm *vm_create(const struct vm_config *cfg)
{
	struct vm *vm;
	int ret;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->cfg = cfg;
	vm->ncpus = cfg->ncpus;
	vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
	vm->kernel_fd = vm->initrd_fd = -1;
	vm->flash1_slot = -1;

	/* 1. Payload first: bad input is reported before touching KVM. */
	ret = vm_load_payload(vm);
	/* 2. KVM and the VM, after checking what we rely on. */
	if (!ret)
		ret = kvm_open_checked(vm);
	if (!ret)
		ret = vm_create_kvm_vm(vm);
	if (!ret) {
		trace_boot("KVM VM created");
		ret = vcpu_signals_init();
		if (ret)
			pr_err("cannot install vCPU kick signal: %s", strerror(-ret));
	}
	/* 3. Guest RAM as memslot 0. */
	if (!ret) {
		vm->mem = mem_create(vm->vm_fd, MEMMAP_RAM_BASE, cfg->ram_size, cfg->mem_backend);
		if (!vm->mem) {
			ret = -errno;
			vm_mem_error(cfg, ret);
		} else {
			trace_boot("memory mapped");
		}
	}
	/* 4. vCPUs, then the vGIC that needs them all. */
	if (!ret)
		ret = vm_create_vcpus(vm);
	if (!ret) {
		vm->gic = gic_create(vm->vm_fd, vm->ncpus);
		ret = vm->gic ? gic_finalize(vm->gic) : -ENODEV;
	}
	/* 5. The main thread's event loop (devices watch their fds on it). */
	if (!ret) {
		ret = vm_create_loop(vm);
		if (ret)
			pr_err("cannot set up the event loop: %s", strerror(-ret));
	}
	/* 5b. The console's host side (--serial), which devices write to. */
	if (!ret)
		ret = vm_open_serial(vm);
	/* 6. The board's devices: one list (board.c) that the MMIO bus, the
	 *    device tree and the DSDT walk; then each device's state. */
	if (!ret) {
		ret = board_describe(cfg, &vm->devs);
		if (ret)
			pr_err("cannot describe the board's devices: %s", strerror(-ret));
	}
	if (!ret) {
		ret = vm_create_devices(vm);
		if (ret)
			pr_err("cannot create devices: %s", strerror(-ret));
	}
	/* 7. Firmware, flash, fw_cfg and ACPI (firmware boot only). */
	if (!ret && cfg->firmware)
		ret = vm_firmware_create(vm);
	/* 8. Every device with an MMIO window on the bus. */
	if (!ret) {
		vm->bus = bus_create();
		ret = vm->bus ? devlist_register(&vm->devs, vm->bus) : -ENOMEM;
		if (ret)
			pr_err("cannot register devices on the MMIO bus: %s", strerror(-ret));
	}
	/* 9. Memory-error recovery: SIGBUS handler, GHES sources. */
	if (!ret && cfg->ras)
		ret = vm_ras_create(vm);
	/* 10. Control socket, last: it can reach everything above. */
	if (!ret && cfg->api_socket) {
		vm->control = vm_create_control(vm);
		if (!vm->control)
			ret = -EINVAL;
	}
	if (ret) {
		vm_destroy(vm);
		return NULL;
	}
	trace_boot("devices created");
	return vm;
}

void vm_destroy(struct vm *vm)
{
	unsigned i;

	if (!vm)
		return;
	/* --trace-boot: where the time between the guest's power-off and
	 * our exit goes. */
	if (vm->vcpus) {
		for (i = 0; i < vm->ncpus; i++)
			if (vm->vcpus[i].vm)
				vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
	}
	trace_boot("vCPUs closed");
	control_destroy(vm->control);
	vm->control = NULL;
	trace_boot("control socket closed");
	ras_destroy(vm->ras);
	devlist_destroy(&vm->devs);	/* devices may unwatch their fds */
	chardev_close(vm->serial);	/* after the UART that wrote to it */
	loop_destroy(vm->loop);
	bus_destroy(vm->bus);
	gic_destroy(vm->gic);
	trace_boot("RAS, devices and event loop closed");
	/* The KVM VM goes before the memory it maps (its last reference:
	 * the vCPU and vGIC fds are closed): its stage-2 tables are freed in
	 * one go, where unmapping RAM and flash under a live VM has KVM
	 * invalidate them page by page (the unmap took 1.1 s of a firmware
	 * guest's 1.4 s exit on the nested L1, --trace-boot). */
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
	trace_boot("KVM VM closed");
	vm_firmware_destroy(vm);
	mem_destroy(vm->mem);
	vm_close_payload(vm);
	trace_boot("firmware and guest memory unmapped");
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm);
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason)
{
	int expected = VM_RUNNING;
	uint64_t one = 1;
	unsigned i;

	__atomic_compare_exchange_n(&vm->stop_reason, &expected, (int)reason, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	for (i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0)
		pr_warn("cannot wake the main loop: %m");
}

void vm_post_event(struct vm *vm, const struct control_event *ev)
{
	control_post_event(vm->control, ev);
}

/* SHUTDOWN or RESET with its QEMU ShutdownCause. */
static void vm_post_stop(struct vm *vm, enum control_event_type type, bool guest,
			 const char *reason)
{
	struct control_event ev = { .type = type, .stop = { guest, reason } };

	vm_post_event(vm, &ev);
}

int vm_press_power_button(struct vm *vm)
{
	const struct device *d = devlist_find(&vm->devs, &pwrbtn_class);
	struct control_event ev = { .type = CONTROL_EV_POWERDOWN };

	if (!d || d->spi < 0)
		return -ENODEV;
	/* Edge-triggered: one pulse is one press. */
	vm_irq_set(vm, (unsigned)d->spi, 1);
	vm_irq_set(vm, (unsigned)d->spi, 0);
	pr_info("power button pressed (system_powerdown)");
	vm_post_event(vm, &ev);
	return 0;
}

/* Everything a power-on does, for the first boot and every reboot. */
static int vm_power_on(struct vm *vm)
{
	unsigned i;
	int ret;

	for (i = 0; i < vm->ncpus; i++) {
		ret = vcpu_reset(&vm->vcpus[i]);
		if (ret) {
			pr_err("cannot reset vCPU %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	devlist_reset(&vm->devs);
	/* A reboot must not run on poisoned pages. */
	if (vm->boots && vm->ras) {
		ret = ras_reset(vm->ras);
		if (ret)
			return ret;
	}
	ret = vm->cfg->firmware ? vm_firmware_boot_prepare(vm) : vm_direct_boot_prepare(vm);
	if (!ret)
		trace_boot(!vm->cfg->firmware ? "kernel loaded" :
			   vm->cfg->kernel ? "firmware boot prepared (fw_cfg serves the kernel)" :
			   "firmware boot prepared (from the disk)");
	return ret;
}

/* Start every vCPU thread; a failure stops the VM with an error. */
static void vm_start_vcpus(struct vm *vm)
{
	unsigned i;
	int ret;

	for (i = 0; i < vm->ncpus; i++) {
		ret = vcpu_start(&vm->vcpus[i]);
		if (ret) {
			pr_err("cannot start vCPU thread %u: %s", i, strerror(-ret));
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
	}
}

int vm_run(struct vm *vm)
{
	bool power_on = true;
	unsigned i;
	int reason, ret;

	for (;;) {
		if (power_on) {
			ret = vm_power_on(vm);
			if (ret)
				return EXIT_VMM_ERROR;
			vm->boots++;
		}
		__atomic_store_n(&vm->stop_reason, VM_RUNNING, __ATOMIC_RELEASE);
		/* Paused (--on-panic pause): only the main loop runs on. */
		if (power_on)
			vm_start_vcpus(vm);
		ret = loop_run(vm->loop);
		trace_boot("event loop stopped");
		if (ret) {
			pr_err("event loop failed: %s", strerror(-ret));
			vm_request_stop(vm, VM_STOP_ERROR);
		}
		for (i = 0; i < vm->ncpus; i++)
			vcpu_join(&vm->vcpus[i]);
		trace_boot("vCPU threads joined");

		reason = __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE);
		/* Each way of stopping: its QMP events (QEMU's ShutdownCause
		 * names) and exit status. */
		switch (reason) {
		case VM_STOP_RESET:
		case VM_STOP_HOST_RESET: {
			bool guest = reason == VM_STOP_RESET;
			const char *why = guest ? "guest-reset" : "host-qmp-system-reset";

			if (vm->cfg->no_reboot) {
				pr_info("%s; exiting (--no-reboot)",
					guest ? "guest requested a reset" : "system_reset");
				vm_post_stop(vm, CONTROL_EV_SHUTDOWN, guest, why);
				return EXIT_GUEST_RESET;
			}
			pr_info("%s: rebooting", guest ? "guest reset" : "system_reset");
			vm_post_stop(vm, CONTROL_EV_RESET, guest, why);
			__atomic_store_n(&vm->paused, 0, __ATOMIC_RELEASE);
			power_on = true;
			continue;
		}
		case VM_STOP_PANIC: {
			struct control_event ev = { .type = CONTROL_EV_GUEST_PANICKED };

			if (!vm->cfg->panic_pause) {
				ev.panic.action = "poweroff";
				vm_post_event(vm, &ev);
				vm_post_stop(vm, CONTROL_EV_SHUTDOWN, true, "guest-panic");
				pr_warn("guest panicked (pvpanic): exiting with status %d (--on-panic exit)",
					EXIT_GUEST_PANIC);
				return EXIT_GUEST_PANIC;
			}
			ev.panic.action = "pause";
			vm_post_event(vm, &ev);
			pr_warn("guest panicked (pvpanic): vCPUs stopped, the VMM keeps running (--on-panic pause)");
			__atomic_store_n(&vm->paused, 1, __ATOMIC_RELEASE);
			power_on = false;
			continue;
		}
		case VM_STOP_SHUTDOWN:
			vm_post_stop(vm, CONTROL_EV_SHUTDOWN, true, "guest-shutdown");
			return EXIT_GUEST_POWEROFF;
		case VM_STOP_QUIT:
			vm_post_stop(vm, CONTROL_EV_SHUTDOWN, false, "host-qmp-quit");
			return EXIT_QUIT;
		case VM_STOP_SIGNAL:
			vm_post_stop(vm, CONTROL_EV_SHUTDOWN, false, "host-signal");
			return EXIT_SIGNAL_BASE + __atomic_load_n(&vm->stop_signal, __ATOMIC_ACQUIRE);
		default:
			vm_post_stop(vm, CONTROL_EV_SHUTDOWN, false, "host-error");
			return EXIT_VMM_ERROR;
		}
	}
}
