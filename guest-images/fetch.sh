#!/usr/bin/env bash
# Fetch the guest/L1 kernel and busybox from Debian bookworm (arm64) without
# installing them: apt-get download into a cache outside the repository, then
# dpkg-deb -x.  Produces build/images/Image (plain arm64 Image, "ARM\x64" at
# 0x38) and build/images/busybox (static arm64).  Idempotent; fast when cached.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MVR_CACHE:-/var/cache/microvm-ras}
OUT=$ROOT/build/images

SUDO=
SANDBOX=
[ "$(id -u)" = 0 ] && SANDBOX="-o APT::Sandbox::User=root" || SUDO=sudo

log() { echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }

mkdir -p "$CACHE" "$OUT" 2>/dev/null || {
	$SUDO mkdir -p "$CACHE" && $SUDO chown "$(id -u):$(id -g)" "$CACHE"
	mkdir -p "$OUT"
}

# Make sure apt knows about arm64 packages (scripts/setup.sh adds the
# architecture); update the lists once if the candidate is unknown.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	"$ROOT/scripts/setup.sh"
	dpkg --print-foreign-architectures | grep -qx arm64 ||
		$SUDO dpkg --add-architecture arm64
fi
have_candidate() {
	local pol
	pol=$(apt-cache policy "$1" 2>/dev/null) || return 1
	case $pol in *"Candidate: (none)"*) return 1 ;; *Candidate:*) return 0 ;; esac
	return 1
}
if ! have_candidate linux-image-arm64:arm64 || ! have_candidate busybox-static:arm64; then
	log "apt-get update"
	$SUDO apt-get update -qq
fi

# Resolve the real kernel package (linux-image-6.1.0-NN-arm64) behind the
# metapackage.
KPKG=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)\(:arm64\)\{0,1\}$/\1/p' | head -n1)
[ -n "$KPKG" ] || die "cannot resolve linux-image-arm64:arm64 dependency"

# download PKG: the .deb for PKG:arm64 at its candidate version, from the cache
# when present. Prints the path of the .deb.
download() {
	local pkg=$1 ver deb
	ver=$(apt-cache policy "$pkg:arm64" | sed -n 's/^ *Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate for $pkg:arm64"
	# Debian file names encode an epoch "1:" as "1%3a".
	deb="$CACHE/${pkg}_${ver//:/%3a}_arm64.deb"
	if [ ! -s "$deb" ]; then
		log "downloading $pkg:arm64 $ver"
		(cd "$CACHE" && apt-get download -qq $SANDBOX "$pkg:arm64=$ver") ||
			die "apt-get download $pkg:arm64 failed"
	fi
	[ -s "$deb" ] || die "expected $deb after download"
	echo "$deb"
}

KDEB=$(download "$KPKG")
BDEB=$(download busybox-static)

# extract DEB DIR: unpack once per .deb (a stamp names the .deb unpacked).
extract() {
	local deb=$1 dir=$2
	if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$(basename "$deb")" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir"
		basename "$deb" >"$dir/.stamp"
	fi
}
extract "$KDEB" "$CACHE/x-kernel"
extract "$BDEB" "$CACHE/x-busybox"

VMLINUZ=$(ls "$CACHE"/x-kernel/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$VMLINUZ" ] || die "no /boot/vmlinuz-* in $KDEB"
magic=$(dd if="$VMLINUZ" bs=1 skip=$((0x38)) count=4 2>/dev/null | od -An -tx1 | tr -d ' \n')
[ "$magic" = 41524d64 ] || die "$VMLINUZ is not a plain arm64 Image (magic $magic)"

[ -x "$CACHE/x-busybox/bin/busybox" ] || die "no bin/busybox in $BDEB"

# Copy only when changed so that make-style consumers see stable mtimes.
install_if_changed() {
	cmp -s "$1" "$2" 2>/dev/null || install -m "$3" "$1" "$2"
}
install_if_changed "$VMLINUZ" "$OUT/Image" 0644
install_if_changed "$CACHE/x-busybox/bin/busybox" "$OUT/busybox" 0755
echo "$(basename "$VMLINUZ")" >"$OUT/Image.version.tmp"
install_if_changed "$OUT/Image.version.tmp" "$OUT/Image.version" 0644
rm -f "$OUT/Image.version.tmp"
log "ok: $OUT/Image ($(basename "$VMLINUZ")), $OUT/busybox"
