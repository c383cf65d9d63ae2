#!/usr/bin/env bash
# The peer QEMU the benchmarks put in L1 (guest-images/fetch-qemu.sh,
# build/images/qemu/), checked without KVM or nesting: every NEEDED entry of
# the binary and of each bundled library is in lib/, the binary runs through
# the bundled loader (under qemu-aarch64-static on x86) for --version and
# -machine help (virt with its ras and gic-version properties), and the
# launcher bin/qemu-system-aarch64 execs lib/'s loader with lib/ and sbin/
# wherever the bundle lies (checked with a stand-in loader that prints its
# arguments). One PASS/FAIL line per check; SKIP when there is no bundle.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
Q=${QEMU_BUNDLE:-$ROOT/build/images/qemu}
BIN=qemu-system-aarch64
fail=0

ok() { echo "PASS $1"; }
ko() { echo "FAIL $1: $2"; fail=1; }

if [ ! -x "$Q/sbin/$BIN" ]; then
	echo "SKIP qemu-bundle: $Q not built (guest-images/fetch-qemu.sh, make bench does it)"
	exit 0
fi

run=()
[ "$(uname -m)" = aarch64 ] || run=(qemu-aarch64-static)
bundled() {
	"${run[@]}" "$Q/lib/ld-linux-aarch64.so.1" --library-path "$Q/lib" "$Q/sbin/$BIN" "$@"
}

# Every soname named in a NEEDED entry is a file in lib/.
missing=
for f in "$Q/sbin/$BIN" "$Q"/lib/*.so*; do
	for so in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		[ -f "$Q/lib/$so" ] || missing="$missing $so($(basename "$f"))"
	done
done
if [ -z "$missing" ] && [ -f "$Q/lib/libc.so.6" ]; then
	ok qemu-bundle-needed
else
	ko qemu-bundle-needed "missing:${missing:- libc.so.6}"
fi

v=$(bundled --version 2>&1 | head -n 1)
case $v in
"QEMU emulator version 7."*|"QEMU emulator version "[89]*) ok qemu-bundle-version ;;
*) ko qemu-bundle-version "--version said '$v'" ;;
esac

if bundled -machine help 2>&1 | grep -q '^virt '; then
	ok qemu-bundle-machines
else
	ko qemu-bundle-machines "no 'virt' in -machine help"
fi

props=$(bundled -machine virt,help 2>&1)
if echo "$props" | grep -q '^ *ras=<bool>' && echo "$props" | grep -q '^ *gic-version='; then
	ok qemu-bundle-virt-ras
else
	ko qemu-bundle-virt-ras "virt has no ras/gic-version property: $(echo "$props" | head -n 2)"
fi

# The launcher, moved elsewhere, with a loader that prints its arguments.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/b d/bin" "$T/b d/lib"
cp "$Q/bin/$BIN" "$T/b d/bin/$BIN"
printf '#!/bin/sh\nfor a; do echo "[$a]"; done\n' >"$T/b d/lib/ld-linux-aarch64.so.1"
chmod +x "$T/b d/lib/ld-linux-aarch64.so.1"
got=$("$T/b d/bin/$BIN" -M 'virt,ras=on' -m 256 | tr '\n' ' ')
want="[--library-path] [$T/b d/lib] [$T/b d/sbin/$BIN] [-M] [virt,ras=on] [-m] [256] "
if [ "$got" = "$want" ]; then
	ok qemu-bundle-launcher
else
	ko qemu-bundle-launcher "ran '$got', want '$want'"
fi
exit $fail
