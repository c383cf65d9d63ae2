#!/usr/bin/env bash
# The guest-kernel module helper (guest-images/lib-kmod.sh) against a
# made-up lib/modules/<version> tree: insmod order from modules.dep (its
# dependencies listed loaded-last first), "pre:" soft dependencies through
# modules.alias, '-' and '_' as one, built-in modules left out, .ko.xz /
# .ko.zst stored uncompressed with their exact bytes, unknown modules and
# two modules of one name refused. Also the guest-kernel matrix table
# (tests/e2e/matrix-table.sh) from two fake summaries. And, when
# guest-images/fetch.sh has unpacked a kernel, lib-kmod.sh's order equals
# modprobe --show-depends's for the modules the guest needs.
# One PASS/FAIL line per check.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1: $2"; fail=1; }
. "$ROOT/guest-images/lib-kmod.sh"

M=$T/lib/modules/9.9.9-test
mkdir -p "$M/kernel/fs" "$M/kernel/lib" "$M/kernel/crypto" "$M/kernel/drivers"
# Module "files": one distinct line each, compressed as a newer Debian does.
mk() { # mk PATH: the file, compressed by its extension
	local p=$M/$1
	case $p in
	*.xz) echo "ELF-ish ${1%.xz}" | xz -c >"$p" ;;
	*.zst) echo "ELF-ish ${1%.zst}" | zstd -qc >"$p" ;;
	*) echo "ELF-ish $1" >"$p" ;;
	esac
}
have_zstd=1
command -v zstd >/dev/null || have_zstd=
mk kernel/fs/ext4.ko.xz
mk kernel/fs/jbd2.ko.xz
mk kernel/fs/mbcache.ko.xz
mk kernel/lib/crc16.ko.xz
mk kernel/crypto/crc32c-generic.ko.xz
mk kernel/drivers/virtio_mmio.ko
mk kernel/drivers/virtio-rng.ko.xz
mk kernel/drivers/failover.ko.xz
mk kernel/drivers/net_failover.ko.xz
mk kernel/drivers/virtio_net.ko.xz
if [ -n "$have_zstd" ]; then
	mk kernel/drivers/evdev.ko.zst
	evdev=kernel/drivers/evdev.ko.zst
else
	mk kernel/drivers/evdev.ko
	evdev=kernel/drivers/evdev.ko
fi
cat >"$M/modules.dep" <<EOF
kernel/fs/ext4.ko.xz: kernel/fs/mbcache.ko.xz kernel/fs/jbd2.ko.xz kernel/lib/crc16.ko.xz
kernel/fs/jbd2.ko.xz:
kernel/fs/mbcache.ko.xz:
kernel/lib/crc16.ko.xz:
kernel/crypto/crc32c-generic.ko.xz:
kernel/drivers/virtio_mmio.ko:
kernel/drivers/virtio-rng.ko.xz:
kernel/drivers/failover.ko.xz:
kernel/drivers/net_failover.ko.xz: kernel/drivers/failover.ko.xz
kernel/drivers/virtio_net.ko.xz: kernel/drivers/net_failover.ko.xz kernel/drivers/failover.ko.xz
$evdev:
EOF
printf 'kernel/drivers/virtio/virtio.ko\nkernel/drivers/char/virtio_console.ko\n' >"$M/modules.builtin"
printf 'alias crypto-crc32c crc32c_generic\nalias crc32c crc32c_generic\n' >"$M/modules.alias"
printf 'softdep ext4 pre: crc32c post: nothing_here\nsoftdep virtio_net pre: no_such_module\n' >"$M/modules.softdep"

# --- order ---
got=$(kmod_order "$M" virtio_mmio virtio_rng virtio_net virtio_console ext4 2>"$T/err" | tr '\n' ' ')
want="kernel/drivers/virtio_mmio.ko kernel/drivers/virtio-rng.ko.xz kernel/drivers/failover.ko.xz kernel/drivers/net_failover.ko.xz kernel/drivers/virtio_net.ko.xz kernel/crypto/crc32c-generic.ko.xz kernel/lib/crc16.ko.xz kernel/fs/jbd2.ko.xz kernel/fs/mbcache.ko.xz kernel/fs/ext4.ko.xz "
if [ "$got" = "$want" ]; then
	ok kmod-order-deps-softdeps
else
	ko kmod-order-deps-softdeps "got '$got'"
fi
if grep -q 'virtio_console is built into the kernel' "$T/err" &&
	grep -q 'soft dependency no_such_module not found' "$T/err"; then
	ok kmod-order-builtin-and-missing-softdep-said
else
	ko kmod-order-builtin-and-missing-softdep-said "stderr '$(tr '\n' '|' <"$T/err")'"
fi
if ! kmod_order "$M" ext4 no_such_thing >/dev/null 2>"$T/err" &&
	grep -q 'kmod: no module no_such_thing' "$T/err"; then
	ok kmod-order-unknown-refused
else
	ko kmod-order-unknown-refused "status 0 or '$(cat "$T/err")'"
fi
if ! kmod_order "$T/nonexistent" ext4 >/dev/null 2>&1; then
	ok kmod-order-no-modules-dep
