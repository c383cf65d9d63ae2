#!/bin/sh
# Benchmarks (tests/e2e/run.sh --bench), run inside L1: wall time from VMM
# start to the guest's GUEST-READY line and from "poweroff -f" to VMM exit,
# for direct boot with 1 and 2 vCPUs and UEFI boot with RAS on. One line per
# figure: "BENCH <name> <value> <unit>". Times are on L1's clock; compare
# only figures from the same run (see ENVIRONMENT.md).
. "${E2E_LIB:-/e2e/lib.sh}"

e2e_begin bench

# bench_boot NAME ARGS...: one boot, two figures.
bench_boot() {
	local name=$1 t0 why
	shift
	t0=$(e2e_now)
	vmm_start "$name" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--cmdline "$GUEST_CMDLINE" "$@"
	if ! why=$(vmm_expect_boot "$name" 300); then
		e2e_fail "bench-$name" "$why"
		vmm_kill "$name"
		return 1
	fi
	echo "BENCH $name-boot $(e2e_secs "$t0") s"
	t0=$(e2e_now)
	vmm_send "$name" 'poweroff -f'
	if vmm_wait "$name" 60 >/dev/null; then
		echo "BENCH $name-poweroff $(e2e_secs "$t0") s"
		e2e_pass "bench-$name"
	else
		e2e_fail "bench-$name" "poweroff failed"
	fi
}

bench_boot direct-1cpu --no-firmware --memory 256M --cpus 1
bench_boot direct-2cpu --no-firmware --memory 256M --cpus 2
cp "$FW_VARS" "$E2E_TMP/vars.fd"
bench_boot uefi-ras-1cpu --memory 512M --cpus 1 --ras \
	--firmware "$FW_CODE" --vars "$E2E_TMP/vars.fd"
e2e_end
