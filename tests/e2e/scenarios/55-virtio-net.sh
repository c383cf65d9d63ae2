#!/bin/sh
# virtio-net over a tap in L1 (issue 8); direct boot, 1 vCPU, the guest
# initramfs (it loads virtio_net with net_failover/failover). The VMM creates
# the missing tap0 and brings it up; L1 gives it 10.0.2.1/24; a second VMM on
# the same tap is refused in one line; the guest configures 10.0.2.2/24 on
# eth0 (the MAC given with mac=, the window at 0xa000000), pings L1, and 1 MiB
# of random data goes L1 -> guest and back with busybox nc, checksums
# compared; at power-off the VMM exits 0 and its tap is gone. L1 needs tun
# (guest-images/fetch.sh l1-modules, loaded by l1-init). The guest runs
# e2e-step (guest-images/rootfs).
# E2E-CHECKS: 8
. "${E2E_LIB:-/e2e/lib.sh}"

T=$E2E_TMP
TAP=tap0
MAC=02:e2:e0:00:00:02
HOST_IP=10.0.2.1
GUEST_IP=10.0.2.2
PORT_IN=5001
PORT_OUT=5002
SIZE=1048576
CHECKS="virtio-net-boot virtio-net-tap virtio-net-tap-busy virtio-net-link
	virtio-net-ping virtio-net-tcp-to-guest virtio-net-tcp-to-host
	virtio-net-poweroff"

e2e_begin virtio-net

# step NAME ARGS...: type "e2e-step ARGS..." on guest NAME, wait for its
# "STEP-DONE" line (TIMEOUT_S in $STEP_TMO, default 60) and print the result
# lines it printed. Why a wait failed: $T/NAME.why.
step() {
	local g=$1 off
	shift
	off=$(wc -c <"$T/$g.log")
	: >"$T/$g.why"
	vmm_send "$g" "e2e-step $*" >"$T/$g.why" || return 1
	vmm_expect "$g" "^STEP-DONE $1" "${STEP_TMO:-60}" >"$T/$g.why" || return 1
	tail -c +$((off + 1)) "$T/$g.log" | tr -d '\r' |
		sed -nE 's/^.*((NET|PING|NCGET|NCPUT) )/\1/p'
}

has() { printf '%s\n' "$1" | grep -qE -e "$2"; }

why_step() {
	printf '%s\n%s' "$2" "$(cat "$T/$1.why" 2>/dev/null)"
}

# wait_for SECS CMD...: retry CMD every 0.2 s until it succeeds or SECS pass.
wait_for() {
	local n=$(($1 * 5))
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.2
	done
}

tap_exists() { [ -e "/sys/class/net/$TAP" ]; }
tap_gone() { [ ! -e "/sys/class/net/$TAP" ]; }
listening() { netstat -ltn 2>/dev/null | grep -q ":$1 "; }

fail_rest() {
	local c
	for c in $CHECKS; do
		case " $DONE " in *" $c "*) ;; *) e2e_fail "$c" "$1" ;; esac
	done
}
pass() { e2e_pass "$1"; DONE="$DONE $1"; }
fail() { e2e_fail "$1" "$2"; DONE="$DONE $1"; }
DONE=

if [ ! -c /dev/net/tun ]; then
	fail_rest "no /dev/net/tun in L1 (tun module: guest-images/fetch.sh l1-modules)"
	e2e_end
	exit 0
fi
if tap_exists; then
	ip link delete "$TAP" 2>/dev/null || tunctl -d "$TAP" >/dev/null 2>&1
fi

G=vnet
vmm_start $G run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware \
	--net "tap=$TAP,mac=$MAC"

# --- L1 side: the VMM made tap0 and brought it up --------------------------
if wait_for 60 tap_exists && ip link show "$TAP" | grep -qE '[<,]UP[,>]'; then
	pass virtio-net-tap
else
	fail virtio-net-tap "tap $TAP not created or not up: $(ip link show "$TAP" 2>&1 | head -n 1)
$(e2e_tail "$T/$G.log")"
fi
ip addr add "$HOST_IP/24" dev "$TAP" 2>/dev/null

if why=$(vmm_expect_boot $G 120); then
	pass virtio-net-boot
else
	vmm_kill $G
	fail virtio-net-boot "$why"
	fail_rest "no boot with --net"
	e2e_end
	exit 0
fi

