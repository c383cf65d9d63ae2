/* --trace-boot: one stderr line per step of the boot critical path and of
 * the poweroff path, each with the CLOCK_MONOTONIC time since the process
 * started (a constructor, before main) and the absolute CLOCK_MONOTONIC
 * time, so a harness can add the exec latency it measured itself:
 *   trace-boot: +   1.234 ms mono 12345.678901234 first KVM_RUN (vCPU 0)
 * Process-wide, like the log level: the process runs one VM. */
#ifndef MVR_TRACE_H
#define MVR_TRACE_H

void trace_boot_enable(void);
/* Print 'event' with its time when --trace-boot is on; else nothing. Any
 * thread; costs one load when off. */
void trace_boot(const char *event);

#endif
