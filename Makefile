# microvm-ras: cross-builds a static arm64 VMM and runs unit tests natively.
#
#   make            build/microvm-ras (static aarch64 ELF)
#   make test       cmocka unit tests, native and with ASan+UBSan
#   make e2e        nested end-to-end tests (qemu-system-aarch64 -> KVM)
#   make bench      nested benchmarks, figures printed
#   make menuconfig edit .config (default: configs/defconfig)

CROSS    ?= aarch64-linux-gnu-
CC_ARM   := $(CROSS)gcc
HOSTCC   ?= gcc
PYTHON   ?= /usr/bin/python3
B        := build
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

KCONFIG_CONFIG ?= $(if $(wildcard .config),.config,configs/defconfig)

ARM_PKG  := PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig pkg-config
# Debian's libfdt ships no .pc file; it is found in the multiarch libdir.
ARM_LIBS := -lfdt $(shell $(ARM_PKG) --static --libs liburing json-c 2>/dev/null || echo -luring -ljson-c)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
            -Wmissing-prototypes -Wvla
CFLAGS   ?= -O2 -g
COMMON   := -std=gnu11 $(WARN) -D_GNU_SOURCE -Ivmm -I$(B) -DMVR_VERSION='"$(VERSION)"' \
            -include $(B)/config.h

-include $(B)/config.mk

# Pure modules: no KVM headers, unit tested natively.
PURE_SRCS := vmm/log.c vmm/bus.c vmm/guard.c vmm/devices/cfi_flash.c vmm/arch/arm64/sea.c vmm/arch/arm64/boot.c
PURE_SRCS += vmm/board.c vmm/devices/device.c vmm/devices/rom.c vmm/devices/ged.c
PURE_SRCS += vmm/devices/pl011.c vmm/devices/pl031.c
PURE_SRCS += vmm/mem.c vmm/vcpu_exit.c
PURE_SRCS += $(if $(CONFIG_ACPI),$(wildcard vmm/acpi/*.c))
PURE_SRCS += $(if $(CONFIG_FWCFG),$(wildcard vmm/fwcfg/*.c))
PURE_SRCS += $(if $(CONFIG_RAS),vmm/ras/cper.c vmm/ras/ghes.c vmm/ras/poison.c vmm/ras/sigbus.c vmm/ras/ras.c)
PURE_SRCS += $(if $(CONFIG_CONTROL_API),vmm/control_proto.c vmm/control_cmds.c vmm/control.c)
PURE_SRCS := $(wildcard $(PURE_SRCS))

CONTROL_SRCS := vmm/control.c vmm/control_cmds.c vmm/ctl.c vmm/control_proto.c
VMM_SRCS := $(filter-out $(PURE_SRCS) $(CONTROL_SRCS) $(if $(CONFIG_SECCOMP),,vmm/seccomp.c),$(wildcard vmm/*.c vmm/devices/*.c vmm/arch/arm64/*.c))
VMM_SRCS += $(if $(CONFIG_RAS),$(filter-out $(PURE_SRCS),$(wildcard vmm/ras/*.c)))
VMM_SRCS += $(if $(CONFIG_CONTROL_API),$(filter-out $(PURE_SRCS),$(wildcard $(CONTROL_SRCS))))
VMM_SRCS += $(PURE_SRCS)

ARM_OBJS := $(VMM_SRCS:%.c=$(B)/arm64/%.o)

# Tests of modules a configuration leaves out are left out with them.
TEST_OFF  := $(if $(CONFIG_RAS),,test_cper test_ghes test_poison test_sigbus test_ras)
TEST_OFF  += $(if $(CONFIG_CONTROL_API),,test_control_proto test_control_cmds test_control_server)
TEST_OFF  += $(if $(CONFIG_ACPI),,test_acpi test_acpi_iasl)
TEST_OFF  += $(if $(CONFIG_FWCFG),,test_fwcfg test_loader test_acpi test_acpi_iasl)
TEST_SRCS := $(filter-out $(TEST_OFF:%=tests/unit/%.c),$(wildcard tests/unit/test_*.c))
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(B)/test/%)
TESTS_SAN := $(TEST_SRCS:tests/unit/%.c=$(B)/test-san/%)
TEST_LIBS := -lcmocka $(if $(CONFIG_CONTROL_API),-ljson-c)
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

PHONY_EXTRA := host-check
.PHONY: all test unit unit-san host-check e2e bench demo clean menuconfig images
all: $(B)/microvm-ras

$(B)/config.h $(B)/config.mk: Kconfig $(KCONFIG_CONFIG) scripts/genconfig.py
	$(PYTHON) scripts/genconfig.py Kconfig $(KCONFIG_CONFIG) $(B)/config.h $(B)/config.mk

$(B)/arm64/%.o: %.c $(B)/config.h
	@mkdir -p $(dir $@)
	$(CC_ARM) $(COMMON) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/microvm-ras: $(ARM_OBJS)
	$(CC_ARM) -static -o $@ $^ $(ARM_LIBS) -lpthread

# Every unit test links all pure modules; each test only calls what it covers.
$(B)/test/%: tests/unit/%.c $(PURE_SRCS) $(B)/config.h $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(COMMON) -Itests/unit -O1 -g -o $@ $< $(PURE_SRCS) $(TEST_LIBS)

$(B)/test-san/%: tests/unit/%.c $(PURE_SRCS) $(B)/config.h $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(COMMON) -Itests/unit -O1 -g $(SANFLAGS) -o $@ $< $(PURE_SRCS) $(TEST_LIBS)

unit: $(TESTS)
	@scripts/run-unit.sh $(TESTS)

unit-san: $(TESTS_SAN)
	@scripts/run-unit.sh $(TESTS_SAN)

host-check: $(B)/microvm-ras
	tests/host/run.sh

test: unit unit-san host-check

e2e: $(B)/microvm-ras
	tests/e2e/run.sh

bench: $(B)/microvm-ras
	tests/e2e/run.sh --bench

demo: $(B)/microvm-ras
	tests/e2e/run.sh --demo

menuconfig:
	$(PYTHON) -m menuconfig Kconfig

clean:
	rm -rf $(B)

-include $(ARM_OBJS:.o=.d)
