#!/usr/bin/env bash
# Build the L1 test-host initramfs build/images/l1.cpio (uncompressed newc):
# busybox, guest-images/rootfs/l1-init as /init, the VMM as
# /usr/bin/microvm-ras, the guest kernel and initramfs under /guest/, the
# UEFI firmware and variable store under /fw/, tests/e2e/lib.sh and
# bench-lib.sh as /e2e/lib.sh and /e2e/bench-lib.sh, and the given test
# scripts, which L1's /init runs in order.
# When built: the ext4 test root image as /disk/rootfs.img (build-disk.sh),
# arm64 e2fsck/debugfs under /opt/e2fsprogs (fetch.sh; run them as
# /opt/e2fsprogs/bin/e2fsck and /opt/e2fsprogs/bin/debugfs) and arm64
# socat under /opt/socat (fetch.sh; /opt/socat/bin/socat, the QMP client
# of e2e 27-qmp: socat - UNIX-CONNECT:SOCKET); L1's own
# kernel modules (fetch.sh's l1-modules/: tun) in /lib/modules with their
# load.list, which L1's /init loads. Settings for the scenarios: every
# E2E_SOAK_* variable of the environment goes into /e2e/env as NAME=VALUE
# (values of [A-Za-z0-9._-] only), which tests/e2e/lib.sh reads. With
# --qemu DIR (the benchmarks: guest-images/fetch-qemu.sh's bundle), the peer
# QEMU under /opt/qemu (run /opt/qemu/bin/qemu-system-aarch64) and
# tests/e2e/standin/qemu-vmm.sh as /e2e/qemu-vmm, which takes microvm-ras's
# "run" options; without it the image has no QEMU. Each --guest-image FILE
# (an optional initramfs such as guest-rasdaemon.cpio) goes in as
# /guest/<its name>; each --disk-image FILE (a disk a scenario boots, such
# as build-esp-disk.sh's esp-disk.img) as /disk/<its name>.
#
# Each --extra-guest NAME=DIR (the benchmarks: another guest kernel beside
# the default one) puts DIR's Image, guest.cpio and guest-kernel.env into
# L1 as /guest/kernel-NAME/.
#
# --guest DIR takes the guest's Image and guest.cpio from DIR instead of
# build/images (another guest kernel: build/images/kernel-<name>/, fetch.sh
# and build-guest.sh with GUEST_KERNEL); its guest-kernel.env (kernel name,
# version, page size) goes into /e2e/env as well. L1 itself always runs
# build/images/Image (bookworm) with its l1-modules.
#
#   guest-images/build-l1.sh [--vmm PATH] [--qemu DIR] [--guest DIR]
#                            [--guest-image FILE]... [--disk-image FILE]...
#                            [--extra-guest NAME=DIR]...
#                            [--out FILE] SCRIPT...
#
# Needs guest-images/fetch.sh and build-guest.sh to have run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GI=$ROOT/guest-images
IMG=$ROOT/build/images
VMM=$ROOT/build/microvm-ras
OUT=$IMG/l1.cpio
QEMU_DIR=
GUEST_IMAGES=()
DISK_IMAGES=()
EXTRA_GUESTS=()
GUEST_DIR=$IMG
FW_CODE=${FW_CODE:-/usr/share/qemu-efi-aarch64/QEMU_EFI.fd}
FW_VARS=${FW_VARS:-/usr/share/AAVMF/AAVMF_VARS.fd}
. "$GI/lib-cpio.sh"

die() { echo "build-l1: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--vmm) VMM=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--qemu) QEMU_DIR=$2; shift 2 ;;
	--guest-image) GUEST_IMAGES+=("$2"); shift 2 ;;
	--disk-image) DISK_IMAGES+=("$2"); shift 2 ;;
	--guest) GUEST_DIR=$2; shift 2 ;;
	--extra-guest) EXTRA_GUESTS+=("$2"); shift 2 ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done

for f in "$IMG/Image" "$IMG/busybox" "$GUEST_DIR/Image" "$GUEST_DIR/guest.cpio" "$VMM" "$FW_CODE" "$FW_VARS"; do
	[ -f "$f" ] || die "missing $f"
done
for s in "$@"; do
	[ -f "$s" ] || die "missing test script $s"
done
for g in ${GUEST_IMAGES[@]+"${GUEST_IMAGES[@]}"}; do
	[ -f "$g" ] || die "missing guest image $g"
	[ "$(basename "$g")" != guest.cpio ] || die "--guest-image $g: guest.cpio is the default image"
done
for e in ${EXTRA_GUESTS[@]+"${EXTRA_GUESTS[@]}"}; do
	case ${e%%=*} in
	'' | *[!a-z0-9-]*) die "--extra-guest $e: want NAME=DIR, NAME of [a-z0-9-]" ;;
	esac
	for f in Image guest.cpio; do
		[ -f "${e#*=}/$f" ] || die "--extra-guest $e: missing ${e#*=}/$f"
	done
done
for d in ${DISK_IMAGES[@]+"${DISK_IMAGES[@]}"}; do
	[ -f "$d" ] || die "missing disk image $d"
	[ "$(basename "$d")" != rootfs.img ] || die "--disk-image $d: rootfs.img is build-disk.sh's"
done
if [ -n "$QEMU_DIR" ]; then
	[ -x "$QEMU_DIR/bin/qemu-system-aarch64" ] && [ -x "$QEMU_DIR/sbin/qemu-system-aarch64" ] ||
		die "no QEMU bundle in $QEMU_DIR (guest-images/fetch-qemu.sh)"
