# shellcheck shell=sh
# tests/e2e/lib.sh: expect-like helpers to drive microvm-ras from a shell
# script inside L1 (busybox ash; also works with dash/bash). Source it, then:
#
#   e2e_begin boot                      scenario marker "E2E-BEGIN boot"
#   vmm_start g1 run --kernel ... &&    VMM in the background; stdin from a
#                                       fifo held open, stdout+stderr to
#                                       $E2E_TMP/g1.log
#   vmm_expect g1 'GUEST-READY' 120     wait for a line matching the ERE,
#                                       searching only output after the
#                                       previous match (like expect)
#   vmm_send g1 'poweroff -f'           type one line on the guest console
#   vmm_wait g1 60; rc=$?               wait for exit, returns its status
#                                       (killed and 124 on timeout)
#   vmm_run_once NAME TIMEOUT args...   run to completion, stdin /dev/null,
#                                       stdout/stderr in NAME.out/NAME.err,
#                                       status in $VMM_RC
#   e2e_pass CHECK / e2e_fail CHECK WHY exactly one line per check:
#                                       "E2E-PASS <check>" or
#                                       "E2E-FAIL <check>: <why>"
#   e2e_end                             "E2E-END boot secs=N.NN"
#
# Higher-level helpers (each prints exactly one result line):
#   guest_ready_check NAME CHECK NPROC MEM_LO_KB MEM_HI_KB TIMEOUT_S
#   exit_check NAME CHECK WANT_STATUS TIMEOUT_S
# and vmm_expect_boot NAME TIMEOUT_S (GUEST-READY, failing fast on the UEFI
# shell or a guest panic), vmm_match NAME (last matched line), vmm_kill NAME,
# vmm_alive NAME, e2e_now / e2e_secs (centisecond timing).
# Real memory errors from L1 (ENVIRONMENT.md): vmm_gpa_to_hpa NAME MEM_KB GPA
# gives the L1 physical address backing a guest physical address of a VMM
# (microvm-ras or QEMU: guest RAM at $E2E_RAM_GPA in both), l1_hard_offline
# HPA poisons that page (the VMM gets BUS_MCEERR_AO at once, AR on the next
# access), l1_hard_offline_together HPA... poisons several at the same
# moment (a burst: one writer each, released together); vmm_ram_map NAME MEM_KB gives "START RSS_KB" of the guest-RAM
# mapping.
# Settings passed from the host (E2E_SOAK_*, see build-l1.sh) come from
# $E2E_ENV (default /e2e/env), read here when it exists.
# The guest kernel (build-l1.sh puts fetch.sh's guest-kernel.env into
# $E2E_ENV): $E2E_GUEST_KERNEL (bookworm, trixie, sid, sid-16k),
# $E2E_GUEST_KVER (uname -r), $E2E_GUEST_PAGE (its page size: 16384 for
# sid-16k); guest_pfn PA prints the page frame number as Linux prints it
# ("Memory failure: %#lx"); e2e_skip CHECK WHY marks a check that cannot
# run with this kernel ("E2E-SKIP <check>: <why>"; counted as delivered,
# neither passed nor failed); e2e_skip_l1 CHECK WHY one that needs a tool
# this L1 image lacks (the same line, without the kernel).
# Paths in L1: $VMM, $GUEST_KERNEL, $GUEST_INITRD, $GUEST_CMDLINE, $FW_CODE,
# $FW_VARS (copy it before passing it as --vars), scratch dir $E2E_TMP.
# Tools in L1 (fetch.sh's arm64 bundles, when built; build-l1.sh): $SOCAT
# (/opt/socat/bin/socat: "$SOCAT - UNIX-CONNECT:SOCKET" is a QMP session),
# /opt/e2fsprogs/bin/e2fsck and /opt/e2fsprogs/bin/debugfs.
#
# Each scenario file declares its number of checks in a header line
# "# E2E-CHECKS: N"; tests/e2e/run.sh fails when fewer results arrive.
# VMM names are used in file names: keep them [A-Za-z0-9_-].

E2E_ENV=${E2E_ENV:-/e2e/env}
if [ -r "$E2E_ENV" ]; then
	# shellcheck disable=SC1090
	. "$E2E_ENV"
