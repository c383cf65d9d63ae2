#!/usr/bin/env bash
# The arm64 tools fetch.sh bundles for L1 (build/images/e2fsprogs/ and
# build/images/socat/, put in L1 as /opt/NAME by build-l1.sh), checked
# without KVM or nesting, under qemu-aarch64-static on x86:
#   NAME-bundle-needed    every NEEDED entry of the binaries and of each
#                         bundled library is a file in lib/, and the loader
#                         is there
#   NAME-bundle-version   the binary runs through the bundled loader
#                         (e2fsck -V, socat -V)
#   NAME-bundle-launcher  bin/TOOL, moved elsewhere, execs lib/'s loader
#                         with --library-path lib/ and sbin/TOOL (checked
#                         with a stand-in loader that prints its arguments)
#   socat-bundle-unix-relay  a bundled socat listening on a UNIX socket
#                         (UNIX-LISTEN) receives the line another bundled
#                         socat sends it (UNIX-CONNECT), byte for byte
#   socat-bundle-qmp      a QMP session as e2e 27-qmp holds it: requests
#                         piped into "socat -t 5 - UNIX-CONNECT:PATH" to a
#                         fake QMP server (qmp_fake.py): the greeting,
#                         {"return":{}}, an event and the reply come out,
#                         the server saw both request lines, socat exits 0
# One PASS/FAIL line per check; SKIP when a bundle is not built.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMG=${L1_TOOLS_DIR:-$ROOT/build/images}
fail=0

ok() { echo "PASS $1"; }
ko() { echo "FAIL $1: $2"; fail=1; }

