#!/usr/bin/env bash
# Boot the L1 test host: qemu-system-aarch64 (TCG) emulating virt with EL2
# (virtualization=on) and GICv3, so that L1's /dev/kvm works. The console goes
# to stdout and to a log file; a hard timeout stops a hung run.
#
#   guest-images/run-l1.sh [--cpio FILE] [--log FILE] [--timeout SECS] [--shell]
#
# Exit status: qemu's (0 after L1's poweroff), 124 on timeout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMG=$ROOT/build/images
CPIO=$IMG/l1.cpio
LOG=$ROOT/build/e2e/l1.log
TMO=${L1_TIMEOUT:-1200}
APPEND="console=ttyAMA0 rdinit=/init quiet panic=-1"

while [ $# -gt 0 ]; do
	case $1 in
	--cpio) CPIO=$2; shift 2 ;;
	--log) LOG=$2; shift 2 ;;
	--timeout) TMO=$2; shift 2 ;;
	--shell) APPEND="$APPEND e2e.shell"; shift ;;
	*) echo "run-l1: error: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -f "$IMG/Image" ] && [ -f "$CPIO" ] || {
	echo "run-l1: error: need $IMG/Image and $CPIO" >&2
	exit 2
}
mkdir -p "$(dirname "$LOG")"

# stdin: the terminal when interactive (--shell), else nothing.
if [ -t 0 ]; then
	in=/dev/stdin
else
	in=/dev/null
fi
rc=0
timeout -k 10 "$TMO" qemu-system-aarch64 \
	-M virt,virtualization=on,gic-version=3 -cpu max -smp 2 -m 4096 \
	-nographic -no-reboot -nic none \
	-kernel "$IMG/Image" -initrd "$CPIO" -append "$APPEND" \
	<"$in" 2>&1 | tee "$LOG" || rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && echo "run-l1: error: timeout after ${TMO}s" >&2
exit "$rc"
