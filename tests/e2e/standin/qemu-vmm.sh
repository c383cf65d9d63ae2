#!/bin/sh
# Stand-in for build/microvm-ras while the VMM is being written: accepts the
# same "run" CLI and runs the guest under qemu-system-aarch64 (TCG on the x86
# host) with the console on stdio, so lib.sh and the guest image can be tested
# without nesting. Error behaviour is approximated, not the VMM's; --disk,
# --rng and --net map to QEMU's virtio-mmio devices (QEMU gives the first device the
# highest window, so the windows differ from microvm-ras's 0xa000000 + n*0x200);
# --console virtio puts stdin/stdout on a virtconsole (virtio-serial, so with
# MULTIPORT) and appends the PL011's output to stdout.
# Inside L1 the benchmarks use it as the peer VMM (/e2e/qemu-vmm, see
# guest-images/build-l1.sh --qemu) with QEMU=/opt/qemu/bin/qemu-system-aarch64
# (default: qemu-system-aarch64 from PATH) and QEMU_ACCEL=kvm, which runs the
# guest with "-accel kvm -cpu host" instead of TCG's "-cpu max". QEMU takes
# this script's pid (exec), so /proc/$!/ of the caller is QEMU's.
# For the benchmarks' device figures: QEMU_DRIVE_OPTS (e.g.
# "cache=writeback,aio=io_uring") is appended to every -drive, and
# QEMU_MMIO_MODERN=1 gives "-global virtio-mmio.force-legacy=false" (QEMU's
# virtio-mmio is legacy, version 1, unless told; microvm-ras's is modern).
err() { echo "microvm-ras: error: $*" >&2; exit 1; }
[ "$1" = run ] || err "usage: microvm-ras run --kernel Image [options]"
shift
kernel='' initrd='' cmdline='' mem=512M cpus=1 fw=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
noreboot='' ras='' devs='' nd=0 nn=0 serial='-serial stdio'
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--cmdline) cmdline=$2; shift ;;
	--memory) mem=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--no-firmware) fw= ;;
	--firmware) fw=$2; shift ;;
	--vars|--api-socket) shift ;;
	--no-reboot) noreboot=-no-reboot ;;
	--ras) ras=,ras=on ;;
	--disk)
		nd=$((nd + 1))
		path=${2%%,*} drv='' dev=''
		[ "$path" = "$2" ] && opts='' || opts=${2#*,}
		for o in $(echo "$opts" | tr ',' ' '); do
			case $o in
			ro) drv=$drv,readonly=on ;;
			direct) drv=$drv,cache.direct=on ;;
			serial=*) dev=$dev,$o ;;
			*) err "bad --disk option '$o'" ;;
			esac
		done
		devs="$devs -drive file=$path,if=none,id=vd$nd,format=raw$drv${QEMU_DRIVE_OPTS:+,$QEMU_DRIVE_OPTS}"
		devs="$devs -device virtio-blk-device,drive=vd$nd$dev"
		shift ;;
	--rng) devs="$devs -device virtio-rng-device" ;;
	--console)
		case $2 in
		pl011) serial='-serial stdio' ;;
		virtio) serial='-chardev file,id=ser0,path=/dev/stdout,append=on -serial chardev:ser0
			-chardev stdio,id=con0 -device virtio-serial-device
			-device virtconsole,chardev=con0' ;;
		*) err "invalid --console '$2' (expected pl011 or virtio)" ;;
		esac
		shift ;;
	--net)
		nn=$((nn + 1))
		tap='' mac=''
		for o in $(echo "$2" | tr ',' ' '); do
			case $o in
			tap=*) tap=${o#tap=} ;;
			mac=*) mac=,$o ;;
			*) err "unknown --net option '$o'" ;;
			esac
		done
		[ -n "$tap" ] || err "--net '$2' has no tap="
		devs="$devs -netdev tap,id=net$nn,ifname=$tap,script=no,downscript=no"
		devs="$devs -device virtio-net-device,netdev=net$nn$mac"
		shift ;;
	*) err "unknown option '$1'" ;;
	esac
	shift
done
[ -r "$kernel" ] || err "cannot open kernel '$kernel'"
case $cpus in ''|*[!0-9]*|0) err "bad --cpus '$cpus'" ;; esac
[ "$cpus" -le 8 ] || err "bad --cpus '$cpus'"
case $mem in 0|0[MG]) err "bad --memory '$mem'" ;; esac
case ${QEMU_ACCEL:-tcg} in
kvm) accel='-accel kvm -cpu host' ;;
tcg) accel='-cpu max' ;;
*) err "bad QEMU_ACCEL '$QEMU_ACCEL' (kvm or tcg)" ;;
esac
exec "${QEMU:-qemu-system-aarch64}" -M virt,gic-version=3$ras $accel -smp "$cpus" -m "$mem" \
	-display none $serial -nodefaults $noreboot \
	${QEMU_MMIO_MODERN:+-global virtio-mmio.force-legacy=false} \
	${fw:+-bios "$fw"} -kernel "$kernel" ${initrd:+-initrd "$initrd"} \
	${cmdline:+-append "$cmdline"} $devs
