#!/bin/sh
# Firmware boot from a disk without --kernel (issue 8), as QEMU -M virt with
# a virtio disk: "run --firmware QEMU_EFI.fd --vars VARS --disk esp-disk.img"
# and no --kernel/--initrd/--cmdline, so fw_cfg serves no kernel items.
# edk2 finds the virtio-mmio window in the device tree (VirtioFdtDxe), its
# boot manager finds no \EFI\BOOT\BOOTAA64.EFI on the disk and starts the
# built-in UEFI shell, which runs the ESP's startup.nsh after its 5 s
# countdown: "fs0:\Image initrd=\guest.cpio <GUEST_CMDLINE>"
# (guest-images/build-esp-disk.sh). The guest then says it was booted by
# EFI, from that command line, sees the (read-only) disk as vda, and powers
# off with status 0. Nested TCG firmware boots take minutes: 400 s.
# E2E-CHECKS: 4
# E2E-DISK-IMAGE: esp-disk.img
. "${E2E_LIB:-/e2e/lib.sh}"

ESP=${E2E_ESP_DISK:-/disk/esp-disk.img}
T=$E2E_TMP
G=fwdisk
CHECKS="fwdisk-boot fwdisk-efi fwdisk-vda fwdisk-poweroff"

e2e_begin fw-disk-boot

if [ ! -f "$ESP" ]; then
	for c in $CHECKS; do
		e2e_fail "$c" "no disk image $ESP (guest-images/build-esp-disk.sh)"
	done
	e2e_end
	exit 0
fi

# say NAME CMD TAG TIMEOUT_S: run CMD on the guest shell, which prints a
# line starting with TAG; the line (without CR) on stdout, or why not.
say() {
	vmm_send "$1" "$2" >/dev/null || return 1
	vmm_expect "$1" "^$3 " "$4" || return 1
	vmm_match "$1" | sed "s/^.*\\($3 \\)/\\1/"
}

cp "$FW_VARS" "$T/fwdisk-vars.fd"
# A read-only disk: the firmware and the guest only read it.
vmm_start $G run --firmware "$FW_CODE" --vars "$T/fwdisk-vars.fd" \
	--disk "$ESP,ro" --memory 512M --cpus 1
if why=$(vmm_expect_boot $G 400); then
	# The shell ran startup.nsh (its countdown was on the console) and
	# never came back to a prompt.
	if grep -a -q 'startup.nsh' "$T/$G.log" && ! grep -a -q 'Shell> ' "$T/$G.log"; then
		e2e_pass fwdisk-boot
	else
		e2e_fail fwdisk-boot "GUEST-READY, but no startup.nsh countdown or a shell prompt in the log
$(e2e_tail "$T/$G.log")"
	fi

	# Booted by EFI (runtime services: /sys/firmware/efi), from the
	# command line of startup.nsh (the stub's initrd= is in it).
	out=$(say $G 'echo FWDISK-EFI efi=$([ -d /sys/firmware/efi ] && echo yes || echo no) initrd=$(grep -c "initrd=.guest.cpio" /proc/cmdline)' FWDISK-EFI 30)
	if [ "$out" = "FWDISK-EFI efi=yes initrd=1" ]; then
		e2e_pass fwdisk-efi
	else
		e2e_fail fwdisk-efi "want 'FWDISK-EFI efi=yes initrd=1', got: $out"
	fi

	# The boot disk itself, found again by Linux (virtio_mmio module).
	out=$(say $G 'echo FWDISK-VDA $(cat /sys/block/vda/ro 2>/dev/null || echo none) $(cat /sys/block/vda/size 2>/dev/null || echo 0)' FWDISK-VDA 30)
	sectors=$(( $(stat -c %s "$ESP") / 512 ))
	if [ "$out" = "FWDISK-VDA 1 $sectors" ]; then
		e2e_pass fwdisk-vda
	else
		e2e_fail fwdisk-vda "want 'FWDISK-VDA 1 $sectors' (ro, size), got: $out"
	fi

	vmm_send $G 'poweroff -f' >/dev/null
	exit_check $G fwdisk-poweroff 0 60
else
	vmm_kill $G
	e2e_fail fwdisk-boot "no boot from $ESP: $why"
	for c in fwdisk-efi fwdisk-vda fwdisk-poweroff; do
		e2e_fail $c "no boot from the disk"
	done
fi
rm -f "$T/fwdisk-vars.fd"
e2e_end
