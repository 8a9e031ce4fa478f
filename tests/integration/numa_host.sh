# Integration tests for the NUMA module on this real host (vessel-numa against
# the real /sys and sched_setaffinity). Multi-node placement is covered by the
# unit tests on fake sysfs trees; here the host has what it has (typically one
# node, two CPUs, no SMT). Placement state lives in $T, never /var/lib/vessel.

NUMA=$VESSEL_BUILD/bin/vessel-numa

setup() {
	[ -x "$NUMA" ] || { echo "FAIL: $NUMA not built" >&2; return 1; }
	pids=()
}
teardown() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	return 0
}

sys_nodes() { ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | sed 's|.*/node||' | sort -n; }

test_show_matches_sys() {
	local js n want got c
	js=$("$NUMA" show --json) || return 1
	assert_eq "$(cat /sys/devices/system/cpu/online)" "$(jq -r .online <<<"$js")" "online cpus" || return 1
	assert_eq "$(sys_nodes | wc -l)" "$(jq '.nodes | length' <<<"$js")" "node count" || return 1
	for n in $(sys_nodes); do
		local d=/sys/devices/system/node/node$n
		got=$(jq -r ".nodes[] | select(.id == $n) | .cpus" <<<"$js")
		assert_eq "$(cat $d/cpulist)" "$got" "node $n cpus" || return 1
		for size in 2048:2M 1048576:1G; do
			local hp=$d/hugepages/hugepages-${size%%:*}kB
			[ -d "$hp" ] || continue
			# other users of the host (DPDK, guests) change the pool between two
			# reads: compare a show taken between two equal sysfs reads
			local try before after
			for try in 1 2 3 4 5 6 7 8 9 10; do
				before="$(cat $hp/nr_hugepages) $(cat $hp/free_hugepages)"
				got=$("$NUMA" show --json | jq -r ".nodes[] | select(.id == $n) | .hugepages[\"${size#*:}\"] | \"\(.nr) \(.free)\"")
				after="$(cat $hp/nr_hugepages) $(cat $hp/free_hugepages)"
				[ "$before" = "$after" ] && break
				sleep 0.3
			done
			assert_eq "$after" "$got" "node $n ${size#*:} hugepages" || return 1
		done
		got=$(jq -r ".nodes[] | select(.id == $n) | .mem_total_kb" <<<"$js")
		assert_eq "$(awk '/MemTotal/ {print $4}' $d/meminfo)" "$got" "node $n MemTotal" || return 1
	done
	for c in $(jq -r '.cpus[].cpu' <<<"$js"); do
		got=$(jq -r ".cpus[] | select(.cpu == $c) | .siblings" <<<"$js")
		assert_eq "$(cat /sys/devices/system/cpu/cpu$c/topology/thread_siblings_list)" "$got" "cpu $c siblings" || return 1
	done
	# the text form names every node
	assert_contains "$("$NUMA" show)" "node $(sys_nodes | head -1): cpus" || return 1
}

# A plan's dedicated cpu, applied with the pin helper, is what sched_getaffinity
# (and the kernel's own /proc view) reports for the thread afterwards.
test_plan_pins_thread() {
	local js cpu shared vcpu emu
	[ "$(nproc --all)" -ge 2 ] || skip "needs 2 cpus (one is housekeeping)"
	js=$("$NUMA" --state-dir "$T/state" plan --vnf pin-test --commit --vcpus 1 --memory-mb 64 \
		--cpu-policy dedicated --json) || return 1
	cpu=$(jq -r '.vcpu_cpus[0]' <<<"$js")
	shared=$(jq -r .shared <<<"$js")
	[ "$cpu" != 0 ] || { echo "FAIL: cpu 0 is housekeeping but was dedicated" >&2; return 1; }
	sleep 60 & vcpu=$!; pids+=("$vcpu")
	sleep 60 & emu=$!; pids+=("$emu")
	assert_eq "$cpu" "$("$NUMA" pin --tid "$vcpu" --cpus "$cpu")" "pin output" || return 1
	"$NUMA" pin --tid "$emu" --cpus "$shared" >/dev/null || return 1
	assert_eq "$cpu" "$("$NUMA" affinity --tid "$vcpu")" "vcpu thread affinity" || return 1
	assert_eq "$cpu" "$(awk '/^Cpus_allowed_list/ {print $2}' /proc/$vcpu/status)" "/proc vcpu affinity" || return 1
	assert_eq "$shared" "$(awk '/^Cpus_allowed_list/ {print $2}' /proc/$emu/status)" "/proc emulator affinity" || return 1
	# the dedicated cpu is not in the shared set the plan gave QEMU's other threads
	assert_not_contains ",$("$NUMA" affinity --tid "$emu")," ",$cpu," "shared set" || return 1
}

