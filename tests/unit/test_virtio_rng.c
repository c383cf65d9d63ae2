/* Unit tests for virtio-rng's request filling (vmm/virtio/rng.c,
 * rng_fill_chain; VIRTIO 1.2 section 5.4): only writable buffers are
 * filled, the count returned is exact, the cap is honoured, and a buffer
 * the kernel cannot write (an inaccessible page) ends the request with the
 * bytes done so far instead of a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "virtio/rng.h"

static uint8_t rbuf[64], wbuf1[16], wbuf2[4096];

static void add(struct vq_chain *c, void *p, uint32_t len, bool w)
{
	c->buf[c->n] = (struct vq_buf){ 0x40000000u + c->n * 0x10000u, len, w, p };
	if (w) {
		c->write_len += len;
	} else {
		c->nread++;
		c->read_len += len;
	}
	c->n++;
}

static bool all_equal(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static struct vq_chain *chain_new(void)
{
	struct vq_chain *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	memset(rbuf, 0xaa, sizeof(rbuf));
	memset(wbuf1, 0xaa, sizeof(wbuf1));
	memset(wbuf2, 0xaa, sizeof(wbuf2));
	return c;
}

static void test_fill_writable_only(void **state)
{
	struct vq_chain *c = chain_new();

	add(c, rbuf, sizeof(rbuf), false);
	add(c, wbuf1, sizeof(wbuf1), true);
	add(c, wbuf2, sizeof(wbuf2), true);
	assert_int_equal(rng_fill_chain(c, RNG_MAX_REQUEST), 16 + 4096);
	assert_true(all_equal(rbuf, sizeof(rbuf), 0xaa));
	/* 16 random bytes all 0xaa: probability 2^-128. */
	assert_false(all_equal(wbuf1, sizeof(wbuf1), 0xaa));
	assert_false(all_equal(wbuf2 + 4080, 16, 0xaa));
	free(c);
}

static void test_fill_cap(void **state)
{
	struct vq_chain *c = chain_new();

	add(c, wbuf1, sizeof(wbuf1), true);
	add(c, wbuf2, sizeof(wbuf2), true);
	assert_int_equal(rng_fill_chain(c, 100), 100);
	assert_false(all_equal(wbuf2 + 68, 16, 0xaa));
	assert_true(all_equal(wbuf2 + 84, sizeof(wbuf2) - 84, 0xaa));
	/* Nothing writable: nothing written. */
	c->n = 0;
	c->write_len = 0;
	add(c, rbuf, sizeof(rbuf), false);
	assert_int_equal(rng_fill_chain(c, RNG_MAX_REQUEST), 0);
	free(c);
}

static void test_fill_bad_buffer(void **state)
{
	struct vq_chain *c = chain_new();
	uint8_t *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(page != MAP_FAILED);
	add(c, wbuf1, sizeof(wbuf1), true);
	add(c, page, 4096, true);
	add(c, wbuf2, sizeof(wbuf2), true);
	assert_int_equal(rng_fill_chain(c, RNG_MAX_REQUEST), 16);
	assert_true(all_equal(wbuf2, sizeof(wbuf2), 0xaa));
	/* A buffer without a host mapping ends it too. */
	c->buf[1].hva = NULL;
	assert_int_equal(rng_fill_chain(c, RNG_MAX_REQUEST), 16);
	munmap(page, 4096);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_writable_only),
		cmocka_unit_test(test_fill_cap),
		cmocka_unit_test(test_fill_bad_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
