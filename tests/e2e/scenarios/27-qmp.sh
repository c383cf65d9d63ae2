#!/bin/sh
# QMP on the control socket (issue 11), the way a QMP client talks: the
# greeting, qmp_capabilities, commands, and events in between. L1 has no
# socat (busybox nc cannot do UNIX sockets), so the raw session is
# "microvm-ras ctl --qmp": stdin to the socket, the socket to stdout, as
# socat - UNIX-CONNECT:PATH would. Firmware boot (the power button is ACPI),
# 1 vCPU, --ras.
#
#   qmp-greeting          {"QMP":{"version":{"qemu":{"micro","minor","major"},
#                         "package":"microvm-ras ..."},"capabilities":[]}}
#   qmp-negotiation       query-version before qmp_capabilities: CommandNotFound;
#                         qmp_capabilities: {"return":{},"id":1}
#   qmp-query-version     {"return":{"qemu":{...},"package":...},"id":2}
#   qmp-query-commands    the list names qmp_capabilities, system_powerdown,
#                         system_reset, query-version
#   qmp-memory-failure    inject-memory-error (cper, ao): a MEMORY_FAILURE
#                         event with recipient guest, action inject, the page
#                         and what was done
#   qmp-reset-event       system_reset while the guest floods the UART:
#                         {"return":{},"id":4}, a RESET event (guest false,
#                         host-qmp-system-reset), the guest boots again
#                         (firmware and kernel), same session
#   qmp-guest-button      the guest has the ACPI power button as an input
#                         device (evdev) and busybox acpid watching it
#   qmp-powerdown-shutdown system_powerdown: POWERDOWN, then the guest's
#                         acpid powers off: SHUTDOWN (guest true,
#                         guest-shutdown) reaches the client
#   qmp-powerdown-exit    ... and the VMM exits 0 (EXIT_GUEST_POWEROFF)
#   qmp-powerdown-direct  direct boot (no ACPI): system_powerdown is an error
#                         naming the reason; ctl exits 1
#   qmp-ctl-env-pretty    ctl with the socket from $MICROVM_RAS_SOCKET, an
#                         option after the command and --pretty: the
#                         query-version reply indented, exit 0
#   qmp-ctl-events-quit   'ctl events' prints SHUTDOWN (guest false,
#                         host-qmp-quit) when 'quit' stops the VMM (status 5)
#   qmp-ctl-gone          ctl after the VMM exited (it removes its socket):
#                         one line "no such file '...'", exit 1
# E2E-CHECKS: 13
. "${E2E_LIB:-/e2e/lib.sh}"

T=$E2E_TMP
VARS=$T/qmp-vars.fd

e2e_begin qmp

# wait_sock PATH NAME: until the VMM NAME listens on PATH (20 s at most).
wait_sock() {
	local i=0
	while [ ! -S "$1" ] && [ $i -lt 100 ] && vmm_alive "$2"; do
		sleep 0.2
		i=$((i + 1))
	done
	[ -S "$1" ]
}

# qmp_open NAME SOCK: a raw QMP session in the background; its input is the
# fifo $T/NAME.qin (held open), its output $T/NAME.qout.
qmp_open() {
	rm -f "$T/$1.qin" "$T/$1.qout"
	mkfifo "$T/$1.qin" || return 1
	: >"$T/$1.qout"
	"$VMM" ctl --api-socket "$2" --qmp <"$T/$1.qin" >"$T/$1.qout" 2>&1 &
	echo $! >"$T/$1.qpid"
	sleep 2147483647 >"$T/$1.qin" &
	echo $! >"$T/$1.qhold"
}

# qmp_send NAME JSON: one request line.
qmp_send() {
	timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' sh "$2" "$T/$1.qin"
}

# qmp_expect NAME ERE TIMEOUT_S: until the session's output has a line
# matching ERE; prints that line. Fails with the output's tail.
qmp_expect() {
	local n=0 line
	while [ $n -lt $(($3 * 5)) ]; do
		line=$(grep -E -m 1 -e "$2" "$T/$1.qout") && { echo "$line"; return 0; }
		sleep 0.2
		n=$((n + 1))
	done
	echo "no line matching '$2' within $3 s; session output: $(tail -c 400 "$T/$1.qout" | tr '\n' ' ')"
	return 1
}

qmp_close() {
	kill "$(cat "$T/$1.qhold")" 2>/dev/null
	wait "$(cat "$T/$1.qhold")" 2>/dev/null
	kill "$(cat "$T/$1.qpid")" 2>/dev/null
	wait "$(cat "$T/$1.qpid")" 2>/dev/null
}

