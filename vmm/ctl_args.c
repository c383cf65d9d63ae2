/* 'microvm-ras ctl' command-line parsing (see ctl_args.h): options
 * anywhere (before or after the command), the socket from --api-socket or
 * $MICROVM_RAS_SOCKET, the mutually exclusive --raw / --qmp / --pretty
 * combinations, the --timeout range. Pure: the result or one reason. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "control_proto.h"
#include "ctl_args.h"

/* "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i past it.
 * Returns 1 when matched (*val set, NULL if the value is missing), else 0. */
static int opt_value(int argc, char *const *argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		(*i)++;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	*val = *i + 1 < argc ? argv[*i + 1] : NULL;
	*i += 2;
	return 1;
}

int ctl_parse_args(int argc, char *const *argv, const char *env_socket, const char **kv,
		   struct ctl_opts *o, char *why, size_t len)
{
	const char *val, *timeout = NULL, *first_pos = NULL;
	bool options_done = false;
	uint64_t t;
	int i = 1, npos = 0;

	*o = (struct ctl_opts){ .kv = kv, .timeout_s = CTL_DEFAULT_TIMEOUT_S };
	while (i < argc) {
		const char *a = argv[i];

		/* Positional: the command, then its key=value arguments. */
		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (!first_pos)
				first_pos = a;
			kv[npos++] = a;
			i++;
			continue;
		}
		if (!strcmp(a, "--")) {
			options_done = true;
			i++;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return CTL_PARSE_HELP;
		if (!strcmp(a, "--qmp")) {
			o->qmp = true;
			i++;
			continue;
		}
		if (!strcmp(a, "--pretty")) {
			o->pretty = true;
			i++;
			continue;
		}
		if (opt_value(argc, argv, &i, "--api-socket", &val)) {
			o->socket = val;
		} else if (opt_value(argc, argv, &i, "--raw", &val)) {
			o->raw = val;
		} else if (opt_value(argc, argv, &i, "--timeout", &val)) {
			timeout = val;
		} else {
			snprintf(why, len, "ctl: unknown option '%s' (see ctl --help)", a);
			return -EINVAL;
		}
		if (!val) {
			snprintf(why, len, "ctl: option '%s' needs a value", a);
			return -EINVAL;
		}
	}
	if (o->socket && !*o->socket) {
		snprintf(why, len, "ctl: --api-socket is empty");
		return -EINVAL;
	}
	if (!o->socket && env_socket && *env_socket)
		o->socket = env_socket;
	if (!o->socket) {
		snprintf(why, len, "ctl: no socket given (use --api-socket PATH or set %s)",
			 CTL_SOCKET_ENV);
		return -EINVAL;
	}
	if (timeout) {
		if (ctlp_parse_u64(timeout, &t) || t == 0 || t > 3600) {
			snprintf(why, len, "ctl: invalid --timeout '%s' (seconds, 1..3600)", timeout);
			return -EINVAL;
		}
		o->timeout_s = (unsigned)t;
	}
	if (o->raw && o->qmp) {
		snprintf(why, len, "ctl: --raw and --qmp cannot be combined");
		return -EINVAL;
	}
	if (o->pretty && o->qmp) {
		snprintf(why, len, "ctl: --pretty and --qmp cannot be combined (--qmp copies the stream as it is)");
		return -EINVAL;
	}
	if (o->raw || o->qmp) {
		if (npos) {
			snprintf(why, len, "ctl: unexpected argument '%s' with %s", first_pos,
				 o->raw ? "--raw" : "--qmp");
			return -EINVAL;
		}
		return CTL_PARSE_OK;
	}
	if (!npos) {
		snprintf(why, len, "ctl: no command given (see ctl --help)");
		return -EINVAL;
	}
	o->command = kv[0];
	o->kv = kv + 1;
	o->nkv = npos - 1;
	if (!strcmp(o->command, "events") && o->nkv) {
		snprintf(why, len, "ctl: 'events' takes no arguments");
		return -EINVAL;
	}
	return CTL_PARSE_OK;
}