fi
VMM=${VMM:-/usr/bin/microvm-ras}
E2E_TMP=${E2E_TMP:-/tmp/e2e}
GUEST_KERNEL=${GUEST_KERNEL:-/guest/Image}
GUEST_INITRD=${GUEST_INITRD:-/guest/guest.cpio}
GUEST_CMDLINE=${GUEST_CMDLINE:-console=ttyAMA0 quiet rdinit=/init}
FW_CODE=${FW_CODE:-/fw/QEMU_EFI.fd}
FW_VARS=${FW_VARS:-/fw/AAVMF_VARS.fd}
SOCAT=${SOCAT:-/opt/socat/bin/socat}
E2E_TAIL_LINES=${E2E_TAIL_LINES:-15}
E2E_GUEST_KERNEL=${E2E_GUEST_KERNEL:-bookworm}
E2E_GUEST_KVER=${E2E_GUEST_KVER:-}
E2E_GUEST_PAGE=${E2E_GUEST_PAGE:-4096}
mkdir -p "$E2E_TMP"

# e2e_now: monotonic-enough time in centiseconds (from /proc/uptime).
e2e_now() {
	local up
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}" | sed 's/^0*//; s/^$/0/'
}

# e2e_secs START_CS: seconds elapsed since START_CS as "S.CC".
e2e_secs() {
	local d=$(( $(e2e_now) - $1 ))
	printf '%d.%02d' $((d / 100)) $((d % 100))
}

e2e_begin() {
	E2E_SCENARIO=$1
	E2E_T0=$(e2e_now)
	echo "E2E-BEGIN $1"
}

e2e_end() {
	echo "E2E-END $E2E_SCENARIO secs=$(e2e_secs "$E2E_T0")"
}

e2e_pass() {
	echo "E2E-PASS $1"
}

# e2e_skip CHECK WHY: the check cannot run with this guest kernel; says why.
e2e_skip() {
	local name=$1
	shift
	echo "E2E-SKIP $name: $* (guest kernel $E2E_GUEST_KERNEL${E2E_GUEST_KVER:+ $E2E_GUEST_KVER})"
}

# e2e_skip_l1 CHECK WHY: the check needs something this L1 image lacks.
e2e_skip_l1() {
	local name=$1
	shift
	echo "E2E-SKIP $name: $*"
}

# guest_pfn PA: the guest page frame number of physical address PA (0x...),
# as Linux prints it: "%#lx" of PA / $E2E_GUEST_PAGE.
guest_pfn() {
	printf '%#x\n' $(($1 / E2E_GUEST_PAGE))
}

# e2e_fail CHECK REASON: the first line of REASON goes on the result line;
# further lines (log tails) follow it, indented, for diagnosis.
e2e_fail() {
	local name=$1 first
	shift
	first=$(printf '%s\n' "$*" | head -n 1)
	echo "E2E-FAIL $name: ${first:-failed}"
	printf '%s\n' "$*" | tail -n +2 | sed 's/^/    /'
}

# e2e_tail FILE: show the last lines of a log, indented, for diagnosis.
e2e_tail() {
	echo "--- tail of $1 ---"
	tail -n "$E2E_TAIL_LINES" "$1" 2>/dev/null | sed 's/^/| /'
	echo "---"
}

# vmm_alive NAME: true while the VMM process exists and is not a zombie.
vmm_alive() {
	local pid st
	pid=$(cat "$E2E_TMP/$1.pid" 2>/dev/null) || return 1
	[ -r "/proc/$pid/stat" ] || return 1
	read -r _ _ st _ <"/proc/$pid/stat" || return 1
	[ "$st" != Z ]
}

# vmm_start NAME ARGS...: start "$VMM ARGS..." in the background of the
# calling shell (call it directly, not inside $(...), so that vmm_wait can
# collect the exit status). Returns 0 once the process is started.
vmm_start() {
	local name=$1 d=$E2E_TMP
	shift
	rm -f "$d/$name.in" "$d/$name.log" "$d/$name.pid" "$d/$name.hold" \
		"$d/$name.off"
	mkfifo "$d/$name.in" || return 1
	: >"$d/$name.log"
	echo 0 >"$d/$name.off"
	# The reader's open blocks until the holder opens the write end; the
	# holder keeps the fifo open so the VMM never sees EOF on stdin.
	"$VMM" "$@" <"$d/$name.in" >"$d/$name.log" 2>&1 &
	echo $! >"$d/$name.pid"
	sleep 2147483647 >"$d/$name.in" &
	echo $! >"$d/$name.hold"
	return 0
}

