#!/usr/bin/env bash
# Fetch the guest/L1 kernel and busybox from Debian bookworm (arm64) without
# installing them: apt-get download into a cache outside the repository, then
# dpkg-deb -x.  Produces build/images/Image (plain arm64 Image, "ARM\x64" at
# 0x38) and build/images/busybox (static arm64); build/images/modules/ (the
# guest kernel's .ko files the e2e tests need, with load.list, their insmod
# order resolved by depmod/modprobe; l1-modules/ likewise for L1: tun) and
# build/images/e2fsprogs/ (arm64
# e2fsck and debugfs with their libraries, run in L1 through the bundled
# dynamic loader by bin/e2fsck and bin/debugfs).  Idempotent; fast when cached.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MVR_CACHE:-/var/cache/microvm-ras}
OUT=$ROOT/build/images

SUDO=
SANDBOX=
[ "$(id -u)" = 0 ] && SANDBOX="-o APT::Sandbox::User=root" || SUDO=sudo

log() { echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }
. "$ROOT/guest-images/lib-deb.sh"

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

# Candidate versions of every package below, from one apt-cache call.
E2FS_PKGS="e2fsprogs libext2fs2 libcom-err2 libss2 libblkid1 libuuid1 libc6"
# shellcheck disable=SC2086 # word list
DEB_CANDIDATES=$(deb_candidates "$KPKG" busybox-static $E2FS_PKGS)
download() { deb_download "$1"; }

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

# --- guest kernel modules -------------------------------------------------
# Debian builds the virtio transports and drivers, ext4 and its helpers as
# modules. The package has no modules.dep: depmod makes one (in the cache),
# then modprobe --show-depends gives each wanted module's insmod order,
# softdeps (ext4 -> crc32c) and dependencies (virtio_net -> net_failover ->
# failover) included. Modules built into the kernel (rng-core, virtio,
# virtio_ring, hvc_console for virtio_console) are left out. L1 runs the same
# kernel and gets its own set (tun for the virtio-net tap) in l1-modules/.
# evdev gives the ACPI power button a /dev/input/event* node for busybox
# acpid (e2e 27-qmp: system_powerdown); the button driver is built in.
GUEST_MODULES=${GUEST_MODULES:-virtio_mmio virtio_blk virtio_rng virtio_net virtio_console ext4 evdev}
# Modules a scenario loads itself (einj: ACPI error injection), never at boot:
# in modules-extra/, installed in the guest as /lib/modules/extra/.
GUEST_EXTRA_MODULES=${GUEST_EXTRA_MODULES:-einj}
L1_MODULES=${L1_MODULES:-tun}
KVER=$(ls "$CACHE/x-kernel/lib/modules" 2>/dev/null | head -n1)
[ -n "$KVER" ] || die "no lib/modules/<version> in $KDEB"
KMOD_PATH=$PATH:/usr/sbin:/sbin
if [ ! -s "$CACHE/x-kernel/lib/modules/$KVER/modules.dep" ]; then
	PATH=$KMOD_PATH depmod -b "$CACHE/x-kernel" "$KVER" ||
		die "depmod failed (kmod missing? scripts/setup.sh)"
fi

# extract_modules DIR MODULE...: DIR/*.ko (decompressed) and DIR/load.list,
# their insmod order; redone only when the kernel or the list changed.
extract_modules() {
	local dir=$1 want ko b m
	shift
	want="$(basename "$KDEB") $*"
	[ "$(cat "$dir/.stamp" 2>/dev/null)" = "$want" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	for m in "$@"; do
		PATH=$KMOD_PATH modprobe -d "$CACHE/x-kernel" -S "$KVER" \
			--show-depends "$m" || die "no module $m in $KVER"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$dir/paths"
	while read -r ko; do
		b=$(basename "$ko")
		case $b in
		*.ko) install -m 0644 "$ko" "$dir/$b" ;;
		*.ko.xz) b=${b%.xz}; xz -dc "$ko" >"$dir/$b" ;;
		*.ko.zst) b=${b%.zst}; zstd -qdc "$ko" >"$dir/$b" ;;
		*) die "unexpected module file $ko" ;;
		esac
		grep -qx "$b" "$dir/load.list" 2>/dev/null &&
			die "two modules named $b"
		echo "$b" >>"$dir/load.list"
	done <"$dir/paths"
	rm -f "$dir/paths"
	echo "$want" >"$dir/.stamp"
}
# shellcheck disable=SC2086 # word lists
extract_modules "$OUT/modules" $GUEST_MODULES
# shellcheck disable=SC2086
extract_modules "$OUT/modules-extra" $GUEST_EXTRA_MODULES
# shellcheck disable=SC2086
extract_modules "$OUT/l1-modules" $L1_MODULES

# --- e2fsprogs for L1 ---------------------------------------------------------
# e2fsck -fn and debugfs judge, inside L1, the ext4 image a guest wrote.
# Debian's arm64 build is dynamically linked: take it with its libraries and
# glibc's loader, and start it through the loader (no /lib in L1 needed).
E2FS_LIBS="ld-linux-aarch64.so.1 libc.so.6 libext2fs.so.2 libe2p.so.2
	libcom_err.so.2 libss.so.2 libblkid.so.1 libuuid.so.1"
edebs=()
for p in $E2FS_PKGS; do
	edebs+=("$(download "$p")")
done
want=$(for d in "${edebs[@]}"; do basename "$d"; done | tr '\n' ' ')
if [ "$(cat "$OUT/e2fsprogs/.stamp" 2>/dev/null)" != "$want" ]; then
	x=$CACHE/x-e2fsprogs
	rm -rf "$x" "$OUT/e2fsprogs"
	mkdir -p "$x" "$OUT/e2fsprogs/bin" "$OUT/e2fsprogs/sbin" "$OUT/e2fsprogs/lib"
	for d in "${edebs[@]}"; do
		dpkg-deb -x "$d" "$x"
	done
	for f in e2fsck debugfs; do
		src=$(find "$x" -path "*sbin/$f" | head -n1)
		[ -n "$src" ] || die "no sbin/$f in e2fsprogs:arm64"
		install -m 0755 "$src" "$OUT/e2fsprogs/sbin/$f"
		# Location-independent launcher: DIR/bin/F runs DIR/sbin/F.
		cat >"$OUT/e2fsprogs/bin/$f" <<-EOF
		#!/bin/sh
		d=\$(cd "\$(dirname "\$0")/.." && pwd)
		exec "\$d/lib/ld-linux-aarch64.so.1" --library-path "\$d/lib" "\$d/sbin/$f" "\$@"
		EOF
		chmod 0755 "$OUT/e2fsprogs/bin/$f"
	done
	for l in $E2FS_LIBS; do
		src=$(find "$x" -name "$l" | head -n1)
		[ -n "$src" ] || die "no $l in the e2fsprogs:arm64 packages"
		cp -L "$src" "$OUT/e2fsprogs/lib/$l"
	done
	rm -rf "$x"
	echo "$want" >"$OUT/e2fsprogs/.stamp"
fi

log "ok: $OUT/Image ($(basename "$VMLINUZ")), $OUT/busybox," \
	"$(wc -l <"$OUT/modules/load.list") modules," \
	"$(wc -l <"$OUT/l1-modules/load.list") L1 modules, e2fsprogs"
