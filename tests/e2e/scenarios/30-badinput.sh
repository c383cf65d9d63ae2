#!/bin/sh
# Bad command lines and host problems: each must end the VMM with a non-zero
# status (not a crash: below 128) and exactly one "microvm-ras: error:" line
# on stderr. Runs inside L1, where /dev/kvm exists, so that errors come from
# argument and file checks rather than from a missing KVM.
# E2E-CHECKS: 10
. "${E2E_LIB:-/e2e/lib.sh}"

e2e_begin badinput

# bad_check CHECK ARGS...: run the VMM with ARGS and judge stderr/status.
bad_check() {
	local check=$1 n
	shift
	vmm_run_once "bad-$check" 20 "$@"
	n=$(grep -c '^microvm-ras: error:' "$E2E_TMP/bad-$check.err")
	if [ "$VMM_RC" = 0 ] || [ "$VMM_RC" -ge 124 ]; then
		e2e_fail "$check" "exit status $VMM_RC, want 1..123
$(e2e_tail "$E2E_TMP/bad-$check.err")"
	elif [ "$n" != 1 ]; then
		e2e_fail "$check" "$n 'microvm-ras: error:' lines on stderr, want 1
$(e2e_tail "$E2E_TMP/bad-$check.err")"
	else
		e2e_pass "$check"
		# Show what the user would see (one short line).
		grep '^microvm-ras: error:' "$E2E_TMP/bad-$check.err" | cut -c 1-150 |
			sed "s/^/    [$VMM_RC] /"
	fi
}

K=$GUEST_KERNEL
I=$GUEST_INITRD
D="--no-firmware --memory 256M"

bad_check missing-kernel run --kernel /nonexistent/Image $D
bad_check not-an-image run --kernel /bin/busybox $D
head -c 4096 "$K" >"$E2E_TMP/trunc.Image"
bad_check truncated-image run --kernel "$E2E_TMP/trunc.Image" $D
rm -f "$E2E_TMP/trunc.Image"
bad_check memory-0 run --kernel "$K" --no-firmware --memory 0
bad_check cpus-0 run --kernel "$K" $D --cpus 0
bad_check cpus-1000 run --kernel "$K" $D --cpus 1000
bad_check unknown-option run --kernel "$K" $D --no-such-option

dd if=/dev/zero of="$E2E_TMP/big.initrd" bs=1M count=200 2>/dev/null
bad_check initrd-too-big run --kernel "$K" --initrd "$E2E_TMP/big.initrd" \
	--no-firmware --memory 128M
rm -f "$E2E_TMP/big.initrd"

# No KVM: /dev/kvm renamed away, then /dev/null in its place (open works,
# the KVM ioctls fail).
if [ -e /dev/kvm ]; then
	mv /dev/kvm /dev/kvm.e2e-away
	bad_check kvm-missing run --kernel "$K" --initrd "$I" $D
	mv /dev/kvm.e2e-away /dev/kvm
	if mount --bind /dev/null /dev/kvm; then
		bad_check kvm-not-kvm run --kernel "$K" --initrd "$I" $D
		umount /dev/kvm
	else
		e2e_fail kvm-not-kvm "cannot bind-mount /dev/null on /dev/kvm"
	fi
else
	e2e_fail kvm-missing "no /dev/kvm in L1 to begin with"
	e2e_fail kvm-not-kvm "no /dev/kvm in L1 to begin with"
fi
e2e_end
