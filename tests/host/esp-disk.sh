#!/usr/bin/env bash
# The firmware-boot disk (guest-images/build-esp-disk.sh,
# build/images/esp-disk.img), checked without booting it: a GPT with exactly
# one partition, the EFI system partition type, at 1 MiB, inside the disk;
# a FAT32 file system there (mtools at that offset) holding exactly Image,
# guest.cpio and startup.nsh; Image and guest.cpio byte-identical to the
# build's, Image an EFI application (PE32+ for arm64: the kernel's EFI
# stub); startup.nsh "@echo -off" then the line that boots the kernel with
# initrd=\guest.cpio and lib.sh's GUEST_CMDLINE. One PASS/FAIL line per
# check; SKIP when the disk is not built.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMG=${ESP_IMAGES:-$ROOT/build/images}
DISK=$IMG/esp-disk.img
fail=0
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1: $2"; fail=1; }

if [ ! -s "$DISK" ]; then
	echo "SKIP esp-disk: not built (guest-images/build-esp-disk.sh; e2e run.sh fw-disk-boot builds it)"
	exit 0
fi
# Built before: bring it up to date with this tree's guest.cpio and Image
# (the builder rebuilds only what changed).
[ -n "${ESP_IMAGES:-}" ] || "$ROOT/guest-images/build-esp-disk.sh" >/dev/null 2>&1 ||
	ko esp-disk-build "guest-images/build-esp-disk.sh failed"
SFDISK=$(PATH=$PATH:/usr/sbin:/sbin command -v sfdisk) || { ko esp-disk-tools "no sfdisk"; exit 1; }
command -v mdir >/dev/null || { ko esp-disk-tools "no mtools"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export MTOOLS_SKIP_CHECK=1

# --- partition table: GPT, one ESP at LBA 2048, within the disk ---
"$SFDISK" -d "$DISK" >"$T/pt" 2>&1
disk_sectors=$(( $(stat -c %s "$DISK") / 512 ))
parts=$(grep -c '^[^:]*esp-disk.img[0-9]* : ' "$T/pt")
line=$(grep '^[^:]*esp-disk.img1 : ' "$T/pt")
start=$(echo "$line" | sed -n 's/.*start= *\([0-9]*\),.*/\1/p')
size=$(echo "$line" | sed -n 's/.*size= *\([0-9]*\),.*/\1/p')
if grep -qx 'label: gpt' "$T/pt" && [ "$parts" = 1 ] &&
	echo "$line" | grep -q 'type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' &&
	[ "$start" = 2048 ] && [ -n "$size" ] && [ $((start + size + 33)) -le "$disk_sectors" ]; then
	ok esp-disk-gpt
else
	ko esp-disk-gpt "want one EFI system partition at 2048 inside $disk_sectors sectors: $(tr '\n' '|' <"$T/pt")"
fi

# --- the FAT at 1 MiB: FAT32, exactly the three files ---
off=$(( ${start:-2048} * 512 ))
if mdir -b -i "$DISK@@$off" :: >"$T/dir" 2>"$T/dir.err"; then
	names=$(sed 's|^::/||' "$T/dir" | sort | tr '\n' ' ')
else
	names="mdir failed: $(cat "$T/dir.err")"
fi
fat32=$(minfo -i "$DISK@@$off" :: 2>/dev/null | grep -c 'disk type="FAT32')
if [ "$names" = "Image guest.cpio startup.nsh " ] && [ "$fat32" -ge 1 ]; then
	ok esp-disk-files
else
	ko esp-disk-files "want FAT32 with Image guest.cpio startup.nsh, got '$names' (FAT32 marks: $fat32)"
fi

# --- contents: the build's kernel and initramfs, the kernel an EFI app ---
bad=
for f in Image guest.cpio; do
	mcopy -n -i "$DISK@@$off" "::/$f" "$T/$f" 2>/dev/null || { bad="$bad $f(unreadable)"; continue; }
	cmp -s "$T/$f" "$IMG/$f" || bad="$bad $f(differs)"
done
# PE32+ (optional header magic 0x20b) for arm64 (machine 0xaa64) at the
# offset the MZ header gives (0x3c).
pe=$(od -An -tu4 -j 60 -N 4 "$T/Image" 2>/dev/null | tr -d ' ')
sig=$(od -An -c -j "${pe:-0}" -N 4 "$T/Image" 2>/dev/null | tr -d ' ')
mach=$(od -An -tx2 -j $(( ${pe:-0} + 4 )) -N 2 "$T/Image" 2>/dev/null | tr -d ' ')
magic=$(od -An -tx2 -j $(( ${pe:-0} + 24 )) -N 2 "$T/Image" 2>/dev/null | tr -d ' ')
[ "$(head -c 2 "$T/Image" 2>/dev/null)" = MZ ] && [ "$sig" = 'PE\0\0' ] && [ "$mach" = aa64 ] &&
	[ "$magic" = 020b ] || bad="$bad Image(not a PE32+ arm64 EFI application: sig=$sig machine=$mach magic=$magic)"
if [ -z "$bad" ]; then
	ok esp-disk-payload
else
	ko esp-disk-payload "$bad"
fi

# --- startup.nsh: no echo, then the kernel with its initrd and cmdline ---
cmdline=$(sed -n 's/^GUEST_CMDLINE=\${GUEST_CMDLINE:-\(.*\)}$/\1/p' "$ROOT/tests/e2e/lib.sh")
printf '@echo -off\r\nfs0:\\Image initrd=\\guest.cpio %s\r\n' "$cmdline" >"$T/want.nsh"
mcopy -n -i "$DISK@@$off" ::/startup.nsh "$T/startup.nsh" 2>/dev/null
if cmp -s "$T/startup.nsh" "$T/want.nsh"; then
	ok esp-disk-startup-nsh
else
	ko esp-disk-startup-nsh "got '$(tr '\r\n' '|~' <"$T/startup.nsh" 2>/dev/null)', want '$(tr '\r\n' '|~' <"$T/want.nsh")'"
fi
exit $fail
