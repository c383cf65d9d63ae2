#!/bin/sh
# Firmware boot with our ACPI tables (issue 3) and guest memory-error
# recovery (issue 4), all in one 2-vCPU guest booted through stock edk2 with
# --ras: HEST and one GHES per source, WRITE_POINTER, the guest's HEST equal
# to what the VMM built; one AR error recovered exactly as the seeds' guest
# log shows; one AO error offlined with no process touching the page; errors
# on both vCPUs at once; 20 errors in a row with none lost; bad control
# requests; a reboot that replaces the poisoned pages; a second boot with the
# same --vars file, where an SError with the seeds' syndrome is injected.
# E2E-CHECKS: 15
. "${E2E_LIB:-/e2e/lib.sh}"

N=ras
S=$E2E_TMP/api.sock
LOG=$E2E_TMP/$N.log
VARS=$E2E_TMP/ras-vars.fd

e2e_begin ras

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>/dev/null; }
# Run a guest command and wait for its end marker.
guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-60}" >/dev/null
}
# PA of line "<prefix>MCA-PAGE <i> ..." printed last in the log.
page_pa() {
	grep -a "${2:-}MCA-PAGE $1 " "$LOG" | tail -n 1 | sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r'
}
rstat() { ctl query-ras | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# Lines of the log after byte offset $1 matching ERE $2, counted.
count_since() { tail -c +$(($1 + 1)) "$LOG" | tr -d '\r' | grep -a -c -E -e "$2"; }
log_size() { wc -c <"$LOG"; }
# Guest "physical_address: 0x000000005c032000" form of a PA.
pa16() { printf '0x%016x' "$1"; }

rm -f "$VARS"
vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 2 --ras \
	--firmware "$FW_CODE" --vars "$VARS" --api-socket "$S"
if ! guest_ready_check $N fw-ras-boot 2 400000 524288 400; then
	vmm_kill $N
	e2e_end
	exit 0
fi

# --- issue 3: ACPI as the guest sees it ---
guest 'echo GHES-COUNT=$(ls -d /sys/bus/platform/drivers/GHES/GHES.* | wc -l) HEST-INIT=$(dmesg | grep -c "HEST: Table parsing has been initialized") HEST-FILE=$(test -r /sys/firmware/acpi/tables/HEST && echo yes)'
if grep -aq 'GHES-COUNT=5 HEST-INIT=1 HEST-FILE=yes' "$LOG"; then
	e2e_pass hest-ghes-sources
else
	e2e_fail hest-ghes-sources "$(grep -a 'GHES-COUNT=' "$LOG" | tail -n 1)"
fi
if grep -aqE 'etc/hardware_errors at guest address 0x[0-9a-f]+ \(WRITE_POINTER\)' "$LOG"; then
	e2e_pass write-pointer
else
	e2e_fail write-pointer "no WRITE_POINTER line in the VMM log"
fi
# The guest's installed HEST against the VMM's own build: only the
# checksum and the patched GAS addresses may differ.
guest 'echo HEST-BEGIN; od -An -tx1 -v /sys/firmware/acpi/tables/HEST; echo HEST-END'
sed -n '/^HEST-BEGIN/,/^HEST-END/p' "$LOG" | tr -d '\r' | grep -v HEST- |
	tr -s ' ' '\n' | grep -v '^$' >"$E2E_TMP/hest.guest"
rm -rf "$E2E_TMP/acpi"
"$VMM" dump-acpi "$E2E_TMP/acpi" --cpus 2 --ras 2>/dev/null
od -An -tx1 -v "$E2E_TMP/acpi/HEST.dat" | tr -s ' ' '\n' | grep -v '^$' >"$E2E_TMP/hest.vmm"
why=$(awk 'NR == FNR { a[FNR - 1] = $1; n = FNR; next }
	{ b[FNR - 1] = $1; m = FNR }
	END {
		if (n != m || n < 40) { print "length " n " != " m; exit }
		for (i = 0; i < n; i++) {
			if (a[i] == b[i] || i == 9) continue
			o = (i - 40) % 92
			if (i >= 40 && ((o >= 24 && o <= 31) || (o >= 68 && o <= 75))) continue
			print "byte " i ": guest " a[i] " vmm " b[i]; exit
		}
	}' "$E2E_TMP/hest.guest" "$E2E_TMP/hest.vmm")
if [ -s "$E2E_TMP/hest.guest" ] && [ -z "$why" ]; then
	e2e_pass guest-hest-matches
else
	e2e_fail guest-hest-matches "${why:-no HEST dump from the guest}"
fi

# --- one AR error under mca-recover: the seeds' guest log ---
vmm_send $N 'mca-recover --pages 2 --wait --survive'
vmm_expect $N '^MCA-READY' 60 >/dev/null
PA0=$(page_pa 0)
PA1=$(page_pa 1)
mark=$(log_size)
ctl inject-memory-error gpa="$PA0" mode=hwpoison kind=ar >/dev/null
vmm_send $N 'touch 0'
if vmm_expect $N "MCA-RECOVERED page=0 .*si_code=BUS_MCEERR_AR" 60 >/dev/null &&
	[ "$(count_since "$mark" 'Hardware Error\]: Hardware error from APEI Generic Hardware Error Source: [01]$')" -ge 1 ] &&
	[ "$(count_since "$mark" 'Hardware Error\]: event severity: recoverable')" -ge 1 ] &&
	[ "$(count_since "$mark" 'Hardware Error\]: +section_type: memory error')" -ge 1 ] &&
	[ "$(count_since "$mark" "Hardware Error\]: +physical_address: $(pa16 "$PA0")")" -ge 1 ] &&
	[ "$(count_since "$mark" 'Hardware Error\]: +error_type: 0, unknown')" -ge 1 ] &&
	[ "$(count_since "$mark" "Memory failure: $(guest_pfn "$PA0"): recovery action for dirty LRU page: Recovered")" -ge 1 ]; then
	e2e_pass ar-recovered-like-seed
else
	e2e_fail ar-recovered-like-seed "missing guest lines for $PA0"
	e2e_tail "$LOG"
fi

# --- one AO error: the guest offlines the page, nobody touches it ---
mark=$(log_size)
ctl inject-memory-error gpa="$PA1" mode=hwpoison kind=ao >/dev/null
if vmm_expect $N "Memory failure: $(guest_pfn "$PA1"): recovery action for .*: Recovered" 60 >/dev/null &&
	[ "$(count_since "$mark" 'Hardware Error\]: Hardware error from APEI Generic Hardware Error Source: 2$')" -ge 1 ] &&
	[ "$(count_since "$mark" "physical_address: $(pa16 "$PA1")")" -ge 1 ] &&
	[ "$(count_since "$mark" 'MCA-RECOVERED page=1')" -eq 0 ]; then
	e2e_pass ao-offlined-untouched
else
	e2e_fail ao-offlined-untouched "no asynchronous record/offlining for $PA1"
fi
vmm_send $N 'quit'
vmm_expect $N '^MCA-DONE' 30 >/dev/null

# --- errors on both vCPUs at nearly the same time ---
guest 'mkfifo /tmp/f0 /tmp/f1; for c in 0 1; do taskset -c $c mca-recover --pages 1 --wait <>/tmp/f$c >/tmp/m$c 2>&1 & done; sleep 2; sed "s/^/C0-/" /tmp/m0; sed "s/^/C1-/" /tmp/m1'
Q0=$(page_pa 0 C0-)
Q1=$(page_pa 0 C1-)
mark=$(log_size)
ctl inject-memory-error gpa="$Q0" mode=hwpoison kind=ar >/dev/null
ctl inject-memory-error gpa="$Q1" mode=hwpoison kind=ar >/dev/null
guest 'echo touch >/tmp/f0 & echo touch >/tmp/f1; wait; sleep 3; grep -h RECOVERED /tmp/m0 /tmp/m1 | sed "s/^/BOTH-/"'
# Linux rate-limits the [Hardware Error] printout; the VMM's own lines say
# which vCPU took each error.
if [ "$(count_since "$mark" '^BOTH-MCA-RECOVERED')" -eq 2 ] &&
	[ "$(count_since "$mark" "vCPU 0: memory error \(AR\) at guest address $Q0")" -ge 1 ] &&
	[ "$(count_since "$mark" "vCPU 1: memory error \(AR\) at guest address $Q1")" -ge 1 ]; then
	e2e_pass two-vcpus-both-delivered
else
	e2e_fail two-vcpus-both-delivered "Q0=$Q0 Q1=$Q1: $(count_since "$mark" '^BOTH-MCA-RECOVERED') recoveries"
	e2e_tail "$LOG"
fi

# --- 20 AR errors in a row on distinct pages: none lost ---
ar0=$(rstat errors_ar)
sea0=$(rstat sea_injected)
guest 'dmesg -n 1; dmesg -c >/dev/null'
vmm_send $N 'mca-recover --pages 20 --wait --survive'
vmm_expect $N '^MCA-READY' 60 >/dev/null
i=0
got=0
while [ $i -lt 20 ]; do
	ctl inject-memory-error gpa="$(page_pa $i)" mode=hwpoison kind=ar >/dev/null
	vmm_send $N "touch $i"
	vmm_expect $N "MCA-RECOVERED page=$i " 60 >/dev/null && got=$((got + 1))
	i=$((i + 1))
done
vmm_send $N 'quit'
vmm_expect $N '^MCA-DONE recovered=20 of 20' 30 >/dev/null
# The guest's view of the synchronous path (mca-recover's us=: from the
# read to its SIGBUS handler), per guest kernel in the matrix runs.
tr -d '\r' <"$LOG" | sed -n 's/^MCA-RECOVERED page=[0-9]* .* us=\([0-9]*\)$/\1/p' |
	tail -n 20 | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "BENCH ras guest-read-to-sigbus-us min=%d median=%d max=%d samples=%d kernel=%s\n", v[1], v[int((NR + 1) / 2)], v[NR], NR, k }' k="$E2E_GUEST_KERNEL${E2E_GUEST_KVER:+/$E2E_GUEST_KVER}"
