#!/usr/bin/env bash
# Build the ext4 root filesystem image for the virtio-blk e2e tests,
# build/images/rootfs.img (32 MiB, sparse; mkfs.ext4 -d from e2fsprogs):
# busybox with applet links, guest-images/rootfs/disk-init as /sbin/init,
# /usr/bin/e2e-step and /etc/e2e-disk (a known line). The guest initramfs
# loads the modules and switch_roots to it when booted with root=/dev/vda.
# Needs build/images/busybox from guest-images/fetch.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GI=$ROOT/guest-images
OUT=$ROOT/build/images
SIZE=${DISK_SIZE:-32M}
. "$GI/lib-cpio.sh"

die() { echo "build-disk: error: $*" >&2; exit 1; }

[ -x "$OUT/busybox" ] || "$GI/fetch.sh"
MKFS=$(PATH=$PATH:/usr/sbin:/sbin command -v mkfs.ext4) ||
	die "mkfs.ext4 not found (e2fsprogs; scripts/setup.sh installs it)"

STAGE=$OUT/disk-root
rm -rf "$STAGE"
mkdir -p "$STAGE"
bb_root "$STAGE" "$OUT/busybox"
[ -e "$STAGE/bin/sh" ] || [ -L "$STAGE/bin/sh" ] || ln -s busybox "$STAGE/bin/sh"
mkdir -p "$STAGE/mnt" "$STAGE/var"
# /sbin/init is busybox's applet link: replace the link, not its target.
rm -f "$STAGE/sbin/init"
install -m 0755 "$GI/rootfs/disk-init" "$STAGE/sbin/init"
install -m 0755 "$GI/rootfs/e2e-step" "$STAGE/usr/bin/e2e-step"
echo "microvm-ras e2e root filesystem" >"$STAGE/etc/e2e-disk"

rm -f "$OUT/rootfs.img.tmp"
"$MKFS" -q -F -L e2e-root -E root_owner=0:0 -d "$STAGE" "$OUT/rootfs.img.tmp" "$SIZE" >/dev/null ||
	die "mkfs.ext4 failed"
mv "$OUT/rootfs.img.tmp" "$OUT/rootfs.img"
rm -rf "$STAGE"
echo "build-disk: ok: $OUT/rootfs.img ($SIZE, $(du -k "$OUT/rootfs.img" | cut -f1) KiB used)" >&2
