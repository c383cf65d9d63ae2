#!/bin/sh
# Guest RAM on 2 MiB hugetlb pages (issue 9, --memory-backend hugetlb). A
# pool too small for the guest: one error line naming the pool and the
# pages needed, exit status 1, no guest output. Then a guest on a big
# enough pool: a test process holds one whole 2 MiB block of guest memory
# (mca-recover --huge: a transparent huge page, all 512 pages checked
# against their physical addresses, else the scenario stops there, since a
# lost 2 MiB host page under guest kernel memory crashes the guest). One
# page of it is poisoned with MADV_HWPOISON, which takes the whole 2 MiB
# host page; the process recovers from it (SEA
# naming that page), then touches a neighbour in the same 2 MiB and
# recovers again (KVM's second SIGBUS for the same huge page names the
# page touched; the VMM reports that one, not the first again). The VMM
# counts all 512 pages poisoned; a reboot replaces the huge page and the
# guest fills its memory without an error.
# E2E-CHECKS: 8
. "${E2E_LIB:-/e2e/lib.sh}"

N=rashuge
S=$E2E_TMP/huge.sock
LOG=$E2E_TMP/$N.log
VARS=$E2E_TMP/huge-vars.fd
NRH=/proc/sys/vm/nr_hugepages
MEM_MB=256
NEED=$((MEM_MB / 2))   # 2 MiB pages for the guest's RAM
SPARE=4                # one per huge page a reset replaces, and some slack
THP=/sys/kernel/mm/transparent_hugepage
# Guest pages in the 2 MiB block (512; 128 with 16 KiB guest pages); the
# VMM counts host pages: 512 poisoned for the block either way.
BP=$((2097152 / E2E_GUEST_PAGE))

