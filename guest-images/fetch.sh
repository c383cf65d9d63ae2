#!/usr/bin/env bash
# Fetch the guest/L1 kernel and busybox from Debian bookworm (arm64) without
# installing them: apt-get download into a cache outside the repository, then
# dpkg-deb -x.  Produces build/images/Image (plain arm64 Image, "ARM\x64" at
# 0x38) and build/images/busybox (static arm64); build/images/modules/ (the
# guest kernel's .ko files the e2e tests need, with load.list, their insmod
# order from modules.dep, lib-kmod.sh; l1-modules/ likewise for L1: tun),
# build/images/guest-kernel.env (facts about the guest kernel for the
# scenarios: E2E_GUEST_KERNEL, E2E_GUEST_KVER, E2E_GUEST_PAGE) and
# build/images/e2fsprogs/ (arm64
# e2fsck and debugfs with their libraries, run in L1 through the bundled
# dynamic loader by bin/e2fsck and bin/debugfs) and build/images/socat/
# (arm64 socat, likewise: bin/socat).  Idempotent; fast when cached.
#
# GUEST_KERNEL selects another guest kernel besides (the L1 host, busybox,
# e2fsprogs and socat stay the bookworm ones above, always fetched):
#   bookworm  Debian 12, 6.1 (default: only the files above)
#   trixie    Debian 13, 6.12          } from the suite named, through a
#   sid       Debian unstable, 7.x     } sources list of its own under the
#   sid-16k   the same, 16 KiB pages   } cache (the host's apt is untouched)
# into build/images/kernel-<name>/: Image, Image.version, guest-kernel.env,
# modules/, modules-extra/ (cache: <cache>/kernel-<name>/). GUEST_KERNEL_PKG
# pins the linux-image package (e.g. linux-image-7.2.13+deb14-arm64) instead
# of the suite's linux-image-arm64[-16k]; GUEST_KERNEL_MIRROR overrides the
# archive (default: the host's Debian archive); GUEST_KERNEL_UPDATE=1
# refreshes that suite's package lists (else once a day).
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
# socat's Depends, followed through its libraries' (libwrap0 needs libnsl2,
# which needs libtirpc3 and through it Kerberos' GSSAPI).
SOCAT_PKGS="socat libssl3 libwrap0 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3
	libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2 libc6"
# shellcheck disable=SC2086 # word lists
L1_TOOL_PKGS=$(printf '%s\n' $E2FS_PKGS $SOCAT_PKGS | sort -u | tr '\n' ' ')
# shellcheck disable=SC2086
DEB_CANDIDATES=$(deb_candidates "$KPKG" busybox-static $L1_TOOL_PKGS)
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

# --- guest kernel: Image, modules, facts --------------------------------------
# Debian builds the virtio transports and drivers, ext4 and its helpers as
# modules. The packages have no modules.dep: depmod makes one (in the
# cache), and lib-kmod.sh reads it for each wanted module's insmod order,
# softdeps (ext4 -> crc32c) and dependencies (virtio_net -> net_failover ->
# failover) included. Modules built into the kernel (rng-core, virtio,
# virtio_ring, hvc_console for virtio_console; more in newer kernels) are
# left out; compressed ones (.ko.xz from 6.12 on) are stored uncompressed.
# L1 runs the bookworm kernel and gets its own set (tun for the virtio-net
# tap) in l1-modules/.
# evdev gives the ACPI power button a /dev/input/event* node for busybox
# acpid (e2e 27-qmp: system_powerdown); the button driver is built in.
GUEST_MODULES=${GUEST_MODULES:-virtio_mmio virtio_blk virtio_rng virtio_net virtio_console ext4 evdev}
# Modules a scenario loads itself (einj: ACPI error injection), never at boot:
# in modules-extra/, installed in the guest as /lib/modules/extra/.
GUEST_EXTRA_MODULES=${GUEST_EXTRA_MODULES:-einj}
L1_MODULES=${L1_MODULES:-tun}
KMOD_PATH=$PATH:/usr/sbin:/sbin
. "$ROOT/guest-images/lib-kmod.sh"

