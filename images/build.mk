# Guest images: kernel (cached build, see images/kernel/build-kernel),
# vessel-init (static PID 1), the initramfs holding it, and a sample busybox
# OCI bundle. See images/README.md.
IMG_DIR      := $(BUILD)/images
INIT_SRCS    := $(wildcard images/init/*.c)
INIT_OBJS    := $(INIT_SRCS:%.c=$(BUILD)/obj/%.o) \
	$(BUILD)/obj/images/ctl/ctl_frame.o \
	$(BUILD)/obj/$(BUILD)/gen/control.pb-c.o \
	$(BUILD)/obj/common/src/err.o $(BUILD)/obj/common/src/cleanup.o
PROTOBUF_C_STATIC ?= /usr/lib/x86_64-linux-gnu/libprotobuf-c.a
EXTRA_CFLAGS_images := -Iruntime/ctl -Iimages/init

GEN_HDRS += $(BUILD)/gen/control.pb-c.h
BINS += $(IMG_DIR)/vmlinux $(IMG_DIR)/vessel-init $(IMG_DIR)/initramfs.cpio \
	$(BUILD)/bundles/busybox/config.json $(BUILD)/tests/ctl-client

# The kernel build is cached outside the clone; the script is a no-op when
# the cache has this config's vmlinux, so it runs every time.
.PHONY: $(IMG_DIR)/vmlinux
$(IMG_DIR)/vmlinux:
	@JOBS=$${JOBS:-2} bash images/kernel/build-kernel $@

# The framing code is shared with the shim; built here with our flags so the
# static init does not depend on the runtime's build rules.
$(BUILD)/obj/images/ctl/ctl_frame.o: runtime/ctl/ctl_frame.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Iruntime/ctl -c $< -o $@

$(IMG_DIR)/vessel-init: $(INIT_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -static -s -o $@ $^ $(PROTOBUF_C_STATIC)

# Uncompressed newc archive: /init plus the mount points it uses. Built from
# a staging tree with fixed owners and times, so it is reproducible and needs
# no root (init makes /dev/console itself by mounting devtmpfs).
$(IMG_DIR)/initramfs.cpio: $(IMG_DIR)/vessel-init images/build.mk
	@rm -rf $(IMG_DIR)/initramfs.d && mkdir -p $(IMG_DIR)/initramfs.d
	@cd $(IMG_DIR)/initramfs.d && mkdir dev proc sys run newroot lower rw && \
		cp ../vessel-init init && chmod 0755 init && \
		touch -h -d @0 . * && \
		find . -mindepth 1 | LC_ALL=C sort | \
		cpio --quiet -o -H newc --owner 0:0 --reproducible > ../initramfs.cpio.tmp
	@mv $(IMG_DIR)/initramfs.cpio.tmp $@
	@rm -rf $(IMG_DIR)/initramfs.d

bundles: $(BUILD)/bundles/busybox/config.json
$(BUILD)/bundles/busybox/config.json: images/bundles/make-busybox-bundle
	bash images/bundles/make-busybox-bundle $(BUILD)/bundles/busybox

images: $(IMG_DIR)/vmlinux $(IMG_DIR)/initramfs.cpio bundles

# Host-side debug client for the control channel (tests, perf/boot).
CTL_CLIENT_OBJS := $(BUILD)/obj/images/tools/ctl_client.o $(BUILD)/obj/images/ctl/ctl_frame.o \
	$(BUILD)/obj/$(BUILD)/gen/control.pb-c.o
$(BUILD)/obj/images/tools/ctl_client.o: tests/tools/ctl_client.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Iruntime/ctl -c $< -o $@
$(BUILD)/tests/ctl-client: $(CTL_CLIENT_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(shell $(PKG_CONFIG) --libs libprotobuf-c)

.PHONY: bundles images

# Unit tests of init's parsers (ASan+UBSan, host).
UNIT_TESTS += $(BUILD)/tests/unit/test_init_parse
$(BUILD)/san/images/tests/test_init_parse.o: tests/unit/test_init_parse.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -Iruntime/ctl -Iimages/init -c $< -o $@
$(BUILD)/tests/unit/test_init_parse: $(BUILD)/san/images/tests/test_init_parse.o \
		$(BUILD)/san/images/init/mounts.o $(BUILD)/san/images/init/net.o $(COMMON_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CMOCKA_LIBS) $(COMMON_LIBS)

# Sample VNF images (images/vnf/make-vnf-images): iperf3 traffic source/sink
# and a router, each as an OCI bundle, a docker-archive and an OCI layout tar,
# for `make demo`, the networking tests and perf/net. Rebuilt when the script
# or the Debian binaries they copy change.
VNF_DIR := $(BUILD)/vnf
VNF_IMAGES := $(VNF_DIR)/iperf3.docker.tar $(VNF_DIR)/router.docker.tar
BINS += $(VNF_IMAGES)
$(VNF_DIR)/iperf3.docker.tar: images/vnf/make-vnf-images $(wildcard /usr/bin/iperf3 /bin/busybox)
	@bash images/vnf/make-vnf-images $(VNF_DIR) iperf3
$(VNF_DIR)/router.docker.tar: images/vnf/make-vnf-images $(wildcard /bin/busybox)
	@bash images/vnf/make-vnf-images $(VNF_DIR) router
vnf-images: $(VNF_IMAGES)
.PHONY: vnf-images
