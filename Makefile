# Vessel top-level build. Each component folder has its own fragment
# (<dir>/build.mk) that appends to the lists below; this file holds the flags,
# the pattern rules and the user-facing targets.
#
#   make            build everything into build/
#   make test       install missing deps, build, run unit + integration tests
#   make demo       the main job: dataplane, agent and a VNF chain passing traffic
#   make fuzz       build the libFuzzer targets (clang)
#   make clean

BUILD     ?= build
CC        ?= gcc
PKG_CONFIG ?= pkg-config
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Werror
CFLAGS    ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -MMD -MP -fno-strict-aliasing \
	-DVESSEL_VERSION='"$(VERSION)"' -Icommon/include -I$(BUILD)/gen
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer

# Lists the fragments append to.
BINS         :=
UNIT_TESTS   :=
FUZZ_TARGETS :=
GEN_HDRS     :=

all: build-all

include common/build.mk
-include runtime/build.mk
-include runtime/numa/build.mk
-include images/build.mk
-include vhost-user/build.mk
-include dataplane/build.mk
-include orchestrator-agent/build.mk
-include tests/build.mk
-include perf/build.mk

build-all: $(GEN_HDRS) $(BINS)

# protobuf-c code is generated at build time into $(BUILD)/gen, never committed.
vpath %.proto runtime/proto orchestrator-agent/proto
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=$(dir $<) --c_out=$(BUILD)/gen $<

$(BUILD)/obj/$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Wno-missing-prototypes -c $< -o $@
$(BUILD)/san/$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -Wno-missing-prototypes -c $< -o $@

# Objects: normal build in $(BUILD)/obj, sanitizer build (unit tests) in $(BUILD)/san.
$(BUILD)/obj/%.o: %.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS_$(firstword $(subst /, ,$<))) -c $< -o $@

$(BUILD)/san/%.o: %.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) $(EXTRA_CFLAGS_$(firstword $(subst /, ,$<))) -c $< -o $@

deps:
	@bash scripts/install-deps

test: deps
	@$(MAKE) --no-print-directory build-all unit-bins
	@bash tests/run-tests

demo: deps
	@$(MAKE) --no-print-directory build-all
	@bash scripts/demo

demo-stop:
	@bash scripts/demo stop

clean:
	rm -rf $(BUILD)

.PHONY: all build-all deps test demo demo-stop clean unit-bins fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
