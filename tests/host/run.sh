#!/usr/bin/env bash
# Host-side checks of the real arm64 binary under qemu-aarch64-static (no
# KVM needed): the device tree and ACPI tables it emits decompile cleanly
# with dtc and iasl and match the golden tables (acpi-golden.sh), and bad
# command lines fail with one clear error line. Also the nested tests' shell
# helpers (e2e-lib.sh) and the benchmarks' peer QEMU bundle when it is built
# (qemu-bundle.sh), the optional rasdaemon guest image when it is built
# (rasdaemon-image.sh), the firmware-boot disk when it is built
# (esp-disk.sh), the guest-kernel module helper and matrix table
# (kmod-order.sh), and L1's arm64 e2fsprogs and socat when fetch.sh has
# bundled them (l1-tools.sh: socat relays over a UNIX socket and holds a
# QMP session with qmp_fake.py).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VMM="qemu-aarch64-static $ROOT/build/microvm-ras"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# expect_error NAME REGEX ARGS...: non-zero exit, exactly one stderr line,
# which starts "microvm-ras: error:" and matches REGEX.
expect_error() {
	local name=$1 re=$2
	shift 2
	$VMM "$@" >"$T/out" 2>"$T/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$T/err")
	if [ "$rc" -eq 0 ]; then
		ko "$name" "exit status 0"
	elif [ "$lines" -ne 1 ]; then
		ko "$name" "$lines stderr lines: $(head -3 "$T/err" | tr '\n' '|')"
	elif ! grep -qE "^microvm-ras: error: .*$re" "$T/err"; then
		ko "$name" "unexpected message: $(cat "$T/err")"
	else
		ok "$name"
	fi
}

# --- bad input ---
head -c 4096 /dev/urandom >"$T/random"
printf 'MZ' >"$T/short"
IMG=$ROOT/build/images/Image
expect_error no-kernel "no kernel given" run --no-firmware
expect_error missing-kernel "cannot read kernel.*No such file" run --kernel "$T/nonexistent" --no-firmware
expect_error kernel-is-dir "cannot read kernel" run --kernel "$T" --no-firmware
expect_error not-an-image "not an arm64 Linux Image" run --kernel "$T/random" --no-firmware
expect_error tiny-file "not an arm64 Linux Image" run --kernel "$T/short" --no-firmware
if [ -f "$IMG" ]; then
	head -c 65536 "$IMG" >"$T/truncated"
	expect_error truncated-image "truncated" run --kernel "$T/truncated" --no-firmware
	head -c $((100 << 20)) /dev/zero >"$T/big-initrd"
	expect_error initrd-too-big "do not fit" run --kernel "$IMG" --initrd "$T/big-initrd" --memory 64M --no-firmware
	expect_error missing-initrd "cannot read initrd" run --kernel "$IMG" --initrd "$T/nonexistent" --no-firmware
else
	echo "SKIP image-based checks: $IMG not built (guest-images/fetch.sh)"
fi
if [ -f "$IMG" ]; then
	expect_error missing-firmware "cannot open firmware" run --kernel "$IMG" --firmware "$T/nonexistent"
	head -c $((65 << 20)) /dev/zero >"$T/big-fw"
	expect_error oversized-firmware "at most 64 MiB" run --kernel "$IMG" --firmware "$T/big-fw"
	expect_error vars-is-dir "variable store" run --kernel "$IMG" --vars "$T"
	# A store is exactly the bank's size: never padded, cut or accepted
	# half made (issue 12: a killed first start left one behind).
	head -c 10000 /dev/zero >"$T/short-vars"
	expect_error vars-short "variable store .* is 10000 bytes; it must be exactly 64 MiB" \
		run --kernel "$IMG" --vars "$T/short-vars"
	: >"$T/empty-vars"
	expect_error vars-empty "variable store .* is 0 bytes" run --kernel "$IMG" --vars "$T/empty-vars"
fi
# --chroot / --user (jail.c): syntax, a missing or non-directory DIR, a
# non-root caller; each before anything is opened.
expect_error user-syntax "invalid --user 'abc' \\(expected UID:GID" run --kernel x --user abc
expect_error user-no-gid "invalid --user '1000:'" run --kernel x --user 1000:
expect_error user-root "--user '0:0' is root" run --kernel x --user 0:0
expect_error chroot-missing "--chroot '$T/nonexistent': No such file" run --kernel x --chroot "$T/nonexistent"
expect_error chroot-file "--chroot '$T/random' is not a directory" run --kernel x --chroot "$T/random"
expect_error user-dump-dtb "--user is not used by 'dump-dtb'" dump-dtb "$T/x.dtb" --user 1:1
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	VMM_ROOT=$VMM
	VMM="setpriv --reuid=65534 --regid=65534 --clear-groups $VMM_ROOT"
	expect_error jail-not-root "--chroot and --user need root .*running as uid 65534" \
		run --kernel x --chroot / --user 1000:1000
	VMM=$VMM_ROOT
fi
expect_error memory-zero "--memory must be" run --kernel x --memory 0
expect_error memory-garbage "invalid --memory" run --kernel x --memory lots
expect_error memory-odd "--memory must be" run --kernel x --memory 3K --no-firmware
expect_error cpus-zero "--cpus must be between" run --kernel x --cpus 0
expect_error cpus-many "--cpus must be between" run --kernel x --cpus 1000
expect_error cpus-garbage "invalid --cpus" run --kernel x --cpus two
expect_error unknown-option "unknown option '--bogus'" run --kernel x --bogus
expect_error missing-arg "needs an argument" run --kernel
expect_error unknown-command "unknown command" frobnicate
expect_error ras-direct "--ras needs firmware boot" run --kernel x --ras --no-firmware
expect_error stray-arg "unexpected argument" run --kernel x extra

# --- sizes and numbers (vmm/size.c): a bare number is MiB, decimal or 0x
# hex, never octal; overflow and the memory map's limit are checked before
# any file is opened; messages in the user's units ---
expect_error memory-hex-bare "'0x40000000' is 1073741824 MiB, more than the 1047552 MiB .*a bare number is MiB" \
	run --kernel x --memory 0x40000000
expect_error memory-not-octal "at least 32 MiB, got 10 MiB" run --kernel x --memory 010 --no-firmware
expect_error memory-2-to-the-60 "'0x40000000G' is 1073741824 GiB, more than the 1023 GiB" \
	run --kernel x --memory 0x40000000G
expect_error memory-overflow "'0x400000000000G' is too large" run --kernel x --memory 0x400000000000G
expect_error memory-overflow-digits "'18446744073709551616' is too large" run --kernel x --memory 18446744073709551616
expect_error memory-too-big "'2T' is 2 TiB, more than the 1023 GiB of guest RAM" run --kernel x --memory 2T
# The two cases of issue 12 defect 7: RAM base + size used to wrap, and a
# leading zero used to mean octal.
expect_error memory-wraps-ipa "'17179869183G' is 17179869183 GiB, more than the 1023 GiB" \
	run --kernel x --memory 17179869183G
