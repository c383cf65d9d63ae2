#!/usr/bin/env bash
# Everything CI runs: install what is missing, build, unit tests (native and
# ASan+UBSan), host-side checks of the arm64 binary, the fuzz harnesses for
# a few seconds each plus their crash reproducers, the Kconfig matrix
# (default, all-off and each symbol off: cross-build and unit tests), then
# the nested end-to-end tests (qemu-system-aarch64 -> L1 Linux with KVM ->
# our guest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
make -j"$(nproc)" all
guest-images/fetch.sh   # the host checks also use the guest kernel
make test
make -j"$(nproc)" fuzz-build   # libFuzzer harnesses (tests/fuzz)
make fuzz-smoke                # each a few seconds + every crash reproducer
make config-matrix
tests/e2e/run.sh "$@"