else
	ko kmod-order-no-modules-dep "status 0 without modules.dep"
fi

# --- install: decompressed bytes and load.list ---
O=$T/out
if kmod_install "$M" "$O" ext4 evdev virtio_net 2>/dev/null; then
	list=$(tr '\n' ' ' <"$O/load.list")
	if [ "$list" = "crc32c-generic.ko crc16.ko jbd2.ko mbcache.ko ext4.ko evdev.ko failover.ko net_failover.ko virtio_net.ko " ] &&
		[ "$(cat "$O/ext4.ko")" = "ELF-ish kernel/fs/ext4.ko" ] &&
		[ "$(cat "$O/evdev.ko")" = "ELF-ish kernel/drivers/evdev.ko" ] &&
		[ "$(cat "$O/crc32c-generic.ko")" = "ELF-ish kernel/crypto/crc32c-generic.ko" ] &&
		[ "$(find "$O" -name '*.xz' -o -name '*.zst' | wc -l)" = 0 ]; then
		ok kmod-install-decompressed
	else
		ko kmod-install-decompressed "load.list '$list', ext4.ko '$(head -c 60 "$O/ext4.ko" | tr -cd '[:print:]')'"
	fi
else
	ko kmod-install-decompressed "kmod_install failed"
fi
# Two modules with one base name (in different directories): refused.
mkdir -p "$M/kernel/other"
mk kernel/other/crc16.ko.xz
echo "kernel/other/crc16.ko.xz:" >>"$M/modules.dep"
echo "kernel/fs/odd.ko: kernel/other/crc16.ko.xz kernel/lib/crc16.ko.xz" >>"$M/modules.dep"
mk kernel/fs/odd.ko
if ! kmod_install "$M" "$T/out2" odd 2>"$T/err" && grep -q 'two modules named crc16.ko' "$T/err"; then
	ok kmod-install-duplicate-name
else
	ko kmod-install-duplicate-name "'$(cat "$T/err")'"
fi

# --- the matrix table ---
D=$T/matrix
mkdir -p "$D"
printf 'scenario\tpassed\tfailed\tskipped\tchecks\tstatus\n40-ras\t15\t0\t0\t15\tok\n42-einj\t7\t0\t0\t7\tok\n' >"$D/bookworm.tsv"
printf 'scenario\tpassed\tfailed\tskipped\tchecks\tstatus\n40-ras\t13\t2\t0\t15\t2 missing\n42-einj\t6\t0\t1\t7\tok\n' >"$D/sid.tsv"
echo 'E2E-SKIP einj-x: cannot (guest kernel sid)' >"$D/sid.out"
out=$("$ROOT/tests/e2e/matrix-table.sh" "$D" bookworm sid sid-16k)
rc=$?
if [ $rc = 1 ] &&
	echo "$out" | grep -qE '^40-ras +15/15 ok +13/15 FAIL +no run *$' &&
	echo "$out" | grep -qE '^42-einj +7/7 ok +6/7 ok \+1 skip +no run *$' &&
	echo "$out" | grep -q '^sid-16k: no run' &&
	echo "$out" | grep -q '^sid: E2E-SKIP einj-x: cannot'; then
	ok matrix-table
else
	ko matrix-table "status $rc: $(echo "$out" | tr '\n' '|')"
fi
rm "$D/sid.tsv"
printf 'scenario\tpassed\tfailed\tskipped\tchecks\tstatus\n40-ras\t15\t0\t0\t15\tok\n42-einj\t6\t0\t1\t7\tok\n' >"$D/sid.tsv"
if "$ROOT/tests/e2e/matrix-table.sh" "$D" bookworm sid >/dev/null; then
	ok matrix-table-all-good
else
	ko matrix-table-all-good "status $?"
fi

# --- the real kernels fetch.sh unpacked: same order as modprobe ---
MODPROBE=$(PATH=$PATH:/sbin:/usr/sbin command -v modprobe)
CACHE=${MVR_CACHE:-/var/cache/microvm-ras}
for x in "$CACHE/x-kernel" "$CACHE"/kernel-*/x-kernel; do
	[ -d "$x/lib/modules" ] && [ -n "$MODPROBE" ] || continue
	kver=$(ls "$x/lib/modules" | head -n 1)
	[ -s "$x/lib/modules/$kver/modules.dep.bin" ] || continue
	bad=
	for m in virtio_mmio virtio_blk virtio_rng virtio_net virtio_console ext4 evdev einj tun; do
		a=$(kmod_order "$x/lib/modules/$kver" "$m" 2>/dev/null | sed 's,.*/,,' | tr '\n' ' ')
		b=$("$MODPROBE" -d "$x" -S "$kver" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }' | sed 's,.*/,,' | tr '\n' ' ')
		[ "$a" = "$b" ] || bad="$bad $m: '$a' vs modprobe '$b';"
	done
	if [ -z "$bad" ]; then
		ok "kmod-order-like-modprobe-$kver"
	else
		ko "kmod-order-like-modprobe-$kver" "$bad"
	fi
done
exit $fail
