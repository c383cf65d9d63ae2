#!/bin/sh
# Host-side bursts of asynchronous memory errors (issue 13): a guest
# process holds 16 (then 64) dirty pages and leaves them untouched; in L1
# the host pages behind them are found through /proc/<vmm>/maps and
# /proc/<vmm>/pagemap and taken offline all at once, 16 (64) writers of
# /sys/devices/system/memory/hard_offline_page released together. Linux
# drops AO signals while one is pending; the VMM's pagemap scan must find
# the rest, so the guest offlines every page before the process touches
# it: no action-required error reaches the VMM, and the process then
# recovers from every page without bad data. Last, a burst right before a
# guest reset: every page is found (signal, scan, or the reset's own scan)
# and replaced before the guest runs again.
# E2E-CHECKS: 7
. "${E2E_LIB:-/e2e/lib.sh}"

N=rasburst
S=$E2E_TMP/burst.sock
LOG=$E2E_TMP/$N.log
VARS=$E2E_TMP/burst-vars.fd
HOP=/sys/devices/system/memory/hard_offline_page
PAGE=4096   # L1's page size (arm64 Debian kernel; the guest's is $E2E_GUEST_PAGE)

e2e_begin ras-burst

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>/dev/null; }
guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-60}" >/dev/null
}
rstat() { ctl query-ras | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
vstat() { ctl query-vm | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# PA of line "<prefix>MCA-PAGE <i> ..." printed last in the log.
page_pa() {
	grep -a "${2:-}MCA-PAGE $1 " "$LOG" | tail -n 1 | sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r'
}
# Exact lines of the log, \r removed, matching ERE $1, counted.
count_x() { tr -d '\r' <"$LOG" | grep -a -c -x -E -e "$1"; }

# Host virtual address of guest RAM: the VMM's one anonymous mapping of
# exactly the RAM's size.
ram_hva() {
	local range path s e
	while read -r range _ _ _ _ path; do
		[ -z "$path" ] || continue
		s=$((0x${range%-*}))
		e=$((0x${range#*-}))
		if [ $((e - s)) = "$1" ]; then
			echo "$s"
			return 0
		fi
	done <"/proc/$VPID/maps"
	return 1
}

# L1 physical address of the page backing guest physical address $1, from
# the VMM's pagemap (bit 63 present, bits 0-54 PFN; little-endian bytes
# taken apart by hand so no shell arithmetic sees bit 63).
host_pa() {
	local hva b
	hva=$((RAM_HVA + $1 - RAM_GPA))
	b=$(dd if="/proc/$VPID/pagemap" bs=8 skip=$((hva / PAGE)) count=1 2>/dev/null | od -An -tx1 -v)
	# shellcheck disable=SC2086
	set -- $b
	[ $# = 8 ] && [ $((0x$8 & 0x80)) != 0 ] || return 1
	printf '0x%x\n' $(((0x$7$6$5$4$3$2$1 & 0x7fffffffffffff) * PAGE))
}

# burst K: the whole test for K pages; prints two result lines,
# ao-burstK-offlined-before-touch and ao-burstK-recovered.
burst() {
	local k=$1 tag=B$1 i pa hpa gpas= hpas= ok=0 round=0 why=
	local ar0 sig0 scan0 pois0 ar1 sig1 scan1 pois1 missing

	guest "mkfifo /tmp/g$k; mca-recover --pages $k --wait --survive <>/tmp/g$k >/tmp/m$k 2>&1 & sleep 3; sed \"s/^/$tag-/\" /tmp/m$k"
	i=0
	while [ $i -lt "$k" ]; do
		pa=$(page_pa $i "$tag-")
		hpa=
		[ -n "$pa" ] && hpa=$(host_pa "$pa")
		if [ -z "$hpa" ]; then
			why="no host page for guest page $i (pa '$pa')"
			break
		fi
		gpas="$gpas $pa"
		hpas="$hpas $hpa"
		i=$((i + 1))
	done
	if [ -n "$why" ]; then
		e2e_fail "ao-burst$k-offlined-before-touch" "$why"
		e2e_fail "ao-burst$k-recovered" "no burst"
		guest "echo quit >/tmp/g$k; wait"
		return
	fi
	ar0=$(rstat errors_ar)
	sig0=$(rstat errors_ao_signal)
	scan0=$(rstat errors_ao_scan)
	pois0=$(rstat poisoned_pages)
	# shellcheck disable=SC2086
	l1_hard_offline_together $hpas

	# Every page offlined by the guest, nobody has touched one yet.
	while [ $round -lt 12 ]; do
		round=$((round + 1))
		sleep 5
		# The page frame numbers (PA / the guest's page size) as the
		# guest prints them.
		guest "for a in \$(sed -n 's/^MCA-PAGE .*pa=\\(0x[0-9a-f]*\\)\$/\\1/p' /tmp/m$k); do p=\$(printf '%#x' \$((a / $E2E_GUEST_PAGE))); dmesg | grep -q \"Memory failure: \$p: recovery action for .*: Recovered\" && echo $tag-R$round-OK-\$p; done"
		ok=$(count_x "$tag-R$round-OK-0x[0-9a-f]+")
		[ "$ok" = "$k" ] && break
	done
	sig1=$(rstat errors_ao_signal)
	scan1=$(rstat errors_ao_scan)
	pois1=$(rstat poisoned_pages)
	echo "BENCH ras ao-burst$k signal=$((sig1 - sig0)) scan=$((scan1 - scan0)) scans=$(rstat scans) scan-last-us=$(rstat scan_last_us) hwpoison-type=$(rstat hwpoison_swap_type) max-queue-depth=$(rstat records_max_queue)"
	missing=0
	for pa in $gpas; do
		tr -d '\r' <"$LOG" |
			grep -aqE "memory error \(AO(, found by scan)?\) at guest address $pa( |\$)" ||
			missing=$((missing + 1))
	done
	if [ "$ok" = "$k" ] && [ "$missing" = 0 ] && [ $((pois1 - pois0)) = "$k" ]; then
		e2e_pass "ao-burst$k-offlined-before-touch"
	else
		e2e_fail "ao-burst$k-offlined-before-touch" "$ok/$k offlined by the guest, $missing not in the VMM log, poisoned_pages +$((pois1 - pois0)), signals +$((sig1 - sig0)), scan +$((scan1 - scan0))"
		e2e_tail "$LOG"
	fi

	# Now the process reads every page: the guest kernel stops each read
	# itself (no AR reaches the VMM) and nothing reads back changed.
	guest "echo touch >/tmp/g$k; sleep 5; echo quit >/tmp/g$k; wait; sed \"s/^/$tag-T-/\" /tmp/m$k" 120
	ar1=$(rstat errors_ar)
	if [ "$(count_x "$tag-T-MCA-RECOVERED page=[0-9]+ .*si_code=BUS_MCEERR_AR.*")" = "$k" ] &&
		[ "$(count_x "$tag-T-MCA-DONE recovered=$k of $k")" = 1 ] &&
		[ "$(count_x "$tag-T-MCA-(MISMATCH|OK|FATAL).*")" = 0 ] &&
		[ $((ar1 - ar0)) = 0 ] && [ "$(rstat records_dropped)" = 0 ]; then
		e2e_pass "ao-burst$k-recovered"
	else
		e2e_fail "ao-burst$k-recovered" "$(count_x "$tag-T-MCA-RECOVERED.*")/$k recovered, errors_ar +$((ar1 - ar0)), dropped $(rstat records_dropped), $(tr -d '\r' <"$LOG" | grep -a "^$tag-T-MCA-DONE" | tail -n 1)"
	fi
}

# burst_reboot K: K pages taken offline together, the guest reset right
# behind them; prints ao-burst-reboot.
burst_reboot() {
	local k=$1 tag=RB i pa hpa hpas= why= p0 p1 r0 r1 list
	guest "mkfifo /tmp/rb; mca-recover --pages $k --wait --survive <>/tmp/rb >/tmp/mrb 2>&1 & sleep 3; sed \"s/^/$tag-/\" /tmp/mrb"
	i=0
	while [ $i -lt "$k" ]; do
		pa=$(page_pa $i "$tag-")
		hpa=
		[ -n "$pa" ] && hpa=$(host_pa "$pa")
		if [ -z "$hpa" ]; then
			why="no host page for guest page $i (pa '$pa')"
			break
		fi
		hpas="$hpas $hpa"
		i=$((i + 1))
	done
	if [ -n "$why" ]; then
		e2e_fail ao-burst-reboot "$why"
		return
	fi
	p0=$(rstat poisoned_pages)
	r0=$(rstat pages_replaced)
	# shellcheck disable=SC2086
	l1_hard_offline_together $hpas
	vmm_send $N 'reboot -f'
	if ! vmm_expect $N 'replaced [0-9]+ poisoned guest pages? with fresh memory' 60 >/dev/null ||
		! vmm_expect $N 'GUEST-READY nproc=2' 400 >/dev/null; then
		e2e_fail ao-burst-reboot "no second boot after the burst and reset"
		e2e_tail "$LOG"
		return
	fi
	p1=$(rstat poisoned_pages)
	r1=$(rstat pages_replaced)
	list=$(ctl query-ras | sed -n 's/.*"poisoned":\[\([^]]*\)\].*/\1/p')
	echo "BENCH ras ao-burst-reboot pages=$k found=$((p1 - p0)) replaced=$((r1 - r0)) signal=$(rstat errors_ao_signal) scan=$(rstat errors_ao_scan)"
	# All K found, and every page poisoned in this VM's life replaced once
	# (the 16 + 64 of the earlier bursts too), none left for the new boot.
	if [ $((p1 - p0)) = "$k" ] && [ "$r1" = "$p1" ] && [ -z "$list" ]; then
		e2e_pass ao-burst-reboot
	else
		e2e_fail ao-burst-reboot "found $((p1 - p0))/$k, pages_replaced $r1 of poisoned_pages $p1, still listed: '$list'"
		e2e_tail "$LOG"
	fi
}

rm -f "$VARS"
vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 2 --ras \
	--firmware "$FW_CODE" --vars "$VARS" --api-socket "$S"
if ! guest_ready_check $N ras-burst-boot 2 400000 524288 400; then
	for k in 16 64; do
		e2e_fail "ao-burst$k-offlined-before-touch" "no guest"
		e2e_fail "ao-burst$k-recovered" "no guest"
	done
	e2e_fail ao-burst-reboot "no guest"
	e2e_fail ras-burst-poweroff "no guest"
	vmm_kill $N
	e2e_end
	exit 0
fi
VPID=$(cat "$E2E_TMP/$N.pid")
RAM_GPA=$(vstat memory-base)
RAM_HVA=$(ram_hva "$(vstat memory)")
# The kernel's messages stay in dmesg (read by the checks), off the console.
guest 'dmesg -n 1; dmesg -c >/dev/null'
if [ ! -w "$HOP" ] || [ -z "$RAM_HVA" ] || [ -z "$RAM_GPA" ]; then
	for k in 16 64; do
		e2e_fail "ao-burst$k-offlined-before-touch" "cannot poison from L1: $HOP writable? RAM at hva '$RAM_HVA' gpa '$RAM_GPA'"
		e2e_fail "ao-burst$k-recovered" "no burst"
	done
	e2e_fail ao-burst-reboot "cannot poison from L1"
else
	burst 16
	burst 64
	burst_reboot 16
fi
echo "RAS-BURST-STATS $(ctl query-ras | sed 's/,"poisoned":.*//')"
vmm_send $N 'poweroff -f'
exit_check $N ras-burst-poweroff 0 60
e2e_end
