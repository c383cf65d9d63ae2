/* vCPU threads: the KVM_RUN loop with its before/after-run hooks, requests
 * run on the vCPU thread (vcpu_run_on) and event injection. The exit table
 * itself is pure and lives in vcpu_exit.c. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arm64/regs.h"
#include "log.h"
#include "trace.h"
#include "vcpu.h"
#include "vcpu_exit.h"
#include "vm.h"

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned index)
{
	int fd;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	pthread_mutex_init(&v->req_lock, NULL);
	pthread_cond_init(&v->req_done_cv, NULL);
	sig_thread_init(&v->thread);
	fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (fd < 0)
		return -errno;
	v->fd = fd;
	v->run = mmap(NULL, (size_t)vm->run_mmap_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, fd, 0);
	if (v->run == MAP_FAILED) {
		int ret = -errno;

		close(fd);
		v->fd = -1;
		v->run = NULL;
		return ret;
	}
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vm->run_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

int vcpu_reset(struct vcpu *v)
{
	return arm64_vcpu_init(v->fd, &v->vm->target, v->index == 0);
}

int vcpu_add_hooks(struct vcpu *v, const struct vcpu_hooks *h)
{
	if (v->nhooks >= VCPU_MAX_HOOKS)
		return -ENOSPC;
	v->hooks[v->nhooks++] = *h;
	return 0;
}

/* External data abort for an access KVM could not decode (exit table). */
static int vcpu_inject_ext_dabt(void *opaque)
{
	struct vcpu *v = opaque;
	struct kvm_vcpu_events ev;

	memset(&ev, 0, sizeof(ev));
	ev.exception.ext_dabt_pending = 1;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	return 0;
}

struct serror_req {
	uint32_t iss;
	bool has_esr;
};

/* Runs on the target vCPU's thread (vcpu_run_on): make an SError pending. */
static int serror_on_vcpu(struct vcpu *v, void *arg)
{
	const struct serror_req *req = arg;
	struct kvm_vcpu_events ev;

	/* Reserved fields must be zero; nothing else is changed by a zeroed
	 * field (pending events are only ever added). */
	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	ev.exception.serror_has_esr = req->has_esr;
	ev.exception.serror_esr = req->iss;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	return 0;
}

int vcpu_inject_serror(struct vcpu *v, bool has_esr, uint32_t iss)
{
	struct serror_req req = { .iss = iss, .has_esr = has_esr };

	if (has_esr &&
	    ioctl(v->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_INJECT_SERROR_ESR) <= 0)
		return -ENOTSUP;
	return vcpu_run_on(v, serror_on_vcpu, &req);
}

static bool vcpu_should_stop(struct vcpu *v)
{
	return __atomic_load_n(&v->vm->stop_reason, __ATOMIC_ACQUIRE) != VM_RUNNING;
}

/* Finish the MMIO access of the last exit without running the guest. KVM
 * completes an emulated access (loads the read's data into its register,
 * steps PC over the instruction) only on the next KVM_RUN (api.rst, "The
 * kvm_run structure": "re-enter the kernel with KVM_RUN ... with the
 * immediate_exit field set to complete pending operations"). Until then
 * the vCPU's registers are not its own: a PC set in between, by a reset
 * (KVM_ARM_VCPU_INIT) or an exception entry, would be stepped by 4 on the
 * next entry - a firmware reset while the guest wrote to the UART started
 * edk2 at its second instruction and it hung without a word. */
static void vcpu_complete_io(struct vcpu *v)
{
	uint8_t was;

	if (!v->io_pending)
		return;
	was = __atomic_exchange_n(&v->run->immediate_exit, 1, __ATOMIC_ACQ_REL);
	if (ioctl(v->fd, KVM_RUN, 0) == 0 || errno != EINTR)
		pr_warn("vCPU %u: completing an MMIO access before a stop did not return EINTR",
			v->index);
	v->io_pending = 0;
	/* A kick that came meanwhile stays set for the loop to see. */
	if (!was)
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELEASE);
}

/* Serve a vcpu_run_on() request, if one waits. Every exit comes here: the
 * lock is taken only when a request was posted (vcpu_run_on kicks the vCPU
 * after posting, so one missed by this load is seen after the next exit).
 * A request may set registers or events: a pending MMIO access is finished
 * first. */
static void vcpu_serve_request(struct vcpu *v)
{
	if (!__atomic_load_n(&v->req_fn, __ATOMIC_ACQUIRE))
		return;
	vcpu_complete_io(v);
	pthread_mutex_lock(&v->req_lock);
	if (v->req_fn && !v->req_done) {
		v->req_ret = v->req_fn(v, v->req_arg);
		v->req_done = 1;
		pthread_cond_broadcast(&v->req_done_cv);
	}
	pthread_mutex_unlock(&v->req_lock);
}

static void vcpu_before_run(struct vcpu *v)
{
	unsigned i;

	for (i = 0; i < v->nhooks; i++)
		if (v->hooks[i].before_run)
			v->hooks[i].before_run(v->hooks[i].opaque, v);
}

