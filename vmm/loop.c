/* liburing event loop: one one-shot POLL_ADD per watched fd, re-armed after
 * its callback, or a TIMEOUT first when the callback asks for a delay. */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"

/* console, stop, signals, RAS, devices' eventfds, one per disk, and the
 * control socket's 64 clients (control.c) with its listener and eventfd */
#define LOOP_MAX_FDS 128
#define LOOP_DEPTH 64

struct watch {
	int fd;           /* -1: free slot */
	loop_cb_t cb;
	void *opaque;
	int removed;
	int inflight;     /* one SQE (poll or timeout) outstanding */
	struct __kernel_timespec delay;
};

struct loop {
	struct io_uring ring;
	struct watch w[LOOP_MAX_FDS];
	int quit;
};

/* user_data: slot index in the low bits, kind in bit 16. */
#define UD_TIMEOUT (1u << 16)

/* A free submission entry: when the queue is full (more fds re-armed in
 * one round than LOOP_DEPTH), submit what is queued first. */
static struct io_uring_sqe *loop_sqe(struct loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe && io_uring_submit(&l->ring) >= 0)
		sqe = io_uring_get_sqe(&l->ring);
	return sqe;
}

static int arm_poll(struct loop *l, unsigned i)
{
	struct io_uring_sqe *sqe = loop_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, l->w[i].fd, POLLIN);
	io_uring_sqe_set_data64(sqe, i);
	l->w[i].inflight = 1;
	return 0;
}

static int arm_timeout(struct loop *l, unsigned i, int ms)
{
	struct io_uring_sqe *sqe = loop_sqe(l);

	if (!sqe)
		return -EBUSY;
	l->w[i].delay.tv_sec = ms / 1000;
	l->w[i].delay.tv_nsec = (long long)(ms % 1000) * 1000000;
	io_uring_prep_timeout(sqe, &l->w[i].delay, 0, 0);
	io_uring_sqe_set_data64(sqe, i | UD_TIMEOUT);
	l->w[i].inflight = 1;
	return 0;
}

struct loop *loop_create(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	int ret, i;

	if (!l)
		return NULL;
	ret = io_uring_queue_init(LOOP_DEPTH, &l->ring, 0);
	if (ret < 0) {
		pr_err("io_uring_queue_init: %s", strerror(-ret));
		free(l);
		return NULL;
	}
	for (i = 0; i < LOOP_MAX_FDS; i++)
		l->w[i].fd = -1;
	return l;
}

void loop_destroy(struct loop *l)
{
	if (!l)
		return;
	io_uring_queue_exit(&l->ring);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, loop_cb_t cb, void *opaque)
{
	unsigned i;

	for (i = 0; i < LOOP_MAX_FDS; i++) {
		if (l->w[i].fd < 0 && !l->w[i].inflight) {
			l->w[i] = (struct watch){ .fd = fd, .cb = cb, .opaque = opaque };
			return arm_poll(l, i);
		}
	}
	return -ENOSPC;
}

void loop_remove_fd(struct loop *l, int fd)
{
	unsigned i;

	for (i = 0; i < LOOP_MAX_FDS; i++) {
		if (l->w[i].fd == fd && !l->w[i].removed) {
			l->w[i].removed = 1;
			/* The outstanding poll completes (cancelled or not);
			 * the slot is freed then. */
			struct io_uring_sqe *sqe = loop_sqe(l);

			if (sqe) {
				io_uring_prep_poll_remove(sqe, i);
				io_uring_sqe_set_data64(sqe, UINT64_MAX);
			}
		}
	}
}

void loop_quit(struct loop *l)
{
	l->quit = 1;
}

static void loop_complete(struct loop *l, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	unsigned i = (unsigned)(ud & 0xffff);
	struct watch *w;
	int ret;

	if (ud == UINT64_MAX || i >= LOOP_MAX_FDS)
		return;
	w = &l->w[i];
	w->inflight = 0;
	if (w->removed) {
		w->fd = -1;
		w->removed = 0;
		return;
	}
	if (ud & UD_TIMEOUT) {
		arm_poll(l, i);
		return;
	}
	if (cqe->res < 0 && cqe->res != -ECANCELED) {
		pr_warn("event loop: poll on fd %d failed: %s", w->fd, strerror(-cqe->res));
		w->fd = -1;
		return;
	}
	ret = w->cb(w->opaque, w->fd);
	if (w->removed || ret < 0) {
		w->fd = -1;
		w->removed = 0;
	} else if (ret > 0) {
		arm_timeout(l, i, ret);
	} else {
		arm_poll(l, i);
	}
}

int loop_run(struct loop *l)
{
	struct io_uring_cqe *cqe;
	int ret;

	l->quit = 0;
	while (!l->quit) {
		ret = io_uring_submit_and_wait(&l->ring, 1);
		if (ret < 0 && ret != -EINTR)
			return ret;
		while (io_uring_peek_cqe(&l->ring, &cqe) == 0) {
			loop_complete(l, cqe);
			io_uring_cqe_seen(&l->ring, cqe);
		}
	}
	io_uring_submit(&l->ring);
	return 0;
}
