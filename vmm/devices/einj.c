/* ACPI EINJ register block (ACPI 6.5 section 18.6.6, Error Injection
 * Operation): BEGIN opens an injection, SET_ERROR_TYPE or the guest-RAM
 * SET_ERROR_TYPE_WITH_ADDRESS structure names the error, EXECUTE performs it
 * through struct einj_ops (busy while it runs), GET_COMMAND_STATUS tells how
 * it went, END closes. Several vCPUs may race: one lock guards the state,
 * and the injection itself runs outside it with busy set. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/einj.h"
#include "devices/einj.h"
#include "log.h"
#include "util.h"

struct einj {
	pthread_mutex_t lock;
	const struct einj_ops *ops;
	void *opaque;
	const struct guest_mem *gm;
	uint32_t supported;	/* EINJ_TYPE_* offered, from the hooks */
	/* Under lock: */
	bool open;		/* between BEGIN and END */
	bool busy;		/* EXECUTE running */
	uint32_t type;		/* SET_ERROR_TYPE register (0: use the structure) */
	uint32_t status;	/* EINJ_STATUS_* of the last EXECUTE */
	uint64_t injected, rejected, failed;	/* EXECUTEs by outcome */
};

/* The SET_ERROR_TYPE_WITH_ADDRESS fields an injection uses. */
struct einj_setwa {
	uint32_t type, flags, proc;
	uint64_t mem_addr;
};

struct einj *einj_create(const struct einj_ops *ops, void *opaque, const struct guest_mem *gm)
{
	struct einj *e;

	if (!ops)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	e->ops = ops;
	e->opaque = opaque;
	e->gm = gm;
	if (ops->mem_poison)
		e->supported |= EINJ_TYPE_MEM_UNCORRECTABLE;
	if (ops->mem_record)
		e->supported |= EINJ_TYPE_MEM_CORRECTABLE | EINJ_TYPE_MEM_FATAL;
	if (ops->proc_record)
		e->supported |= EINJ_TYPE_PROC_CORRECTABLE | EINJ_TYPE_PROC_UNCORRECTABLE;
	return e;
}

void einj_destroy(struct einj *e)
{
	if (!e)
		return;
	pthread_mutex_destroy(&e->lock);
	free(e);
}

void einj_reset(struct einj *e)
{
	pthread_mutex_lock(&e->lock);
	e->open = false;
	e->busy = false;
	e->type = 0;
	e->status = EINJ_STATUS_SUCCESS;
	pthread_mutex_unlock(&e->lock);
}

uint32_t einj_supported_types(const struct einj *e)
{
	return e->supported;
}

/* Read the SET_ERROR_TYPE_WITH_ADDRESS structure from the parameter area.
 * 0, or -ENOENT (no area yet) / guest_mem's error. */
static int einj_read_setwa(struct einj *e, struct einj_setwa *s)
{
	uint64_t area = e->ops->param_area ? e->ops->param_area(e->opaque) : 0;
	uint8_t b[EINJ_SETWA_LEN];
	int ret;

	if (!area || !e->gm)
		return -ENOENT;
	ret = guest_mem_read(e->gm, area + EINJ_SETWA_OFF, b, sizeof(b));
	if (ret)
		return ret;
	s->type = get_le32(b + EINJ_SETWA_TYPE);
	s->flags = get_le32(b + EINJ_SETWA_FLAGS);
	s->proc = get_le32(b + EINJ_SETWA_PROC);
	s->mem_addr = get_le64(b + EINJ_SETWA_MEM_ADDR);
	return 0;
}

/* The command status for a hook's result. */
static uint32_t einj_status_of(int ret)
{
	if (ret == 0)
		return EINJ_STATUS_SUCCESS;
	if (ret == -EINVAL || ret == -EFAULT)
		return EINJ_STATUS_INVALID_ACCESS;
	return EINJ_STATUS_UNKNOWN_FAILURE;
}

/* Perform the injection of 'type' (0: the structure's): returns the
 * command status. No lock held. */
static uint32_t einj_execute(struct einj *e, uint32_t type)
{
	struct einj_setwa s = { 0 };
	bool have_setwa = einj_read_setwa(e, &s) == 0;
	uint32_t proc;
	int ret;

	if (!type)
		type = have_setwa ? s.type : 0;
	/* Exactly one offered type (section 18.6.4); no vendor types. */
	if (!type || (type & (type - 1)) || !(type & e->supported)) {
		pr_warn_rl("EINJ: error type 0x%x is not offered (offered: 0x%x)", type,
			   e->supported);
		return EINJ_STATUS_INVALID_ACCESS;
	}
	if (type & (EINJ_TYPE_PROC_CORRECTABLE | EINJ_TYPE_PROC_UNCORRECTABLE)) {
		proc = have_setwa && (s.flags & EINJ_SETWA_FLAG_PROC) ? s.proc : 0;
		return einj_status_of(e->ops->proc_record(e->opaque, type, proc));
	}
	/* Memory types: the guest must name the address. */
	if (!have_setwa || !(s.flags & EINJ_SETWA_FLAG_MEM)) {
		pr_warn_rl("EINJ: memory error type 0x%x without a memory address", type);
		return EINJ_STATUS_INVALID_ACCESS;
	}
	if (type == EINJ_TYPE_MEM_UNCORRECTABLE)
		ret = e->ops->mem_poison(e->opaque, s.mem_addr);
	else
		ret = e->ops->mem_record(e->opaque, s.mem_addr, type == EINJ_TYPE_MEM_FATAL);
	if (ret)
		pr_warn_rl("EINJ: cannot inject error type 0x%x at guest address 0x%" PRIx64 ": %s",
			   type, s.mem_addr, strerror(-ret));
	return einj_status_of(ret);
}