fi

STAGE=$IMG/l1-root
rm -rf "$STAGE"
mkdir -p "$STAGE"
bb_root "$STAGE" "$IMG/busybox"
install -m 0755 "$GI/rootfs/l1-init" "$STAGE/init"
install -D -m 0755 "$VMM" "$STAGE/usr/bin/microvm-ras"
install -D -m 0644 "$GUEST_DIR/Image" "$STAGE/guest/Image"
install -m 0644 "$GUEST_DIR/guest.cpio" "$STAGE/guest/guest.cpio"
for g in ${GUEST_IMAGES[@]+"${GUEST_IMAGES[@]}"}; do
	install -m 0644 "$g" "$STAGE/guest/$(basename "$g")"
done
for e in ${EXTRA_GUESTS[@]+"${EXTRA_GUESTS[@]}"}; do
	install -D -m 0644 "${e#*=}/Image" "$STAGE/guest/kernel-${e%%=*}/Image"
	install -m 0644 "${e#*=}/guest.cpio" "$STAGE/guest/kernel-${e%%=*}/guest.cpio"
	if [ -f "${e#*=}/guest-kernel.env" ]; then
		install -m 0644 "${e#*=}/guest-kernel.env" "$STAGE/guest/kernel-${e%%=*}/guest-kernel.env"
	fi
done
install -D -m 0644 "$FW_CODE" "$STAGE/fw/QEMU_EFI.fd"
install -m 0644 "$FW_VARS" "$STAGE/fw/AAVMF_VARS.fd"
install -D -m 0644 "$ROOT/tests/e2e/lib.sh" "$STAGE/e2e/lib.sh"
install -m 0644 "$ROOT/tests/e2e/bench-lib.sh" "$STAGE/e2e/bench-lib.sh"
if [ -f "$IMG/rootfs.img" ]; then
	install -D -m 0644 "$IMG/rootfs.img" "$STAGE/disk/rootfs.img"
fi
for d in ${DISK_IMAGES[@]+"${DISK_IMAGES[@]}"}; do
	install -D -m 0644 "$d" "$STAGE/disk/$(basename "$d")"
done
if [ -s "$IMG/l1-modules/load.list" ]; then
	mkdir -p "$STAGE/lib/modules"
	while read -r m; do
		install -m 0644 "$IMG/l1-modules/$m" "$STAGE/lib/modules/$m"
	done <"$IMG/l1-modules/load.list"
	install -m 0644 "$IMG/l1-modules/load.list" "$STAGE/lib/modules/load.list"
fi
if [ -x "$IMG/e2fsprogs/bin/e2fsck" ]; then
	mkdir -p "$STAGE/opt"
	cp -a "$IMG/e2fsprogs" "$STAGE/opt/e2fsprogs"
	rm -f "$STAGE/opt/e2fsprogs/.stamp"
fi
if [ -x "$IMG/socat/bin/socat" ]; then
	mkdir -p "$STAGE/opt"
	cp -a "$IMG/socat" "$STAGE/opt/socat"
	rm -f "$STAGE/opt/socat/.stamp"
fi
if [ -n "$QEMU_DIR" ]; then
	mkdir -p "$STAGE/opt"
	cp -a "$QEMU_DIR" "$STAGE/opt/qemu"
	rm -f "$STAGE/opt/qemu/.stamp"
	install -m 0755 "$ROOT/tests/e2e/standin/qemu-vmm.sh" "$STAGE/e2e/qemu-vmm"
fi

# Scenario settings from the host environment (E2E_SOAK_ERRORS=1000 ...).
: >"$STAGE/e2e/env"
while IFS='=' read -r name value; do
	case $value in
	*[!A-Za-z0-9._-]*) die "bad value for $name: '$value'" ;;
	esac
	echo "$name=$value" >>"$STAGE/e2e/env"
done < <(env | grep -E '^E2E_SOAK_[A-Z0-9_]*=' | sort)
# The guest kernel's facts (fetch.sh): E2E_GUEST_KERNEL, _KVER, _PAGE.
if [ -f "$GUEST_DIR/guest-kernel.env" ]; then
	while IFS='=' read -r name value; do
		case $name=$value in
		E2E_GUEST_[A-Z]*=*[!A-Za-z0-9._+-]*|E2E_GUEST_[A-Z]*=) die "bad line in $GUEST_DIR/guest-kernel.env: '$name=$value'" ;;
		E2E_GUEST_[A-Z]*=*) echo "$name=$value" >>"$STAGE/e2e/env" ;;
		*) die "bad line in $GUEST_DIR/guest-kernel.env: '$name=$value'" ;;
		esac
	done <"$GUEST_DIR/guest-kernel.env"
fi

# Scripts keep their order and base names (prefixed with their position, so
# that two scripts with one name cannot collide).
: >"$STAGE/e2e/list"
i=0
for s in "$@"; do
	i=$((i + 1))
	name=$(printf '%02d_%s' "$i" "$(basename "$s")")
	install -m 0755 "$s" "$STAGE/e2e/$name"
	echo "$name" >>"$STAGE/e2e/list"
done

pack_cpio "$STAGE" "$OUT"
rm -rf "$STAGE"
echo "build-l1: ok: $OUT ($(( $(stat -c %s "$OUT") / 1048576 )) MiB, $i scripts)" >&2