# --- a second VMM on the same tap: one error line, before any guest --------
vmm_run_once vnet2 30 run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 128M --cpus 1 --no-firmware --net "tap=$TAP"
n=$(grep -c '^microvm-ras: error:' "$T/vnet2.err")
if [ "$VMM_RC" != 0 ] && [ "$VMM_RC" -lt 124 ] && [ "$n" = 1 ] &&
	grep -q "^microvm-ras: error: tap '$TAP' is in use" "$T/vnet2.err"; then
	pass virtio-net-tap-busy
else
	fail virtio-net-tap-busy "second VMM on $TAP: exit status $VMM_RC, $n error lines, want 1..123, 1 'in use'
$(e2e_tail "$T/vnet2.err")"
fi

# --- the guest's interface -------------------------------------------------
out=$(step $G netup eth0 "$GUEST_IP/24")
if has "$out" "^NET eth0 mac=$MAC state=up addr=$GUEST_IP/24 bus=a000000\."; then
	pass virtio-net-link
else
	fail virtio-net-link "$(why_step $G "want eth0 mac=$MAC up $GUEST_IP/24 on a000000, got:
$out")"
fi

out=$(step $G ping "$HOST_IP" 3)
if has "$out" "^PING $HOST_IP sent=3 received=3\$"; then
	pass virtio-net-ping
else
	fail virtio-net-ping "$(why_step $G "want 3 of 3 replies, got: $out
$(ip -s link show "$TAP" 2>&1 | head -n 6)")"
fi

# --- TCP: 1 MiB L1 -> guest, then the guest's copy back -------------------
dd if=/dev/urandom of="$T/net-tx.bin" bs=65536 count=$((SIZE / 65536)) 2>/dev/null
sum=$(md5sum <"$T/net-tx.bin" | cut -d' ' -f1)
timeout 150 nc -l -p $PORT_IN <"$T/net-tx.bin" >/dev/null 2>"$T/nc-in.err" &
lpid=$!
wait_for 10 listening $PORT_IN
out=$(STEP_TMO=150 step $G nc-get "$HOST_IP" $PORT_IN /tmp/net-rx.bin)
wait $lpid
lrc=$?
if has "$out" "^NCGET /tmp/net-rx.bin rc=0 bytes=$SIZE md5=$sum\$" && [ "$lrc" = 0 ]; then
	pass virtio-net-tcp-to-guest
else
	fail virtio-net-tcp-to-guest "$(why_step $G "want $SIZE bytes md5=$sum, L1 nc status 0 (got $lrc); guest:
$out
$(cat "$T/nc-in.err" 2>/dev/null)")"
fi

rm -f "$T/net.fifo" "$T/net-back.bin"
mkfifo "$T/net.fifo"
# stdin: the FIFO held open read-write never ends, so this nc only ends
# when the guest closes (busybox nc half-closes at end of input).
timeout 150 nc -l -p $PORT_OUT <>"$T/net.fifo" >"$T/net-back.bin" 2>"$T/nc-out.err" &
lpid=$!
wait_for 10 listening $PORT_OUT
out=$(STEP_TMO=150 step $G nc-put "$HOST_IP" $PORT_OUT /tmp/net-rx.bin)
wait $lpid
lrc=$?
back=$(md5sum <"$T/net-back.bin" | cut -d' ' -f1)
bytes=$(wc -c <"$T/net-back.bin")
if has "$out" "^NCPUT /tmp/net-rx.bin rc=0\$" && [ "$lrc" = 0 ] && [ "$bytes" = $SIZE ] &&
	[ "$back" = "$sum" ]; then
	pass virtio-net-tcp-to-host
else
	fail virtio-net-tcp-to-host "$(why_step $G "want $SIZE bytes md5=$sum in L1, got $bytes md5=$back, L1 nc status $lrc; guest:
$out
$(cat "$T/nc-out.err" 2>/dev/null)")"
fi
rm -f "$T/net.fifo" "$T/net-back.bin" "$T/net-tx.bin"

# --- power-off: exit 0, and the tap the VMM created is gone ----------------
vmm_send $G 'e2e-step off' >/dev/null
rc=0
vmm_wait $G 60 >"$T/$G.wait" || rc=$?
if [ "$rc" = 0 ] && wait_for 10 tap_gone; then
	pass virtio-net-poweroff
else
	fail virtio-net-poweroff "exit status $rc (want 0), tap $TAP $(tap_gone && echo gone || echo 'still there')
$(cat "$T/$G.wait")"
fi
e2e_end
