# vessel-dp: the DPDK vSwitch (shared link against Debian's DPDK 22.11).
# DPDK headers come in via -isystem (see vhost-user/build.mk) so they do not
# trip -Wshadow/-Wmissing-prototypes; our own warnings stay errors.
EXTRA_CFLAGS_dataplane := -Ivhost-user/include $(DPDK_CFLAGS)

DP_SRCS := $(wildcard dataplane/src/*.c)
DP_BIN  := $(BUILD)/bin/vessel-dp
BINS    += $(DP_BIN) $(BUILD)/bin/dp-pkt

$(DP_BIN): $(DP_SRCS:%.c=$(BUILD)/obj/%.o) $(VHOST_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DPDK_LIBS) $(COMMON_LIBS) -lpthread

# dp-pkt: raw-frame sender/receiver on an interface, for the integration tests.
$(BUILD)/bin/dp-pkt: $(BUILD)/obj/dataplane/tools/dp_pkt.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^

# Unit tests (ASan+UBSan; no DPDK, no hugepages).
DP_UNIT_LIBS := $(shell $(PKG_CONFIG) --libs jansson cmocka 2>/dev/null)
UNIT_TESTS += $(BUILD)/tests/unit/test_dp_mactable $(BUILD)/tests/unit/test_dp_ctl_parse \
	      $(BUILD)/tests/unit/test_dp_classify

$(BUILD)/tests/unit/test_dp_mactable: $(BUILD)/san/tests/unit/test_dp_mactable.o \
		$(BUILD)/san/dataplane/src/mactable.o
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(DP_UNIT_LIBS) -lpthread
$(BUILD)/tests/unit/test_dp_ctl_parse: $(BUILD)/san/tests/unit/test_dp_ctl_parse.o \
		$(BUILD)/san/dataplane/src/ctl_parse.o
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(DP_UNIT_LIBS)
$(BUILD)/tests/unit/test_dp_classify: $(BUILD)/san/tests/unit/test_dp_classify.o \
		$(BUILD)/san/dataplane/src/ctl_parse.o
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(DP_UNIT_LIBS)
EXTRA_CFLAGS_tests += -Idataplane/src -Ivhost-user/include

# libFuzzer target for the control-request parser.
FUZZ_TARGETS += $(BUILD)/tests/fuzz/fuzz_dp_ctl
$(BUILD)/tests/fuzz/fuzz_dp_ctl: tests/fuzz/fuzz_dp_ctl.c dataplane/src/ctl_parse.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Idataplane/src -Icommon/include -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs jansson)
