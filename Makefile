# microvm-ras: cross-builds a static arm64 VMM and runs unit tests natively.
#
#   make            build/microvm-ras (static aarch64 ELF, musl; LIBC=glibc:
#                   on glibc; the musl sysroot is built once in build/musl)
#   make test       cmocka unit tests, native and with ASan+UBSan
#   make e2e        nested end-to-end tests (qemu-system-aarch64 -> KVM);
#                   GUEST_KERNEL=trixie|sid|sid-16k: with that guest kernel
#   make matrix     the RAS scenarios (MATRIX_SCENARIOS) with each guest kernel
#                   (MATRIX_KERNELS), then a scenario x kernel table
#   make soak       the soak scenario alone, long: SOAK_ERRORS (1000) memory
#                   errors, SOAK_REBOOTS (20) reboots, L1 limit SOAK_TIMEOUT s
#   make bench      native pagemap-scan cost, then nested benchmarks, figures printed;
#                   RAS figures also with each guest kernel of BENCH_KERNELS (sid)
#   make bench-scan native pagemap-scan cost only
#   make size       size of the stripped binary (and its largest sections)
#   make menuconfig edit .config (default: configs/defconfig)
#   make config-matrix  cross-build (and unit-test) default, all-off and
#                   each-symbol-off configurations, each in build/cfg-NAME
#   make compile_commands.json  compilation database for clangd & co.
#   make install    the binary, the man page (doc/microvm-ras.1) and the bash
#                   completion under DESTDIR/PREFIX (default /usr/local)
#
# B=DIR builds elsewhere (default build/); KCONFIG_CONFIG=FILE picks the
# configuration. Every object has a dependency file (-MMD -MP) and depends on
# the generated $(B)/config.h, so header and configuration changes rebuild
# exactly what they affect.

CROSS    ?= aarch64-linux-gnu-
CC_ARM   := $(CROSS)gcc
HOSTCC   ?= gcc
PYTHON   ?= /usr/bin/python3
B        ?= build
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

KCONFIG_CONFIG ?= $(if $(wildcard .config),.config,configs/defconfig)

# The C library of the arm64 binary (issue 10: size). LIBC=musl (default):
# musl 1.2.3 and libfdt, liburing, json-c built against it from Debian 12's
# packages and sources into MUSL_SYSROOT (scripts/musl-sysroot.sh, once,
# shared by every B=); LIBC=glibc: Debian's glibc and :arm64 -dev packages.
# Without LIBC=, musl when its sysroot is (or can now be) built here, else
# glibc with a warning: a missing download never breaks the build.
MUSL_SYSROOT ?= build/musl
ifeq ($(origin LIBC),undefined)
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
LIBC := $(shell CC='$(CC_ARM)' scripts/musl-sysroot.sh $(MUSL_SYSROOT) >&2 && echo musl || echo glibc)
ifeq ($(LIBC),glibc)
$(warning musl sysroot unavailable (see above): building the arm64 binary with glibc, which is larger)
endif
else
LIBC := musl
endif
endif
ifeq ($(LIBC),musl)
ARM_CC   := $(CC_ARM) -specs $(abspath $(MUSL_SYSROOT))/musl-gcc.specs
ARM_LIBS := -lfdt -luring -ljson-c
ARM_DEPS := $(MUSL_SYSROOT)/stamp
else ifeq ($(LIBC),glibc)
ARM_CC   := $(CC_ARM)
ARM_PKG  := PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig pkg-config
# Debian's libfdt ships no .pc file; it is found in the multiarch libdir.
ARM_LIBS := -lfdt $(shell $(ARM_PKG) --static --libs liburing json-c 2>/dev/null || echo -luring -ljson-c)
ARM_DEPS :=
else
$(error LIBC must be musl or glibc, not '$(LIBC)')
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
            -Wmissing-prototypes -Wvla
CFLAGS   ?= -g
COMMON   := -std=gnu11 $(WARN) -D_GNU_SOURCE -Ivmm -I$(B) \
            -include $(B)/config.h

-include $(B)/config.mk

