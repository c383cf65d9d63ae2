#!/bin/sh
# Lean VMM (issue 10): --trace-boot prints every boot and poweroff step in
# order, the kernel is re-read at a reboot (the second boot's steps appear
# and the guest boots again), and the VMM holds no copy of the kernel: its
# peak RSS minus the guest RAM it touched and its file-backed pages stays
# below the Image's size (a copy alone would exceed it), for direct boot
# and for firmware boot with --ras. Figures are printed, times never
# asserted.
# E2E-CHECKS: 6
. "${E2E_LIB:-/e2e/lib.sh}"

e2e_begin lean

# trace_ms NAME STEP [N]: the ms of the Nth (default 1st) STEP line.
trace_ms() {
	grep -a "^trace-boot: .* $2\$" "$E2E_TMP/$1.log" | sed -n "${3:-1}p" |
		sed 's/^trace-boot: +[ ]*\([0-9.]*\) ms.*/\1/'
}

# overhead NAME MEMORY_KB: VmHWM - guest RAM Rss - RssFile, in kB (the
# file-backed pages, e.g. the firmware mapping, are printed separately).
overhead() {
	local pid hwm ram file
	pid=$(cat "$E2E_TMP/$1.pid")
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	file=$(awk '/^RssFile:/ { print $2 }' "/proc/$pid/status")
	ram=$(awk -v want="$2" '/^[0-9a-f]+-[0-9a-f]+ / { cur = 0 }
		/^Size:/ { cur = ($2 == want) }
		/^Rss:/ && cur { print $2; exit }' "/proc/$pid/smaps")
	echo "LEAN $1 hwm=${hwm}kB guest-ram=${ram:-0}kB file=${file:-0}kB" >&2
	echo $((hwm - ${ram:-0} - ${file:-0}))
}

IMG_KB=$(( $(wc -c <"$GUEST_KERNEL") / 1024 ))

vmm_start lean run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 1 --no-firmware --trace-boot
if guest_ready_check lean lean-boot 1 200000 262144 120; then
	missing=
	for step in "process start" "config parsed" "KVM VM created" "memory mapped" \
		"devices created" "kernel loaded" "first KVM_RUN (vCPU 0)"; do
		[ -n "$(trace_ms lean "$step")" ] || missing="$missing '$step'"
	done
	if [ -z "$missing" ]; then
		e2e_pass lean-trace-steps
		echo "LEAN direct launch-to-first-KVM_RUN $(trace_ms lean 'first KVM_RUN (vCPU 0)') ms"
	else
		e2e_fail lean-trace-steps "missing:$missing"
	fi
	o=$(overhead lean $((256 * 1024)))
	echo "LEAN direct vmm-overhead ${o} kB (Image ${IMG_KB} kB)"
	if [ "$o" -lt "$IMG_KB" ]; then
		e2e_pass lean-direct-no-copy
	else
		e2e_fail lean-direct-no-copy "overhead ${o} kB >= Image ${IMG_KB} kB"
	fi
	vmm_send lean 'reboot -f'
	if guest_ready_check lean lean-reboot 1 200000 262144 120 &&
		[ -n "$(trace_ms lean 'kernel loaded' 2)" ] &&
		[ -n "$(trace_ms lean 'first KVM_RUN (vCPU 0)' 2)" ]; then
		vmm_send lean 'poweroff -f'
		if exit_check lean lean-poweroff 0 60; then
			off=$(trace_ms lean 'PSCI SYSTEM_OFF')
			end=$(trace_ms lean exit)
			[ -n "$off" ] && [ -n "$end" ] &&
				echo "LEAN direct SYSTEM_OFF-to-exit $(awk -v a="$end" -v b="$off" \
					'BEGIN { printf "%.3f", a - b }') ms"
		fi
	else
		vmm_kill lean
		e2e_fail lean-poweroff "no second boot with its trace steps"
	fi
else
	vmm_kill lean
	for c in lean-trace-steps lean-direct-no-copy lean-reboot lean-poweroff; do
		e2e_fail $c "no first boot"
	done
fi

vmm_start leanfw run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 512M --cpus 1 --ras --firmware "$FW_CODE" \
	--trace-boot --api-socket "$E2E_TMP/leanfw.sock"
if why=$(vmm_expect_boot leanfw 300); then
	o=$(overhead leanfw $((512 * 1024)))
	echo "LEAN firmware vmm-overhead ${o} kB (Image ${IMG_KB} kB)"
	if [ "$o" -lt "$IMG_KB" ]; then
		e2e_pass lean-firmware-no-copy
	else
		e2e_fail lean-firmware-no-copy "overhead ${o} kB >= Image ${IMG_KB} kB"
	fi
	vmm_send leanfw 'poweroff -f'
	vmm_wait leanfw 60 >/dev/null
	# Where the firmware guest's power-off time goes on our side.
	off=$(trace_ms leanfw 'PSCI SYSTEM_OFF')
	sed -n 's/^trace-boot: +[ ]*\([0-9.]*\) ms mono [0-9.]* \(.*\)/\1 \2/p' "$E2E_TMP/leanfw.log" |
		awk -v off="${off:-0}" '$1 + 0 >= off + 0 { print "LEAN firmware poweroff " $0 }'
else
	vmm_kill leanfw
	e2e_fail lean-firmware-no-copy "no boot: $why"
fi
e2e_end
