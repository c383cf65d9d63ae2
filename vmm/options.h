/* The VMM's options in one table (options.c): each has a command-line
 * spelling (--NAME, maybe -X) and the same NAME as a key of the JSON
 * configuration file (config_file.c), one parser for both, and the
 * subcommands that use it. A new option is one table line. */
#ifndef MVR_OPTIONS_H
#define MVR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "vm_config.h"

/* Subcommands, as bits of an option's scope. */
enum opt_cmd {
	OPT_CMD_RUN = 1u << 0,
	OPT_CMD_DUMP_DTB = 1u << 1,
	OPT_CMD_DUMP_ACPI = 1u << 2,
};

enum opt_kind {
	OPT_KIND_VALUE,   /* --NAME ARG; a JSON string (or number, json_int) */
	OPT_KIND_FLAG,    /* --NAME; a JSON boolean (false: leave the default) */
	OPT_KIND_LIST,    /* repeatable --NAME ARG; a JSON array of ARG strings or
			   * objects whose members are ARG's parts */
};

/* Where a value comes from: what error lines say before the message. */
struct opt_src {
	const char *file;         /* the config file, NULL: the command line */
	const char *key;          /* the JSON key being read (file only) */
};

struct opt_def {
	const char *name;         /* --NAME and the config file key */
	char short_name;          /* -X, or 0 */
	enum opt_kind kind;
	unsigned scope;           /* OPT_CMD_* bits of the commands using it */
	bool json_int;            /* VALUE: a JSON integer is also accepted
				   * (written as its decimal digits) */
	const char *head;         /* LIST: the JSON object member holding the
				   * leading positional part (disk: "path") */
	/* VALUE and FLAG (arg NULL): store into cfg. LIST: one whole ARG
	 * string. Returns 0, or -EINVAL after one error line. */
	int (*set)(struct vm_config *cfg, const struct opt_src *src, const char *arg);
	/* LIST only: one element from its parts: the head (or NULL) and the
	 * "name" / "name=value" parts. Returns 0 or -EINVAL after one line. */
	int (*add)(struct vm_config *cfg, const struct opt_src *src, const char *head,
		   const char *const *parts, unsigned nparts);
	/* LIST only: empty the list (a command line's list replaces the
	 * file's). */
	void (*clear)(struct vm_config *cfg);
};

/* The table, and its length. */
extern const struct opt_def opt_table[];
extern const unsigned opt_count;

/* The option named 'name' (no dashes), or NULL. */
const struct opt_def *opt_find(const char *name);

/* The configuration before any option: the defaults. */
void opt_defaults(struct vm_config *cfg);

/* A copy of 's' owned by cfg until opt_free(cfg), or NULL (no memory). */
char *opt_strdup(struct vm_config *cfg, const char *s);
/* Free the strings the options copied (cfg's pointers into them die). */
void opt_free(struct vm_config *cfg);

/* Print one error line, prefixed with where the value came from
 * ("config 'vm.json': key 'disk': " for the file). */
void opt_err(const struct opt_src *src, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The command line's own switches, beside the table's options. */
struct opt_cli {
	const char *config_file;  /* --config FILE, or NULL */
	bool check;               /* run --check */
	bool force;               /* dump-acpi --force: into a non-empty DIR */
	bool help, version;       /* printed: the caller exits 0 */
};

/* How a 'run' configuration boots. */
enum opt_boot {
	OPT_BOOT_DIRECT,          /* --kernel with --no-firmware: the VMM loads it */
	OPT_BOOT_FW_KERNEL,       /* --kernel through the firmware (fw_cfg items) */
	OPT_BOOT_FW_DISK,         /* no --kernel: the firmware boots what a --disk
				   * holds (EFI system partition), as QEMU -M virt */
};

/* The boot mode of cfg (kernel, initrd, cmdline, firmware, disks), or
 * -EINVAL with the reason, one line, in why[len]: --initrd or --cmdline
 * without --kernel, no kernel with --no-firmware, or neither a kernel nor
 * a disk for the firmware. Pure: prints nothing. */
int opt_boot_mode(const struct vm_config *cfg, char *why, size_t len);

/* Parse argv[0..argc) (argv[0] is the subcommand) for subcommand 'cmd'
 * into cfg: first --config FILE (config_file_load), then every other option
 * over it, so the command line overrides the file; a repeatable option
 * given on the command line replaces the file's list. Options that 'cmd'
 * does not use are refused, as is --firmware with --no-firmware. Returns 0,
 * or -EINVAL after one error line. */
int opt_parse_argv(struct vm_config *cfg, struct opt_cli *cli, enum opt_cmd cmd,
		   int argc, char **argv);

#endif
