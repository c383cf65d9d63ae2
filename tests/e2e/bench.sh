#!/bin/sh
# Benchmarks (tests/e2e/run.sh --bench), run inside L1. Figures, one per
# line "BENCH <name> <value> <unit>", never asserted: VMM start to the
# guest's GUEST-READY line (wall), the guest kernel's own uptime at that
# line, poweroff to VMM exit, and the VMM's peak RSS (VmHWM) minus the guest
# RAM it touched, for direct boot (1 and 2 vCPUs) and UEFI boot with --ras;
# then, with --ras, SIGBUS-to-guest-resume latency (the VMM's own counters)
# and the time from poisoning a page to the guest's recovery line. Times are
# on L1's clock; compare only figures from the same run (ENVIRONMENT.md).
. "${E2E_LIB:-/e2e/lib.sh}"

e2e_begin bench

# rss_figures NAME MEMORY_KB: VmHWM and the Rss of the guest-RAM mapping.
rss_figures() {
	local pid hwm ram
	pid=$(cat "$E2E_TMP/$1.pid")
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	ram=$(awk -v want="$2" '/^[0-9a-f]+-[0-9a-f]+ / { cur = 0 }
		/^Size:/ { cur = ($2 == want) }
		/^Rss:/ && cur { print $2; exit }' "/proc/$pid/smaps")
	echo "BENCH $1-vmm-hwm $hwm kB"
	echo "BENCH $1-guest-ram-touched ${ram:-0} kB"
	echo "BENCH $1-vmm-overhead $((hwm - ${ram:-0})) kB"
}

# bench_boot NAME MEMORY_MB ARGS...: one boot, its figures; leaves it up.
bench_boot() {
	local name=$1 mem=$2 t0 why line
	shift 2
	t0=$(e2e_now)
	vmm_start "$name" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--cmdline "$GUEST_CMDLINE" --memory "${mem}M" "$@"
	if ! why=$(vmm_expect_boot "$name" 300); then
		e2e_fail "bench-$name" "$why"
		vmm_kill "$name"
		return 1
	fi
	echo "BENCH $name-boot-to-init $(e2e_secs "$t0") s"
	line=$(vmm_match "$name")
	echo "BENCH $name-guest-kernel-to-init $(echo "$line" | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p') s"
	rss_figures "$name" $((mem * 1024))
	return 0
}

bench_off() {
	local t0
	t0=$(e2e_now)
	vmm_send "$1" 'poweroff -f'
	if vmm_wait "$1" 60 >/dev/null; then
		echo "BENCH $1-poweroff $(e2e_secs "$t0") s"
		e2e_pass "bench-$1"
	else
		e2e_fail "bench-$1" "poweroff failed"
	fi
}

bench_boot direct-1cpu 256 --no-firmware --cpus 1 && bench_off direct-1cpu
bench_boot direct-2cpu 256 --no-firmware --cpus 2 && bench_off direct-2cpu

S=$E2E_TMP/bench.sock
if bench_boot uefi-ras-1cpu 512 --cpus 1 --ras --firmware "$FW_CODE" --api-socket "$S"; then
	# Poison to recovery: 5 pages, one at a time.
	vmm_send uefi-ras-1cpu 'mca-recover --pages 5 --wait --survive'
	vmm_expect uefi-ras-1cpu '^MCA-READY' 60 >/dev/null
	i=0
	while [ $i -lt 5 ]; do
		pa=$(grep -a "MCA-PAGE $i " "$E2E_TMP/uefi-ras-1cpu.log" | tail -n 1 |
			sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r')
		t0=$(e2e_now)
		"$VMM" ctl --api-socket "$S" inject-memory-error gpa="$pa" mode=hwpoison kind=ar >/dev/null
		vmm_send uefi-ras-1cpu "touch $i"
		vmm_expect uefi-ras-1cpu "MCA-RECOVERED page=$i " 60 >/dev/null &&
			echo "BENCH ras-poison-to-recovery-line $(e2e_secs "$t0") s"
		i=$((i + 1))
	done
	vmm_send uefi-ras-1cpu 'quit'
	q=$("$VMM" ctl --api-socket "$S" query-ras)
	for f in lat_min_us lat_median_us lat_max_us lat_samples; do
		echo "BENCH ras-sigbus-to-resume-$f $(echo "$q" | sed -n "s/.*\"$f\":\([0-9]*\).*/\1/p")"
	done
	bench_off uefi-ras-1cpu
fi
e2e_end
