#!/bin/sh
# QMP on the control socket (issue 11), the way a QMP client talks: the
# greeting, qmp_capabilities, commands, and events in between. Two raw
# sessions on one VMM: "microvm-ras ctl --qmp" (stdin to the socket, the
# socket to stdout) and Debian's socat (fetch.sh's bundle, /opt/socat in
# L1: socat - UNIX-CONNECT:PATH, as QMP users type it); both get every
# event. Firmware boot (the power button is ACPI), 1 vCPU, --ras. Without
# /opt/socat the qmp-socat-* checks say E2E-SKIP.
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
# With socat (a second session, connected after ctl's):
#   qmp-socat-greeting    the same greeting line
#   qmp-socat-negotiation query-commands before qmp_capabilities:
#                         {"error":{"class":"CommandNotFound",...}} (no id);
#                         {"execute":"qmp_capabilities"}: {"return":{}}
#   qmp-socat-query-version {"return":{"qemu":...,"package":...},"id":"sv"}
#   qmp-socat-query-commands the list names the four commands above
#   qmp-socat-oneshot     requests piped into "socat -t 5 - UNIX-CONNECT:S"
#                         (a third client): the greeting, {"return":{}},
#                         the query-version reply, nothing else; socat
#                         exits 0 when the VMM closes after its EOF
#   qmp-socat-memory-failure  the MEMORY_FAILURE event on the socat session
#   qmp-socat-reset-event the RESET event (host-qmp-system-reset)
#   qmp-socat-shutdown    POWERDOWN, then SHUTDOWN (guest true,
#                         guest-shutdown), each with "timestamp"
#   qmp-socat-closed      socat exits 0 by itself when the VMM exits, the
#                         SHUTDOWN event its last line
# E2E-CHECKS: 22
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

# qmp_open NAME CLIENT...: a raw QMP session in the background, the
# command CLIENT... (ctl --qmp, socat); its input is the fifo $T/NAME.qin
# (held open: the client never sees EOF, so it stays connected for the
# events), its output $T/NAME.qout, its pid in $T/NAME.qpid.
qmp_open() {
	local n="$1"
	shift
	rm -f "$T/$n.qin" "$T/$n.qout"
	mkfifo "$T/$n.qin" || return 1
	: >"$T/$n.qout"
	"$@" <"$T/$n.qin" >"$T/$n.qout" 2>&1 &
	echo $! >"$T/$n.qpid"
	sleep 2147483647 >"$T/$n.qin" &
	echo $! >"$T/$n.qhold"
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

# pid_alive PID: the process exists and is not a zombie (kill -0 is true
# for a child not yet waited for).
pid_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	read -r _ _ st _ <"/proc/$1/stat" || return 1
	[ "$st" != Z ]
}

# socat_report RESULT WHY CHECK...: RESULT (e2e_fail or e2e_skip_l1) WHY for
# each qmp-socat-CHECK that cannot run.
socat_report() {
	local res="$1" why="$2" c
	shift 2
	for c in "$@"; do
		"$res" "qmp-socat-$c" "$why"
	done
}

