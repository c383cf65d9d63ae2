#!/bin/sh
# Guest reboot (PSCI SYSTEM_RESET): without --no-reboot the VMM resets the VM
# and the guest boots again; with --no-reboot the VMM exits with status 3
# (EXIT_GUEST_RESET, vmm/exit_codes.h).
# E2E-CHECKS: 4
. "${E2E_LIB:-/e2e/lib.sh}"

e2e_begin reboot

vmm_start rb run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware
if guest_ready_check rb reboot-first-boot 1 200000 262144 120; then
	vmm_send rb 'reboot -f'
	if guest_ready_check rb reboot-second-boot 1 200000 262144 120; then
		vmm_send rb 'poweroff -f'
		exit_check rb reboot-poweroff 0 60
	else
		vmm_kill rb
		e2e_fail reboot-poweroff "no second boot"
	fi
else
	vmm_kill rb
	e2e_fail reboot-second-boot "no first boot"
	e2e_fail reboot-poweroff "no first boot"
fi

vmm_start nrb run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware --no-reboot
if why=$(vmm_expect_boot nrb 120); then
	vmm_send nrb 'reboot -f'
	exit_check nrb no-reboot-exit 3 60
else
	vmm_kill nrb
	e2e_fail no-reboot-exit "no boot: $why"
fi
e2e_end
