#!/bin/sh
# Persistent variable store host faults (issue 12, defect 5): a missing
# --vars file is created whole (64 MiB, no temporary left), a second VMM on
# the same file is refused with one error line while the first keeps
# running, a clean poweroff releases the lock so the next VMM boots from the
# same store, and a store truncated under a running VM never kills the VMM
# with SIGBUS (the guest's flash writes fail with CFI status errors; a guest
# read of the cut part may stop the VM with one error line).
# E2E-CHECKS: 6
. "${E2E_LIB:-/e2e/lib.sh}"

e2e_begin varstore

T=$E2E_TMP
V=$T/vs-vars.fd
rm -f "$V" "$V".new-*

# --- first start: the store is created whole -----------------------------
vmm_start vsa run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --firmware "$FW_CODE" --vars "$V"
if why=$(vmm_expect_boot vsa 400); then
	size=$(stat -c %s "$V" 2>/dev/null)
	left=$(ls "$V".new-* 2>/dev/null | wc -l)
	if [ "$size" = 67108864 ] && [ "$left" = 0 ]; then
		e2e_pass varstore-created
	else
		e2e_fail varstore-created "size '$size' (want 67108864), $left temporary files left"
	fi
else
	e2e_fail varstore-created "no boot: $why"
fi

# --- a second VMM on the same store: one line, non-zero, first unharmed ---
vmm_run_once vsb 60 run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --firmware "$FW_CODE" --vars "$V"
lines=$(wc -l <"$T/vsb.err")
if [ "$VMM_RC" != 0 ] && [ "$VMM_RC" != 124 ] && [ "$lines" = 1 ] &&
	grep -q "^microvm-ras: error: variable store '.*' is in use by another VM$" "$T/vsb.err"; then
	e2e_pass varstore-second-vmm-refused
else
	e2e_fail varstore-second-vmm-refused "status $VMM_RC, $lines stderr lines: $(head -3 "$T/vsb.err" | tr '\n' '|')"
fi
vmm_send vsa 'echo VARS-ALIVE-$((6*7))' >/dev/null
if vmm_expect vsa '^VARS-ALIVE-42' 30 >"$T/vsa.why"; then
	e2e_pass varstore-first-vmm-alive
else
	e2e_fail varstore-first-vmm-alive "$(cat "$T/vsa.why")"
fi
vmm_send vsa 'poweroff -f' >/dev/null
exit_check vsa varstore-clean-exit 0 60

# --- the lock went with the first VMM: the same store boots again ---------
vmm_start vsc run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --firmware "$FW_CODE" --vars "$V"
if why=$(vmm_expect_boot vsc 400); then
	e2e_pass varstore-second-boot
	# --- the store cut to nothing under the running VM, then a reboot:
	# the firmware reads and writes variables again. Whatever the guest
	# makes of it, no SIGBUS death: either it keeps running, or the VMM
	# ends with an error status (not a signal) and says why.
	truncate -s 0 "$V"
	vmm_send vsc 'reboot -f' >/dev/null
	vmm_expect vsc 'GUEST-READY|Shell> |KVM_RUN failed|SIGBUS' 300 >/dev/null
	sleep 2
	if vmm_alive vsc; then
		rc=alive
		vmm_kill vsc
	else
		rc=0
		vmm_wait vsc 10 >/dev/null || rc=$?
	fi
	if grep -q SIGBUS "$T/vsc.log"; then
		e2e_fail varstore-truncated-no-sigbus "SIGBUS in the log (status $rc)" "$(e2e_tail "$T/vsc.log")"
	elif [ "$rc" != alive ] && [ "$rc" -ge 128 ]; then
		e2e_fail varstore-truncated-no-sigbus "killed by signal $((rc - 128))" "$(e2e_tail "$T/vsc.log")"
	else
		e2e_pass varstore-truncated-no-sigbus
	fi
	# For the record: what the VMM said.
	grep -a -E 'cfi_flash|variable store|KVM_RUN' "$T/vsc.log" | head -5 | sed 's/^/VARSTORE-LOG /'
	echo "VARSTORE-TRUNCATED outcome: $rc"
else
	vmm_kill vsc
	e2e_fail varstore-second-boot "no boot: $why"
	e2e_fail varstore-truncated-no-sigbus "no boot"
fi
rm -f "$V" "$V".new-*
e2e_end
