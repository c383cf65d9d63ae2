# shellcheck shell=sh
# tests/e2e/bench-lib.sh: figures of the benchmarks (tests/e2e/bench.sh),
# one VMM ("side": ours = microvm-ras, qemu = the peer QEMU) at a time, then
# printed side by side. Source it after lib.sh (it uses $E2E_TMP).
#
#   bench_fig SIDE NAME VALUE UNIT   record a figure (and log "bench: ..." )
#   bench_rows PREFIX                one line per figure whose name starts
#                                    with PREFIX, in the order recorded:
#       BENCH <name> <microvm-ras> <qemu> <ratio> <unit>
#   ratio = microvm-ras / qemu to two decimals; "-" for a figure one side
#   does not have (or a zero qemu figure)
#   bench_stats FILE                 "N MIN MEDIAN MAX" of the numbers in
#                                    FILE (one a line; median: the lower
#                                    middle one), "0 - - -" when empty

BENCH_OURS=$E2E_TMP/bench.ours
BENCH_QEMU=$E2E_TMP/bench.qemu

bench_reset() {
	: >"$BENCH_OURS"
	: >"$BENCH_QEMU"
}

bench_fig() {
	local f
	case $1 in
	ours) f=$BENCH_OURS ;;
	qemu) f=$BENCH_QEMU ;;
	*) echo "bench_fig: bad side '$1'"; return 1 ;;
	esac
	[ -n "$3" ] || set -- "$1" "$2" - "$4"
	echo "$2 $3 $4" >>"$f"
	echo "bench: $1 $2 $3 $4"
}

bench_rows() {
	[ -f "$BENCH_OURS" ] || : >"$BENCH_OURS"
	[ -f "$BENCH_QEMU" ] || : >"$BENCH_QEMU"
	awk -v pre="$1" -v ours="$BENCH_OURS" '
		index($1, pre) != 1 { next }
		{ side = (FILENAME == ours) ? 1 : 2
		  if (!($1 in unit)) order[++n] = $1
		  unit[$1] = $3; val[side, $1] = $2 }
		function num(v) { return v ~ /^-?[0-9]+(\.[0-9]+)?$/ }
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]
				o = ((1, k) in val) ? val[1, k] : "-"
				q = ((2, k) in val) ? val[2, k] : "-"
				r = (num(o) && num(q) && q + 0 != 0) ? sprintf("%.2f", o / q) : "-"
				print "BENCH", k, o, q, r, unit[k]
			}
		}' "$BENCH_OURS" "$BENCH_QEMU"
}

bench_stats() {
	sort -n "$1" 2>/dev/null | awk '
		{ v[++n] = $1 }
		END {
			if (n == 0) { print "0 - - -"; exit }
			print n, v[1], v[int((n + 1) / 2)], v[n]
		}'
}
