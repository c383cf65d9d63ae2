/* The VMM's options (see options.h): one table gives each option its
 * command-line spelling, its config-file key (the same name), its parser
 * and the subcommands that use it; argv is parsed from that table with
 * getopt_long. The values' grammar is documented in README.md. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/memmap.h"
#include "config_file.h"
#include "jail.h"
#include "log.h"
#include "mem.h"
#include "options.h"
#include "size.h"
#include "trace.h"

void opt_defaults(struct vm_config *cfg)
{
	*cfg = (struct vm_config){
		.ram_size = DEFAULT_MEMORY,
		.ram_unit = SIZE_MIB,
		.ncpus = 1,
		.firmware = DEFAULT_FIRMWARE,
	};
}

/* A copy of 's' that lives as long as cfg (opt_free), or NULL. */
struct opt_string {
	struct opt_string *next;
	char s[];
};

char *opt_strdup(struct vm_config *cfg, const char *s)
{
	size_t len = strlen(s) + 1;
	struct opt_string *n = malloc(sizeof(*n) + len);

	if (!n)
		return NULL;
	memcpy(n->s, s, len);
	n->next = cfg->strings;
	cfg->strings = n;
	return n->s;
}

void opt_free(struct vm_config *cfg)
{
	struct opt_string *n = cfg->strings, *next;

	for (; n; n = next) {
		next = n->next;
		free(n);
	}
	cfg->strings = NULL;
}

void opt_err(const struct opt_src *src, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (src && src->file)
		pr_err("config '%s': key '%s': %s", src->file, src->key ? src->key : "?", msg);
	else
		pr_err("%s", msg);
}

/* --memory: the size grammar of size.h (a bare number is MiB), then the
 * memory map's limit, before anything is opened. The minimum depends on
 * the boot mode and is checked later (main.c). */
static int set_memory(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	char got[40], max[40];
	size_t len = strlen(arg);
	uint64_t size, unit;
	int ret;

	ret = size_parse(arg, SIZE_MIB, &size, &unit);
	if (ret == -ERANGE) {
		opt_err(src, "--memory '%s' is too large (more than 16 EiB)", arg);
		return -EINVAL;
	}
	if (ret) {
		opt_err(src, "invalid --memory '%s' (expected e.g. 512M, 2G or 0x200M: a number, decimal or 0x hex, with an optional K, M, G or T suffix; a bare number is MiB)",
			arg);
		return -EINVAL;
	}
	if (size > MEMMAP_RAM_MAX) {
		opt_err(src, "--memory '%s' is %s, more than the %s of guest RAM the memory map has room for (%d-bit guest physical addresses)%s",
			arg, size_format(got, sizeof(got), size, unit),
			size_format(max, sizeof(max), MEMMAP_RAM_MAX, unit), MEMMAP_IPA_BITS,
			len && arg[len - 1] >= '0' && arg[len - 1] <= '9' ? "; a bare number is MiB" : "");
		return -EINVAL;
	}
	cfg->ram_size = size;
	cfg->ram_unit = unit;
	return 0;
}

/* --cpus: a number in --memory's syntax (decimal or 0x hex); the range is
 * checked with the rest of the configuration. */
static int set_cpus(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	uint64_t v;
	int ret = size_parse_count(arg, UINT32_MAX, &v);

	if (ret == -ERANGE) {
		opt_err(src, "--cpus must be between 1 and %llu, got %s",
			(unsigned long long)MAX_VCPUS, arg);
		return -EINVAL;
	}
	if (ret) {
		opt_err(src, "invalid --cpus '%s' (expected a number, decimal or 0x hex)", arg);
		return -EINVAL;
	}
	cfg->ncpus = (unsigned)v;
	return 0;
}

static int set_mem_backend(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	if (mem_backend_parse(arg, &cfg->mem_backend)) {
		opt_err(src, "invalid --memory-backend '%s' (expected anon, hugetlb or thp)", arg);
		return -EINVAL;
	}
	return 0;
}

static int set_on_panic(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	if (strcmp(arg, "exit") && strcmp(arg, "pause")) {
		opt_err(src, "invalid --on-panic '%s' (expected exit or pause)", arg);
		return -EINVAL;
	}
	cfg->panic_pause = !strcmp(arg, "pause");
	return 0;
}

