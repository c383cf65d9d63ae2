#!/bin/sh
# Benchmarks (tests/e2e/run.sh --bench, make bench), run inside L1: every
# figure for microvm-ras and for the peer QEMU (Debian's arm64
# qemu-system-aarch64 under KVM, /opt/qemu in L1, driven through
# /e2e/qemu-vmm with the same "run" options) on the same guest kernel,
# initramfs and command line, in the same L1 boot, one VMM after the other
# for each scenario. Printed side by side (bench-lib.sh):
#
#   BENCH <figure> <microvm-ras> <qemu> <ratio microvm-ras/qemu> <unit>
#
# Scenarios: direct boot with 1 and 2 vCPUs (256 MiB), UEFI boot with RAS
# (512 MiB, 1 vCPU; --ras / -M virt,ras=on), each: launch to the guest's
# GUEST-READY line (wall), the guest kernel's own uptime at that line,
# poweroff to VMM exit, VmHWM, Rss of the guest-RAM mapping, and their
# difference (VMM overhead). In the UEFI guest, five real host-side
# poisonings of pages under a guest process (hard_offline_page in L1 on
# the page backing it: the VMM gets BUS_MCEERR_AO, then AR when the guest
# touches it) timed from the write to the process's recovery line; plus
# microvm-ras's own SIGBUS-to-resume latencies (query-ras; QEMU has none).
# Density: 8 guests of 128 MiB (direct boot, 1 vCPU) at once: launch to all
# at init, total RSS and VmHWM, per-guest overhead, poweroff of all.
# Times on L1's clock; compare only figures from the same run
# (ENVIRONMENT.md). Figures are never asserted; a check per VMM and scenario
# says whether it ran (E2E-PASS/FAIL bench-<side>-<scenario>).
. "${E2E_LIB:-/e2e/lib.sh}"
. "${E2E_BENCH_LIB:-/e2e/bench-lib.sh}"

e2e_begin bench
bench_reset

OURS=$VMM
QEMU_VMM=${QEMU_VMM:-/e2e/qemu-vmm}
QEMU=${QEMU:-/opt/qemu/bin/qemu-system-aarch64}
QEMU_ACCEL=kvm
export QEMU QEMU_ACCEL
# The modules the guest would load for (QEMU's always present, empty)
# virtio-mmio windows are skipped on both (guest-init).
BENCH_CMDLINE="$GUEST_CMDLINE e2e.nomodules"
DENSITY_N=${BENCH_DENSITY_N:-8}
DENSITY_MB=${BENCH_DENSITY_MB:-128}
RAS_PAGES=${BENCH_RAS_PAGES:-5}

qv=
if [ -x "$QEMU" ] && [ -x "$QEMU_VMM" ]; then
	qv=$("$QEMU" --version 2>&1 | head -n 1)
fi
case $qv in
"QEMU emulator version "*)
	SIDES="ours qemu"
	echo "BENCH note: peer: $qv, KVM, -cpu host, -nodefaults, same kernel/initrd/cmdline" ;;
*)
	SIDES=ours
	echo "BENCH note: no QEMU in this L1 image ($QEMU${qv:+: $qv}): microvm-ras figures only, qemu column '-' (tests/e2e/run.sh --bench builds the image with it)" ;;
esac
echo "BENCH note: times in s on L1's clock; vmm-overhead = VmHWM - Rss of the guest-RAM mapping (kB)"
echo "BENCH figure microvm-ras qemu ratio unit"

# use_side SIDE: VMM for vmm_start.
use_side() {
	case $1 in
	ours) VMM=$OURS ;;
	qemu) VMM=$QEMU_VMM ;;
	esac
}

# rss_figures SIDE NAME INST MEMORY_KB: VmHWM, the Rss of the guest-RAM
# mapping, their difference.
rss_figures() {
	local pid hwm ram
	pid=$(cat "$E2E_TMP/$3.pid")
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	ram=$(vmm_ram_map "$3" "$4" | cut -d' ' -f2)
	bench_fig "$1" "$2-vmm-hwm" "$hwm" kB
	bench_fig "$1" "$2-guest-ram-touched" "${ram:--}" kB
	[ -n "$ram" ] && [ -n "$hwm" ] &&
		bench_fig "$1" "$2-vmm-overhead" $((hwm - ram)) kB
	return 0
}

