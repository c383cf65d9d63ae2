#!/usr/bin/env bash
# End-to-end tests on the x86 host: prepare the images, boot one L1 test host
# (qemu-system-aarch64, TCG, EL2 so /dev/kvm works in it) that runs all the
# selected scenario scripts in one boot, then judge the E2E-PASS/E2E-FAIL
# lines it printed. See /work/shared/ENVIRONMENT.md for the nested setup.
#
#   tests/e2e/run.sh [options] [NAME...]   NAME: scenario "boot" = scenarios/10-boot.sh
#     --demo          boot tests/e2e/demo.sh and show the whole console
#     --bench         run tests/e2e/bench.sh, print its BENCH lines; L1 also
#                     gets the peer QEMU (guest-images/fetch-qemu.sh) and
#                     the guest kernels of BENCH_KERNELS (default: sid)
#     --vmm PATH      put PATH in L1 as microvm-ras (stand-ins: tests/e2e/standin/)
#     --timeout SECS  hard limit for the L1 run (default 1500, 3600 with --bench)
#     --verbose       show the whole L1 console, not only result lines
#     --list          list the scenarios and exit
#     --kernel K      guest kernel K (also GUEST_KERNEL=K): bookworm (6.1,
#                     default), trixie (6.12), sid (7.x), sid-16k (7.x, 16 KiB
#                     pages); guest-images/fetch.sh fetches it. L1 stays on
#                     bookworm. Logs in build/e2e/kernel-K/ (not bookworm).
#     --matrix        run NAMEs (default: ras einj ras-cper ras-burst) with
#                     each kernel of MATRIX_KERNELS (default: all four), one
#                     L1 boot each, then print a scenario x kernel table
#
# Last line: "e2e: N passed, M failed" (", S skipped" when a check said
# E2E-SKIP: it cannot run with this guest kernel); exit status 0 only if
# M = 0 and every script delivered the number of results it declares
# ("# E2E-CHECKS: N"). A scenario with a line "# E2E-KERNELS: K..." runs
# only with those kernels; with another it is skipped and says so.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E=$ROOT/tests/e2e
OUTDIR=$ROOT/build/e2e
VMM=
MODE='test'
TMO=${E2E_TIMEOUT:-}
VERBOSE=
NAMES=()
KERNEL=${GUEST_KERNEL:-bookworm}
MATRIX=
PASS_ARGS=()

