#!/bin/sh
# --console virtio (issue 8): direct boot, 1 vCPU, console=hvc0. Debian's
# guest kernel has virtio_console as a module, so the initramfs starts
# without /dev/console and says so on the PL011 (ttyAMA0) first; after the
# modules are loaded it prints GUEST-READY on hvc0. A command typed on the
# VMM's stdin (which now feeds the virtio console only) is answered on
# hvc0; 2000 lines of output arrive complete and in order; query-vm lists
# the virtio-console with its byte counters after the existing keys; after a
# guest reboot the console works again; power-off exits 0.
# E2E-CHECKS: 7
. "${E2E_LIB:-/e2e/lib.sh}"

T=$E2E_TMP
G=vcon
S=$T/vcon.sock
# The harness's command line with the console on hvc0.
case $GUEST_CMDLINE in
*console=ttyAMA0*) CMDLINE=$(echo "$GUEST_CMDLINE" | sed 's/console=ttyAMA0/console=hvc0/') ;;
*) CMDLINE="$GUEST_CMDLINE console=hvc0" ;;
esac

e2e_begin virtio-console

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>/dev/null; }

# since OFF: the log after byte OFF, without CRs.
since() { tail -c +$(($1 + 1)) "$T/$G.log" | tr -d '\r'; }

# console_boot CHECK_EARLY CHECK_BOOT: the initramfs's line on the PL011
# (GUEST-EARLY), then GUEST-READY on hvc0; one result line each.
console_boot() {
	local line
	if ! vmm_expect $G 'GUEST-EARLY|GUEST-READY|GUEST-MODULE-FAIL|GUEST-CONSOLE-FAIL|Kernel panic' 120 \
		>"$T/$G.why"; then
		e2e_fail "$1" "no output: $(cat "$T/$G.why")"
		e2e_fail "$2" "no output"
		return 1
	fi
	line=$(vmm_match $G)
	case $line in
	*GUEST-EARLY*) e2e_pass "$1" ;;
	*GUEST-READY*)
		e2e_fail "$1" "GUEST-READY without GUEST-EARLY first: /dev/console existed before the modules (virtio_console built in, or not console=hvc0?)"
		e2e_pass "$2"
		return 0 ;;
	*)
		e2e_fail "$1" "$(echo "$line" | tr -cd '[:print:]' | cut -c 1-120)"
		e2e_fail "$2" "no boot"
		return 1 ;;
	esac
	line=
	vmm_expect $G 'GUEST-READY|GUEST-MODULE-FAIL|GUEST-CONSOLE-FAIL|Kernel panic' 120 \
		>"$T/$G.why" && line=$(vmm_match $G)
	case $line in
	*GUEST-READY*) e2e_pass "$2"; return 0 ;;
	esac
	e2e_fail "$2" "no GUEST-READY on hvc0: $(echo "$line" | tr -cd '[:print:]' | cut -c 1-100) $(cat "$T/$G.why")"
	return 1
}

rm -f "$S"
vmm_start $G run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$CMDLINE" --memory 256M --cpus 1 --no-firmware \
	--console virtio --api-socket "$S"
if ! console_boot vcon-early-pl011 vcon-boot; then
	vmm_kill $G
	for c in vcon-input vcon-output-bulk vcon-query-vm vcon-reboot vcon-poweroff; do
		e2e_fail $c "no boot on hvc0"
	done
	e2e_end
	exit 0
fi

# --- a command typed on stdin, answered on hvc0 ---------------------------
# The typed text is echoed too: the expected lines are computed by the guest
# ($((...))) so that the echo never matches them.
vmm_send $G 'echo VCON-ECHO-$((6*7)) $(cat /sys/class/tty/console/active) $(tty)' >"$T/$G.why"
if vmm_expect $G '^VCON-ECHO-42 ' 60 >>"$T/$G.why"; then
	line=$(vmm_match $G)
	case $line in
	*' /dev/hvc0'*) e2e_pass vcon-input ;;
	*) e2e_fail vcon-input "answered, but not on hvc0: $line" ;;
	esac
else
	e2e_fail vcon-input "no answer to a typed command: $(cat "$T/$G.why")"
fi

# --- bulk output: 2000 lines, complete and in order ------------------------
seq 0 1999 | sed 's/^/VCON-L /' >"$T/vcon-want"
off=$(wc -c <"$T/$G.log")
vmm_send $G "seq 0 1999 | sed 's/^/VCON-L /'; echo VCON-BULK-\$((1+1))" >"$T/$G.why"
if vmm_expect $G '^VCON-BULK-2' 120 >>"$T/$G.why"; then
	since "$off" | grep -E '^VCON-L [0-9]+$' >"$T/vcon-got"
	if cmp -s "$T/vcon-want" "$T/vcon-got"; then
		e2e_pass vcon-output-bulk
	else
		e2e_fail vcon-output-bulk "$(wc -l <"$T/vcon-got") of 2000 lines, or out of order
$(diff "$T/vcon-want" "$T/vcon-got" 2>/dev/null | head -5)"
	fi
else
	e2e_fail vcon-output-bulk "no end marker: $(cat "$T/$G.why")"
fi

# --- query-vm: existing keys first, then the devices with counters ---------
out=$(ctl query-vm)
dev=$(printf '%s\n' "$out" | sed -n 's/.*"name":"virtio-console"//p')
rx=$(printf '%s\n' "$dev" | sed -n 's/.*"rx-bytes":\([0-9]*\).*/\1/p')
tx=$(printf '%s\n' "$dev" | sed -n 's/.*"tx-bytes":\([0-9]*\).*/\1/p')
if printf '%s\n' "$out" | grep -q '^{"return":{"status":"running","vcpus":1,"memory":' &&
	printf '%s\n' "$out" | grep -q '"vcpu-exits":\[.*\],"devices":\[{"name":"pl011"' &&
	[ -n "$rx" ] && [ "$rx" -gt 50 ] && [ -n "$tx" ] && [ "$tx" -gt 20000 ]; then
	e2e_pass vcon-query-vm
	echo "    virtio-console rx-bytes=$rx tx-bytes=$tx"
else
	e2e_fail vcon-query-vm "want devices after vcpu-exits, pl011 first, virtio-console rx-bytes > 50 and tx-bytes > 20000; got rx=$rx tx=$tx
$(printf '%s\n' "$out" | cut -c 1-600)"
fi

# --- reboot: the console is reset and works again --------------------------
vmm_send $G 'reboot -f' >/dev/null
if console_boot vcon-reboot-early vcon-reboot-ready >"$T/vcon-reboot.res"; then
	vmm_send $G 'echo VCON-AGAIN-$((3*3))' >"$T/$G.why"
	if vmm_expect $G '^VCON-AGAIN-9' 60 >>"$T/$G.why"; then
		e2e_pass vcon-reboot
	else
		e2e_fail vcon-reboot "no answer after the reboot: $(cat "$T/$G.why")"
	fi
	vmm_send $G 'poweroff -f' >/dev/null
	exit_check $G vcon-poweroff 0 60
else
	vmm_kill $G
	e2e_fail vcon-reboot "no second boot on hvc0: $(grep FAIL "$T/vcon-reboot.res" | head -2)"
	e2e_fail vcon-poweroff "no second boot"
fi
rm -f "$S" "$T/vcon-want" "$T/vcon-got"
e2e_end
