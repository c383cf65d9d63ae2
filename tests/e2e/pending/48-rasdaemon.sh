#!/bin/sh
# rasdaemon reads our records (issue 9): a 2-vCPU guest booted through edk2
# with --ras from guest-rasdaemon.cpio (guest-images/build-guest-rasdaemon.sh:
# the default root plus Debian 13's rasdaemon 0.8.3, ras-mc-ctl, perl, DBI,
# DBD::SQLite) runs "rasdaemon -f -r", which enables the kernel's ras:*
# tracepoints in its own trace instance and records each event in
# /var/lib/rasdaemon/ras-mc_event.db; ras-mc-ctl reads them back.
#  (a) a corrected memory error at PA 0x50123000 on the polled source: the
#      kernel turns it into ras:mc_event only through ghes_edac, which
#      Debian 12's arm64 kernel does not build (CONFIG_EDAC_GHES is not
#      set); with it (an EDAC mc0 in sysfs) the event must be in
#      "ras-mc-ctl --errors" with that address, without it the check
#      requires the kernel's own record (dmesg) and says so on its line;
#  (b) a recoverable memory error: inject-memory-error mode=hwpoison
#      kind=ao on a page of mca-recover; the guest's memory_failure() traces
#      ras:memory_failure_event, which must appear in --summary (Recovered)
#      and --errors with the page's pfn;
#  (c) an ARM processor error (MPIDR 0x80000001) on the async source:
#      ras:arm_event, in --summary and --errors with that MPIDR.
# Corrected records print at most 2 per 5 s: 6 s between records.
# E2E-CHECKS: 6
# E2E-GUEST-IMAGE: guest-rasdaemon.cpio
# E2E-KERNELS: bookworm (its image adds to the bookworm guest.cpio)
. "${E2E_LIB:-/e2e/lib.sh}"

N=rasd
S=$E2E_TMP/rasd.sock
LOG=$E2E_TMP/$N.log
INITRD=${GUEST_RASDAEMON_INITRD:-/guest/guest-rasdaemon.cpio}

e2e_begin rasdaemon

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>&1; }
guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-60}" >/dev/null
}
# Lines "<prefix>-..." of the log, without carriage returns.
lines() { tr -d '\r' <"$LOG" | grep -a "^$1-" | sed "s/^$1-//"; }
# ras-mc-ctl OPTION, its output prefixed with TAG- (and TAG-RC=status).
mcctl() {
	guest "ras-mc-ctl $1 >/tmp/o 2>&1; echo $2-RC=\$?; sed 's/^/$2-/' /tmp/o" 90
}
page_pa() {
	grep -a "${2:-}MCA-PAGE $1 " "$LOG" | tail -n 1 | sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r'
}

if [ ! -r "$INITRD" ]; then
	for c in rasd-boot rasd-running rasd-ce-memory rasd-ao-memory-failure rasd-arm-event rasd-summary; do
		e2e_fail $c "no $INITRD in L1 (run.sh builds it for a script with E2E-GUEST-IMAGE)"
	done
	e2e_end
	exit 0
fi

vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 2 --ras \
	--firmware "$FW_CODE" --api-socket "$S"
if ! guest_ready_check $N rasd-boot 2 400000 524288 400; then
	for c in rasd-running rasd-ce-memory rasd-ao-memory-failure rasd-arm-event rasd-summary; do
		e2e_fail $c "no guest"
	done
	vmm_kill $N
	e2e_end
	exit 0
fi

# --- rasdaemon up, its tracepoints enabled (it makes its own instance) ---
guest 'mount -t debugfs none /sys/kernel/debug 2>/dev/null; mount -t tracefs none /sys/kernel/tracing 2>/dev/null; rasdaemon -f -r >/tmp/rasd.log 2>&1 & for i in $(seq 30); do e=$(cat /sys/kernel/tracing/instances/rasdaemon/events/ras/arm_event/enable /sys/kernel/debug/tracing/instances/rasdaemon/events/ras/arm_event/enable 2>/dev/null | head -n 1); [ "$e" = 1 ] && [ -s /var/lib/rasdaemon/ras-mc_event.db ] && break; sleep 1; done; sleep 2; echo RASD-PID=$(pidof rasdaemon) ARM-EN=$e MF-EN=$(cat /sys/kernel/tracing/instances/rasdaemon/events/ras/memory_failure_event/enable /sys/kernel/debug/tracing/instances/rasdaemon/events/ras/memory_failure_event/enable 2>/dev/null | head -n 1) EDAC-MC=$(ls -d /sys/devices/system/edac/mc/mc* 2>/dev/null | wc -l); sed "s/^/RASD-LOG-/" /tmp/rasd.log | head -n 30; dmesg -c >/dev/null' 90
if grep -aqE '^RASD-PID=[0-9]+ ARM-EN=1 MF-EN=1 ' "$LOG"; then
	e2e_pass rasd-running
else
	e2e_fail rasd-running "$(grep -a '^RASD-PID=' "$LOG" | tail -n 1 | tr -d '\r') $(lines RASD-LOG | head -n 5 | tr '\n' '|')"
