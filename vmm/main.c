/* microvm-ras entry point: command-line parsing and the only place that
 * decides to exit. Subcommands: run, dump-dtb, dump-acpi, ctl. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acpi/tables.h"
#include "arch/arm64/boot.h"
#include "arch/arm64/memmap.h"
#include "board.h"
#include "vm_config.h"
#include "ctl.h"
#include "dump.h"
#include "exit_codes.h"
#include "jail.h"
#include "log.h"
#include "mem.h"
#include "options.h"
#include "preflight.h"
#include "ras/ras.h"
#include "seccomp.h"
#include "size.h"
#include "trace.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "vm.h"
#include "version.h"

/* The parsed configuration: one of the two allowed globals. */
static struct vm_config config;

static void usage(FILE *f)
{
	fprintf(f,
"usage: microvm-ras run --kernel IMAGE [options]\n"
"       microvm-ras run --disk ESP.img [options]  the firmware boots the disk\n"
"       microvm-ras dump-dtb FILE|- [options]   write the guest device tree (-: stdout)\n"
"       microvm-ras dump-acpi DIR [options]     write each ACPI table as DIR/SIG.dat\n"
"       microvm-ras ctl [--api-socket PATH] [--pretty] COMMAND [ARGS]\n"
"                                               talk to a running VMM (socket\n"
"                                               default: $MICROVM_RAS_SOCKET)\n"
"       microvm-ras help | version              this text; version and features\n"
"\n"
"options:\n"
"  -k, --kernel IMAGE      arm64 Linux Image to boot; without it the\n"
"                          firmware boots what a --disk holds (an EFI\n"
"                          system partition: \\EFI\\BOOT\\BOOTAA64.EFI, or\n"
"                          the UEFI shell's startup.nsh)\n"
"  -i, --initrd FILE       initial ramdisk (with --kernel)\n"
"  -c, --cmdline STRING    kernel command line (with --kernel)\n"
"  -m, --memory SIZE       guest RAM, e.g. 512M, 2GiB or 0x200M (default 512M;\n"
"                          K/M/G/T[i][B] are powers of 1024, a bare number\n"
"                          is MiB; decimal or 0x hex, never octal)\n"
"      --memory-backend anon|hugetlb|thp\n"
"                          what backs guest RAM: anonymous 4 KiB pages\n"
"                          (default), 2 MiB pages from the host's hugetlb\n"
"                          pool (all reserved at start: see\n"
"                          /proc/sys/vm/nr_hugepages), or anonymous memory\n"
"                          advised for transparent huge pages\n"
"  -p, --cpus N            number of vCPUs (default 1; decimal or 0x hex)\n"
"      --firmware PATH     UEFI firmware for flash bank 0\n"
"                          (default " DEFAULT_FIRMWARE ")\n"
"      --no-firmware       boot the kernel directly with a device tree\n"
"      --vars FILE         persistent UEFI variable store (flash bank 1)\n"
"      --ras               guest memory-error recovery (needs firmware boot)\n"
"      --api-socket PATH   JSON control socket\n"
"      --disk PATH[,ro][,serial=ID][,direct]\n"
"                          virtio-blk disk: raw image file or block device;\n"
"                          repeatable (vda, vdb, ... in order, at most %d);\n"
"                          ro: read-only, serial: GET_ID string (<= 20\n"
"                          bytes), direct: O_DIRECT (no host page cache)\n"
"      --rng               virtio-rng entropy device (host getrandom)\n"
"      --console pl011|virtio  where the VMM's stdin/stdout console is:\n"
"                          the PL011 (default) or a virtio-console (the\n"
"                          guest's hvc0: pass console=hvc0; the PL011 stays\n"
"                          for earlycon and firmware output)\n"
"      --serial stdio|file=PATH|pty|socket=PATH|off\n"
"                          the PL011 console's host side: stdin/stdout\n"
"                          (default), a file (appended), a new pty (its path\n"
"                          on stderr), a UNIX socket (one client at a time;\n"
"                          output without a client is dropped) or nothing;\n"
"                          output never waits for a slow reader (dropped)\n"
"      --net tap=NAME[,mac=MAC]\n"
"                          virtio-net interface on tap NAME (created if\n"
"                          missing, which needs CAP_NET_ADMIN); mac:\n"
"                          xx:xx:xx:xx:xx:xx (default derived from NAME);\n"
"                          repeatable (at most %d)\n"
"      --no-reboot         exit when the guest resets instead of rebooting\n"
"      --on-panic exit|pause  on a guest panic (pvpanic): exit with status 4\n"
"                          (default), or stop the vCPUs and keep the VMM\n"
"                          (control socket) running\n"
"      --config FILE       options from a JSON object, keys = long option names\n"
"                          (\"disk\": [\"a.img,ro\"] or [{\"path\": \"a.img\", \"ro\": true}]);\n"
"                          the command line overrides it and its --disk/--net\n"
"                          replace the file's lists\n"
"      --force             dump-acpi: write into a DIR that is not empty,\n"
"                          deleting its *.dat files first\n"
"      --check             run: check files, sizes, sockets, firmware, disks,\n"
"                          taps and the hugetlb pool without /dev/kvm; print\n"
"                          every problem (exit 2) or one 'ok' line (exit 0)\n"
"      --chroot DIR        run: once everything is open, before the guest\n"
"                          runs, change the root directory to DIR (root only)\n"
"      --user UID:GID      run: then drop to this user and group for good\n"
"                          (numbers; root only; see README 'Jail')\n"
"      --trace-boot        print timestamps of the boot and poweroff steps\n"
"                          (ms since process start) on stderr\n"
"  -v, --verbose           more diagnostics;  -q, --quiet: errors only\n"
"  -h, --help              this text;  --version: print the version\n"
"\n"
"console keys on a terminal: Ctrl-A x quit (status 5), Ctrl-A h help,\n"
"Ctrl-A Ctrl-A a literal Ctrl-A; Ctrl-C goes to the guest\n"
"\n"
"exit status: 0 guest power-off, 1 VMM error, 2 usage error, 3 guest reset\n"
"with --no-reboot, 4 guest panic (pvpanic), 5 control 'quit', 128+N signal N\n",
		MAX_DISKS,
		MAX_NETS);
}

