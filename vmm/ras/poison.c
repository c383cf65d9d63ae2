/* Poisoned-page set: a sorted array under a mutex. Errors are rare; the
 * array stays small, and lookups are binary searches. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ras/poison.h"

struct poison {
	pthread_mutex_t lock;
	uint64_t *pages;
	size_t n, cap;
};

struct poison *poison_create(void)
{
	struct poison *p = calloc(1, sizeof(*p));

	if (p)
		pthread_mutex_init(&p->lock, NULL);
	return p;
}

void poison_destroy(struct poison *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->pages);
	free(p);
}

/* Index of the first entry >= gpa. */
static size_t lower_bound(const struct poison *p, uint64_t gpa)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->pages[mid] < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int poison_add(struct poison *p, uint64_t gpa)
{
	size_t i;
	int ret = 1;

	pthread_mutex_lock(&p->lock);
	i = lower_bound(p, gpa);
	if (i < p->n && p->pages[i] == gpa) {
		ret = 0;
		goto out;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		uint64_t *n = realloc(p->pages, cap * sizeof(*n));

		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		p->pages = n;
		p->cap = cap;
	}
	memmove(&p->pages[i + 1], &p->pages[i], (p->n - i) * sizeof(*p->pages));
	p->pages[i] = gpa;
	p->n++;
out:
	pthread_mutex_unlock(&p->lock);
	return ret;
}

long poison_add_many(struct poison *p, const uint64_t *v, size_t n, uint64_t *fresh)
{
	size_t i, j = 0, k = 0, nf = 0, cap;
	uint64_t *merged;

	for (i = 1; i < n; i++)
		if (v[i - 1] >= v[i])
			return -EINVAL;
	if (!n)
		return 0;
	pthread_mutex_lock(&p->lock);
	cap = p->n + n;
	if (p->n > SIZE_MAX / sizeof(*merged) - n ||
	    !(merged = malloc(cap * sizeof(*merged)))) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	/* Merge the two sorted lists; a page in both is kept once. */
	for (i = 0; i < n || j < p->n;) {
		if (j < p->n && (i == n || p->pages[j] < v[i])) {
			merged[k++] = p->pages[j++];
		} else if (j < p->n && p->pages[j] == v[i]) {
			merged[k++] = p->pages[j++];
			i++;
		} else {
			if (fresh)
				fresh[nf] = v[i];
			nf++;
			merged[k++] = v[i++];
		}
	}
	free(p->pages);
	p->pages = merged;
	p->n = k;
	p->cap = cap;
	pthread_mutex_unlock(&p->lock);
	return (long)nf;
}

int poison_remove(struct poison *p, uint64_t gpa)
{
	size_t i;
	int ret = 0;

	pthread_mutex_lock(&p->lock);
	i = lower_bound(p, gpa);
	if (i < p->n && p->pages[i] == gpa) {
		memmove(&p->pages[i], &p->pages[i + 1], (p->n - i - 1) * sizeof(*p->pages));
		p->n--;
		ret = 1;
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

int poison_contains(struct poison *p, uint64_t gpa)
{
	size_t i;
	int ret;

	pthread_mutex_lock(&p->lock);
	i = lower_bound(p, gpa);
	ret = i < p->n && p->pages[i] == gpa;
	pthread_mutex_unlock(&p->lock);
	return ret;
}

size_t poison_list(struct poison *p, uint64_t *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n;
	if (out && n && max) /* pages is NULL while the set is empty */
		memcpy(out, p->pages, (n < max ? n : max) * sizeof(*out));
	pthread_mutex_unlock(&p->lock);
	return n;
}

uint64_t *poison_take_all(struct poison *p, size_t *n)
{
	uint64_t *all;

	pthread_mutex_lock(&p->lock);
	all = p->pages;
	*n = p->n;
	p->pages = NULL;
	p->n = p->cap = 0;
	pthread_mutex_unlock(&p->lock);
	if (!*n) {
		free(all);
		return NULL;
	}
	return all;
}
