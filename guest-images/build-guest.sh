#!/usr/bin/env bash
# Build the L2 guest initramfs build/images/guest.cpio (uncompressed newc):
# busybox with applet links, guest-images/rootfs/guest-init as /init,
# /usr/bin/e2e-step, the test programs of guest-images/src/ (mca-recover,
# dio-poison, mem-churn: /usr/bin/NAME from NAME.c), and the kernel modules of
# build/images/modules/ (virtio, ext4) in /lib/modules/ with their load
# order in /lib/modules/load.list; the modules of build/images/modules-extra/
# (einj), which scenarios insmod themselves, in /lib/modules/extra/.
# Needs build/images/busybox (and modules/) from guest-images/fetch.sh.
# GUEST_KERNEL=trixie|sid|sid-16k (fetch.sh): the modules of that kernel,
# from build/images/kernel-<name>/, and the initramfs there too
# (build/images/kernel-<name>/guest.cpio); bookworm (default) as above.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GI=$ROOT/guest-images
IMG=$ROOT/build/images
GUEST_KERNEL=${GUEST_KERNEL:-bookworm}
. "$GI/lib-kernel.sh"
OUT=$(guest_kernel_dir "$IMG" "$GUEST_KERNEL") || {
	echo "build-guest: error: GUEST_KERNEL=$GUEST_KERNEL: want one of $GUEST_KERNELS" >&2
	exit 1
}
CROSS_CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
. "$GI/lib-cpio.sh"

[ -x "$IMG/busybox" ] && [ -f "$OUT/Image" ] || GUEST_KERNEL=$GUEST_KERNEL "$GI/fetch.sh"

STAGE=$OUT/guest-root
rm -rf "$STAGE"
mkdir -p "$STAGE"
bb_root "$STAGE" "$IMG/busybox"
install -m 0755 "$GI/rootfs/guest-init" "$STAGE/init"
install -m 0755 "$GI/rootfs/e2e-step" "$STAGE/usr/bin/e2e-step"
if [ -s "$OUT/modules/load.list" ]; then
	mkdir -p "$STAGE/lib/modules"
	while read -r m; do
		install -m 0644 "$OUT/modules/$m" "$STAGE/lib/modules/$m"
	done <"$OUT/modules/load.list"
	install -m 0644 "$OUT/modules/load.list" "$STAGE/lib/modules/load.list"
fi
if [ -s "$OUT/modules-extra/load.list" ]; then
	mkdir -p "$STAGE/lib/modules/extra"
	while read -r m; do
		install -m 0644 "$OUT/modules-extra/$m" "$STAGE/lib/modules/extra/$m"
	done <"$OUT/modules-extra/load.list"
	install -m 0644 "$OUT/modules-extra/load.list" "$STAGE/lib/modules/extra/load.list"
fi

# Test programs: guest-images/src/NAME.c becomes /usr/bin/NAME.
for src in "$GI"/src/*.c; do
	[ -f "$src" ] || continue
	prog=$(basename "$src" .c)
	"$CROSS_CC" -static -O2 -Wall -o "$STAGE/usr/bin/$prog" "$src"
	aarch64-linux-gnu-strip "$STAGE/usr/bin/$prog" 2>/dev/null || true
done

pack_cpio "$STAGE" "$OUT/guest.cpio"
echo "build-guest: ok: $OUT/guest.cpio ($(( $(stat -c %s "$OUT/guest.cpio") / 1024 )) KiB)" >&2
