# Bad input to vessel-runtime: each gives a one-line error naming the field,
# path or id, a non-zero exit, a JSON error line in --log with
# --log-format json, and leaves nothing behind. Also the accelerator choice:
# KVM when it boots, else a remembered fallback to TCG.
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"

setup() { rt_setup; }
teardown() { rt_teardown; }

# expect_fail WHAT NEEDLE CMD...: CMD fails with one stderr line containing NEEDLE.
expect_fail() {
	local what=$1 needle=$2; shift 2
	"$@" </dev/null >"$T/out" 2>"$T/err" && { fail "$what: succeeded"; return 1; }
	assert_eq 1 "$(wc -l <"$T/err")" "$what: number of error lines ($(cat "$T/err"))" || return 1
	assert_contains "$(cat "$T/err")" "$needle" "$what"
}

test_bad_config_names_field() {
	make_bundle "$T/b" '.process.args=["sh", 5]'
	expect_fail "bad args" "process.args[1]" rt create --bundle "$T/b" bad1 || return 1
	make_bundle "$T/b" '.process.user.uid="root"'
	expect_fail "bad uid" "process.user.uid" rt create --bundle "$T/b" bad2 || return 1
	make_bundle "$T/b" '.annotations={"org.vessel.memory_mb":"huge"}'
	expect_fail "bad annotation" "org.vessel.memory_mb" rt create --bundle "$T/b" bad3 || return 1
	mkdir -p "$T/b4"; echo '{"process": {' >"$T/b4/config.json"
	expect_fail "malformed JSON" "config.json" rt create --bundle "$T/b4" bad4 || return 1
	assert_no_leftovers
}

test_json_log_line() {
	make_bundle "$T/b" '.process.cwd="relative"'
	"$RT_BIN" --root "$ROOT" --log "$T/log.json" --log-format json create --bundle "$T/b" jl1 \
		</dev/null >/dev/null 2>"$T/err" && { fail "create succeeded"; return 1; }
	local line; line=$(grep '"level"' "$T/log.json" | tail -1)
	assert_eq error "$(jq -r .level <<<"$line")" "log level" || return 1
	assert_contains "$(jq -r .msg <<<"$line")" "process.cwd" "log msg" || return 1
	assert_contains "$(cat "$T/err")" "process.cwd" "stderr still has the error" || return 1
	assert_no_leftovers
}

test_missing_rootfs() {
	make_bundle "$T/b" '.'
	jq '.root.path="nowhere"' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
	expect_fail "missing rootfs" "$T/b/nowhere" rt create --bundle "$T/b" mr1 || return 1
	assert_contains "$(cat "$T/err")" "root.path" || return 1
	expect_fail "missing bundle" "$T/nobundle" rt create --bundle "$T/nobundle" mr2 || return 1
	assert_no_leftovers
}

test_unknown_id() {
	local verb
	for verb in start state delete kill pause resume; do
		expect_fail "$verb of unknown id" "ghost" rt $verb ghost || return 1
	done
	expect_fail "invalid id" "../x" rt create --bundle "$T/b" ../x || return 1
	assert_no_leftovers
}

test_duplicate_id() {
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" --pid-file "$T/pid" dup </dev/null >/dev/null 2>&1 || return 1
	expect_fail "duplicate id" "dup" rt create --bundle "$T/b" --pid-file "$T/pid2" dup || return 1
	assert_contains "$(cat "$T/err")" "already exists" || return 1
	assert_eq created "$(status_of dup)" "first container untouched" || return 1
	[ ! -e "$T/pid2" ] || { fail "pid file written for a failed create"; return 1; }
	rt delete dup || return 1
	assert_no_leftovers
}

test_missing_kernel() {
	mkdir -p "$T/noimages"
	bundle_cmd "$T/b" 'true'
	VESSEL_IMAGES_DIR=$T/noimages expect_fail "missing kernel" "$T/noimages/vmlinux" \
		rt create --bundle "$T/b" mk1 || return 1
	assert_contains "$(cat "$T/err")" "make" "says how to fix it" || return 1
	cp "$VESSEL_BUILD/images/vmlinux" "$T/noimages/vmlinux"
	VESSEL_IMAGES_DIR=$T/noimages expect_fail "missing initramfs" "initramfs.cpio" \
		rt create --bundle "$T/b" mk2 || return 1
	assert_no_leftovers
}

test_broken_kernel_fails_cleanly() {
	# a "kernel" QEMU cannot boot: the error names the container, nothing is left
	mkdir -p "$T/img"
	echo "not a kernel" >"$T/img/vmlinux"
	cp "$VESSEL_BUILD/images/initramfs.cpio" "$T/img/"
	bundle_cmd "$T/b" 'true'
	VESSEL_IMAGES_DIR=$T/img VESSEL_ACCEL=tcg expect_fail "unbootable kernel" "bk1" \
		rt create --bundle "$T/b" bk1 || return 1
	assert_contains "$(cat "$T/err")" "QEMU" || return 1
	assert_no_leftovers
}

