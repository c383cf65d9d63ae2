/* vCPU threads and the KVM_RUN exit dispatch table (one handler per exit
 * reason, designated initialisers), after bhyve's vmexit table. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arm64/regs.h"
#include "bus.h"
#include "log.h"
#include "ras/ras.h"
#include "vcpu.h"
#include "vm.h"

enum exit_action { EXIT_CONTINUE, EXIT_STOP };

typedef enum exit_action (*exit_handler_t)(struct vcpu *v);

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned index)
{
	int fd;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	pthread_mutex_init(&v->req_lock, NULL);
	pthread_cond_init(&v->req_done_cv, NULL);
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

static enum exit_action exit_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	v->mmio_exits++;
	bus_access(v->vm->bus, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
		   run->mmio.is_write);
	return EXIT_CONTINUE;
}

static enum exit_action exit_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(v->vm, VM_STOP_SHUTDOWN);
		return EXIT_STOP;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(v->vm, VM_STOP_RESET);
		return EXIT_STOP;
	default:
		pr_err("vCPU %u: guest system event %u (crash)", v->index,
		       v->run->system_event.type);
		vm_request_stop(v->vm, VM_STOP_ERROR);
		return EXIT_STOP;
	}
}

/* An MMIO access KVM could not decode (load/store pair, writeback...): the
 * guest gets an external data abort when KVM can inject one, as a real bus
 * would answer an unsupported access. */
static enum exit_action exit_arm_nisv(struct vcpu *v)
{
	struct kvm_vcpu_events ev;

	pr_warn_rl("vCPU %u: MMIO access at 0x%llx with an instruction that has no valid "
		   "syndrome (e.g. LDP/STP or writeback); cannot emulate it",
		   v->index, (unsigned long long)v->run->arm_nisv.fault_ipa);
	if (!v->vm->cap_ext_dabt) {
		vm_request_stop(v->vm, VM_STOP_ERROR);
		return EXIT_STOP;
	}
	memset(&ev, 0, sizeof(ev));
	ev.exception.ext_dabt_pending = 1;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0) {
		pr_err("vCPU %u: cannot inject external abort: %m", v->index);
		vm_request_stop(v->vm, VM_STOP_ERROR);
		return EXIT_STOP;
	}
	return EXIT_CONTINUE;
}

static enum exit_action exit_fail_entry(struct vcpu *v)
{
	pr_err("vCPU %u: KVM could not enter the guest (reason 0x%llx)", v->index,
	       (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
	vm_request_stop(v->vm, VM_STOP_ERROR);
	return EXIT_STOP;
}

static enum exit_action exit_internal_error(struct vcpu *v)
{
	pr_err("vCPU %u: KVM internal error (suberror %u)", v->index,
	       v->run->internal.suberror);
	vm_request_stop(v->vm, VM_STOP_ERROR);
	return EXIT_STOP;
}

static enum exit_action exit_intr(struct vcpu *v)
{
	return EXIT_CONTINUE;
}

static const exit_handler_t exit_table[] = {
	[KVM_EXIT_MMIO] = exit_mmio,
	[KVM_EXIT_SYSTEM_EVENT] = exit_system_event,
	[KVM_EXIT_ARM_NISV] = exit_arm_nisv,
	[KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
	[KVM_EXIT_INTERNAL_ERROR] = exit_internal_error,
	[KVM_EXIT_INTR] = exit_intr,
};

static bool vcpu_should_stop(struct vcpu *v)
{
	return __atomic_load_n(&v->vm->stop_reason, __ATOMIC_ACQUIRE) != VM_RUNNING;
}

/* Serve a vcpu_run_on() request, if one waits. */
static void vcpu_serve_request(struct vcpu *v)
{
	pthread_mutex_lock(&v->req_lock);
	if (v->req_fn && !v->req_done) {
		v->req_ret = v->req_fn(v, v->req_arg);
		v->req_done = 1;
		pthread_cond_broadcast(&v->req_done_cv);
	}
	pthread_mutex_unlock(&v->req_lock);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct ras *ras = v->vm->ras;
	sigset_t set;
	uint32_t reason;
	int ret, err;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!vcpu_should_stop(v)) {
		if (ras)
			ras_vcpu_before_run(ras, v);
		v->in_run = 1;
		ret = ioctl(v->fd, KVM_RUN, 0);
		err = errno;
		v->in_run = 0;
		/* A memory error (SIGBUS AR) interrupts KVM_RUN with EINTR. */
		if (ras && ras_vcpu_after_run(ras, v) < 0) {
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		vcpu_serve_request(v);
		if (ret < 0) {
			if (err == EINTR || err == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			pr_err("vCPU %u: KVM_RUN failed: %s", v->index, strerror(err));
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		v->exits++;
		reason = v->run->exit_reason;
		if (reason >= sizeof(exit_table) / sizeof(exit_table[0]) || !exit_table[reason]) {
			pr_err("vCPU %u: unhandled KVM exit reason %u", v->index, reason);
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		if (exit_table[reason](v) == EXIT_STOP)
			break;
	}
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
	v->req_fn = fn;
	v->req_arg = arg;
	v->req_done = 0;
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
	v->req_fn = NULL;
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
	v->started = 1;
	ret = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (ret) {
		v->started = 0;
		pthread_mutex_lock(&v->req_lock);
		v->accepting = 0;
		pthread_mutex_unlock(&v->req_lock);
		return -ret;
	}
	return 0;
}

void vcpu_join(struct vcpu *v)
{
	if (!v->started)
		return;
	pthread_join(v->thread, NULL);
	v->started = 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started || !v->run)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
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
