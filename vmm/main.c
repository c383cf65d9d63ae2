/* microvm-ras entry point: command-line parsing and the only place that
 * decides to exit. Subcommands: run, dump-dtb, dump-acpi, ctl. */
#include <errno.h>
#include <getopt.h>
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
#include "exit_codes.h"
#include "log.h"
#include "mem.h"
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
static struct vm_config config = {
	.ram_size = DEFAULT_MEMORY,
	.ram_unit = SIZE_MIB,
	.ncpus = 1,
	.firmware = DEFAULT_FIRMWARE,
};

enum {
	OPT_NO_FIRMWARE = 0x100, OPT_RAS, OPT_NO_REBOOT, OPT_VARS, OPT_API,
	OPT_FIRMWARE, OPT_VERSION, OPT_DISK, OPT_RNG, OPT_NET, OPT_CONSOLE,
	OPT_ON_PANIC, OPT_MEM_BACKEND, OPT_TRACE_BOOT,
};

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'c' },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'p' },
	{ "memory-backend", required_argument, NULL, OPT_MEM_BACKEND },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "no-firmware", no_argument, NULL, OPT_NO_FIRMWARE },
	{ "vars", required_argument, NULL, OPT_VARS },
	{ "ras", no_argument, NULL, OPT_RAS },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "on-panic", required_argument, NULL, OPT_ON_PANIC },
	{ "api-socket", required_argument, NULL, OPT_API },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "net", required_argument, NULL, OPT_NET },
	{ "trace-boot", no_argument, NULL, OPT_TRACE_BOOT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: microvm-ras run --kernel IMAGE [options]\n"
"       microvm-ras dump-dtb FILE [options]     write the guest device tree\n"
"       microvm-ras dump-acpi DIR [options]     write each ACPI table as DIR/SIG.dat\n"
"       microvm-ras ctl --api-socket PATH COMMAND [ARGS]   talk to a running VMM\n"
"\n"
"options:\n"
"  -k, --kernel IMAGE      arm64 Linux Image to boot\n"
"  -i, --initrd FILE       initial ramdisk\n"
"  -c, --cmdline STRING    kernel command line\n"
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
"      --net tap=NAME[,mac=MAC]\n"
"                          virtio-net interface on tap NAME (created if\n"
"                          missing, which needs CAP_NET_ADMIN); mac:\n"
"                          xx:xx:xx:xx:xx:xx (default derived from NAME);\n"
"                          repeatable (at most %d)\n"
"      --no-reboot         exit when the guest resets instead of rebooting\n"
"      --on-panic exit|pause  on a guest panic (pvpanic): exit with status 4\n"
"                          (default), or stop the vCPUs and keep the VMM\n"
"                          (control socket) running\n"
"      --trace-boot        print timestamps of the boot and poweroff steps\n"
"                          (ms since process start) on stderr\n"
"  -v, --verbose           more diagnostics;  -q, --quiet: errors only\n"
"  -h, --help              this text;  --version: print the version\n"
"\n"
"exit status: 0 guest power-off, 1 VMM error, 2 usage error, 3 guest reset\n"
"with --no-reboot, 4 guest panic (pvpanic), 5 control 'quit', 128+N signal N\n",
		MAX_DISKS,
		MAX_NETS);
}

/* --memory: the size grammar of size.h (a bare number is MiB), then the
 * memory map's limit, before anything is opened. The minimum depends on
 * the boot mode and is checked in check_config(). Returns 0, or EXIT_USAGE
 * after one error line in the user's units. */
static int parse_memory(const char *arg)
{
	char got[40], max[40];
	size_t len = strlen(arg);
	int ret;

	ret = size_parse(arg, SIZE_MIB, &config.ram_size, &config.ram_unit);
	if (ret == -ERANGE) {
		pr_err("--memory '%s' is too large (more than 16 EiB)", arg);
		return EXIT_USAGE;
	}
	if (ret) {
		pr_err("invalid --memory '%s' (expected e.g. 512M, 2G or 0x200M: a number, decimal or 0x hex, with an optional K, M, G or T suffix; a bare number is MiB)",
		       arg);
		return EXIT_USAGE;
	}
	if (config.ram_size > MEMMAP_RAM_MAX) {
		pr_err("--memory '%s' is %s, more than the %s of guest RAM the memory map has room for (%d-bit guest physical addresses)%s",
		       arg, size_format(got, sizeof(got), config.ram_size, config.ram_unit),
		       size_format(max, sizeof(max), MEMMAP_RAM_MAX, config.ram_unit),
		       MEMMAP_IPA_BITS,
		       len && arg[len - 1] >= '0' && arg[len - 1] <= '9' ? "; a bare number is MiB" : "");
		return EXIT_USAGE;
	}
	return 0;
}