T=$(mktemp -d)
pids=
cleanup() {
	local p
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

run=()
[ "$(uname -m)" = aarch64 ] || run=(qemu-aarch64-static)

# bundled DIR TOOL ARGS...: DIR/sbin/TOOL through DIR/lib's loader, killed
# after 30 s.
bundled() {
	local d=$1 tool=$2
	shift 2
	timeout -k 2 30 "${run[@]}" "$d/lib/ld-linux-aarch64.so.1" --library-path "$d/lib" \
		"$d/sbin/$tool" "$@"
}

# check_needed NAME DIR: every soname named in a NEEDED entry is in lib/.
check_needed() {
	local name=$1 d=$2 f so missing=
	for f in "$d"/sbin/* "$d"/lib/*.so*; do
		for so in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			[ -f "$d/lib/$so" ] || missing="$missing $so($(basename "$f"))"
		done
	done
	[ -x "$d/lib/ld-linux-aarch64.so.1" ] || missing="$missing ld-linux-aarch64.so.1(loader)"
	[ -f "$d/lib/libc.so.6" ] || missing="$missing libc.so.6"
	if [ -z "$missing" ]; then
		ok "$name-bundle-needed"
	else
		ko "$name-bundle-needed" "missing:$missing"
	fi
}

# check_launcher NAME DIR TOOL: the launcher, moved to a directory with a
# space in its name, with a loader that prints its arguments.
check_launcher() {
	local name=$1 d=$2 tool=$3 b="$T/$1 moved" got want
	mkdir -p "$b/bin" "$b/lib"
	cp "$d/bin/$tool" "$b/bin/$tool"
	printf '#!/bin/sh\nfor a; do echo "[$a]"; done\n' >"$b/lib/ld-linux-aarch64.so.1"
	chmod +x "$b/lib/ld-linux-aarch64.so.1"
	got=$("$b/bin/$tool" -x 'a b' - 2>&1 | tr '\n' ' ')
	want="[--library-path] [$b/lib] [$b/sbin/$tool] [-x] [a b] [-] "
	if [ "$got" = "$want" ]; then
		ok "$name-bundle-launcher"
	else
		ko "$name-bundle-launcher" "ran '$got', want '$want'"
	fi
}

# --- e2fsprogs ---------------------------------------------------------------
E=$IMG/e2fsprogs
if [ -x "$E/sbin/e2fsck" ] && [ -x "$E/bin/e2fsck" ]; then
	check_needed e2fsprogs "$E"
	v=$(bundled "$E" e2fsck -V 2>&1 | head -n 1)
	case $v in
	"e2fsck 1."[0-9]*) ok e2fsprogs-bundle-version ;;
	*) ko e2fsprogs-bundle-version "e2fsck -V said '$v'" ;;
	esac
	check_launcher e2fsprogs "$E" e2fsck
else
	echo "SKIP e2fsprogs-bundle: $E not built (guest-images/fetch.sh)"
fi

# --- socat -------------------------------------------------------------------
S=$IMG/socat
if [ ! -x "$S/sbin/socat" ] || [ ! -x "$S/bin/socat" ]; then
	echo "SKIP socat-bundle: $S not built (guest-images/fetch.sh)"
	exit $fail
fi
check_needed socat "$S"
v=$(bundled "$S" socat -V 2>&1 | grep -m 1 '^socat version')
case $v in
"socat version 1."[0-9]*) ok socat-bundle-version ;;
*) ko socat-bundle-version "-V printed no 'socat version 1.N' line: '$(bundled "$S" socat -V 2>&1 | head -n 2 | tr '\n' '|')'" ;;
esac
check_launcher socat "$S" socat

# wait_sock PATH: until PATH is a socket (10 s at most).
wait_sock() {
	local _
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# One line from one bundled socat to another, over a UNIX socket.
msg="relay $$ $(date +%s%N) {\"execute\":\"qmp_capabilities\"}"
bundled "$S" socat -u "UNIX-LISTEN:$T/relay.sock" "CREATE:$T/relay.got" 2>"$T/relay.err" &
lpid=$!
pids="$pids $lpid"
if ! wait_sock "$T/relay.sock"; then
	ko socat-bundle-unix-relay "the listener made no socket: $(head -c 300 "$T/relay.err")"
else
	printf '%s\n' "$msg" | bundled "$S" socat -u - "UNIX-CONNECT:$T/relay.sock" 2>"$T/relay.cerr"
	crc=$?
	wait "$lpid"
	lrc=$?
	if [ $crc = 0 ] && [ $lrc = 0 ] && [ "$(cat "$T/relay.got" 2>/dev/null)" = "$msg" ] &&
		[ "$(wc -c <"$T/relay.got")" = $((${#msg} + 1)) ]; then
		ok socat-bundle-unix-relay
	else
		ko socat-bundle-unix-relay "client status $crc, listener status $lrc, got '$(head -c 200 "$T/relay.got" 2>/dev/null)': $(cat "$T/relay.cerr" "$T/relay.err" | head -n 2 | tr '\n' '|')"
	fi
fi

# A QMP session through the bundled socat, against the fake server.
: >"$T/q.log"
python3 "$ROOT/tests/host/qmp_fake.py" "$T/q.sock" normal "$T/q.log" 2>"$T/fake.err" &
fpid=$!
pids="$pids $fpid"
if ! wait_sock "$T/q.sock"; then
	ko socat-bundle-qmp "qmp_fake.py made no socket"
else
	printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-vm","id":7}' |
		bundled "$S" socat -t 5 - "UNIX-CONNECT:$T/q.sock" >"$T/q.out" 2>"$T/q.err"
	rc=$?
	wait "$fpid"
	frc=$?
	want='{"QMP":{"version":{"qemu":{"micro":0,"minor":0,"major":0},"package":"fake"},"capabilities":[]}}
{"return":{}}
{"event":"RESET","data":{"guest":true,"reason":"guest-reset"},"timestamp":{"seconds":1,"microseconds":2}}
{"return":{"ok":1}}'
	if [ $rc = 0 ] && [ $frc = 0 ] && [ "$(cat "$T/q.out")" = "$want" ] &&
		[ "$(cat "$T/q.log")" = '{"execute":"qmp_capabilities"}
{"execute":"query-vm","id":7}' ]; then
		ok socat-bundle-qmp
	else
		ko socat-bundle-qmp "socat status $rc, server status $frc, output '$(tr '\n' '|' <"$T/q.out")', server saw '$(tr '\n' '|' <"$T/q.log")' $(head -n 2 "$T/q.err" | tr '\n' '|')"
	fi
fi
exit $fail
