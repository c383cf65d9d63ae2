#!/bin/sh
# RAS on the virtio-blk I/O path (issue 8): a firmware (ACPI) boot with
# --ras and one blank data disk (vda). The guest's dio-poison
# (guest-images/src/) fills two pinned page buffers and prints their
# physical addresses; the page behind buffer 0 is poisoned on the host with
# "inject-memory-error mode=hwpoison kind=ar", so the guest is not told yet
# (no CPU of the guest touches it: its O_DIRECT write hands the page to the
# device). That write fails with EIO in the guest; the VMM names the page
# and reports it through the asynchronous GHES source; the guest prints the
# record and handles the memory failure; the VMM runs on, a second write
# from the other buffer succeeds (and is in the image), query-ras counts
# errors_ao_io=1, and the guest powers off cleanly.
# E2E-CHECKS: 7
. "${E2E_LIB:-/e2e/lib.sh}"

N=vras
T=$E2E_TMP
S=$T/vras.sock
LOG=$T/$N.log
IMG=$T/vras-data.img
VARS=$T/vras-vars.fd
DATA_SECTORS=16384
CHECKS="vras-write-eio vras-vmm-log vras-guest-ghes vras-carries-on vras-counter
	vras-poweroff"

e2e_begin virtio-ras

ctl() { "$VMM" ctl --api-socket "$S" "$@" 2>/dev/null; }
rstat() { ctl query-ras | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# Run a guest shell command and wait for its end marker.
guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-60}" >/dev/null
}
# PA of dio-poison's buffer $1 ("DIO-BUF i va=0x... pa=0x...").
buf_pa() {
	grep -a "DIO-BUF $1 " "$LOG" | tail -n 1 | sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r'
}
log_size() { wc -c <"$LOG"; }
# Lines of the log after byte offset $1 matching ERE $2, counted.
count_since() { tail -c +$(($1 + 1)) "$LOG" | tr -d '\r' | grep -a -c -E -e "$2"; }
# wait_since MARK ERE TIMEOUT_S: wait until a line after byte MARK matches
# ERE (lines printed before an expected one are not lost, unlike vmm_expect).
wait_since() {
	local i=0
	while [ "$(count_since "$1" "$2")" -lt 1 ]; do
		[ $i -ge $(($3 * 5)) ] && return 1
		sleep 0.2
		i=$((i + 1))
	done
}
# Guest "physical_address: 0x000000005c032000" form of a PA.
pa16() { printf '0x%016x' "$1"; }
fail_rest() {
	for c in $CHECKS; do e2e_fail "$c" "$1"; done
}

rm -f "$IMG" "$VARS"
truncate -s 8M "$IMG"
vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --ras \
	--firmware "$FW_CODE" --vars "$VARS" --api-socket "$S" --disk "$IMG"
if ! why=$(vmm_expect_boot $N 400); then
	vmm_kill $N
	e2e_fail vras-boot "no firmware boot: $why"
	fail_rest "no guest"
	e2e_end
	exit 0
fi
# The virtio modules are loaded by /init; the disk may show a moment later.
guest 'i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done; echo VDA-SIZE=$(cat /sys/block/vda/size 2>/dev/null)'
vmm_send $N 'dio-poison /dev/vda'
if ! grep -aq "^VDA-SIZE=$DATA_SECTORS" "$LOG" ||
	! vmm_expect $N '^DIO-READY|^DIO-ERROR' 60 >/dev/null ||
	! vmm_match $N | grep -q '^DIO-READY'; then
	e2e_fail vras-boot "want vda of $DATA_SECTORS sectors and DIO-READY, got: $(grep -a -E '^VDA-SIZE|^DIO-' "$LOG" | tr -d '\r' | tr '\n' ' ')"
	vmm_kill $N
	fail_rest "no dio-poison"
	e2e_end
	exit 0
fi
PA=$(buf_pa 0)
PFN=$(guest_pfn "$PA")
case $PA in
0x0|'') e2e_fail vras-boot "no physical address for buffer 0: '$PA'"
	vmm_kill $N
	fail_rest "no buffer address"
	e2e_end
	exit 0 ;;