/* One --disk PATH[,ro][,serial=ID][,direct] into the next disks[] slot.
 * The configuration keeps pointers into a copy of 'arg' for the life of
 * the process. Returns 0, or EXIT_USAGE after one error line. */
static int parse_disk(const char *arg)
{
	struct disk_config *dc = &config.disks[config.ndisks];
	char *s, *tok;

	if (config.ndisks == MAX_DISKS) {
		pr_err("too many --disk options (at most %d)", MAX_DISKS);
		return EXIT_USAGE;
	}
	s = strdup(arg);
	if (!s) {
		pr_err("out of memory");
		return EXIT_USAGE;
	}
	*dc = (struct disk_config){ .path = strsep(&s, ",") };
	if (!*dc->path) {
		pr_err("--disk '%s' has no path (expected PATH[,ro][,serial=ID][,direct])", arg);
		return EXIT_USAGE;
	}
	while ((tok = strsep(&s, ","))) {
		if (!strcmp(tok, "ro")) {
			dc->readonly = true;
		} else if (!strcmp(tok, "direct")) {
			dc->direct = true;
		} else if (!strncmp(tok, "serial=", 7)) {
			dc->serial = tok + 7;
			if (strlen(dc->serial) > 20) {
				pr_err("--disk serial '%s' is longer than 20 bytes", dc->serial);
				return EXIT_USAGE;
			}
		} else {
			pr_err("unknown --disk option '%s' (expected ro, serial=ID or direct)", tok);
			return EXIT_USAGE;
		}
	}
	config.ndisks++;
	return 0;
}

/* "xx:xx:xx:xx:xx:xx" (hex digits, either case). 0 or -EINVAL. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned i, j, v;

	for (i = 0; i < 6; i++) {
		for (j = 0, v = 0; j < 2; j++, s++) {
			char c = *s;

			if (c >= '0' && c <= '9')
				v = v << 4 | (unsigned)(c - '0');
			else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				v = v << 4 | (unsigned)((c | 0x20) - 'a' + 10);
			else
				return -EINVAL;
		}
		mac[i] = (uint8_t)v;
		if (*s != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		s += i < 5;
	}
	return 0;
}

/* A Linux interface name: 1..15 bytes, no '/', ':' or white space. */
static bool valid_ifname(const char *s)
{
	size_t len = strlen(s);

	return len && len <= NET_TAP_NAME_MAX && !strpbrk(s, "/: \t\n") &&
	       strcmp(s, ".") && strcmp(s, "..");
}

/* One --net tap=NAME[,mac=MAC] into the next nets[] slot (pointers into a
 * copy of 'arg'). Returns 0, or EXIT_USAGE after one error line. */
static int parse_net(const char *arg)
{
	struct net_config *nc = &config.nets[config.nnets];
	char *s, *tok;
	unsigned i;

	if (config.nnets == MAX_NETS) {
		pr_err("too many --net options (at most %d)", MAX_NETS);
		return EXIT_USAGE;
	}
	s = strdup(arg);
	if (!s) {
		pr_err("out of memory");
		return EXIT_USAGE;
	}
	*nc = (struct net_config){ 0 };
	while ((tok = strsep(&s, ","))) {
		if (!strncmp(tok, "tap=", 4)) {
			nc->tap = tok + 4;
			if (!valid_ifname(nc->tap)) {
				pr_err("--net tap name '%s' is not an interface name (1 to %d bytes, no '/', ':' or spaces)",
				       nc->tap, NET_TAP_NAME_MAX);
				return EXIT_USAGE;
			}
		} else if (!strncmp(tok, "mac=", 4)) {
			if (parse_mac(tok + 4, nc->mac)) {
				pr_err("invalid --net mac '%s' (expected xx:xx:xx:xx:xx:xx)", tok + 4);
				return EXIT_USAGE;
			}
			if (nc->mac[0] & 1) {
				pr_err("--net mac '%s' is a multicast address", tok + 4);
				return EXIT_USAGE;
			}
			nc->has_mac = true;
		} else {
			pr_err("unknown --net option '%s' (expected tap=NAME or mac=MAC)", tok);
			return EXIT_USAGE;
		}
	}
	if (!nc->tap) {
		pr_err("--net '%s' has no tap= (expected tap=NAME[,mac=MAC])", arg);
		return EXIT_USAGE;
	}
	for (i = 0; i < config.nnets; i++) {
		if (!strcmp(config.nets[i].tap, nc->tap)) {
			pr_err("--net tap '%s' is given twice", nc->tap);
			return EXIT_USAGE;
		}
	}
	config.nnets++;
	return 0;
}

