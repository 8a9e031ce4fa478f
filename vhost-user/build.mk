# libvesselvhost: vhost-user client ports over DPDK rte_vhost, plus the
# header-only socket-path contract (include/vessel/vhost_path.h) the runtime
# shares. DPDK headers are included with -isystem so our warning flags stay.
DPDK_CFLAGS := $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags libdpdk 2>/dev/null))
DPDK_LIBS   := $(shell $(PKG_CONFIG) --libs libdpdk 2>/dev/null)
EXTRA_CFLAGS_vhost-user := -Ivhost-user/include $(DPDK_CFLAGS)

VHOST_SRCS := $(wildcard vhost-user/src/*.c)
VHOST_LIB  := $(BUILD)/lib/libvesselvhost.a

$(VHOST_LIB): $(VHOST_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
