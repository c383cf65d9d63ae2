#!/usr/bin/env bash
# Install exactly what building and testing microvm-ras needs on Debian 12
# (x86_64 host, arm64 cross toolchain and arm64 libraries). Idempotent: it
# does nothing when everything is already there.
set -euo pipefail

HOST_PKGS=(
	make gcc pkg-config python3 python3-kconfiglib
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	cmake dpkg-dev
	libcmocka-dev libjson-c-dev liburing-dev
	qemu-system-arm qemu-efi-aarch64 qemu-user-static
	acpica-tools device-tree-compiler cpio xz-utils zstd
	e2fsprogs kmod mtools fdisk
	clang libclang-rt-14-dev
)
# The glibc build (make LIBC=glibc). The default musl build gets musl-dev:arm64
# and the sources of these three itself (scripts/musl-sysroot.sh, run by
# make; cmake and dpkg-dev above are for it), installing nothing.
ARM64_PKGS=(
	libfdt-dev:arm64 liburing-dev:arm64 libjson-c-dev:arm64
)

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

missing=()
for p in "${HOST_PKGS[@]}" "${ARM64_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
