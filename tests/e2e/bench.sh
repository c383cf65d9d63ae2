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
# difference (VMM overhead). In the UEFI guest, BENCH_RAS_PAGES (9) real host-side
# poisonings of pages under a guest process (hard_offline_page in L1 on
# the page backing it: the VMM gets BUS_MCEERR_AO, then AR when the guest
# touches it) timed from the write to the process's recovery line; plus
# microvm-ras's own SIGBUS-to-resume latencies (query-ras; QEMU has none).
# In the same UEFI guest, bursts of 16 and 64 pages (issue 13): how many of
# K host pages taken offline at once the guest learned of before touching
# them, and that every one was survived on the touch (bench_ao_burst).
# Density: 8 guests of 128 MiB (direct boot, 1 vCPU) at once: launch to all
# at init, total RSS and VmHWM, per-guest overhead, poweroff of all.
# Devices (issue 8; direct boot, 1 vCPU, 256 MiB, virtio modules loaded):
# virtio-blk sequential read/write MB/s and 4 KiB random read and write
# IOPS at queue depth 1 and 32 (bench_blk, guest-images/src/blk-bench.c),
# virtio-net TCP guest->L1 and L1->guest MB/s over a tap (bench_net). Settings: BENCH_AO_BURSTS,
# BENCH_AO_WAIT, BENCH_BLK_MIB, BENCH_BLK_RAND_SECS, BENCH_NET_MIB.
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
RAS_PAGES=${BENCH_RAS_PAGES:-9}
AO_BURSTS=${BENCH_AO_BURSTS:-16 64}
AO_WAIT=${BENCH_AO_WAIT:-30}
BLK_MIB=${BENCH_BLK_MIB:-64}
BLK_RAND_SECS=${BENCH_BLK_RAND_SECS:-5}
NET_MIB=${BENCH_NET_MIB:-64}

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
	[ "$side" = ours ] && set -- "$@" --trace-boot
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
	[ "$side" = ours ] && trace_figures "$inst" "$name"
	return 0
}

# trace_ms INST STEP: the ms since launch of the first --trace-boot line
# of STEP in INST's log (microvm-ras only), or nothing.
trace_ms() {
	grep -a "^trace-boot: .* $2\$" "$E2E_TMP/$1.log" | head -n 1 |
		sed 's/^trace-boot: +[ ]*\([0-9.]*\) ms.*/\1/'
}

# trace_figures INST NAME: where microvm-ras's launch time goes, from its
# --trace-boot steps (ms since the process started).
trace_figures() {
	local step slug
	for step in "KVM VM created" "memory mapped" "devices created" \
		"kernel loaded" "firmware boot prepared (fw_cfg serves the kernel)" \
		"first KVM_RUN (vCPU 0)"; do
		slug=$(echo "$step" | sed 's/ (.*)//; s/ /-/g' | tr 'A-Z' 'a-z')
		[ -n "$(trace_ms "$1" "$step")" ] &&
			bench_fig ours "$2-launch-to-$slug" "$(trace_ms "$1" "$step")" ms
	done
	return 0
}