# check NAME CHECK ERE TIMEOUT_S: one result line for qmp_expect.
check() {
	local why
	if why=$(qmp_expect "$1" "$3" "$4"); then
		e2e_pass "$2"
	else
		e2e_fail "$2" "$why"
	fi
}

# guest_button NAME: load evdev, start busybox acpid with a power-button
# action (sync, poweroff -f: PID 1 is a script that cannot take busybox
# poweroff's signal), report what the guest has.
guest_button() {
	vmm_send "$1" "insmod /lib/modules/evdev.ko 2>/dev/null; mkdir -p /etc/acpi/PWRF /var/run /var/log; printf '#!/bin/sh\nsync\npoweroff -f\n' >/etc/acpi/PWRF/00000080; chmod 755 /etc/acpi/PWRF/00000080; sleep 1; acpid -c /etc/acpi -l /var/log/acpid.log; sleep 1; echo BTN=\$(grep -c 'Power Button' /proc/bus/input/devices) EV=\$(ls /dev/input 2>/dev/null | grep -c event) ACPID=\$(pidof acpid | wc -w)"
	vmm_expect "$1" 'BTN=[0-9]+ EV=[0-9]+ ACPID=[0-9]+' 30 || return 1
	vmm_match "$1" | sed 's/.*\(BTN=\)/\1/'
}

# names_all LINE: query-commands' reply LINE lists the commands QMP
# clients and this scenario rely on.
names_all() {
	for c in qmp_capabilities system_powerdown system_reset query-version; do
		echo "$1" | grep -q "{\"name\":\"$c\"}" || return 1
	done
}

VERSION='"qemu":\{"micro":[0-9]+,"minor":[0-9]+,"major":[0-9]+\},"package":"microvm-ras [^"]*"'

# --- firmware boot: greeting, negotiation, queries, an event -------------
G=qmp
S=$T/qmp.sock
cp "$FW_VARS" "$VARS"
vmm_start $G run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 1 --ras \
	--firmware "$FW_CODE" --vars "$VARS" --api-socket "$S"
if ! wait_sock "$S" $G; then
	vmm_kill $G
	for c in greeting negotiation query-version query-commands memory-failure \
		reset-event guest-button powerdown-shutdown powerdown-exit; do
		e2e_fail qmp-$c "no control socket at $S"
	done
else
	qmp_open q "$S"
	check q qmp-greeting "^\{\"QMP\":\{\"version\":\{$VERSION\},\"capabilities\":\[\]\}\}\$" 10
	qmp_send q '{"execute":"query-version","id":0}'
	if why=$(qmp_expect q '"id":0' 10) &&
		echo "$why" | grep -q '"class":"CommandNotFound"'; then
		qmp_send q '{"execute":"qmp_capabilities","id":1}'
		check q qmp-negotiation '^\{"return":\{\},"id":1\}$' 10
	else
		e2e_fail qmp-negotiation "before qmp_capabilities, want CommandNotFound: $why"
	fi
	qmp_send q '{"execute":"query-version","id":2}'
	check q qmp-query-version "^\{\"return\":\{$VERSION\},\"id\":2\}\$" 10
	qmp_send q '{"execute":"query-commands","id":3}'
	if why=$(qmp_expect q '"id":3' 10) && names_all "$why"; then
		e2e_pass qmp-query-commands
	else
		e2e_fail qmp-query-commands "want qmp_capabilities, system_powerdown, system_reset, query-version in: $(echo "$why" | cut -c 1-300)"
	fi

	if why=$(vmm_expect_boot $G 400); then
		qmp_send q '{"execute":"inject-memory-error","arguments":{"gpa":"0x5f000000","mode":"cper","kind":"ao"},"id":6}'
		check q qmp-memory-failure '^\{"event":"MEMORY_FAILURE","data":\{"recipient":"guest","action":"inject","flags":\{"action-required":false,"recursive":false\},"address":"0x5f000000","found":"inject","delivery":"(interrupt|queued)"\},"timestamp":\{"seconds":[0-9]+,"microseconds":[0-9]+\}\}$' 20

		# --- system_reset: RESET event, the guest boots again --------
		# The reset lands while the guest floods the UART, so that the
		# vCPU is most likely stopped right after an MMIO exit: KVM
		# finishes such an access only on the next KVM_RUN, and a
		# VMM that reset the vCPU in between started the firmware one
		# instruction late (it hung without a word).
		vmm_send $G 'i=0; while [ $i -lt 200000 ]; do echo "flood $i 0123456789abcdefghijklmnopqrstuvwxyz"; i=$((i + 1)); done &'
		vmm_expect $G 'flood 2[0-9][0-9] ' 60 >/dev/null
		qmp_send q '{"execute":"system_reset","id":4}'
		if why=$(qmp_expect q '^\{"return":\{\},"id":4\}$' 10) &&
			why=$(qmp_expect q '^\{"event":"RESET","data":\{"guest":false,"reason":"host-qmp-system-reset"\},"timestamp":\{"seconds":[0-9]+,"microseconds":[0-9]+\}\}$' 20) &&
			why=$(vmm_expect_boot $G 400); then
			e2e_pass qmp-reset-event
		else
			e2e_fail qmp-reset-event "$why"
		fi

		# --- system_powerdown: the guest shuts down cleanly ----------
		btn=$(guest_button $G)
		case $btn in
		"BTN=1 EV="[1-9]*" ACPID=1"*) e2e_pass qmp-guest-button ;;
		*) e2e_fail qmp-guest-button "want BTN=1 EV>=1 ACPID=1, got: $btn" ;;
		esac
		qmp_send q '{"execute":"system_powerdown","id":5}'
		if why=$(qmp_expect q '^\{"return":\{\},"id":5\}$' 10) &&
			why=$(qmp_expect q '^\{"event":"POWERDOWN","data":\{\},' 10) &&
			why=$(qmp_expect q '^\{"event":"SHUTDOWN","data":\{"guest":true,"reason":"guest-shutdown"\},"timestamp":\{"seconds":[0-9]+,"microseconds":[0-9]+\}\}$' 60); then
			e2e_pass qmp-powerdown-shutdown
		else
			e2e_fail qmp-powerdown-shutdown "$why
