#!/bin/sh
# virtio-mmio block and entropy devices (issue 8); direct boot, 1 vCPU,
# unless noted. The guest boots with root=/dev/vda rw from the ext4 image
# (guest-images/build-disk.sh) through the initramfs, which loads the virtio
# and ext4 modules and switch_roots; a second VMM cannot open that writable
# image; two disks show their sizes, windows (0xa000000 + n*0x200) and serial;
# virtio-rng feeds /dev/hwrng; the guest's drivers negotiated packed rings
# (VIRTIO_F_RING_PACKED) on every device; a file written and synced survives
# a guest reboot, after which the devices work again; back in L1 the file is
# in the image (debugfs) and e2fsck -fn finds it clean; a read-only disk refuses
# writes and its image stays unchanged; a firmware (ACPI) boot with --ras finds
# the disk through LNRO0005, and a write the guest flushed (fsync) survives a
# kill -9 of the VMM right after the guest saw the flush complete. The guest runs e2e-step (guest-images/rootfs).
# E2E-CHECKS: 12
. "${E2E_LIB:-/e2e/lib.sh}"

DISK=${E2E_DISK:-/disk/rootfs.img}
E2FSCK=${E2E_E2FSCK:-/opt/e2fsprogs/bin/e2fsck}
DEBUGFS=${E2E_DEBUGFS:-/opt/e2fsprogs/bin/debugfs}
T=$E2E_TMP
SERIAL=e2e-serial-vdb
# In 512-byte sectors: the 32 MiB root image and the 8 MiB blank second disk.
ROOT_SECTORS=65536
DATA_SECTORS=16384
FILE=/root/e2e-file.txt
TOKEN=e2e-token-$(e2e_now)-$$
CHECKS="virtio-root-boot virtio-disk-locked virtio-two-disks virtio-rng
	virtio-packed-ring virtio-reboot virtio-poweroff virtio-file-in-image
	virtio-fsck-clean virtio-ro-disk virtio-fw-acpi-disk virtio-flush-kill9"

e2e_begin virtio

# step NAME ARGS...: type "e2e-step ARGS..." on guest NAME, wait for its
# "STEP-DONE" line and print the result lines the step printed (without CR
# and anything glued before them). Why a wait failed: $T/NAME.why.
step() {
	local g=$1 off
	shift
	off=$(wc -c <"$T/$g.log")
	: >"$T/$g.why"
	vmm_send "$g" "e2e-step $*" >"$T/$g.why" || return 1
	vmm_expect "$g" "^STEP-DONE $1" 60 >"$T/$g.why" || return 1
	tail -c +$((off + 1)) "$T/$g.log" | tr -d '\r' |
		sed -nE 's/^.*((BLK|RNG|VFEAT|WRITE|READ|RO) )/\1/p'
}

# has TEXT ERE: some line of TEXT matches ERE.
has() { printf '%s\n' "$1" | grep -qE -e "$2"; }

# rng_ok TEXT: the RNG line names virtio_rng and carries 32 bytes, not all 0.
rng_ok() {
	has "$1" '^RNG current=virtio_rng[^ ]* hex=[0-9a-f]{64}$' &&
		! has "$1" '^RNG .* hex=0{64}$'
}

# why_step NAME TEXT: TEXT and the reason a step wait failed, for e2e_fail.
why_step() {
	printf '%s\n%s' "$2" "$(cat "$T/$1.why" 2>/dev/null)"
}

# root_boot NAME TIMEOUT_S: wait for the disk root's readiness line
# ("GUEST-READY ... root=/dev/vda,rw"); fail at once on the initramfs's own
# GUEST-READY (no switch to the disk), a module or root mount failure, or a
# guest panic.
root_boot() {
	local line
	vmm_expect "$1" 'GUEST-READY|GUEST-ROOT-FAIL|GUEST-MODULE-FAIL|Kernel panic' "$2" ||
		return 1
	line=$(vmm_match "$1")
	case $line in
	*GUEST-READY*root=/dev/vda,rw*) return 0 ;;
	esac
	echo "not booted from /dev/vda rw: $(echo "$line" | tr -cd '[:print:]' | cut -c 1-120)"
	e2e_tail "$T/$1.log"
	return 1
}

if [ ! -f "$DISK" ]; then
	for c in $CHECKS; do
		e2e_fail "$c" "no root image $DISK (guest-images/build-disk.sh)"
	done
	e2e_end
	exit 0
fi

