#!/bin/sh
# Soak (issue 12): E2E_SOAK_ERRORS (default 10; `make soak` 1000) real
# memory errors in a row (MADV_HWPOISON through inject-memory-error
# mode=hwpoison; every 3rd asynchronous, the others action-required, taken
# on vCPU 0 and 1 in turn) while a mem-churn workload runs on both vCPUs,
# one fresh page of the guest's mca-recover each: every error delivered,
# none lost or dropped, the guest offlines each page and the program
# survives reading every one, counters exact, the VMM's memory outside
# guest RAM flat (BENCH line every 100 errors) and its open files constant.
# Then E2E_SOAK_REBOOTS (default 1; `make soak` 20) guest reboots in the
# same VMM process, each after 3 freshly poisoned pages: all poisoned pages
# replaced each time, and the guest fills all but 48 MiB of its free RAM.
# E2E-CHECKS: 10
. "${E2E_LIB:-/e2e/lib.sh}"

N=soak
S=$E2E_TMP/soak.sock
LOG=$E2E_TMP/$N.log
VARS=$E2E_TMP/soak-vars.fd
NERR=${E2E_SOAK_ERRORS:-10}
NBOOT=${E2E_SOAK_REBOOTS:-1}
RSS_BOUND_KB=${E2E_SOAK_RSS_KB:-2048}   # allowed growth of the VMM's own memory
AO_EVERY=3       # error i is AO when i % 3 == 2
MF_EVERY=25      # guest dmesg read (and cleared) every 25 errors
MEM_MB=512
FILL_MARGIN_MB=48   # after a reboot the guest fills MemAvailable minus this
RAM_KB=$((MEM_MB * 1024))
F=/tmp/sk        # the guest's command fifo of mca-recover
CHECKS="soak-errors-delivered soak-guest-offlined soak-sweep-recovered soak-workload
soak-counters soak-rss-flat soak-fds-flat soak-reboots soak-poweroff"

