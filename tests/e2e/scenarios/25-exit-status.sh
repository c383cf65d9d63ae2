#!/bin/sh
# Exit statuses (vmm/exit_codes.h) and the pvpanic device, direct boot,
# 1 vCPU. Debian 12's arm64 guest kernel has no pvpanic driver
# (CONFIG_PVPANIC unset), so the guest plays the driver's part with busybox
# devmem on /dev/mem: the same byte read (probe) and byte write (panic
# notifier) Linux's pvpanic-mmio driver does. A real kernel panic is
# checked too: without the driver it resets the guest (panic=-1), which
# --no-reboot turns into status 3.
#
#   pvpanic-guest-probe   the guest sees /proc/device-tree/pvpanic@9040000
#                         and reads 0x03 (PANICKED | CRASH_LOADED) from it
#   panic-exit-status     writing 1 (PANICKED): the VMM exits 4
#   panic-exit-log        ... after its line "microvm-ras: warning: guest
#                         panicked (pvpanic): exiting with status 4
#                         (--on-panic exit)"
#   panic-pause-state     --on-panic pause: the line "... vCPUs stopped, the
#                         VMM keeps running (--on-panic pause)", the VMM
#                         alive, the guest shell silent, query-vm
#                         "status":"paused" and pvpanic "panicked":1
#   signal-status         SIGTERM to that paused VMM: status 143 (128 + 15)
#   quit-status           control 'quit': status 5
#   kernel-panic-reset    echo c >/proc/sysrq-trigger with panic=-1 and
#                         --no-reboot: "Kernel panic" and status 3
# E2E-CHECKS: 7
. "${E2E_LIB:-/e2e/lib.sh}"

T=$E2E_TMP
PV=0x09040000	# MEMMAP_PVPANIC_BASE

e2e_begin exit-status

# start NAME ARGS...: a direct-boot VMM with extra ARGS (call it directly,
# not inside $(...), so that vmm_wait can collect its status).
start() {
	local name=$1
	shift
	vmm_start "$name" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--memory 256M --cpus 1 --no-firmware "$@"
}

# has_line NAME ERE: the VMM's whole log has a line matching ERE.
has_line() {
	tr -d '\r' <"$T/$1.log" | grep -qE -e "$2"
}

# --- the device from the guest, then a panic report: status 4 ------------
G=pvx
start $G --cmdline "$GUEST_CMDLINE"
if why=$(vmm_expect_boot $G 120); then
	# Only the shell's expansion prints "=pvpanic@..." and "=0x..": the
	# echoed command line has "$(" there.
	vmm_send $G "echo PVPANIC-DT=\$(ls /proc/device-tree | grep pvpanic) PVPANIC-READ=\$(devmem $PV 8)"
	if why=$(vmm_expect $G 'PVPANIC-DT=[^$ ]* PVPANIC-READ=0x' 30); then
		line=$(vmm_match $G)
		case $line in
		*"PVPANIC-DT=pvpanic@9040000 PVPANIC-READ=0x03"*) e2e_pass pvpanic-guest-probe ;;
		*) e2e_fail pvpanic-guest-probe "want PVPANIC-DT=pvpanic@9040000 PVPANIC-READ=0x03, got: $line" ;;
		esac
	else
		e2e_fail pvpanic-guest-probe "$why"
	fi
	vmm_send $G "devmem $PV 8 1"
	exit_check $G panic-exit-status 4 60
	if has_line $G '^microvm-ras: warning: guest panicked \(pvpanic\): exiting with status 4 \(--on-panic exit\)$'; then
		e2e_pass panic-exit-log
	else
		e2e_fail panic-exit-log "no 'guest panicked (pvpanic): exiting with status 4' line
$(e2e_tail "$T/$G.log")"
	fi
else
	vmm_kill $G
	e2e_fail pvpanic-guest-probe "no boot: $why"
	e2e_fail panic-exit-status "no boot"
	e2e_fail panic-exit-log "no boot"
fi

# --- --on-panic pause: vCPUs stopped, control socket alive; then SIGTERM --
G=pvp
S=$T/pvp.sock
start $G --cmdline "$GUEST_CMDLINE" --on-panic pause --api-socket "$S"
if why=$(vmm_expect_boot $G 120); then
	vmm_send $G "devmem $PV 8 1"
	if why=$(vmm_expect $G 'guest panicked \(pvpanic\): vCPUs stopped, the VMM keeps running \(--on-panic pause\)' 30); then
		sleep 2
		# A stopped guest does not answer its console.
		vmm_send $G 'echo STILL-$((20+22))'
		sleep 3
		out=$("$VMM" ctl --api-socket "$S" query-vm 2>&1)
		if ! vmm_alive $G; then
			e2e_fail panic-pause-state "the VMM exited after the panic"
		elif has_line $G 'STILL-42'; then
			e2e_fail panic-pause-state "the guest still answers its console"
		elif ! printf '%s\n' "$out" | grep -q '"status":"paused"' ||
			! printf '%s\n' "$out" | grep -q '{"name":"pvpanic","base":151257088,"size":2,"counters":{"panicked":1,"crash-loaded":0}}'; then
			e2e_fail panic-pause-state "want query-vm status paused and pvpanic panicked 1, got: $(printf '%s' "$out" | cut -c 1-300)"
		else
			e2e_pass panic-pause-state
		fi
	else
		e2e_fail panic-pause-state "$why"
	fi
	if vmm_alive $G; then
		kill -TERM "$(cat "$T/$G.pid")"
		exit_check $G signal-status 143 30
	else
		vmm_kill $G
		e2e_fail signal-status "the VMM was gone before the signal"
	fi
else
	vmm_kill $G
	e2e_fail panic-pause-state "no boot: $why"
	e2e_fail signal-status "no boot"
fi

# --- control 'quit': status 5 (no need to wait for the guest) -------------
G=quit
S=$T/quit.sock
start $G --cmdline "$GUEST_CMDLINE" --api-socket "$S"
i=0
while [ ! -S "$S" ] && [ $i -lt 100 ] && vmm_alive $G; do
	sleep 0.2
	i=$((i + 1))
done
reply=$("$VMM" ctl --api-socket "$S" quit 2>&1)
rc=0
vmm_wait $G 30 >"$T/$G.why" || rc=$?
if [ "$rc" = 5 ]; then
	e2e_pass quit-status
else
	e2e_fail quit-status "exit status $rc, want 5; ctl quit replied '$reply'; $(cat "$T/$G.why")"
fi

# --- a real kernel panic without a driver: panic=-1 resets; --no-reboot: 3 -
G=kp
start $G --cmdline "$GUEST_CMDLINE panic=-1" --no-reboot
if why=$(vmm_expect_boot $G 120); then
	vmm_send $G 'echo c >/proc/sysrq-trigger'
	rc=0
	vmm_wait $G 60 >"$T/$G.why" || rc=$?
	if [ "$rc" = 3 ] && has_line $G 'Kernel panic' &&
		has_line $G '^microvm-ras: guest requested a reset; exiting \(--no-reboot\)$'; then
		e2e_pass kernel-panic-reset
	else
		e2e_fail kernel-panic-reset "exit status $rc (want 3), Kernel panic and the --no-reboot line in the log; $(cat "$T/$G.why")
$(e2e_tail "$T/$G.log")"
	fi
else
	vmm_kill $G
	e2e_fail kernel-panic-reset "no boot: $why"
fi
e2e_end