expect_error memory-0012-decimal "at least 32 MiB, got 12 MiB" run --kernel x --memory 0012 --no-firmware
if $VMM dump-dtb "$T/m.dtb" --no-firmware --memory 0512M 2>"$T/err" &&
	dtc -I dtb -O dts "$T/m.dtb" 2>/dev/null | grep -q 'reg = <0x00 0x40000000 0x00 0x20000000>'; then
	ok memory-0512M-is-512-MiB
else
	ko memory-0512M-is-512-MiB "$(head -1 "$T/err")"
fi
expect_error memory-odd-units "got 3 KiB" run --kernel x --memory 3K --no-firmware
expect_error memory-before-files "--memory '2TiB'" run --kernel "$T/nonexistent" --memory 2TiB --no-firmware
expect_error memory-fraction "invalid --memory '1.5G'" run --kernel x --memory 1.5G
expect_error cpus-hex-range "--cpus must be between 1 and 123, got 124" run --kernel x --cpus 0x7c
expect_error cpus-suffix "invalid --cpus '8K'" run --kernel x --cpus 8K
expect_error on-panic-bad "invalid --on-panic 'reboot'" run --kernel x --on-panic reboot
expect_error mem-backend-bad "invalid --memory-backend 'huge' \\(expected anon, hugetlb or thp\\)" \
	run --kernel x --memory-backend huge
expect_error mem-backend-missing "needs an argument" run --kernel x --memory-backend
if $VMM dump-dtb "$T/s.dtb" --no-firmware --cpus 0x8 --memory 0x400M 2>"$T/err" &&
	dtc -I dtb -O dts -o "$T/s.dts" "$T/s.dtb" 2>"$T/dtc" &&
	[ "$(grep -c 'device_type = "cpu"' "$T/s.dts")" = 8 ] &&
	grep -q 'reg = <0x00 0x40000000 0x00 0x40000000>' "$T/s.dts" &&
	$VMM dump-dtb "$T/s2.dtb" --no-firmware --cpus 8 --memory 1GiB 2>>"$T/err" &&
	cmp -s "$T/s.dtb" "$T/s2.dtb"; then
	ok sizes-hex-accepted
else
	ko sizes-hex-accepted "$(cat "$T/err" "$T/dtc" 2>/dev/null | head -3)"
fi

# --- --trace-boot: each step on stderr with ms since process start and the
# absolute CLOCK_MONOTONIC time (the boot steps need KVM: the nested e2e) ---
if $VMM dump-dtb "$T/t.dtb" --no-firmware --trace-boot >/dev/null 2>"$T/err" &&
	grep -qE '^trace-boot: \+ +0\.000 ms mono [0-9]+\.[0-9]{9} process start$' "$T/err" &&
	grep -qE '^trace-boot: \+ +[0-9]+\.[0-9]{3} ms mono [0-9]+\.[0-9]{9} config parsed$' "$T/err" &&
	[ "$(wc -l <"$T/err")" = 2 ] &&
	$VMM dump-dtb "$T/t2.dtb" --no-firmware 2>"$T/err2" && [ ! -s "$T/err2" ]; then
	ok trace-boot
else
	ko trace-boot "$(head -3 "$T/err" "$T/err2" 2>/dev/null | tr '\n' '|')"
fi

# --- exit status (vmm/exit_codes.h): 2 for usage errors, 1 for VMM errors ---
# expect_status NAME WANT ARGS...
expect_status() {
	local name=$1 want=$2 rc=0
	shift 2
	$VMM "$@" >/dev/null 2>&1 </dev/null || rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else ko "$name" "exit status $rc, want $want"; fi
}
expect_status exit-usage-option 2 run --kernel x --bogus
expect_status exit-usage-memory 2 run --kernel x --memory 2T
expect_status exit-vmm-error 1 run --kernel "$T/nonexistent" --no-firmware
expect_status exit-help 0 run --help

# --- boot without --kernel (issue 8): the firmware boots a --disk; every
# setup that cannot boot is one line, before any file is opened ---
expect_error initrd-without-kernel "--initrd needs --kernel \\(booting from a disk" \
	run --disk "$T/nonexistent.img" --initrd "$T/nonexistent"
expect_error cmdline-without-kernel "--cmdline needs --kernel" run --disk "$T/nonexistent.img" --cmdline quiet
expect_error initrd-cmdline-without-kernel "--initrd and --cmdline need --kernel" \
	run --firmware "$T/nonexistent" --disk "$T/nonexistent.img" --initrd x --cmdline y
expect_error firmware-nothing-to-boot "nothing to boot: no --kernel, and no --disk" \
	run --firmware "$T/nonexistent"
expect_error no-kernel-no-firmware-disk "no kernel given \\(use --kernel IMAGE; without one" \
	run --no-firmware --disk "$T/nonexistent.img"
expect_error fw-disk-missing-disk "nonexistent.img': cannot open" run --disk "$T/nonexistent.img"
FW_DEFAULT=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
truncate -s 1M "$T/esp-check.img"
if [ -f "$FW_DEFAULT" ]; then
	$VMM run --firmware "$FW_DEFAULT" --disk "$T/esp-check.img,ro" --check >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && grep -q '^ok: ' "$T/out"; then
		ok check-fw-disk-no-kernel
	else
		ko check-fw-disk-no-kernel "exit $rc: $(tr '\n' '|' <"$T/err")"
	fi
else
	echo "SKIP check-fw-disk-no-kernel: no $FW_DEFAULT (qemu-efi-aarch64)"
fi
$VMM run --disk "$T/esp-check.img" --initrd "$T/nonexistent" --cpus 0 --check \
	>"$T/out" 2>"$T/err" </dev/null
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 2 ] && grep -q -- "--initrd needs --kernel" "$T/err" &&
	grep -q "cpus must be between" "$T/err"; then
	ok check-initrd-without-kernel
else
	ko check-initrd-without-kernel "exit $rc, $(wc -l <"$T/err") lines: $(tr '\n' '|' <"$T/err")"
fi

# --- run --check (vmm/preflight.c): every problem on its own line, exit 2;
# one "ok" line on stdout and exit 0 when there is none; /dev/kvm never
# opened (qemu-user's strace lists every open) ---
printf 'abcdef' >"$T/fw6"
truncate -s 1000 "$T/odd.img"
long=$T/$(printf 's%.0s' $(seq 1 120))
$VMM run --kernel "$T/random" --firmware "$T/fw6" --vars "$T/nodir/vars.fd" --api-socket "$long" \
	--memory 64M --cpus 0 --disk "$T/nonexistent.img" --disk "$T/odd.img" --check \
	>"$T/out" 2>"$T/err" </dev/null
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 8 ] && [ ! -s "$T/out" ] &&
	grep -q "cpus must be between" "$T/err" && grep -q "at least 128 MiB for firmware boot" "$T/err" &&
	grep -q "not an arm64 Linux Image" "$T/err" && grep -q "fw6' is 6 bytes, not a multiple of 4 KiB" "$T/err" &&
	grep -q "vars.fd' cannot be created: directory '$T/nodir'" "$T/err" &&
	grep -q "longer than 107 bytes" "$T/err" && grep -q "nonexistent.img': cannot open" "$T/err" &&
	grep -q "odd.img': size is not a multiple of 512" "$T/err" &&
	! grep -vq "^microvm-ras: error: " "$T/err"; then
	ok check-all-problems