static int vcpu_after_run(struct vcpu *v)
{
	unsigned i;
	int ret;

	for (i = 0; i < v->nhooks; i++) {
		if (!v->hooks[i].after_run)
			continue;
		ret = v->hooks[i].after_run(v->hooks[i].opaque, v);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static const enum vm_stop_reason stop_reason_of[] = {
	[VCPU_EXIT_STOP_SHUTDOWN] = VM_STOP_SHUTDOWN,
	[VCPU_EXIT_STOP_RESET] = VM_STOP_RESET,
	[VCPU_EXIT_STOP_ERROR] = VM_STOP_ERROR,
};

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	/* The bus exists by the time threads start (not at vcpu_create). */
	const struct vcpu_exit_deps deps = {
		.index = v->index,
		.bus = v->vm->bus,
		.can_inject_ext_dabt = v->vm->cap_ext_dabt,
		.inject_ext_dabt = vcpu_inject_ext_dabt,
		.opaque = v,
	};
	enum vcpu_exit_action act;
	bool first = v->index == 0;
	sigset_t set;
	int ret, err, hook_ret;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!vcpu_should_stop(v)) {
		vcpu_before_run(v);
		if (first) {
			trace_boot("first KVM_RUN (vCPU 0)");
			first = false;
		}
		v->in_run = 1;
		ret = ioctl(v->fd, KVM_RUN, 0);
		err = errno;
		v->in_run = 0;
		v->io_pending = 0;      /* any KVM_RUN completed the last one */
		/* A memory error (SIGBUS AR) interrupts KVM_RUN with EINTR. */
		hook_ret = vcpu_after_run(v);
		if (hook_ret < 0) {
			pr_err("vCPU %u: handling its memory error failed (%s); stopping the VM",
			       v->index, strerror(-hook_ret));
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		if (ret < 0) {
			if (err == EINTR || err == EAGAIN) {
				v->run->immediate_exit = 0;
				vcpu_serve_request(v);
				continue;
			}
			/* A stage-2 fault that raced with the host kernel's
			 * memory-failure handling of the page (seen with L1's
			 * 6.1 during bursts of offlined pages: GUP fails with
			 * neither success nor -EHWPOISON) comes back as
			 * EFAULT; the guest's access is not completed, so it
			 * is retried. A persistent EFAULT still stops the VM. */
			if (err == EFAULT && v->efault_streak < VCPU_EFAULT_RETRIES) {
				struct timespec ts = { 0, 1000000 };

				if (!v->efault_streak)
					pr_warn_rl("vCPU %u: KVM_RUN failed with EFAULT; retrying",
						   v->index);
				v->efault_streak++;
				nanosleep(&ts, NULL);
				continue;
			}
			pr_err("vCPU %u: KVM_RUN failed: %s", v->index, strerror(err));
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		v->exits++;
		v->efault_streak = 0;
		if (v->run->exit_reason == KVM_EXIT_MMIO) {
			v->mmio_exits++;
			v->io_pending = 1;
		}
		act = vcpu_exit_dispatch(&deps, v->run);
		if (act != VCPU_EXIT_CONTINUE) {
			if (act == VCPU_EXIT_STOP_SHUTDOWN)
				trace_boot("PSCI SYSTEM_OFF");
			else if (act == VCPU_EXIT_STOP_RESET)
				trace_boot("PSCI SYSTEM_RESET");
			vm_request_stop(v->vm, stop_reason_of[act]);
			break;
		}
		vcpu_serve_request(v);
	}
	/* The next boot starts from a reset, not from this access. */
	vcpu_complete_io(v);
	/* Requests posted from now on run on the requester's thread. */
	pthread_mutex_lock(&v->req_lock);
	v->accepting = 0;
	pthread_mutex_unlock(&v->req_lock);
	vcpu_serve_request(v);
	return NULL;
}

int vcpu_run_on(struct vcpu *v, int (*fn)(struct vcpu *v, void *arg), void *arg)
{
	struct timespec ts;
	int ret;

	pthread_mutex_lock(&v->req_lock);
	while (v->req_fn)
		pthread_cond_wait(&v->req_done_cv, &v->req_lock);
	if (!v->accepting) {
		/* No thread in KVM_RUN: the vCPU fd is ours to use here. */
		pthread_mutex_unlock(&v->req_lock);
		return fn(v, arg);
	}
	v->req_arg = arg;
	v->req_done = 0;
	__atomic_store_n(&v->req_fn, fn, __ATOMIC_RELEASE);
	while (!v->req_done) {
		vcpu_kick(v);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&v->req_done_cv, &v->req_lock, &ts);
	}
	ret = v->req_ret;
	__atomic_store_n(&v->req_fn, NULL, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&v->req_done_cv);
	pthread_mutex_unlock(&v->req_lock);
	return ret;
}

int vcpu_start(struct vcpu *v)
{
	int ret;

	v->run->immediate_exit = 0;
	pthread_mutex_lock(&v->req_lock);
	v->accepting = 1;
	pthread_mutex_unlock(&v->req_lock);
	ret = sig_thread_start(&v->thread, vcpu_thread, v);
	if (ret) {
		pthread_mutex_lock(&v->req_lock);
		v->accepting = 0;
		pthread_mutex_unlock(&v->req_lock);
		return ret;
	}
	return 0;
}

void vcpu_join(struct vcpu *v)
{
	sig_thread_join(&v->thread);
}

/* Any thread, any time (another vCPU stopping the VM while this one is
 * still being started, or after it was joined): the signal only goes to a
 * running thread. immediate_exit covers a thread not yet in KVM_RUN. */
void vcpu_kick(struct vcpu *v)
{
	if (!v->run)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	sig_thread_signal(&v->thread, VCPU_KICK_SIGNAL);
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

int vcpu_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	return 0;
}