e2e_begin soak

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>/dev/null; }
# Run a guest shell command and wait for its end marker.
guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-60}" >/dev/null
}
# qget JSON FIELD: a numeric field of a reply.
qget() { echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
rstat() { qget "$(ctl query-ras)" "$1"; }
# delta NEW OLD FIELD: NEW's FIELD minus OLD's (replies; empty counts as 0).
delta() {
	local a b
	a=$(qget "$1" "$3")
	b=$(qget "$2" "$3")
	echo $((${a:-0} - ${b:-0}))
}
log_size() { wc -c <"$LOG"; }
# Lines of the log after byte offset $1 matching ERE $2, counted.
count_since() { tail -c +$(($1 + 1)) "$LOG" | tr -d '\r' | grep -a -c -E -e "$2"; }
# The last line of the log matching ERE $1 (\r removed), with any console
# text glued in front of the match cut.
last_line() { tr -d '\r' <"$LOG" | grep -a -o -E -e "$1" | tail -n 1; }
# field LINE KEY: the number after "KEY=" in LINE.
field() { echo "$1" | sed -n "s/.*[ -]$2=\([0-9]*\).*/\1/p"; }
fail_rest() {
	for c in $CHECKS; do e2e_fail "$c" "$1"; done
}
# "i pa" lines of the MCA-PAGE lines printed after log offset $1.
pages_since() {
	tail -c +$(($1 + 1)) "$LOG" | tr -d '\r' |
		sed -n 's/.*MCA-PAGE \([0-9]*\) va=0x[0-9a-f]* pa=\(0x[0-9a-f]*\).*/\1 \2/p'
}

# VmRSS, VmHWM, the Rss of guest RAM (the mapping of exactly its size) and
# all other Rss (smaps_rollup minus guest RAM: the VMM's own memory), kB.
vmm_mem() {
	local rss hwm tot ram
	rss=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB$/\1/p' "/proc/$VPID/status")
	hwm=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\) kB$/\1/p' "/proc/$VPID/status")
	tot=$(sed -n 's/^Rss: *\([0-9]*\) kB$/\1/p' "/proc/$VPID/smaps_rollup")
	ram=$(awk -v want="$RAM_KB" '/^[0-9a-f]+-[0-9a-f]+ / { cur = 0 }
		/^Size:/ { cur = ($2 == want) }
		/^Rss:/ && cur { s += $2 }
		END { print s + 0 }' "/proc/$VPID/smaps")
	echo "${rss:-0} ${hwm:-0} $ram $((${tot:-0} - ram))"
}
# shellcheck disable=SC2012 # counting entries, names do not matter
vmm_fds() { ls "/proc/$VPID/fd" 2>/dev/null | wc -l; }
# The VMM's open files, retried for 5 s while they differ from $1 (a
# control client's socket closes a moment after its reply).
fds_settled() {
	local n k=0
	n=$(vmm_fds)
	while [ "$n" != "$1" ] && [ $k -lt 10 ]; do
		sleep 0.5
		n=$(vmm_fds)
		k=$((k + 1))
	done
	echo "$n"
}

# mem_point K: one BENCH line after K errors; sets OV (VMM's own kB).
mem_point() {
	# shellcheck disable=SC2046
	set -- "$1" $(vmm_mem)
	OV=$5
	echo "BENCH soak errors=$1 vmrss-kb=$2 vmhwm-kb=$3 guest-ram-rss-kb=$4 vmm-own-kb=$5 fds=$(vmm_fds) secs=$(e2e_secs "$T0")"
}

# mf_point K: read and clear the guest's kernel log; add its "Memory
# failure: ... recovery action for ...: Recovered" lines to MF_REC and the
# Failed/Ignored/Delayed ones to MF_BAD; HWC = HardwareCorrupted (kB).
mf_point() {
	local line rec bad
	guest "dmesg -c >/tmp/d; echo SOAK-MF-$1 rec=\$(grep -c 'recovery action for .*: Recovered' /tmp/d) bad=\$(grep -c -E 'recovery action for .*: (Failed|Ignored|Delayed)' /tmp/d) hwc=\$(awk '/^HardwareCorrupted:/ { print \$2 }' /proc/meminfo)"
	line=$(last_line "SOAK-MF-$1 rec=[0-9]+ bad=[0-9]+ hwc=[0-9]+")
	rec=$(field "$line" rec)
	bad=$(field "$line" bad)
	MF_REC=$((MF_REC + ${rec:-0}))
	MF_BAD=$((MF_BAD + ${bad:-0}))
	HWC=$(field "$line" hwc)
}

# inject GPA KIND: one real memory error; 0 when the VMM accepted it.
inject() { ctl inject-memory-error gpa="$1" mode=hwpoison kind="$2" >/dev/null; }
# ar_error I PA CPU FIFO: action-required error on page I, read on vCPU CPU.
ar_error() {
	inject "$2" ar || { echo "inject AR at $2 refused"; return 1; }
	vmm_send $N "printf 'cpu $3\\ntouch $1\\n' >$4"
	vmm_expect $N "MCA-RECOVERED page=$1 " 90
}
# ao_error PA: asynchronous error, done when the VMM reported it.
ao_error() {
	inject "$1" ao || { echo "inject AO at $1 refused"; return 1; }
	vmm_expect $N "memory error \\(AO(, found by scan)?\\) at guest address $1( |\$)" 60
}

case $NERR in
'' | *[!0-9]*) NERR=0 ;;
esac
case $NBOOT in
'' | *[!0-9]*) NBOOT=x ;;
esac
if [ "$NERR" -lt 1 ] || [ "$NERR" -gt 65536 ] || [ "$NBOOT" = x ]; then
	e2e_fail soak-boot "bad settings E2E_SOAK_ERRORS='${E2E_SOAK_ERRORS:-}' (1..65536)" \
		"E2E_SOAK_REBOOTS='${E2E_SOAK_REBOOTS:-}'"
	fail_rest "bad settings"
	e2e_end
	exit 0
