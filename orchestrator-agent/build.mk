# orchestrator-agent: vesseld (the node agent: REST API over libmicrohttpd,
# SQLite desired state, reconcile loop, image store) and vesselctl (its CLI).
# The orchestrator protocol (proto/vessel.proto) is compiled by protoc-c at
# build time into $(BUILD)/gen; vesseld sends NodeReports with libcurl, and
# vessel-orch-receiver (receiver/) is the reference orchestrator end.
AGENT_PKGS := libmicrohttpd jansson sqlite3 libarchive gnutls libprotobuf-c libcurl
AGENT_LIBS := $(shell $(PKG_CONFIG) --libs $(AGENT_PKGS) 2>/dev/null) -lnuma -lm -lpthread
EXTRA_CFLAGS_orchestrator-agent := -Iorchestrator-agent/src -Iruntime/numa/include \
	$(shell $(PKG_CONFIG) --cflags $(AGENT_PKGS) 2>/dev/null)

GEN_HDRS += $(BUILD)/gen/vessel.pb-c.h
ORCH_PB_OBJ := $(BUILD)/obj/$(BUILD)/gen/vessel.pb-c.o
AGENT_SRCS := $(wildcard orchestrator-agent/src/*.c)
AGENT_LIB_SRCS := $(filter-out orchestrator-agent/src/main.c,$(AGENT_SRCS))
AGENT_BIN := $(BUILD)/bin/vesseld
CTL_BIN := $(BUILD)/bin/vesselctl
RECV_BIN := $(BUILD)/bin/vessel-orch-receiver
RECV_SRCS := $(wildcard orchestrator-agent/receiver/*.c)
BINS += $(AGENT_BIN) $(CTL_BIN) $(RECV_BIN)

$(AGENT_BIN): $(AGENT_SRCS:%.c=$(BUILD)/obj/%.o) $(ORCH_PB_OBJ) $(NUMA_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(AGENT_LIBS) $(COMMON_LIBS)

$(RECV_BIN): $(RECV_SRCS:%.c=$(BUILD)/obj/%.o) $(ORCH_PB_OBJ) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs libmicrohttpd sqlite3 jansson libprotobuf-c) -lpthread

$(CTL_BIN): $(BUILD)/obj/orchestrator-agent/cli/vesselctl.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs libcurl jansson 2>/dev/null)

# Unit tests (cmocka, ASan+UBSan): request parsing and the image-archive reader.
$(BUILD)/san/tests/unit/test_agent_%.o: EXTRA_CFLAGS_tests += -Iorchestrator-agent/src
UNIT_TESTS += $(BUILD)/tests/unit/test_agent_spec $(BUILD)/tests/unit/test_agent_image
$(BUILD)/tests/unit/test_agent_spec: $(BUILD)/san/tests/unit/test_agent_spec.o \
		$(BUILD)/san/orchestrator-agent/src/spec.o $(COMMON_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CMOCKA_LIBS) $(COMMON_LIBS)
$(BUILD)/tests/unit/test_agent_image: $(BUILD)/san/tests/unit/test_agent_image.o \
		$(BUILD)/san/orchestrator-agent/src/image_archive.o $(COMMON_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CMOCKA_LIBS) $(shell $(PKG_CONFIG) --libs libarchive gnutls jansson)

# The orchestrator protocol's pure parts: Ack decoder, outbox merge, the
# receiver's report decoder and JSON rendering.
$(BUILD)/san/tests/unit/test_agent_report.o: EXTRA_CFLAGS_tests += -Iorchestrator-agent/receiver
UNIT_TESTS += $(BUILD)/tests/unit/test_agent_report
$(BUILD)/tests/unit/test_agent_report: $(BUILD)/san/tests/unit/test_agent_report.o \
		$(BUILD)/san/orchestrator-agent/src/report_proto.o $(BUILD)/san/orchestrator-agent/receiver/report_decode.o \
		$(BUILD)/san/orchestrator-agent/receiver/pb_json.o $(BUILD)/san/$(BUILD)/gen/vessel.pb-c.o $(COMMON_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CMOCKA_LIBS) $(shell $(PKG_CONFIG) --libs libprotobuf-c jansson)

# libFuzzer targets: the request parser and the image-archive reader.
FUZZ_TARGETS += $(BUILD)/tests/fuzz/fuzz_agent_spec $(BUILD)/tests/fuzz/fuzz_agent_image
$(BUILD)/tests/fuzz/fuzz_agent_spec: tests/fuzz/fuzz_agent_spec.c orchestrator-agent/src/spec.c common/src/cleanup.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Icommon/include -Iorchestrator-agent/src -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs jansson)
$(BUILD)/tests/fuzz/fuzz_agent_image: tests/fuzz/fuzz_agent_image.c orchestrator-agent/src/image_archive.c \
		common/src/cleanup.c common/src/err.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Icommon/include -Iorchestrator-agent/src -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs libarchive gnutls jansson)

# libFuzzer target: the acknowledgement decoder (vesseld), the report decoder
# and JSON rendering (receiver), and the outbox merge of queued reports.
FUZZ_TARGETS += $(BUILD)/tests/fuzz/fuzz_orch_proto
$(BUILD)/tests/fuzz/fuzz_orch_proto: tests/fuzz/fuzz_orch_proto.c orchestrator-agent/src/report_proto.c \
		orchestrator-agent/receiver/report_decode.c orchestrator-agent/receiver/pb_json.c \
		$(BUILD)/gen/vessel.pb-c.c common/src/cleanup.c common/src/err.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Icommon/include -Iorchestrator-agent/src \
		-Iorchestrator-agent/receiver -I$(BUILD)/gen -o $@ $^ $(shell $(PKG_CONFIG) --libs libprotobuf-c jansson)