# kernel_tree X: the unpacked kernel packages in X: lib/modules/<version>
# (newer packages ship usr/lib/modules only: lib becomes a link to usr/lib)
# with a modules.dep. Sets KVER, KMODDIR and VMLINUZ (the plain Image:
# boot/vmlinuz-* before 7.x, lib/modules/<version>/vmlinuz after).
kernel_tree() {
	local x=$1 magic
	if [ ! -e "$x/lib" ] && [ -d "$x/usr/lib/modules" ]; then
		ln -s usr/lib "$x/lib"
	fi
	KVER=$(ls "$x/lib/modules" 2>/dev/null | head -n1)
	[ -n "$KVER" ] || die "no lib/modules/<version> in $x"
	KMODDIR=$x/lib/modules/$KVER
	VMLINUZ=$(ls "$x"/boot/vmlinuz-* "$KMODDIR/vmlinuz" 2>/dev/null | head -n1 || true)
	[ -n "$VMLINUZ" ] || die "no boot/vmlinuz-* or lib/modules/$KVER/vmlinuz in $x"
	magic=$(dd if="$VMLINUZ" bs=1 skip=$((0x38)) count=4 2>/dev/null | od -An -tx1 | tr -d ' \n')
	[ "$magic" = 41524d64 ] || die "$VMLINUZ is not a plain arm64 Image (magic $magic)"
	if [ ! -s "$KMODDIR/modules.dep" ]; then
		PATH=$KMOD_PATH depmod -b "$x" "$KVER" ||
			die "depmod failed (kmod missing? scripts/setup.sh)"
	fi
}

# kernel_page X: the page size the kernel in X was built for, from its
# config (CONFIG_ARM64_{4,16,64}K_PAGES).
kernel_page() {
	local cfg
	cfg=$(ls "$1"/boot/config-* "$KMODDIR/config" 2>/dev/null | head -n1 || true)
	[ -n "$cfg" ] || die "no kernel config in $1"
	if grep -qx 'CONFIG_ARM64_16K_PAGES=y' "$cfg"; then
		echo 16384
	elif grep -qx 'CONFIG_ARM64_64K_PAGES=y' "$cfg"; then
		echo 65536
	else
		echo 4096
	fi
}

# Copy only when changed so that make-style consumers see stable mtimes.
install_if_changed() {
	cmp -s "$1" "$2" 2>/dev/null || install -m "$3" "$1" "$2"
}

# install_modules DIR STAMP MODULE...: DIR/*.ko (decompressed) and
# DIR/load.list, their insmod order (lib-kmod.sh); redone only when the
# kernel (STAMP) or the list changed.
install_modules() {
	local dir=$1 want="$2 ${*:3}"
	shift 2
	[ "$(cat "$dir/.stamp" 2>/dev/null)" = "$want" ] && return 0
	rm -rf "$dir"
	kmod_install "$KMODDIR" "$dir" "$@" || die "modules of $KVER: $* (see above)"
	echo "$want" >"$dir/.stamp"
}

# install_guest_kernel X NAME STAMP OUT: the guest's Image, Image.version,
# guest-kernel.env, modules/ and modules-extra/ from the tree X into OUT.
install_guest_kernel() {
	local x=$1 name=$2 stamp=$3 out=$4 page
	page=$(kernel_page "$x") || exit 1
	mkdir -p "$out"
	install_if_changed "$VMLINUZ" "$out/Image" 0644
	# The name Debian gives the Image file (vmlinuz-<version>).
	echo "vmlinuz-$KVER" >"$out/Image.version.tmp"
	install_if_changed "$out/Image.version.tmp" "$out/Image.version" 0644
	rm -f "$out/Image.version.tmp"
	printf 'E2E_GUEST_KERNEL=%s\nE2E_GUEST_KVER=%s\nE2E_GUEST_PAGE=%s\n' \
		"$name" "$KVER" "$page" >"$out/guest-kernel.env.tmp"
	install_if_changed "$out/guest-kernel.env.tmp" "$out/guest-kernel.env" 0644
	rm -f "$out/guest-kernel.env.tmp"
	# shellcheck disable=SC2086 # word lists
	install_modules "$out/modules" "$stamp" $GUEST_MODULES
	# shellcheck disable=SC2086
	install_modules "$out/modules-extra" "$stamp" $GUEST_EXTRA_MODULES
}