# socat_lost WHY CHECK...: E2E-FAIL for these checks, when socat is there
# (without it, every qmp-socat check said E2E-SKIP at the start).
socat_lost() {
	[ "$SOCAT_STATE" = ok ] || return 0
	socat_report e2e_fail "$@"
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
TS='"timestamp":\{"seconds":[0-9]+,"microseconds":[0-9]+\}'
GREETING="^\{\"QMP\":\{\"version\":\{$VERSION\},\"capabilities\":\[\]\}\}\$"
MF_EVENT='^\{"event":"MEMORY_FAILURE","data":\{"recipient":"guest","action":"inject","flags":\{"action-required":false,"recursive":false\},"address":"0x5f000000","found":"inject","delivery":"(interrupt|queued)"\},'"$TS"'\}$'
RESET_EVENT='^\{"event":"RESET","data":\{"guest":false,"reason":"host-qmp-system-reset"\},'"$TS"'\}$'
POWERDOWN_EVENT='^\{"event":"POWERDOWN","data":\{\},'"$TS"'\}$'
SHUTDOWN_EVENT='^\{"event":"SHUTDOWN","data":\{"guest":true,"reason":"guest-shutdown"\},'"$TS"'\}$'

# socat from fetch.sh's bundle (build-l1.sh puts it in /opt/socat): none
# is a reason to skip; one that does not run is a failure.
SOCAT_CHECKS="greeting negotiation query-version query-commands oneshot memory-failure reset-event shutdown closed"
if [ ! -x "$SOCAT" ]; then
	SOCAT_STATE=missing
	# shellcheck disable=SC2086 # word list
	socat_report e2e_skip_l1 "no $SOCAT in L1 (guest-images/fetch.sh bundles Debian's arm64 socat in build/images/socat, build-l1.sh copies it)" $SOCAT_CHECKS
elif v=$("$SOCAT" -V 2>&1) && echo "$v" | grep -q '^socat version '; then
	SOCAT_STATE=ok
else
	SOCAT_STATE=broken
	# shellcheck disable=SC2086
	socat_report e2e_fail "$SOCAT -V does not run: $(echo "$v" | head -n 2 | tr '\n' ' ' | cut -c 1-200)" $SOCAT_CHECKS
fi

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
	# shellcheck disable=SC2086
	socat_lost "no control socket at $S" $SOCAT_CHECKS
else
	qmp_open q "$VMM" ctl --api-socket "$S" --qmp
	check q qmp-greeting "$GREETING" 10
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

	# --- socat: a second session as QMP users hold one; a one-shot pipe --
	if [ "$SOCAT_STATE" = ok ]; then
		qmp_open s "$SOCAT" - "UNIX-CONNECT:$S"
		check s qmp-socat-greeting "$GREETING" 10
		qmp_send s '{"execute":"query-commands"}'
		if why=$(qmp_expect s '"error"' 10) &&
			echo "$why" | grep -qE '^\{"error":\{"class":"CommandNotFound","desc":"[^"]*qmp_capabilities[^"]*"\}\}$'; then
			qmp_send s '{"execute":"qmp_capabilities"}'
			check s qmp-socat-negotiation '^\{"return":\{\}\}$' 10
		else
			e2e_fail qmp-socat-negotiation "before qmp_capabilities, want CommandNotFound without an id: $why"
		fi
		qmp_send s '{"execute":"query-version","id":"sv"}'
		check s qmp-socat-query-version "^\{\"return\":\{$VERSION\},\"id\":\"sv\"\}\$" 10
		qmp_send s '{"execute":"query-commands","id":"sc"}'
		if why=$(qmp_expect s '"id":"sc"' 10) && names_all "$why"; then
			e2e_pass qmp-socat-query-commands
		else
			e2e_fail qmp-socat-query-commands "want qmp_capabilities, system_powerdown, system_reset, query-version in: $(echo "$why" | cut -c 1-300)"
		fi
		# socat sends its input, half-closes at its EOF and waits (-t 5)
		# for the VMM, which answers and closes.
		printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-version","id":"one"}' |
			timeout 30 "$SOCAT" -t 5 - "UNIX-CONNECT:$S" >"$T/oneshot.out" 2>&1
		rc=$?
		if [ $rc = 0 ] && [ "$(wc -l <"$T/oneshot.out")" = 3 ] &&
			sed -n 1p "$T/oneshot.out" | grep -qE "$GREETING" &&
			[ "$(sed -n 2p "$T/oneshot.out")" = '{"return":{}}' ] &&
			sed -n 3p "$T/oneshot.out" | grep -qE "^\{\"return\":\{$VERSION\},\"id\":\"one\"\}\$"; then
			e2e_pass qmp-socat-oneshot
		else
			e2e_fail qmp-socat-oneshot "status $rc, output: $(tr '\n' ' ' <"$T/oneshot.out" | cut -c 1-400)"
		fi
	fi

	if why=$(vmm_expect_boot $G 400); then
		qmp_send q '{"execute":"inject-memory-error","arguments":{"gpa":"0x5f000000","mode":"cper","kind":"ao"},"id":6}'
		check q qmp-memory-failure "$MF_EVENT" 20
		[ "$SOCAT_STATE" != ok ] || check s qmp-socat-memory-failure "$MF_EVENT" 10

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
			why=$(qmp_expect q "$RESET_EVENT" 20) &&
			why=$(vmm_expect_boot $G 400); then
			e2e_pass qmp-reset-event
		else
			e2e_fail qmp-reset-event "$why"
		fi
		[ "$SOCAT_STATE" != ok ] || check s qmp-socat-reset-event "$RESET_EVENT" 10

		# --- system_powerdown: the guest shuts down cleanly ----------
		btn=$(guest_button $G)
		case $btn in
		"BTN=1 EV="[1-9]*" ACPID=1"*) e2e_pass qmp-guest-button ;;
		*) e2e_fail qmp-guest-button "want BTN=1 EV>=1 ACPID=1, got: $btn" ;;
		esac
		qmp_send q '{"execute":"system_powerdown","id":5}'
		if why=$(qmp_expect q '^\{"return":\{\},"id":5\}$' 10) &&
			why=$(qmp_expect q "$POWERDOWN_EVENT" 10) &&
			why=$(qmp_expect q "$SHUTDOWN_EVENT" 60); then
			e2e_pass qmp-powerdown-shutdown
		else
			e2e_fail qmp-powerdown-shutdown "$why
