/* Unit tests for the serial console backends (vmm/chardev.c): a file is
 * appended to; a full reader never blocks the writer (bytes dropped and
 * counted); stdio writes through a private file description, so stdout's
 * own flags stay blocking; a socket takes one client at a time, drops
 * output while none is connected, and passes the client's input on; a pty
 * carries bytes both ways; bad paths are one error line. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "chardev.h"

/* A fake event loop: the watched fds and their callbacks. */
struct fake_loop {
	struct {
		int fd;
		loop_cb_t cb;
		void *opaque;
	} w[8];
	unsigned n;
};

static int fake_watch(void *opaque, int fd, loop_cb_t cb, void *cb_opaque)
{
	struct fake_loop *l = opaque;

	assert_true(l->n < 8);
	l->w[l->n].fd = fd;
	l->w[l->n].cb = cb;
	l->w[l->n].opaque = cb_opaque;
	l->n++;
	return 0;
}

static void fake_unwatch(void *opaque, int fd)
{
	struct fake_loop *l = opaque;
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (l->w[i].fd == fd)
			l->w[i].fd = -1;
}

/* Run the callback watching watch index i as the loop would; -1 unwatches. */
static int fire(struct fake_loop *l, unsigned i)
{
	int ret;

	assert_true(i < l->n && l->w[i].fd >= 0);
	ret = l->w[i].cb(l->w[i].opaque, l->w[i].fd);
	if (ret < 0)
		l->w[i].fd = -1;
	return ret;
}

/* A sink that takes at most 'room' bytes. */
struct sink_rec {
	uint8_t buf[64];
	size_t len, room;
};

static size_t sink_room(void *opaque)
{
	struct sink_rec *s = opaque;

	return s->room;
}

static size_t sink_push(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink_rec *s = opaque;

	assert_true(len <= s->room && s->len + len <= sizeof(s->buf));
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return len;
}

static char tmpdir[64];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/test_chardev.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_file_appends(void **state)
{
	struct serial_config sc = { SERIAL_FILE, NULL };
	struct chardev_stats st;
	char path[128], buf[32] = { 0 };
	struct chardev *cd;
	FILE *f;

	snprintf(path, sizeof(path), "%s/console.log", tmpdir);
	sc.path = path;
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	cd = chardev_open(&sc, NULL);
	assert_non_null(cd);
	chardev_write(cd, (const uint8_t *)"abc", 3);
	chardev_get_stats(cd, &st);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.dropped, 0);
	chardev_close(cd);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 7);
	fclose(f);
	assert_string_equal(buf, "old\nabc");

	/* A directory that does not exist: NULL after one line. */
	snprintf(path, sizeof(path), "%s/missing/console.log", tmpdir);
	assert_null(chardev_open(&sc, NULL));
}

/* A reader that takes nothing: the write returns at once, everything it
 * could not place is counted as dropped; output flows again afterwards. */
static void test_stalled_reader_drops(void **state)
{
	static uint8_t big[128 * 1024];
	struct chardev_stats st;
	struct chardev *cd;
	int p[2];
	ssize_t got = 0, r;
	uint8_t rd[4096];

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	cd = chardev_from_fd(p[1]);
	assert_non_null(cd);
	memset(big, 'z', sizeof(big));
	chardev_write(cd, big, sizeof(big));
	chardev_get_stats(cd, &st);
	assert_true(st.written > 0 && st.written < sizeof(big));
	assert_int_equal(st.written + st.dropped, sizeof(big));
	while ((r = read(p[0], rd, sizeof(rd))) > 0)
		got += r;
	assert_int_equal(got, st.written);
	chardev_write(cd, (const uint8_t *)"ok", 2);
	assert_int_equal(read(p[0], rd, sizeof(rd)), 2);
	assert_memory_equal(rd, "ok", 2);
	chardev_close(cd);
	close(p[0]);
	close(p[1]);
}

/* --serial stdio on a blocking pipe: stdout keeps its flags (no
 * O_NONBLOCK leaks to the shell's file description) and a full pipe does
 * not block the writer. */
