/* The command line of 'microvm-ras ctl' (ctl.c), parsed without touching
 * the socket, the environment or stdout, so that it is unit tested
 * (tests/unit/test_ctl_args.c). Options may come before or after the
 * command; "--" ends them. */
#ifndef MVR_CTL_ARGS_H
#define MVR_CTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* The environment variable naming the socket when --api-socket is absent. */
#define CTL_SOCKET_ENV "MICROVM_RAS_SOCKET"

#define CTL_DEFAULT_TIMEOUT_S 10

struct ctl_opts {
	const char *socket;        /* --api-socket, else $MICROVM_RAS_SOCKET */
	const char *raw;           /* --raw JSON, or NULL */
	bool qmp;                  /* --qmp: raw stream, no handshake */
	bool pretty;               /* --pretty: indent reply/event JSON */
	const char *command;       /* NULL with --raw or --qmp */
	const char **kv;           /* key=value arguments, in order */
	int nkv;
	unsigned timeout_s;
};

enum ctl_parse_result {
	CTL_PARSE_OK = 0,
	CTL_PARSE_HELP = 1,        /* --help / -h: print the usage, exit 0 */
};

/* Parse argv[1..argc) (argv[0] is "ctl") into *o; env_socket is the value
 * of CTL_SOCKET_ENV (NULL or "" when unset). o->kv points into a
 * caller-provided array kv[] of at least argc entries. Returns
 * CTL_PARSE_OK, CTL_PARSE_HELP, or -EINVAL with one line (no prefix, no
 * newline) in why[len]. */
int ctl_parse_args(int argc, char *const *argv, const char *env_socket, const char **kv,
		   struct ctl_opts *o, char *why, size_t len);

#endif
