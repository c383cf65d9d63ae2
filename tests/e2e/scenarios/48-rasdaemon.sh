#!/bin/sh
# rasdaemon reads our records (issue 9): a 2-vCPU guest booted through edk2
# with --ras from guest-rasdaemon.cpio (guest-images/build-guest-rasdaemon.sh:
# the default root plus Debian 13's rasdaemon 0.8.3, ras-mc-ctl, perl, DBI,
# DBD::SQLite) runs "rasdaemon -f -r" with /etc/default/rasdaemon in its
# environment (as Debian's systemd unit does). rasdaemon finds tracefs under
# the debugfs mount ("<debugfs>/tracing"), makes its own instance
# (tracing/instances/rasdaemon), enables the ras:* events there, and only
# after all of them opens /var/lib/rasdaemon/ras-mc_event.db and starts
# reading ("Listening to events"); ras-mc-ctl reads the database back.
#
# rasdaemon 0.8.3 polls access() for up to 30 s for each tracepoint it knows
# that the kernel lacks, before reporting it unsupported. Debian 12's arm64
# kernel lacks ras:extlog_mem_event (x86 only; it comes before
# ras:memory_failure_event) and the eight cxl:* events (after it), so
# unaided it enables memory_failure_event only after ~30 s and listens only
# after ~4.5 min (much longer nested). The first nested run waited 30 s and
# found nothing recorded. rasdaemon therefore runs with LD_PRELOAD
# rasd-nowait.so (guest-images/preload/rasd-nowait.c), which answers
# "exists" at once for an absent event format file: rasdaemon's own open()
# then fails with ENOENT and it prints "Feature G:E not supported on your
# system" without the wait. The rasdaemon binary is Debian's, unchanged.
#
#  (a) a corrected memory error at PA 0x50123000 on the polled source: the
#      kernel turns it into ras:mc_event only through ghes_edac, which
#      Debian 12's arm64 kernel does not build (CONFIG_EDAC_GHES is not
#      set); with it (an EDAC mc0 in sysfs) the event must be in
#      "ras-mc-ctl --errors" with that address. Without it no mc_event can
#      exist; the check then requires the kernel's own record (dmesg) and
#      a working ras-mc-ctl that lists no memory-controller event, and says
#      so on its PASS line;
#  (b) a recoverable memory error: inject-memory-error mode=hwpoison
#      kind=ao on a page of mca-recover; the guest's memory_failure() traces
#      ras:memory_failure_event, which must appear in --errors with the
#      page's pfn and Recovered;
#  (c) an ARM processor error (MPIDR 0x80000001) on the async source:
#      ras:arm_event (6.1 has affinity, mpidr, midr, running_state and
#      psci_state, all rasdaemon 0.8.3 requires; the error-info buffers
#      (pei_len ...) it reads only when present are newer), in --errors
#      with that MPIDR;
#  (d) --summary counts both, and nothing else.
# Every failure prints the guest's state: the instance's enabled events,
# set_event, per-CPU ring-buffer stats, the trace tail, the database's row
# counts, rasdaemon's log and the dmesg tail, as "    rasd: RASD-DIAG-..."
# lines (shown by run.sh, kept in build/e2e/l1.log).
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
# One line of the log matching ERE $1 (the last), without carriage return.
last() { tr -d '\r' <"$LOG" | grep -a -E "$1" | tail -n 1; }

