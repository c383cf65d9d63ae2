/* GHESv2 error-source runtime: read-ack protocol (ACPI 6.3 section 18.3.2.8)
 * and a FIFO of waiting records per source. Guest memory is reached only
 * through struct guest_mem; everything the guest can write (block address
 * slots, read_ack) is treated as hostile input. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ras/cper.h"
#include "ras/ghes.h"
#include "util.h"

struct ghes_rec {
	uint8_t *data;
	size_t len;
};

/* Ring of waiting records for one source. */
struct ghes_source {
	struct ghes_rec *ring;   /* max_queue entries */
	unsigned head;
	unsigned count;
};

struct ghes {
	pthread_mutex_t lock;
	struct guest_mem gm;
	struct ghes_layout lay;  /* where each source's slots and block are */
	unsigned nsources;       /* = lay.nsources */
	uint32_t block_len;      /* = lay.block_len */
	unsigned max_queue;
	bool have_base;
	uint64_t base;
	struct ghes_source *src;
	struct ghes_stats st;
};

struct ghes *ghes_create(const struct guest_mem *gm, const struct ghes_layout *lay,
			 unsigned max_queue)
{
	struct ghes *g;
	unsigned i, nsources;

	if (!gm || !gm->read || !gm->write || !lay || lay->nsources == 0 ||
	    lay->nsources > GHES_MAX_SOURCES || lay->block_len < CPER_STATUS_BLOCK_LEN ||
	    max_queue == 0) {
		errno = EINVAL;
		return NULL;
	}
	nsources = lay->nsources;
	g = calloc(1, sizeof(*g));
	if (!g)
		goto err;
	g->src = calloc(nsources, sizeof(*g->src));
	if (!g->src)
		goto err_g;
	for (i = 0; i < nsources; i++) {
		g->src[i].ring = calloc(max_queue, sizeof(*g->src[i].ring));
		if (!g->src[i].ring)
			goto err_rings;
	}
	if (pthread_mutex_init(&g->lock, NULL) != 0)
		goto err_rings;
	g->gm = *gm;
	g->lay = *lay;
	g->nsources = nsources;
	g->block_len = lay->block_len;
	g->max_queue = max_queue;
	return g;

err_rings:
	for (i = 0; i < nsources; i++)
		free(g->src[i].ring);
	free(g->src);
err_g:
	free(g);
err:
	errno = ENOMEM;
	return NULL;
}

/* Drop every record waiting on s; returns how many. Lock held. */
static unsigned source_clear(struct ghes *g, struct ghes_source *s)
{
	unsigned n = s->count;

	while (s->count) {
		free(s->ring[s->head].data);
		s->ring[s->head].data = NULL;
		s->head = (s->head + 1) % g->max_queue;
		s->count--;
	}
	s->head = 0;
	return n;
}

