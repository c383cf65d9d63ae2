#!/bin/sh
# --chroot DIR --user UID:GID (vmm/jail.c) with the argument-filtering
# seccomp allowlist (vmm/seccomp_rules.h): the VMM opens everything as root,
# then runs its 2-vCPU guest from an empty root directory as 65534:65534.
# The guest boots, the VMM process runs as that user in that root, the
# control socket still answers, a guest reboot (vCPU threads created again,
# under the filter and the new user) boots again, and poweroff exits 0 with
# no "blocked system call" line.
# E2E-CHECKS: 5
. "${E2E_LIB:-/e2e/lib.sh}"

e2e_begin jail

J=$E2E_TMP/jail-root
S=$E2E_TMP/jail.sock
rm -rf "$J"
mkdir -p "$J"
vmm_start jl run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$GUEST_CMDLINE" --memory 256M --cpus 2 --no-firmware \
	--api-socket "$S" --chroot "$J" --user 65534:65534
if guest_ready_check jl jail-boot 2 200000 262144 120; then
	pid=$(cat "$E2E_TMP/jl.pid")
	uids=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$pid/status" | tr -s '[:space:]' ' ')
	gids=$(sed -n 's/^Gid:[[:space:]]*//p' "/proc/$pid/status" | tr -s '[:space:]' ' ')
	root=$(readlink "/proc/$pid/root")
	if [ "$uids" = "65534 65534 65534 65534 " ] && [ "$gids" = "65534 65534 65534 65534 " ] &&
		[ "$root" = "$J" ]; then
		e2e_pass jail-identity
	else
		e2e_fail jail-identity "Uid '$uids' Gid '$gids' root '$root', want 65534 x4 and $J"
	fi
	out=$("$VMM" ctl --api-socket "$S" query-vm 2>&1)
	case $out in
	*'"status"'*) e2e_pass jail-control ;;
	*) e2e_fail jail-control "query-vm: $(printf '%s' "$out" | cut -c 1-200)" ;;
	esac
	vmm_send jl 'reboot -f'
	if guest_ready_check jl jail-reboot 2 200000 262144 120; then
		vmm_send jl 'poweroff -f'
		# On a failure, show a seccomp refusal if that was the cause.
		exit_check jl jail-poweroff 0 60 || grep 'blocked system call' "$E2E_TMP/jl.log"
	else
		vmm_kill jl
		e2e_fail jail-poweroff "no second boot"
	fi
else
	vmm_kill jl
	e2e_fail jail-identity "no boot"
	e2e_fail jail-control "no boot"
	e2e_fail jail-reboot "no boot"
	e2e_fail jail-poweroff "no boot"
fi
rm -rf "$J"
e2e_end