fi
EDAC=$(sed -n 's/^RASD-PID=.* EDAC-MC=\([0-9]*\).*/\1/p' "$LOG" | tr -d '\r' | tail -n 1)

# --- (a) corrected memory error with its location, polled source ---
r1=$(ctl inject-error type=memory source=polled severity=corrected pa=0x50123000 \
	node=1 card=2 module=3 bank=4 device=5 row=0x66 column=0x77 bit-position=9 error-type=2)
guest "for i in \$(seq 30); do dmesg | grep -q 'physical_address: 0x0000000050123000' && break; sleep 1; done; echo CE-DMESG=\$(dmesg | grep -c 'physical_address: 0x0000000050123000'); sleep 2; dmesg -c >/dev/null" 60
mcctl --errors E1
# mc_event lines: "<id> <time> <count> Corrected error(s): ... addr <addr>, grain ..."
ce_addr=$(lines E1 | sed -n 's/.*[Cc]orrected error(s):.* addr \([0-9xa-fA-F]*\),.*/\1/p' | head -n 1)
if [ "${EDAC:-0}" -gt 0 ]; then
	if [ -n "$ce_addr" ] && [ $((ce_addr)) = $((0x50123000)) ]; then
		e2e_pass rasd-ce-memory
	else
		e2e_fail rasd-ce-memory "EDAC mc present, but no mc_event at 0x50123000 (addr '$ce_addr'; reply $r1) $(lines E1 | head -n 4 | tr '\n' '|')"
	fi
elif grep -aq '^CE-DMESG=[1-9]' "$LOG" && lines E1 | grep -q '^No Memory errors\.'; then
	e2e_pass "rasd-ce-memory (kernel without ghes_edac: record seen by the kernel, no mc_event to record)"
else
	e2e_fail rasd-ce-memory "no kernel record for 0x50123000 (reply $r1) $(grep -a '^CE-DMESG=' "$LOG" | tr -d '\r')"
fi
sleep 6

# --- (b) recoverable: a real poisoned page of mca-recover, AO ---
guest 'mkfifo /tmp/f0; mca-recover --pages 2 --wait --survive <>/tmp/f0 >/tmp/m0 2>&1 & sleep 2; sed "s/^/P-/" /tmp/m0'
PA0=$(page_pa 0 P-)
r2=$(ctl inject-memory-error gpa="$PA0" mode=hwpoison kind=ao)
vmm_expect $N "Memory failure: $(printf '%#x' $((PA0 >> 12))): recovery action for .*: Recovered" 60 >/dev/null
guest 'sleep 3'
mcctl --errors E2
mf=$(lines E2 | sed -n 's/.* error: pfn=\([0-9xa-fA-F]*\), page_type=\(.*\), action_result=\(.*\)$/\1 \3/p' | tail -n 1)
mf_pfn=${mf%% *}
if [ -n "$PA0" ] && [ -n "$mf_pfn" ] && [ $((mf_pfn)) = $((PA0 >> 12)) ] &&
	[ "${mf#* }" = Recovered ] && lines E2 | grep -q '^Memory failure events:'; then
	e2e_pass rasd-ao-memory-failure
else
	e2e_fail rasd-ao-memory-failure "PA0=$PA0 reply=$r2 recorded='$mf' $(lines E2 | grep -iE 'memory failure|pfn=' | head -n 3 | tr '\n' '|')"
fi
guest 'echo quit >/tmp/f0; wait'
sleep 6

# --- (c) an ARM processor error on the asynchronous source ---
r3=$(ctl inject-error type=arm source=async severity=corrected mpidr=0x80000001 \
	midr=0x410fd083 error=tlb level=1 operation=3 transaction=1 va=0xffff12345000 pa=0x50001000)
guest "for i in \$(seq 30); do dmesg | grep -q 'section_type: ARM processor error' && break; sleep 1; done; sleep 2; dmesg -c >/dev/null" 60
mcctl --errors E3
if lines E3 | grep -q '^ARM processor events:' &&
	lines E3 | grep -qE '^[0-9]+ .* error: .*mpidr=0x80000001,'; then
	e2e_pass rasd-arm-event
else
	e2e_fail rasd-arm-event "reply $r3; $(lines E3 | grep -iA2 'arm processor' | head -n 4 | tr '\n' '|')"
fi

# --- the summary: both kinds counted, nothing else ---
mcctl --summary SU
if lines SU | grep -q '^ARM processor events summary:' &&
	lines SU | grep -qE 'CPU\(mpidr=0x80000001\) has 1 errors' &&
	lines SU | grep -q '^Memory failure events summary:' &&
	lines SU | grep -qE '^[[:space:]]*Recovered errors: 1$' &&
	lines SU | grep -q '^No PCIe AER errors\.' && grep -aq '^SU-RC=0' "$LOG"; then
	e2e_pass rasd-summary
else
	e2e_fail rasd-summary "$(lines SU | head -n 20 | tr '\n' '|')"
fi

vmm_send $N 'poweroff -f'
vmm_wait $N 60 >/dev/null 2>&1 || vmm_kill $N >/dev/null
e2e_end