void ghes_destroy(struct ghes *g)
{
	unsigned i;

	if (!g)
		return;
	for (i = 0; i < g->nsources; i++) {
		source_clear(g, &g->src[i]);
		free(g->src[i].ring);
	}
	free(g->src);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

int ghes_set_base(struct ghes *g, uint64_t base_gpa)
{
	uint64_t end;

	if (!g || base_gpa == 0 ||
	    __builtin_add_overflow(base_gpa, ghes_blob_size(&g->lay),
				   &end))
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	g->base = base_gpa;
	g->have_base = true;
	pthread_mutex_unlock(&g->lock);
	return 0;
}

void ghes_reset(struct ghes *g)
{
	unsigned i, n = 0;

	pthread_mutex_lock(&g->lock);
	g->have_base = false;
	g->base = 0;
	for (i = 0; i < g->nsources; i++)
		n += source_clear(g, &g->src[i]);
	g->st.dropped += n;
	g->st.queued_now -= n;
	pthread_mutex_unlock(&g->lock);
}

static int read_u64(struct ghes *g, uint64_t gpa, uint64_t *val)
{
	uint8_t b[8];
	int r = guest_mem_read(&g->gm, gpa, b, sizeof(b));

	if (r == 0)
		*val = get_le64(b);
	return r;
}

static int write_u64(struct ghes *g, uint64_t gpa, uint64_t val)
{
	uint8_t b[8];

	put_le64(b, val);
	return guest_mem_write(&g->gm, gpa, b, sizeof(b));
}

/* 1 if the guest has acked source i's last record, 0 if not, <0 on a
 * guest-memory error. Lock held, base known. */
static int source_acked(struct ghes *g, unsigned i)
{
	uint64_t ack;
	int r = read_u64(g, g->base + ghes_ack_offset(&g->lay, i), &ack);

	if (r < 0)
		return r;
	return (ack & GHES_READ_ACK_BIT) ? 1 : 0;
}

/*
 * Write rec into source i's status block. Order matters: the guest only
 * looks at a block whose Block Status is non-zero, so read_ack goes to 0
 * (the block is ours), Block Status is cleared, the body is written, and
 * Block Status (the record's first 4 bytes) comes last, each step made
 * visible before the next. Lock held, base known, acked.
 */
static int write_record(struct ghes *g, unsigned i, const uint8_t *rec, size_t len)
{
	static const uint8_t zero[4];
	uint64_t block, end, ack;
	int r;

	r = read_u64(g, g->base + ghes_addr_offset(&g->lay, i), &block);
	if (r < 0)
		goto fault;
	/* The slot is guest-writable: it must name a whole block in RAM
	 * (guest_mem checks RAM; here only that it is set and does not wrap). */
	if (block == 0 || __builtin_add_overflow(block, (uint64_t)g->block_len, &end)) {
		r = -EFAULT;
		goto fault;
	}
	ack = g->base + ghes_ack_offset(&g->lay, i);
	r = write_u64(g, ack, 0);
	if (r < 0)
		goto fault;
	r = guest_mem_write(&g->gm, block, zero, sizeof(zero));
	if (r < 0)
		goto fault_ack;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r = guest_mem_write(&g->gm, block + sizeof(zero), rec + sizeof(zero),
			    len - sizeof(zero));
	if (r < 0)
		goto fault_ack;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r = guest_mem_write(&g->gm, block, rec, sizeof(zero));
	if (r < 0)
		goto fault_ack;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	g->st.written++;
	return 0;

fault_ack:
	/* Nothing valid reached the guest: hand the source back (read_ack = 1)
	 * so a later record can still go out once the slot is sane again. */
	write_u64(g, ack, GHES_READ_ACK_BIT);
fault:
	g->st.faults++;
	pr_warn_rl("GHES source %u: guest error block unusable (block address slot or "
		   "read_ack in bad guest memory): %s", i, strerror(-r));
	return r;
}

/* Try to write the oldest waiting record of source i. Returns 1 written,
 * 0 not possible now, <0 guest-memory error (that record is dropped: the
 * blob is broken, retrying cannot help). Lock held. */
static int source_deliver_one(struct ghes *g, unsigned i)
{
	struct ghes_source *s = &g->src[i];
	struct ghes_rec *rec;
	int r;

	if (!g->have_base || s->count == 0)
		return 0;
	r = source_acked(g, i);
	if (r <= 0) {
		if (r < 0) {
			g->st.faults++;
			pr_warn_rl("GHES source %u: cannot read read_ack: %s", i, strerror(-r));
		}
		return r;
	}
	rec = &s->ring[s->head];
	r = write_record(g, i, rec->data, rec->len);
	free(rec->data);
	rec->data = NULL;
	s->head = (s->head + 1) % g->max_queue;
	s->count--;
	g->st.queued_now--;
	if (r < 0) {
		g->st.dropped++;
		return r;
	}
	return 1;
}

/* Append a copy of rec to source i's queue. Returns 1 queued (or merged
 * with an identical waiting record), -ENOSPC / -ENOMEM dropped. Lock held. */
static int source_enqueue(struct ghes *g, unsigned i, const uint8_t *rec, size_t len)
{
	struct ghes_source *s = &g->src[i];
	struct ghes_rec *slot;
	unsigned k;

	for (k = 0; k < s->count; k++) {
		const struct ghes_rec *q = &s->ring[(s->head + k) % g->max_queue];

		if (q->len == len && memcmp(q->data, rec, len) == 0) {
			g->st.coalesced++;
			return 1;
		}
	}
	if (s->count == g->max_queue) {
		g->st.dropped++;
		pr_warn_rl("GHES source %u: %u records waiting for the guest's ack, "
			   "record dropped", i, s->count);
		return -ENOSPC;
	}
	slot = &s->ring[(s->head + s->count) % g->max_queue];
	slot->data = malloc(len);
	if (!slot->data) {
		g->st.dropped++;
		pr_warn_rl("GHES source %u: out of memory, record dropped", i);
		return -ENOMEM;
	}
	memcpy(slot->data, rec, len);
	slot->len = len;
	s->count++;
	g->st.queued_total++;
	g->st.queued_now++;
	if (s->count > g->st.max_depth)
		g->st.max_depth = s->count;
	return 1;
}

int ghes_submit(struct ghes *g, unsigned source, const uint8_t *rec, size_t len)
{
	int r, q;

	if (!g || !rec || source >= g->nsources || len < CPER_STATUS_BLOCK_LEN)
		return -EINVAL;
	if (len > g->block_len)
		return -EMSGSIZE;

	pthread_mutex_lock(&g->lock);
	if (g->have_base && g->src[source].count == 0) {
		/* Nothing waiting: write straight away if the guest acked. */
		r = source_acked(g, source);
		if (r == 1) {
			r = write_record(g, source, rec, len);
			if (r < 0)
				g->st.dropped++;
			goto out;
		}
		if (r < 0) {
			g->st.faults++;
			g->st.dropped++;
			pr_warn_rl("GHES source %u: cannot read read_ack: %s", source,
				   strerror(-r));
			goto out;
		}
		r = source_enqueue(g, source, rec, len);
		goto out;
	}

	/* Older records wait (or no base yet): keep FIFO order. */
	r = source_deliver_one(g, source);
	q = source_enqueue(g, source, rec, len);
	if (r == 1)
		r = 0;  /* the oldest went out: caller notifies the guest */
	else if (r == 0)
		r = q;
	/* r < 0: the head was dropped on a fault; rec is queued (or dropped,
	 * counted) and the fault is reported. */
out:
	pthread_mutex_unlock(&g->lock);
	return r;
}

int ghes_try_write(struct ghes *g, unsigned source, const uint8_t *rec, size_t len)
{
	int r;

	if (!g || !rec || source >= g->nsources || len < CPER_STATUS_BLOCK_LEN)
		return -EINVAL;
	if (len > g->block_len)
		return -EMSGSIZE;

	pthread_mutex_lock(&g->lock);
	if (!g->have_base || g->src[source].count) {
		r = -EBUSY;
		goto out;
	}
	r = source_acked(g, source);
	if (r == 1) {
		r = write_record(g, source, rec, len);
		if (r < 0)
			g->st.dropped++;
	} else if (r == 0) {
		r = -EBUSY;
	} else {
		g->st.faults++;
		pr_warn_rl("GHES source %u: cannot read read_ack: %s", source, strerror(-r));
	}
out:
	pthread_mutex_unlock(&g->lock);
	return r;
}

int ghes_idle(struct ghes *g, unsigned first, unsigned count)
{
	unsigned i;
	int r = 1;

	if (!g || first > g->nsources || count > g->nsources - first)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	if (!g->have_base)
		r = 0;
	for (i = first; r == 1 && i < first + count; i++) {
		if (g->src[i].count)
			r = 0;
		else
			r = source_acked(g, i);
	}
	pthread_mutex_unlock(&g->lock);
	return r;
}

int ghes_poll(struct ghes *g, ghes_notify_fn notify, void *opaque)
{
	unsigned i;
	int n = 0;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->nsources; i++) {
		/* A fault drops that record; the next waits for the next poll. */
		if (source_deliver_one(g, i) == 1) {
			n++;
			if (notify)
				notify(opaque, i);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}

bool ghes_pending(struct ghes *g)
{
	bool p;

	pthread_mutex_lock(&g->lock);
	p = g->st.queued_now != 0;
	pthread_mutex_unlock(&g->lock);
	return p;
}

unsigned ghes_queue_depth(struct ghes *g, unsigned source)
{
	unsigned n = 0;

	if (source >= g->nsources)
		return 0;
	pthread_mutex_lock(&g->lock);
	n = g->src[source].count;
	pthread_mutex_unlock(&g->lock);
	return n;
}

void ghes_get_stats(struct ghes *g, struct ghes_stats *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->st;
	pthread_mutex_unlock(&g->lock);
}