# vmm_expect NAME ERE TIMEOUT_S: wait until the VMM's output after the last
# match contains a line matching ERE (grep -E). Returns 0 on a match (and
# consumes output up to the end of the matching line); on timeout or early
# exit, prints why plus the log tail and returns 1.
vmm_expect() {
	local name=$1 re=$2 tmo=$3 d=$E2E_TMP off ln used deadline
	deadline=$(( $(e2e_now) + tmo * 100 ))
	while :; do
		off=$(cat "$d/$name.off")
		ln=$(tail -c +$((off + 1)) "$d/$name.log" | grep -n -E -m 1 -e "$re" |
			cut -d: -f1)
		if [ -n "$ln" ]; then
			used=$(tail -c +$((off + 1)) "$d/$name.log" | head -n "$ln" | wc -c)
			echo $((off + used)) >"$d/$name.off"
			return 0
		fi
		if ! vmm_alive "$name"; then
			# One last look: the output may have landed just before exit.
			[ -n "$E2E_EXPECT_RETRY" ] && break
			E2E_EXPECT_RETRY=1 vmm_expect "$name" "$re" 0 && return 0
			echo "expect '$re' on $name: VMM exited"
			e2e_tail "$d/$name.log"
			return 1
		fi
		[ "$(e2e_now)" -ge "$deadline" ] && break
		sleep 0.2
	done
	[ -n "$E2E_EXPECT_RETRY" ] && return 1
	echo "expect '$re' on $name: timeout after ${tmo}s"
	e2e_tail "$d/$name.log"
	return 1
}

# vmm_match NAME: the last line vmm_expect matched (for extracting values).
vmm_match() {
	local d=$E2E_TMP off
	off=$(cat "$d/$1.off")
	head -c "$off" "$d/$1.log" | tail -n 1 | tr -d '\r'
}

# vmm_send NAME TEXT: write TEXT and a newline to the VMM's stdin. Fails
# (without blocking) when the VMM is gone.
vmm_send() {
	vmm_alive "$1" || { echo "send to $1: VMM not running"; return 1; }
	timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' sh "$2" "$E2E_TMP/$1.in"
}

# vmm_wait NAME TIMEOUT_S: wait for the VMM to exit and return its exit
# status. On timeout: SIGTERM, then SIGKILL 3 s later, log tail, return 124.
# Also stops the fifo holder.
vmm_wait() {
	local name=$1 tmo=$2 d=$E2E_TMP pid deadline rc=0 timed_out=
	pid=$(cat "$d/$name.pid")
	deadline=$(( $(e2e_now) + tmo * 100 ))
	while vmm_alive "$name"; do
		if [ "$(e2e_now)" -ge "$deadline" ]; then
			timed_out=1
			echo "wait $name: timeout after ${tmo}s, killing"
			kill -TERM "$pid" 2>/dev/null
			sleep 3
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.2
	done
	wait "$pid" 2>/dev/null || rc=$?
	vmm_stop_holder "$name"
	if [ -n "$timed_out" ]; then
		e2e_tail "$d/$name.log"
		return 124
	fi
	return $rc
}

vmm_stop_holder() {
	local h
	h=$(cat "$E2E_TMP/$1.hold" 2>/dev/null) || return 0
	kill "$h" 2>/dev/null
	wait "$h" 2>/dev/null
	rm -f "$E2E_TMP/$1.hold"
	return 0
}

# vmm_kill NAME: stop a VMM left running by a failed check (no status).
vmm_kill() {
	local pid
	pid=$(cat "$E2E_TMP/$1.pid" 2>/dev/null) || return 0
	if vmm_alive "$1"; then
		kill -TERM "$pid" 2>/dev/null
		sleep 1
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	vmm_stop_holder "$1"
	return 0
}

