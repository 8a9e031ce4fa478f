# libvesselnuma: NUMA topology (sysfs + libnuma), CPU/hugepage placement with
# a persistent allocation record, thread pinning; and the vessel-numa CLI.
# See runtime/numa/README.md. Included from the top-level Makefile.
NUMA_SRCS     := $(wildcard runtime/numa/src/*.c)
NUMA_LIB      := $(BUILD)/lib/libvesselnuma.a
NUMA_SAN_LIB  := $(BUILD)/lib/libvesselnuma-san.a
NUMA_LIBS     := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null) -lnuma
NUMA_INC      := -Iruntime/numa/include

# Only this module's objects get its include paths (the runtime's own flags
# live in runtime/build.mk); other components add $(NUMA_INC) themselves.
$(BUILD)/obj/runtime/numa/%.o $(BUILD)/san/runtime/numa/%.o: EXTRA_CFLAGS_runtime += $(NUMA_INC) -Iruntime/numa/src
$(BUILD)/san/tests/unit/test_numa_%.o $(BUILD)/san/tests/unit/numa_%.o: EXTRA_CFLAGS_tests += $(NUMA_INC)

$(NUMA_LIB): $(NUMA_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(NUMA_SAN_LIB): $(NUMA_SRCS:%.c=$(BUILD)/san/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/bin/vessel-numa: $(BUILD)/obj/runtime/numa/cli/vessel_numa.o $(NUMA_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(NUMA_LIBS) $(COMMON_LIBS)

BINS += $(NUMA_LIB) $(BUILD)/bin/vessel-numa

# Unit tests (cmocka, ASan+UBSan): fake sysfs trees are built by the tests
# themselves in temporary directories (tests/unit/numa_fixture.c).
NUMA_TESTS := cpulist topo place
NUMA_FIXTURE_OBJ := $(BUILD)/san/tests/unit/numa_fixture.o
$(BUILD)/tests/unit/test_numa_%: $(BUILD)/san/tests/unit/test_numa_%.o $(NUMA_FIXTURE_OBJ) $(NUMA_SAN_LIB) $(COMMON_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CMOCKA_LIBS) $(NUMA_LIBS) $(COMMON_LIBS)
UNIT_TESTS += $(NUMA_TESTS:%=$(BUILD)/tests/unit/test_numa_%)

# libFuzzer targets: the cpulist parser and the placement state loader.
NUMA_FUZZ_SRCS := runtime/numa/src/cpulist.c runtime/numa/src/place_state.c runtime/numa/src/place.c \
	runtime/numa/src/topo.c common/src/err.c common/src/cleanup.c
$(BUILD)/tests/fuzz/fuzz_numa_%: tests/fuzz/fuzz_numa_%.c $(NUMA_FUZZ_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Icommon/include $(NUMA_INC) -Iruntime/numa/src \
		-o $@ $^ $(NUMA_LIBS)
FUZZ_TARGETS += $(BUILD)/tests/fuzz/fuzz_numa_cpulist $(BUILD)/tests/fuzz/fuzz_numa_state
