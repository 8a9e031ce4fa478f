# Shared helpers for the runtime_*.sh integration tests (this file has no
# tests of its own). They drive the real vessel-runtime, vessel-shim and QEMU
# with the busybox bundle from `make bundles`, each test in its own state
# root under $T. The KVM->TCG fallback memory lives in one lib dir shared by
# the whole run, so on a host where KVM cannot boot guests only the first
# test pays for the failed KVM attempt.
#
# VESSEL_TEST_BACKEND=libvirt runs the same tests with the libvirt backend
# (vessel-runtime --hypervisor libvirt; libvirtd started by the test, see
# libvirt_common.inc); tests/integration/libvirt_runtime.sh does so for the
# core cases.

RT_BIN=$VESSEL_BUILD/bin/vessel-runtime
RT_BUNDLE_SRC=$VESSEL_BUILD/bundles/busybox
export VESSEL_LIB_DIR=${VESSEL_TEST_LIB_DIR:-$VESSEL_BUILD/tests/vessel-lib}
RT_BACKEND=${VESSEL_TEST_BACKEND:-qemu}
source "$(dirname "${BASH_SOURCE[0]}")/libvirt_common.inc"

rt_setup() {
	need_root
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (scripts/install-deps)"
	command -v mkfs.erofs >/dev/null || skip "mkfs.erofs not installed (erofs-utils)"
	command -v jq >/dev/null || skip "jq not installed (scripts/install-deps)"
	for f in "$RT_BIN" "$VESSEL_BUILD/bin/vessel-shim" "$VESSEL_BUILD/images/vmlinux" \
		"$VESSEL_BUILD/images/initramfs.cpio" "$RT_BUNDLE_SRC/config.json"; do
		[ -e "$f" ] || skip "$f missing: run make (and make bundles)"
	done
	mkdir -p "$VESSEL_LIB_DIR"
	ROOT=$T/root
	if [ "$RT_BACKEND" = libvirt ]; then
		lv_setup || return 1
	fi
}

# rt ARGS...: vessel-runtime with this test's state root.
rt() { "$RT_BIN" --root "$ROOT" --hypervisor "$RT_BACKEND" "$@"; }

# make_bundle DIR JQ-FILTER [jq args...]: a bundle whose rootfs is the
# busybox bundle's (by absolute path) and whose config.json is the busybox
# one edited by the jq filter, e.g. '.process.args=["true"]'.
make_bundle() {
	local dir=$1 filter=$2; shift 2
	mkdir -p "$dir"
	jq "$@" --arg rootfs "$RT_BUNDLE_SRC/rootfs" ".root.path=\$rootfs | $filter" \
		"$RT_BUNDLE_SRC/config.json" >"$dir/config.json"
}

# bundle_cmd DIR SHELL-SCRIPT: a bundle running sh -c SCRIPT.
bundle_cmd() {
	make_bundle "$1" '.process.args=["sh","-c",$s]' --arg s "$2"
}

status_of() { rt state "$1" 2>/dev/null | jq -r .status; }

# Processes that belong to this test: shims started with our root, and any
# process (QEMU) whose working directory is inside it.
leftovers() {
	local p
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/cwd" 2>/dev/null)" in
		"$ROOT"/*) echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-80)" ;;
		esac
	done
	pgrep -af -- "vessel-shim --root $ROOT " || true
	[ "$RT_BACKEND" != libvirt ] || lv_domains_under "$ROOT"
}

# assert_no_leftovers [ID]: no processes, and no state directory for ID
# (or nothing at all under the root).
assert_no_leftovers() {
	local left
	left=$(leftovers)
	[ -z "$left" ] || { fail "processes left behind: $left"; return 1; }
	if [ -n "${1:-}" ]; then
		[ ! -e "$ROOT/$1" ] || { fail "state directory $ROOT/$1 left behind: $(ls "$ROOT/$1")"; return 1; }
	else
		[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || { fail "left under $ROOT: $(ls -A "$ROOT")"; return 1; }
	fi
}

rt_teardown() {
	local id
	for id in $(ls "$ROOT" 2>/dev/null); do
		rt delete --force "$id" >/dev/null 2>&1
	done
	[ "$RT_BACKEND" != libvirt ] || lv_teardown
	return 0
}