# vmm_run_once NAME TIMEOUT_S ARGS...: run "$VMM ARGS..." to completion with
# stdin from /dev/null; stdout to NAME.out, stderr to NAME.err; exit status
# in VMM_RC (124 = killed on timeout, like timeout(1)).
vmm_run_once() {
	local name=$1 tmo=$2
	shift 2
	VMM_RC=0
	timeout -k 3 "$tmo" "$VMM" "$@" </dev/null \
		>"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err" || VMM_RC=$?
	# busybox timeout reports a kill as 128+signal: normalise.
	[ "$VMM_RC" = 143 ] && VMM_RC=124
	return 0
}

# vmm_expect_boot NAME TIMEOUT_S: like vmm_expect for the guest's
# "GUEST-READY" line, but fails at once when the guest ends in the UEFI shell
# (firmware found nothing to boot) or the guest kernel panics.
vmm_expect_boot() {
	local line
	vmm_expect "$1" 'GUEST-READY|Shell> |Kernel panic|Unable to boot' "$2" || return 1
	line=$(vmm_match "$1")
	case $line in
	*GUEST-READY*) return 0 ;;
	esac
	echo "boot of $1 failed: $(echo "$line" | tr -cd '[:print:]' | cut -c 1-100)"
	e2e_tail "$E2E_TMP/$1.log"
	return 1
}

# guest_ready_check NAME CHECK NPROC MEMLO MEMHI TIMEOUT_S: expect the guest's
# "GUEST-READY nproc=N mem_kb=M" line and check both values; one result line.
guest_ready_check() {
	local name=$1 check=$2 want=$3 lo=$4 hi=$5 tmo=$6 line n m why
	why=$(vmm_expect_boot "$name" "$tmo") || {
		e2e_fail "$check" "no GUEST-READY: $why"
		return 1
	}
	line=$(vmm_match "$name" | sed 's/.*\(GUEST-READY\)/\1/')
	n=$(echo "$line" | sed -n 's/.*GUEST-READY nproc=\([0-9]*\).*/\1/p')
	m=$(echo "$line" | sed -n 's/.*mem_kb=\([0-9]*\).*/\1/p')
	if [ "$n" != "$want" ]; then
		e2e_fail "$check" "nproc=$n, want $want ($line)"
		return 1
	fi
	if [ -z "$m" ] || [ "$m" -lt "$lo" ] || [ "$m" -gt "$hi" ]; then
		e2e_fail "$check" "mem_kb=$m, want $lo..$hi ($line)"
		return 1
	fi
	e2e_pass "$check"
}

# exit_check NAME CHECK WANT TIMEOUT_S: vmm_wait (in this shell, so that the
# status can be collected) and compare the status; one result line.
exit_check() {
	local name=$1 check=$2 want=$3 tmo=$4 rc=0
	vmm_wait "$name" "$tmo" >"$E2E_TMP/$name.why" || rc=$?
	if [ "$rc" = "$want" ]; then
		e2e_pass "$check"
		return 0
	fi
	e2e_fail "$check" "exit status $rc, want $want. $(cat "$E2E_TMP/$name.why")"
	return 1
}

# --- real memory errors from L1 --------------------------------------------
E2E_PROC=${E2E_PROC:-/proc}
E2E_HARD_OFFLINE=${E2E_HARD_OFFLINE:-/sys/devices/system/memory/hard_offline_page}
E2E_RAM_GPA=${E2E_RAM_GPA:-0x40000000}
E2E_PAGE=${E2E_PAGE:-4096}

# vmm_ram_map NAME MEM_KB: "START RSS_KB" (START in hex, no 0x) of the VMM's
# guest-RAM mapping, the first read-write mapping of exactly MEM_KB in its
# smaps. Fails when there is none.
vmm_ram_map() {
	local pid
	pid=$(cat "$E2E_TMP/$1.pid" 2>/dev/null) || return 1
	awk -v want="$2" '
		/^[0-9a-f]+-[0-9a-f]+ / { start = $1; sub(/-.*/, "", start)
			rw = ($2 ~ /^rw/); cur = 0; next }
		/^Size:/ { cur = (rw && $2 == want); next }
		/^Rss:/ && cur { print start, $2; found = 1; exit }
		END { exit !found }' "$E2E_PROC/$pid/smaps" 2>/dev/null
}