# bench_boot SIDE NAME MEMORY_MB ARGS...: one boot, its figures; leaves it
# up as instance SIDE-NAME.
bench_boot() {
	local side=$1 name=$2 mem=$3 inst="$1-$2" t0 why line
	shift 3
	use_side "$side"
	t0=$(e2e_now)
	vmm_start "$inst" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--cmdline "$BENCH_CMDLINE" --memory "${mem}M" "$@"
	if ! why=$(vmm_expect_boot "$inst" 300); then
		e2e_fail "bench-$inst" "$why"
		vmm_kill "$inst"
		return 1
	fi
	bench_fig "$side" "$name-boot-to-init" "$(e2e_secs "$t0")" s
	line=$(vmm_match "$inst")
	bench_fig "$side" "$name-guest-kernel-to-init" \
		"$(echo "$line" | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p')" s
	rss_figures "$side" "$name" "$inst" $((mem * 1024))
	return 0
}

# bench_off SIDE NAME: poweroff in the guest to VMM exit (status 0).
bench_off() {
	local inst="$1-$2" t0 rc=0
	t0=$(e2e_now)
	vmm_send "$inst" 'poweroff -f' >/dev/null
	# Not in $(...): vmm_wait collects the exit status of this shell's child.
	vmm_wait "$inst" 60 >"$E2E_TMP/$inst.why" || rc=$?
	if [ "$rc" = 0 ]; then
		bench_fig "$1" "$2-poweroff" "$(e2e_secs "$t0")" s
		e2e_pass "bench-$inst"
	else
		e2e_fail "bench-$inst" "poweroff: exit status $rc $(cat "$E2E_TMP/$inst.why")"
	fi
}

bench_direct() {
	local side
	for side in $SIDES; do
		bench_boot "$side" "$1" 256 --no-firmware --cpus "$2" && bench_off "$side" "$1"
	done
	bench_rows "$1-"
}

# bench_ras SIDE: UEFI boot with RAS, then RAS_PAGES real poisonings.
bench_ras() {
	local side=$1 name=uefi-ras-1cpu inst="$1-uefi-ras-1cpu" sock='' i pa hpa t0 st q f
	[ "$side" = ours ] && sock=$E2E_TMP/bench.sock
	# shellcheck disable=SC2086 # no socket for QEMU
	bench_boot "$side" "$name" 512 --cpus 1 --ras --firmware "$FW_CODE" \
		${sock:+--api-socket "$sock"} || return 1
	vmm_send "$inst" "mca-recover --pages $RAS_PAGES --wait --survive" >/dev/null
	if ! vmm_expect "$inst" '^MCA-READY' 60 >/dev/null; then
		e2e_fail "bench-$side-ras" "mca-recover did not start"
		bench_off "$side" "$name"
		return 1
	fi
	: >"$E2E_TMP/$side.ras"
	i=0
	while [ "$i" -lt "$RAS_PAGES" ]; do
		pa=$(grep -a "MCA-PAGE $i " "$E2E_TMP/$inst.log" | tail -n 1 |
			sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r')
		if ! hpa=$(vmm_gpa_to_hpa "$inst" $((512 * 1024)) "$pa"); then
			e2e_fail "bench-$side-ras-page$i" "$hpa"
		else
			t0=$(e2e_now)
			if ! st=$(l1_hard_offline "$hpa"); then
				e2e_fail "bench-$side-ras-page$i" "$st"
			else
				vmm_send "$inst" "touch $i" >/dev/null
				if vmm_expect "$inst" "MCA-RECOVERED page=$i " 60 >/dev/null; then
					echo "$(e2e_secs "$t0")" >>"$E2E_TMP/$side.ras"
				else
					e2e_fail "bench-$side-ras-page$i" "no MCA-RECOVERED page=$i"
				fi
			fi
		fi
		i=$((i + 1))
	done
	set -- $(bench_stats "$E2E_TMP/$side.ras")
	bench_fig "$side" ras-poison-to-recovery-samples "$1" pages
	bench_fig "$side" ras-poison-to-recovery-min "$2" s
	bench_fig "$side" ras-poison-to-recovery-median "$3" s
	bench_fig "$side" ras-poison-to-recovery-max "$4" s
	[ "$1" = "$RAS_PAGES" ] && e2e_pass "bench-$side-ras"
	vmm_send "$inst" 'quit' >/dev/null
	if [ -n "$sock" ]; then
		q=$("$OURS" ctl --api-socket "$sock" query-ras 2>/dev/null)
		for f in lat_min_us lat_median_us lat_max_us lat_samples; do
			bench_fig "$side" "ras-sigbus-to-resume-$f" \
				"$(echo "$q" | sed -n "s/.*\"$f\": *\([0-9]*\).*/\1/p")" \
				"$([ "$f" = lat_samples ] && echo n || echo us)"
		done
	fi
	bench_off "$side" "$name"
}