# bench_off SIDE NAME: poweroff in the guest to VMM exit (status 0).
bench_off() {
	local inst="$1-$2" t0 rc=0 a b
	t0=$(e2e_now)
	vmm_send "$inst" 'poweroff -f' >/dev/null
	# Not in $(...): vmm_wait collects the exit status of this shell's child.
	vmm_wait "$inst" 60 >"$E2E_TMP/$inst.why" || rc=$?
	if [ "$rc" = 0 ]; then
		bench_fig "$1" "$2-poweroff" "$(e2e_secs "$t0")" s
		# microvm-ras's own part of it: the guest's PSCI SYSTEM_OFF to exit.
		if [ "$1" = ours ]; then
			a=$(trace_ms "$inst" "PSCI SYSTEM_OFF")
			b=$(trace_ms "$inst" exit)
			[ -n "$a" ] && [ -n "$b" ] &&
				bench_fig ours "$2-poweroff-psci-to-exit" \
					"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b - a }')" ms
		fi
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

# bench_ras SIDE [KERNEL]: UEFI boot with RAS, then RAS_PAGES real
# poisonings, then (default kernel only) the AO bursts. With KERNEL (a
# directory /guest/kernel-KERNEL/ that run.sh --bench adds for each of
# BENCH_KERNELS) that guest kernel and its initramfs, figures prefixed
# "KERNEL-".
bench_ras() {
	local side=$1 kn=${2:-} pre='' name inst sock='' i pa hpa t0 st q f k
	local GUEST_KERNEL=$GUEST_KERNEL GUEST_INITRD=$GUEST_INITRD
	if [ -n "$kn" ]; then
		pre=$kn-
		GUEST_KERNEL=/guest/kernel-$kn/Image
		GUEST_INITRD=/guest/kernel-$kn/guest.cpio
	fi
	name=${pre}uefi-ras-1cpu
	inst=$side-$name
	[ "$side" = ours ] && sock=$E2E_TMP/bench.sock && rm -f "$sock"
	# shellcheck disable=SC2086 # no socket for QEMU
	bench_boot "$side" "$name" 512 --cpus 1 --ras --firmware "$FW_CODE" \
		${sock:+--api-socket "$sock"} || return 1
	vmm_send "$inst" "mca-recover --pages $RAS_PAGES --wait --survive" >/dev/null
	if ! vmm_expect "$inst" '^MCA-READY' 60 >/dev/null; then
		e2e_fail "bench-$side-${pre}ras" "mca-recover did not start"
		bench_off "$side" "$name"
		return 1
	fi
	: >"$E2E_TMP/$side.ras"
	i=0
	while [ "$i" -lt "$RAS_PAGES" ]; do
		pa=$(grep -a "MCA-PAGE $i " "$E2E_TMP/$inst.log" | tail -n 1 |
			sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r')
		if ! hpa=$(vmm_gpa_to_hpa "$inst" $((512 * 1024)) "$pa"); then
			e2e_fail "bench-$side-${pre}ras-page$i" "$hpa"
		else
			t0=$(e2e_now)
			if ! st=$(l1_hard_offline "$hpa"); then
				e2e_fail "bench-$side-${pre}ras-page$i" "$st"
			else
				vmm_send "$inst" "touch $i" >/dev/null
				if vmm_expect "$inst" "MCA-RECOVERED page=$i " 60 >/dev/null; then
					echo "$(e2e_secs "$t0")" >>"$E2E_TMP/$side.ras"
				else
					e2e_fail "bench-$side-${pre}ras-page$i" "no MCA-RECOVERED page=$i"
				fi
			fi
		fi
		i=$((i + 1))
	done
	set -- $(bench_stats "$E2E_TMP/$side.ras")
	bench_fig "$side" "${pre}ras-poison-to-recovery-samples" "$1" pages
	bench_fig "$side" "${pre}ras-poison-to-recovery-min" "$2" s
	bench_fig "$side" "${pre}ras-poison-to-recovery-median" "$3" s
	bench_fig "$side" "${pre}ras-poison-to-recovery-max" "$4" s
	[ "$1" = "$RAS_PAGES" ] && e2e_pass "bench-$side-${pre}ras"
	vmm_send "$inst" 'quit' >/dev/null
	if [ -n "$sock" ]; then
		q=$("$OURS" ctl --api-socket "$sock" query-ras 2>/dev/null)
		for f in lat_min_us lat_median_us lat_max_us lat_samples; do
			bench_fig "$side" "${pre}ras-sigbus-to-resume-$f" \
				"$(echo "$q" | sed -n "s/.*\"$f\": *\([0-9]*\).*/\1/p")" \
				"$([ "$f" = lat_samples ] && echo n || echo us)"
		done
	fi
	if [ -z "$kn" ]; then
		for k in $AO_BURSTS; do
			bench_ao_burst "$side" "$inst" "$k" "$sock"
		done
	fi
	bench_off "$side" "$name"
}

# ras_stat QUERY_RAS_JSON FIELD: the number FIELD has in it, or nothing.
ras_stat() {
	echo "$1" | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"
}

# bench_guest INST CMD [TIMEOUT_S]: type CMD on the guest console and wait
# until it has run (a numbered end marker the echoed command cannot match).
bench_guest() {
	BENCH_STEP=$((${BENCH_STEP:-0} + 1))
	vmm_send "$1" "$2; echo STEP-END-\$((0+$BENCH_STEP))" >/dev/null &&
		vmm_expect "$1" "^STEP-END-$BENCH_STEP" "${3:-60}" >/dev/null
}

# bench_ao_burst SIDE INST K SOCK (issue 13), in the UEFI+RAS guest of
# bench_ras: a guest process holds K dirty pages untouched; L1 takes the K
# host pages behind them offline at the same moment (K writers of
# hard_offline_page, l1_hard_offline_together); for up to AO_WAIT s the
# guest's log is searched for a memory-failure recovery line of each page
# (learned through the asynchronous path before any access); then the
# process reads every page (mca-recover "sweep") and must survive each.
# Figures: pages found before the touch, pages recovered by the touch, the
# touch's wall time (L1 clock, console round trip included); microvm-ras
# also its AO counts by signal and by pagemap scan and the last scan's cost.
bench_ao_burst() {
	local side=$1 inst=$2 k=$3 sock=$4 tag="AO$3" p="ao-burst-$3" log
	local i pa hpa hpas='' why='' found=- round=0 t0 sweep q0 q1 f
	log=$E2E_TMP/$inst.log
	bench_guest "$inst" "dmesg -n 1; dmesg -c >/dev/null; mkfifo /tmp/g$k; mca-recover --pages $k --wait --survive <>/tmp/g$k >/tmp/m$k 2>&1 & sleep 3; sed 's/^/$tag-/' /tmp/m$k" 120 ||
		why="mca-recover did not start"
	i=0
	while [ -z "$why" ] && [ "$i" -lt "$k" ]; do
		pa=$(grep -a "^$tag-MCA-PAGE $i " "$log" | tail -n 1 |
			sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r')
		if [ -z "$pa" ]; then
			why="guest page $i: no MCA-PAGE line"
		elif ! hpa=$(vmm_gpa_to_hpa "$inst" $((512 * 1024)) "$pa"); then
			why="guest page $i: $hpa"
		else
			hpas="$hpas $hpa"
		fi
		i=$((i + 1))
	done
	[ -n "$sock" ] && q0=$("$OURS" ctl --api-socket "$sock" query-ras 2>/dev/null)
	# shellcheck disable=SC2086 # one address a word
	[ -z "$why" ] && ! why=$(l1_hard_offline_together $hpas) && [ -z "$why" ] &&
		why="hard_offline_page failed"
	if [ -n "$why" ]; then
		echo "BENCH note: $p on $side not measured: $why"
		e2e_fail "bench-$side-$p" "$why"
		bench_guest "$inst" "echo quit >/tmp/g$k; wait" 60
		return 1
	fi
	# The page frame numbers (PA without its last 3 hex digits) as the
	# guest kernel's "Memory failure: 0x<pfn>: recovery action for ...:
	# Recovered" lines name them, counted in the guest.
	while [ "$round" -lt $(((AO_WAIT + 2) / 3)) ]; do
		round=$((round + 1))
		sleep 3
		bench_guest "$inst" "dmesg >/tmp/d$k; n=0; for p in \$(sed -n 's/^MCA-PAGE .*pa=\\(0x[0-9a-f]*\\)[0-9a-f][0-9a-f][0-9a-f]\$/\\1/p' /tmp/m$k); do grep -q \"Memory failure: \$p: recovery action for .*: Recovered\" /tmp/d$k && n=\$((n+1)); done; echo $tag-R$round-FOUND-\$n" 60 || break
		found=$(tr -d '\r' <"$log" | sed -n "s/^$tag-R$round-FOUND-\([0-9]*\)\$/\1/p" | tail -n 1)
		[ "$found" = "$k" ] && break
	done
	bench_fig "$side" "$p-found-before-touch" "${found:--}" pages
	if [ -n "$sock" ]; then
		q1=$("$OURS" ctl --api-socket "$sock" query-ras 2>/dev/null)
		for f in errors_ao_signal errors_ao_scan; do
			set -- "$(ras_stat "$q0" "$f")" "$(ras_stat "$q1" "$f")"
			bench_fig "$side" "$p-vmm-ao-by-${f#errors_ao_}" \
				"$([ -n "$1" ] && [ -n "$2" ] && echo $(($2 - $1)))" pages
		done
		bench_fig "$side" "$p-vmm-scan-last" "$(ras_stat "$q1" scan_last_us)" us
	fi
	# Every page read once: the guest already knows the page (SIGBUS from
	# its own page tables) or learns it now (action-required error).
	t0=$(e2e_now)
	if bench_guest "$inst" "echo sweep >/tmp/g$k; echo quit >/tmp/g$k; wait; sed -n 's/^MCA-SWEEP/$tag-T-&/p; s/^MCA-DONE/$tag-T-&/p' /tmp/m$k" 600; then
		bench_fig "$side" "$p-touch-all" "$(e2e_secs "$t0")" s
	fi
	sweep=$(tr -d '\r' <"$log" | grep -a "^$tag-T-MCA-SWEEP " | tail -n 1)
	f=$(echo "$sweep" | sed -n 's/.* recovered=\([0-9]*\) mismatch=0 of .*/\1/p')
	bench_fig "$side" "$p-recovered-after-touch" "${f:--}" pages
	if [ "$found" != - ] && [ "$f" = "$k" ]; then
		e2e_pass "bench-$side-$p"
	else
		e2e_fail "bench-$side-$p" "found before touch: $found of $k; after: ${sweep:-no MCA-SWEEP line}"
	fi
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

# qemu_devices SIDE: for QEMU, the device options that make it comparable
# (tests/e2e/standin/qemu-vmm.sh): modern virtio-mmio like microvm-ras's,
# io_uring like microvm-ras's disk, L1's page cache like microvm-ras
# without ",direct"; nothing for microvm-ras.
qemu_devices() {
	if [ "$1" = qemu ]; then
		export QEMU_MMIO_MODERN=1 QEMU_DRIVE_OPTS=cache=writeback,aio=io_uring
	else
		unset QEMU_MMIO_MODERN QEMU_DRIVE_OPTS
	fi
}

# bench_dev_boot SIDE INST ARGS...: direct boot, 1 vCPU, 256 MiB, the
# guest's virtio modules loaded (no e2e.nomodules), with device ARGS. Not
# in $(...) (the VMM must be a child of this shell); why it failed: in
# $E2E_TMP/INST.why.
bench_dev_boot() {
	local side=$1 inst=$2
	shift 2
	use_side "$side"
	qemu_devices "$side"
	vmm_start "$inst" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware "$@"
	qemu_devices ours
	if ! vmm_expect_boot "$inst" 300 >"$E2E_TMP/$inst.why"; then
		vmm_kill "$inst"
		return 1
	fi
	bench_guest "$inst" 'dmesg -n 1' 60
}

# bench_dev_off SIDE INST CHECK: poweroff, the VMM must exit with 0.
bench_dev_off() {
	local rc=0
	vmm_send "$2" 'poweroff -f' >/dev/null
	vmm_wait "$2" 60 >"$E2E_TMP/$2.why" || rc=$?
	if [ "$rc" = 0 ]; then
		e2e_pass "$3"
	else
		e2e_fail "$3" "poweroff: exit status $rc $(cat "$E2E_TMP/$2.why")"
	fi
}

# bench_blk SIDE (issue 8): one virtio-blk disk, a raw image of BLK_MIB MiB
# in L1's RAM (its rootfs, see the note), sparse before each VMM; in the
# guest blk-bench (guest-images/src/blk-bench.c), O_DIRECT: at queue depth
# 1 sequential write of the whole disk in 1 MiB requests ending with fsync,
# sequential read of it, random 4 KiB reads, then random 4 KiB writes
# ending with fsync, BLK_RAND_SECS s each; then the random reads and writes
# at queue depth 32 (native AIO).
bench_blk() {
	local side=$1 inst="$1-blk" img=$E2E_TMP/bench-disk.img why spec job qd opt arg line
	local wr=- rd=- rr=- rw=- rr32=- rw32=- ok=0 mbps iops
	rm -f "$img"
	truncate -s "${BLK_MIB}M" "$img"
	if ! bench_dev_boot "$side" "$inst" --disk "$img"; then
		why=$(cat "$E2E_TMP/$inst.why")
		echo "BENCH note: blk on $side not measured: no boot: $(echo "$why" | head -n 1)"
		e2e_fail "bench-$side-blk" "$why"
		rm -f "$img"
		return 1
	fi
	bench_guest "$inst" 'i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done' 60
	for spec in seqwrite:1 seqread:1 randread:1 randwrite:1 randread:32 randwrite:32; do
		job=${spec%:*}
		qd=${spec#*:}
		arg=$BLK_MIB
		opt=
		case $job in rand*) arg=$BLK_RAND_SECS ;; esac
		[ "$qd" = 1 ] || opt="--qd $qd "
		vmm_send "$inst" "blk-bench $opt$job /dev/vda $arg" >/dev/null
		if vmm_expect "$inst" "BLK-BENCH(-ERROR)? job=$job" 600 >"$E2E_TMP/$inst.why"; then
			line=$(vmm_match "$inst" | sed 's/.*\(BLK-BENCH\)/\1/')
		else
			line="no result: $(head -n 1 "$E2E_TMP/$inst.why")"
		fi
		case $line in
		"BLK-BENCH job=$job "*)
			ok=$((ok + 1))
			mbps=$(echo "$line" | sed -n 's/.* mbps=\([0-9.]*\).*/\1/p')
			iops=$(echo "$line" | sed -n 's/.* iops=\([0-9.]*\).*/\1/p')
			case $spec in
			seqwrite:1) wr=$mbps ;;
			seqread:1) rd=$mbps ;;
			randread:1) rr=$iops ;;
			randwrite:1) rw=$iops ;;
			randread:32) rr32=$iops ;;
			randwrite:32) rw32=$iops ;;
			esac ;;
		*)
			echo "BENCH note: blk $job at queue depth $qd on $side not measured: $line" ;;
		esac
	done
	bench_fig "$side" blk-seq-read "$rd" MB/s
	bench_fig "$side" blk-seq-write "$wr" MB/s
	bench_fig "$side" blk-randread-4k "$rr" IOPS
	bench_fig "$side" blk-randwrite-qd1-iops "$rw" IOPS
	bench_fig "$side" blk-randread-qd32-iops "$rr32" IOPS
	bench_fig "$side" blk-randwrite-qd32-iops "$rw32" IOPS
	[ "$ok" = 6 ] || e2e_fail "bench-$side-blk-jobs" "$ok of 6 blk-bench jobs gave a figure"
	bench_dev_off "$side" "$inst" "bench-$side-blk"
	rm -f "$img"
}

