# libvslcommon: errors, logging, cleanup helpers shared by every component.
COMMON_SRCS := $(wildcard common/src/*.c)
COMMON_LIB  := $(BUILD)/lib/libvslcommon.a
COMMON_SAN_LIB := $(BUILD)/lib/libvslcommon-san.a
COMMON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null)

$(COMMON_LIB): $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(COMMON_SAN_LIB): $(COMMON_SRCS:%.c=$(BUILD)/san/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