else
	ko check-all-problems "exit $rc, $(wc -l <"$T/err") lines: $(tr '\n' '|' <"$T/err")"
fi
# The checks below need a kernel that passes: the guest Image, or a
# minimal Image header (64 bytes + the "ARM\x64" magic at 0x38).
KIMG=$IMG
if [ ! -f "$KIMG" ]; then
	KIMG=$T/min-Image
	{ head -c 8 /dev/zero; printf '\0\0\0\0\0\0\0\0\0\0\020\0\0\0\0\0\012\0\0\0\0\0\0\0'; \
	  head -c 24 /dev/zero; printf 'ARMd'; head -c 4 /dev/zero; } >"$KIMG"
	truncate -s 1M "$KIMG"
fi
# A disk another process holds an OFD write lock on (as a running VMM does).
truncate -s 1M "$T/locked.img"
python3 -c '
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
print("locked", flush=True)
time.sleep(60)' "$T/locked.img" >"$T/lockout" &
holder=$!
for _ in $(seq 50); do grep -q locked "$T/lockout" && break; sleep 0.1; done
expect_error check-locked-disk "locked.img': locked by another process" \
	run --kernel "$KIMG" --no-firmware --disk "$T/locked.img,ro" --check
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_error check-socket-dir "--api-socket '$T/nodir/s': directory '$T/nodir': No such file" \
	run --kernel "$KIMG" --no-firmware --api-socket "$T/nodir/s" --check
touch "$T/not-a-socket"
expect_error check-socket-file "exists and is not a socket" \
	run --kernel "$KIMG" --no-firmware --api-socket "$T/not-a-socket" --check
expect_error check-not-for-dumps "--check is for 'run' only" dump-dtb "$T/x.dtb" --check
expect_error firmware-6-bytes "not a multiple of 4 KiB" run --kernel "$KIMG" --firmware "$T/fw6"
if [ -f "$IMG" ]; then
	mkdir -p "$T/sockdir"
	truncate -s 1M "$T/ok.img"
	if QEMU_STRACE=1 $VMM run --kernel "$IMG" --initrd "$T/ok.img" --no-firmware --memory 256M --cpus 2 \
		--disk "$T/ok.img,ro" --api-socket "$T/sockdir/api.sock" --check >"$T/out" 2>"$T/strace" </dev/null &&
		[ "$(cat "$T/out")" = "ok: the configuration passed every check that needs no /dev/kvm" ] &&
		grep -q 'openat(.*ok.img' "$T/strace" && ! grep -q '/dev/kvm' "$T/strace" &&
		[ ! -e "$T/sockdir/api.sock" ]; then
		ok check-ok-no-kvm
	else
		ko check-ok-no-kvm "$(head -c 300 "$T/out") $(grep -m3 -e kvm -e error "$T/strace" | tr '\n' '|')"
	fi
	# No host has 512000 free 2 MiB pages: the pool is reported.
	expect_error check-hugetlb-pool "--memory-backend hugetlb: .*(needs 512000 free 2 MiB huge pages|no 2 MiB huge pages)" \
		run --kernel "$IMG" --no-firmware --memory 1000G --memory-backend hugetlb --check
	expect_error check-too-small "do not fit in 64 MiB" run --kernel "$IMG" --initrd "$T/big-initrd" \
		--memory 64M --no-firmware --check
	head -c 65536 /dev/zero >"$T/fw64k"
	expect_error check-vars-dir "variable store .* must be a regular file" \
		run --kernel "$IMG" --firmware "$T/fw64k" --vars "$T" --check
	if $VMM run --kernel "$IMG" --firmware "$T/fw64k" --vars "$T/sockdir/new-vars.fd" --check \
		>/dev/null 2>"$T/err" </dev/null && [ ! -e "$T/sockdir/new-vars.fd" ]; then
		ok check-firmware-ok
	else
		ko check-firmware-ok "$(cat "$T/err")"
	fi
fi

# --- --config FILE (vmm/config_file.c): the same options as JSON keys,
# the command line on top ---
truncate -s 1M "$T/d1.img" "$T/d2.img"
printf '{ "no-firmware": true, "memory": 512, "cpus": "0x3", "cmdline": "console=ttyAMA0 quiet",\n  "rng": true, "disk": [ { "path": "%s", "serial": "x" }, "%s,ro" ] }\n' \
	"$T/d1.img" "$T/d2.img" >"$T/vm.json"
if $VMM dump-dtb "$T/cfg.dtb" --config "$T/vm.json" 2>"$T/err" </dev/null &&
	$VMM dump-dtb "$T/cli.dtb" --no-firmware --memory 512M --cpus 3 --cmdline "console=ttyAMA0 quiet" \
		--rng --disk "$T/d1.img,serial=x" --disk "$T/d2.img,ro" 2>>"$T/err" </dev/null &&
	cmp -s "$T/cfg.dtb" "$T/cli.dtb" &&
	$VMM dump-dtb "$T/over.dtb" --cpus 1 --disk "$T/d1.img" --config "$T/vm.json" 2>>"$T/err" </dev/null &&
	dtc -I dtb -O dts "$T/over.dtb" 2>/dev/null >"$T/over.dts" &&
	[ "$(grep -c 'cpu@' "$T/over.dts")" -eq 1 ] &&
	[ "$(grep -c 'virtio,mmio' "$T/over.dts")" -eq 2 ]; then
	ok config-file-dtb
else
	ko config-file-dtb "$(cat "$T/err")"
fi
# The example parses: the only problems are its files missing here.
$VMM run --config "$ROOT/configs/vm-example.json" --check >/dev/null 2>"$T/err" </dev/null
if ! grep -v -e "cannot read kernel" -e "cannot read initrd" -e "img': cannot open" \
	-e "tap" -e "tun" -e "api-socket" "$T/err" | grep -q .; then
	ok config-example-parses
else
	ko config-example-parses "$(head -3 "$T/err" | tr '\n' '|')"
fi
echo '{ "kernel": "x", "memroy": "1G" }' >"$T/bad-key.json"
expect_error config-unknown-key "config '.*bad-key.json': unknown key 'memroy'" run --config "$T/bad-key.json"
echo '{ "kernel": "x", "cpus": [2] }' >"$T/bad-type.json"
expect_error config-wrong-type "key 'cpus': expected a string or an integer" run --config "$T/bad-type.json"
echo '{ "kernel": "x", "disk": [ { "path": "a", "rw": true } ] }' >"$T/bad-disk.json"
expect_error config-bad-disk "key 'disk\[0\]': unknown --disk option 'rw'" run --config "$T/bad-disk.json"
echo '{ "kernel": "x", ' >"$T/bad-json.json"
expect_error config-bad-json "not valid JSON" run --config "$T/bad-json.json"
expect_error config-missing "cannot read config" run --config "$T/nonexistent.json"

# --- --serial (vmm/options.c, vmm/chardev.c): bad values are one line ---
expect_error serial-bad "invalid --serial 'tcp:1234' \(expected stdio, file=PATH, pty, socket=PATH or off\)" \
	run --kernel x --no-firmware --serial tcp:1234
expect_error serial-no-path "--serial 'file=' has no path" run --kernel x --no-firmware --serial file=
expect_error serial-long-socket "longer than 107 bytes" run --kernel x --no-firmware \
	--serial "socket=/$(printf 'p%.0s' $(seq 1 120))"