guest 'echo SEQ-RECOVERED=$(dmesg | grep -c "recovery action for dirty LRU page: Recovered") SEQ-HWERR=$(dmesg | grep -c "Hardware error from APEI")'
ar1=$(rstat errors_ar)
sea1=$(rstat sea_injected)
dropped=$(rstat records_dropped)
# (SEQ-HWERR is informative: Linux rate-limits that printout.)
if [ "$got" = 20 ] && grep -aq 'SEQ-RECOVERED=20 ' "$LOG" &&
	[ $((ar1 - ar0)) = 20 ] && [ $((sea1 - sea0)) = 20 ] && [ "$dropped" = 0 ]; then
	e2e_pass ar-sequence-20
else
	e2e_fail ar-sequence-20 "recovered $got/20, errors_ar +$((ar1 - ar0)), sea +$((sea1 - sea0)), dropped $dropped, $(grep -a 'SEQ-RECOVERED=[0-9]' "$LOG" | tail -n 1)"
fi

# --- a burst of asynchronous errors: the guest acks one record at a time,
# the rest wait in the queue; none is lost ---
guest 'mkfifo /tmp/f5; mca-recover --pages 5 --wait <>/tmp/f5 >/tmp/m5 2>&1 & sleep 2; sed "s/^/B-/" /tmp/m5'
w0=$(rstat records_written)
i=0
pfns=
while [ $i -lt 5 ]; do
	pa=$(page_pa $i B-)
	pfns="$pfns $(guest_pfn "$pa")"
	# All five at once: the guest acks one record at a time, so the
	# others usually wait in the source's queue (depth is reported below).
	ctl inject-memory-error gpa="$pa" mode=cper kind=ao >/dev/null &
	pids="${pids:-} $!"
	i=$((i + 1))