die() { echo "e2e: error: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--demo) MODE=demo ;;
	--bench) MODE=bench ;;
	--vmm) VMM=$(realpath "$2") || die "no such VMM $2"; PASS_ARGS+=(--vmm "$VMM"); shift ;;
	--timeout) TMO=$2; PASS_ARGS+=(--timeout "$2"); shift ;;
	--verbose|-v) VERBOSE=1; PASS_ARGS+=(--verbose) ;;
	--kernel) KERNEL=$2; shift ;;
	--matrix) MATRIX=1 ;;
	--list)
		for s in "$E2E"/scenarios/*.sh; do basename "$s" .sh; done
		exit 0 ;;
	-h|--help) sed -n '2,31s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) NAMES+=("$1") ;;
	esac
	shift
done

. "$ROOT/guest-images/lib-kernel.sh"
GUEST_DIR=$(guest_kernel_dir "$ROOT/build/images" "$KERNEL") ||
	die "unknown guest kernel '$KERNEL' (one of: $GUEST_KERNELS)"
[ "$KERNEL" = bookworm ] || OUTDIR=$ROOT/build/e2e/kernel-$KERNEL

# --- the kernel matrix: this script once per kernel, then the table --------
if [ -n "$MATRIX" ]; then
	[ "$MODE" = test ] || die "--matrix runs test scenarios only"
	[ ${#NAMES[@]} -gt 0 ] || NAMES=(ras einj ras-cper ras-burst)
	KERNELS=${MATRIX_KERNELS:-$GUEST_KERNELS}
	MDIR=$ROOT/build/e2e/matrix
	rm -rf "$MDIR"
	mkdir -p "$MDIR"
	rc=0
	for k in $KERNELS; do
		echo "e2e: === guest kernel $k ===" >&2
		"$0" --kernel "$k" "${PASS_ARGS[@]}" "${NAMES[@]}" 2>&1 | tee "$MDIR/$k.out"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1
		case $k in
		bookworm) cp "$ROOT/build/e2e/summary.tsv" "$MDIR/$k.tsv" 2>/dev/null ;;
		*) cp "$ROOT/build/e2e/kernel-$k/summary.tsv" "$MDIR/$k.tsv" 2>/dev/null ;;
		esac
	done
	echo
	echo "=== e2e kernel matrix (passed/failed/skipped of declared checks) ==="
	# shellcheck disable=SC2086 # kernel list
	"$E2E/matrix-table.sh" "$MDIR" $KERNELS
	exit $rc
fi

# --- select the scripts --------------------------------------------------
SCRIPTS=()
case $MODE in
demo) SCRIPTS=("$E2E/demo.sh"); VERBOSE=1 ;;
bench) SCRIPTS=("$E2E/bench.sh") ;;
test)
	if [ ${#NAMES[@]} -eq 0 ]; then
		SCRIPTS=("$E2E"/scenarios/*.sh)
	else
		for n in "${NAMES[@]}"; do
			m=()
			for s in "$E2E"/scenarios/*.sh "$E2E"/pending/*.sh; do
				b=$(basename "$s" .sh)
				if [ "$b" = "$n" ] || [ "${b#*-}" = "$n" ]; then
					m+=("$s")
				fi
			done
			[ ${#m[@]} -gt 0 ] || die "no scenario named '$n' (try --list)"
			SCRIPTS+=("${m[@]}")
		done
	fi ;;
esac
[ ${#SCRIPTS[@]} -gt 0 ] && [ -f "${SCRIPTS[0]}" ] || die "no scripts to run"
# Scenarios that declare the kernels they run with ("# E2E-KERNELS: ...").
NOT_HERE=()
if [ "$MODE" = test ]; then
	keep=()
	for s in "${SCRIPTS[@]}"; do
		ks=$(sed -n 's/^# E2E-KERNELS: *//p' "$s" | head -n 1)
		if [ -n "$ks" ] && ! echo " $ks " | grep -q " $KERNEL "; then
			NOT_HERE+=("$s")
		else
			keep+=("$s")
		fi
	done
	SCRIPTS=("${keep[@]}")
fi
mkdir -p "$OUTDIR"
SUMMARY=$OUTDIR/summary.tsv
# summary.tsv: one line per scenario, tab-separated: name, passed, failed,
# skipped, declared checks, "ok" or why it is incomplete (run.sh --matrix).
printf 'scenario\tpassed\tfailed\tskipped\tchecks\tstatus\n' >"$SUMMARY"
for s in "${NOT_HERE[@]}"; do
	ks=$(sed -n 's/^# E2E-KERNELS: *//p' "$s" | head -n 1)
	echo "E2E-SKIP $(basename "$s" .sh): not with guest kernel $KERNEL (the scenario declares E2E-KERNELS: $ks)"
	printf '%s\t0\t0\tall\t-\tnot for %s (E2E-KERNELS: %s)\n' "$(basename "$s" .sh)" "$KERNEL" "$ks" >>"$SUMMARY"