$(e2e_tail "$T/$G.log")"
		fi
		if [ "$SOCAT_STATE" = ok ]; then
			if why=$(qmp_expect s "$POWERDOWN_EVENT" 10) &&
				why=$(qmp_expect s "$SHUTDOWN_EVENT" 10); then
				pl=$(grep -n -E -m 1 -e "$POWERDOWN_EVENT" "$T/s.qout" | cut -d: -f1)
				sl=$(grep -n -E -m 1 -e "$SHUTDOWN_EVENT" "$T/s.qout" | cut -d: -f1)
				if [ "$pl" -lt "$sl" ]; then
					e2e_pass qmp-socat-shutdown
				else
					e2e_fail qmp-socat-shutdown "SHUTDOWN (line $sl) before POWERDOWN (line $pl)"
				fi
			else
				e2e_fail qmp-socat-shutdown "$why"
			fi
		fi
		exit_check $G qmp-powerdown-exit 0 60
		# The VMM is gone: socat sees the end of the socket and exits
		# on its own, its stdin still open.
		if [ "$SOCAT_STATE" = ok ]; then
			spid=$(cat "$T/s.qpid")
			i=0
			while pid_alive "$spid" && [ $i -lt 50 ]; do
				sleep 0.2
				i=$((i + 1))
			done
			if pid_alive "$spid"; then
				e2e_fail qmp-socat-closed "socat still runs 10 s after the VMM's exit"
			else
				wait "$spid"
				rc=$?
				last=$(tail -n 1 "$T/s.qout")
				if [ $rc = 0 ] && echo "$last" | grep -qE "$SHUTDOWN_EVENT"; then
					e2e_pass qmp-socat-closed
				else
					e2e_fail qmp-socat-closed "status $rc, last line: $(echo "$last" | cut -c 1-300)"
				fi
			fi
		fi
	else
		vmm_kill $G
		for c in memory-failure reset-event guest-button powerdown-shutdown powerdown-exit; do
			e2e_fail qmp-$c "no boot: $why"
		done
		socat_lost "no boot: $why" memory-failure reset-event shutdown closed
	fi
	qmp_close q
	[ "$SOCAT_STATE" != ok ] || qmp_close s
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