e2e_begin ras-hugetlb

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>/dev/null; }
guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-60}" >/dev/null
}
rstat() { ctl query-ras | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# Lines of the log after byte offset $1 matching ERE $2, counted.
count_since() { tail -c +$(($1 + 1)) "$LOG" | tr -d '\r' | grep -a -c -E -e "$2"; }
log_size() { wc -c <"$LOG"; }

OLD_NRH=$(cat "$NRH" 2>/dev/null || echo 0)
restore_pool() { echo "$OLD_NRH" >"$NRH" 2>/dev/null; }

# --- a pool too small: one clear line, status 1, before any vCPU runs ---
echo 16 >"$NRH"
vmm_run_once small 60 run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory ${MEM_MB}M --memory-backend hugetlb --ras \
	--firmware "$FW_CODE"
if [ "$VMM_RC" = 1 ] && [ "$(wc -l <"$E2E_TMP/small.err")" = 1 ] &&
	grep -q "^microvm-ras: error: --memory-backend hugetlb: $MEM_MB MiB of guest RAM needs $NEED free 2 MiB huge pages, the host's pool has [0-9]* (/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages); raise /proc/sys/vm/nr_hugepages to at least [0-9]* (now 16)" "$E2E_TMP/small.err" &&
	[ ! -s "$E2E_TMP/small.out" ]; then
	e2e_pass hugetlb-pool-too-small
else
	e2e_fail hugetlb-pool-too-small "status $VMM_RC: $(head -3 "$E2E_TMP/small.err" | tr '\n' '|') stdout $(wc -c <"$E2E_TMP/small.out") bytes"
fi

# --- a guest on huge pages ---
echo $((NEED + SPARE)) >"$NRH"
if [ "$(cat "$NRH")" -lt $((NEED + SPARE)) ]; then
	e2e_fail hugetlb-boot "L1 gave only $(cat "$NRH") of $((NEED + SPARE)) huge pages"
	restore_pool
	e2e_end
	exit 0
fi
rm -f "$VARS"
vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory ${MEM_MB}M --memory-backend hugetlb --cpus 2 --ras \
	--firmware "$FW_CODE" --vars "$VARS" --api-socket "$S"
if ! guest_ready_check $N hugetlb-boot 2 150000 262144 400; then
	vmm_kill $N
	restore_pool
	e2e_end
	exit 0
fi
free_after_boot=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
echo "hugetlb: pool $((NEED + SPARE)), free after boot $free_after_boot (reserved pages count as free)"

# The test process holds one whole 2 MiB block of guest memory (guest RAM
# starts at 0x40000000 and the VMM maps it 2 MiB aligned, so a guest 2 MiB
# block is one host huge page): nothing but its pages is lost with the
# host page. In the background, commands through a fifo. Transparent huge
# pages for madvise(MADV_HUGEPAGE) areas with direct compaction; locked
# pages not migrated by compaction (a copy would read the lost memory).
# Once it holds the block, THP off: khugepaged must not collapse the block
# again after the guest split it to isolate one page.
guest "echo madvise >$THP/enabled; echo madvise >$THP/defrag; echo 0 >/proc/sys/vm/compact_unevictable_allowed; echo THP-MODE \$(cat $THP/enabled)" 30
guest "mkfifo /tmp/fh; mca-recover --huge --wait --survive <>/tmp/fh >/tmp/mh 2>&1 & for t in \$(seq 90); do grep -q -e MCA-READY -e MCA-HUGE-NONE -e usage /tmp/mh && break; sleep 1; done; echo never >$THP/enabled; grep -e MCA-PAGE -e MCA-BLOCK -e MCA-HUGE -e MCA-WARN -e usage /tmp/mh | sed 's/^/H-/'" 150
tr -d '\r' <"$LOG" | grep -a '^H-MCA-PAGE ' | sed 's/^H-MCA-PAGE \([0-9]*\) .*pa=\(0x[0-9a-f]*\).*/\1 \2/' >"$E2E_TMP/huge.pages"
while read -r i pa; do
	echo "$((pa >> 21)) $i $pa"
done <"$E2E_TMP/huge.pages" | sort -n -k1,1 -k2,2 >"$E2E_TMP/huge.blocks"
# Distinct pages of the process per 2 MiB block; the block with the most.
best=$(awk '{ print $1, $3 }' "$E2E_TMP/huge.blocks" | sort -u | cut -d' ' -f1 | uniq -c | sort -rn | head -n 1)
bestn=$(echo "$best" | awk '{ print $1 }')
bestb=$(echo "$best" | awk '{ print $2 }')
# The first and the last page of the process in that block.
# shellcheck disable=SC2046
set -- $(awk -v b="$bestb" '$1 == b { print $2, $3 }' "$E2E_TMP/huge.blocks" | head -n 1)
I0=$1 PA0=$2
# shellcheck disable=SC2046
set -- $(awk -v b="$bestb" '$1 == b { print $2, $3 }' "$E2E_TMP/huge.blocks" | tail -n 1)
I1=$1 PA1=$2
blockline=$(tr -d '\r' <"$LOG" | grep -a -E '^H-MCA-(BLOCK|HUGE)' | tail -n 2 | tr '\n' ' ')
echo "hugetlb: block $(printf '%#x' $((${bestb:-0} << 21))) block pages ${bestn:-0} of $BP ($(wc -l <"$E2E_TMP/huge.pages") process pages); page $I0 at $PA0, neighbour $I1 at $PA1; $blockline"

# All 512 pages of the block must be the process's before the error: any
# other page there may be the guest kernel's, and its loss an oops.
if [ "${bestn:-0}" = "$BP" ] && [ "$(wc -l <"$E2E_TMP/huge.pages")" = "$BP" ] &&
	echo "$blockline" | grep -q "MCA-BLOCK pa=$(printf '%#x' $((bestb << 21))) pages=$BP of $BP "; then
	e2e_pass hugetlb-block-owned
else
	e2e_fail hugetlb-block-owned "block pages ${bestn:-0} of $BP, not poisoning a block the guest kernel may use: ${blockline:-no MCA-BLOCK line} $(tr -d '\r' <"$LOG" | grep -a '^THP-MODE' | tail -n 1)"
	e2e_tail "$LOG"
	vmm_kill $N
	restore_pool
	e2e_end
	exit 0
fi

# --- error on one page: the whole huge page is lost, the page recovers ---
mark=$(log_size)
ctl inject-memory-error gpa="$PA0" mode=hwpoison kind=ar >/dev/null
guest "echo touch $I0 >/tmp/fh; sleep 2; grep RECOVERED /tmp/mh | sed 's/^/R1-/'"
if [ -n "$PA0" ] && [ "$PA0" != "$PA1" ] && [ "${bestn:-0}" -ge 2 ] &&
	[ "$(count_since "$mark" "^R1-MCA-RECOVERED page=$I0 .*si_code=BUS_MCEERR_AR")" -ge 1 ] &&
	[ "$(count_since "$mark" "memory error \(AR\) at guest address $PA0\$")" -ge 1 ] &&
	[ "$(count_since "$mark" 'memory error takes the whole 2048 KiB host page of guest address')" -ge 1 ] &&
	[ "$(rstat poisoned_pages)" = 512 ]; then
	e2e_pass hugetlb-first-page-recovered
else
	e2e_fail hugetlb-first-page-recovered "PA0=$PA0 PA1=$PA1 block pages $bestn of $BP, poisoned_pages $(rstat poisoned_pages)"
	e2e_tail "$LOG"
fi

# --- a neighbour in the same 2 MiB: KVM's next SIGBUS names it; it is
# reported (not the first page again, not dropped as a repeat) ---
mark=$(log_size)
ar0=$(rstat errors_ar)
guest "echo touch $I1 >/tmp/fh; sleep 2; grep RECOVERED /tmp/mh | sed 's/^/R2-/'"
if [ "$(count_since "$mark" "^R2-MCA-RECOVERED page=$I1 .*si_code=BUS_MCEERR_AR")" -ge 1 ] &&
	[ "$(count_since "$mark" "memory error \(AR\) at guest address $PA1\$")" -ge 1 ] &&
	[ "$(count_since "$mark" "memory error \(AR\) at guest address $PA0\$")" = 0 ] &&
	[ $(($(rstat errors_ar) - ar0)) = 1 ] && [ "$(rstat poisoned_pages)" = 512 ] &&
	[ "$(rstat records_dropped)" = 0 ]; then
	e2e_pass hugetlb-neighbour-recovered
else
	e2e_fail hugetlb-neighbour-recovered "page $I1 at $PA1: errors_ar +$(($(rstat errors_ar) - ar0)), $(ctl query-ras)"
	e2e_tail "$LOG"
fi
# Neither record was a duplicate: the guest saw both addresses.
guest 'dmesg | grep "Memory failure:" | sed "s/^/MF-/"'
if [ "$(count_since 0 "^MF-.*Memory failure: $(guest_pfn "$PA0"): recovery action for .*: Recovered")" -ge 1 ] &&
	[ "$(count_since 0 "^MF-.*Memory failure: $(guest_pfn "$PA1"): recovery action for .*: Recovered")" -ge 1 ]; then
	e2e_pass hugetlb-guest-isolated-both
else
	e2e_fail hugetlb-guest-isolated-both "$(grep -a '^MF-' "$LOG" | tail -n 3 | tr '\r\n' '  ')"
fi

# --- reboot (the process still holds its pages, so nothing else touches
# the lost huge page): one fresh huge page, all memory usable ---
poisoned=$(rstat poisoned_pages)
vmm_send $N 'reboot -f'
if vmm_expect $N "replaced $poisoned poisoned guest pages with fresh memory \(1 huge page\)" 60 >/dev/null &&
	vmm_expect_boot $N 400 >/dev/null; then
	ar_b=$(rstat errors_ar)
	guest "mem-churn --mb \$((\$(awk '/^MemAvailable:/ { print \$2 }' /proc/meminfo) / 1024 - 24)) --passes 1 --idle-ms 0 | sed 's/^/HUGE-BIG /'" 300
	line=$(tr -d '\r' <"$LOG" | grep -a -E '^HUGE-BIG CHURN passes=[0-9]+ bad=[0-9]+ mb=[0-9]+' | tail -n 1)
	mb=$(echo "$line" | sed -n 's/.* mb=\([0-9]*\).*/\1/p')
	if echo "$line" | grep -q 'passes=1 bad=0 ' && [ "${mb:-0}" -ge $((MEM_MB / 2)) ] &&
		[ "$(rstat pages_replaced)" = "$poisoned" ] && [ "$(rstat errors_ar)" = "$ar_b" ] &&
		ctl query-ras | grep -q '"poisoned":\[\]'; then
		e2e_pass hugetlb-reboot-memory-usable
	else
		e2e_fail hugetlb-reboot-memory-usable "'${line:-no CHURN line}', pages_replaced $(rstat pages_replaced) of $poisoned, errors_ar $ar_b -> $(rstat errors_ar)"
	fi
else
	e2e_fail hugetlb-reboot-memory-usable "no second boot (poisoned=$poisoned)"
	e2e_tail "$LOG"
fi
vmm_send $N 'poweroff -f'
exit_check $N hugetlb-poweroff 0 60
restore_pool
e2e_end
