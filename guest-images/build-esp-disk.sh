#!/usr/bin/env bash
# Build a disk that the firmware boots without --kernel (issue 8):
# esp-disk.img, a raw disk with a GPT and one EFI system partition (FAT32,
# from 1 MiB) holding
#   \Image        the guest kernel (Debian's arm64 Image is an EFI
#                 application: the EFI stub)
#   \guest.cpio   the test initramfs (build-guest.sh)
#   \startup.nsh  "@echo -off", then
#                 fs0:\Image initrd=\guest.cpio <GUEST_CMDLINE>
# The firmware's boot manager finds no \EFI\BOOT\BOOTAA64.EFI on the disk
# (the bare kernel would start without a command line or initrd), falls
# back to the built-in UEFI shell, which runs startup.nsh after its 5 s
# "Press ESC" countdown; the kernel's stub loads initrd= from the same
# volume. GUEST_CMDLINE defaults to the e2e guests' (tests/e2e/lib.sh).
# "@echo -off" keeps the shell from echoing the line after a "Shell> "
# prompt, which lib.sh's vmm_expect_boot takes for a failed boot.
#
# Tools (scripts/setup.sh): sfdisk (fdisk) for the partition table, mtools
# (mformat, mcopy) for the file system: no root, no loop device; the FAT is
# built as its own file and written into the disk at the partition's offset.
# GUEST_KERNEL=trixie|sid|sid-16k: that kernel and its initramfs, from and
# into build/images/kernel-<name>/ (as build-guest.sh); default bookworm,
# build/images/esp-disk.img. Cached: nothing is rebuilt while the kernel,
# initramfs, command line and this script are unchanged (.esp-disk.stamp).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GI=$ROOT/guest-images
IMG=$ROOT/build/images
GUEST_KERNEL=${GUEST_KERNEL:-bookworm}
. "$GI/lib-kernel.sh"
OUT=$(guest_kernel_dir "$IMG" "$GUEST_KERNEL") || {
	echo "build-esp-disk: error: GUEST_KERNEL=$GUEST_KERNEL: want one of $GUEST_KERNELS" >&2
	exit 1
}
DISK=$OUT/esp-disk.img
STAMP=$OUT/.esp-disk.stamp
MIB=1048576
# The EFI system partition's GPT type (UEFI 2.10 section 5.3.3, table 5.7).
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
# Fixed identifiers: the same inputs give the same bytes.
DISK_GUID=6D6D7672-6573-4F70-8000-0000000000E5
PART_GUID=6D6D7672-6573-4F70-8000-0000000000E1
VOL_SERIAL=4d565252

die() { echo "build-esp-disk: error: $*" >&2; exit 1; }

# The e2e guests' command line: lib.sh's default, unless given.
if [ -z "${GUEST_CMDLINE:-}" ]; then
	GUEST_CMDLINE=$(sed -n 's/^GUEST_CMDLINE=\${GUEST_CMDLINE:-\(.*\)}$/\1/p' \
		"$ROOT/tests/e2e/lib.sh")
	[ -n "$GUEST_CMDLINE" ] || die "cannot read GUEST_CMDLINE from tests/e2e/lib.sh"
fi
case " $GUEST_CMDLINE " in
*" console="*) ;;
*) GUEST_CMDLINE="console=ttyAMA0 $GUEST_CMDLINE" ;;
esac

[ -f "$OUT/guest.cpio" ] || GUEST_KERNEL=$GUEST_KERNEL "$GI/build-guest.sh"
for f in "$OUT/Image" "$OUT/guest.cpio"; do
	[ -s "$f" ] || die "missing $f (guest-images/fetch.sh, build-guest.sh)"
done
SFDISK=$(PATH=$PATH:/usr/sbin:/sbin command -v sfdisk) ||
	die "sfdisk not found (fdisk; scripts/setup.sh installs it)"
for t in mformat mcopy mdir; do
	command -v "$t" >/dev/null || die "$t not found (mtools; scripts/setup.sh installs it)"
done

want=$( {
	sha256sum "$OUT/Image" "$OUT/guest.cpio" "$0" | cut -d' ' -f1
	printf '%s\n' "$GUEST_CMDLINE"
} | sha256sum | cut -d' ' -f1)
if [ -f "$DISK" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
	echo "build-esp-disk: ok: $DISK (cached)" >&2
	exit 0
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# startup.nsh, CRLF as DOS tools write it (the shell takes LF too).
printf '@echo -off\r\nfs0:\\Image initrd=\\guest.cpio %s\r\n' "$GUEST_CMDLINE" >"$T/startup.nsh"
touch -r "$OUT/Image" "$T/startup.nsh"

# The partition: the files plus 16 MiB, at least 64 MiB (FAT32 wants more
# than 65524 clusters: 512-byte clusters below 128 MiB), whole MiB.
used=$(( $(stat -c %s "$OUT/Image") + $(stat -c %s "$OUT/guest.cpio") + 4096 ))
esp_mib=$(( (used + MIB - 1) / MIB + 16 ))
[ "$esp_mib" -ge 64 ] || esp_mib=64
esp_sectors=$(( esp_mib * 2048 ))
spc=1
[ "$esp_mib" -lt 128 ] || spc=8
# Disk: 1 MiB (protective MBR, primary GPT, alignment), the partition,
# 1 MiB for the backup GPT at the end.
disk_mib=$(( esp_mib + 2 ))

rm -f "$T/esp.fat"
truncate -s $(( esp_sectors * 512 )) "$T/esp.fat"
# mtools refuses a file whose size disagrees with the geometry it guesses:
# give it one (-h heads, -s sectors per track; -T total sectors); -H: the
# sectors before the partition (the boot sector's hidden-sectors field).
MTOOLS_SKIP_CHECK=1 mformat -i "$T/esp.fat" -F -T "$esp_sectors" -h 64 -s 32 -c "$spc" -H 2048 \
	-v ESP -N "$VOL_SERIAL" :: >/dev/null || die "mformat failed"
mcopy -i "$T/esp.fat" -m "$OUT/Image" ::/Image || die "mcopy Image failed"
mcopy -i "$T/esp.fat" -m "$OUT/guest.cpio" ::/guest.cpio || die "mcopy guest.cpio failed"
mcopy -i "$T/esp.fat" -m "$T/startup.nsh" ::/startup.nsh || die "mcopy startup.nsh failed"

rm -f "$DISK.tmp"
truncate -s $(( disk_mib * MIB )) "$DISK.tmp"
"$SFDISK" --quiet --no-reread --no-tell-kernel "$DISK.tmp" >/dev/null <<EOF || die "sfdisk failed"
label: gpt
label-id: $DISK_GUID
unit: sectors
first-lba: 2048
start=2048, size=$esp_sectors, type=$ESP_TYPE, uuid=$PART_GUID, name="EFI system partition"
EOF
dd if="$T/esp.fat" of="$DISK.tmp" bs=1M seek=1 conv=notrunc,sparse status=none ||
	die "writing the partition failed"
mv "$DISK.tmp" "$DISK"
echo "$want" >"$STAMP"
echo "build-esp-disk: ok: $DISK ($disk_mib MiB, ESP $esp_mib MiB: Image, guest.cpio, startup.nsh)" >&2