/* --cpus: a number in --memory's syntax (decimal or 0x hex). Returns 0, or
 * EXIT_USAGE after one error line; the range is check_config()'s. */
static int parse_cpus(const char *arg)
{
	uint64_t v;
	int ret = size_parse_count(arg, UINT32_MAX, &v);

	if (ret == -ERANGE) {
		pr_err("--cpus must be between 1 and %llu, got %s", (unsigned long long)MAX_VCPUS, arg);
		return EXIT_USAGE;
	}
	if (ret) {
		pr_err("invalid --cpus '%s' (expected a number, decimal or 0x hex)", arg);
		return EXIT_USAGE;
	}
	config.ncpus = (unsigned)v;
	return 0;
}

/* Parse options into 'config'. Returns 0, or EXIT_USAGE after one error
 * line, or -1 when --help/--version already printed what was asked. */
static int parse_options(int argc, char **argv)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:c:m:p:vqh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'k': config.kernel = optarg; break;
		case 'i': config.initrd = optarg; break;
		case 'c': config.cmdline = optarg; break;
		case 'm':
			if (parse_memory(optarg))
				return EXIT_USAGE;
			break;
		case 'p':
			if (parse_cpus(optarg))
				return EXIT_USAGE;
			break;
		case OPT_MEM_BACKEND:
			if (mem_backend_parse(optarg, &config.mem_backend)) {
				pr_err("invalid --memory-backend '%s' (expected anon, hugetlb or thp)",
				       optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_FIRMWARE: config.firmware = optarg; break;
		case OPT_NO_FIRMWARE: config.firmware = NULL; break;
		case OPT_VARS: config.vars = optarg; break;
		case OPT_RAS: config.ras = true; break;
		case OPT_NO_REBOOT: config.no_reboot = true; break;
		case OPT_ON_PANIC:
			if (!strcmp(optarg, "exit") || !strcmp(optarg, "pause")) {
				config.panic_pause = !strcmp(optarg, "pause");
				break;
			}
			pr_err("invalid --on-panic '%s' (expected exit or pause)", optarg);
			return EXIT_USAGE;
		case OPT_API: config.api_socket = optarg; break;
		case OPT_DISK:
			if (parse_disk(optarg))
				return EXIT_USAGE;
			break;
		case OPT_RNG: config.rng = true; break;
		case OPT_CONSOLE:
			if (!strcmp(optarg, "pl011") || !strcmp(optarg, "virtio")) {
				config.virtio_console = !strcmp(optarg, "virtio");
				break;
			}
			pr_err("invalid --console '%s' (expected pl011 or virtio)", optarg);
			return EXIT_USAGE;
		case OPT_NET:
			if (parse_net(optarg))
				return EXIT_USAGE;
			break;
		case OPT_TRACE_BOOT: trace_boot_enable(); break;
		case 'v': log_level = LOG_DEBUG; break;
		case 'q': log_level = LOG_ERROR; break;
		case 'h': usage(stdout); return -1;
		case OPT_VERSION: printf("microvm-ras %s\n", MVR_VERSION); return -1;
		case ':':
			pr_err("option '%s' needs an argument (see --help)", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			pr_err("unknown option '%s' (see --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

/* Semantic checks shared by run and the dump commands. */
static int check_config(bool need_kernel)
{
	uint64_t min_ram = config.firmware ? MIN_RAM_FIRMWARE : 32ULL << 20;
	char got[40];
	unsigned i;

	if (need_kernel && !config.kernel) {
		pr_err("no kernel given (use --kernel IMAGE)");
		return EXIT_USAGE;
	}
	if (config.ncpus == 0 || config.ncpus > MAX_VCPUS) {
		pr_err("--cpus must be between 1 and %llu, got %u",
		       (unsigned long long)MAX_VCPUS, config.ncpus);
		return EXIT_USAGE;
	}
	if (config.ram_size < min_ram || !IS_ALIGNED(config.ram_size, SZ_2M)) {
		pr_err("--memory must be a multiple of 2 MiB and at least %llu MiB%s, got %s",
		       (unsigned long long)(min_ram >> 20),
		       config.firmware ? " for firmware boot" : "",
		       size_format(got, sizeof(got), config.ram_size, config.ram_unit));
		return EXIT_USAGE;
	}
	if (config.ras && !RAS_ENABLED) {
		pr_err("--ras is not available: this build has CONFIG_RAS disabled");
		return EXIT_USAGE;
	}
	if (config.ras && !config.firmware) {
		pr_err("--ras needs firmware boot (ACPI/HEST); drop --no-firmware");
		return EXIT_USAGE;
	}
	if (config.vars && !config.firmware) {
		pr_err("--vars needs firmware boot; drop --no-firmware");
		return EXIT_USAGE;
	}
	if ((config.ndisks && !virtio_blk_dev_class()) || (config.rng && !virtio_rng_dev_class())) {
		pr_err("--disk and --rng are not available: this build has CONFIG_VIRTIO disabled");
		return EXIT_USAGE;
	}
	if (config.virtio_console && !virtio_console_dev_class()) {
		pr_err("--console virtio is not available: this build has CONFIG_VIRTIO disabled");
		return EXIT_USAGE;
	}
	if (config.nnets && !virtio_net_dev_class()) {
		pr_err("--net is not available: this build has CONFIG_VIRTIO disabled");
		return EXIT_USAGE;
	}
	/* Disk images: missing, locked, empty or odd-sized images are
	 * reported now, before KVM or anything else is set up. */
	for (i = 0; i < config.ndisks; i++)
		if (virtio_blk_check(&config.disks[i]))
			return EXIT_VMM_ERROR;
	/* Taps (run only: dumping tables needs no network): no tun device,
	 * no right to create one, or a tap in use, in one line now. */
	for (i = 0; need_kernel && i < config.nnets; i++)
		if (virtio_net_check(&config.nets[i]))
			return EXIT_VMM_ERROR;
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
	/* Everything is opened and mapped: from here on, only the calls the
	 * running VM needs (CPER timestamps are UTC, computed without the C
	 * library's time-zone files). */
	if (seccomp_install()) {
		vm_destroy(vm);
		return EXIT_VMM_ERROR;
	}
	status = vm_run(vm);
	vm_destroy(vm);
	trace_boot("exit");
	return status;
}

static int cmd_dump_dtb(const char *path)
{
	struct vm vm_probe = { .cfg = &config, .kernel_fd = -1, .initrd_fd = -1 };
	struct boot_layout *lay = NULL;
	static uint8_t buf[DTB_MAX_SIZE];
	struct devlist devs;
	FILE *f;
	int n;

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
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
		pr_err("cannot write '%s': %m", path);
		return EXIT_VMM_ERROR;
	}
	return 0;
}

/* Build the tables as for 'run', apply the loader script at made-up
 * addresses (what the firmware would do) and write DIR/SIG.dat each, ready
 * for 'iasl -d'. */
static int cmd_dump_acpi(const char *dir)
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
	char path[4096];
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
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		pr_err("cannot create '%s': %m", dir);
		acpi_build_free(&b);
		return EXIT_VMM_ERROR;
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
	acpi_build_free(&b);
	return ret ? EXIT_VMM_ERROR : 0;
}

int main(int argc, char **argv)
{
	const char *cmd, *arg = NULL;
	int ret;

	/* A closed stdout pipe, console or control client must fail a write
	 * (EPIPE, handled where it happens), not end the VMM. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("microvm-ras %s\n", MVR_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "ctl"))
		return ctl_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "dump-dtb") || !strcmp(cmd, "dump-acpi")) {
		if (argc < 3 || argv[2][0] == '-') {
			pr_err("%s needs an output path", cmd);
			return EXIT_USAGE;
		}
		arg = argv[2];
		argv += 2;
		argc -= 2;
	} else if (!strcmp(cmd, "run")) {
		argv += 1;
		argc -= 1;
	} else {
		pr_err("unknown command '%s' (expected run, dump-dtb, dump-acpi or ctl; see --help)", cmd);
		return EXIT_USAGE;
	}
	ret = parse_options(argc, argv);
	if (ret)
		return ret < 0 ? 0 : ret;
	ret = check_config(!strcmp(cmd, "run"));
	if (ret)
		return ret;
	trace_boot("config parsed");
	if (!strcmp(cmd, "run"))
		return cmd_run();
	if (!strcmp(cmd, "dump-dtb"))
		return cmd_dump_dtb(arg);
	return cmd_dump_acpi(arg);
}