test_second_dedicated_vnf_is_refused_when_cores_run_out() {
	local ncpu hk free out
	[ "$(sys_nodes | wc -l)" -le 1 ] || skip "host has several numa nodes; exhaustion is tested on fake trees"
	ncpu=$(nproc --all)
	hk=$("$NUMA" --state-dir "$T/state" list --json | jq -r .housekeeping)
	free=$(( ncpu - $(tr ',' '\n' <<<"$hk" | wc -l) ))
	[ "$free" -ge 1 ] || skip "no cpu outside housekeeping"
	"$NUMA" --state-dir "$T/state" plan --vnf a --commit --vcpus "$free" --memory-mb 64 \
		--cpu-policy dedicated >/dev/null || return 1
	out=$("$NUMA" --state-dir "$T/state" plan --vnf b --commit --vcpus 1 --memory-mb 64 \
		--cpu-policy dedicated 2>&1) && { echo "FAIL: second VNF placed: $out" >&2; return 1; }
	assert_contains "$out" "vnf \`b\`: numa node 0: 0 free dedicated cores, 1 requested" || return 1
	# a shared VNF still fits; after release the cores come back
	"$NUMA" --state-dir "$T/state" plan --vnf c --commit --vcpus 2 --memory-mb 64 --cpu-policy shared >/dev/null || return 1
	assert_contains "$("$NUMA" --state-dir "$T/state" release --vnf a)" "released" || return 1
	"$NUMA" --state-dir "$T/state" plan --vnf b --commit --vcpus 1 --memory-mb 64 --cpu-policy dedicated >/dev/null || return 1
}

test_hugepage_shortage_names_node_and_size() {
	local n free out
	n=$(sys_nodes | head -1)
	[ -n "$n" ] || skip "no numa node directory in /sys"
	free=$(cat /sys/devices/system/node/node$n/hugepages/hugepages-2048kB/free_hugepages)
	out=$("$NUMA" --state-dir "$T/state" plan --numa-node "$n" --vcpus 1 --memory-mb $(( (free + 1) * 2 )) \
		--hugepage-size 2M 2>&1) && { echo "FAIL: planned beyond free hugepages: $out" >&2; return 1; }
	assert_contains "$out" "numa node $n: $free free 2M hugepages, $((free + 1)) needed ($(( (free + 1) * 2 )) MB)" || return 1
	if [ "$free" -ge 32 ]; then
		out=$("$NUMA" --state-dir "$T/state" plan --numa-node "$n" --vcpus 1 --memory-mb 64 --hugepage-size 2M --json) || return 1
		assert_eq 32 "$(jq .hugepages <<<"$out")" "2M pages for 64 MB" || return 1
	fi
}

test_state_survives_restart_and_corruption_is_refused() {
	local js1 js2 sum
	js1=$("$NUMA" --state-dir "$T/state" plan --vnf keep --commit --vcpus 1 --memory-mb 64 --cpu-policy dedicated --json) || return 1
	# another process (a restart) gets the same record back, marked existing
	js2=$("$NUMA" --state-dir "$T/state" plan --vnf keep --commit --vcpus 1 --memory-mb 64 --cpu-policy dedicated --json) || return 1
	assert_eq "$(jq -c .vcpu_cpus <<<"$js1")" "$(jq -c .vcpu_cpus <<<"$js2")" "cpus after restart" || return 1
	assert_eq true "$(jq .existing <<<"$js2")" "existing" || return 1
	assert_eq '["keep"]' "$("$NUMA" --state-dir "$T/state" list --json | jq -c '.vnfs | keys')" "list" || return 1
	printf '{"version":1,"vnfs":{' >"$T/state/placement.json"
	sum=$(md5sum <"$T/state/placement.json")
	out=$("$NUMA" --state-dir "$T/state" plan --vnf other --commit --vcpus 1 --memory-mb 64 2>&1) && return 1
	assert_contains "$out" "placement state \`$T/state/placement.json\` is corrupt" || return 1
	assert_eq "$sum" "$(md5sum <"$T/state/placement.json")" "corrupt file untouched" || return 1
}

