#!/usr/bin/env bash
# The guest-kernel matrix table of tests/e2e/run.sh --matrix: one row per
# scenario, one column per kernel, from DIR/<kernel>.tsv (run.sh's
# summary.tsv of that kernel's run) and DIR/<kernel>.out (its output: the
# E2E-SKIP reasons are listed under the table).
#
#   tests/e2e/matrix-table.sh DIR KERNEL...
#
# A cell: "P/N ok" (all N declared checks passed), "P/N FAIL" (F failed or
# missing), "+S skip" when checks said they cannot run with that kernel,
# "skipped" for a scenario not meant for the kernel (E2E-KERNELS), "no run"
# when that kernel's run left no summary (images not built, L1 did not
# boot). Exit status 1 when a cell failed or a kernel has no run.
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: $0 DIR KERNEL..." >&2; exit 2; }
dir=$1
shift
files=()
for k in "$@"; do
	[ -f "$dir/$k.tsv" ] && files+=("$dir/$k.tsv")
done
awk -F '\t' -v kernels="$*" '
BEGIN { nk = split(kernels, ks, " ") }
FNR == 1 {
	cur = FILENAME; sub(/\.tsv$/, "", cur); sub(/.*\//, "", cur)
	have[cur] = 1
	next
}
{
	if (!($1 in seen)) { seen[$1] = 1; rows[++nr] = $1 }
	if ($4 == "all") cell[$1, cur] = "skipped"
	else {
		n = ($5 == "-") ? $2 + $3 + $4 : $5
		c = $2 "/" n ($3 > 0 || $6 != "ok" ? " FAIL" : " ok")
		if ($4 > 0) c = c " +" $4 " skip"
		if ($3 > 0 || $6 != "ok") bad = 1
		cell[$1, cur] = c
	}
}
END {
	w = 16
	printf "%-16s", "scenario"
	for (j = 1; j <= nk; j++) printf " %-" w "s", ks[j]
	printf "\n"
	for (i = 1; i <= nr; i++) {
		printf "%-16s", rows[i]
		for (j = 1; j <= nk; j++) {
			c = ((rows[i], ks[j]) in cell) ? cell[rows[i], ks[j]] : (ks[j] in have ? "-" : "no run")
			printf " %-" w "s", c
		}
		printf "\n"
	}
	for (j = 1; j <= nk; j++)
		if (!(ks[j] in have)) { printf "%s: no run (no summary; see its output)\n", ks[j]; bad = 1 }
	exit bad
}' "${files[@]}" /dev/null
rc=$?
for k in "$@"; do
	[ -f "$dir/$k.out" ] || continue
	grep -a '^E2E-SKIP ' "$dir/$k.out" | sed "s/^/$k: /"
done
exit $rc