# bench_net_rx SIDE INST (issue 8), in bench_net's guest: NET_MIB MiB of
# zeros from L1 (busybox dd | nc, retried until the guest listens) to a
# busybox nc listener in the guest, timed in the guest from the first byte
# (read alone by dd) to end of data (L1's nc half-closes at the end of its
# input); the byte count checked in the guest (wc -c). Sets NET_RX to the
# MB/s, or to "-" after a BENCH note saying why not.
bench_net_rx() {
	local side=$1 inst=$2 port=5011 bytes=$((NET_MIB * 1048576)) spid line t got
	NET_RX=-
	(
		n=0
		while [ "$n" -lt 150 ]; do
			dd if=/dev/zero bs=65536 count=$((NET_MIB * 16)) 2>/dev/null |
				timeout 600 nc 10.0.3.2 "$port" >/dev/null 2>&1 && exit 0
			sleep 0.2
			n=$((n + 1))
		done
		exit 1
	) &
	spid=$!
	# stdin held open read-write: this nc does not half-close, it ends when
	# L1 closes.
	bench_guest "$inst" "rm -f /tmp/bn.fifo; mkfifo /tmp/bn.fifo; timeout 600 nc -l -p $port <>/tmp/bn.fifo 2>/dev/null | { dd bs=1 count=1 2>/dev/null >/tmp/bn.first; t0=\$(cut -d' ' -f1 /proc/uptime); n=\$(wc -c); t1=\$(cut -d' ' -f1 /proc/uptime); echo NET-RX bytes=\$((\$(wc -c </tmp/bn.first) + n)) t0=\$t0 t1=\$t1; }" 700
	if ! wait "$spid"; then
		echo "BENCH note: net L1->guest on $side not measured: L1's nc never completed a transfer to 10.0.3.2:$port"
		return 1
	fi
	line=$(tr -d '\r' <"$E2E_TMP/$inst.log" | grep -a '^NET-RX bytes=[0-9]' | tail -n 1)
	got=$(echo "$line" | sed -n 's/^NET-RX bytes=\([0-9]*\) .*/\1/p')
	t=$(echo "$line" | awk '{ sub("t0=", "", $3); sub("t1=", "", $4); if ($4 + 0 > $3 + 0) printf "%.3f", $4 - $3 }')
	if [ "$got" = "$bytes" ] && [ -n "$t" ]; then
		NET_RX=$(awk -v b="$bytes" -v t="$t" 'BEGIN { printf "%.2f", b / 1e6 / t }')
	else
		echo "BENCH note: net L1->guest on $side not measured: guest got ${got:-no} bytes of $bytes, time '${t}' (${line:-no NET-RX line})"
		return 1
	fi
}