# --- root on vda (rw), vdb with a serial, virtio-rng, a reboot ------------
cp "$DISK" "$T/root.img"
rm -f "$T/data.img"
truncate -s 8M "$T/data.img"
G=vrw
wrote=
vmm_start $G run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE root=/dev/vda rw" --memory 256M --cpus 1 \
	--no-firmware --disk "$T/root.img" --disk "$T/data.img,serial=$SERIAL" --rng
if why=$(root_boot $G 120); then
	e2e_pass virtio-root-boot

	# A second VMM must not open the same image for writing (OFD lock):
	# it ends at once with one error line.
	vmm_run_once vlock 30 run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--cmdline "$GUEST_CMDLINE" --memory 128M --cpus 1 --no-firmware \
		--disk "$T/root.img"
	n=$(grep -c '^microvm-ras: error:' "$T/vlock.err")
	if [ "$VMM_RC" != 0 ] && [ "$VMM_RC" -lt 124 ] && [ "$n" = 1 ]; then
		e2e_pass virtio-disk-locked
		grep '^microvm-ras: error:' "$T/vlock.err" | cut -c 1-150 |
			sed "s/^/    [$VMM_RC] /"
	else
		e2e_fail virtio-disk-locked "second VMM on $T/root.img: exit status $VMM_RC, $n error lines, want 1..123 and 1
$(e2e_tail "$T/vlock.err")"
	fi

	out=$(step $G blk)
	if has "$out" "^BLK vda size=$ROOT_SECTORS ro=0 serial=[^ ]+ bus=a000000\." &&
		has "$out" "^BLK vdb size=$DATA_SECTORS ro=0 serial=$SERIAL bus=a000200\."; then
		e2e_pass virtio-two-disks
	else
		e2e_fail virtio-two-disks "$(why_step $G "want vda $ROOT_SECTORS sectors at a000000, vdb $DATA_SECTORS sectors serial=$SERIAL at a000200, got:
$out")"
	fi

	out=$(step $G rng)
	if rng_ok "$out"; then
		e2e_pass virtio-rng
	else
		e2e_fail virtio-rng "$(why_step $G "want current=virtio_rng and 32 bytes, got: $out")"
	fi

	# Linux (>= 5.0) takes VIRTIO_F_RING_PACKED when offered: both disks
	# (id 0x0002) and the rng (0x0004) run packed rings, with the event
	# index and indirect descriptors.
	out=$(step $G vfeat)
	nblk=$(printf '%s\n' "$out" | grep -cE '^VFEAT virtio[0-9]+ id=0x0002 packed=1 event_idx=1 indirect=1$')
	nrng=$(printf '%s\n' "$out" | grep -cE '^VFEAT virtio[0-9]+ id=0x0004 packed=1 ')
	if [ "$nblk" = 2 ] && [ "$nrng" = 1 ] && ! has "$out" '^VFEAT .* packed=0'; then
		e2e_pass virtio-packed-ring
	else
		e2e_fail virtio-packed-ring "$(why_step $G "want 2 disks and 1 rng with packed=1 (disks also event_idx=1 indirect=1), got:
$out")"
	fi

	out=$(step $G write "$FILE" "$TOKEN")
	has "$out" "^WRITE $FILE ok" && wrote=1

	# The step remounts / read-only before the reset (journal flushed).
	vmm_send $G 'e2e-step reboot' >/dev/null
	if why=$(root_boot $G 120); then
		o1=$(step $G read "$FILE")
		o2=$(step $G blk)
		o3=$(step $G rng)
		if [ -n "$wrote" ] && has "$o1" "^READ $FILE $TOKEN\$" &&
			has "$o2" "^BLK vda size=$ROOT_SECTORS ro=0 " &&
			has "$o2" "^BLK vdb size=$DATA_SECTORS ro=0 serial=$SERIAL " &&
			rng_ok "$o3"; then
			e2e_pass virtio-reboot
		else
			e2e_fail virtio-reboot "$(why_step $G "after the reboot (written: ${wrote:-no}), want $TOKEN, both disks, rng; got:
$o1
$o2
$o3")"
		fi
		vmm_send $G 'e2e-step off' >/dev/null
		exit_check $G virtio-poweroff 0 60
	else
		vmm_kill $G
		e2e_fail virtio-reboot "no second boot from /dev/vda: $why"
		e2e_fail virtio-poweroff "no second boot"
	fi
else
	vmm_kill $G
	e2e_fail virtio-root-boot "$why"
	for c in virtio-disk-locked virtio-two-disks virtio-rng virtio-packed-ring \
		virtio-reboot virtio-poweroff; do
		e2e_fail $c "no boot from /dev/vda"
	done