done
if [ ${#SCRIPTS[@]} -eq 0 ]; then
	echo "e2e: 0 passed, 0 failed, ${#NOT_HERE[@]} scenario(s) skipped"
	exit 0
fi
if [ -z "$TMO" ]; then
	TMO=1500
	[ "$MODE" = bench ] && TMO=3600
fi

# --- prepare images and the VMM -------------------------------------------
T_START=$(date +%s)
"$ROOT/scripts/setup.sh" || die "scripts/setup.sh failed"
GUEST_KERNEL=$KERNEL "$ROOT/guest-images/fetch.sh" || die "guest-images/fetch.sh failed"
GUEST_KERNEL=$KERNEL "$ROOT/guest-images/build-guest.sh" || die "guest-images/build-guest.sh failed"
"$ROOT/guest-images/build-disk.sh" || die "guest-images/build-disk.sh failed"
# Optional guest images a script asks for with "# E2E-GUEST-IMAGE: NAME"
# (built by guest-images/build-NAME-without-.cpio.sh, in L1 as /guest/NAME);
# the default guest.cpio stays as it is.
EXTRA_IMAGES=()
for img in $(sed -n 's/^# E2E-GUEST-IMAGE: *\([A-Za-z0-9._-]*\.cpio\).*/\1/p' "${SCRIPTS[@]}" | sort -u); do
	b=$ROOT/guest-images/build-${img%.cpio}.sh
	[ -x "$b" ] || die "no builder $b for the guest image $img"
	"$b" || die "$b failed"
	EXTRA_IMAGES+=(--guest-image "$ROOT/build/images/$img")
done
# Optional disk images a script asks for with "# E2E-DISK-IMAGE: NAME.img"
# (built by guest-images/build-NAME-without-.img.sh for the guest kernel
# under test, into its directory; in L1 as /disk/NAME).
for img in $(sed -n 's/^# E2E-DISK-IMAGE: *\([A-Za-z0-9._-]*\.img\).*/\1/p' "${SCRIPTS[@]}" | sort -u); do
	b=$ROOT/guest-images/build-${img%.img}.sh
	[ -x "$b" ] || die "no builder $b for the disk image $img"
	GUEST_KERNEL=$KERNEL "$b" || die "$b failed"
	EXTRA_IMAGES+=(--disk-image "$GUEST_DIR/$img")
done
if [ -z "$VMM" ]; then
	make -C "$ROOT" -s build/microvm-ras >&2 || die "building the VMM failed"
	VMM=$ROOT/build/microvm-ras
fi
# The benchmarks' peer: without it bench.sh prints our figures only. Also
# the RAS figures with each guest kernel of BENCH_KERNELS (default sid, the
# current unstable kernel) beside the default one: their Image and
# initramfs go into L1 as /guest/kernel-NAME/ (build-l1.sh --extra-guest).
L1_QEMU=()
if [ "$MODE" = bench ]; then
	if "$ROOT/guest-images/fetch-qemu.sh"; then
		L1_QEMU=(--qemu "$ROOT/build/images/qemu")
	else
		echo "e2e: warning: guest-images/fetch-qemu.sh failed: the bench runs without QEMU" >&2
	fi
	for k in ${BENCH_KERNELS-sid}; do
		[ "$k" != "$KERNEL" ] || continue
		kd=$(guest_kernel_dir "$ROOT/build/images" "$k") ||
			die "BENCH_KERNELS: unknown guest kernel '$k' (one of: $GUEST_KERNELS)"
		if GUEST_KERNEL=$k "$ROOT/guest-images/fetch.sh" &&
			GUEST_KERNEL=$k "$ROOT/guest-images/build-guest.sh"; then
			L1_QEMU+=(--extra-guest "$k=$kd")
		else
			echo "e2e: warning: guest kernel $k could not be prepared: the bench runs without its RAS figures" >&2
		fi
	done
fi
mkdir -p "$OUTDIR"
"$ROOT/guest-images/build-l1.sh" --vmm "$VMM" --guest "$GUEST_DIR" --out "$OUTDIR/l1.cpio" "${L1_QEMU[@]}" \
	${EXTRA_IMAGES[@]+"${EXTRA_IMAGES[@]}"} \
	"${SCRIPTS[@]}" || die "guest-images/build-l1.sh failed"
T_BUILT=$(date +%s)

# --- boot L1 --------------------------------------------------------------
LOG=$OUTDIR/l1.log
if [ -n "$VERBOSE" ]; then
	filter() { cat; }
else
	filter() { grep -a --line-buffered -E '(E2E-|L1-|BENCH |^    |run-l1)'; }
fi
echo "e2e: booting L1 with ${#SCRIPTS[@]} script(s), timeout ${TMO}s, log $LOG" >&2
"$ROOT/guest-images/run-l1.sh" --cpio "$OUTDIR/l1.cpio" --log "$LOG" \
	--timeout "$TMO" </dev/null | tr -d '\r' | filter
L1_RC=${PIPESTATUS[0]}
T_END=$(date +%s)

# --- judge ----------------------------------------------------------------
CLEAN=$OUTDIR/l1.clean.log
# Marker lines may be glued to console output that lacked a newline (a
# guest prompt, a kernel message): cut anything before the marker.
tr -d '\r' <"$LOG" | sed -E 's/^.*(E2E-(PASS|FAIL|SKIP|BEGIN|END) |L1-(INFO|KVM|ERROR|SCRIPT-BEGIN|SCRIPT-END|DONE)|BENCH )/\1/' >"$CLEAN"

echo
echo "=== e2e results ==="
grep -aE '^E2E-(PASS|FAIL|SKIP) ' "$CLEAN"
[ "$MODE" = bench ] && grep -aE '^BENCH ' "$CLEAN"

passed=$(grep -ac '^E2E-PASS ' "$CLEAN")
failed=$(grep -ac '^E2E-FAIL ' "$CLEAN")
skipped=$(grep -ac '^E2E-SKIP ' "$CLEAN")

# Per script: declared results vs delivered (between the L1-SCRIPT markers).
i=0
for s in "${SCRIPTS[@]}"; do
	i=$((i + 1))
	name=$(printf '%02d_%s' "$i" "$(basename "$s")")
	want=$(sed -n 's/^# E2E-CHECKS: *\([0-9]*\).*/\1/p' "$s" | head -n 1)
	# shellcheck disable=SC2046 # three numbers
	set -- $(awk -v n="$name" '
		$1 == "L1-SCRIPT-BEGIN" && $2 == n { on = 1; next }
		$1 == "L1-SCRIPT-END" && $2 == n { on = 0 }
		on && /^E2E-PASS / { p++ }
		on && /^E2E-FAIL / { f++ }
		on && /^E2E-SKIP / { k++ }
		END { print p + 0, f + 0, k + 0 }' "$CLEAN")
	sp=$1 sf=$2 sk=$3
	got=$((sp + sf + sk))
	end=$(grep -aE "^L1-SCRIPT-END $name " "$CLEAN" | sed -n 's/.*secs=//p')
	status=ok
	if [ -n "$want" ] && [ "$got" -lt "$want" ]; then
		echo "E2E-FAIL $(basename "$s" .sh): $((want - got)) of $want results missing${end:+}${end:- (script did not finish)}"
		failed=$((failed + want - got))
		sf=$((sf + want - got))
		status="$((want - got)) missing"
	elif [ -z "$end" ]; then
		echo "E2E-FAIL $(basename "$s" .sh): script did not finish (L1 status $L1_RC)"
		failed=$((failed + 1))
		sf=$((sf + 1))
		status="did not finish"
	elif [ -z "$want" ] && [ "$got" = 0 ] && [ "$MODE" = test ]; then
		echo "E2E-FAIL $(basename "$s" .sh): no results (and no E2E-CHECKS line)"
		failed=$((failed + 1))
		sf=$((sf + 1))
		status="no results"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(basename "$s" .sh)" "$sp" "$sf" "$sk" "${want:--}" "$status" >>"$SUMMARY"
	printf 'e2e: time %-28s %8ss (%s results)\n' "$(basename "$s")" "${end:-?}" "$got"
done
l1_boot=$(sed -n 's/^L1-INFO .*uptime=\([0-9.]*\).*/\1/p' "$CLEAN" | head -n 1)
l1_done=$(sed -n 's/^L1-DONE uptime=\([0-9.]*\).*/\1/p' "$CLEAN" | head -n 1)
echo "e2e: time L1 boot to /init ${l1_boot:-?}s (L1 clock), L1 total ${l1_done:-?}s;" \
	"host: prepare $((T_BUILT - T_START))s, L1 run $((T_END - T_BUILT))s"
grep -aq '^L1-KVM ok' "$CLEAN" || echo "e2e: warning: L1 did not report /dev/kvm"
if [ "$L1_RC" != 0 ]; then
	echo "E2E-FAIL l1: L1 run exited with status $L1_RC$([ "$L1_RC" = 124 ] && echo " (timeout)")"
	failed=$((failed + 1))
fi

echo "e2e: $passed passed, $failed failed$([ "$skipped" != 0 ] && echo ", $skipped skipped")"
[ "$failed" = 0 ]
