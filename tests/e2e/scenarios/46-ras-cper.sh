#!/bin/sh
# Any CPER, to any source (issue 9): a 2-vCPU guest booted through edk2
# with --ras has five GHES sources (SEA 0, SEA 1, async/GPIO 2, polled 3,
# GSIV 4), all registered by Linux without complaint. Through the control
# socket's inject-error: a corrected memory error with location fields on
# the polled source (the guest finds it on its own, within the 1000 ms poll
# interval), a corrected ARM processor error on the async source (GED
# interrupt), and a raw record (a whole Generic Error Status Block, base64,
# as QEMU's inject-ghes-v2-error takes it) on the GSIV source (its SPI in
# the GED's _CRS). The guest kernel prints each one the way
# drivers/firmware/efi/cper*.c does; bad requests get error replies and
# nothing is lost. Linux prints at most 2 corrected records per 5 s and at
# KERN_WARNING (hidden from the console by "quiet"): the checks read the
# guest's dmesg and wait 6 s between records.
# E2E-CHECKS: 7
. "${E2E_LIB:-/e2e/lib.sh}"

N=cper
S=$E2E_TMP/api-cper.sock
LOG=$E2E_TMP/$N.log

e2e_begin ras-cper

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>&1; }
# Run a guest command and wait for its end marker.
guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-60}" >/dev/null
}
rstat() { "$VMM" ctl --api-socket "$S" query-ras 2>/dev/null | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# Wait (in the guest, up to 30 s) for a dmesg line matching ERE $1, then
# print the [Hardware Error] lines prefixed with $2 and clear the ring.
guest_cper() {
	guest "for i in \$(seq 30); do dmesg | grep -qE '$1' && break; sleep 1; done; dmesg | grep -aE 'Hardware Error|GHES' | sed 's/^/$2-/'; dmesg -c >/dev/null" 60
}
# Does the log have a line "$1-...<ERE $2>"?
has() { tr -d '\r' <"$LOG" | grep -a "^$1-" | grep -aqE -e "$2"; }

vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 2 --ras \
	--firmware "$FW_CODE" --api-socket "$S"
if ! guest_ready_check $N cper-boot 2 400000 524288 400; then
	vmm_kill $N
	e2e_end
	exit 0
fi

# --- five sources, none refused (polled needs a non-zero interval; GSIV
# and GPIO register with the HED) ---
# "GHES: Failed to enable APEI firmware first mode." is not counted: Linux
# asks a platform-wide \_SB._OSC for APEI support (apei_osc_setup), which our
# DSDT, like QEMU's virt one, does not have; the GHES sources work without it.
guest 'echo GHES-COUNT=$(ls -d /sys/bus/platform/drivers/GHES/GHES.* | wc -l) GHES-BAD=$(dmesg | grep -iE "GHES.*(unknown notification|poll interval is 0|failed|invalid)" | grep -vc "APEI firmware first mode"); dmesg | grep -iE "GHES.*(unknown notification|poll interval is 0|failed|invalid)" | grep -v "APEI firmware first mode" | sed "s/^/GHES-BADLINE /"; dmesg -c >/dev/null'
if grep -aq 'GHES-COUNT=5 GHES-BAD=0' "$LOG"; then
	e2e_pass cper-five-sources
else
	e2e_fail cper-five-sources "$(grep -a 'GHES-COUNT=' "$LOG" | tail -n 1) $(grep -a GHES-BADLINE "$LOG" | grep -v grep | tr -d "\r" | head -n 3 | tr "\n" " ")"
fi

# --- a corrected memory error with its location, on the polled source ---
r1=$(ctl inject-error type=memory source=polled severity=corrected pa=0x50123000 \
	node=1 card=2 module=3 bank=4 device=5 row=0x66 column=0x77 bit-position=9 error-type=2)
guest_cper 'section_type: memory error' M1
if has M1 'Hardware error from APEI Generic Hardware Error Source: 3$' &&
	has M1 'event severity: corrected' &&
	has M1 'section_type: memory error' &&
	has M1 'physical_address: 0x0000000050123000' &&
	has M1 'node:1 card:2 module:3 bank:4 device:5 row:102 column:119 bit_position:9' &&
	has M1 'error_type: 2, single-bit ECC'; then
	e2e_pass cper-memory-polled
else
	e2e_fail cper-memory-polled "reply: $r1"
	e2e_tail "$LOG"
fi
sleep 6

# --- a corrected ARM processor error (TLB, level 1, data read) on the
# asynchronous source ---
r2=$(ctl inject-error type=arm source=async severity=corrected mpidr=0x80000001 \
	midr=0x410fd083 error=tlb level=1 operation=3 transaction=1 va=0xffff12345000 pa=0x50001000)
guest_cper 'section_type: ARM processor error' A1
if has A1 'Hardware error from APEI Generic Hardware Error Source: 2$' &&
	has A1 'event severity: corrected' &&
	has A1 'section_type: ARM processor error' &&
	has A1 'MIDR: 0x00000000410fd083' &&
	has A1 'Multiprocessor Affinity Register \(MPIDR\): 0x0000000080000001' &&
	has A1 'virtual fault address: 0x0000ffff12345000' &&
	has A1 'physical fault address: 0x0000000050001000'; then
	e2e_pass cper-arm-async
else
	e2e_fail cper-arm-async "reply: $r2"
	e2e_tail "$LOG"
fi
sleep 6

# --- a raw record (corrected memory error, node 7, PA 0x50321000, single-bit
# ECC) on the GSIV source ---
RAW=AgAAAAAAAAAAAAAAmAAAAAIAAAAUEbylZG/eTrhjPoPtfIOxAgAAAAADAAFQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAKQAAAAAAAAAAAAAAAAAAAABAyUAAAAAAAAAAAAAAAAAcAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAAAAAAAAAA==
r3=$(ctl inject-error type=raw source=gsiv raw=$RAW)
guest_cper 'physical_address: 0x0000000050321000' R1
if echo "$r3" | grep -q '"length":172' &&
	has R1 'Hardware error from APEI Generic Hardware Error Source: 4$' &&
	has R1 'event severity: corrected' &&
	has R1 'section_type: memory error' &&
	has R1 'physical_address: 0x0000000050321000' &&
	has R1 'node:7' &&
	has R1 'error_type: 2, single-bit ECC'; then
	e2e_pass cper-raw-gsiv
else
	e2e_fail cper-raw-gsiv "reply: $r3"
	e2e_tail "$LOG"
fi

# --- bad requests: one clear error each, the VMM carries on ---
b1=$(ctl inject-error type=memory source=sci pa=0x50000000); s1=$?
b2=$(ctl inject-error type=raw source=polled raw=not-base64); s2=$?
b3=$(ctl inject-error type=arm source=sea:7); s3=$?
if [ $s1 -eq 1 ] && echo "$b1" | grep -q "'source' must be" &&
	[ $s2 -eq 1 ] && echo "$b2" | grep -q "not valid base64" &&
	[ $s3 -eq 1 ] && echo "$b3" | grep -q "vcpu 7 out of range" &&
	vmm_alive $N; then
	e2e_pass cper-bad-requests
else
	e2e_fail cper-bad-requests "$s1 $b1 / $s2 $b2 / $s3 $b3"
fi

# --- every record written, none dropped or left waiting ---
if [ "$(rstat records_posted)" = 3 ] && [ "$(rstat records_dropped)" = 0 ] &&
	[ "$(rstat records_queued)" = 0 ]; then
	e2e_pass cper-none-lost
else
	e2e_fail cper-none-lost "$(ctl query-ras)"
fi

vmm_send $N 'poweroff -f'
vmm_wait $N 60 >/dev/null 2>&1 || vmm_kill $N >/dev/null
e2e_end
