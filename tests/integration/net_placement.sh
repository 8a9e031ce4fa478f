# NUMA placement wired into the runtime, on this real host: a dedicated VNF's
# vCPU threads are pinned to the cores its placement recorded (read back with
# sched_getaffinity), QEMU's other threads to the shared set, its memory comes
# from hugepages bound to its node; a second dedicated VNF gets another core;
# a third is refused before QEMU starts, naming the node and what it lacked;
# delete gives cores and hugepages back.
#
# The placement file lives in $T ($VESSEL_PLACEMENT_DIR) with no housekeeping
# CPU, so the two CPUs of this host can both be dedicated. Multi-node choices
# are covered by the unit tests on fake sysfs trees (tests/unit/test_numa_*).
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"

NUMA=$VESSEL_BUILD/bin/vessel-numa
HP_RESERVED=0

setup() {
	rt_setup
	[ "$(nproc --all)" -ge 2 ] || skip "needs 2 cpus"
	export VESSEL_PLACEMENT_DIR=$T/place
	"$NUMA" --state-dir "$VESSEL_PLACEMENT_DIR" reserve --housekeeping "" >/dev/null || return 1
}
teardown() {
	rt_teardown
	[ "$HP_RESERVED" = 1 ] && "$VESSEL_TOP/scripts/hugepages" release >/dev/null
	return 0
}

# place_bundle DIR ANNOTATIONS-JSON: a bundle sleeping, with these annotations.
place_bundle() {
	make_bundle "$1" '.process.args=["sleep","600"] | .annotations=$a' --argjson a "$2"
}

recorded() { jq -c ".vnfs[\"$1\"]$2" "$VESSEL_PLACEMENT_DIR/placement.json"; }
qemu_of() { jq -r .qemuPid "$ROOT/$1/state.json"; }
vcpu_tid() { rt state "$1" | jq -r '.annotations["org.vessel.vcpu_threads"]'; }
affinity() { "$NUMA" affinity --tid "$1"; }

# Every non-vCPU thread of QEMU pid $1 (vCPU tids in $2) has affinity $3.
others_on() {
	local t
	for t in $(ls "/proc/$1/task"); do
		case ",$2," in *",$t,"*) continue ;; esac
		assert_eq "$3" "$(affinity "$t")" "affinity of QEMU thread $t ($(cat /proc/$1/task/$t/comm))" || return 1
	done
}

