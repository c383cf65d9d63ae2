#!/usr/bin/env bash
# Run the libFuzzer harnesses built in OUT (make fuzz / make fuzz-smoke):
# each for SECONDS from its seed corpus (tests/fuzz/corpus/NAME; new inputs
# go to OUT/corpus/NAME, the tree is never written), one line per harness
# with execs, coverage (cov/ft, libFuzzer's final figures) and crashes
# (kept in OUT/artifacts/NAME); tests/fuzz/NAME.dict is used when present.
# --smoke also replays every reproducer in
# tests/fuzz/crashes/NAME. Exits non-zero when any harness crashed.
#   run.sh [--smoke] [--seconds N] [--out DIR] NAME...
set -u
cd "$(dirname "$0")/../.."

smoke=0 secs=60 out=build/fuzz
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) smoke=1; shift ;;
	--seconds) secs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: run.sh [--smoke] [--seconds N] [--out DIR] NAME..." >&2; exit 2; }

failed=0
for name in "$@"; do
	bin=$out/$name
	work=$out/corpus/$name
	art=$out/artifacts/$name
	log=$out/logs/$name.log
	seeds=tests/fuzz/corpus/$name
	mkdir -p "$work" "$art" "$out/logs"
	rm -f "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*
	dirs=("$work")
	[ -d "$seeds" ] && dirs+=("$seeds")
	dict=()
	[ -f tests/fuzz/$name.dict ] && dict=(-dict="tests/fuzz/$name.dict")

	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$art/" "${dict[@]}" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	covline=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$covline")
	ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$covline")
	crashes=$(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
		-o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	[ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1

	repro=""
	if [ "$smoke" = 1 ] && [ -d tests/fuzz/crashes/$name ]; then
		files=$(find tests/fuzz/crashes/$name -type f ! -name '*.md' | sort)
		if [ -n "$files" ]; then
			n=$(wc -l <<<"$files")
			# shellcheck disable=SC2086
			if "$bin" $files >"$out/logs/$name.repro.log" 2>&1; then
				repro=", reproducers: $n ok"
			else
				repro=", reproducers: FAILED (see $out/logs/$name.repro.log)"
				crashes=$((crashes + 1))
			fi
		fi
	fi
	printf 'fuzz %-12s execs %-9s cov %-5s ft %-6s crashes %s%s\n' "$name" \
		"${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes" "$repro"
	if [ "$crashes" -ne 0 ]; then
		failed=$((failed + 1))
		echo "  log: $log; artifacts: $art" >&2
		grep -m 3 -E 'ERROR|invariant failed|runtime error' "$log" | sed 's/^/  /' >&2
	fi
done
[ "$failed" -eq 0 ]