expect_error serial-scope "--serial is not used by 'dump-dtb'" dump-dtb "$T/x.dtb" --serial pty
if [ -f "$IMG" ]; then
	$VMM run --kernel "$IMG" --no-firmware --check --serial "file=$T/nodir/console.log" \
		>"$T/out" 2>"$T/err" </dev/null
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "serial '$T/nodir/console.log' cannot be created" "$T/err"; then
		ok serial-check
	else
		ko serial-check "status $rc: $(head -2 "$T/err" | tr '\n' '|')"
	fi
fi
printf '{"serial": "fifo"}' >"$T/serial.json"
expect_error serial-config "config '.*serial.json': key 'serial': invalid --serial 'fifo'" \
	run --kernel x --no-firmware --config "$T/serial.json"

# --- help, version and each subcommand's scope ---
expect_status help-cmd 0 help
expect_status dump-dtb-help 0 dump-dtb --help
expect_status dump-acpi-help 0 dump-acpi --help
if $VMM version 2>&1 | grep -qE '^features: [+-]acpi [+-]fwcfg [+-]ras [+-]virtio [+-]control-api [+-]seccomp$' &&
	[ "$($VMM version)" = "$($VMM --version)" ]; then
	ok version-features
else
	ko version-features "$($VMM version 2>&1 | tr '\n' '|')"
fi
expect_error scope-vars-acpi "--vars is not used by 'dump-acpi'" dump-acpi "$T/acpi-x" --vars v.fd
expect_error scope-socket-dtb "--api-socket is not used by 'dump-dtb'" dump-dtb "$T/x.dtb" --api-socket s
expect_error firmware-and-no-firmware "--firmware and --no-firmware exclude each other" \
	run --kernel x --firmware f --no-firmware

