#!/bin/sh
# ACPI EINJ (issue 9): a guest booted through stock edk2 with --ras finds
# our EINJ table, and the kernel's own einj module drives it through
# /sys/kernel/debug/apei/einj/ as on a real server:
#  - memory uncorrectable non-fatal (0x10) at a page of mca-recover: the
#    VMM poisons the host page for real, the process touches it and gets
#    BUS_MCEERR_AR and recovers (the SIGBUS -> CPER -> SEA path);
#  - memory correctable (0x8): a corrected record on the GPIO-notified
#    source, the page stays good;
#  - types not offered and addresses outside RAM are refused, the VMM lives;
#  - memory uncorrectable fatal (0x20): a fatal record, the guest panics.
# E2E-CHECKS: 8
. "${E2E_LIB:-/e2e/lib.sh}"

N=einj
S=$E2E_TMP/einj.sock
LOG=$E2E_TMP/$N.log
D=/sys/kernel/debug/apei/einj

e2e_begin einj

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>/dev/null; }
guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-60}" >/dev/null
}
# PA of the last "<prefix>MCA-PAGE <i> ..." line of the log.
page_pa() {
	grep -a "${2:-}MCA-PAGE $1 " "$LOG" | tail -n 1 | sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r'
}
# EINJ of type $1 at guest physical address $2, the way ras-tools and the
# kernel documentation do it; prints INJ-<tag>-OK or INJ-<tag>-FAIL.
einj() {
	guest "echo $1 > $D/error_type && echo $2 > $D/param1 && echo 0xfffffffffffff000 > $D/param2 && echo 1 > $D/error_inject && echo INJ-$3-OK || echo INJ-$3-FAIL"
}
pa16() { printf '0x%016x' "$1"; }

vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 2 --ras \
	--firmware "$FW_CODE" --api-socket "$S"
if ! guest_ready_check $N einj-boot 2 400000 524288 400; then
	vmm_kill $N
	e2e_end
	exit 0
fi

# --- the table and the kernel's driver ---
guest "insmod /lib/modules/extra/einj.ko; mount -t debugfs none /sys/kernel/debug; echo EINJ-TABLE=\$(test -r /sys/firmware/acpi/tables/EINJ && echo yes) EINJ-INIT=\$(dmesg | grep -c 'EINJ: Error INJection is initialized') EINJ-PARAM1=\$(test -e $D/param1 && echo yes); sed 's/^/AVAIL-/' $D/available_error_type"
if grep -aq 'EINJ-TABLE=yes EINJ-INIT=1 EINJ-PARAM1=yes' "$LOG" &&
	grep -aq '^AVAIL-0x00000008' "$LOG" && grep -aq '^AVAIL-0x00000010' "$LOG" &&
	grep -aq '^AVAIL-0x00000020' "$LOG"; then
	e2e_pass einj-driver-initialised
else
	e2e_fail einj-driver-initialised "$(grep -a 'EINJ-TABLE=' "$LOG" | tail -n 1) $(grep -a -i 'einj' "$LOG" | tail -n 3 | tr '\n' ' ')"
fi

# --- uncorrectable non-fatal: real poison, the process recovers ---
guest 'mkfifo /tmp/f0; mca-recover --pages 2 --wait --survive <>/tmp/f0 >/tmp/m0 2>&1 & sleep 2; sed "s/^/P-/" /tmp/m0'
PA0=$(page_pa 0 P-)
PA1=$(page_pa 1 P-)
einj 0x10 "$PA0" uc
guest 'echo touch 0 >/tmp/f0; sleep 3; sed "s/^/R-/" /tmp/m0'
if grep -aq '^INJ-uc-OK' "$LOG" &&
	grep -aqE '^R-MCA-RECOVERED page=0 .*si_code=BUS_MCEERR_AR' "$LOG" &&
	grep -aq "physical_address: $(pa16 "$PA0")" "$LOG" &&
	grep -aq "Memory failure: $(guest_pfn "$PA0"): recovery action for dirty LRU page: Recovered" "$LOG"; then
	e2e_pass einj-uc-recovered
