#!/usr/bin/env bash
# Shell helpers of the nested tests, checked on the host without nesting:
# lib.sh's vmm_ram_map / vmm_gpa_to_hpa (the page to poison for a guest
# physical address) against a fake /proc/PID/{smaps,pagemap}, bench-lib.sh's
# side-by-side rows and sample statistics, and the QEMU command line
# tests/e2e/standin/qemu-vmm.sh makes from microvm-ras "run" options (with a
# stand-in QEMU that prints its arguments). The lib.sh/bench-lib.sh checks
# run under each shell at hand: dash (/bin/sh) and, like in L1, the arm64
# busybox (qemu-aarch64-static). One PASS/FAIL line per check.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1: $2"; fail=1; }

# --- fake /proc: pid 4242, guest RAM of 256 MiB at 0x10000000 --------------
P=$T/proc/4242
mkdir -p "$P" "$T/tmp"
cat >"$P/smaps" <<'EOF'
00400000-00500000 r-xp 00000000 08:01 1234 /usr/bin/vmm
Size:               1024 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                 512 kB
0f000000-10000000 r--p 00000000 00:00 0
Size:             262144 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                1000 kB
10000000-20000000 rw-p 00000000 00:00 0
Size:             262144 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:               77312 kB
20000000-20001000 ---p 00000000 00:00 0
Size:                  4 kB
Rss:                   0 kB
EOF
echo 4242 >"$T/tmp/g.pid"
# put_entry PAGE VALUE_HEX16: the 8-byte little-endian pagemap entry of PAGE.
put_entry() {
	local v=$2 bytes='' i
	for i in 7 6 5 4 3 2 1 0; do
		bytes="$bytes\\x${v:$((i * 2)):2}"
	done
	printf "$bytes" | dd of="$P/pagemap" bs=8 seek="$1" conv=notrunc status=none
}
: >"$P/pagemap"
# guest 0x40123456 -> host virtual 0x10123456 (page 0x10123): present
# (bit 63), soft-dirty and exclusive flags (55, 56), PFN 0x12345.
put_entry $((0x10123)) 8180000000012345
# guest 0x40200000 -> page 0x10200: not present (swap bit only).
put_entry $((0x10200)) 4000000000000777
# guest 0x40300000 -> page 0x10300: present, PFN 0 (what non-root reads).
put_entry $((0x10300)) 8000000000000000

cat >"$T/t.sh" <<'EOF'
# Sourced by each shell under test: prints "name=value" lines.
E2E_TMP=$TT/tmp E2E_PROC=$TT/proc E2E_HARD_OFFLINE=$TT/hard_offline_page
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/bench-lib.sh"
echo "map=$(vmm_ram_map g 262144)"
vmm_ram_map g 131072 >/dev/null; echo "map_none=$?"
echo "hpa=$(vmm_gpa_to_hpa g 262144 0x40123456)"
echo "hpa_page0=$(vmm_gpa_to_hpa g 262144 0x40123000)"
r=$(vmm_gpa_to_hpa g 262144 0x40200000); echo "absent=$?:$r"
r=$(vmm_gpa_to_hpa g 262144 0x40300000); echo "pfn0=$?:$r"
r=$(vmm_gpa_to_hpa g 262144 0x50000000); echo "outside=$?:$r"
r=$(vmm_gpa_to_hpa g 262144 0x3ffff000); echo "below=$?:$r"
r=$(vmm_gpa_to_hpa g 262144 junk); echo "junk=$?:$r"
l1_hard_offline 0x12345000; echo "offline=$?:$(cat "$TT/hard_offline_page")"
r=$(E2E_HARD_OFFLINE=$TT/no/such/file l1_hard_offline 0x1000); echo "offline_bad=$?:${r%%:*}"
: >"$TT/hard_offline_page"
l1_hard_offline_together 0x1000 0x2000 0x3000 0x4000; echo "together=$?:$(sort "$TT/hard_offline_page" | tr '\n' ' ')"
r=$(E2E_HARD_OFFLINE=$TT/no/such/file l1_hard_offline_together 0x1000 0x2000); echo "together_bad=$?:$r"
ls "$E2E_TMP" | grep offline; echo "together_clean=$?"
bench_reset
bench_fig ours direct-1cpu-boot-to-init 6.90 s >/dev/null
bench_fig ours direct-1cpu-vmm-hwm 40000 kB >/dev/null
bench_fig ours ras-sigbus-to-resume-lat_median_us 7000 us >/dev/null
bench_fig qemu direct-1cpu-vmm-hwm 80000 kB >/dev/null
bench_fig qemu direct-1cpu-boot-to-init 9.20 s >/dev/null
bench_fig qemu direct-1cpu-qemu-only 0 kB >/dev/null
bench_fig ours direct-2cpu-boot-to-init 1 s >/dev/null
bench_rows direct-1cpu- | sed 's/^/row=/'
bench_rows ras- | sed 's/^/row=/'
printf '1.50\n0.20\n3.00\n1.10\n' >"$TT/s"
echo "stats=$(bench_stats "$TT/s")"
: >"$TT/e"
echo "stats_empty=$(bench_stats "$TT/e")"
echo "socat=$SOCAT"
e2e_skip_l1 qmp-socat-greeting "no $SOCAT in L1" | sed 's/^/skip=/'
EOF