$(e2e_tail "$T/$G.log")"
		fi
		exit_check $G qmp-powerdown-exit 0 60
	else
		vmm_kill $G
		for c in memory-failure reset-event guest-button powerdown-shutdown powerdown-exit; do
			e2e_fail qmp-$c "no boot: $why"
		done
	fi
	qmp_close q
fi

# --- direct boot: no power button; ctl events sees quit's SHUTDOWN --------
G=qmpd
S=$T/qmpd.sock
vmm_start $G run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware --api-socket "$S"
if wait_sock "$S" $G; then
	"$VMM" ctl --api-socket "$S" events >"$T/qmpd.events" 2>&1 &
	epid=$!
	sleep 1
	out=$("$VMM" ctl --api-socket "$S" system_powerdown 2>&1)
	rc=$?
	case "$rc:$out" in
	"1:"*'"class":"GenericError","desc":"the guest has no power button: system_powerdown needs ACPI (firmware boot); use system_reset or quit"'*)
		e2e_pass qmp-powerdown-direct ;;
	*) e2e_fail qmp-powerdown-direct "status $rc, output: $(echo "$out" | tr '\n' ' ' | cut -c 1-300)" ;;
	esac
	out=$(MICROVM_RAS_SOCKET="$S" "$VMM" ctl query-version --pretty --timeout 10 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ "$(echo "$out" | head -1)" = '{' ] &&
		echo "$out" | grep -q '^  "return": {$' &&
		echo "$out" | grep -q '^    "package": "microvm-ras'; then
		e2e_pass qmp-ctl-env-pretty
	else
		e2e_fail qmp-ctl-env-pretty "status $rc, output: $(echo "$out" | tr '\n' ' ' | cut -c 1-300)"
	fi
	"$VMM" ctl --api-socket "$S" quit >/dev/null 2>&1
	rc=0
	vmm_wait $G 30 >"$T/$G.why" || rc=$?
	# ctl events ends when the VMM closes the socket.
	i=0
	while kill -0 $epid 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill $epid 2>/dev/null
	wait $epid 2>/dev/null
	if [ "$rc" = 5 ] && grep -qE '^\{"event":"SHUTDOWN","data":\{"guest":false,"reason":"host-qmp-quit"\},' "$T/qmpd.events"; then
		e2e_pass qmp-ctl-events-quit
	else
		e2e_fail qmp-ctl-events-quit "status $rc (want 5); events: $(tr '\n' ' ' <"$T/qmpd.events" | cut -c 1-300)"
	fi
	out=$("$VMM" ctl query-vm --api-socket "$S" 2>&1)
	rc=$?
	if [ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 1 ] &&
		echo "$out" | grep -q "^microvm-ras: error: ctl: no such file '$S'"; then
		e2e_pass qmp-ctl-gone
	else
		e2e_fail qmp-ctl-gone "status $rc, output: $out"
	fi
else
	vmm_kill $G
	e2e_fail qmp-powerdown-direct "no control socket at $S"
	e2e_fail qmp-ctl-env-pretty "no control socket at $S"
	e2e_fail qmp-ctl-events-quit "no control socket at $S"
	e2e_fail qmp-ctl-gone "no control socket at $S"
fi
e2e_end