test_unknown_signal_and_flags() {
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" sg1 </dev/null >/dev/null 2>&1 || return 1
	expect_fail "unknown signal" "NOSUCHSIG" rt kill sg1 NOSUCHSIG || return 1
	"$RT_BIN" --root "$ROOT" --systemd-cgroup state sg1 >/dev/null 2>"$T/err" || return 1
	assert_contains "$(cat "$T/err")" "ignored" "--systemd-cgroup warning" || return 1
	rt delete --force sg1 || return 1
	assert_no_leftovers
}

test_accel_auto_kvm_or_remembered_fallback() {
	# a fresh lib dir: auto tries KVM first; where KVM cannot boot a guest the
	# fallback is logged and remembered, and the next boot goes straight to TCG
	export VESSEL_LIB_DIR=$T/lib
	bundle_cmd "$T/b" 'true'
	rt run --bundle "$T/b" ac1 </dev/null 2>"$T/err1" || { cat "$T/err1"; return 1; }
	if [ -e "$T/lib/accel-fallback.json" ]; then
		assert_contains "$(cat "$T/err1")" "falling back to TCG" "fallback logged" || return 1
		jq -e '.reason and .qemu_version and .host_kernel' "$T/lib/accel-fallback.json" >/dev/null ||
			{ fail "fallback memory lacks reason/version: $(cat "$T/lib/accel-fallback.json")"; return 1; }
		local t0=$(date +%s%N)
		rt run --bundle "$T/b" ac2 </dev/null 2>"$T/err2" || return 1
		local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		assert_not_contains "$(cat "$T/err2")" "falling back" "second boot skips KVM" || return 1
		[ "$ms" -lt 30000 ] || { fail "second boot took ${ms} ms"; return 1; }
		# a changed QEMU/kernel key voids the memory
		jq '.key="other"' "$T/lib/accel-fallback.json" >"$T/f" && mv "$T/f" "$T/lib/accel-fallback.json"
		rt run --bundle "$T/b" ac3 </dev/null 2>"$T/err3" || return 1
		assert_contains "$(cat "$T/err3")" "falling back to TCG" "stale memory ignored" || return 1
	else
		echo "KVM booted the guest here: no fallback needed"
	fi
	VESSEL_ACCEL=tcg rt create --bundle "$T/b" ac4 </dev/null >/dev/null 2>&1 || return 1
	assert_eq tcg "$(rt state ac4 | jq -r '.annotations["org.vessel.accel"]')" "VESSEL_ACCEL=tcg" || return 1
	rt delete ac4 || return 1
	expect_fail "bad --accel" "hvf" rt --accel hvf list || return 1
	assert_no_leftovers
}

# images whose initramfs boots but never says READY: /init is a busybox
# script that sleeps (or exits at once, which panics the kernel)
make_silent_images() {
	mkdir -p "$T/silent/tree/bin"
	cp /bin/busybox "$T/silent/tree/bin/busybox"
	printf '#!/bin/busybox sh\n%s\n' "$1" >"$T/silent/tree/init"
	chmod +x "$T/silent/tree/init"
	(cd "$T/silent/tree" && find . | cpio --quiet -o -H newc >../initramfs.cpio) || return 1
	cp "$VESSEL_BUILD/images/vmlinux" "$T/silent/vmlinux"
}

test_guest_never_ready() {
	[ -x /bin/busybox ] || skip "/bin/busybox missing (busybox-static)"
	make_silent_images '/bin/busybox sleep 1000' || return 1
	bundle_cmd "$T/b" 'true'
	local t0=$(date +%s)
	VESSEL_IMAGES_DIR=$T/silent VESSEL_ACCEL=tcg VESSEL_BOOT_TIMEOUT=4 \
		expect_fail "guest never READY" "no READY from the guest within 4000 ms" \
		rt create --bundle "$T/b" nr1 || return 1
	assert_contains "$(cat "$T/err")" "nr1" || return 1
	[ $(( $(date +%s) - t0 )) -lt 30 ] || { fail "took too long to give up"; return 1; }
	assert_no_leftovers || return 1
	make_silent_images 'exit 0' || return 1   # init exits: kernel panic, QEMU ends
	VESSEL_IMAGES_DIR=$T/silent VESSEL_ACCEL=tcg expect_fail "guest panics" "QEMU exited" \
		rt create --bundle "$T/b" nr2 || return 1
	assert_no_leftovers
}

test_create_killed_midway_leaves_nothing() {
	bundle_cmd "$T/b" 'sleep 100'
	"$RT_BIN" --root "$ROOT" create --bundle "$T/b" km1 </dev/null >/dev/null 2>&1 &
	local cpid=$!
	wait_until 10 test -e "$ROOT/km1/qemu.log" || { fail "create never started QEMU"; return 1; }
	kill -9 $cpid
	wait $cpid 2>/dev/null
	# the shim notices nobody waits for it and undoes the container
	wait_until 60 test ! -e "$ROOT/km1" || { fail "state left after create was killed: $(ls "$ROOT/km1")"; return 1; }
	wait_until 10 test -z "$(leftovers)" || { fail "processes left: $(leftovers)"; return 1; }
}