done
# Only these: a bare 'wait' would also wait for the VMM and its fifo holder.
# shellcheck disable=SC2086
wait $pids
sleep 5
guest "for p in$pfns; do dmesg | grep -q \"Memory failure: \$p: recovery action\" && echo BURST-OK-\$p; done"
ok=0
for p in $pfns; do grep -aq "^BURST-OK-$p" "$LOG" && ok=$((ok + 1)); done
w1=$(rstat records_written)
if [ "$ok" = 5 ] && [ $((w1 - w0)) = 5 ] && [ "$(rstat records_queued)" = 0 ] &&
	[ "$(rstat records_dropped)" = 0 ]; then
	e2e_pass ao-burst-none-lost
	echo "BENCH ras ao-burst max-queue-depth=$(rstat records_max_queue)"
else
	e2e_fail ao-burst-none-lost "$ok/5 offlined, records_written +$((w1 - w0)), queued $(rstat records_queued), dropped $(rstat records_dropped)"
fi
guest 'echo quit >/tmp/f5; wait'

# --- bad control requests: an error reply each, the VMM lives on ---
bad=0
for req in '--raw {notjson' '--raw [1,2]' 'frobnicate' 'inject-memory-error' \
	'inject-memory-error gpa=0x10' 'inject-memory-error gpa=0xffffffffffff000' \
	'inject-memory-error gpa=0x40000000 mode=bogus' 'inject-memory-error gpa=0x40000000 vcpu=7' \
	'query-vm extra=1'; do
	# shellcheck disable=SC2086
	out=$("$VMM" ctl --api-socket "$S" $req 2>/dev/null)
	case $out in *'"error"'*) ;; *) bad=$((bad + 1)); echo "control: no error for '$req': $out" ;; esac
