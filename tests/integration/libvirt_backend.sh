# The libvirt backend (runtime/libvirt/backend_libvirt.c) against a real
# libvirtd: the VNF is a transient domain named after it that virsh lists,
# whose XML is the microVM with shared memory; the per-container annotation
# selects it; libvirtd not answering or refusing the domain is a clear error
# naming libvirt with nothing left behind; a shim that dies takes its domain
# with it (autodestroy). The shared runtime behaviour (run, lifecycle) is
# re-run with this backend by libvirt_runtime.sh.
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"

RT_BACKEND=libvirt
setup() { rt_setup; }
teardown() { rt_teardown; }

domain_exists() { lv_virsh domstate "$(lv_dom "$1")" >/dev/null 2>&1; }
no_domain() { ! domain_exists "$1"; }

# expect_create_fail ID NEEDLE [runtime args...]: create fails, one error line
# with NEEDLE, and neither a state directory nor a domain remains.
expect_create_fail() {
	local id=$1 needle=$2; shift 2
	"$RT_BIN" --root "$ROOT" --hypervisor libvirt "$@" create --bundle "$T/b" "$id" </dev/null \
		>"$T/out" 2>"$T/err" &&
		{ fail "create $id succeeded"; return 1; }
	assert_contains "$(cat "$T/err")" "$needle" "create $id error" || return 1
	assert_eq 1 "$(grep -c 'error' "$T/err")" "error lines ($(cat "$T/err"))" || return 1
	no_domain "$id" || { fail "domain $id left behind"; return 1; }
	assert_no_leftovers "$id"
}

test_annotation_selects_libvirt_and_virsh_shows_the_microvm() {
	local id=lvsel$$
	make_bundle "$T/b" '.process.args=["sh","-c","sleep 100"] |
		.annotations={"org.vessel.hypervisor":"libvirt"}'
	# the node default stays qemu: only the annotation asks for libvirt
	"$RT_BIN" --root "$ROOT" create --bundle "$T/b" --pid-file "$T/pid" "$id" </dev/null \
		>/dev/null 2>"$T/err" || { fail "create: $(cat "$T/err")"; return 1; }
	"$RT_BIN" --root "$ROOT" start "$id" || return 1
	assert_contains "$(lv_virsh list --name)" "$(lv_dom "$id")" "virsh list" || return 1
	local xml; xml=$(lv_virsh dumpxml "$(lv_dom "$id")")
	assert_contains "$xml" "machine='microvm'" "dumpxml machine" || return 1
	assert_contains "$xml" "<source type='memfd'/>" "dumpxml memfd" || return 1
	assert_contains "$xml" "<access mode='shared'/>" "dumpxml shared memory" || return 1
	assert_contains "$xml" "name='org.vessel.ctl'" "dumpxml control channel" || return 1
	assert_contains "$xml" "$ROOT/$id/rootfs.erofs" "dumpxml rootfs" || return 1
	local st; st=$("$RT_BIN" --root "$ROOT" state "$id")
	assert_eq libvirt "$(jq -r '.annotations["org.vessel.hypervisor"]' <<<"$st")" "state annotation" || return 1
	assert_eq "$(lv_virsh domuuid "$(lv_dom "$id")")" \
		"$(jq -r '.annotations["org.vessel.libvirt.uuid"]' <<<"$st")" "recorded UUID" || return 1
	assert_eq "$(lv_dom "$id")" "$(jq -r '.annotations["org.vessel.libvirt.domain"]' <<<"$st")" \
		"recorded domain name" || return 1
	# the QEMU libvirt started is the one in state.json, and runs as libvirt-qemu
	local qpid; qpid=$(jq .qemuPid "$ROOT/$id/state.json")
	assert_eq libvirt-qemu "$(ps -o user= -p "$qpid")" "QEMU user" || return 1
	"$RT_BIN" --root "$ROOT" kill "$id" KILL || return 1
	wait_until 30 no_domain "$id" || { fail "domain outlived the workload"; return 1; }
	# the shim notices the domain's end on its next poll: stopped, then delete
	wait_until 30 lv_stopped "$id" || { fail "still $("$RT_BIN" --root "$ROOT" state "$id" | jq -r .status) after the domain ended"; return 1; }
	"$RT_BIN" --root "$ROOT" delete "$id" || return 1
	assert_no_leftovers
}

lv_stopped() { [ "$("$RT_BIN" --root "$ROOT" state "$1" | jq -r .status)" = stopped ]; }

test_libvirtd_not_answering_is_a_clear_error() {
	bundle_cmd "$T/b" 'true'
	VESSEL_LIBVIRT_URI="qemu:///system?socket=$T/no-libvirtd.sock" \
		expect_create_fail lvdown$$ "libvirt: cannot connect to" || return 1
	assert_contains "$(cat "$T/err")" "libvirtd" "the error says what to start"
}