static int set_console(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	if (strcmp(arg, "pl011") && strcmp(arg, "virtio")) {
		opt_err(src, "invalid --console '%s' (expected pl011 or virtio)", arg);
		return -EINVAL;
	}
	cfg->virtio_console = !strcmp(arg, "virtio");
	return 0;
}

/* --user UID:GID (jail.c's grammar). */
static int set_user(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	char why[160];

	if (jail_parse_user(arg, &cfg->uid, &cfg->gid, why, sizeof(why))) {
		opt_err(src, "%s", why);
		return -EINVAL;
	}
	cfg->jail_user = true;
	return 0;
}

static int set_chroot(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	if (!*arg) {
		opt_err(src, "--chroot needs a directory");
		return -EINVAL;
	}
	cfg->chroot_dir = arg;
	return 0;
}

/* --serial stdio|file=PATH|pty|socket=PATH|off (the PL011's host side,
 * chardev.c). A socket path must fit sockaddr_un's sun_path. */
static int set_serial(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	static const char expected[] = "expected stdio, file=PATH, pty, socket=PATH or off";
	struct serial_config sc = { SERIAL_STDIO, NULL };

	if (!strcmp(arg, "stdio")) {
		sc.kind = SERIAL_STDIO;
	} else if (!strcmp(arg, "pty")) {
		sc.kind = SERIAL_PTY;
	} else if (!strcmp(arg, "off")) {
		sc.kind = SERIAL_OFF;
	} else if (!strncmp(arg, "file=", 5)) {
		sc.kind = SERIAL_FILE;
		sc.path = arg + 5;
	} else if (!strncmp(arg, "socket=", 7)) {
		sc.kind = SERIAL_SOCKET;
		sc.path = arg + 7;
	} else {
		opt_err(src, "invalid --serial '%s' (%s)", arg, expected);
		return -EINVAL;
	}
	if (sc.path && !*sc.path) {
		opt_err(src, "--serial '%s' has no path (%s)", arg, expected);
		return -EINVAL;
	}
	if (sc.kind == SERIAL_SOCKET && strlen(sc.path) > SERIAL_SOCKET_PATH_MAX) {
		opt_err(src, "--serial socket path '%s' is longer than %d bytes", sc.path,
			SERIAL_SOCKET_PATH_MAX);
		return -EINVAL;
	}
	cfg->serial = sc;
	return 0;
}

/* Plain strings and flags: the table's one-liners. */
#define SET_STR(fn, field)                                                              \
	static int fn(struct vm_config *cfg, const struct opt_src *src, const char *arg) \
	{                                                                               \
		cfg->field = arg;                                                       \
		return 0;                                                               \
	}
#define SET_FLAG(fn, stmt)                                                              \
	static int fn(struct vm_config *cfg, const struct opt_src *src, const char *arg) \
	{                                                                               \
		stmt;                                                                   \
		return 0;                                                               \
	}
SET_STR(set_kernel, kernel)
SET_STR(set_initrd, initrd)
SET_STR(set_cmdline, cmdline)
SET_STR(set_firmware, firmware)
SET_STR(set_vars, vars)
SET_STR(set_api_socket, api_socket)
SET_FLAG(set_no_firmware, cfg->firmware = NULL)
SET_FLAG(set_ras, cfg->ras = true)
SET_FLAG(set_no_reboot, cfg->no_reboot = true)
SET_FLAG(set_rng, cfg->rng = true)
SET_FLAG(set_trace_boot, trace_boot_enable())
SET_FLAG(set_verbose, log_level = LOG_DEBUG)
SET_FLAG(set_quiet, log_level = LOG_ERROR)

/* Split a copy of 'arg' at commas into parts[] (at most 'max'); the
 * configuration keeps pointers into the copy for the life of the process.
 * Returns the number of parts, or -EINVAL after one error line. */
static int split_parts(struct vm_config *cfg, const struct opt_src *src, const char *name,
		       const char *arg, const char **parts, unsigned max)
{
	char *s = opt_strdup(cfg, arg), *tok;
	unsigned n = 0;

	if (!s) {
		opt_err(src, "out of memory");
		return -EINVAL;
	}
	while ((tok = strsep(&s, ","))) {
		if (n == max) {
			opt_err(src, "--%s '%s' has too many parts", name, arg);
			return -EINVAL;
		}
		parts[n++] = tok;
	}
	return (int)n;
}

#define MAX_PARTS 8

