#!/bin/sh
# Hostile guest (issue 12): a guest program (guest-images/src/hostile.c)
# attacks the VMM through /dev/mem (iomem=relaxed) in one firmware boot with
# a disk and the rng, no guest virtio drivers bound (e2e.nomodules): random
# accesses of every size, unaligned and as load/store pairs KVM cannot
# decode, to every device window and to holes of the memory map; malformed
# virtqueues on virtio-blk (tables and buffers outside RAM or wrapping the
# address space, loops, out-of-range heads and nexts, an avail index jump,
# the status in a read-only descriptor, bad indirect tables), each of which
# must be refused (NEEDS_RESET or an error status, never "done"), with a
# valid read of the disk before and after; malformed fw_cfg DMA descriptors,
# each answered with the error bit (or, where QEMU's fw_cfg does so, as a no-op). The VMM survives all of it with its
# warnings rate-limited, the guest stays responsive and powers off cleanly.
# E2E_SOAK_HOSTILE_ACCESSES random accesses (default 3000).
# E2E-CHECKS: 7
. "${E2E_LIB:-/e2e/lib.sh}"

N=hostile
T=$E2E_TMP
LOG=$T/$N.log
DISK=$T/hostile-disk.img
VARS=$T/hostile-vars.fd
NACC=${E2E_SOAK_HOSTILE_ACCESSES:-3000}

e2e_begin hostile

guest() {
	E2E_STEP=$((${E2E_STEP:-0} + 1))
	vmm_send $N "$1; echo STEP-END-\$((0+$E2E_STEP))"
	vmm_expect $N "^STEP-END-$E2E_STEP" "${2:-120}" >/dev/null
}
lines() { tr -d '\r' <"$LOG" | grep -a -E -e "$1"; }

dd if=/dev/zero of="$DISK" bs=1M count=1 2>/dev/null
printf 'HOSTILE-DISK-SECTOR-0' | dd of="$DISK" conv=notrunc 2>/dev/null
rm -f "$VARS"
vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE iomem=relaxed e2e.nomodules" --memory 256M --cpus 1 \
	--firmware "$FW_CODE" --vars "$VARS" --disk "$DISK" --rng
if ! why=$(vmm_expect_boot $N 400); then
	e2e_fail hostile-boot "$why"
	vmm_kill $N
	e2e_end
	exit 0
fi
e2e_pass hostile-boot

# 1. Wild accesses, while a second guest process keeps a heartbeat (one
# tick a second into /tmp/hb): the heartbeat must go on during and after.
guest '(i=0; while :; do i=$((i+1)); echo $i >/tmp/hb; sleep 1; done) >/dev/null 2>&1 & true'
t0=$(e2e_now)
ok=
guest "hostile wild 12345 $NACC" 1800 && lines '^HOSTILE-WILD ' >/dev/null && vmm_alive $N && ok=1
secs=$(e2e_secs "$t0")
guest 'echo HB-A $(cat /tmp/hb); sleep 2; echo HB-B $(cat /tmp/hb)'
hba=$(lines '^HB-A ' | tail -n 1 | cut -d' ' -f2)
hbb=$(lines '^HB-B ' | tail -n 1 | cut -d' ' -f2)
echo "# hostile wild: $(lines '^HOSTILE-WILD ' | tail -n 1) in ${secs}s, heartbeat ${hba:-?} -> ${hbb:-?}"
if [ -n "$ok" ] && [ "${hba:-0}" -ge 2 ] && [ "${hbb:-0}" -gt "${hba:-0}" ]; then
	e2e_pass hostile-wild
else
	e2e_fail hostile-wild "heartbeat ${hba:-?} -> ${hbb:-?}; $(lines 'HOSTILE' | tail -n 3)"
fi

# 2. Malformed virtqueues: every case refused, valid reads before and after.
guest "hostile virtio" 300
bad=$(lines '^HOSTILE-VQ case=' | grep -v 'case=before\|case=after' |
	grep -v 'needs_reset=1' | grep -v 'status=[12] ' || true)
lines '^HOSTILE-VQ ' | sed 's/^/# /'
ncase=$(lines '^HOSTILE-VQ case=' | grep -vc 'case=before\|case=after' || true)
if [ "$ncase" -ge 11 ] && [ -z "$bad" ] && vmm_alive $N; then
	e2e_pass hostile-virtqueue
else
	e2e_fail hostile-virtqueue "cases=$ncase accepted or lost: $bad $(lines 'HOSTILE-ERROR' | tail -n 2)"
fi
if [ "$(lines '^HOSTILE-VALID-READ .*ok=1' | wc -l)" = 2 ]; then
	e2e_pass hostile-virtio-recovers
else
	e2e_fail hostile-virtio-recovers "$(lines 'HOSTILE-VALID-READ' | tr '\n' ' ')"
fi

# 3. fw_cfg DMA: the valid read gives the signature; reads outside RAM,
# wrapping or crossing its end and a write to a read-only item get the error
# bit (control 0x1); no known operation bit, or a missing item (read as
# zeros), complete without error, as QEMU's fw_cfg does.
guest "hostile fwcfg" 120
fbad=
for c in read-outside-ram read-wraps read-crosses-ram-end write-readonly-item; do
	lines "^HOSTILE-FWCFG case=$c control=0x1\$" >/dev/null || fbad="$fbad $c"
done
for c in valid-signature unknown-control-bits select-missing-item; do
	lines "^HOSTILE-FWCFG case=$c control=0x0\$" >/dev/null || fbad="$fbad $c"
done
if [ -z "$fbad" ] && lines '^HOSTILE-FWCFG-SIG QEMU' >/dev/null &&
	lines '^HOSTILE-FWCFG case=descriptor-outside-ram' >/dev/null && vmm_alive $N; then
	e2e_pass hostile-fwcfg-dma
else
	e2e_fail hostile-fwcfg-dma "wrong:$fbad; $(lines 'HOSTILE-FWCFG|HOSTILE-ERROR' | tr '\n' ' ')"
fi

# 4. Warnings rate-limited: far fewer lines than bad accesses, and the
# limiter said so.
nwarn=$(lines '^microvm-ras: warning: ' | wc -l)
if [ "$nwarn" -lt $((NACC / 4 + 100)) ] && lines 'similar messages suppressed' >/dev/null; then
	echo "# hostile: $nwarn VMM warning lines for $NACC wild accesses"
	e2e_pass hostile-warnings-ratelimited
else
	e2e_fail hostile-warnings-ratelimited "$nwarn warning lines for $NACC accesses"
fi

# 5. Still a working guest: it answers and powers off with status 0.
if guest 'echo HOSTILE-ALIVE $(cat /proc/uptime)' 60; then
	vmm_send $N 'poweroff -f'
	exit_check $N hostile-poweroff 0 120
else
	e2e_fail hostile-poweroff "guest does not answer after the attacks"
	vmm_kill $N
fi
e2e_end
