/* 'microvm-ras ctl': command-line client of the JSON control socket
 * (DESIGN.md section 9, protocol in control.h). Builds one request from
 * key=value pairs (or takes it raw), prints the one-line reply. */
#ifndef MVR_CTL_H
#define MVR_CTL_H

#include "log.h"

#ifdef CONFIG_CONTROL_API

/* argv[0] is "ctl" (grammar in ctl_args.h; options anywhere):
 *   ctl [--api-socket PATH] [--timeout SECS] [--pretty] COMMAND [key=value ...]
 *   ctl [--api-socket PATH] [--timeout SECS] [--pretty] --raw JSON
 * The socket defaults to $MICROVM_RAS_SOCKET. A missing path, a path that
 * is not a socket and a socket nobody listens on each get their own line.
 * Values that parse as integers (decimal, 0x hex, negative decimal) are sent
 * as JSON numbers, others as strings. Prints the reply line to stdout
 * (indented with --pretty).
 * Returns the exit status: 0 for a "return" reply, 1 for an "error" reply
 * or a connection problem (one pr_err line), 2 for a usage error. */
int ctl_main(int argc, char **argv);

#else

static inline int ctl_main(int argc, char **argv)
{
	pr_err("ctl: this build has no control socket (CONFIG_CONTROL_API)");
	return 1;
}

#endif

#endif