# Guest-side diagnostics: shell functions typed once (each line well under
# busybox's 1024-character line editor); "rd1 TAG; ...; rd4 TAG" print
# RASD-DIAG-TAG lines. The database is only read when it exists and is not empty: DBI
# (like ras-mc-ctl) would create it.
RD_T=/sys/kernel/debug/tracing/instances/rasdaemon
RD_DB=/var/lib/rasdaemon/ras-mc_event.db
RD1='rd1() { echo "RASD-DIAG-$1 pid=$(pidof rasdaemon) up=$(cut -d" " -f1 /proc/uptime) edac_mc=$(ls -d /sys/devices/system/edac/mc/mc* 2>/dev/null | wc -l) debugfs=$(grep -c " debugfs " /proc/mounts)"; ls -l /var/lib/rasdaemon 2>&1 | sed "s|^|RASD-DIAG-$1 ls |"; for f in '$RD_T'/events/ras/*/enable; do e=${f%/enable}; echo "RASD-DIAG-$1 enable ${e##*/}=$(cat $f)"; done; }'
RD2='rd2() { echo "RASD-DIAG-$1 set_event $(cat '$RD_T'/set_event 2>&1 | tr "\n" " ")"; grep -E "entries|overrun|read events" '$RD_T'/per_cpu/cpu*/stats 2>&1 | sed "s|^'$RD_T'/per_cpu/||; s|^|RASD-DIAG-$1 stats |"; tail -n 6 '$RD_T'/trace 2>&1 | sed "s|^|RASD-DIAG-$1 trace |"; }'
RD3='rd3() { [ -s '$RD_DB' ] || { echo "RASD-DIAG-$1 db absent or empty"; return; }; perl -MDBI -e '\''my $p = shift; my $d = DBI->connect("dbi:SQLite:dbname='$RD_DB'", "", "", { PrintError => 0 }) or die "$p db: cannot open\n"; for my $t (qw(mc_event arm_event memory_failure_event non_standard_event)) { my ($n) = $d->selectrow_array("select count(*) from $t"); print "$p db $t=", defined $n ? $n : "no-table", "\n"; }'\'' "RASD-DIAG-$1" 2>&1; }'
RD4='rd4() { tail -n 40 /tmp/rasd.log | sed "s|^|RASD-DIAG-$1 log |"; dmesg | tail -n 12 | sed "s|^|RASD-DIAG-$1 dmesg |"; }'
# show_diag TAG: the guest's state, on our output (indented: run.sh shows it).
show_diag() {
	guest "rd1 $1; rd2 $1; rd3 $1; rd4 $1" 90
	tr -d '\r' <"$LOG" | grep -a "^RASD-DIAG-$1 " | sed 's/^/    rasd: /'
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

guest "$RD1" && guest "$RD2" && guest "$RD3" && guest "$RD4"

# --- rasdaemon up: its events enabled, its database open, listening ---
guest 'mount -t debugfs none /sys/kernel/debug 2>/dev/null; [ -r /etc/default/rasdaemon ] && { set -a; . /etc/default/rasdaemon; set +a; }; t0=$(cut -d. -f1 /proc/uptime); LD_PRELOAD=/usr/lib/microvm-ras/rasd-nowait.so rasdaemon -f -r >/tmp/rasd.log 2>&1 & sleep 1'
guest 'for i in $(seq 240); do grep -q "Listening to events" /tmp/rasd.log && [ -s /var/lib/rasdaemon/ras-mc_event.db ] && break; pidof rasdaemon >/dev/null || break; sleep 1; done; sleep 1; E=/sys/kernel/debug/tracing/instances/rasdaemon/events/ras; echo RASD-PID=$(pidof rasdaemon) LISTEN=$(grep -c "Listening to events" /tmp/rasd.log) SECS=$(( $(cut -d. -f1 /proc/uptime) - t0 )) MC-EN=$(cat $E/mc_event/enable 2>/dev/null) ARM-EN=$(cat $E/arm_event/enable 2>/dev/null) MF-EN=$(cat $E/memory_failure_event/enable 2>/dev/null) EDAC-MC=$(ls -d /sys/devices/system/edac/mc/mc* 2>/dev/null | wc -l) DB=$(stat -c %s /var/lib/rasdaemon/ras-mc_event.db 2>/dev/null); sed -n "s/.*Feature \([^ ]*\) not supported.*/RASD-UNSUPPORTED \1/p" /tmp/rasd.log; dmesg -c >/dev/null' 300
st=$(last '^RASD-PID=')
unsup_list=$(tr -d '\r' <"$LOG" | sed -n 's/^RASD-UNSUPPORTED \([a-z0-9_]*:[a-z0-9_]*\)$/\1/p')
unsup=$(echo "$unsup_list" | sed '/^$/d; s/^/ /' | tr -d '\n')
# Events these checks need must not be among the unsupported ones.
need_unsup=$(echo "$unsup_list" | grep -E '^ras:(mc_event|arm_event|memory_failure_event)$' | tr '\n' ' ')
if echo "$st" | grep -qE '^RASD-PID=[0-9]+ LISTEN=[1-9][0-9]* SECS=[0-9]+ MC-EN=1 ARM-EN=1 MF-EN=1 EDAC-MC=[0-9]+ DB=[1-9]' &&
	[ -z "$need_unsup" ]; then
	e2e_pass "rasd-running (listening after $(echo "$st" | sed 's/.* SECS=\([0-9]*\).*/\1/') s; unsupported by this kernel:${unsup:- none})"
else
	e2e_fail rasd-running "${need_unsup:+rasdaemon says the kernel lacks $need_unsup; }state '${st:-no RASD-PID line}' (want a pid, LISTEN>=1, MC/ARM/MF-EN=1, DB size>0); unsupported:${unsup:- none}; rasdaemon's log in the RASD-DIAG-run lines"
	show_diag run
fi
EDAC=$(echo "$st" | sed -n 's/.* EDAC-MC=\([0-9]*\).*/\1/p')
MF_EN=$(echo "$st" | sed -n 's/.* MF-EN=\([0-9]*\).*/\1/p')
ARM_EN=$(echo "$st" | sed -n 's/.* ARM-EN=\([0-9]*\).*/\1/p')

# --- (a) corrected memory error with its location, polled source ---
r1=$(ctl inject-error type=memory source=polled severity=corrected pa=0x50123000 \
	node=1 card=2 module=3 bank=4 device=5 row=0x66 column=0x77 bit-position=9 error-type=2)
guest "for i in \$(seq 30); do dmesg | grep -q 'physical_address: 0x0000000050123000' && break; sleep 1; done; echo CE-DMESG=\$(dmesg | grep -c 'physical_address: 0x0000000050123000'); sleep 3; dmesg -c >/dev/null" 60
mcctl --errors E1
ce_dmesg=$(last '^CE-DMESG=' | sed 's/^CE-DMESG=//')
# mc_event lines: "<id> <time> <count> Corrected error(s): ... addr <addr>, grain ..."
ce_addr=$(lines E1 | sed -n 's/.*[Cc]orrected error(s):.* addr \([0-9xa-fA-F]*\),.*/\1/p' | head -n 1)
e1_rc=$(lines E1 | sed -n 's/^RC=//p' | tail -n 1)
if [ "${EDAC:-0}" -gt 0 ]; then
	if [ -n "$ce_addr" ] && [ $((ce_addr)) = $((0x50123000)) ]; then
		e2e_pass rasd-ce-memory
	else
		e2e_fail rasd-ce-memory "EDAC mc present, but no mc_event at 0x50123000 (addr '$ce_addr'; CE-DMESG=$ce_dmesg; rc $e1_rc; reply $r1) $(lines E1 | head -n 4 | tr '\n' '|')"
		show_diag ce
	fi
elif [ "${ce_dmesg:-0}" -ge 1 ] && [ "$e1_rc" = 0 ] && lines E1 | grep -q '^No Memory errors\.'; then
	e2e_pass "rasd-ce-memory (no ras:mc_event is possible: this kernel has no ghes_edac, CONFIG_EDAC_GHES off, no EDAC mc; checked: the kernel printed the record at 0x50123000 and ras-mc-ctl --errors lists no memory-controller event)"
elif [ "${ce_dmesg:-0}" -lt 1 ]; then
	e2e_fail rasd-ce-memory "the guest kernel printed no record for 0x50123000 (reply $r1; CE-DMESG=$ce_dmesg)"
	show_diag ce
else
	e2e_fail rasd-ce-memory "kernel record seen (CE-DMESG=$ce_dmesg), no EDAC mc, but ras-mc-ctl --errors (rc '$e1_rc') did not say 'No Memory errors.': $(lines E1 | grep -v '^RC=' | head -n 4 | tr '\n' '|')"
	show_diag ce
fi
sleep 6

# --- (b) recoverable: a real poisoned page of mca-recover, AO ---
guest 'mkfifo /tmp/f0; mca-recover --pages 2 --wait --survive <>/tmp/f0 >/tmp/m0 2>&1 & echo $! >/tmp/m0.pid; sleep 2; sed "s/^/P-/" /tmp/m0'
PA0=$(page_pa 0 P-)
r2=$(ctl inject-memory-error gpa="$PA0" mode=hwpoison kind=ao)
mf_kernel=0
vmm_expect $N "Memory failure: $(printf '%#x' $((PA0 >> 12))): recovery action for .*: Recovered" 60 >/dev/null && mf_kernel=1
guest 'sleep 3'
mcctl --errors E2
mf=$(lines E2 | sed -n 's/.* error: pfn=\([0-9xa-fA-F]*\), page_type=\(.*\), action_result=\(.*\)$/\1 \3/p' | tail -n 1)
mf_pfn=${mf%% *}
if [ -n "$PA0" ] && [ -n "$mf_pfn" ] && [ $((mf_pfn)) = $((PA0 >> 12)) ] &&
	[ "${mf#* }" = Recovered ] && lines E2 | grep -q '^Memory failure events:'; then
	e2e_pass rasd-ao-memory-failure
else
	why=
	[ "$MF_EN" = 1 ] || why="rasdaemon had not enabled ras:memory_failure_event (MF-EN='$MF_EN'); "
	[ "$mf_kernel" = 1 ] || why="${why}the guest kernel printed no 'Memory failure: ... Recovered' line; "
	e2e_fail rasd-ao-memory-failure "${why}PA0=$PA0 reply=$r2 recorded='$mf' rc=$(lines E2 | sed -n 's/^RC=//p' | tail -n 1) $(lines E2 | grep -iE 'memory failure|pfn=|missing|error' | head -n 3 | tr '\n' '|')"
	show_diag ao
fi
# Only mca-recover: a bare "wait" would also wait for rasdaemon, started
# from the same shell, and the guest would answer nothing after it.
guest 'echo quit >/tmp/f0; wait $(cat /tmp/m0.pid)'
sleep 6

# --- (c) an ARM processor error on the asynchronous source ---
r3=$(ctl inject-error type=arm source=async severity=corrected mpidr=0x80000001 \
	midr=0x410fd083 error=tlb level=1 operation=3 transaction=1 va=0xffff12345000 pa=0x50001000)
guest "for i in \$(seq 30); do dmesg | grep -q 'section_type: ARM processor error' && break; sleep 1; done; echo ARM-DMESG=\$(dmesg | grep -c 'section_type: ARM processor error'); sleep 3; dmesg -c >/dev/null" 60
mcctl --errors E3
if lines E3 | grep -q '^ARM processor events:' &&
	lines E3 | grep -qE '^[0-9]+ .* error: .*mpidr=0x80000001,'; then
	e2e_pass rasd-arm-event
else
	why=
	[ "$ARM_EN" = 1 ] || why="rasdaemon had not enabled ras:arm_event (ARM-EN='$ARM_EN'); "
	e2e_fail rasd-arm-event "${why}$(last '^ARM-DMESG=') reply $r3; rc=$(lines E3 | sed -n 's/^RC=//p' | tail -n 1) $(lines E3 | grep -iA2 'arm processor' | head -n 4 | tr '\n' '|')"
	show_diag arm
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
	e2e_fail rasd-summary "$(lines SU | grep -v '^$' | head -n 20 | tr '\n' '|')"
	show_diag sum
fi

vmm_send $N 'poweroff -f'
vmm_wait $N 60 >/dev/null 2>&1 || vmm_kill $N >/dev/null
e2e_end
