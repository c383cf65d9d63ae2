#!/usr/bin/env bash
# The main job, on a fresh Debian 12 x86_64 machine: install what is needed,
# build microvm-ras, boot an arm64 Linux host under qemu-system-aarch64 with
# KVM, and inside it boot a guest with --ras, poison a page under the
# mca-recover test program and show the guest recover.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
make -j"$(nproc)" all
tests/e2e/run.sh --demo