/* Semantic checks shared by run and the dump commands: the first problem
 * ends them, or with 'all' (run --check) every one is reported. Returns 0,
 * EXIT_USAGE, or EXIT_VMM_ERROR for a disk or tap that cannot be used
 * (checked here only without 'all': preflight_check() does it then). */
static int check_config(bool run, bool all)
{
	uint64_t min_ram = config.firmware ? MIN_RAM_FIRMWARE : 32ULL << 20;
	unsigned i, bad = 0;
	char got[40], why[240];

#define PROBLEM(...)                                    \
	do {                                            \
		pr_err(__VA_ARGS__);                    \
		if (!all)                               \
			return EXIT_USAGE;              \
		bad++;                                  \
	} while (0)

	if (run && opt_boot_mode(&config, why, sizeof(why)) < 0)
		PROBLEM("%s", why);
	if (config.ncpus == 0 || config.ncpus > MAX_VCPUS)
		PROBLEM("--cpus must be between 1 and %llu, got %u",
			(unsigned long long)MAX_VCPUS, config.ncpus);
	if (config.ram_size < min_ram || !IS_ALIGNED(config.ram_size, SZ_2M))
		PROBLEM("--memory must be a multiple of 2 MiB and at least %llu MiB%s, got %s",
			(unsigned long long)(min_ram >> 20),
			config.firmware ? " for firmware boot" : "",
			size_format(got, sizeof(got), config.ram_size, config.ram_unit));
	if (config.ras && !RAS_ENABLED)
		PROBLEM("--ras is not available: this build has CONFIG_RAS disabled");
	if (config.ras && !config.firmware)
		PROBLEM("--ras needs firmware boot (ACPI/HEST); drop --no-firmware");
	if (config.vars && !config.firmware)
		PROBLEM("--vars needs firmware boot; drop --no-firmware");
	if ((config.ndisks && !virtio_blk_dev_class()) || (config.rng && !virtio_rng_dev_class()))
		PROBLEM("--disk and --rng are not available: this build has CONFIG_VIRTIO disabled");
	if (config.virtio_console && !virtio_console_dev_class())
		PROBLEM("--console virtio is not available: this build has CONFIG_VIRTIO disabled");
	if (config.nnets && !virtio_net_dev_class())
		PROBLEM("--net is not available: this build has CONFIG_VIRTIO disabled");
	if (run && jail_check(&config, why, sizeof(why)))
		PROBLEM("%s", why);
#undef PROBLEM
	if (all)
		return bad ? EXIT_USAGE : 0;
	/* Disk images: missing, locked, empty or odd-sized images are
	 * reported now, before KVM or anything else is set up. */
	for (i = 0; i < config.ndisks; i++)
		if (virtio_blk_check(&config.disks[i]))
			return EXIT_VMM_ERROR;
	/* Taps (run only: dumping tables needs no network): no tun device,
	 * no right to create one, or a tap in use, in one line now. */
	for (i = 0; run && i < config.nnets; i++)
		if (virtio_net_check(&config.nets[i]))
			return EXIT_VMM_ERROR;
	return 0;
}

