/* The process exit status of microvm-ras: one documented value per way of
 * stopping (README.md "Exit status"), so that CI can tell a guest that
 * powered off from one that panicked, reset or was stopped. In the spirit
 * of QEMU's -action and Firecracker's documented exit codes. Only main.c
 * exits; vm_run() returns these. Values stay below 124 (timeout(1)'s) and
 * 128 (signals), except EXIT_SIGNAL_BASE + signal. */
#ifndef MVR_EXIT_CODES_H
#define MVR_EXIT_CODES_H

/* The guest powered off (PSCI SYSTEM_OFF); also --help and --version, and
 * dump-dtb/dump-acpi that wrote their output. */
#define EXIT_GUEST_POWEROFF 0
/* A VMM error: a file, KVM or device could not be set up, or a vCPU or the
 * event loop failed (one "microvm-ras: error:" line says which). */
#define EXIT_VMM_ERROR 1
/* A usage error: unknown option, bad value, conflicting options. */
#define EXIT_USAGE 2
/* The guest reset itself (PSCI SYSTEM_RESET) and --no-reboot was given. */
#define EXIT_GUEST_RESET 3
/* The guest reported a panic through the pvpanic device (--on-panic exit,
 * the default). */
#define EXIT_GUEST_PANIC 4
/* The control socket's 'quit' command. */
#define EXIT_QUIT 5
/* SIGINT, SIGTERM or SIGHUP: 128 + the signal number, as a shell reports a
 * process killed by it (130, 143, 129). */
#define EXIT_SIGNAL_BASE 128

#endif