# bench_density SIDE: DENSITY_N guests of DENSITY_MB at once.
bench_density() {
	local side=$1 n=$DENSITY_N mb=$DENSITY_MB p="density-${DENSITY_N}x${DENSITY_MB}"
	local i t0 up=0 hwm=0 rss=0 ram=0 pid h r m clean=0 rc
	use_side "$side"
	t0=$(e2e_now)
	i=0
	while [ "$i" -lt "$n" ]; do
		vmm_start "$side-d$i" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
			--cmdline "$BENCH_CMDLINE" --memory "${mb}M" --cpus 1 --no-firmware
		i=$((i + 1))
	done
	i=0
	while [ "$i" -lt "$n" ]; do
		vmm_expect_boot "$side-d$i" 900 >/dev/null && up=$((up + 1))
		i=$((i + 1))
	done
	[ "$up" = "$n" ] && bench_fig "$side" "$p-all-at-init" "$(e2e_secs "$t0")" s
	bench_fig "$side" "$p-at-init" "$up" guests
	i=0
	while [ "$i" -lt "$n" ]; do
		if vmm_alive "$side-d$i"; then
			pid=$(cat "$E2E_TMP/$side-d$i.pid")
			h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
			r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
			m=$(vmm_ram_map "$side-d$i" $((mb * 1024)) | cut -d' ' -f2)
			hwm=$((hwm + ${h:-0}))
			rss=$((rss + ${r:-0}))
			ram=$((ram + ${m:-0}))
		fi
		i=$((i + 1))
	done
	bench_fig "$side" "$p-total-rss" "$rss" kB
	bench_fig "$side" "$p-total-vmm-hwm" "$hwm" kB
	bench_fig "$side" "$p-total-guest-ram-touched" "$ram" kB
	[ "$up" -gt 0 ] &&
		bench_fig "$side" "$p-per-guest-overhead" $(((hwm - ram) / up)) kB
	t0=$(e2e_now)
	i=0
	while [ "$i" -lt "$n" ]; do
		vmm_send "$side-d$i" 'poweroff -f' >/dev/null
		i=$((i + 1))
	done
	i=0
	while [ "$i" -lt "$n" ]; do
		rc=0
		vmm_wait "$side-d$i" 120 >/dev/null || rc=$?
		[ "$rc" = 0 ] && clean=$((clean + 1))
		i=$((i + 1))
	done
	[ "$clean" = "$n" ] && bench_fig "$side" "$p-all-off" "$(e2e_secs "$t0")" s
	bench_fig "$side" "$p-clean-exits" "$clean" guests
	if [ "$up" = "$n" ] && [ "$clean" = "$n" ]; then
		e2e_pass "bench-$side-density"
	else
		e2e_fail "bench-$side-density" "$up of $n at init, $clean of $n exited with status 0"
	fi
}

bench_direct direct-1cpu 1
bench_direct direct-2cpu 2
for side in $SIDES; do
	bench_ras "$side"
done
bench_rows uefi-ras-1cpu-
bench_rows ras-
for side in $SIDES; do
	bench_density "$side"
done
bench_rows density-
VMM=$OURS
e2e_end