done
if [ "$bad" = 0 ] && ctl query-vm | grep -q '"return"'; then
	e2e_pass control-bad-requests
else
	e2e_fail control-bad-requests "$bad requests were not refused"
fi

# --- counters and latency ---
Q=$(ctl query-ras)
echo "RAS-STATS $Q"
if [ "$(rstat records_dropped)" = 0 ] && [ "$(rstat irqs_raised)" -ge 1 ] &&
	[ "$(rstat sea_injected)" -ge 23 ] && [ "$(rstat lat_samples)" -ge 23 ] &&
	[ "$(rstat poisoned_pages)" -ge 24 ]; then
	e2e_pass ras-counters
	echo "BENCH ras sigbus-to-resume-us min=$(rstat lat_min_us) median=$(rstat lat_median_us) max=$(rstat lat_max_us) samples=$(rstat lat_samples)"
else
	e2e_fail ras-counters "$Q"
fi

# --- reboot: poisoned pages are replaced, the guest uses its memory ---
poisoned=$(rstat poisoned_pages)
vmm_send $N 'reboot -f'
if vmm_expect $N "replaced $poisoned poisoned guest pages with fresh memory" 60 >/dev/null &&
	vmm_expect $N 'GUEST-READY nproc=2' 400 >/dev/null; then
	guest 'dd if=/dev/zero of=/dev/null bs=320M count=1 2>/dev/null && echo BIGMEM-OK' 120
	if grep -aq '^BIGMEM-OK' "$LOG" && [ "$(rstat pages_replaced)" = "$poisoned" ]; then
		e2e_pass reboot-replaces-poison
	else
		e2e_fail reboot-replaces-poison "pages_replaced=$(rstat pages_replaced) of $poisoned"
	fi
else
	e2e_fail reboot-replaces-poison "no second boot after reset (poisoned=$poisoned)"
	e2e_tail "$LOG"
fi
vmm_send $N 'poweroff -f'
exit_check $N ras-poweroff 0 60

# --- the same --vars file boots again; an SError with the seeds' syndrome
# (ESR 0xbe000011: EC SError, IL, AET "uncontainable") reaches the guest ---
S2=$E2E_TMP/api2.sock
vmm_start vars2 run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --firmware "$FW_CODE" --vars "$VARS" \
	--api-socket "$S2"
if vmm_expect_boot vars2 400 >/dev/null; then
	e2e_pass vars-second-boot
	reply=$("$VMM" ctl --api-socket "$S2" inject-serror vcpu=0 esr=0xbe000011 2>&1)
	if vmm_expect vars2 'SError Interrupt on CPU0, code 0x0*be000011' 60 >/dev/null; then
		e2e_pass serror-injected
	else
		e2e_fail serror-injected "reply: $reply"
	fi
else
	e2e_fail vars-second-boot "no GUEST-READY"
	e2e_tail "$E2E_TMP/vars2.log"
	e2e_fail serror-injected "no guest"
fi
vmm_kill vars2 >/dev/null
e2e_end
