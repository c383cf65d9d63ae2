#!/bin/sh
# Direct boot (--no-firmware) of the guest with 1 and 2 vCPUs: the guest
# reports its CPU count and RAM, console input reaches the guest shell, and
# PSCI SYSTEM_OFF ("poweroff -f") ends the VMM with status 0.
# E2E-CHECKS: 5
. "${E2E_LIB:-/e2e/lib.sh}"

# 256 MiB of RAM: MemTotal is below it (kernel image, reserved memory).
MEM_LO=200000
MEM_HI=262144

e2e_begin boot

boot_test() {
	local cpus=$1 name=boot$1
	vmm_start "$name" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--cmdline "$GUEST_CMDLINE" --memory 256M --cpus "$cpus" --no-firmware
	if ! guest_ready_check "$name" "boot-${cpus}cpu" "$cpus" $MEM_LO $MEM_HI 120; then
		vmm_kill "$name"
		e2e_fail "poweroff-${cpus}cpu" "guest did not boot"
		return 1
	fi
	if [ "$cpus" = 1 ]; then
		# The tty echoes the typed text literally; only the shell's
		# expansion prints hello-42.
		vmm_send "$name" 'echo hello-$((6*7))'
		if why=$(vmm_expect "$name" 'hello-42' 30); then
			e2e_pass console-input
		else
			e2e_fail console-input "$why"
		fi
	fi
	vmm_send "$name" 'poweroff -f'
	exit_check "$name" "poweroff-${cpus}cpu" 0 60
}

boot_test 1
boot_test 2
e2e_end
