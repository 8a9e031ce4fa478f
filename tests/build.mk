# Test binaries. Components append cmocka suites to UNIT_TESTS (built with
# ASan+UBSan into $(BUILD)/tests/unit/) and libFuzzer targets to FUZZ_TARGETS
# (built with clang into $(BUILD)/tests/fuzz/). tests/run-tests runs the unit
# suites, a short smoke run of each fuzz target, then tests/integration/*.sh.
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
FUZZ_CC     ?= clang
FUZZ_FLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer

unit-bins: $(UNIT_TESTS)
fuzz: $(FUZZ_TARGETS)
