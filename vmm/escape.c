/* Console escape sequences (escape.h): a two-state parser, Ctrl-A then a
 * command key. The keys follow QEMU's character-device multiplexer
 * (docs: "Keys in the character backend multiplexer"): x quits, h help,
 * Ctrl-A Ctrl-A sends one Ctrl-A. 'c' (QEMU's monitor switch) only points
 * to the control socket: there is no monitor on the console. */
#include "escape.h"

const char escape_help[] =
	"\r\nmicrovm-ras console keys (Ctrl-A, then):\r\n"
	"  x        quit (exit status 5, as the control socket's 'quit')\r\n"
	"  h or ?   this help\r\n"
	"  Ctrl-A   send Ctrl-A to the guest\r\n"
	"  c        (no monitor on the console: use --api-socket and 'microvm-ras ctl')\r\n"
	"Any other key after Ctrl-A is ignored; Ctrl-C goes to the guest.\r\n";

static enum escape_cmd key_cmd(uint8_t c)
{
	switch (c) {
	case 'x':
	case 'X':
		return ESCAPE_QUIT;
	case 'h':
	case 'H':
	case '?':
		return ESCAPE_HELP;
	case 'c':
	case 'C':
		return ESCAPE_MONITOR;
	default:
		return ESCAPE_UNKNOWN;
	}
}

size_t escape_feed(struct escape *e, const uint8_t *in, size_t len, uint8_t *out, size_t *nout,
		   enum escape_cmd *cmd)
{
	size_t i;

	*cmd = ESCAPE_NONE;
	for (i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (!e->pending) {
			if (c == ESCAPE_CHAR)
				e->pending = true;
			else
				out[(*nout)++] = c;
			continue;
		}
		e->pending = false;
		if (c == ESCAPE_CHAR) {
			out[(*nout)++] = c;
			continue;
		}
		*cmd = key_cmd(c);
		return i + 1;
	}
	return len;
}