fi

# --- back in L1: the file is in the image, the file system is clean --------
if [ -n "$wrote" ]; then
	got=$("$DEBUGFS" -R "cat $FILE" "$T/root.img" 2>"$T/debugfs.err")
	if [ "$got" = "$TOKEN" ]; then
		e2e_pass virtio-file-in-image
	else
		e2e_fail virtio-file-in-image "debugfs cat $FILE: '$(echo "$got" | head -c 80)', want $TOKEN
$(e2e_tail "$T/debugfs.err")"
	fi
	rc=0
	"$E2FSCK" -fn "$T/root.img" >"$T/fsck.log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		e2e_pass virtio-fsck-clean
	else
		e2e_fail virtio-fsck-clean "e2fsck -fn: status $rc
$(e2e_tail "$T/fsck.log")"
	fi
else
	e2e_fail virtio-file-in-image "the guest wrote no file"
	e2e_fail virtio-fsck-clean "the guest wrote no file"
fi
rm -f "$T/root.img" "$T/data.img"

# --- a read-only disk: the guest sees ro, writes fail, the image is unchanged
G=vro
sum0=$(md5sum <"$DISK")
vmm_start $G run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware \
	--disk "$DISK,ro"
if why=$(vmm_expect_boot $G 120); then
	out=$(step $G rocheck vda)
	vmm_send $G 'e2e-step off' >/dev/null
	rc=0
	vmm_wait $G 60 >"$T/$G.wait" || rc=$?
	sum1=$(md5sum <"$DISK")
	if has "$out" '^RO vda ro=1 mount=ro read=ok raw-write=refused file-write=refused' &&
		[ "$rc" = 0 ] && [ "$sum0" = "$sum1" ]; then
		e2e_pass virtio-ro-disk
	else
		[ "$sum0" = "$sum1" ] && img=unchanged || img=CHANGED
		e2e_fail virtio-ro-disk "$(why_step $G "want ro=1 and writes refused, exit 0, image unchanged; got exit $rc, image $img:
$out")"
	fi
else
	vmm_kill $G
	e2e_fail virtio-ro-disk "no boot: $why"
fi

# --- firmware boot (ACPI): virtio_mmio finds the disk through LNRO0005 -----
G=vfw
rm -f "$T/virtio-vars.fd" "$T/kill.img"
truncate -s 2M "$T/kill.img"
vmm_start $G run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --ras \
	--firmware "$FW_CODE" --vars "$T/virtio-vars.fd" --disk "$DISK,ro" \
	--disk "$T/kill.img"
KTOKEN=flushed-$(e2e_now)-$$
if why=$(vmm_expect_boot $G 400); then
	out=$(step $G blk)
	if has "$out" "^BLK vda size=$ROOT_SECTORS ro=1 serial=[^ ]+ bus=LNRO0005:"; then
		e2e_pass virtio-fw-acpi-disk
	else
		e2e_fail virtio-fw-acpi-disk "$(why_step $G "want vda $ROOT_SECTORS sectors ro on LNRO0005, got:
$out")"
	fi
	# Write at 1 MiB into vdb, fsync (the guest sends FLUSH), and kill -9
	# the VMM as soon as the guest says the flush completed.
	vmm_send $G "printf $KTOKEN | dd of=/dev/vdb bs=512 seek=2048 conv=fsync 2>/dev/null && echo KILL-SYNCED" >/dev/null
	if vmm_expect $G '^KILL-SYNCED' 60 >"$T/$G.why"; then
		kill -KILL "$(cat "$T/$G.pid")"
		vmm_wait $G 30 >/dev/null
		got=$(dd if="$T/kill.img" bs=512 skip=2048 count=1 2>/dev/null | head -c ${#KTOKEN})
		if [ "$got" = "$KTOKEN" ]; then
			e2e_pass virtio-flush-kill9
		else
			e2e_fail virtio-flush-kill9 "after kill -9 the image holds '$got', want $KTOKEN"
		fi
	else
		e2e_fail virtio-flush-kill9 "$(cat "$T/$G.why")"
		vmm_send $G 'e2e-step off' >/dev/null
		vmm_wait $G 60 >/dev/null
	fi
else
	vmm_kill $G
	e2e_fail virtio-fw-acpi-disk "no firmware boot: $why"
	e2e_fail virtio-flush-kill9 "no firmware boot"
fi
rm -f "$T/virtio-vars.fd" "$T/kill.img"
e2e_end