# Modules unit tested natively (no KVM ioctl; mem.c and vcpu_exit.c only
# use linux/kvm.h types); the VMM links them too.
# Only list them here: SRCS_OFF below drops those a configuration leaves out.
PURE_SRCS := vmm/log.c vmm/bus.c vmm/guard.c vmm/devices/cfi_flash.c vmm/arch/arm64/sea.c vmm/arch/arm64/boot.c
PURE_SRCS += vmm/board.c vmm/devices/device.c vmm/devices/rom.c vmm/devices/ged.c vmm/devices/pwrbtn.c
PURE_SRCS += vmm/devices/pl011.c vmm/devices/pl031.c vmm/devices/pvpanic.c vmm/devices/einj.c
PURE_SRCS += vmm/size.c vmm/seccomp.c vmm/seccomp_filter.c vmm/sig_thread.c vmm/trace.c vmm/options.c vmm/config_file.c
PURE_SRCS += vmm/jail.c vmm/dump.c
PURE_SRCS += vmm/chardev.c vmm/escape.c vmm/term.c
# The virtio transport, virtqueue and device models (blk on liburing).
PURE_SRCS += $(wildcard vmm/virtio/*.c)
PURE_SRCS += vmm/mem.c vmm/vcpu_exit.c
PURE_SRCS += $(wildcard vmm/acpi/*.c)
PURE_SRCS += $(wildcard vmm/fwcfg/*.c) vmm/flash_map.c vmm/varstore.c
PURE_SRCS += vmm/ras/cper.c vmm/ras/ghes.c vmm/ras/poison.c vmm/ras/sigbus.c vmm/ras/ras.c
PURE_SRCS += vmm/ras/pagemap.c
PURE_SRCS += vmm/control_proto.c vmm/control_cmds.c vmm/control.c vmm/ctl_args.c
PURE_SRCS := $(wildcard $(PURE_SRCS))

# Sources a configuration leaves out (a pattern per symbol); their headers
# provide static inline stubs so callers need no #ifdef. acpi/aml.c and
# acpi/table.c stay: devices write their own DSDT entries with them.
SRCS_OFF := $(if $(CONFIG_ACPI),,vmm/acpi/tables.c vmm/acpi/hest.c)
SRCS_OFF += $(if $(CONFIG_FWCFG),,vmm/fwcfg/% vmm/vm_firmware.c vmm/flash_map.c vmm/varstore.c)
SRCS_OFF += $(if $(CONFIG_RAS),,vmm/ras/%)
SRCS_OFF += $(if $(CONFIG_CONTROL_API),,vmm/control.c vmm/control_cmds.c vmm/ctl.c vmm/ctl_args.c vmm/control_proto.c)
SRCS_OFF += $(if $(CONFIG_SECCOMP),,vmm/seccomp.c vmm/seccomp_filter.c)
SRCS_OFF += $(if $(CONFIG_VIRTIO),,vmm/virtio/%)
PURE_SRCS := $(filter-out $(SRCS_OFF),$(PURE_SRCS))

VMM_SRCS := $(filter-out $(SRCS_OFF),$(sort $(wildcard vmm/*.c vmm/*/*.c vmm/arch/arm64/*.c)))

# Objects of each C library apart: switching LIBC never mixes them.
ARM_OBJS := $(VMM_SRCS:%.c=$(B)/arm64$(if $(filter glibc,$(LIBC)),-glibc)/%.o)

# Tests of modules a configuration leaves out are left out with them.
TEST_OFF  := $(if $(CONFIG_RAS),,test_cper test_ghes test_poison test_sigbus test_ras test_pagemap)
TEST_OFF  += $(if $(CONFIG_CONTROL_API),,test_control_proto test_control_cmds test_control_server test_control_storm test_ctl_args)
TEST_OFF  += $(if $(CONFIG_VIRTIO),,test_virtio_blk test_virtio_rng test_virtio_devices test_virtio_console test_virtio_net)
TEST_OFF  += $(if $(CONFIG_ACPI),,test_acpi test_acpi_iasl test_einj)
TEST_OFF  += $(if $(CONFIG_FWCFG),,test_fwcfg test_loader test_acpi test_acpi_iasl test_einj test_flash_map test_varstore)
TEST_OFF  += $(if $(CONFIG_VIRTIO),,test_virtqueue test_virtqueue_packed test_virtio_mmio)
TEST_OFF  += $(if $(CONFIG_SECCOMP),,test_seccomp test_seccomp_filter)
TEST_SRCS := $(filter-out $(TEST_OFF:%=tests/unit/%.c),$(wildcard tests/unit/test_*.c))
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(B)/test/%)
TESTS_SAN := $(TEST_SRCS:tests/unit/%.c=$(B)/test-san/%)
TEST_LIBS := -lcmocka -ljson-c $(if $(CONFIG_VIRTIO),-luring)
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all test unit unit-san host-check e2e matrix soak bench bench-scan demo clean menuconfig images \
	config-matrix compile_commands.json size install uninstall
all: $(B)/microvm-ras

# genconfig.py rewrites config.h and config.mk only when their contents
# change, so a stamp records that they were checked; config.src names the
# configuration file and changes when another one is chosen (even an older
# one, which its timestamp alone would not reveal).
GENCONFIG := $(PYTHON) scripts/genconfig.py Kconfig $(KCONFIG_CONFIG) $(B)/config.h $(B)/config.mk
$(shell mkdir -p $(B) && echo '$(KCONFIG_CONFIG)' | cmp -s - $(B)/config.src || \
	echo '$(KCONFIG_CONFIG)' >$(B)/config.src)
# libc.src names the C library the binary was last linked with.
$(shell echo '$(LIBC)' | cmp -s - $(B)/libc.src || echo '$(LIBC)' >$(B)/libc.src)

$(B)/config.stamp: Kconfig $(KCONFIG_CONFIG) $(B)/config.src scripts/genconfig.py
	$(GENCONFIG)
	@touch $@

$(B)/config.h $(B)/config.mk &: $(B)/config.stamp
	@[ -f $(B)/config.h ] && [ -f $(B)/config.mk ] || $(GENCONFIG)

# The VMM is built for size (issue 10: <= 640 KiB stripped): -Os, one
# section per function and object so the link drops what nothing uses,
# link-time optimisation across our objects, no unwind tables (C, no
# exceptions; glibc keeps its own). The unit tests build natively without.
ARM_CFLAGS  ?= -Os -ffunction-sections -fdata-sections -flto=auto \
               -fno-asynchronous-unwind-tables -fno-unwind-tables
ARM_LDFLAGS ?= -Wl,--gc-sections -Wl,-O1

# The version string (git describe) lives in one generated header that is
# rewritten only when it changes: what includes it (main.c, control_cmds.c,
# their tests) is rebuilt through -MMD, everything else is left alone, and no
# two objects of one build can disagree on it.
$(B)/version.h: FORCE
	@mkdir -p $(B)
	@echo '#define MVR_VERSION "$(VERSION)"' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

.PHONY: FORCE
FORCE:

$(B)/arm64/%.o $(B)/arm64-glibc/%.o: %.c $(B)/config.h $(ARM_DEPS) | $(B)/version.h
	@mkdir -p $(dir $@)
	$(ARM_CC) $(COMMON) $(ARM_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/microvm-ras: $(ARM_OBJS) $(B)/libc.src
	$(ARM_CC) -static $(ARM_CFLAGS) $(CFLAGS) $(ARM_LDFLAGS) -o $@ $(ARM_OBJS) $(ARM_LIBS) -lpthread

# The musl sysroot: the script checks its own stamp (versions, compiler,
# script) and rebuilds only when that changes.
$(MUSL_SYSROOT)/stamp: scripts/musl-sysroot.sh
	CC='$(CC_ARM)' scripts/musl-sysroot.sh $(MUSL_SYSROOT)

# Size of the stripped static binary, the figure the README quotes (never a
# test: it depends on the toolchain and C library).
SIZE_BUDGET_KIB := 640
size: $(B)/microvm-ras
	@$(CROSS)strip -o $(B)/microvm-ras.stripped $(B)/microvm-ras
	@n=$$(stat -c %s $(B)/microvm-ras.stripped); \
	echo "microvm-ras: $$n bytes stripped ($$(( (n + 1023) / 1024 )) KiB; budget $(SIZE_BUDGET_KIB) KiB)"; \
	$(CROSS)size -A $(B)/microvm-ras.stripped | awk '$$2 > 4096 && $$1 ~ /^\./ { printf "  %-20s %8d\n", $$1, $$2 }'

# Unit tests: each pure source and each test is compiled natively once per
# flavour (build/host, build/host-san); every test links all pure objects
# and only calls what it covers.
HOST_CFLAGS   := $(COMMON) -Itests/unit -O1 -g
HOST_OBJS     := $(PURE_SRCS:%.c=$(B)/host/%.o)
HOST_SAN_OBJS := $(PURE_SRCS:%.c=$(B)/host-san/%.o)
TEST_OBJS     := $(TEST_SRCS:%.c=$(B)/host/%.o)
TEST_SAN_OBJS := $(TEST_SRCS:%.c=$(B)/host-san/%.o)

$(B)/host/%.o: %.c $(B)/config.h | $(B)/version.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(B)/host-san/%.o: %.c $(B)/config.h | $(B)/version.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $(SANFLAGS) -MMD -MP -c $< -o $@

$(TESTS): $(B)/test/%: $(B)/host/tests/unit/%.o $(HOST_OBJS)
	@mkdir -p $(dir $@)
	$(HOSTCC) -o $@ $^ $(TEST_LIBS)

$(TESTS_SAN): $(B)/test-san/%: $(B)/host-san/tests/unit/%.o $(HOST_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(SANFLAGS) -o $@ $^ $(TEST_LIBS)

unit: $(TESTS)
	@scripts/run-unit.sh $(TESTS)

unit-san: $(TESTS_SAN)
	@scripts/run-unit.sh $(TESTS_SAN)

host-check: $(B)/microvm-ras
	tests/host/run.sh

test: unit unit-san host-check

# Rewrite the golden ACPI tables (tests/data/acpi) after an intended change.
.PHONY: update-golden
update-golden: $(B)/microvm-ras
	tests/host/acpi-golden.sh --update

GUEST_KERNEL ?= bookworm
e2e: $(B)/microvm-ras
	tests/e2e/run.sh $(if $(filter-out bookworm,$(GUEST_KERNEL)),--kernel $(GUEST_KERNEL))

# Guest-kernel matrix (issue 9), outside CI: one L1 boot per kernel.
MATRIX_SCENARIOS ?= ras einj ras-cper ras-burst
matrix: $(B)/microvm-ras
	tests/e2e/run.sh --matrix $(MATRIX_SCENARIOS)

# Long soak (issue 12), outside CI: tests/e2e/scenarios/60-soak.sh alone.
SOAK_ERRORS  ?= 1000
SOAK_REBOOTS ?= 20
SOAK_TIMEOUT ?= 10800
soak: $(B)/microvm-ras
	E2E_SOAK_ERRORS=$(SOAK_ERRORS) E2E_SOAK_REBOOTS=$(SOAK_REBOOTS) \
		tests/e2e/run.sh --timeout $(SOAK_TIMEOUT) soak

bench: bench-scan $(B)/microvm-ras
	tests/e2e/run.sh --bench

# Native: the cost of a poisoned-page scan of 512 MiB .. 64 GiB of guest RAM.
bench-scan: $(B)/bench/pagemap_bench
	$<

$(B)/bench/pagemap_bench: $(B)/host/tests/bench/pagemap_bench.o $(B)/host/vmm/ras/pagemap.o
	@mkdir -p $(dir $@)
	$(HOSTCC) -o $@ $^

demo: $(B)/microvm-ras
	tests/e2e/run.sh --demo

menuconfig:
	$(PYTHON) -m menuconfig Kconfig

# Default, all-off and each-symbol-off configurations: cross-build and unit
# tests, each in its own build/cfg-NAME (JOBS=N, UNIT=0: see the script).
# The script's makes are independent of this one's flags and jobserver.
config-matrix:
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL scripts/config-matrix.sh

# For the arm64 build and the native unit tests of this configuration.
compile_commands.json: $(B)/config.h
	$(MAKE) --no-print-directory -nB $(B)/microvm-ras $(TESTS) | \
		$(PYTHON) scripts/compdb.py >$@.tmp
	mv $@.tmp $@

# Installation: PREFIX (default /usr/local) inside DESTDIR (staging).
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

install: $(B)/microvm-ras
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(BASHCOMPDIR)'
	install -m 0755 $(B)/microvm-ras '$(DESTDIR)$(BINDIR)/microvm-ras'
	install -m 0644 doc/microvm-ras.1 '$(DESTDIR)$(MANDIR)/man1/microvm-ras.1'
	install -m 0644 contrib/bash-completion/microvm-ras '$(DESTDIR)$(BASHCOMPDIR)/microvm-ras'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/microvm-ras' '$(DESTDIR)$(MANDIR)/man1/microvm-ras.1' \
		'$(DESTDIR)$(BASHCOMPDIR)/microvm-ras'

clean:
	rm -rf $(B)

-include $(ARM_OBJS:.o=.d) $(HOST_OBJS:.o=.d) $(HOST_SAN_OBJS:.o=.d)
-include $(TEST_OBJS:.o=.d) $(TEST_SAN_OBJS:.o=.d)

# ---- fuzzing (tests/fuzz, issue 12) ------------------------------------
# libFuzzer harnesses, one per guest- or user-facing input: each
# tests/fuzz/fuzz_NAME.c is linked with every pure module (built natively
# with clang, ASan+UBSan, coverage) into $(B)/fuzz/NAME.
#   make fuzz        build all, run each for FUZZ_SECONDS (default 60) from
#                    its seed corpus (tests/fuzz/corpus/NAME); print execs,
#                    coverage (cov/ft) and crashes per harness
#   make fuzz-smoke  build all, run each for FUZZ_SMOKE_SECONDS (default 4)
#                    plus every reproducer in tests/fuzz/crashes/NAME; fails
#                    on any crash
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := $(COMMON) -Itests/fuzz -O1 -g $(FUZZ_SAN)
FUZZ_OFF     := $(if $(CONFIG_FWCFG),,fwcfg) $(if $(CONFIG_RAS),,ghes)
FUZZ_OFF     += $(if $(CONFIG_CONTROL_API),,control) $(if $(CONFIG_VIRTIO),,virtio_mmio virtqueue virtqueue_packed virtio_net virtio_console)
FUZZ_NAMES   := $(filter-out $(FUZZ_OFF),$(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZERS      := $(FUZZ_NAMES:%=$(B)/fuzz/%)
FUZZ_OBJS    := $(PURE_SRCS:%.c=$(B)/fuzz-obj/%.o)
FUZZ_LIBS    := -lpthread -ljson-c $(if $(CONFIG_VIRTIO),-luring)
# The RTC harness supplies the wall clock (deterministic runs).
FUZZ_LDFLAGS_pl031 := -Wl,--wrap=clock_gettime
# The virtio-net harness checks every buffer the device gives the "tap".
FUZZ_LDFLAGS_virtio_net := -Wl,--wrap=readv -Wl,--wrap=writev

$(B)/fuzz-obj/%.o: %.c $(B)/config.h | $(B)/version.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZERS): $(B)/fuzz/%: $(B)/fuzz-obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS) $(FUZZ_LDFLAGS_$*)

.PHONY: fuzz fuzz-build fuzz-smoke
fuzz-build: $(FUZZERS)

fuzz: $(FUZZERS)
	tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) --out $(B)/fuzz $(FUZZ_NAMES)

fuzz-smoke: $(FUZZERS)
	tests/fuzz/run.sh --smoke --seconds $(FUZZ_SMOKE_SECONDS) --out $(B)/fuzz $(FUZZ_NAMES)

-include $(FUZZ_OBJS:.o=.d) $(FUZZ_NAMES:%=$(B)/fuzz-obj/tests/fuzz/fuzz_%.d)