# bench_net SIDE (issue 8): one virtio-net device on an L1 tap; NET_MIB MiB
# of zeros from the guest (busybox dd | nc) to an nc listener in L1, timed
# in the guest from the start to nc's exit (after L1 closed the connection,
# so every byte has arrived); the byte count checked in L1. Then the other
# way, L1 -> guest (bench_net_rx).
bench_net() {
	local side=$1 inst="$1-net" tap=benchtap port=5010 why t n line fifo
	local bytes=$((NET_MIB * 1048576)) lpid got mbps=-
	fifo=$E2E_TMP/bench-net.fifo
	if [ ! -c /dev/net/tun ]; then
		echo "BENCH note: net on $side not measured: no /dev/net/tun in L1"
		bench_fig "$side" net-tcp-guest-to-host - MB/s
		bench_fig "$side" net-tcp-host-to-guest - MB/s
		return 1
	fi
	ip link delete "$tap" 2>/dev/null
	if ! bench_dev_boot "$side" "$inst" --net "tap=$tap"; then
		why=$(cat "$E2E_TMP/$inst.why")
		echo "BENCH note: net on $side not measured: no boot: $(echo "$why" | head -n 1)"
		e2e_fail "bench-$side-net" "$why"
		bench_fig "$side" net-tcp-guest-to-host - MB/s
		bench_fig "$side" net-tcp-host-to-guest - MB/s
		return 1
	fi
	# QEMU creates the tap but leaves it down; microvm-ras brings it up.
	ip link set "$tap" up 2>/dev/null
	ip addr add 10.0.3.1/24 dev "$tap" 2>/dev/null
	bench_guest "$inst" 'e2e-step netup eth0 10.0.3.2/24' 60
	rm -f "$fifo" "$E2E_TMP/bench-net.count"
	mkfifo "$fifo"
	# stdin held open read-write: this nc ends only when the guest closes.
	(timeout 600 nc -l -p "$port" <>"$fifo" | wc -c >"$E2E_TMP/bench-net.count") &
	lpid=$!
	n=0
	while ! netstat -ltn 2>/dev/null | grep -q ":$port " && [ "$n" -lt 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	bench_guest "$inst" "t0=\$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero bs=65536 count=$((NET_MIB * 16)) 2>/dev/null | timeout 600 nc 10.0.3.1 $port; rc=\$?; t1=\$(cut -d' ' -f1 /proc/uptime); echo NET-TX rc=\$rc t0=\$t0 t1=\$t1" 700
	wait "$lpid"
	got=$(tr -d ' ' <"$E2E_TMP/bench-net.count" 2>/dev/null)
	line=$(tr -d '\r' <"$E2E_TMP/$inst.log" | grep -a '^NET-TX rc=' | tail -n 1)
	t=$(echo "$line" | awk '{ sub("t0=", "", $3); sub("t1=", "", $4); if ($4 + 0 > $3 + 0) printf "%.3f", $4 - $3 }')
	case $line in
	"NET-TX rc=0 "*)
		if [ "$got" = "$bytes" ] && [ -n "$t" ]; then
			mbps=$(awk -v b="$bytes" -v t="$t" 'BEGIN { printf "%.2f", b / 1e6 / t }')
		else
			echo "BENCH note: net on $side not measured: L1 got ${got:-no} bytes of $bytes, guest time '${t}'"
		fi ;;
	*)
		echo "BENCH note: net on $side not measured: guest: ${line:-no NET-TX line}" ;;
	esac
	bench_fig "$side" net-tcp-guest-to-host "$mbps" MB/s
	[ "$mbps" = - ] && e2e_fail "bench-$side-net-tcp" "no throughput figure"
	bench_net_rx "$side" "$inst"
	bench_fig "$side" net-tcp-host-to-guest "$NET_RX" MB/s
	[ "$NET_RX" = - ] && e2e_fail "bench-$side-net-tcp-rx" "no L1->guest throughput figure"
	bench_dev_off "$side" "$inst" "bench-$side-net"
	rm -f "$fifo" "$E2E_TMP/bench-net.count"
}

