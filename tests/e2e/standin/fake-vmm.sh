#!/bin/sh
# Fake VMM for testing the e2e harness mechanics inside L1 before the real
# VMM works (build-l1.sh --vmm tests/e2e/standin/fake-vmm.sh): it accepts the
# "run" CLI, prints a GUEST-READY line, executes console lines with sh, and
# treats "poweroff -f" / "reboot -f" like PSCI SYSTEM_OFF / SYSTEM_RESET.
# It does not boot anything.
err() { echo "microvm-ras: error: $*" >&2; exit 1; }
[ "$1" = run ] || err "usage: microvm-ras run --kernel Image [options]"
shift
kernel='' initrd='' cpus=1 mem=512M noreboot=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--memory) mem=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--cmdline|--firmware|--vars|--api-socket) shift ;;
	--no-firmware|--ras) ;;
	--no-reboot) noreboot=1 ;;
	*) err "unknown option '$1'" ;;
	esac
	shift
done
[ -r "$kernel" ] || err "cannot open kernel '$kernel'"
[ -c /dev/kvm ] && [ "$(stat -c %t:%T /dev/kvm)" = a:e8 ] || err "no usable /dev/kvm"
magic=$(dd if="$kernel" bs=1 skip=56 count=4 2>/dev/null)
[ "$magic" = "$(printf 'ARM\144')" ] || err "'$kernel' is not an arm64 Image"
[ "$(stat -c %s "$kernel")" -gt 1048576 ] || err "'$kernel' is truncated"
case $cpus in ''|*[!0-9]*|0) err "bad --cpus" ;; esac
[ "$cpus" -le 64 ] || err "bad --cpus"
mb=${mem%M}
case $mb in ''|*[!0-9]*|0) err "bad --memory" ;; esac
[ -z "$initrd" ] || [ "$(stat -c %s "$initrd")" -lt $((mb * 1048576 / 2)) ] ||
	err "initrd larger than RAM"
sleep 1
echo "GUEST-READY nproc=$cpus mem_kb=$((mb * 1024 - 25000))"
while read -r line; do
	case $line in
	'poweroff -f') exit 0 ;;
	'reboot -f') [ -n "$noreboot" ] && exit 3 # EXIT_GUEST_RESET
		sleep 1
		echo "GUEST-READY nproc=$cpus mem_kb=$((mb * 1024 - 25000))" ;;
	*) sh -c "$line" ;;
	esac
done
exit 3