/* run --check: the configuration checks and every host check that needs
 * no /dev/kvm, each problem on its own line; "ok" on stdout when none. */
static int cmd_check(void)
{
	int ret = check_config(true, true);
	unsigned bad = preflight_check(&config, MEM_HUGETLB_SYSFS);

	if (ret || bad)
		return EXIT_USAGE;
	printf("ok: the configuration passed every check that needs no /dev/kvm\n");
	return 0;
}

static int cmd_run(void)
{
	struct vm *vm;
	int status;

	/* Ask for early SIGBUS on memory errors in our pages (AO). */
	prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
	vm = vm_create(&config);
	if (!vm)
		return EXIT_VMM_ERROR;
	/* Everything is opened and mapped: --chroot/--user now, then only
	 * the calls the running VM needs (CPER timestamps are UTC, computed
	 * without the C library's time-zone files). */
	if (jail_enter(&config) || seccomp_install()) {
		vm_destroy(vm);
		return EXIT_VMM_ERROR;
	}
	status = vm_run(vm);
	vm_destroy(vm);
	trace_boot("exit");
	return status;
}

/* dump-dtb FILE, or '-' for stdout (not a terminal): the tree 'run' would
 * give the guest, and the notes on what it leaves to the boot. */
static int cmd_dump_dtb(const char *path)
{
	struct vm vm_probe = { .cfg = &config, .kernel_fd = -1, .initrd_fd = -1 };
	struct boot_layout *lay = NULL;
	static uint8_t buf[DTB_MAX_SIZE];
	char notes[DUMP_DTB_NOTES][DUMP_NOTE_MAX];
	bool to_stdout = !strcmp(path, "-");
	struct devlist devs;
	unsigned i, nnotes;
	FILE *f;
	int n;

	if (to_stdout && isatty(STDOUT_FILENO)) {
		pr_err("dump-dtb: refusing to write a binary device tree to a terminal (redirect stdout, or give a FILE)");
		return EXIT_USAGE;
	}
	if (config.kernel) {
		if (vm_load_payload(&vm_probe)) {
			vm_close_payload(&vm_probe);
			return EXIT_VMM_ERROR;
		}
		lay = &vm_probe.layout;
	}
	n = board_describe(&config, &devs);
	if (!n)
		n = vm_build_fdt(&config, &devs, lay, buf, sizeof(buf));
	vm_close_payload(&vm_probe);
	if (n < 0) {
		pr_err("cannot build the device tree: %s", strerror(-n));
		return EXIT_VMM_ERROR;
	}
	if (to_stdout) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0) {
			pr_err("cannot write the device tree to stdout: %m");
			return EXIT_VMM_ERROR;
		}
	} else {
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
			pr_err("cannot write '%s': %m", path);
			return EXIT_VMM_ERROR;
		}
	}
	nnotes = dump_dtb_notes(&config, notes);
	for (i = 0; i < nnotes; i++)
		pr_info("%s", notes[i]);
	return 0;
}

/* Build the tables as for 'run', apply the loader script at made-up
 * addresses (what the firmware would do) and write DIR/SIG.dat each, ready
 * for 'iasl -d'. A non-empty DIR only with 'force'. */
static int cmd_dump_acpi(const char *dir, bool force)
{
	/* ACPI exists only for firmware boot: describe that board. */
	struct vm_config fw = config;
	struct devlist devs;
	struct acpi_config ac = {
		.ncpus = config.ncpus,
		.ram_base = MEMMAP_RAM_BASE,
		.ram_size = config.ram_size,
		.ras = config.ras,
		.devs = &devs,
	};
	struct acpi_link lk = {
		.rsdp_addr = 0x5c480000, .tables_addr = 0x5c481000, .hw_errors_addr = 0x5c450000,
	};
	struct acpi_build b;
	char path[4096], note[DUMP_NOTE_MAX];
	const char *sig;
	unsigned i;
	size_t len;
	int ret;

	if (!ACPI_ENABLED) {
		pr_err("dump-acpi is not available: this build has CONFIG_ACPI disabled");
		return EXIT_USAGE;
	}
	if (!fw.firmware)
		fw.firmware = DEFAULT_FIRMWARE;
	ret = board_describe(&fw, &devs);
	if (!ret)
		ret = acpi_build(&ac, &b);
	if (!ret)
		ret = acpi_build_link(&b, &lk);
	if (ret) {
		pr_err("cannot build ACPI tables: %s", strerror(-ret));
		return EXIT_VMM_ERROR;
	}
	ret = dump_acpi_dir(dir, force);
	if (ret) {
		acpi_build_free(&b);
		return ret == -ENOTEMPTY ? EXIT_USAGE : EXIT_VMM_ERROR;
	}
	for (i = 0; i < b.ntables + 1 && !ret; i++) {
		const uint8_t *data;
		FILE *f;

		if (i < b.ntables) {
			data = acpi_build_table(&b, i, &sig, &len);
		} else {
			data = b.rsdp.data;
			sig = "RSDP";
			len = b.rsdp.len;
		}
		snprintf(path, sizeof(path), "%s/%s.dat", dir, sig);
		f = fopen(path, "wb");
		if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
			pr_err("cannot write '%s': %m", path);
			ret = -EIO;
		}
	}
	if (!ret) {
		dump_acpi_note(config.ras, b.einj_param_off != 0, lk.tables_addr,
			       lk.hw_errors_addr, note, sizeof(note));
		pr_info("%s", note);
	}
	acpi_build_free(&b);
	return ret ? EXIT_VMM_ERROR : 0;
}