# vmm_gpa_to_hpa NAME MEM_KB GPA: print the L1 physical address (0x...) of
# guest physical address GPA of VMM NAME, whose guest RAM is MEM_KB at
# E2E_RAM_GPA: host virtual address from the RAM mapping (vmm_ram_map), its
# pagemap entry (Linux Documentation/admin-guide/mm/pagemap.rst: 64-bit
# entry per page, bit 63 present, bits 0-54 PFN; the PFN reads as 0 unless
# root). On failure prints why and returns 1.
vmm_gpa_to_hpa() {
	local name=$1 kb=$2 gpa=$3 pid map start off hva ent pfn
	pid=$(cat "$E2E_TMP/$name.pid" 2>/dev/null) || { echo "$name: no pid"; return 1; }
	map=$(vmm_ram_map "$name" "$kb") ||
		{ echo "$name: no read-write mapping of $kb kB (guest RAM) in smaps"; return 1; }
	start=${map%% *}
	case $gpa in
	0x[0-9a-fA-F]*) ;;
	*) echo "bad guest physical address '$gpa'"; return 1 ;;
	esac
	off=$((gpa - E2E_RAM_GPA))
	if [ "$off" -lt 0 ] || [ "$off" -ge $((kb * 1024)) ]; then
		echo "guest physical address $gpa is outside guest RAM"
		return 1
	fi
	hva=$((0x$start + off))
	ent=$(dd if="$E2E_PROC/$pid/pagemap" bs=8 skip=$((hva / E2E_PAGE)) count=1 \
		2>/dev/null | od -An -tx8 | tr -d ' \n')
	# 16 hex digits; bit 63 is tested on the text, as shells differ on
	# numbers above INT64_MAX (dash saturates); bits 0-55 fit.
	case $ent in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
	*) echo "$name: cannot read the pagemap entry of $(printf '0x%x' "$hva")"; return 1 ;;
	esac
	case $ent in
	[89a-f]*) ;;
	*) echo "$name: page at $(printf '0x%x' "$hva") not present"; return 1 ;;
	esac
	pfn=$((0x${ent#??} & 0x7fffffffffffff))
	if [ "$pfn" = 0 ]; then
		echo "$name: pagemap shows PFN 0 (not root?)"
		return 1
	fi
	printf '0x%x\n' $((pfn * E2E_PAGE + hva % E2E_PAGE))
}

# l1_hard_offline HPA: poison L1's page at physical address HPA through
# memory_failure (root; CONFIG_MEMORY_FAILURE). On failure prints why.
l1_hard_offline() {
	local err
	if err=$( (echo "$1" >"$E2E_HARD_OFFLINE") 2>&1); then
		return 0
	fi
	echo "hard_offline_page $1 failed: ${err:-error}"
	return 1
}

# l1_hard_offline_together HPA...: poison all the pages at the same moment:
# one writer of E2E_HARD_OFFLINE per page, each blocked reading a fifo until
# its only writer closes it, so that they are released together (a burst as
# a failing DIMM rank would produce; Linux then coalesces the VMM's
# BUS_MCEERR_AO signals). Returns 0 when every write succeeded, else prints
# how many failed and returns 1.
l1_hard_offline_together() {
	local go=$E2E_TMP/offline-go ready=$E2E_TMP/offline-ready
	local failed=$E2E_TMP/offline-failed pids='' pa n=0
	rm -f "$go" "$ready" "$failed"
	mkfifo "$go" || { echo "mkfifo $go failed"; return 1; }
	: >"$ready"
	: >"$failed"
	for pa in "$@"; do
		( echo >>"$ready"
		  read -r _ <"$go"
		  (echo "$pa" >>"$E2E_HARD_OFFLINE") 2>/dev/null || echo "$pa" >>"$failed"
		) &
		pids="$pids $!"
	done
	while [ "$(wc -l <"$ready")" -lt $# ] && [ $n -lt 150 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	sleep 1
	# Every writer sees EOF when this write end closes; one more opener
	# releases a straggler that opened the fifo after that.
	sleep 1 >"$go"
	timeout 3 sh -c ': >"$1"' sh "$go" 2>/dev/null
	# shellcheck disable=SC2086 # one pid a word
	wait $pids
	n=$(wc -l <"$failed")
	rm -f "$go" "$ready" "$failed"
	[ "$n" = 0 ] && return 0
	echo "hard_offline_page failed for $n of $# pages"
	return 1
}
