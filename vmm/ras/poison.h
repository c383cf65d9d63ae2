/* The set of poisoned guest pages (page-aligned GPAs), remembered so that a
 * guest reset can replace them with fresh memory. Thread-safe. */
#ifndef MVR_RAS_POISON_H
#define MVR_RAS_POISON_H

#include <stddef.h>
#include <stdint.h>

struct poison;

struct poison *poison_create(void);
void poison_destroy(struct poison *p);

/* Add a page. Returns 1 if new, 0 if already present, -ENOMEM. */
int poison_add(struct poison *p, uint64_t gpa);
/* Add the n pages of v (sorted ascending, distinct) in one pass: a whole
 * lost huge page at once. Those that were not in the set yet are written,
 * in order, to fresh (room for n entries; may be NULL). Returns how many
 * were new, or -ENOMEM (the set is unchanged) or -EINVAL (v not sorted). */
long poison_add_many(struct poison *p, const uint64_t *v, size_t n, uint64_t *fresh);
/* Remove a page. Returns 1 if it was there, 0 if not. */
int poison_remove(struct poison *p, uint64_t gpa);
/* Is the page in the set? */
int poison_contains(struct poison *p, uint64_t gpa);
/* Copy up to max entries (sorted); returns the total count. */
size_t poison_list(struct poison *p, uint64_t *out, size_t max);
/* Remove and return all entries (malloc'd array, caller frees); *n gets
 * the count. Returns NULL when empty or on allocation failure. */
uint64_t *poison_take_all(struct poison *p, size_t *n);

#endif