/* One disk: PATH and its ro / serial=ID / direct parts. */
static int add_disk(struct vm_config *cfg, const struct opt_src *src, const char *path,
		    const char *const *parts, unsigned nparts)
{
	struct disk_config dc = { .path = path };
	unsigned i;

	if (cfg->ndisks == MAX_DISKS) {
		opt_err(src, "too many --disk options (at most %d)", MAX_DISKS);
		return -EINVAL;
	}
	if (!path || !*path) {
		opt_err(src, "--disk has no path (expected PATH[,ro][,serial=ID][,direct])");
		return -EINVAL;
	}
	for (i = 0; i < nparts; i++) {
		const char *tok = parts[i];

		if (!strcmp(tok, "ro")) {
			dc.readonly = true;
		} else if (!strcmp(tok, "direct")) {
			dc.direct = true;
		} else if (!strncmp(tok, "serial=", 7)) {
			dc.serial = tok + 7;
			if (strlen(dc.serial) > 20) {
				opt_err(src, "--disk serial '%s' is longer than 20 bytes", dc.serial);
				return -EINVAL;
			}
		} else {
			opt_err(src, "unknown --disk option '%s' (expected ro, serial=ID or direct)",
				tok);
			return -EINVAL;
		}
	}
	cfg->disks[cfg->ndisks++] = dc;
	return 0;
}

static void clear_disks(struct vm_config *cfg)
{
	cfg->ndisks = 0;
}