static void test_stdio_private_description(void **state)
{
	static uint8_t big[128 * 1024];
	struct serial_config sc = { SERIAL_STDIO, NULL };
	struct chardev_stats st;
	struct chardev *cd;
	int p[2], saved;

	fflush(stdout);
	assert_int_equal(pipe(p), 0);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	cd = chardev_open(&sc, NULL);
	assert_non_null(cd);
	memset(big, 'y', sizeof(big));
	chardev_write(cd, big, sizeof(big));
	chardev_get_stats(cd, &st);
	assert_false(fcntl(STDOUT_FILENO, F_GETFL) & O_NONBLOCK);
	chardev_close(cd);
	assert_false(fcntl(STDOUT_FILENO, F_GETFL) & O_NONBLOCK);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(p[0]);
	close(p[1]);
	assert_true(st.dropped > 0);
	assert_int_equal(st.written + st.dropped, sizeof(big));
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void test_socket(void **state)
{
	struct fake_loop loop = { .n = 0 };
	const struct chardev_env env = { fake_watch, fake_unwatch, &loop };
	struct serial_config sc = { SERIAL_SOCKET, NULL };
	struct sink_rec sink = { .room = 64 };
	const struct chardev_sink cs = { sink_room, sink_push, &sink };
	struct chardev_stats st;
	char path[128], buf[128];
	struct chardev *cd;
	struct stat sb;
	int c1, c2;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/serial.sock", tmpdir);
	sc.path = path;
	cd = chardev_open(&sc, &env);
	assert_non_null(cd);
	chardev_set_sink(cd, &cs);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(loop.n, 1); /* the listener */

	/* No client: dropped, never blocking. */
	chardev_write(cd, (const uint8_t *)"lost", 4);
	chardev_get_stats(cd, &st);
	assert_int_equal(st.unconnected, 4);

	c1 = connect_to(path);
	assert_int_equal(fire(&loop, 0), 0);
	assert_int_equal(loop.n, 2); /* the client */
	chardev_write(cd, (const uint8_t *)"hello", 5);
	n = recv(c1, buf, sizeof(buf), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);

	/* Input, only as much as the sink takes now. */
	assert_int_equal(send(c1, "abcdef", 6, 0), 6);
	sink.room = 4;
	assert_int_equal(fire(&loop, 1), 0);
	assert_int_equal(sink.len, 4);
	sink.room = 0;
	assert_true(fire(&loop, 1) > 0); /* back-pressure: a delay */
	sink.room = 64;
	assert_int_equal(fire(&loop, 1), 0);
	assert_int_equal(sink.len, 6);
	assert_memory_equal(sink.buf, "abcdef", 6);

	/* A second client is told and closed; the first keeps the console. */
	c2 = connect_to(path);
	assert_int_equal(fire(&loop, 0), 0);
	n = recv(c2, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "has a client already"));
	assert_int_equal(recv(c2, buf, sizeof(buf), 0), 0);
	close(c2);

	/* The first leaves: output is dropped again, a new client may come. */
	close(c1);
	assert_int_equal(fire(&loop, 1), -1);
	chardev_write(cd, (const uint8_t *)"xy", 2);
	chardev_get_stats(cd, &st);
	assert_int_equal(st.unconnected, 6);
	assert_int_equal(st.written, 5);
	c1 = connect_to(path);
	assert_int_equal(fire(&loop, 0), 0);
	chardev_write(cd, (const uint8_t *)"back", 4);
	assert_int_equal(recv(c1, buf, sizeof(buf), 0), 4);
	close(c1);

	chardev_close(cd);
	assert_int_equal(stat(path, &sb), -1); /* unlinked */
}

/* A stale socket is replaced; a regular file is refused. */
static void test_socket_paths(void **state)
{
	struct fake_loop loop = { .n = 0 };
	const struct chardev_env env = { fake_watch, fake_unwatch, &loop };
	struct serial_config sc = { SERIAL_SOCKET, NULL };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[128];
	struct chardev *cd;
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stale.sock", tmpdir);
	sc.path = path;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* bound, nobody listens: stale */
	cd = chardev_open(&sc, &env);
	assert_non_null(cd);
	/* While it listens, a second one is refused. */
	assert_null(chardev_open(&sc, &env));
	chardev_close(cd);

	snprintf(path, sizeof(path), "%s/file", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_null(chardev_open(&sc, &env));
	assert_int_equal(access(path, F_OK), 0); /* left alone */
}

static void test_pty(void **state)
{
	struct fake_loop loop = { .n = 0 };
	const struct chardev_env env = { fake_watch, fake_unwatch, &loop };
	struct serial_config sc = { SERIAL_PTY, NULL };
	struct sink_rec sink = { .room = 64 };
	const struct chardev_sink cs = { sink_room, sink_push, &sink };
	struct chardev *cd;
	char buf[16];
	int s;

	cd = chardev_open(&sc, &env);
	if (!cd) {
		skip(); /* no /dev/ptmx here */
		return;
	}
	chardev_set_sink(cd, &cs);
	assert_non_null(chardev_pty_path(cd));
	assert_int_equal(strncmp(chardev_pty_path(cd), "/dev/pts/", 9), 0);
	s = open(chardev_pty_path(cd), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	chardev_write(cd, (const uint8_t *)"out\n", 4);
	/* Raw: no CR added, bytes as they are. */
	assert_int_equal(read(s, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "out\n", 4);
	assert_int_equal(write(s, "in\r", 3), 3);
	assert_int_equal(fire(&loop, 0), 0);
	assert_int_equal(sink.len, 3);
	assert_memory_equal(sink.buf, "in\r", 3);
	close(s);
	chardev_close(cd);
}

static void test_off(void **state)
{
	struct serial_config sc = { SERIAL_OFF, NULL };
	struct chardev_stats st;
	struct chardev *cd = chardev_open(&sc, NULL);

	assert_non_null(cd);
	chardev_write(cd, (const uint8_t *)"gone", 4);
	chardev_get_stats(cd, &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.dropped, 4);
	chardev_close(cd);
	chardev_write(NULL, (const uint8_t *)"x", 1);
	chardev_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_appends),
		cmocka_unit_test(test_stalled_reader_drops),
		cmocka_unit_test(test_stdio_private_description),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_socket_paths),
		cmocka_unit_test(test_pty),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