/* version / --version: the version and the build's Kconfig features
 * (+ built in, - left out). */
static void print_version(void)
{
	static const char features[] =
#ifdef CONFIG_ACPI
	" +acpi"
#else
	" -acpi"
#endif
#ifdef CONFIG_FWCFG
	" +fwcfg"
#else
	" -fwcfg"
#endif
#ifdef CONFIG_RAS
	" +ras"
#else
	" -ras"
#endif
#ifdef CONFIG_VIRTIO
	" +virtio"
#else
	" -virtio"
#endif
#ifdef CONFIG_CONTROL_API
	" +control-api"
#else
	" -control-api"
#endif
#ifdef CONFIG_SECCOMP
	" +seccomp"
#else
	" -seccomp"
#endif
		;

	printf("microvm-ras %s\nfeatures:%s\n", MVR_VERSION, features);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum opt_cmd cmd;
		bool path;             /* an output path comes first */
	} cmds[] = {
		{ "run", OPT_CMD_RUN, false },
		{ "dump-dtb", OPT_CMD_DUMP_DTB, true },
		{ "dump-acpi", OPT_CMD_DUMP_ACPI, true },
	};
	const char *cmd, *arg = NULL;
	struct opt_cli cli;
	enum opt_cmd which;
	unsigned i;
	int ret;

	/* A closed stdout pipe, console or control client must fail a write
	 * (EPIPE, handled where it happens), not end the VMM. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		if (argc > 2) {
			pr_err("unexpected argument '%s' (see --help)", argv[2]);
			return EXIT_USAGE;
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		if (argc > 2) {
			pr_err("unexpected argument '%s' (see --help)", argv[2]);
			return EXIT_USAGE;
		}
		print_version();
		return 0;
	}
	if (!strcmp(cmd, "ctl"))
		return ctl_main(argc - 1, argv + 1);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && strcmp(cmd, cmds[i].name); i++)
		;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		pr_err("unknown command '%s' (expected run, dump-dtb, dump-acpi, ctl, help or version; see --help)",
		       cmd);
		return EXIT_USAGE;
	}
	which = cmds[i].cmd;
	if (cmds[i].path) {
		if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			usage(stdout);
			return 0;
		}
		if (argc < 3 || (argv[2][0] == '-' && strcmp(argv[2], "-"))) {
			pr_err("%s needs an output path first (%s PATH [options])", cmd, cmd);
			return EXIT_USAGE;
		}
		if (cmds[i].cmd == OPT_CMD_DUMP_ACPI && !strcmp(argv[2], "-")) {
			pr_err("dump-acpi writes one file per table into a directory: '-' (stdout) is for dump-dtb only");
			return EXIT_USAGE;
		}
		arg = argv[2];
		argv += 2;
		argc -= 2;
	} else {
		argv += 1;
		argc -= 1;
	}
	opt_defaults(&config);
	if (opt_parse_argv(&config, &cli, which, argc, argv))
		return EXIT_USAGE;
	if (cli.help || cli.version) {
		if (cli.help)
			usage(stdout);
		else
			print_version();
		return 0;
	}
	if (cli.check)
		return cmd_check();
	ret = check_config(which == OPT_CMD_RUN, false);
	if (ret)
		return ret;
	trace_boot("config parsed");
	if (which == OPT_CMD_RUN)
		return cmd_run();
	if (which == OPT_CMD_DUMP_DTB)
		return cmd_dump_dtb(arg);
	return cmd_dump_acpi(arg, cli.force);
}