want="map=10000000 77312
map_none=1
hpa=0x12345456
hpa_page0=0x12345000
absent=1:g: page at 0x10200000 not present
pfn0=1:g: pagemap shows PFN 0 (not root?)
outside=1:guest physical address 0x50000000 is outside guest RAM
below=1:guest physical address 0x3ffff000 is outside guest RAM
junk=1:bad guest physical address 'junk'
offline=0:0x12345000
offline_bad=1:hard_offline_page 0x1000 failed
together=0:0x1000 0x2000 0x3000 0x4000 
together_bad=1:hard_offline_page failed for 2 of 2 pages
together_clean=1
row=BENCH direct-1cpu-boot-to-init 6.90 9.20 0.75 s
row=BENCH direct-1cpu-vmm-hwm 40000 80000 0.50 kB
row=BENCH direct-1cpu-qemu-only - 0 - kB
row=BENCH ras-sigbus-to-resume-lat_median_us 7000 - - us
stats=4 0.20 1.10 3.00
stats_empty=0 - - -
socat=/opt/socat/bin/socat
skip=E2E-SKIP qmp-socat-greeting: no /opt/socat/bin/socat in L1"

# check_shell NAME CMD...: run t.sh under CMD (a shell taking -c).
check_shell() {
	local name=$1 got
	shift
	got=$(TT=$T ROOT=$ROOT "$@" -c '. "$TT/t.sh"' 2>&1)
	if [ "$got" = "$want" ]; then
		ok "e2e-lib-$name"
	else
		ko "e2e-lib-$name" "$(diff <(echo "$want") <(echo "$got") | head -n 8 | tr '\n' '|')"
	fi
}
if command -v dash >/dev/null; then
	check_shell dash dash
fi
BB=$ROOT/build/images/busybox
if [ -x "$BB" ]; then
	if [ "$(uname -m)" = aarch64 ]; then
		check_shell busybox "$BB" sh
	elif command -v qemu-aarch64-static >/dev/null; then
		# Applets are busybox's, as in L1 (no host tools): each a wrapper
		# running it under qemu-aarch64-static (no binfmt_misc needed).
		q=$(command -v qemu-aarch64-static)
		mkdir -p "$T/bb"
		for a in sh awk sed dd od tr cat cut sort printf head tail grep mkdir \
			mkfifo wc sleep timeout rm ls; do
			printf '#!/bin/sh\nexec %s %s %s "$@"\n' "$q" "$BB" "$a" >"$T/bb/$a"
			chmod +x "$T/bb/$a"
		done
		check_shell busybox env PATH="$T/bb" "$q" "$BB" sh
	fi