# --- a closed stdout pipe ends no VMM (issue 12 defect 4): SIGPIPE is
# ignored, so --version's write fails with EPIPE instead of a signal ---
sigpipe_rc=$(python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(["qemu-aarch64-static", sys.argv[1], "--version"],
                   stdout=w, stderr=subprocess.DEVNULL)
print(p.returncode)' "$ROOT/build/microvm-ras")
if [ "$sigpipe_rc" = -13 ]; then ko sigpipe-ignored "killed by SIGPIPE"; else ok sigpipe-ignored; fi

# --- virtio disks: bad --disk inputs, each one error line ---
truncate -s 1M "$T/d1.img"
truncate -s 2M "$T/d2.img"
truncate -s 513 "$T/odd.img"
: >"$T/empty.img"
expect_error disk-missing "disk '.*nonexistent': cannot open: No such file" run --kernel x --disk "$T/nonexistent"
expect_error disk-dir "not a regular file or block device" run --kernel x --disk "$T,ro"
expect_error disk-empty "the image is empty" run --kernel x --disk "$T/empty.img"
expect_error disk-odd-size "not a multiple of 512 bytes" run --kernel x --disk "$T/odd.img"
expect_error disk-bad-key "unknown --disk option 'rw'" run --kernel x --disk "$T/d1.img,rw"
expect_error disk-no-path "has no path" run --kernel x --disk ",ro"
expect_error disk-long-serial "longer than 20 bytes" run --kernel x --disk "$T/d1.img,serial=123456789012345678901"
too_many=()
for i in 1 2 3 4 5 6 7 8 9; do too_many+=(--disk "$T/d1.img,ro"); done
expect_error disk-too-many "too many --disk options" run --kernel x "${too_many[@]}"
# Another process holds the image's OFD write lock (python3 holds it).
if command -v python3 >/dev/null; then
	python3 -c 'import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.fcntl(fd, 37, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))  # F_OFD_SETLK
print("locked", flush=True)
time.sleep(30)' "$T/d2.img" >"$T/lockpid" &
	lpid=$!
	for _ in $(seq 50); do grep -q locked "$T/lockpid" 2>/dev/null && break; sleep 0.1; done
	expect_error disk-locked "locked by another process" run --kernel x --disk "$T/d2.img"
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
fi

# --- virtio-net: bad --net inputs, each one error line (before any tap) ---
expect_error net-no-tap "has no tap=" run --kernel x --net "mac=02:00:00:00:00:01"
expect_error net-bad-mac "invalid --net mac '02:00:00:00:00'" run --kernel x --net "tap=t0,mac=02:00:00:00:00"
expect_error net-bad-mac-hex "invalid --net mac" run --kernel x --net "tap=t0,mac=02:00:00:00:00:0g"
expect_error net-multicast-mac "multicast address" run --kernel x --net "tap=t0,mac=01:00:5e:00:00:01"
expect_error net-long-name "not an interface name" run --kernel x --net "tap=a234567890123456"
expect_error net-empty-name "not an interface name" run --kernel x --net "tap="
expect_error net-bad-key "unknown --net option 'vhost'" run --kernel x --net "tap=t0,vhost"
expect_error net-twice "given twice" run --kernel x --net tap=t0 --net tap=t0
expect_error net-too-many "too many --net options" run --kernel x --net tap=t0 --net tap=t1 --net tap=t2 --net tap=t3 --net tap=t4

# --- virtio devices in the device tree and the DSDT ---
if $VMM dump-dtb "$T/v.dtb" --no-firmware --disk "$T/d1.img" --disk "$T/d2.img,ro,serial=x" --rng 2>"$T/err" &&
	dtc -I dtb -O dts -o "$T/v.dts" "$T/v.dtb" 2>"$T/dtc" &&
	grep -q 'virtio_mmio@a000000 {' "$T/v.dts" && grep -q 'virtio_mmio@a000200 {' "$T/v.dts" &&
	grep -q 'virtio_mmio@a000400 {' "$T/v.dts" &&
	[ "$(grep -c 'compatible = "virtio,mmio"' "$T/v.dts")" = 3 ] &&
	grep -q 'interrupts = <0x00 0x11 0x01>' "$T/v.dts"; then
	ok dtb-virtio
else
	ko dtb-virtio "$(cat "$T/err" "$T/dtc" 2>/dev/null | head -3)"
fi
# --console virtio: a virtio window after the rng (SPI 17), stdout-path still
# the PL011; --console pl011 is the default, byte for byte.
expect_error console-bad "invalid --console 'hvc'" run --kernel x --console hvc
if $VMM dump-dtb "$T/c.dtb" --no-firmware --rng --console virtio 2>"$T/err" &&
	dtc -I dtb -O dts -o "$T/c.dts" "$T/c.dtb" 2>"$T/dtc" &&
	grep -q 'virtio_mmio@a000200 {' "$T/c.dts" &&
	[ "$(grep -c 'compatible = "virtio,mmio"' "$T/c.dts")" = 2 ] &&
	grep -q 'interrupts = <0x00 0x11 0x01>' "$T/c.dts" &&
	grep -q 'stdout-path = "/pl011@9000000"' "$T/c.dts" &&
	$VMM dump-dtb "$T/p0.dtb" --no-firmware 2>>"$T/err" &&
	$VMM dump-dtb "$T/p1.dtb" --no-firmware --console pl011 2>>"$T/err" &&
	cmp -s "$T/p0.dtb" "$T/p1.dtb"; then
	ok dtb-virtio-console
else
	ko dtb-virtio-console "$(cat "$T/err" "$T/dtc" 2>/dev/null | head -3; grep stdout-path "$T/c.dts")"
fi
if $VMM dump-acpi "$T/vacpi" --disk "$T/d1.img" 2>"$T/err" &&
	(cd "$T/vacpi" && iasl -d DSDT.dat >"$T/iasl" 2>&1) &&
	! grep -qiE "error|warning" "$T/iasl" &&
	grep -q 'Name (_HID, "LNRO0005")' "$T/vacpi/DSDT.dsl" &&
	grep -q '0x0A000000,' "$T/vacpi/DSDT.dsl" && grep -q '0x00000030,' "$T/vacpi/DSDT.dsl"; then
	ok acpi-virtio
else
	ko acpi-virtio "$(cat "$T/err" "$T/iasl" 2>/dev/null | head -3)"
fi

# --net takes the window after the rng; dump-dtb opens no tap.
if $VMM dump-dtb "$T/n.dtb" --no-firmware --disk "$T/d1.img" --rng --net tap=t0 2>"$T/err" &&
	dtc -I dtb -O dts -o "$T/n.dts" "$T/n.dtb" 2>"$T/dtc" &&
	[ "$(grep -c 'compatible = "virtio,mmio"' "$T/n.dts")" = 3 ] &&
	grep -q 'virtio_mmio@a000400 {' "$T/n.dts" &&
	grep -q 'interrupts = <0x00 0x12 0x01>' "$T/n.dts"; then
	ok dtb-virtio-net
else
	ko dtb-virtio-net "$(cat "$T/err" "$T/dtc" 2>/dev/null | head -3)"
fi

# --- pvpanic (vmm/devices/pvpanic.c): on every board, in the device tree
# (qemu,pvpanic-mmio, 2-byte reg, no interrupt) and the DSDT (QEMU0001) ---
if $VMM dump-dtb "$T/pp.dtb" --no-firmware 2>"$T/err" &&
	dtc -I dtb -O dts -o "$T/pp.dts" "$T/pp.dtb" 2>"$T/dtc" && ! grep -q pvpanic "$T/dtc" &&
	grep -A3 'pvpanic@9040000 {' "$T/pp.dts" >"$T/pp.node" &&
	grep -q 'compatible = "qemu,pvpanic-mmio";' "$T/pp.node" &&
	grep -q 'reg = <0x00 0x9040000 0x00 0x02>;' "$T/pp.node" &&
	! grep -q interrupts "$T/pp.node"; then
	ok dtb-pvpanic
else
	ko dtb-pvpanic "$(cat "$T/err" "$T/dtc" "$T/pp.node" 2>/dev/null | head -4)"
fi
if $VMM dump-acpi "$T/ppacpi" 2>"$T/err" &&
	(cd "$T/ppacpi" && iasl -d DSDT.dat >"$T/iasl" 2>&1) &&
	! grep -qiE "error|warning" "$T/iasl" &&
	grep -A8 'Device (PVPN)' "$T/ppacpi/DSDT.dsl" >"$T/pp.dsl" &&
	grep -q 'Name (_HID, "QEMU0001")' "$T/pp.dsl" &&
	grep -q '0x09040000,' "$T/pp.dsl" && grep -q '0x00000002,' "$T/pp.dsl"; then
	ok acpi-pvpanic
else
	ko acpi-pvpanic "$(cat "$T/err" "$T/iasl" 2>/dev/null | head -3)"
fi

# --- the dumps: dump-dtb to stdout (never a terminal), dump-acpi into a
# used directory only with --force (which deletes only *.dat), and the note
# lines on addresses that are assigned at boot ---
if $VMM dump-dtb - --no-firmware --cpus 2 >"$T/so.dtb" 2>"$T/err" </dev/null &&
	$VMM dump-dtb "$T/sf.dtb" --no-firmware --cpus 2 2>>"$T/err" </dev/null &&
	[ -s "$T/so.dtb" ] && cmp -s "$T/so.dtb" "$T/sf.dtb" && [ ! -s "$T/err" ]; then
	ok dump-dtb-stdout
else
	ko dump-dtb-stdout "$(head -3 "$T/err" | tr '\n' '|')"
fi
if command -v script >/dev/null; then
	script -qec "$VMM dump-dtb - --no-firmware" /dev/null </dev/null >"$T/tty" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && [ "$(tr -d '\r' <"$T/tty" | grep -c .)" -eq 1 ] &&
		grep -q '^microvm-ras: error: dump-dtb: refusing to write a binary device tree to a terminal' "$T/tty"; then
		ok dump-dtb-stdout-terminal
	else
		ko dump-dtb-stdout-terminal "status $rc: $(head -c 300 "$T/tty" | tr '\n' '|')"
	fi
else
	echo "SKIP dump-dtb-stdout-terminal: no script(1)"
fi
expect_error dump-acpi-stdout "dump-acpi writes one file per table into a directory: '-' \(stdout\) is for dump-dtb only" \
	dump-acpi -
expect_error force-scope "--force is for 'dump-acpi' only" dump-dtb "$T/x.dtb" --force
rm -rf "$T/da"
if $VMM dump-acpi "$T/da" --ras 2>"$T/err" </dev/null && [ -f "$T/da/HEST.dat" ] &&
	[ "$(wc -l <"$T/err")" -eq 1 ] &&
	grep -qE "^microvm-ras: note: addresses the firmware assigns at boot \(linker/loader\) are placeholders in this dump: .*etc/acpi/tables at 0x5c481000; HEST's error-status and read-ack addresses and EINJ's parameter address assume etc/hardware_errors at 0x5c450000$" "$T/err"; then
	ok dump-acpi-note
else
	ko dump-acpi-note "$(head -3 "$T/err" | tr '\n' '|')"
fi
expect_error dump-acpi-not-empty "dump-acpi: directory '$T/da' is not empty \(an earlier dump's tables would stay beside the new ones\); --force replaces the files in it$" \
	dump-acpi "$T/da"
[ -f "$T/da/HEST.dat" ] || ko dump-acpi-not-empty-kept "the refused dump deleted HEST.dat"
echo mine >"$T/da/notes.txt"
if $VMM dump-acpi "$T/da" --force --quiet 2>"$T/err" </dev/null && [ ! -s "$T/err" ] &&
	[ ! -e "$T/da/HEST.dat" ] && [ ! -e "$T/da/EINJ.dat" ] && [ -f "$T/da/XSDT.dat" ] &&
	[ "$(cat "$T/da/notes.txt")" = mine ]; then
	ok dump-acpi-force
else
	ko dump-acpi-force "$(ls "$T/da" | tr '\n' ' ') $(head -2 "$T/err" | tr '\n' '|')"
fi
if $VMM dump-dtb "$T/fwn.dtb" 2>"$T/err" </dev/null && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	grep -q "^microvm-ras: note: firmware boot: the initrd and UEFI table addresses in /chosen are assigned at boot" "$T/err"; then
	ok dump-dtb-note-firmware
else
	ko dump-dtb-note-firmware "$(head -3 "$T/err" | tr '\n' '|')"
fi
if $VMM dump-dtb "$T/ini.dtb" --no-firmware --initrd "$T/nonexistent" 2>"$T/err" </dev/null &&
	[ "$(wc -l <"$T/err")" -eq 1 ] &&
	grep -q "^microvm-ras: note: --initrd is left out of the device tree: in direct boot the initrd is placed after the kernel, so its address needs --kernel$" "$T/err" &&
	dtc -I dtb -O dts "$T/ini.dtb" 2>/dev/null | grep -q 'chosen' &&
	! dtc -I dtb -O dts "$T/ini.dtb" 2>/dev/null | grep -q 'linux,initrd'; then
	ok dump-dtb-initrd-without-kernel
else
	ko dump-dtb-initrd-without-kernel "$(head -3 "$T/err" | tr '\n' '|')"
fi
if $VMM dump-dtb "$T/fwi.dtb" --initrd "$T/nonexistent" 2>"$T/err" </dev/null &&
	[ "$(wc -l <"$T/err")" -eq 2 ] &&
	grep -q "^microvm-ras: note: --initrd is left out: without --kernel the firmware boots from a disk" "$T/err"; then
	ok dump-dtb-initrd-without-kernel-firmware
else
	ko dump-dtb-initrd-without-kernel-firmware "$(head -3 "$T/err" | tr '\n' '|')"
fi

# --- device tree ---
for mode in --no-firmware ""; do
	name=dtb${mode:+-direct}
	if $VMM dump-dtb "$T/g.dtb" --cpus 3 --memory 1G $mode --cmdline "console=ttyAMA0" 2>"$T/err" &&
		dtc -I dtb -O dts -o "$T/g.dts" "$T/g.dtb" 2>"$T/dtc" &&
		grep -q 'compatible = "arm,gic-v3"' "$T/g.dts" &&
		[ "$(grep -c 'device_type = "cpu"' "$T/g.dts")" = 3 ] &&
		grep -q 'reg = <0x00 0x40000000 0x00 0x40000000>' "$T/g.dts" &&
		grep -q 'bootargs = "console=ttyAMA0"' "$T/g.dts"; then
		if [ -z "$mode" ] && ! grep -q 'qemu,fw-cfg-mmio' "$T/g.dts"; then
			ko "$name" "no fw-cfg node in firmware mode"
		else
			ok "$name"
		fi
	else
		ko "$name" "$(cat "$T/err" "$T/dtc" 2>/dev/null | head -3)"
	fi
done

# --- ACPI tables: every one decompiles without errors or warnings ---
for cpus in 1 2 8; do
	d=$T/acpi$cpus
	if ! $VMM dump-acpi "$d" --cpus "$cpus" --ras 2>"$T/err"; then
		ko "acpi-$cpus" "dump-acpi failed: $(cat "$T/err")"
		continue
	fi
	bad=
	# iasl 2020 cannot disassemble a bare RSDP; its checksums are unit
	# tested (tests/unit/test_acpi.c).
	for t in "$d"/*.dat; do
		[ "$(basename "$t")" = RSDP.dat ] && continue
		out=$(cd "$d" && iasl -d "$(basename "$t")" 2>&1) || bad="$bad $(basename "$t"):exit"
		if echo "$out" | grep -qiE "error|warning|checksum is incorrect|invalid"; then
			bad="$bad $(basename "$t")"
		fi
	done
	n=$(ls "$d"/*.dat | wc -l)
	hest=$d/HEST.dsl
	if [ -n "$bad" ]; then
		ko "acpi-$cpus" "iasl complained about:$bad"
	elif [ "$n" -ne 9 ]; then
		ko "acpi-$cpus" "expected 9 tables (RSDP XSDT FACP DSDT APIC GTDT SPCR HEST EINJ), got $n"
	elif ! grep -qE 'Injection Entry Count +: 00000009' "$d/EINJ.dsl" ||
		! grep -qE 'Action +: 08 \[Set Error Type With Address\]' "$d/EINJ.dsl"; then
		ko "acpi-$cpus" "EINJ does not have the 9 injection instructions"
	elif [ "$(grep -c 'Generic Hardware Error Source V2' "$hest")" -ne $((cpus + 3)) ]; then
		ko "acpi-$cpus" "HEST does not have $((cpus + 3)) GHESv2 entries"
	elif [ "$(grep -cE 'Notify Type +: 08 \[SEA\]' "$hest")" -ne "$cpus" ] ||
		! grep -qE 'Notify Type +: 07 \[GPIO\]' "$hest" ||
		! grep -qE 'Notify Type +: 00 \[Polled\]' "$hest" ||
		! grep -qE 'PollInterval +: 000003E8' "$hest" ||
		! grep -qE 'Notify Type +: 0A \[GSIV\]' "$hest" ||
		! grep -qE 'Vector +: 00000025' "$hest" ||
		! grep -qE 'Read Ack Preserve +: FFFFFFFFFFFFFFFE' "$hest" ||
		! grep -qE 'Read Ack Write +: 0000000000000001' "$hest"; then
		ko "acpi-$cpus" "HEST fields differ from the expected GHESv2 layout"
	else
		ok "acpi-$cpus"
	fi
done

# --- ctl against a fake QMP server (qmp_fake.py): the handshake, events
# skipped or followed, the raw --qmp session ---
# fake MODE: start the fake server on $T/q.sock (new log $T/q.log).
fake() {
	rm -f "$T/q.sock" "$T/q.log"
	: >"$T/q.log"
	python3 "$ROOT/tests/host/qmp_fake.py" "$T/q.sock" "$1" "$T/q.log" &
	fpid=$!
	for _ in $(seq 50); do [ -S "$T/q.sock" ] && break; sleep 0.1; done
}
if grep -qx 'CONFIG_CONTROL_API=y' "$ROOT/build/config.mk" 2>/dev/null; then
	fake normal
	out=$($VMM ctl --api-socket "$T/q.sock" query-vm 2>&1)
	rc=$?
	wait $fpid
	if [ $rc -eq 0 ] && [ "$out" = '{"return":{"ok":1}}' ] &&
		[ "$(cat "$T/q.log")" = '{"execute":"qmp_capabilities"}
{"execute":"query-vm"}' ]; then
		ok ctl-qmp-handshake
	else
		ko ctl-qmp-handshake "status $rc, output '$out', server saw: $(tr '\n' '|' <"$T/q.log")"
	fi
	fake nogreet
	out=$($VMM ctl --api-socket "$T/q.sock" query-vm 2>&1)
	rc=$?
	wait $fpid
	if [ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] &&
		echo "$out" | grep -q '^microvm-ras: error: ctl: .* did not greet with {"QMP": ...}'; then
		ok ctl-qmp-no-greeting
	else
		ko ctl-qmp-no-greeting "status $rc, output '$out'"
	fi
	fake events
	out=$($VMM ctl --api-socket "$T/q.sock" events 2>&1)
	rc=$?
	wait $fpid
	if [ $rc -eq 0 ] && [ "$(echo "$out" | wc -l)" -eq 2 ] &&
		[ "$(echo "$out" | sed -n 's/^{"event":"\([A-Z]*\)".*/\1/p' | tr '\n' ' ')" = "RESET POWERDOWN " ]; then
		ok ctl-qmp-events
	else
		ko ctl-qmp-events "status $rc, output '$out'"
	fi
	fake events
	out=$(echo '{"execute":"qmp_capabilities"}' | $VMM ctl --api-socket "$T/q.sock" --qmp --timeout 5 2>&1)
	rc=$?
	wait $fpid
	if [ $rc -eq 0 ] && [ "$(echo "$out" | head -1 | cut -c 1-8)" = '{"QMP":{' ] &&
		[ "$(echo "$out" | sed -n 2p)" = '{"return":{}}' ] && [ "$(echo "$out" | wc -l)" -eq 4 ]; then
		ok ctl-qmp-raw
	else
		ko ctl-qmp-raw "status $rc, output '$out'"
	fi
	# Options after the command; --pretty indents the reply (not the
	# request: the server sees one line).
	fake normal
	out=$($VMM ctl query-vm --api-socket "$T/q.sock" --pretty 2>&1)
	rc=$?
	wait $fpid
	if [ $rc -eq 0 ] && [ "$out" = '{
  "return": {
    "ok": 1
  }
}' ] && [ "$(sed -n 2p "$T/q.log")" = '{"execute":"query-vm"}' ]; then
		ok ctl-options-after-command-pretty
	else
		ko ctl-options-after-command-pretty "status $rc, output '$out'"
	fi
	# The socket from $MICROVM_RAS_SOCKET; events are pretty-printed too.
	fake events
	out=$(MICROVM_RAS_SOCKET="$T/q.sock" $VMM ctl events --pretty 2>&1)
	rc=$?
	wait $fpid
	if [ $rc -eq 0 ] && [ "$(echo "$out" | grep -c '^  "event": ')" -eq 2 ] &&
		[ "$(echo "$out" | grep -c '^}$')" -eq 2 ]; then
		ok ctl-socket-from-env
	else
		ko ctl-socket-from-env "status $rc, output '$out'"
	fi
	# What is wrong with the path, each in its own line.
	unset MICROVM_RAS_SOCKET
	expect_error ctl-no-socket "ctl: no socket given \\(use --api-socket PATH or set MICROVM_RAS_SOCKET\\)" \
		ctl query-vm
	expect_error ctl-missing-socket "ctl: no such file '$T/nowhere.sock'" \
		ctl query-vm --api-socket "$T/nowhere.sock"
	: >"$T/plain"
	expect_error ctl-not-a-socket "ctl: '$T/plain' is not a socket\$" ctl --api-socket "$T/plain" query-vm
	rm -f "$T/stale.sock"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/stale.sock"
	expect_error ctl-stale-socket "ctl: nobody is listening on '$T/stale.sock' \\(stale socket\\?\\)" \
		ctl query-vm --api-socket "$T/stale.sock"
	expect_error ctl-pretty-qmp "ctl: --pretty and --qmp cannot be combined" \
		ctl --api-socket "$T/plain" --qmp --pretty
fi

# --- guest program mca-recover, built natively: the handler with queued
# SIGBUSes (--fake-ar/--fake-ao); --huge gives 512 pages that are one whole
# 2 MiB physical block, or says MCA-HUGE-NONE and exits 1 (no root: no
# PFNs in pagemap; or no huge page and no whole block) ---
MR=$T/mca-recover
if ${CC:-cc} -O2 -Wall -Werror -o "$MR" "$ROOT/guest-images/src/mca-recover.c" 2>"$T/mr.err"; then
	out=$(printf 'touch 1\nstatus\nquit\n' | "$MR" --pages 3 --survive --fake-ar 1 2>&1)
	if [ "$(echo "$out" | grep -c '^MCA-PAGE [0-2] va=0x[0-9a-f]* pa=0x[0-9a-f]*$')" = 3 ] &&
		echo "$out" | grep -q '^MCA-RECOVERED page=1 addr=0x[0-9a-f]* si_code=BUS_MCEERR_AR lsb=12 us=[0-9][0-9]*$' &&
		echo "$out" | grep -q '^MCA-STATUS recovered=1 of 3$' &&
		! echo "$out" | grep -q 'MCA-BLOCK'; then
		ok mca-recover-pages
	else
		ko mca-recover-pages "$(echo "$out" | grep -v MCA-PAGE | tr '\n' '|')"
	fi
	"$MR" --huge --pages 3 >/dev/null 2>&1
	rc=$?
	if [ $rc = 2 ]; then ok mca-recover-huge-no-pages; else ko mca-recover-huge-no-pages "status $rc"; fi
	out=$(printf 'touch 5\nsweep\nquit\n' | "$MR" --huge --survive --fake-ar 5 --fake-ao 7 --pool-mb 16 2>&1)
	rc=$?
	blk=$(echo "$out" | sed -n 's/^MCA-BLOCK pa=\(0x[0-9a-f]*\) pages=512 of 512 via=\(thp\|small\)$/\1/p')
	if [ $rc = 0 ] && [ -n "$blk" ] && [ $((blk % (2 << 20))) = 0 ] &&
		[ "$(echo "$out" | grep -c '^MCA-PAGE ')" = 512 ] &&
		[ "$(echo "$out" | sed -n 's/^MCA-PAGE \([0-9]*\) va=[^ ]* pa=\(0x[0-9a-f]*\)$/\1 \2/p' |
			while read -r i pa; do [ $((pa)) = $((blk + i * 4096)) ] && echo; done | wc -l)" = 512 ] &&
		echo "$out" | grep -q '^MCA-AO page=7 ' &&
		echo "$out" | grep -q '^MCA-RECOVERED page=5 .*BUS_MCEERR_AR' &&
		echo "$out" | grep -q '^MCA-SWEEP ok=511 recovered=1 mismatch=0 of 512$'; then
		ok mca-recover-huge
	elif [ $rc = 1 ] && echo "$out" | grep -q '^MCA-HUGE-NONE no 2 MiB block' &&
		! echo "$out" | grep -q 'MCA-READY'; then
		ok "mca-recover-huge (no whole block here: $(echo "$out" | grep -c '^MCA-HUGE') MCA-HUGE lines)"
	else
		ko mca-recover-huge "status $rc: $(echo "$out" | grep -v MCA-PAGE | head -5 | tr '\n' '|')"
	fi
else
	ko mca-recover-build "$(head -3 "$T/mr.err" | tr '\n' '|')"
fi

# --- guest program blk-bench, built natively, on an image file: each job's
# figures add up (bytes = ops x request size), the write reached the file,
# a read past the end and a bad command line fail in one line. O_DIRECT
# where this file system has it, else --buffered ---
BB_SRC=$ROOT/guest-images/src/blk-bench.c
if ${CC:-cc} -O2 -Wall -Werror -o "$T/blk-bench" "$BB_SRC" 2>"$T/bb.err"; then
	truncate -s 4M "$T/blk.img"
	mode=
	"$T/blk-bench" seqread "$T/blk.img" 1 >/dev/null 2>&1 || mode=--buffered
	out=$("$T/blk-bench" $mode seqwrite "$T/blk.img" 4; "$T/blk-bench" $mode --bs 65536 seqread "$T/blk.img" 4;
		"$T/blk-bench" $mode randread "$T/blk.img" 1)
	num='[0-9]+\.[0-9]{2}'
	if echo "$out" | grep -qE "^BLK-BENCH job=seqwrite bytes=4194304 ops=4 usecs=[0-9]+ mbps=$num iops=$num\$" &&
		echo "$out" | grep -qE "^BLK-BENCH job=seqread bytes=4194304 ops=64 usecs=[0-9]+ mbps=$num iops=$num\$" &&
		echo "$out" | sed -n 's/^BLK-BENCH job=randread bytes=\([0-9]*\) ops=\([1-9][0-9]*\) .*/\1 \2/p' |
			awk '$1 == $2 * 4096 { ok = 1 } END { exit !ok }' &&
		[ "$(od -An -tu1 -j 1048577 -N 1 "$T/blk.img" | tr -d ' ')" = 138 ]; then
		ok "blk-bench${mode:+ ($mode)}"
	else
		ko blk-bench "$(echo "$out" | tr '\n' '|')"
	fi
	out=$("$T/blk-bench" $mode seqread "$T/blk.img" 5)
	rc=$?
	case "$rc:$out" in
	"1:BLK-BENCH-ERROR job=seqread: device smaller than the transfer: "*) ok blk-bench-short ;;
	*) ko blk-bench-short "status $rc: $out" ;;
	esac
	bad=
	for args in "--bs 100 seqread" "--qd 0 randread" "--qd 65 randread" "--qd x randread" \
		"--qd 2 seqread" "--qd 2 seqwrite" "--qd" "randwrites"; do
		# shellcheck disable=SC2086 # split on purpose: one option a word
		"$T/blk-bench" $args "$T/blk.img" 1 >/dev/null 2>&1
		rc=$?
		[ $rc = 2 ] || bad="$bad [$args: status $rc]"
	done
	if [ -z "$bad" ]; then ok blk-bench-usage; else ko blk-bench-usage "$bad"; fi
	# randwrite at depth 1 and (native AIO) 32 on a zeroed file: exactly the
	# blocks of the first OPS offsets of blk-bench's xorshift64 sequence now
	# hold its byte pattern, every other block is still zero.
	bb_written() { # FILE OPS: "ok" or what differs
		python3 -c 'import sys
data = open(sys.argv[1], "rb").read()
ops, bs, blocks = int(sys.argv[2]), 4096, len(data) // 4096
pat = bytes((i * 131 + 7) & 255 for i in range(bs))
s, want, m = 0x9e3779b97f4a7c15, set(), (1 << 64) - 1
for _ in range(ops):
	s ^= (s << 13) & m; s ^= s >> 7; s ^= (s << 17) & m
	want.add(s % blocks)
for b in range(blocks):
	blk = data[b * bs:(b + 1) * bs]
	if blk != (pat if b in want else bytes(bs)):
		sys.exit(print("block %d of %d (written: %s) differs" % (b, blocks, b in want)))
print("ok")' "$1" "$2"
	}
	for qd in 1 32; do
		rm -f "$T/blk-rw.img"
		truncate -s 64M "$T/blk-rw.img"
		out=$("$T/blk-bench" $mode --qd $qd randwrite "$T/blk-rw.img" 1)
		rc=$?
		ops=$(echo "$out" | sed -nE "s/^BLK-BENCH job=randwrite bytes=([0-9]+) ops=([0-9]+) usecs=[0-9]+ mbps=$num iops=$num\$/\1 \2/p" |
			awk -v min=$qd '$1 == $2 * 4096 && $2 >= min { print $2 }')
		if [ $rc = 0 ] && [ -n "$ops" ] && [ "$(bb_written "$T/blk-rw.img" "$ops")" = ok ]; then
			ok "blk-bench-randwrite-qd$qd ($ops writes)"
		else
			ko "blk-bench-randwrite-qd$qd" "status $rc: $out: $([ -n "$ops" ] && bb_written "$T/blk-rw.img" "$ops")"
		fi
	done
	out=$("$T/blk-bench" $mode --qd 32 randread "$T/blk-rw.img" 1)
	rc=$?
	if [ $rc = 0 ] && echo "$out" | sed -n 's/^BLK-BENCH job=randread bytes=\([0-9]*\) ops=\([0-9]*\) .*/\1 \2/p' |
		awk '$1 == $2 * 4096 && $2 >= 32 { ok = 1 } END { exit !ok }'; then
		ok blk-bench-randread-qd32
	else
		ko blk-bench-randread-qd32 "status $rc: $out"
	fi
	# The guest's own build (static aarch64) under qemu-aarch64-static
	# writes the same blocks (qemu-user has no native AIO: depth 1 only).
	if command -v aarch64-linux-gnu-gcc >/dev/null; then
		if aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o "$T/blk-bench-arm64" "$BB_SRC" 2>"$T/bb.err"; then
			rm -f "$T/blk-rw.img"
			truncate -s 64M "$T/blk-rw.img"
			out=$(qemu-aarch64-static "$T/blk-bench-arm64" $mode randwrite "$T/blk-rw.img" 1)
			rc=$?
			ops=$(echo "$out" | sed -n 's/^BLK-BENCH job=randwrite bytes=[0-9]* ops=\([1-9][0-9]*\) .*/\1/p')
			if [ $rc = 0 ] && [ -n "$ops" ] && [ "$(bb_written "$T/blk-rw.img" "$ops")" = ok ]; then
				ok "blk-bench-arm64-randwrite ($ops writes)"
			else
				ko blk-bench-arm64-randwrite "status $rc: $out"
			fi
		else
			ko blk-bench-arm64-build "$(head -3 "$T/bb.err" | tr '\n' '|')"
		fi
	else
		echo "SKIP blk-bench-arm64: no aarch64-linux-gnu-gcc"
	fi