bench_direct direct-1cpu 1
bench_direct direct-2cpu 2
for side in $SIDES; do
	bench_ras "$side"
done
bench_rows uefi-ras-1cpu-
bench_rows ras-
echo "BENCH note: ao-burst-K: in the uefi-ras guest, K dirty pages of a process left untouched; L1 takes their K host pages offline at once (K parallel hard_offline_page writers); found-before-touch = pages whose guest memory-failure recovery line appeared within ${AO_WAIT} s, before any access (QEMU ignores BUS_MCEERR_AO: expect 0); recovered-after-touch = pages the process then survived reading (mismatch=0); touch-all = wall time of reading all K (L1 clock, console round trip included)"
bench_rows ao-burst-
# The same RAS figures with the other guest kernels in this image (issues 9
# and 10: 6.1 beside a current unstable kernel).
for kd in /guest/kernel-*; do
	[ -f "$kd/Image" ] && [ -f "$kd/guest.cpio" ] || continue
	kn=${kd#/guest/kernel-}
	kv=$(sed -n 's/^E2E_GUEST_KVER=//p' "$kd/guest-kernel.env" 2>/dev/null)
	echo "BENCH note: $kn-*: the uefi-ras figures with guest kernel ${kv:-$kn} ($kd), same firmware, VMMs and options; its own timing rows, poison-to-recovery and SIGBUS-to-resume"
	for side in $SIDES; do
		bench_ras "$side" "$kn"
	done
	bench_rows "$kn-"
done
for side in $SIDES; do
	bench_density "$side"
done
bench_rows density-
echo "BENCH note: blk: one raw image of $BLK_MIB MiB, the same file for both, in L1's RAM ($E2E_TMP on L1's $(stat -f -c %T "$E2E_TMP" 2>/dev/null || echo ?) root, sparse before each VMM): L1's page cache on both (O_DIRECT there is not supported by L1's 6.1 kernel, so no microvm-ras ',direct' and no QEMU cache=none): microvm-ras --disk PATH, QEMU -drive if=none,format=raw,cache=writeback,aio=io_uring -device virtio-blk-device with modern virtio-mmio; guest: direct boot, 1 vCPU, 256 MiB, blk-bench with O_DIRECT, at queue depth 1 (sequential in 1 MiB requests, the write ends with fsync; then random 4 KiB reads and random 4 KiB writes ending with fsync, ${BLK_RAND_SECS} s each, at 4 KiB-aligned pseudo-random offsets (the same sequence for both); then the random reads and writes again at queue depth 32 with Linux native AIO (blk-bench --qd 32: 32 requests in flight, each completion replaced at once, those in flight at the end waited for and counted)); MB/s = 10^6 bytes/s; blk-randread-4k is the QD1 random-read IOPS"
for side in $SIDES; do
	bench_blk "$side"
done
bench_rows blk-
echo "BENCH note: net: one virtio-net device on an L1 tap (microvm-ras --net tap=, QEMU -netdev tap,vhost off -device virtio-net-device, modern virtio-mmio), guest 10.0.3.2 -> L1 10.0.3.1: $NET_MIB MiB of zeros each way with busybox dd | nc to an nc listener: net-tcp-guest-to-host timed in the guest from the start until the connection is closed, byte count checked in L1; net-tcp-host-to-guest (L1 10.0.3.1 -> guest 10.0.3.2, listener in the guest) timed in the guest from the first byte to the end of data, byte count checked in the guest; MB/s = 10^6 bytes/s"
for side in $SIDES; do
	bench_net "$side"
done
bench_rows net-
VMM=$OURS
e2e_end