esac
e2e_pass vras-boot

# Poison the page behind buffer 0 for real; "ar": no report until a touch.
mark=$(log_size)
reply=$(ctl inject-memory-error gpa="$PA" mode=hwpoison kind=ar)
sleep 2
told_before=$(count_since "$mark" "Memory failure: $PFN:")

# --- the O_DIRECT write from the poisoned buffer fails with EIO ---------
vmm_send $N 'write 0 0'
if vmm_expect $N '^DIO-WRITE buf=0 ' 60 >/dev/null &&
	vmm_match $N | grep -Eq 'DIO-WRITE buf=0 off=0 ret=-1 errno=EIO([^A-Za-z0-9_]|$)'; then
	e2e_pass vras-write-eio
else
	e2e_fail vras-write-eio "want 'DIO-WRITE buf=0 off=0 ret=-1 errno=EIO', got '$(vmm_match $N)' (inject reply: $reply)"
fi

# --- the VMM found the page on the I/O path and said which --------------
if wait_since "$mark" "memory error \(AO, found on the I/O path\) at guest address $PA" 30 &&
	[ "$(count_since "$mark" "disk '[^']*': a write failed on 1 poisoned guest page")" -ge 1 ]; then
	e2e_pass vras-vmm-log
else
	e2e_fail vras-vmm-log "no I/O-path memory error line for $PA in the VMM log"
	e2e_tail "$LOG"
fi

# --- the guest got the record (asynchronous source) and handled it -------
if wait_since "$mark" "Memory failure: $PFN: " 60 &&
	[ "$told_before" = 0 ] &&
	[ "$(count_since "$mark" 'Hardware Error\]: Hardware error from APEI Generic Hardware Error Source: [0-9]+$')" -ge 1 ] &&
	[ "$(count_since "$mark" 'Hardware Error\]: +section_type: memory error')" -ge 1 ] &&
	[ "$(count_since "$mark" "Hardware Error\]: +physical_address: $(pa16 "$PA")")" -ge 1 ]; then
	e2e_pass vras-guest-ghes
	tail -c +$((mark + 1)) "$LOG" | tr -d '\r' | grep -a -E "Memory failure: $PFN: " |
		head -n 1 | sed 's/^/    /'
else
	e2e_fail vras-guest-ghes "no GHES record / memory failure for $PA ($PFN) in the guest (before the write: $told_before)"
	e2e_tail "$LOG"
fi

# --- everything else carries on: a write from the good buffer -----------
# (result lines are matched up to a word end: the guest kernel's printk may
# land on the same console line)
vmm_send $N 'write 1 4096'
if vmm_expect $N '^DIO-WRITE buf=1 ' 60 >/dev/null &&
	vmm_match $N | grep -Eq 'DIO-WRITE buf=1 off=4096 ret=4096 errno=0([^0-9]|$)' &&
	vmm_alive $N; then
	wrote=1
else
	wrote=
	got=$(vmm_match $N)
fi

# --- the counters ---------------------------------------------------------
Q=$(ctl query-ras)
echo "RAS-STATS $Q"
if [ "$(rstat errors_ao_io)" = 1 ] && [ "$(rstat records_dropped)" = 0 ]; then
	e2e_pass vras-counter
else
	e2e_fail vras-counter "want errors_ao_io=1 records_dropped=0: $Q"
fi

vmm_send $N 'quit'
vmm_expect $N '^DIO-DONE' 30 >/dev/null
vmm_send $N 'poweroff -f'
exit_check $N vras-poweroff 0 60

# The good write is in the image: 4096 bytes of 0xa1 at offset 4096.
if [ -n "$wrote" ] &&
	[ "$(dd if="$IMG" bs=4096 skip=1 count=1 2>/dev/null | od -An -tx1 -v | tr ' ' '\n' | grep -v '^$' | sort -u)" = a1 ]; then
	e2e_pass vras-carries-on
else
	e2e_fail vras-carries-on "want 'DIO-WRITE buf=1 off=4096 ret=4096 errno=0' and 0xa1 at 4096 in the image, got '${got:-the write but not the data}'"
fi
rm -f "$IMG" "$VARS"
e2e_end