/* EXECUTE_OPERATION, on the writing vCPU's thread. */
static void einj_do_execute(struct einj *e)
{
	uint32_t type, status;

	pthread_mutex_lock(&e->lock);
	if (!e->open || e->busy) {
		/* Outside BEGIN..END, or another vCPU's injection running. */
		const char *why = e->busy ? "while busy" : "without BEGIN_INJECTION_OPERATION";

		e->status = EINJ_STATUS_INVALID_ACCESS;
		e->rejected++;
		pthread_mutex_unlock(&e->lock);
		pr_warn_rl("EINJ: EXECUTE_OPERATION %s", why);
		return;
	}
	e->busy = true;
	type = e->type;
	pthread_mutex_unlock(&e->lock);

	status = einj_execute(e, type);

	pthread_mutex_lock(&e->lock);
	e->busy = false;
	e->status = status;
	if (status == EINJ_STATUS_SUCCESS)
		e->injected++;
	else if (status == EINJ_STATUS_INVALID_ACCESS)
		e->rejected++;
	else
		e->failed++;
	pthread_mutex_unlock(&e->lock);
}

static int einj_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct einj *e = dev;
	uint64_t reg = off & ~7ull, v = 0, area;

	if (off % size)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	switch (reg) {
	case EINJ_REG_OPERATION:
		break;
	case EINJ_REG_ERROR_TYPE:
		v = e->type;
		break;
	case EINJ_REG_SUPPORTED:
		v = e->supported;
		break;
	case EINJ_REG_BUSY:
		v = e->busy ? EINJ_BUSY_BIT : 0;
		break;
	case EINJ_REG_STATUS:
		v = e->status;
		break;
	case EINJ_REG_TRIGGER:
		area = e->ops->param_area ? e->ops->param_area(e->opaque) : 0;
		v = area ? area + EINJ_TRIGGER_OFF : 0;
		break;
	default:
		break;	/* reserved: reads as zero */
	}
	pthread_mutex_unlock(&e->lock);
	*val = size == 8 ? v : (uint32_t)(v >> ((off & 4) * 8));
	return 0;
}

static int einj_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct einj *e = dev;

	if (off & 7)
		return -EINVAL;	/* registers are written whole (low half) */
	switch (off) {
	case EINJ_REG_OPERATION:
		if (val == EINJ_OP_EXECUTE) {
			einj_do_execute(e);
			return 0;
		}
		if (val != EINJ_OP_BEGIN && val != EINJ_OP_END)
			return -EINVAL;
		pthread_mutex_lock(&e->lock);
		e->open = val == EINJ_OP_BEGIN;
		if (e->open) {
			e->type = 0;
			e->status = EINJ_STATUS_SUCCESS;
		}
		pthread_mutex_unlock(&e->lock);
		return 0;
	case EINJ_REG_ERROR_TYPE:
		pthread_mutex_lock(&e->lock);
		e->type = (uint32_t)val;
		pthread_mutex_unlock(&e->lock);
		return 0;
	default:
		return -EINVAL;	/* read-only or reserved */
	}
}

const struct bus_dev_ops einj_bus_ops = {
	.name = "einj",
	.sizes = BUS_SIZE_4 | BUS_SIZE_8,	/* the EINJ table's DWord/QWord registers */
	.read = einj_read,
	.write = einj_write,
};

static int einj_dev_create(struct device *d, const struct dev_env *env)
{
	if (!env->einj_ops) {
		pr_err("EINJ device without injection hooks (needs --ras)");
		return -EINVAL;
	}
	d->opaque = einj_create(env->einj_ops, env->einj_opaque, env->gm);
	return d->opaque ? 0 : -ENOMEM;
}

static void einj_dev_destroy(struct device *d)
{
	einj_destroy(d->opaque);
}

static void einj_dev_reset(struct device *d)
{
	einj_reset(d->opaque);
}

/* query-vm: EXECUTE_OPERATIONs by outcome. */
static void einj_stats(const struct device *d, struct dev_stats *st)
{
	struct einj *e = d->opaque;

	pthread_mutex_lock(&e->lock);
	dev_stats_add(st, "injected", e->injected);
	dev_stats_add(st, "rejected", e->rejected);
	dev_stats_add(st, "failed", e->failed);
	pthread_mutex_unlock(&e->lock);
}

const struct dev_class einj_class = {
	.name = "einj",
	.create = einj_dev_create,
	.destroy = einj_dev_destroy,
	.reset = einj_dev_reset,
	.mmio = &einj_bus_ops,
	.stats = einj_stats,
};
