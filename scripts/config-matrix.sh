#!/usr/bin/env bash
# Kconfig honesty check: cross-build the arm64 VMM and run the native unit
# tests for the default configuration, all-off and each bool symbol off
# (Kconfig dependencies respected), each in its own build/cfg-NAME. Where
# qemu-aarch64-static exists, a disabled feature asked for must fail with
# one "microvm-ras: error:" line naming its CONFIG_ symbol.
#
#   scripts/config-matrix.sh [NAME...]   NAME: default, all-off, no-ACPI, ...
#   UNIT=0 skips the unit tests; JOBS=N sets make's -j (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
JOBS=${JOBS:-$(nproc)}
UNIT=${UNIT:-1}
SYMS=(ACPI FWCFG RAS VIRTIO CONTROL_API SECCOMP)

NAMES=("$@")
if [ ${#NAMES[@]} -eq 0 ]; then
	NAMES=(default all-off)
	for s in "${SYMS[@]}"; do NAMES+=("no-$s"); done
fi

# write_config NAME FILE: configs/defconfig with the symbols NAME turns off
# set to n through kconfiglib, so symbols depending on them go off too.
write_config() {
	local off
	case $1 in
	default) off= ;;
	all-off) off="${SYMS[*]}" ;;
	no-*) off=${1#no-} ;;
	*) echo "config-matrix: unknown configuration '$1'" >&2; return 1 ;;
	esac
	"$PYTHON" - "$2" $off <<'EOF'
import sys
import kconfiglib

out, off = sys.argv[1], sys.argv[2:]
k = kconfiglib.Kconfig("Kconfig", warn_to_stderr=True)
k.load_config("configs/defconfig")
for name in off:
    sym = k.syms[name]
    sym.set_value(0)
    if sym.tri_value != 0:
        sys.exit("config-matrix: cannot switch off CONFIG_" + name)
k.write_config(out, save_old=False)
EOF
}

# expect_error BIN SYMBOL ARGS...: exactly one stderr line, an error naming
# CONFIG_SYMBOL, and a non-zero exit.
expect_error() {
	local bin=$1 sym=$2 err rc=0
	shift 2
	err=$(qemu-aarch64-static "$bin" "$@" 2>&1 >/dev/null </dev/null) || rc=$?
	if [ "$rc" -eq 0 ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] ||
	   ! printf '%s\n' "$err" | grep -q "^microvm-ras: error: .*CONFIG_$sym"; then
		echo "config-matrix: '$*' without CONFIG_$sym: exit $rc, stderr: $err" >&2
		return 1
	fi
}

# check_refusals NAME: the features NAME has off are refused clearly.
check_refusals() {
	local b=build/cfg-$1 bin=build/cfg-$1/microvm-ras mk=build/cfg-$1/config.mk
	command -v qemu-aarch64-static >/dev/null || return 0
	# A header-only arm64 Image: enough to reach the firmware decision.
	"$PYTHON" -c 'import sys; h = bytearray(4096); h[0x38:0x3c] = b"ARM\x64"; open(sys.argv[1], "wb").write(h)' \
		"$b/Image"
	grep -q '^CONFIG_FWCFG=y' "$mk" || expect_error "$bin" FWCFG run --kernel "$b/Image"
	grep -q '^CONFIG_ACPI=y' "$mk" || expect_error "$bin" ACPI dump-acpi "$b/acpi"
	grep -q '^CONFIG_RAS=y' "$mk" || expect_error "$bin" RAS run --kernel "$b/Image" --ras
	grep -q '^CONFIG_VIRTIO=y' "$mk" || expect_error "$bin" VIRTIO run --kernel "$b/Image" --rng
	grep -q '^CONFIG_VIRTIO=y' "$mk" || expect_error "$bin" VIRTIO run --kernel "$b/Image" --console virtio
	grep -q '^CONFIG_VIRTIO=y' "$mk" || expect_error "$bin" VIRTIO run --kernel "$b/Image" --net tap=t0
	grep -q '^CONFIG_CONTROL_API=y' "$mk" ||
		expect_error "$bin" CONTROL_API ctl --api-socket "$b/sock" query-status
	return 0
}

start=$SECONDS
for name in "${NAMES[@]}"; do
	b=build/cfg-$name
	t=$SECONDS
	mkdir -p "$b"
	write_config "$name" "$b/.config.new"
	# Keep the old file (and its timestamp) when nothing changed.
	if cmp -s "$b/.config.new" "$b/.config"; then
		rm "$b/.config.new"
	else
		mv "$b/.config.new" "$b/.config"
	fi
	targets=("$b/microvm-ras")
	[ "$UNIT" = 0 ] || targets+=(unit)
	if ! make -s -j"$JOBS" B="$b" KCONFIG_CONFIG="$b/.config" "${targets[@]}" >"$b/log" 2>&1; then
		tail -n 30 "$b/log" >&2
		echo "config-matrix: $name FAILED (log: $b/log)" >&2
		exit 1
	fi
	check_refusals "$name"
	echo "config-matrix: $name ok ($(grep -c '=y' "$b/config.mk") symbols on;" \
	     "$(grep -o 'unit: [0-9]* passed' "$b/log" || echo 'no unit tests'); $((SECONDS - t)) s)"
done
echo "config-matrix: ${#NAMES[@]} configurations ok in $((SECONDS - start)) s"