test_dedicated_pinning_hugepages_exhaustion_release() {
	"$VESSEL_TOP/scripts/hugepages" reserve 130 >/dev/null || skip "cannot reserve 130 2M hugepages"
	HP_RESERVED=1
	mountpoint -q /dev/hugepages || skip "no hugetlbfs at /dev/hugepages"
	place_bundle "$T/a" '{"org.vessel.cpu_policy":"dedicated","org.vessel.hugepage_size":"2M",
		"org.vessel.memory_mb":"256","org.vessel.mem_prealloc":"true"}'
	rt create --bundle "$T/a" --pid-file "$T/pa" pa </dev/null >/dev/null 2>"$T/err" || {
		fail "create pa: $(cat "$T/err")"; return 1; }
	local qa ta cpu_a shared_a
	qa=$(qemu_of pa); ta=$(vcpu_tid pa)
	cpu_a=$(recorded pa .vcpu_cpus[0]); shared_a=$(recorded pa .shared | tr -d '"')
	assert_eq 128 "$(recorded pa .hugepages)" "hugepages recorded for 256 MB" || return 1
	assert_eq "$cpu_a" "$(affinity "$ta")" "vCPU thread of pa on its dedicated cpu" || return 1
	assert_eq "$cpu_a" "$(rt state pa | jq -r '.annotations["org.vessel.placement.vcpu_cpus"]')" \
		"state annotation names the pinned cpu" || return 1
	others_on "$qa" "$ta" "$shared_a" || return 1
	# memory: hugetlbfs file, shared, bound to node 0, 128 huge pages faulted in (prealloc)
	local cmd; cmd=$(tr '\0' ' ' </proc/$qa/cmdline)
	# the hardened QEMU gets a directory of its own on the mount (docs/security.md)
	assert_contains "$cmd" "memory-backend-file,id=mem,size=256M,mem-path=/dev/hugepages" || return 1
	assert_contains "$cmd" ",share=on" || return 1
	assert_contains "$cmd" "host-nodes=0,policy=bind" || return 1
	local huge; huge=$(grep ' huge ' /proc/$qa/numa_maps | grep -o 'N0=[0-9]*' | head -1)
	assert_eq "N0=128" "$huge" "QEMU's hugepage mapping on node 0 (numa_maps)" || return 1
	# (the host-wide free count is not asserted: other users of the shared host
	# reserve and release hugepages at the same time)
	local mempath; mempath=$(grep -o 'mem-path=[^,]*' <<<"$cmd" | cut -d= -f2)

	# a second dedicated VNF gets the other cpu
	place_bundle "$T/b" '{"org.vessel.cpu_policy":"dedicated"}'
	rt create --bundle "$T/b" --pid-file "$T/pb" pb </dev/null >/dev/null 2>"$T/err" || {
		fail "create pb: $(cat "$T/err")"; return 1; }
	local cpu_b; cpu_b=$(recorded pb .vcpu_cpus[0])
	[ "$cpu_b" != "$cpu_a" ] || { fail "pb got pa's cpu $cpu_a"; return 1; }
	assert_eq "$cpu_b" "$(affinity "$(vcpu_tid pb)")" "vCPU thread of pb on its dedicated cpu" || return 1
	assert_eq "$cpu_a" "$(affinity "$ta")" "pa still on its cpu" || return 1

	# a third is refused before QEMU starts, and leaves nothing behind
	place_bundle "$T/c" '{"org.vessel.cpu_policy":"dedicated"}'
	rt create --bundle "$T/c" --pid-file "$T/pc" pc </dev/null >/dev/null 2>"$T/err" && {
		fail "third dedicated VNF created on a 2-cpu host"; return 1; }
	assert_contains "$(cat "$T/err")" "numa node 0: 0 free dedicated cores, 1 requested" || return 1
	assert_contains "$(cat "$T/err")" "pc" "error names the container" || return 1
	[ ! -e "$ROOT/pc" ] || { fail "state dir of the refused pc left"; return 1; }
	assert_eq null "$(recorded pc '')" "no placement recorded for pc" || return 1
	[ ! -e "$ROOT/pc/qemu.log" ] || return 1

	echo "pa: vcpu thread $ta on cpu $cpu_a, other threads on $shared_a, $huge hugepages; pb on cpu $cpu_b"
	# delete gives everything back
	rt delete --force pa && rt delete --force pb || return 1
	assert_eq '{}' "$(jq -c .vnfs "$VESSEL_PLACEMENT_DIR/placement.json")" "placements after delete" || return 1
	# no process maps pa's hugepages any more, and no file of it stays on the mount
	! kill -0 "$qa" 2>/dev/null || { fail "QEMU of pa still alive"; return 1; }
	[ "$mempath" = /dev/hugepages ] || [ -z "$(find "$mempath" -type f 2>/dev/null)" ] ||
		{ fail "hugetlbfs files left in $mempath"; return 1; }
	assert_no_leftovers
}

# A failed boot (QEMU cannot start) gives the placement back at once.
test_failed_create_releases_placement() {
	place_bundle "$T/a" '{"org.vessel.cpu_policy":"dedicated"}'
	VESSEL_QEMU=/bin/false rt create --bundle "$T/a" --pid-file "$T/p" fa </dev/null >/dev/null 2>"$T/err" && {
		fail "create with a failing QEMU succeeded"; return 1; }
	assert_eq null "$(recorded fa '')" "placement of the failed create" || return 1
	assert_no_leftovers
}

# Bad placement annotations fail create naming the annotation, before any
# record is made.
test_bad_placement_annotation() {
	place_bundle "$T/a" '{"org.vessel.cpu_policy":"exclusive"}'
	rt create --bundle "$T/a" ba </dev/null >/dev/null 2>"$T/err" && return 1
	assert_contains "$(cat "$T/err")" "org.vessel.cpu_policy: \`exclusive\`" || return 1
	place_bundle "$T/b" '{"org.vessel.hugepage_size":"2M","org.vessel.memory_mb":"255"}'
	rt create --bundle "$T/b" bb </dev/null >/dev/null 2>"$T/err" && return 1
	assert_contains "$(cat "$T/err")" "org.vessel.hugepage_size: guest memory 255 MiB" || return 1
	place_bundle "$T/c" '{"org.vessel.numa_node":"7"}'
	rt create --bundle "$T/c" bc </dev/null >/dev/null 2>"$T/err" && return 1
	assert_contains "$(cat "$T/err")" "numa_node 7 does not exist" || return 1
	assert_eq '{}' "$(jq -c '.vnfs // {}' "$VESSEL_PLACEMENT_DIR/placement.json")" "nothing recorded" || return 1
	assert_no_leftovers
}