fi
echo "SOAK-SETTINGS errors=$NERR reboots=$NBOOT rss-bound-kb=$RSS_BOUND_KB"

rm -f "$VARS"
vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory ${MEM_MB}M --cpus 2 --ras \
	--firmware "$FW_CODE" --vars "$VARS" --api-socket "$S"
if ! guest_ready_check $N soak-boot 2 400000 524288 400; then
	fail_rest "no guest"
	vmm_kill $N
	e2e_end
	exit 0
fi
VPID=$(cat "$E2E_TMP/$N.pid")

# --- the workload and the program under test ---
guest 'dmesg -n 1; dmesg -c >/dev/null'
guest "mkfifo $F; for c in 0 1; do taskset -c \$c mem-churn --mb 4 --idle-ms 100 >/tmp/churn\$c 2>&1 & echo \$! >/tmp/churn\$c.pid; done"
mark=$(log_size)
# In the background, output on the console, commands through the fifo: the
# shell stays free for the kernel-log reads.
vmm_send $N "mca-recover --pages $NERR --wait --survive <>$F &"
vmm_expect $N 'MCA-READY' $((120 + NERR / 5)) >/dev/null
pages_since "$mark" >"$E2E_TMP/soak.pages"
npages=$(grep -c ' 0x[0-9a-f]*[1-9a-f][0-9a-f]*$' "$E2E_TMP/soak.pages")
if [ "$npages" != "$NERR" ]; then
	why="mca-recover gave $npages of $NERR page addresses"
	fail_rest "$why"
	e2e_tail "$LOG"
	vmm_kill $N
	e2e_end
	exit 0
fi

# --- N errors in a row ---
Q0=$(ctl query-ras)
sleep 1   # the control client's socket is closed by now
FD0=$(vmm_fds)
BASE_AT=1
[ "$NERR" -ge 200 ] && BASE_AT=100
T0=$(e2e_now)
mark=$(log_size)
got=0 nar=0 nao=0 ar_cs=0 ao_cs=0 OV=0 OV_BASE='' OV_END='' NDONE=0 MF_REC=0 MF_BAD=0 HWC=''
first_why=
mem_point 0
while read -r i pa <&3; do
	vmm_alive $N || { first_why=${first_why:-"VMM gone before error $i"}; break; }
	te=$(e2e_now)
	if [ $((i % AO_EVERY)) = $((AO_EVERY - 1)) ]; then
		nao=$((nao + 1))
		if why=$(ao_error "$pa"); then
			got=$((got + 1))
		else
			first_why=${first_why:-"AO error $i at $pa: $why"}
		fi
		ao_cs=$((ao_cs + $(e2e_now) - te))
	else
		cpu=$((nar % 2))
		nar=$((nar + 1))
		if why=$(ar_error "$i" "$pa" $cpu $F); then
			got=$((got + 1))
		else
			first_why=${first_why:-"AR error $i at $pa on vCPU $cpu: $why"}
		fi
		ar_cs=$((ar_cs + $(e2e_now) - te))
	fi
	k=$((i + 1))
	NDONE=$k
	if [ $((k % MF_EVERY)) = 0 ] || [ "$k" = "$NERR" ]; then
		mf_point "$k"
	fi
	if [ "$k" = "$BASE_AT" ] || [ $((k % 100)) = 0 ] || [ "$k" = "$NERR" ]; then
		mem_point "$k"
		[ "$k" = "$BASE_AT" ] && OV_BASE=$OV
		[ "$k" = "$NERR" ] && OV_END=$OV
	fi
done 3<"$E2E_TMP/soak.pages"
T_ERR=$(e2e_now)
echo "BENCH soak errors=$NDONE ar=$nar ao=$nao secs=$(e2e_secs "$T0")" \
	"per-error-ms=$((NDONE ? (T_ERR - T0) * 10 / NDONE : 0))" \
	"ar-avg-ms=$((nar ? ar_cs * 10 / nar : 0)) ao-avg-ms=$((nao ? ao_cs * 10 / nao : 0))"