else
	e2e_fail einj-uc-recovered "PA0=$PA0: $(grep -a '^INJ-uc-' "$LOG" | tail -n 1) $(grep -a '^R-MCA' "$LOG" | tr '\n' ' ')"
	e2e_tail "$LOG"
fi

# --- correctable: a corrected record, the page stays good ---
einj 0x8 "$PA1" ce
guest "sleep 2; echo touch 1 >/tmp/f0; sleep 1; sed 's/^/C-/' /tmp/m0; echo CE-SEV=\$(dmesg | grep -c 'event severity: corrected') CE-PA=\$(dmesg | grep -c 'physical_address: $(pa16 "$PA1")')"
if grep -aq '^INJ-ce-OK' "$LOG" && grep -aq '^C-MCA-OK page=1' "$LOG" &&
	grep -aqE '^CE-SEV=[1-9][0-9]* CE-PA=[1-9]' "$LOG"; then
	e2e_pass einj-corrected-record
else
	e2e_fail einj-corrected-record "PA1=$PA1: $(grep -a '^INJ-ce-' "$LOG" | tail -n 1) $(grep -a '^CE-SEV' "$LOG" | tail -n 1)"
	grep -a 'microvm-ras:' "$LOG" | tail -n 20 | sed 's/^/    vmm: /'
	e2e_tail "$LOG"
fi
guest 'echo quit >/tmp/f0; wait'

# --- processor correctable (0x1) on vCPU 1 (param1 is the processor's
# ACPI UID): an ARM processor error record naming MPIDR 0x80000001 ---
einj 0x1 1 proc
guest "sleep 2; echo PROC-SEC=\$(dmesg | grep -c 'section_type: ARM processor error') PROC-MPIDR=\$(dmesg | grep -ci 'MPIDR.*0x0*80000001')"
if grep -aq '^INJ-proc-OK' "$LOG" && grep -aqE '^PROC-SEC=[1-9][0-9]* PROC-MPIDR=[1-9]' "$LOG"; then
	e2e_pass einj-processor-record
else
	e2e_fail einj-processor-record "$(grep -a '^INJ-proc-' "$LOG" | tail -n 1) $(grep -a '^PROC-SEC' "$LOG" | tail -n 1)"
fi

# --- refused: a type not offered (processor fatal), an address outside RAM ---
einj 0x4 1 procfatal
einj 0x10 0x1000 lowaddr
if grep -aq '^INJ-procfatal-FAIL' "$LOG" && grep -aq '^INJ-lowaddr-FAIL' "$LOG" &&
	ctl query-vm | grep -q '"return"'; then
	e2e_pass einj-refusals
else
	e2e_fail einj-refusals "$(grep -a -E '^INJ-(procfatal|lowaddr)-' "$LOG" | tr '\n' ' ')"
fi

# --- the device's counters (query-vm devices): three injections done ---
Q=$(ctl query-vm)
echo "EINJ-QUERY $Q"
if echo "$Q" | tr -d ' \n' | grep -q '"name":"einj"[^}]*"injected":3'; then
	e2e_pass einj-counters
else
	e2e_fail einj-counters "query-vm: $Q"
fi

# --- fatal: the guest panics, as on real hardware ---
guest 'mkfifo /tmp/f1; mca-recover --pages 1 --wait <>/tmp/f1 >/tmp/m1 2>&1 & sleep 2; sed "s/^/F-/" /tmp/m1'
PAF=$(page_pa 0 F-)
vmm_send $N "echo 0x20 > $D/error_type; echo $PAF > $D/param1; echo 0xfffffffffffff000 > $D/param2; echo 1 > $D/error_inject"
if vmm_expect $N 'Kernel panic - not syncing: .*Fatal hardware error' 60 >/dev/null; then
	e2e_pass einj-fatal-panics
else
	e2e_fail einj-fatal-panics "no fatal-error panic for $PAF"
	e2e_tail "$LOG"
fi
vmm_kill $N >/dev/null
e2e_end
