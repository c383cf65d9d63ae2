#!/bin/sh
# Demo (tests/e2e/run.sh --demo): what microvm-ras is for. Boot a 2-vCPU
# guest through stock edk2 with --ras, run mca-recover in it, poison the
# host page behind one of its pages for real (MADV_HWPOISON through the
# control socket), let the program touch it, and show the guest's APEI/GHES
# report and its recovery; then the VMM's RAS counters.
. "${E2E_LIB:-/e2e/lib.sh}"

N=demo
S=$E2E_TMP/demo.sock
e2e_begin demo
vmm_start $N run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 2 --ras \
	--firmware "$FW_CODE" --api-socket "$S"
tail -f "$E2E_TMP/$N.log" &
tailpid=$!

if why=$(vmm_expect_boot $N 300); then
	e2e_pass demo-boot
	vmm_send $N 'mca-recover --pages 1 --wait'
	vmm_expect $N '^MCA-READY' 60 >/dev/null
	pa=$(grep -a 'MCA-PAGE 0 ' "$E2E_TMP/$N.log" | tail -n 1 |
		sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/' | tr -d '\r')
	echo
	echo "=== demo: poisoning guest page $pa (host MADV_HWPOISON), then mca-recover touches it"
	"$VMM" ctl --api-socket "$S" inject-memory-error gpa="$pa" mode=hwpoison kind=ar
	vmm_send $N 'touch'
	if vmm_expect $N 'MCA-RECOVERED page=0 .*BUS_MCEERR_AR' 60 >/dev/null; then
		e2e_pass demo-recovered
	else
		e2e_fail demo-recovered "mca-recover did not report a recovery"
	fi
	vmm_expect $N '^MCA-DONE' 30 >/dev/null
	vmm_send $N 'echo guest still alive: $(uptime)'
	sleep 3
	echo
	echo "=== demo: VMM RAS counters"
	"$VMM" ctl --api-socket "$S" query-ras
	vmm_send $N 'poweroff -f'
	exit_check $N demo-poweroff 0 60
else
	e2e_fail demo-boot "$why"
	vmm_kill $N
fi
kill "$tailpid" 2>/dev/null
e2e_end