# Queued asynchronous records reach the guest; the guest offlines the
# last pages (a few seconds at most).
n=0
while [ "$(rstat records_queued)" != 0 ] && [ $n -lt 30 ]; do
	sleep 1
	n=$((n + 1))
done
n=0
while [ "$MF_REC" -lt "$NERR" ] && [ $n -lt 6 ]; do
	sleep 2
	n=$((n + 1))
	mf_point "$NERR-$n"
done

n0=$(((nar + 1) / 2))
n1=$((nar / 2))
c0=$(count_since "$mark" "vCPU 0: memory error \\(AR\\) at guest address")
c1=$(count_since "$mark" "vCPU 1: memory error \\(AR\\) at guest address")
if [ "$got" = "$NERR" ] && [ "$c0" = "$n0" ] && [ "$c1" = "$n1" ]; then
	e2e_pass soak-errors-delivered
else
	e2e_fail soak-errors-delivered "$got of $NERR handled ($nar AR: vCPU 0 $c0 of $n0, vCPU 1 $c1 of $n1; $nao AO); first: ${first_why:-none}"
fi

if [ "$MF_REC" = "$NERR" ] && [ "$MF_BAD" = 0 ] && [ "${HWC:-x}" = $((NERR * 4)) ]; then
	e2e_pass soak-guest-offlined
else
	e2e_fail soak-guest-offlined "guest recovered $MF_REC of $NERR pages, $MF_BAD failed, HardwareCorrupted ${HWC:-?} kB (want $((NERR * 4)))"
fi

# --- the program reads every page once more: the guest kernel stops each
# read itself (no error reaches the VMM), nothing reads back changed ---
ar_s=$(rstat errors_ar)
vmm_send $N "echo sweep >$F"
vmm_expect $N "MCA-SWEEP ok=[0-9]+ recovered=[0-9]+ mismatch=[0-9]+ of $NERR" $((60 + NERR / 10)) >/dev/null
sweep=$(last_line "MCA-SWEEP ok=[0-9]+ recovered=[0-9]+ mismatch=[0-9]+ of $NERR")
ar_t=$(rstat errors_ar)
vmm_send $N "echo quit >$F"
vmm_expect $N "MCA-DONE recovered=[0-9]+ of $NERR" 60 >/dev/null
done_line=$(last_line "MCA-DONE recovered=[0-9]+ of $NERR")
odd=$(count_since "$mark" 'MCA-(FATAL|MISMATCH|ERROR)')
if [ "$sweep" = "MCA-SWEEP ok=0 recovered=$NERR mismatch=0 of $NERR" ] &&
	[ "$done_line" = "MCA-DONE recovered=$NERR of $NERR" ] && [ "$odd" = 0 ] &&
	[ -n "$ar_s" ] && [ "$ar_s" = "$ar_t" ]; then
	e2e_pass soak-sweep-recovered
else
	e2e_fail soak-sweep-recovered "'${sweep:-no MCA-SWEEP}', '${done_line:-no MCA-DONE}', $odd FATAL/MISMATCH/ERROR lines, errors_ar $ar_s -> $ar_t during the sweep"
fi

guest 'kill $(cat /tmp/churn0.pid) $(cat /tmp/churn1.pid); wait; for c in 0 1; do echo SOAK-CHURN$c $(cat /tmp/churn$c); done'
w0=$(last_line 'SOAK-CHURN0 CHURN passes=[0-9]+ bad=[0-9]+')
w1=$(last_line 'SOAK-CHURN1 CHURN passes=[0-9]+ bad=[0-9]+')
if [ -n "$w0" ] && [ -n "$w1" ] && [ "$(field "$w0" passes)" -gt 0 ] &&
	[ "$(field "$w1" passes)" -gt 0 ] && [ "$(field "$w0" bad)" = 0 ] &&
	[ "$(field "$w1" bad)" = 0 ]; then
	e2e_pass soak-workload
	echo "BENCH soak workload vcpu0-passes=$(field "$w0" passes) vcpu1-passes=$(field "$w1" passes)"