else
	echo "SKIP e2e-lib-busybox: $BB not fetched (guest-images/fetch.sh)"
fi

# --- the QEMU command line of the stand-in ----------------------------------
printf '#!/bin/sh\nfor a; do echo "[$a]"; done\n' >"$T/fakeq"
chmod +x "$T/fakeq"
mkdir -p "$T/guest"
: >"$T/guest/Image"
got=$(QEMU=$T/fakeq QEMU_ACCEL=kvm sh "$ROOT/tests/e2e/standin/qemu-vmm.sh" run \
	--kernel "$T/guest/Image" --initrd /guest/guest.cpio --cmdline 'console=ttyAMA0 quiet' \
	--memory 256M --cpus 2 --no-firmware | tr '\n' ' ')
want_q="[-M] [virt,gic-version=3] [-accel] [kvm] [-cpu] [host] [-smp] [2] [-m] [256M] [-display] [none] [-serial] [stdio] [-nodefaults] [-kernel] [$T/guest/Image] [-initrd] [/guest/guest.cpio] [-append] [console=ttyAMA0 quiet] "
[ "$got" = "$want_q" ] && ok qemu-vmm-direct || ko qemu-vmm-direct "got '$got'"
got=$(QEMU=$T/fakeq QEMU_ACCEL=kvm sh "$ROOT/tests/e2e/standin/qemu-vmm.sh" run \
	--kernel "$T/guest/Image" --cmdline x --memory 512M --cpus 1 --ras \
	--firmware /fw/QEMU_EFI.fd --api-socket /tmp/s | tr '\n' ' ')
want_q="[-M] [virt,gic-version=3,ras=on] [-accel] [kvm] [-cpu] [host] [-smp] [1] [-m] [512M] [-display] [none] [-serial] [stdio] [-nodefaults] [-bios] [/fw/QEMU_EFI.fd] [-kernel] [$T/guest/Image] [-append] [x] "
[ "$got" = "$want_q" ] && ok qemu-vmm-uefi-ras || ko qemu-vmm-uefi-ras "got '$got'"
got=$(QEMU=$T/fakeq QEMU_ACCEL=kvm QEMU_MMIO_MODERN=1 QEMU_DRIVE_OPTS=cache=writeback,aio=io_uring \
	sh "$ROOT/tests/e2e/standin/qemu-vmm.sh" run --kernel "$T/guest/Image" --cmdline x \
	--memory 256M --cpus 1 --no-firmware --disk /tmp/d.img --net tap=benchtap | tr '\n' ' ')
want_q="[-M] [virt,gic-version=3] [-accel] [kvm] [-cpu] [host] [-smp] [1] [-m] [256M] [-display] [none] [-serial] [stdio] [-nodefaults] [-global] [virtio-mmio.force-legacy=false] [-kernel] [$T/guest/Image] [-append] [x] [-drive] [file=/tmp/d.img,if=none,id=vd1,format=raw,cache=writeback,aio=io_uring] [-device] [virtio-blk-device,drive=vd1] [-netdev] [tap,id=net1,ifname=benchtap,script=no,downscript=no] [-device] [virtio-net-device,netdev=net1] "
[ "$got" = "$want_q" ] && ok qemu-vmm-bench-devices || ko qemu-vmm-bench-devices "got '$got'"
got=$(QEMU=$T/fakeq QEMU_ACCEL=xen sh "$ROOT/tests/e2e/standin/qemu-vmm.sh" run --kernel "$T/guest/Image" 2>&1)
case $got in
*"bad QEMU_ACCEL 'xen'"*) ok qemu-vmm-bad-accel ;;
*) ko qemu-vmm-bad-accel "got '$got'" ;;
esac
exit $fail