else
	ko blk-bench-build "$(head -3 "$T/bb.err" | tr '\n' '|')"
fi

# --- golden ACPI tables: no byte differs from tests/data/acpi ---
"$ROOT/tests/host/acpi-golden.sh" >"$T/golden" 2>&1
grc=$?
cat "$T/golden"
gpass=$(grep -c '^PASS ' "$T/golden")
gfail=$(grep -c '^FAIL ' "$T/golden")
pass=$((pass + gpass))
fail=$((fail + gfail))
if [ "$grc" -ne 0 ] && [ "$gfail" -eq 0 ]; then
	ko acpi-golden "acpi-golden.sh exited with status $grc"
fi

# --- the nested tests' shell helpers (e2e-lib.sh), the benchmarks' peer
# QEMU (qemu-bundle.sh, when guest-images/fetch-qemu.sh has built it), L1's
# e2fsprogs and socat (l1-tools.sh, when fetch.sh has bundled them), and
# the man page and bash completion against --help (docs.sh) ---
for c in e2e-lib qemu-bundle l1-tools rasdaemon-image kmod-order esp-disk docs; do
	"$ROOT/tests/host/$c.sh" >"$T/$c" 2>&1
	crc=$?
	cat "$T/$c"
	pass=$((pass + $(grep -c '^PASS ' "$T/$c")))
	cfail=$(grep -c '^FAIL ' "$T/$c")
	fail=$((fail + cfail))
	if [ "$crc" -ne 0 ] && [ "$cfail" -eq 0 ]; then
		ko "$c" "$c.sh exited with status $crc"
	fi
done

echo "host: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