static int set_disk(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	const char *parts[MAX_PARTS];
	int n = split_parts(cfg, src, "disk", arg, parts, MAX_PARTS);

	if (n < 0)
		return n;
	return add_disk(cfg, src, parts[0], parts + 1, (unsigned)n - 1);
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

/* One interface from its tap=NAME / mac=MAC parts (no head). */
static int add_net(struct vm_config *cfg, const struct opt_src *src, const char *head,
		   const char *const *parts, unsigned nparts)
{
	struct net_config nc = { 0 };
	unsigned i;

	if (cfg->nnets == MAX_NETS) {
		opt_err(src, "too many --net options (at most %d)", MAX_NETS);
		return -EINVAL;
	}
	for (i = 0; i < nparts; i++) {
		const char *tok = parts[i];

		if (!strncmp(tok, "tap=", 4)) {
			nc.tap = tok + 4;
			if (!valid_ifname(nc.tap)) {
				opt_err(src, "--net tap name '%s' is not an interface name (1 to %d bytes, no '/', ':' or spaces)",
					nc.tap, NET_TAP_NAME_MAX);
				return -EINVAL;
			}
		} else if (!strncmp(tok, "mac=", 4)) {
			if (parse_mac(tok + 4, nc.mac)) {
				opt_err(src, "invalid --net mac '%s' (expected xx:xx:xx:xx:xx:xx)",
					tok + 4);
				return -EINVAL;
			}
			if (nc.mac[0] & 1) {
				opt_err(src, "--net mac '%s' is a multicast address", tok + 4);
				return -EINVAL;
			}
			nc.has_mac = true;
		} else {
			opt_err(src, "unknown --net option '%s' (expected tap=NAME or mac=MAC)", tok);
			return -EINVAL;
		}
	}
	if (!nc.tap) {
		opt_err(src, "--net has no tap= (expected tap=NAME[,mac=MAC])");
		return -EINVAL;
	}
	for (i = 0; i < cfg->nnets; i++) {
		if (!strcmp(cfg->nets[i].tap, nc.tap)) {
			opt_err(src, "--net tap '%s' is given twice", nc.tap);
			return -EINVAL;
		}
	}
	cfg->nets[cfg->nnets++] = nc;
	return 0;
}

static void clear_nets(struct vm_config *cfg)
{
	cfg->nnets = 0;
}

static int set_net(struct vm_config *cfg, const struct opt_src *src, const char *arg)
{
	const char *parts[MAX_PARTS];
	int n = split_parts(cfg, src, "net", arg, parts, MAX_PARTS);

	if (n < 0)
		return n;
	return add_net(cfg, src, NULL, parts, (unsigned)n);
}

int opt_boot_mode(const struct vm_config *cfg, char *why, size_t len)
{
	if (cfg->kernel)
		return cfg->firmware ? OPT_BOOT_FW_KERNEL : OPT_BOOT_DIRECT;
	/* The firmware takes the command line and initrd from the disk's
	 * boot entry (e.g. startup.nsh); ours would go nowhere. */
	if (cfg->initrd || cfg->cmdline) {
		snprintf(why, len, "%s need%s --kernel (booting from a disk, the firmware takes the kernel's command line and initrd from the disk's boot entry)",
			 cfg->initrd && cfg->cmdline ? "--initrd and --cmdline" :
			 cfg->initrd ? "--initrd" : "--cmdline",
			 cfg->initrd && cfg->cmdline ? "" : "s");
		return -EINVAL;
	}
	if (!cfg->firmware) {
		snprintf(why, len, "no kernel given (use --kernel IMAGE; without one, only the firmware can boot, from a --disk)");
		return -EINVAL;
	}
	if (!cfg->ndisks) {
		snprintf(why, len, "nothing to boot: no --kernel, and no --disk for the firmware to boot from (give --kernel IMAGE, or --disk with an EFI system partition)");
		return -EINVAL;
	}
	return OPT_BOOT_FW_DISK;
}

#define ALL (OPT_CMD_RUN | OPT_CMD_DUMP_DTB | OPT_CMD_DUMP_ACPI)
#define RUN OPT_CMD_RUN
#define RUN_DTB (OPT_CMD_RUN | OPT_CMD_DUMP_DTB)

const struct opt_def opt_table[] = {
	{ "kernel", 'k', OPT_KIND_VALUE, RUN_DTB, .set = set_kernel },
	{ "initrd", 'i', OPT_KIND_VALUE, RUN_DTB, .set = set_initrd },
	{ "cmdline", 'c', OPT_KIND_VALUE, RUN_DTB, .set = set_cmdline },
	{ "memory", 'm', OPT_KIND_VALUE, ALL, .json_int = true, .set = set_memory },
	{ "cpus", 'p', OPT_KIND_VALUE, ALL, .json_int = true, .set = set_cpus },
	{ "memory-backend", 0, OPT_KIND_VALUE, RUN, .set = set_mem_backend },
	{ "firmware", 0, OPT_KIND_VALUE, RUN_DTB, .set = set_firmware },
	{ "no-firmware", 0, OPT_KIND_FLAG, RUN_DTB, .set = set_no_firmware },
	{ "vars", 0, OPT_KIND_VALUE, RUN, .set = set_vars },
	{ "ras", 0, OPT_KIND_FLAG, ALL, .set = set_ras },
	{ "no-reboot", 0, OPT_KIND_FLAG, RUN, .set = set_no_reboot },
	{ "on-panic", 0, OPT_KIND_VALUE, RUN, .set = set_on_panic },
	{ "api-socket", 0, OPT_KIND_VALUE, RUN, .set = set_api_socket },
	{ "disk", 0, OPT_KIND_LIST, ALL, .head = "path", .set = set_disk, .add = add_disk,
	  .clear = clear_disks },
	{ "rng", 0, OPT_KIND_FLAG, ALL, .set = set_rng },
	{ "console", 0, OPT_KIND_VALUE, ALL, .set = set_console },
	{ "serial", 0, OPT_KIND_VALUE, RUN, .set = set_serial },
	{ "net", 0, OPT_KIND_LIST, ALL, .set = set_net, .add = add_net,
	  .clear = clear_nets },
	{ "chroot", 0, OPT_KIND_VALUE, RUN, .set = set_chroot },
	{ "user", 0, OPT_KIND_VALUE, RUN, .set = set_user },
	{ "trace-boot", 0, OPT_KIND_FLAG, ALL, .set = set_trace_boot },
	{ "verbose", 'v', OPT_KIND_FLAG, ALL, .set = set_verbose },
	{ "quiet", 'q', OPT_KIND_FLAG, ALL, .set = set_quiet },
};
const unsigned opt_count = sizeof(opt_table) / sizeof(opt_table[0]);

const struct opt_def *opt_find(const char *name)
{
	unsigned i;

	for (i = 0; i < opt_count; i++)
		if (!strcmp(opt_table[i].name, name))
			return &opt_table[i];
	return NULL;
}

/* getopt_long values: the table's index + OPT_VAL_BASE; then the command
 * line's own switches. */
enum {
	OPT_VAL_BASE = 0x100,
	OPT_VAL_CONFIG = 0x200, OPT_VAL_CHECK, OPT_VAL_FORCE, OPT_VAL_HELP, OPT_VAL_VERSION,
};

static const char *cmd_name(enum opt_cmd cmd)
{
	return cmd == OPT_CMD_RUN ? "run" : cmd == OPT_CMD_DUMP_DTB ? "dump-dtb" : "dump-acpi";
}

int opt_parse_argv(struct vm_config *cfg, struct opt_cli *cli, enum opt_cmd cmd,
		   int argc, char **argv)
{
	struct option lo[sizeof(opt_table) / sizeof(opt_table[0]) + 6];
	char shorts[2 * sizeof(opt_table) / sizeof(opt_table[0]) + 8];
	bool seen[sizeof(opt_table) / sizeof(opt_table[0])] = { false };
	const struct opt_def *fw, *nofw;
	unsigned i, ns = 0;
	int c, pass;

	shorts[ns++] = ':';
	for (i = 0; i < opt_count; i++) {
		const struct opt_def *d = &opt_table[i];

		lo[i] = (struct option){ d->name,
			d->kind == OPT_KIND_FLAG ? no_argument : required_argument, NULL,
			(int)(OPT_VAL_BASE + i) };
		if (d->short_name) {
			shorts[ns++] = d->short_name;
			if (d->kind != OPT_KIND_FLAG)
				shorts[ns++] = ':';
		}
	}
	shorts[ns++] = 'h';
	shorts[ns] = '\0';
	lo[i++] = (struct option){ "config", required_argument, NULL, OPT_VAL_CONFIG };
	lo[i++] = (struct option){ "check", no_argument, NULL, OPT_VAL_CHECK };
	lo[i++] = (struct option){ "force", no_argument, NULL, OPT_VAL_FORCE };
	lo[i++] = (struct option){ "help", no_argument, NULL, OPT_VAL_HELP };
	lo[i++] = (struct option){ "version", no_argument, NULL, OPT_VAL_VERSION };
	lo[i] = (struct option){ NULL, 0, NULL, 0 };

	*cli = (struct opt_cli){ 0 };
	opterr = 0;
	/* Pass 0 reads --config only (errors wait for pass 1), so that the
	 * file is under every other option whatever the order. */
	for (pass = 0; pass < 2; pass++) {
		optind = 0; /* glibc: a full reset */
		while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
			const struct opt_def *d;

			if (c == 'h')
				c = OPT_VAL_HELP;
			for (i = 0; i < opt_count && !(c < 0x80 && c == opt_table[i].short_name); i++)
				;
			if (i < opt_count)
				c = (int)(OPT_VAL_BASE + i);
			if (pass == 0) {
				if (c == OPT_VAL_CONFIG) {
					if (cli->config_file) {
						pr_err("--config is given twice");
						return -EINVAL;
					}
					cli->config_file = optarg;
				}
				continue;
			}
			switch (c) {
			case OPT_VAL_CONFIG:
				continue;
			case OPT_VAL_CHECK:
				if (cmd != OPT_CMD_RUN) {
					pr_err("--check is for 'run' only");
					return -EINVAL;
				}
				cli->check = true;
				continue;
			case OPT_VAL_FORCE:
				if (cmd != OPT_CMD_DUMP_ACPI) {
					pr_err("--force is for 'dump-acpi' only");
					return -EINVAL;
				}
				cli->force = true;
				continue;
			case OPT_VAL_HELP:
				cli->help = true;
				return 0;
			case OPT_VAL_VERSION:
				cli->version = true;
				return 0;
			case ':':
				pr_err("option '%s' needs an argument (see --help)", argv[optind - 1]);
				return -EINVAL;
			case '?':
				pr_err("unknown option '%s' (see --help)", argv[optind - 1]);
				return -EINVAL;
			}
			d = &opt_table[c - OPT_VAL_BASE];
			if (!(d->scope & cmd)) {
				pr_err("--%s is not used by '%s' (see --help)", d->name, cmd_name(cmd));
				return -EINVAL;
			}
			/* The command line's first --disk/--net replaces the
			 * file's list; later ones add to it. */
			if (d->clear && !seen[d - opt_table])
				d->clear(cfg);
			seen[d - opt_table] = true;
			if (d->set(cfg, NULL, optarg))
				return -EINVAL;
		}
		if (pass == 0 && cli->config_file && config_file_load(cfg, cli->config_file))
			return -EINVAL;
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	fw = opt_find("firmware");
	nofw = opt_find("no-firmware");
	if (seen[fw - opt_table] && seen[nofw - opt_table]) {
		pr_err("--firmware and --no-firmware exclude each other");
		return -EINVAL;
	}
	return 0;
}
