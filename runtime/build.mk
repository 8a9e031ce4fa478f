# Runtime: libvessel (runtime/src), the vessel-runtime CLI (runtime/cli) and
# vessel-shim (runtime/shim). The control-channel code is generated from
# runtime/proto/control.proto by the top-level rule into $(BUILD)/gen.
RT_PKGS      := jansson libprotobuf-c
RT_LV_PKGS   := libvirt libvirt-qemu libxml-2.0
RT_LIBS      := $(shell $(PKG_CONFIG) --libs $(RT_PKGS) 2>/dev/null) -lutil -lnuma
EXTRA_CFLAGS_runtime := -Iruntime/include -Iruntime/src -Iruntime/ctl -Iruntime/shim \
	-Iruntime/numa/include -Ivhost-user/include \
	$(shell $(PKG_CONFIG) --cflags $(RT_PKGS) $(RT_LV_PKGS) 2>/dev/null)
EXTRA_CFLAGS_tests += -Iruntime/include -Iruntime/src -Iruntime/ctl -Iruntime/numa/include -Ivhost-user/include \
	$(shell $(PKG_CONFIG) --cflags libxml-2.0 2>/dev/null)

GEN_HDRS += $(BUILD)/gen/control.pb-c.h
RT_LIB_SRCS  := $(wildcard runtime/src/*.c) runtime/ctl/ctl_frame.c
RT_LIB_OBJS  := $(RT_LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/$(BUILD)/gen/control.pb-c.o
RT_LIB       := $(BUILD)/lib/libvessel.a
RT_SAN_LIB   := $(BUILD)/lib/libvessel-san.a
RT_CLI_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard runtime/cli/*.c))
RT_SHIM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard runtime/shim/*.c))

BINS += $(BUILD)/bin/vessel-runtime $(BUILD)/bin/vessel-shim $(BUILD)/lib/vessel/backend-libvirt.so

# The libvirt backend is a module (runtime/libvirt/), dlopen'ed by
# runtime/src/backend.c only when a VNF uses it, so the shim of a direct-QEMU
# VNF does not map libvirt's ~60 libraries. It calls back into the
# executable's libvessel and libvslcommon: those are linked whole and exported
# (-rdynamic).
RT_LV_SRCS := $(wildcard runtime/libvirt/*.c)
RT_EXE_LINK := -rdynamic -Wl,--whole-archive $(RT_LIB) $(COMMON_LIB) -Wl,--no-whole-archive
$(BUILD)/pic/runtime/libvirt/%.o: runtime/libvirt/%.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -fPIC $(EXTRA_CFLAGS_runtime) -c $< -o $@
$(BUILD)/lib/vessel/backend-libvirt.so: $(RT_LV_SRCS:%.c=$(BUILD)/pic/%.o)
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $^ $(shell $(PKG_CONFIG) --libs $(RT_LV_PKGS) jansson 2>/dev/null)

$(RT_LIB): $(RT_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(RT_SAN_LIB): $(RT_LIB_SRCS:%.c=$(BUILD)/san/%.o) $(BUILD)/san/$(BUILD)/gen/control.pb-c.o
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# libvesselnuma (runtime/numa/build.mk, included after this file)
RT_NUMA_LIB     := $(BUILD)/lib/libvesselnuma.a
RT_NUMA_SAN_LIB := $(BUILD)/lib/libvesselnuma-san.a

$(BUILD)/bin/vessel-runtime: $(RT_CLI_OBJS) $(RT_LIB) $(RT_NUMA_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(RT_CLI_OBJS) $(RT_EXE_LINK) $(RT_NUMA_LIB) $(RT_LIBS)

$(BUILD)/bin/vessel-shim: $(RT_SHIM_OBJS) $(RT_LIB) $(RT_NUMA_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(RT_SHIM_OBJS) $(RT_EXE_LINK) $(RT_NUMA_LIB) $(RT_LIBS)

# Unit tests (cmocka, ASan+UBSan).
RT_UNIT := test_oci_config test_oci_qemu_cmd test_state test_jail test_oci_process test_oci_net test_domain_xml
UNIT_TESTS += $(RT_UNIT:%=$(BUILD)/tests/unit/%)
$(RT_UNIT:%=$(BUILD)/tests/unit/%): $(BUILD)/tests/unit/%: $(BUILD)/san/tests/unit/%.o \
		$(RT_SAN_LIB) $(RT_NUMA_SAN_LIB) $(COMMON_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $(filter %.o,$^) $(filter-out %.o,$^) $(CMOCKA_LIBS) $(RT_LIBS)
# the domain XML builder is in the libvirt module; its unit test links it in
$(BUILD)/tests/unit/test_domain_xml: $(BUILD)/san/runtime/libvirt/domain_xml.o
$(BUILD)/tests/unit/test_domain_xml: RT_LIBS += $(shell $(PKG_CONFIG) --libs libxml-2.0 2>/dev/null)

# libFuzzer target for the config.json parser.
FUZZ_TARGETS += $(BUILD)/tests/fuzz/fuzz_oci_config
$(BUILD)/tests/fuzz/fuzz_oci_config: tests/fuzz/fuzz_oci_config.c runtime/src/oci_config.c \
		$(COMMON_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Icommon/include -Iruntime/src \
		-o $@ $^ $(shell $(PKG_CONFIG) --libs jansson)

# libFuzzer target for the exec --process parser.
FUZZ_TARGETS += $(BUILD)/tests/fuzz/fuzz_oci_process
$(BUILD)/tests/fuzz/fuzz_oci_process: tests/fuzz/fuzz_oci_process.c runtime/src/oci_process.c \
		runtime/src/oci_config.c $(COMMON_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Icommon/include -Iruntime/src \
		-o $@ $^ $(shell $(PKG_CONFIG) --libs jansson)

# libFuzzer target for the org.vessel.net.N NIC parser.
FUZZ_TARGETS += $(BUILD)/tests/fuzz/fuzz_oci_net
$(BUILD)/tests/fuzz/fuzz_oci_net: tests/fuzz/fuzz_oci_net.c runtime/src/oci_net.c runtime/src/oci_config.c \
		$(COMMON_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Icommon/include -Iruntime/src -Ivhost-user/include \
		-o $@ $^ $(shell $(PKG_CONFIG) --libs jansson)
