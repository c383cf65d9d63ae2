#!/usr/bin/env bash
# Golden ACPI tables: every table `microvm-ras dump-acpi` writes for a few
# fixed configurations, disassembled with `iasl -d` (RSDP, which iasl cannot
# disassemble alone, as a hex dump), must equal tests/data/acpi/<config>/.
#   tests/host/acpi-golden.sh           compare: PASS/FAIL line per config,
#                                       a unified diff for each difference
#   tests/host/acpi-golden.sh --update  rewrite tests/data/acpi on purpose
#                                       (make update-golden)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VMM=${MVR_VMM:-"qemu-aarch64-static $ROOT/build/microvm-ras"}
DATA=$ROOT/tests/data/acpi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# name, then dump-acpi options. The default memory size and the fixed
# addresses dump-acpi links the tables at are part of each configuration.
CONFIGS=(
	"1cpu-ras --cpus 1 --ras"
	"2cpu-ras --cpus 2 --ras"
	"1cpu --cpus 1"
)

update=0
case ${1:-} in
--update) update=1 ;;
"") ;;
*) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

# The golden files describe the default configuration (configs/defconfig).
if ! grep -qx 'CONFIG_ACPI=y' "$ROOT/build/config.mk" 2>/dev/null ||
	! grep -qx 'CONFIG_RAS=y' "$ROOT/build/config.mk"; then
	echo "SKIP acpi-golden: the build has ACPI or RAS off"
	exit 0
fi

iasl_version() { iasl -v 2>/dev/null | sed -n 's/.*version \([0-9]*\).*/\1/p' | head -1; }

# dump NAME OPTIONS...: tables of one configuration as $T/NAME/SIG.dsl.
# Lines that vary from run to run or with the iasl build (version,
# copyright, file name and date) are dropped.
dump() {
	local name=$1 raw=$T/raw/$1 out=$T/$1 t sig
	shift
	mkdir -p "$T/raw" "$out"
	if ! $VMM dump-acpi "$raw" "$@" 2>"$T/err"; then
		echo "dump-acpi $*: $(cat "$T/err")"
		return 1
	fi
	for t in "$raw"/*.dat; do
		sig=$(basename "$t" .dat)
		if [ "$sig" = RSDP ]; then
			od -A x -t x1z -v "$t" >"$out/RSDP.hex"
			continue
		fi
		if ! (cd "$raw" && iasl -d "$sig.dat" >"$T/iasl.log" 2>&1); then
			echo "iasl -d $sig.dat failed: $(tail -3 "$T/iasl.log")"
			return 1
		fi
		sed -e '/^ \* .*Disassembler version /d' \
			-e '/^ \* Copyright (c) /d' \
			-e '/^ \* Disassembly of /d' \
			-e 's/[[:space:]]*$//' \
			"$raw/$sig.dsl" >"$out/$sig.dsl"
	done
}

pass=0 fail=0
for c in "${CONFIGS[@]}"; do
	read -r name opts <<<"$c"
	# shellcheck disable=SC2086 # opts is a word list on purpose
	if ! dump "$name" $opts >"$T/why"; then
		echo "FAIL acpi-golden-$name: $(cat "$T/why")"
		fail=$((fail + 1))
		continue
	fi
	if [ "$update" = 1 ]; then
		rm -rf "${DATA:?}/$name"
		mkdir -p "$DATA/$name"
		cp "$T/$name"/* "$DATA/$name/"
		echo "updated tests/data/acpi/$name ($(ls "$DATA/$name" | wc -l) files)"
		continue
	fi
	if (cd "$ROOT" && diff -ruN "tests/data/acpi/$name" "$T/$name") >"$T/diff"; then
		echo "PASS acpi-golden-$name"
		pass=$((pass + 1))
	else
		echo "FAIL acpi-golden-$name: tables differ from tests/data/acpi/$name" \
			"(if intended: make update-golden, and review the diff)"
		# Name the built side "built/" and drop the file times.
		sed -E -e "s|$T/|built/|g" -e 's/^((---|\+\+\+) [^\t]*)\t.*/\1/' "$T/diff"
		fail=$((fail + 1))
	fi
done

if [ "$update" = 1 ]; then
	iasl_version >"$DATA/iasl-version"
	[ "$fail" -eq 0 ]
	exit
fi
if [ "$fail" -ne 0 ] && [ "$(iasl_version)" != "$(cat "$DATA/iasl-version" 2>/dev/null)" ]; then
	echo "note: the golden files were made with iasl $(cat "$DATA/iasl-version" 2>/dev/null)," \
		"this is iasl $(iasl_version): its formatting may differ; compare the raw bytes"
fi
[ "$fail" -eq 0 ]