[ -x "$CACHE/x-busybox/bin/busybox" ] || die "no bin/busybox in $BDEB"
install_if_changed "$CACHE/x-busybox/bin/busybox" "$OUT/busybox" 0755

kernel_tree "$CACHE/x-kernel"
install_guest_kernel "$CACHE/x-kernel" bookworm "$(basename "$KDEB")" "$OUT"
# shellcheck disable=SC2086
install_modules "$OUT/l1-modules" "$(basename "$KDEB")" $L1_MODULES

# --- arm64 tools for L1: e2fsprogs, socat ---------------------------------------
# e2fsck -fn and debugfs judge, inside L1, the ext4 image a guest wrote;
# socat talks to the VMM's control socket as QMP clients do (e2e 27-qmp).
# Debian's arm64 builds are dynamically linked: each bundle
# build/images/NAME/ holds
#   sbin/TOOL   Debian's binary, unchanged
#   bin/TOOL    launcher: runs sbin/TOOL through lib/'s glibc loader with
#               --library-path lib/ (no /lib in L1 needed), wherever the
#               bundle lies
#   lib/        the loader and the binaries' NEEDED closure (readelf -d,
#               recursively), nothing else
# A soname none of the packages provides stops the script with its name.
# bundle_tool NAME "PKG..." TOOL...: redone only when a .deb changed.
bundle_tool() {
	local name=$1 pkgs=$2 b=$OUT/$1 x=$CACHE/x-$1 debs=() bins=() want p d f src
	shift 2
	for p in $pkgs; do
		debs+=("$(download "$p")")
	done
	want=$(for d in "${debs[@]}"; do basename "$d"; done | tr '\n' ' ')
	[ "$(cat "$b/.stamp" 2>/dev/null)" != "$want" ] || return 0
	rm -rf "$x" "$b"
	mkdir -p "$x" "$b/bin" "$b/sbin" "$b/lib"
	for d in "${debs[@]}"; do
		dpkg-deb -x "$d" "$x"
	done
	for f in "$@"; do
		src=$(find "$x" -path "*bin/$f" | head -n1)
		[ -n "$src" ] || die "no bin/$f or sbin/$f in the $name:arm64 packages"
		install -m 0755 "$src" "$b/sbin/$f"
		bins+=("$b/sbin/$f")
		cat >"$b/bin/$f" <<-EOF
		#!/bin/sh
		d=\$(cd "\$(dirname "\$0")/.." && pwd)
		exec "\$d/lib/ld-linux-aarch64.so.1" --library-path "\$d/lib" "\$d/sbin/$f" "\$@"
		EOF
		chmod 0755 "$b/bin/$f"
	done
	deb_lib_closure "$x" "$b/lib" "$name" "${bins[@]}"
	rm -rf "$x"
	echo "$want" >"$b/.stamp"
}
bundle_tool e2fsprogs "$E2FS_PKGS" e2fsck debugfs
bundle_tool socat "$SOCAT_PKGS" socat