test_libvirt_refusing_the_domain_is_a_clear_error() {
	bundle_cmd "$T/b" 'true'
	# libvirt cannot use /bin/true as an emulator and refuses the domain
	VESSEL_QEMU=/bin/true expect_create_fail lvref$$ "libvirt refused domain \`$(lv_dom lvref$$)\`" || return 1
	# a refusal is not a KVM failure: nothing remembered as a fallback
	[ ! -e "$VESSEL_LIB_DIR/accel-fallback.json" ] ||
		assert_not_contains "$(cat "$VESSEL_LIB_DIR/accel-fallback.json")" "refused"
}

test_bad_hypervisor_names_the_annotation() {
	make_bundle "$T/b" '.annotations={"org.vessel.hypervisor":"xen"}'
	expect_create_fail lvbad$$ "annotation \`org.vessel.hypervisor\`" || return 1
	bundle_cmd "$T/b" 'true'
	"$RT_BIN" --root "$ROOT" --hypervisor vbox list >/dev/null 2>"$T/err" && { fail "vbox accepted"; return 1; }
	assert_contains "$(cat "$T/err")" "--hypervisor \`vbox\`"
}

test_state_root_qemu_cannot_reach() {
	bundle_cmd "$T/b" 'true'
	mkdir -m 0700 "$T/private"
	ROOT=$T/private/root expect_create_fail lvroot$$ "is not searchable by libvirt's QEMU user" ||
		return 1
	assert_contains "$(cat "$T/err")" "$T/private" "the error names the directory"
}

test_shim_killed_takes_its_domain() {
	local id=lvkill$$
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" --pid-file "$T/pid" "$id" </dev/null >/dev/null 2>&1 || return 1
	rt start "$id" || return 1
	domain_exists "$id" || { fail "no domain"; return 1; }
	kill -9 "$(cat "$T/pid")"
	wait_until 30 no_domain "$id" || { fail "domain outlived its shim"; return 1; }
	rt delete "$id" || return 1
	assert_no_leftovers
}

# What placement chose shows in `virsh dumpxml` and is what libvirt applied:
# a dedicated VNF on 2M hugepages gets <vcpupin> to its recorded core,
# <emulatorpin> and <vcpu cpuset> to the shared set, <numatune> strict to its
# node, memfd hugepage memory with shared access; the vCPU thread's affinity
# (sched_getaffinity) is that core. Placement state is private to the test.
test_dumpxml_shows_the_placement() {
	local id=lvpl$$ hp=0
	[ "$(nproc --all)" -ge 2 ] || skip "needs 2 cpus"
	export VESSEL_PLACEMENT_DIR=$T/place
	"$VESSEL_BUILD/bin/vessel-numa" --state-dir "$VESSEL_PLACEMENT_DIR" reserve --housekeeping "" \
		>/dev/null || return 1
	"$VESSEL_TOP/scripts/hugepages" reserve 70 >/dev/null || skip "cannot reserve 70 2M hugepages"
	make_bundle "$T/b" '.process.args=["sleep","600"] | .annotations=$a' --argjson a \
		'{"org.vessel.cpu_policy":"dedicated","org.vessel.hugepage_size":"2M",
		  "org.vessel.memory_mb":"128","org.vessel.mem_prealloc":"true"}'
	rt create --bundle "$T/b" "$id" </dev/null >/dev/null 2>"$T/err" ||
		{ fail "create: $(cat "$T/err")"; "$VESSEL_TOP/scripts/hugepages" release >/dev/null; return 1; }
	local place; place=$(jq -c ".vnfs[\"$id\"]" "$VESSEL_PLACEMENT_DIR/placement.json")
	local cpu shared node
	cpu=$(jq -r '.vcpu_cpus[0]' <<<"$place"); shared=$(jq -r .shared <<<"$place")
	node=$(rt state "$id" | jq -r '.annotations["org.vessel.placement.node"]')
	local x; x=$(lv_virsh dumpxml "$(lv_dom "$id")")
	local r=0
	assert_contains "$x" "<vcpupin vcpu='0' cpuset='$cpu'/>" "vcpupin" || r=1
	[ -z "$shared" ] || assert_contains "$x" "<emulatorpin cpuset='$shared'/>" "emulatorpin" || r=1
	assert_contains "$x" "<memory mode='strict' nodeset='$node'/>" "numatune" || r=1
	assert_contains "$x" "<page size='2048' unit='KiB'" "hugepages" || r=1
	assert_contains "$x" "<source type='memfd'/>" "memfd" || r=1
	assert_contains "$x" "<access mode='shared'/>" "shared memory" || r=1
	local tid; tid=$(rt state "$id" | jq -r '.annotations["org.vessel.vcpu_threads"]')
	assert_eq "$cpu" "$("$VESSEL_BUILD/bin/vessel-numa" affinity --tid "$tid")" "vCPU thread affinity" || r=1
	echo "placement $place; dumpxml:"; grep -E "vcpupin|emulatorpin|nodeset|page size|memfd|access" <<<"$x"
	rt delete --force "$id" || r=1
	"$VESSEL_TOP/scripts/hugepages" release >/dev/null
	[ "$r" = 0 ] && assert_no_leftovers
}
