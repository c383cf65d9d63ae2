/* Control socket commands (DESIGN.md section 9): one request line in, one
 * reply line out, against the VM seen through struct control_env only. The
 * socket server (control.c) frames lines and writes the replies. Unit tested
 * natively with a fake env (tests/unit/test_control_cmds.c). */
#ifndef MVR_CONTROL_CMDS_H
#define MVR_CONTROL_CMDS_H

#include <stdbool.h>
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

/* One client's protocol state (QMP): capabilities negotiation until
 * qmp_capabilities succeeds, then command mode. Zeroed: negotiation. */
struct control_session {
	bool command_mode;
};

/* Like control_cmds_handle_line() but for a client in session 's': in
 * negotiation mode only qmp_capabilities runs (it switches 's' to command
 * mode), anything else gets a CommandNotFound error; in command mode
 * qmp_capabilities is refused (CommandNotFound) and every other command
 * runs. Returns as control_cmds_handle_line(). */
int control_cmds_session_line(const struct control_env *env, struct control_session *s,
			      const char *line, size_t len, struct control_reply *r);

/* The greeting sent on connect: {"QMP": {"version": {"qemu": {"micro",
 * "minor", "major"}, "package"}, "capabilities": []}} and a '\n'.
 * Returns 0 or -ENOMEM. */
int control_cmds_greeting(struct control_reply *r);

/* One event line: {"event": NAME, "data": {...}, "timestamp": {"seconds",
 * "microseconds"}} and a '\n'. Returns 0, -EINVAL (unknown type) or
 * -ENOMEM. */
int control_cmds_event_line(const struct control_event *ev, struct control_reply *r);

/* Build the GenericError reply the server sends on a connection it refuses
 * or drops ('desc' is the message). Returns 0 or -ENOMEM. */
int control_cmds_error_line(const char *desc, struct control_reply *r);

/* Release r->line; safe on a zeroed or already-freed reply. */
void control_reply_free(struct control_reply *r);

#endif
