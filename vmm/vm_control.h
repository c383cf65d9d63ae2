/* The control socket's view of the VM (vm_control.c builds its
 * struct control_env and serves it from vm->loop). */
#ifndef MVR_VM_CONTROL_H
#define MVR_VM_CONTROL_H

struct vm;
struct control;

/* Listen on vm->cfg->api_socket; needs vm->mem, vm->loop, the vCPUs and,
 * when --ras was given, vm->ras. Returns NULL after one pr_err() line. */
struct control *vm_create_control(struct vm *vm);

#endif
