/* The console escape character on a terminal (QEMU's -serial mon:stdio
 * keys): Ctrl-A then a key is a command for the VMM, every other byte goes
 * to the guest, so that Ctrl-C reaches it. Pure: bytes in, guest bytes and
 * commands out; vm.c acts on the commands. */
#ifndef MVR_ESCAPE_H
#define MVR_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESCAPE_CHAR 0x01 /* Ctrl-A */

enum escape_cmd {
	ESCAPE_NONE,      /* no command in the bytes consumed */
	ESCAPE_QUIT,      /* Ctrl-A x: stop the VM as a host quit would */
	ESCAPE_HELP,      /* Ctrl-A h or ?: print the keys */
	ESCAPE_MONITOR,   /* Ctrl-A c: no monitor here; say where it is */
	ESCAPE_UNKNOWN,   /* Ctrl-A and another key: ignored (swallowed) */
};

struct escape {
	bool pending;     /* Ctrl-A seen, its key not yet */
};

/* Feed in[0..len): bytes for the guest are appended to out (room for len
 * bytes; *nout counts them), up to and including the first command key.
 * Returns how many input bytes were consumed (len unless a command stopped
 * early; feed the rest again) and sets *cmd. A Ctrl-A at the end of 'in'
 * waits in 'e' for the next call. */
size_t escape_feed(struct escape *e, const uint8_t *in, size_t len, uint8_t *out, size_t *nout,
		   enum escape_cmd *cmd);

/* The help text (CR LF line ends: the terminal is raw). */
extern const char escape_help[];

#endif
