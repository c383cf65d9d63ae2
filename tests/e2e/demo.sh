#!/bin/sh
# Demo (tests/e2e/run.sh --demo): boot the guest through UEFI with RAS on, as
# a user would, stream its console, type a few commands, power off.
. "${E2E_LIB:-/e2e/lib.sh}"

e2e_begin demo
cp "$FW_VARS" "$E2E_TMP/vars.fd"
vmm_start demo run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 2 --ras \
	--firmware "$FW_CODE" --vars "$E2E_TMP/vars.fd"
tail -f "$E2E_TMP/demo.log" &
tailpid=$!

if why=$(vmm_expect_boot demo 300); then
	echo
	e2e_pass demo-boot
	n=0
	for cmd in 'uname -r' 'cat /proc/cmdline' \
		'dmesg | grep -iE "hest|ghes|apei|ras" | head -n 5' \
		'ls /sys/firmware/acpi/tables' \
		'command -v mca-recover'; do
		n=$((n + 1))
		vmm_send demo "$cmd; echo DEMO-STEP-\$((0+$n))"
		vmm_expect demo "^DEMO-STEP-$n" 30 >/dev/null
	done
	vmm_send demo 'poweroff -f'
	echo
	exit_check demo demo-poweroff 0 60
else
	e2e_fail demo-boot "$why"
	vmm_kill demo
fi
sleep 1
kill "$tailpid" 2>/dev/null
stty sane 2>/dev/null
e2e_end
