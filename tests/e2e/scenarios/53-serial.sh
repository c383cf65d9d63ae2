#!/bin/sh
# --serial file= and socket= (issue 11): direct boot, 1 vCPU, the PL011
# console away from stdio. L1 has no socat; the socket client is
# "microvm-ras ctl --qmp", a raw stdin <-> UNIX socket pipe.
#
#   serial-file-boot        --serial file=F: GUEST-READY lands in F, after
#                           the line F already had (appended, not truncated)
#   serial-file-not-stdout  ... and not in the VMM's stdout/stderr
#   serial-file-quit        control 'quit': exit status 5
#   serial-socket-boot      --serial socket=S, a client connected from the
#                           start: GUEST-READY arrives on the socket
#   serial-socket-input     a command the client sends is answered there
#   serial-socket-busy      a second client is told "has a client already"
#   serial-socket-poweroff  'poweroff -f' from the client: status 0, S removed
# E2E-CHECKS: 7
. "${E2E_LIB:-/e2e/lib.sh}"

T=$E2E_TMP
e2e_begin serial

# wait_file FILE ERE TIMEOUT_S: until a line of FILE matches ERE.
wait_file() {
	local end=$(( $(e2e_now) + $3 * 100 ))
	while [ "$(e2e_now)" -lt "$end" ]; do
		tr -d '\r' <"$1" 2>/dev/null | grep -qE "$2" && return 0
		sleep 0.2
	done
	return 1
}

# --- file ------------------------------------------------------------------
F=$T/serial-file.log
A=$T/serial-file.sock
rm -f "$F" "$A"
echo "PRE-EXISTING LINE" >"$F"
vmm_start sfile run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware \
	--serial "file=$F" --api-socket "$A"
if wait_file "$F" 'GUEST-READY' 120; then
	if [ "$(head -n 1 "$F")" = "PRE-EXISTING LINE" ]; then
		e2e_pass serial-file-boot
	else
		e2e_fail serial-file-boot "first line is now '$(head -n 1 "$F" | cut -c 1-60)' (truncated?)"
	fi
else
	e2e_fail serial-file-boot "no GUEST-READY in $F"
	e2e_tail "$F"
fi
if grep -q 'GUEST-READY' "$T/sfile.log"; then
	e2e_fail serial-file-not-stdout "guest output on the VMM's stdout"
else
	e2e_pass serial-file-not-stdout
fi
"$VMM" ctl --api-socket "$A" quit >/dev/null 2>&1
exit_check sfile serial-file-quit 5 30

# --- socket ----------------------------------------------------------------
S=$T/serial.sock
rm -f "$S" "$T/sc.in" "$T/sc.out" "$T/sc2.out"
vmm_start ssock run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware \
	--serial "socket=$S"
n=0
while [ ! -S "$S" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
mkfifo "$T/sc.in"
"$VMM" ctl --api-socket "$S" --qmp --timeout 5 <"$T/sc.in" >"$T/sc.out" 2>&1 &
client=$!
sleep 2147483647 >"$T/sc.in" &
holder=$!
if wait_file "$T/sc.out" 'GUEST-READY' 120; then
	e2e_pass serial-socket-boot
else
	e2e_fail serial-socket-boot "no GUEST-READY on the socket"
	e2e_tail "$T/sc.out"
	e2e_tail "$T/ssock.log"
fi
# The echo of the typed line never matches: the guest computes the number.
printf '%s\n' 'echo SER-ECHO-$((6*7))' >"$T/sc.in"
if wait_file "$T/sc.out" '^SER-ECHO-42' 30; then
	e2e_pass serial-socket-input
else
	e2e_fail serial-socket-input "no SER-ECHO-42 on the socket"
	e2e_tail "$T/sc.out"
fi
"$VMM" ctl --api-socket "$S" --qmp --timeout 2 </dev/null >"$T/sc2.out" 2>&1
if grep -q 'has a client already' "$T/sc2.out"; then
	e2e_pass serial-socket-busy
else
	e2e_fail serial-socket-busy "second client got: $(head -c 100 "$T/sc2.out" | tr -cd '[:print:]')"
fi
printf '%s\n' 'poweroff -f' >"$T/sc.in"
rc=0
vmm_wait ssock 60 >"$T/ssock.why" || rc=$?
if [ "$rc" = 0 ] && [ ! -e "$S" ]; then
	e2e_pass serial-socket-poweroff
elif [ "$rc" = 0 ]; then
	e2e_fail serial-socket-poweroff "status 0 but $S was left behind"
else
	e2e_fail serial-socket-poweroff "exit status $rc, want 0. $(cat "$T/ssock.why")"
fi
kill "$holder" 2>/dev/null
wait "$client" 2>/dev/null
e2e_end
