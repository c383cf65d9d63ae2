/* Counters a device reports for query-vm (dev_class.stats): its model name,
 * per-queue counters of a virtio device's virtqueues and a few named
 * device-specific counters. Values only; filled on the main thread. */
#ifndef MVR_DEV_STATS_H
#define MVR_DEV_STATS_H

#include <stdint.h>

#define DEV_STATS_MAX_QUEUES   8
#define DEV_STATS_MAX_COUNTERS 16

/* One virtqueue (virtqueue.h struct vq_stats). */
struct dev_queue_stats {
	uint64_t popped, pushed, notifies, malformed;
};

/* A named counter; 'name' is a static string ("bytes-read"). */
struct dev_counter {
	const char *name;
	uint64_t value;
};

struct dev_stats {
	const char *model;		/* "virtio-blk"; NULL: the class name */
	unsigned nqueues;
	struct dev_queue_stats q[DEV_STATS_MAX_QUEUES];
	unsigned ncounters;
	struct dev_counter c[DEV_STATS_MAX_COUNTERS];
};

/* Append counter 'name' = 'value' (dropped when the table is full). */
static inline void dev_stats_add(struct dev_stats *st, const char *name, uint64_t value)
{
	if (st->ncounters < DEV_STATS_MAX_COUNTERS)
		st->c[st->ncounters++] = (struct dev_counter){ name, value };
}

#endif
