/* Control socket commands (DESIGN.md section 9): one request line in, one
 * reply line out, against the VM seen through struct control_env only. The
 * socket server (control.c) frames lines and writes the replies. Unit tested
 * natively with a fake env (tests/unit/test_control_cmds.c). */
#ifndef MVR_CONTROL_CMDS_H
#define MVR_CONTROL_CMDS_H

#include <stddef.h>

#include "control.h"

/* One reply, ready to send. */
struct control_reply {
	char *line;     /* malloc'd, ends with '\n' and a NUL; NULL: nothing to send */
	size_t len;     /* bytes to send, the '\n' included */
	/* To run once the reply was sent (or could not be), or NULL. */
	void (*after)(const struct control_env *env);
};

/* Parse and run one request line ('len' bytes, no '\n'; untrusted) and
 * build its reply: {"return": ...} or {"error": ...}, each with the
 * request's "id" when it had one. Returns 0 with *r filled, or -ENOMEM with
 * r->line NULL (r->after may still be set: call it). Release with
 * control_reply_free(). */
int control_cmds_handle_line(const struct control_env *env, const char *line, size_t len,
			     struct control_reply *r);

/* Build the GenericError reply the server sends on a connection it refuses
 * or drops ('desc' is the message). Returns 0 or -ENOMEM. */
int control_cmds_error_line(const char *desc, struct control_reply *r);

/* Release r->line; safe on a zeroed or already-freed reply. */
void control_reply_free(struct control_reply *r);

#endif
