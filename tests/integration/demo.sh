# `make demo` (scripts/demo) end to end, non-interactively: vessel-dp,
# vesseld, the sample images and the client -> router -> server chain of
# real microVMs. Traffic must pass (ping and iperf3 through the router, whose
# two dataplane ports both count packets) and afterwards nothing the demo
# started may be left: no process mentioning its run dir, the run dir gone,
# the hugepages given back, no DPDK runtime files. Three TCG VMs per test.

demo_need() {
	need_root
	local b
	for b in vessel-dp vesseld vesselctl vessel-runtime vessel-shim vessel-orch-receiver; do
		[ -x "$VESSEL_BUILD/bin/$b" ] || { fail "$b not built (make)"; return 1; }
	done
	[ -e "$VESSEL_BUILD/images/vmlinux" ] || { fail "guest kernel not built (make)"; return 1; }
	[ -s "$VESSEL_BUILD/vnf/iperf3.docker.tar" ] || { fail "sample VNF images not built (make vnf-images)"; return 1; }
}

# procs_using DIR: pids whose command line mentions DIR (our leftovers only:
# DIR is this test's private tree).
procs_using() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$1" && echo "${p#/proc/}"
	done
	return 0
}

# demo_clean OUTFILE: everything the demo started is gone.
demo_clean() {
	local left prefix
	[ ! -e "$T/demo" ] || { fail "run dir $T/demo left: $(ls "$T/demo")"; return 1; }
	left=$(procs_using "$T/demo")
	[ -z "$left" ] || { fail "processes left: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"; return 1; }
	assert_contains "$(cat "$1")" "hugepages: restored to" "hugepages released" || return 1
	prefix=$(sed -n 's/.*EAL file prefix \(vdemo[0-9]*\).*/\1/p' "$1" | head -n1)
	[ -n "$prefix" ] || { fail "no EAL file prefix in the output"; return 1; }
	[ ! -e "/var/run/dpdk/$prefix" ] || { fail "DPDK runtime dir /var/run/dpdk/$prefix left"; return 1; }
}

test_demo_chain_passes_traffic_and_leaves_nothing() {
	demo_need || return 1
	local rc=0
	DEMO_DURATION=${DEMO_TEST_DURATION:-120} DEMO_UNTIL_PASS=1 DEMO_REFRESH=2 VESSEL_DEMO_ROOT=$T/demo \
		bash "$VESSEL_TOP/scripts/demo" >"$T/out" 2>&1 || rc=$?
	cat "$T/out"
	assert_eq 0 "$rc" "demo exit status" || return 1
	assert_contains "$(cat "$T/out")" "PASS: traffic went client -> router -> server" || return 1
	# the last table: router's two NICs with packet counters > 0 both ways
	local rows
	rows=$(grep -E '^(router +running|  +eth1 +demo-right +10\.0\.2\.1)' "$T/out" | tail -n 2)
	[ "$(awk '$NF ~ /^[0-9]+$/ && $(NF-1) > 0 && $(NF-2) > 0' <<<"$rows" | wc -l)" = 2 ] ||
		{ fail "router rows without traffic: $rows"; return 1; }
	assert_contains "$(cat "$T/out")" "iperf3 TCP rounds ok" || return 1
	# vesseld reported the chain to the demo's vessel-orch-receiver
	grep -Eq '^orchestrator http://127.0.0.1:[0-9]+: [0-9]+ reports from node .* with 3 VNFs; vesseld queued 0' "$T/out" ||
		{ fail "orchestrator line: $(grep '^orchestrator' "$T/out" | tail -n 1)"; return 1; }
	demo_clean "$T/out"
}

test_demo_stop_ends_a_running_demo() {
	demo_need || return 1
	VESSEL_DEMO_ROOT=$T/demo DEMO_REFRESH=1 bash "$VESSEL_TOP/scripts/demo" >"$T/out" 2>&1 &
	local pid=$!
	if ! wait_until "${VESSEL_BOOT_TIMEOUT:-120}" grep -q 'VNFs up' "$T/out"; then
		kill -TERM "$pid"; wait "$pid"; cat "$T/out"; fail "demo did not get to its status table"; return 1
	fi
	# a second demo on the same run dir is refused, and leaves the first alone
	local second
	second=$(VESSEL_DEMO_ROOT=$T/demo bash "$VESSEL_TOP/scripts/demo" 2>&1) && { fail "second demo started"; return 1; }
	assert_contains "$second" "already running" || return 1
	VESSEL_DEMO_ROOT=$T/demo bash "$VESSEL_TOP/scripts/demo" stop >"$T/stop.out" 2>&1 || { cat "$T/stop.out"; fail "demo stop"; return 1; }
	wait_until 60 bash -c "! kill -0 $pid" || { fail "demo (pid $pid) still running after stop"; return 1; }
	wait "$pid" || true
	cat "$T/out" "$T/stop.out"
	demo_clean "$T/out"
}

