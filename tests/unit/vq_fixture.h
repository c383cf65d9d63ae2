/* The fixture both virtqueue test files (split: test_virtqueue.c, packed:
 * test_virtqueue_packed.c) start from: a fake guest RAM and a queue on it,
 * and the check that a hostile ring breaks the queue for good. Include it
 * after defining 'struct ctx' with the members ram (struct fake_ram), vq
 * (struct virtqueue) and c (struct vq_chain); the driver member is the
 * including file's own. */
#ifndef MVR_TEST_VQ_FIXTURE_H
#define MVR_TEST_VQ_FIXTURE_H

static int setup(void **state)
{
	struct ctx *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	fake_ram_init(&t->ram);
	vq_init(&t->vq, &t->ram.gm);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *t = *state;

	fake_ram_fini(&t->ram);
	free(t);
	return 0;
}

/* Pop must fail as malformed and break the queue; after that it stays
 * quiet: no more chains, pushes refused, nothing counted twice. */
static void expect_malformed(struct ctx *t)
{
	uint64_t before = t->vq.st.malformed;

	assert_int_equal(vq_pop(&t->vq, &t->c), -EINVAL);
	assert_true(t->vq.broken);
	assert_int_equal(t->vq.st.malformed, before + 1);
	assert_int_equal(vq_pop(&t->vq, &t->c), 0);
	assert_int_equal(vq_push(&t->vq, 0, 0), -EINVAL);
	assert_int_equal(t->vq.st.malformed, before + 1);
}

#endif