test_bad_input_is_named() {
	local out
	out=$("$NUMA" pin --tid $$ --cpus 3-1 2>&1) && return 1
	assert_contains "$out" "\`3-1\`: range end is below its start" || return 1
	out=$("$NUMA" plan --vcpus 1 --memory-mb 64 --cpu-policy pinned 2>&1) && return 1
	assert_contains "$out" "--cpu-policy \`pinned\`" || return 1
	out=$("$NUMA" plan --vcpus 1 --memory-mb 64 --numa-node 9 --state-dir "$T/s" 2>&1) && return 1
	assert_contains "$out" "numa_node 9 does not exist on this host" || return 1
	out=$("$NUMA" --sysfs "$T/nowhere" show 2>&1) && return 1
	assert_contains "$out" "$T/nowhere/devices/system/cpu/online" || return 1
	# pinning to a cpu this host does not have is refused by the kernel, with the thread named
	out=$("$NUMA" pin --tid $$ --cpus 1000 2>&1) && return 1
	assert_contains "$out" "pin thread $$" || return 1
}

# The real thing the runtime will do: a paused QEMU's vCPU thread ids come from
# QMP query-cpus-fast; the vCPU thread is pinned to the plan's dedicated cpu
# and every other QEMU thread to the plan's shared set, then each thread's
# sched_getaffinity is checked.
qmp() { # qmp SOCKET COMMAND-JSON: prints the reply to COMMAND
	printf '{"execute":"qmp_capabilities"}\n%s\n' "$2" |
		socat -t 2 - UNIX-CONNECT:"$1" | grep '"return"' | tail -1
}
test_qemu_vcpu_threads_follow_plan() {
	local js cpu shared sock qpid tids tid vcpu_tid aff accel=kvm
	[ "$(nproc --all)" -ge 2 ] || skip "needs 2 cpus (one is housekeeping)"
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
	[ -w /dev/kvm ] || accel=tcg
	js=$("$NUMA" --state-dir "$T/state" plan --vnf qemu-pin --commit --vcpus 1 --memory-mb 64 \
		--cpu-policy dedicated --json) || return 1
	cpu=$(jq -r '.vcpu_cpus[0]' <<<"$js")
	shared=$(jq -r .shared <<<"$js")
	sock=$T/qmp.sock
	qemu-system-x86_64 -machine q35,accel=$accel -S -nodefaults -display none -m 64 -smp 1 \
		-qmp unix:"$sock",server=on,wait=off -pidfile "$T/qemu.pid" -daemonize || return 1
	qpid=$(cat "$T/qemu.pid"); pids+=("$qpid")
	vcpu_tid=$(qmp "$sock" '{"execute":"query-cpus-fast"}' | jq -r '.return[0]["thread-id"]')
	[ -n "$vcpu_tid" ] && [ -d "/proc/$qpid/task/$vcpu_tid" ] || { echo "FAIL: no vcpu thread id from QMP" >&2; return 1; }
	for tid in $(ls /proc/"$qpid"/task); do
		if [ "$tid" = "$vcpu_tid" ]; then "$NUMA" pin --tid "$tid" --cpus "$cpu" >/dev/null || return 1
		else "$NUMA" pin --tid "$tid" --cpus "$shared" >/dev/null || return 1; fi
	done
	tids=0
	for tid in $(ls /proc/"$qpid"/task); do
		aff=$("$NUMA" affinity --tid "$tid") || return 1
		if [ "$tid" = "$vcpu_tid" ]; then assert_eq "$cpu" "$aff" "vcpu thread $tid" || return 1
		else assert_eq "$shared" "$aff" "qemu thread $tid ($(cat /proc/$qpid/task/$tid/comm))" || return 1; fi
		tids=$((tids + 1))
	done
	echo "checked $tids qemu threads (vcpu thread $vcpu_tid on cpu $cpu, others on $shared)"
	qmp "$sock" '{"execute":"quit"}' >/dev/null
}
