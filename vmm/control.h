/* JSON control socket (--api-socket PATH, DESIGN.md section 9): a QMP-like
 * protocol, one JSON object per line, served from the main event loop.
 * Request {"execute": CMD, "arguments": {...}, "id": ANY}; reply one line,
 * {"return": {...}} or {"error": {"class": ..., "desc": ...}} (+ "id"). */
#ifndef MVR_CONTROL_H
#define MVR_CONTROL_H

#include "log.h"

struct vm;
struct control;

#ifdef CONFIG_CONTROL_API

/* Listen on a UNIX stream socket at 'path' (mode 0600) and serve it from
 * vm->loop. An existing socket at 'path' is replaced; any other existing
 * file is refused. Needs vm->loop, vm->mem, vm->vcpus/ncpus; vm->ras may be
 * NULL. Returns NULL after one pr_err() line. Main thread only. */
struct control *control_create(struct vm *vm, const char *path);

/* Disconnect all clients, stop listening and unlink the socket. Must run
 * before loop_destroy(vm->loop). NULL is a no-op. Main thread only. */
void control_destroy(struct control *c);

#else

static inline struct control *control_create(struct vm *vm, const char *path)
{
	pr_err("--api-socket: this build has no control socket (CONFIG_CONTROL_API)");
	return NULL;
}

static inline void control_destroy(struct control *c)
{
}

#endif

#endif
