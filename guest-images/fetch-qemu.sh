#!/usr/bin/env bash
# The peer VMM for the benchmarks: Debian bookworm's arm64 qemu-system-aarch64
# (package qemu-system-arm:arm64) with every shared library it loads and
# glibc's dynamic loader, as a relocatable bundle build/images/qemu/:
#
#   bin/qemu-system-aarch64    launcher: runs sbin/ through lib/ld-linux-aarch64.so.1
#   sbin/qemu-system-aarch64   Debian's binary, unchanged
#   lib/                       its NEEDED closure (readelf -d), nothing else
#   VERSION                    "QEMU emulator version ..." (the first line)
#
# The .debs come with apt-get download into the cache shared with fetch.sh
# (never installed): qemu-system-arm and its Depends, followed recursively
# through library packages only (lib*, zlib*; qemu-system-common/-data and
# tools such as adduser or dpkg are left out). Then each library is taken
# only when the binary or another taken library names it in a NEEDED entry;
# a soname no package provided stops the script with that name. No option
# ROMs or firmware: the benchmarks run it with -nodefaults and -bios /fw/...
# Self-check: the bundled binary's --version and "-machine virt,help" (must
# offer ras and gic-version), natively on arm64, else under
# qemu-aarch64-static. Idempotent; fast when cached.
#
#   guest-images/fetch-qemu.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MVR_CACHE:-/var/cache/microvm-ras}
OUT=$ROOT/build/images/qemu
ROOTPKG=qemu-system-arm
BIN=qemu-system-aarch64

SUDO=
SANDBOX=
[ "$(id -u)" = 0 ] && SANDBOX="-o APT::Sandbox::User=root" || SUDO=sudo

log() { echo "fetch-qemu: $*" >&2; }
die() { echo "fetch-qemu: error: $*" >&2; exit 1; }
. "$ROOT/guest-images/lib-deb.sh"

mkdir -p "$CACHE" 2>/dev/null || {
	$SUDO mkdir -p "$CACHE" && $SUDO chown "$(id -u):$(id -g)" "$CACHE"
}

# run_bundled ARGS...: the bundled binary, through its loader.
run_bundled() {
	local run=()
	[ "$(uname -m)" = aarch64 ] || run=(qemu-aarch64-static)
	"${run[@]}" "$OUT/lib/ld-linux-aarch64.so.1" --library-path "$OUT/lib" \
		"$OUT/sbin/$BIN" "$@"
}

# A bundle newer than every package list is current: the resolution below
# (a few apt-cache calls, seconds each on a loaded machine) is skipped.
fresh=
if [ -s "$OUT/.stamp" ] && [ -x "$OUT/bin/$BIN" ] &&
	[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' \
		-newer "$OUT/.stamp" 2>/dev/null | head -n 1)" ]; then
	fresh=1
fi

# --- the packages: Depends of qemu-system-arm, then of library packages ----
# resolve_debs: DEBS=(the .deb of each package), downloaded. One apt-cache
# call per level. Alternatives ("|Depends: a" ... "Depends: c"): the first.
# Virtual packages ("<name>"): skipped (the NEEDED walk in bundle names
# anything that goes missing).
follow() {
	case $1 in
	lib*|zlib*) return 0 ;;
	esac
	return 1
}
resolve_debs() {
	local -A seen=([$ROOTPKG]=1)
	local pkgs=("$ROOTPKG") level=("$ROOTPKG") next dep p
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		"$ROOT/scripts/setup.sh"
	fi
	case $(apt-cache policy "$ROOTPKG:arm64" 2>/dev/null) in
	*Candidate:*[0-9]*) ;;
	*) log "apt-get update"; $SUDO apt-get update -qq ;;
	esac
	while [ ${#level[@]} -gt 0 ]; do
		next=()
		# shellcheck disable=SC2046 # one word per package
		while read -r dep; do
			[ -n "${seen[$dep]:-}" ] && continue
			seen[$dep]=1
			follow "$dep" || continue
			pkgs+=("$dep")
			next+=("$dep")
		done < <(apt-cache depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances \
			$(for p in "${level[@]}"; do echo "$p:arm64"; done) 2>/dev/null |
			awk '$1 ~ /^\|?(Pre)?Depends:$/ {
				if (!alt && $2 !~ /^</) { sub(/:arm64$/, "", $2); print $2 }
				alt = ($1 ~ /^\|/); next }
			{ alt = 0 }')
		level=("${next[@]}")
	done
	[ ${#pkgs[@]} -gt 1 ] || die "apt-cache depends $ROOTPKG:arm64 gave no dependencies"
	DEB_CANDIDATES=$(deb_candidates "${pkgs[@]}")
	DEBS=()
	for p in "${pkgs[@]}"; do
		DEBS+=("$(deb_download "$p")")
	done
}

# bundle STAMP: build $OUT from DEBS.
bundle() {
	local x=$CACHE/x-qemu d
	rm -rf "$x" "$OUT"
	mkdir -p "$x" "$OUT/bin" "$OUT/sbin" "$OUT/lib"
	for d in "${DEBS[@]}"; do
		dpkg-deb -x "$d" "$x"
	done
	[ -f "$x/usr/bin/$BIN" ] || die "no usr/bin/$BIN in $ROOTPKG:arm64"
	install -m 0755 "$x/usr/bin/$BIN" "$OUT/sbin/$BIN"

	deb_lib_closure "$x" "$OUT/lib" "$ROOTPKG" "$OUT/sbin/$BIN"
	rm -rf "$x"

	# Location-independent launcher: DIR/bin/qemu-system-aarch64 runs
	# DIR/sbin/ with DIR/lib only (exec: the caller's pid is QEMU's).
	cat >"$OUT/bin/$BIN" <<-EOF
	#!/bin/sh
	d=\$(cd "\$(dirname "\$0")/.." && pwd)
	exec "\$d/lib/ld-linux-aarch64.so.1" --library-path "\$d/lib" "\$d/sbin/$BIN" "\$@"
	EOF
	chmod 0755 "$OUT/bin/$BIN"
	run_bundled --version | head -n 1 >"$OUT/VERSION" ||
		die "the bundled $BIN does not run (--version)"
	echo "$1" >"$OUT/.stamp"
}

if [ -z "$fresh" ]; then
	resolve_debs
	want=$(for d in "${DEBS[@]}"; do basename "$d"; done | LC_ALL=C sort | tr '\n' ' ')
	if [ "$(cat "$OUT/.stamp" 2>/dev/null)" != "$want" ]; then
		bundle "$want"
	else
		touch "$OUT/.stamp"
	fi
fi

# --- self-check -------------------------------------------------------------
[ "$(uname -m)" = aarch64 ] || command -v qemu-aarch64-static >/dev/null ||
	die "qemu-aarch64-static missing (scripts/setup.sh installs qemu-user-static)"
ver=$(run_bundled --version 2>&1 | head -n 1)
case $ver in
"QEMU emulator version "*) ;;
*) die "bundled $BIN --version: '$ver'" ;;
esac
props=$(run_bundled -machine virt,help 2>&1) || die "bundled $BIN -machine virt,help failed"
for p in ras gic-version; do
	echo "$props" | grep -q "^ *$p=" || die "bundled $BIN: machine virt has no '$p' property"
done
log "ok: $OUT ($ver; $(ls "$OUT/lib" | wc -l) libraries," \
	"$(du -sm "$OUT" | cut -f1) MiB)"