# --- another guest kernel (GUEST_KERNEL) ----------------------------------------
# Its suite through a sources list and package lists of its own (apt's
# Dir::Etc::SourceList, Dir::State::Lists, Dir::Cache under the cache), so
# the host's apt configuration and lists stay as they are. Newer kernels
# are split: linux-image-<abi> depends on linux-binary-<abi> (the Image),
# linux-modules-<abi> and linux-base-<abi> (modules.builtin, config): all
# linux-{image,binary,modules,base}-<abi> packages it names are unpacked.
GUEST_KERNEL=${GUEST_KERNEL:-bookworm}
case $GUEST_KERNEL in
bookworm) suite= ;;
trixie) suite=trixie meta=linux-image-arm64 ;;
sid) suite=sid meta=linux-image-arm64 ;;
sid-16k) suite=sid meta=linux-image-arm64-16k ;;
*) die "GUEST_KERNEL=$GUEST_KERNEL: want bookworm, trixie, sid or sid-16k" ;;
esac
if [ -n "$suite" ]; then
	KC=$CACHE/kernel-$GUEST_KERNEL
	KOUT=$OUT/kernel-$GUEST_KERNEL
	mirror=${GUEST_KERNEL_MIRROR:-}
	if [ -z "$mirror" ]; then
		mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/*$/\1/p' \
			/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
	fi
	if [ -z "$mirror" ]; then
		mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\/debian\)\/* .*/\2/p' \
			/etc/apt/sources.list 2>/dev/null | head -n1)
	fi
	mirror=${mirror:-http://deb.debian.org/debian}
	mkdir -p "$KC/apt/lists/partial" "$KC/apt/cache/archives/partial"
	echo "deb [arch=arm64] $mirror $suite main" >"$KC/apt/sources.list.tmp"
	fresh=
	cmp -s "$KC/apt/sources.list.tmp" "$KC/apt/sources.list" || fresh=1
	mv "$KC/apt/sources.list.tmp" "$KC/apt/sources.list"
	DEB_APT_OPTS="-o Dir::Etc::SourceList=$KC/apt/sources.list
		-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$KC/apt/lists
		-o Dir::Cache=$KC/apt/cache -o APT::Architecture=arm64
		-o APT::Architectures=arm64"
	# Package lists once a day (unstable moves), or when asked.
	if [ -n "$fresh" ] || [ "${GUEST_KERNEL_UPDATE:-0}" = 1 ] ||
		[ -z "$(find "$KC/apt/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
		log "apt-get update ($suite from $mirror)"
		# shellcheck disable=SC2086 # option words
		apt-get $DEB_APT_OPTS $SANDBOX update -qq || die "apt-get update for $suite failed"
	fi
	KIMG=${GUEST_KERNEL_PKG:-}
	if [ -z "$KIMG" ]; then
		# shellcheck disable=SC2086
		KIMG=$(apt-cache $DEB_APT_OPTS depends "$meta" 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*\)\(:arm64\)\{0,1\}$/\1/p' | head -n1)
		[ -n "$KIMG" ] || die "cannot resolve $meta in $suite"
	fi
	abi=${KIMG#linux-image-}
	# shellcheck disable=SC2086
	kpkgs="$KIMG $(apt-cache $DEB_APT_OPTS depends "$KIMG" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-\(binary\|modules\|base\)-$abi\)\(:arm64\)\{0,1\}\$/\1/p" | sort -u | tr '\n' ' ')"
	# shellcheck disable=SC2086
	DEB_CANDIDATES=$(deb_candidates $kpkgs)
	kdebs=()
	for p in $kpkgs; do
		kdebs+=("$(DEB_DIR=$KC deb_download "$p")")
	done
	want=$(for d in "${kdebs[@]}"; do basename "$d"; done | tr '\n' ' ')
	if [ "$(cat "$KC/x-kernel/.stamp" 2>/dev/null)" != "$want" ]; then
		rm -rf "$KC/x-kernel"
		mkdir -p "$KC/x-kernel"
		for d in "${kdebs[@]}"; do
			dpkg-deb -x "$d" "$KC/x-kernel"
		done
		echo "$want" >"$KC/x-kernel/.stamp"
	fi
	unset DEB_APT_OPTS
	kernel_tree "$KC/x-kernel"
	install_guest_kernel "$KC/x-kernel" "$GUEST_KERNEL" "$want" "$KOUT"
	log "ok: $KOUT/Image ($KVER, $(sed -n 's/^E2E_GUEST_PAGE=//p' "$KOUT/guest-kernel.env")-byte pages)," \
		"$(wc -l <"$KOUT/modules/load.list") modules, $(wc -l <"$KOUT/modules-extra/load.list") extra"
fi

log "ok: $OUT/Image ($(cat "$OUT/Image.version")), $OUT/busybox," \
	"$(wc -l <"$OUT/modules/load.list") modules," \
	"$(wc -l <"$OUT/l1-modules/load.list") L1 modules, e2fsprogs, socat"