else
	e2e_fail soak-workload "'${w0:-no vCPU 0 line}' '${w1:-no vCPU 1 line}'"
fi

# --- counters: each hwpoison injection is one AO signal from L1's kernel
# (not passed on for AR pages, whose SEA tells the guest) ---
Q1=$(ctl query-ras)
why=
for f in errors_ar:$nar errors_ao:$((nar + nao)) errors_injected:$NERR \
	errors_ignored:0 records_written:$NERR sea_injected:$nar \
	poisoned_pages:$NERR irqs_raised:-; do
	name=${f%%:*}
	want=${f#*:}
	d=$(delta "$Q1" "$Q0" "$name")
	[ "$want" = - ] && { [ "$d" -ge "$nao" ] || why="$why $name +$d (< $nao)"; continue; }
	[ "$d" = "$want" ] || why="$why $name +$d (want +$want)"
done
for name in records_dropped records_queued; do
	[ "$(qget "$Q1" "$name")" = 0 ] || why="$why $name $(qget "$Q1" "$name")"
done
echo "SOAK-RAS-STATS $(echo "$Q1" | sed 's/,"poisoned":.*//')"
echo "BENCH soak sigbus-to-resume-us min=$(qget "$Q1" lat_min_us) median=$(qget "$Q1" lat_median_us) max=$(qget "$Q1" lat_max_us) samples=$(qget "$Q1" lat_samples) retried=$(qget "$Q1" records_retried) max-queue=$(qget "$Q1" records_max_queue)"
if [ -z "$why" ]; then
	e2e_pass soak-counters
else
	e2e_fail soak-counters "$why"
fi

if [ -n "$OV_BASE" ] && [ -n "$OV_END" ] && [ $((OV_END - OV_BASE)) -lt "$RSS_BOUND_KB" ]; then
	e2e_pass soak-rss-flat
else
	e2e_fail soak-rss-flat "VMM's own memory ${OV_BASE:-?} kB after error $BASE_AT, ${OV_END:-?} kB after $NERR (bound +$RSS_BOUND_KB kB)"
fi

FD1=$(fds_settled "$FD0")
if [ "$FD1" = "$FD0" ] && [ "$FD0" -gt 0 ]; then
	e2e_pass soak-fds-flat
else
	e2e_fail soak-fds-flat "$FD0 open files before the errors, $FD1 after"
fi

# --- reboots: R rounds of 3 fresh poisoned pages (AR on each vCPU, one
# AO), reset, every poisoned page replaced, the guest fills its RAM ---
POIS_RESET=$(qget "$Q0" poisoned_pages)   # poisoned_pages at the last reset
POIS_RESET=${POIS_RESET:-0}
RB_OK=0
rb_why=
T1=$(e2e_now)
# round R: one reboot; 0 when all of its checks held, else prints why.
# Runs in this shell (it keeps POIS_RESET and the guest step count).
round() {
	local r=$1 m pois rep q want n line mb ar_b ar_a pa0 pa1 pa2
	m=$(log_size)
	vmm_send $N "mkfifo /tmp/r$r; mca-recover --pages 3 --wait --survive <>/tmp/r$r &"
	vmm_expect $N 'MCA-READY' 60 >/dev/null || { echo "no mca-recover"; return 1; }
	pages_since "$m" >"$E2E_TMP/soak.r.pages"
	pa0=$(sed -n '1s/.* //p' "$E2E_TMP/soak.r.pages")
	pa1=$(sed -n '2s/.* //p' "$E2E_TMP/soak.r.pages")
	pa2=$(sed -n '3s/.* //p' "$E2E_TMP/soak.r.pages")
	ar_error 0 "$pa0" 0 "/tmp/r$r" >/dev/null || { echo "AR on vCPU 0 at '$pa0' not recovered"; return 1; }
	ar_error 1 "$pa1" 1 "/tmp/r$r" >/dev/null || { echo "AR on vCPU 1 at '$pa1' not recovered"; return 1; }
	ao_error "$pa2" >/dev/null || { echo "AO at '$pa2' not reported"; return 1; }
	q=$(ctl query-ras)
	pois=$(qget "$q" poisoned_pages)
	rep=$(qget "$q" pages_replaced)
	want=$((${pois:-0} - POIS_RESET))
	POIS_RESET=$pois
	vmm_send $N 'reboot -f'
	vmm_expect $N 'replaced [0-9]+ poisoned guest pages? with fresh memory' 90 >/dev/null ||
		{ echo "no replacement at reset ($want poisoned)"; return 1; }
	n=$(vmm_match $N | sed -n 's/.*replaced \([0-9]*\) poisoned.*/\1/p')
	[ "$n" = "$want" ] || { echo "replaced $n pages, $want were poisoned"; return 1; }
	vmm_expect_boot $N 400 >/dev/null || { echo "no GUEST-READY after the reset"; return 1; }
	vmm_match $N | grep -q 'GUEST-READY nproc=2 ' || { vmm_match $N; return 1; }
	q=$(ctl query-ras)
	n=$(qget "$q" pages_replaced)
	[ $((${n:-0} - ${rep:-0})) = "$want" ] ||
		{ echo "pages_replaced ${rep:-?} -> ${n:-?}, want +$want"; return 1; }
	echo "$q" | grep -q '"poisoned":\[\]' || { echo "poisoned list not empty after the reset"; return 1; }
	guest 'dmesg -n 1; dmesg -c >/dev/null'
	ar_b=$(qget "$q" errors_ar)
	guest "mem-churn --mb \$((\$(awk '/^MemAvailable:/ { print \$2 }' /proc/meminfo) / 1024 - $FILL_MARGIN_MB)) --passes 1 --idle-ms 0 | sed 's/^/SOAK-BIG-$r /'" 300
	line=$(last_line "SOAK-BIG-$r CHURN passes=[0-9]+ bad=[0-9]+ mb=[0-9]+")
	mb=$(field "$line" mb)
	ar_a=$(rstat errors_ar)
	if [ "$(field "$line" passes)" != 1 ] || [ "$(field "$line" bad)" != 0 ] ||
		[ "${mb:-0}" -lt $((MEM_MB / 2)) ]; then
		echo "memory fill: '${line:-no CHURN line}'"
		return 1
	fi
	[ "$ar_a" = "$ar_b" ] || { echo "errors_ar $ar_b -> $ar_a while filling memory"; return 1; }
	echo "BENCH soak reboot=$r replaced=$want filled-mb=$mb secs=$(e2e_secs "$T1")"
	return 0
}
r=1
while [ $r -le "$NBOOT" ]; do
	if round $r >"$E2E_TMP/soak.round"; then
		RB_OK=$((RB_OK + 1))
		grep '^BENCH ' "$E2E_TMP/soak.round"
	else
		# The guest's state is unknown now: no further rounds.
		rb_why="round $r: $(grep -v '^BENCH ' "$E2E_TMP/soak.round" | head -n 1)"
		break
	fi
	r=$((r + 1))
done
[ "$NBOOT" -gt 0 ] && echo "BENCH soak reboots=$NBOOT ok=$RB_OK secs=$(e2e_secs "$T1") per-reboot-s=$((($(e2e_now) - T1) / NBOOT / 100))"
FD2=$(fds_settled "$FD0")
if [ "$RB_OK" = "$NBOOT" ] && [ "$FD2" = "$FD0" ]; then
	e2e_pass soak-reboots
else
	e2e_fail soak-reboots "$RB_OK of $NBOOT reboots passed${rb_why:+; $rb_why}; open files $FD0 -> $FD2"
	e2e_tail "$LOG"
fi

vmm_send $N 'poweroff -f'
exit_check $N soak-poweroff 0 60
e2e_end
