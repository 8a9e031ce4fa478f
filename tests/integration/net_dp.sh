# VNF microVMs with vhost-user NICs on a real vessel-dp (DPDK), end to end:
# guest addresses from org.vessel.net.N, ping and iperf3 (TCP) between VNFs on
# one bridge domain with switch counters that match, VLAN isolation, a
# service chain A -> router B -> C through cross-connects, kill -9 of the
# switch with the guests keeping their QEMU and traffic resuming by itself,
# and create failing cleanly when the switch is down.
#
# Guests run the sample iperf3 image (images/vnf, `make vnf-images`); the
# workload scripts print what the test checks on the container's stdout.
# vessel-dp runs privately (socket, state, EAL file prefix in $T).
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dataplane_lib.inc"

VNF_SRC=$VESSEL_BUILD/vnf/iperf3

setup() {
	rt_setup
	[ -f "$VNF_SRC/config.json" ] || skip "$VNF_SRC missing: run make (vnf-images)"
	dp_setup
	trap 'rt_teardown; dp_cleanup' EXIT
	export VESSEL_PLACEMENT_DIR=$T/place
}
teardown() { rt_teardown; }

# nic JSON-fields: an org.vessel.net.N value, e.g. nic '"bridge":"bd0"'.
# vnf NAME SCRIPT NIC...: creates container NAME (the sample image running
# sh -c SCRIPT) with those NICs on this test's vessel-dp; stdout in $T/NAME.out.
vnf() {
	local name=$1 script=$2 i=0 n ann; shift 2
	ann=$(jq -n --arg s "$T/dp.sock" '{"org.vessel.dataplane.socket": $s}')
	for n in "$@"; do
		ann=$(jq --arg k "org.vessel.net.$i" --arg v "{$n}" '.[$k] = $v' <<<"$ann"); i=$((i + 1))
	done
	mkdir -p "$T/b-$name"
	jq --arg r "$VNF_SRC/rootfs" --arg s "$script" --argjson a "$ann" \
		".root.path = \$r | .process.args = [\"sh\", \"-c\", \$s] | .annotations = \$a | ${VNF_JQ:-.}" \
		"$VNF_SRC/config.json" >"$T/b-$name/config.json"
	rt create --bundle "$T/b-$name" --pid-file "$T/$name.pid" "$name" </dev/null \
		>"$T/$name.out" 2>"$T/$name.err" || { fail "create $name: $(cat "$T/$name.err")"; return 1; }
}
out_has() { grep -q -- "$2" "$T/$1.out"; }
# wait_out NAME PATTERN [SECONDS]
wait_out() {
	wait_until "${3:-90}" out_has "$1" "$2" || {
		fail "$1 never printed [$2]; its output: $(tail -5 "$T/$1.out")"; return 1; }
}
counter() { ctlj stats.show port="$1" | jq -r ".ports[0].$2"; }
qemu_of() { jq -r .qemuPid "$ROOT/$1/state.json"; }

test_bridge_ping_iperf3_counters_vlan_isolation() {
	dp_start || return 1
	vnf b '/vnf/traffic server' '"bridge":"bd0","vlan":10,"addresses":["10.0.0.2/24"]' || return 1
	vnf e 'sleep 600' '"bridge":"bd0","vlan":20,"addresses":["10.0.0.3/24"]' || return 1
	vnf a 'echo "mtu $(cat /sys/class/net/eth0/mtu) $(ip -4 -o addr show eth0 | awk "{print \$4}")";
		ping -c 3 -W 3 10.0.0.2; echo "b-rc $?"; ping -c 2 -W 1 10.0.0.3; echo "e-rc $?";
		iperf3 -c 10.0.0.2 -t 3 -f m; echo "iperf-rc $?"; sleep 600' \
		'"bridge":"bd0","vlan":10,"addresses":["10.0.0.1/24"],"mtu":1400' || return 1
	# ports: named <id>.<ifname>, access VLANs, connected by QEMU
	assert_eq "10 20 10" "$(ctlj port.list | jq -r '[.[] | select(.name == "b.eth0" or .name == "e.eth0" or .name == "a.eth0") | .vlan] | join(" ")')" \
		"access VLANs of b, e, a" || return 1
	rt start b && rt start e || return 1
	wait_out b "iperf3 server on 10.0.0.2/24" || return 1
	ctl stats.clear >/dev/null || return 1
	rt start a || return 1
	wait_out a "iperf-rc" 120 || return 1
	assert_contains "$(cat "$T/a.out")" "mtu 1400 10.0.0.1/24" "guest NIC configured by vessel-init" || return 1
	assert_eq 1400 "$(ctlj port.list | jq -r '.[] | select(.name == "a.eth0") | .mtu')" "switch port MTU" || return 1
	assert_contains "$(cat "$T/a.out")" "3 packets transmitted, 3 packets received" "a pings b" || return 1
	assert_contains "$(cat "$T/a.out")" "b-rc 0" || return 1
	assert_contains "$(cat "$T/a.out")" "e-rc 1" "a (VLAN 10) must not reach e (VLAN 20)" || return 1
	assert_contains "$(cat "$T/a.out")" "iperf-rc 0" "iperf3 TCP a -> b" || return 1
	local mbps bytes
	mbps=$(awk '/receiver/ {print $(NF-2)}' "$T/a.out")
	bytes=$(awk '/receiver/ {v = $5; u = $6; print (u == "GBytes" ? v * 1e9 : u == "MBytes" ? v * 1e6 : v * 1e3)}' "$T/a.out")
	awk "BEGIN {exit !($mbps > 0)}" || { fail "iperf3 receiver rate [$mbps]"; return 1; }
	# the switch: every frame from a went to b and back, none reached e
	local s1 s2
	s1=$(ctlj stats.show | jq -c '[.ports[] | {name, rx_packets, tx_packets, rx_bytes}]')
	for _ in 1 2 3 4 5; do sleep 1; s2=$(ctlj stats.show | jq -c '[.ports[] | {name, rx_packets, tx_packets, rx_bytes}]'); [ "$s1" = "$s2" ] && break; s1=$s2; done
	pk() { jq -r ".[] | select(.name == \"$1\") | .$2" <<<"$s2"; }
	assert_eq "$(pk a.eth0 rx_packets)" "$(pk b.eth0 tx_packets)" "switch: frames in from a = frames out to b" || return 1
	assert_eq "$(pk b.eth0 rx_packets)" "$(pk a.eth0 tx_packets)" "switch: frames in from b = frames out to a" || return 1
	assert_eq 0 "$(pk e.eth0 tx_packets)" "switch: frames out to e (other VLAN)" || return 1
	awk "BEGIN {exit !($(pk a.eth0 rx_bytes) >= $bytes)}" || {
		fail "switch saw $(pk a.eth0 rx_bytes) bytes from a, iperf3 moved $bytes"; return 1; }
	echo "iperf3 a -> b: $mbps Mbit/s; switch: a.eth0 rx $(pk a.eth0 rx_packets) pkts / $(pk a.eth0 rx_bytes) B = b.eth0 tx"
	# delete removes the port (and only that one)
	rt delete --force a || return 1
	assert_eq "b.eth0 e.eth0" "$(ctlj port.list | jq -r '[.[].name] | sort | join(" ")')" "ports after delete of a" || return 1
}

# ping_loop TARGET: a workload line per ping, "ok N ttl=T" or "fail N".
ping_loop() {
	echo "i=0; while :; do i=\$((i+1)); r=\$(ping -c 1 -W 1 $1 2>&1 | grep -o 'ttl=[0-9]*');" \
		"if [ -n \"\$r\" ]; then echo \"ok \$i \$r\"; else echo \"fail \$i\"; fi; sleep 0.2; done"
}
# ok_after_fail NAME LINE: after line LINE of NAME's output, a fail then an ok.
ok_after_fail() { tail -n +"$(($2 + 1))" "$T/$1.out" | awk '/^fail/ {f = 1} f && /^ok/ {o = 1} END {exit !o}'; }
fail_after() { tail -n +"$(($2 + 1))" "$T/$1.out" | grep -q '^fail'; }
lines() { wc -l <"$T/$1.out"; }

test_chain_through_router_xconnect() {
	dp_start || return 1
	# A -- xc -- B (router, ip_forward via linux.sysctl) -- xc -- C; each side
	# of a cross-connect names its peer, the later one joins them
	vnf ra "$(ping_loop 10.1.2.1)" \
		'"xconnect":"rb.eth0","addresses":["10.1.1.1/24"],"routes":[{"to":"10.1.2.0/24","via":"10.1.1.254"}]' || return 1
	VNF_JQ='.linux.sysctl = {"net.ipv4.ip_forward": "1"}' \
		vnf rb 'echo "fwd $(cat /proc/sys/net/ipv4/ip_forward)"; sleep 600' \
		'"xconnect":"ra.eth0","addresses":["10.1.1.254/24"]' \
		'"xconnect":"rc.eth0","addresses":["10.1.2.254/24"]' || return 1
	vnf rc 'sleep 600' '"xconnect":"rb.eth1","addresses":["10.1.2.1/24"],"routes":[{"to":"default","via":"10.1.2.254"}]' || return 1
	local xcs
	xcs=$(ctlj port.list | jq -r '[.[] | select(.xconnect) | "\(.name)=\(.xconnect)"] | sort | join(" ")')
	assert_eq "ra.eth0=rb.eth0 rb.eth0=ra.eth0 rb.eth1=rc.eth0 rc.eth0=rb.eth1" "$xcs" "cross-connects" || return 1
	rt start rb && rt start rc && rt start ra || return 1
	wait_out rb "fwd 1" || return 1
	wait_out ra "^ok .* ttl=63" 120 || return 1  # 64 - one router hop
	# only through B: with B paused, A no longer reaches C; resumed, it does again
	local n
	rt pause rb || return 1
	n=$(lines ra)
	wait_until 30 fail_after ra "$n" || { fail "ra still reaches rc with the router paused"; return 1; }
	rt resume rb || return 1
	wait_until 60 ok_after_fail ra "$n" || { fail "ra did not reach rc again after resume"; return 1; }
	[ "$(counter rb.eth0 rx_packets)" -gt 0 ] && [ "$(counter rb.eth1 tx_packets)" -gt 0 ] || {
		fail "router ports carried nothing"; return 1; }
}

test_dataplane_kill9_restart_vnfs_keep_running() {
	dp_start || return 1
	vnf kb 'sleep 600' '"bridge":"bd0","addresses":["10.2.0.2/24"]' || return 1
	vnf ka "$(ping_loop 10.2.0.2)" '"bridge":"bd0","addresses":["10.2.0.1/24"]' || return 1
	rt start kb && rt start ka || return 1
	wait_out ka "^ok" 120 || return 1
	local qa qb n t0 t1
	qa=$(qemu_of ka); qb=$(qemu_of kb)
	n=$(lines ka)
	t0=$(date +%s.%N)
	kill -9 "$DP_PID"; wait "$DP_PID" 2>/dev/null
	wait_until 30 fail_after ka "$n" || { fail "pings kept succeeding with vessel-dp killed"; return 1; }
	dp_start || return 1
	wait_until 60 ok_after_fail ka "$n" || { fail "ping did not resume after the restart: $(tail -3 "$T/ka.out")"; return 1; }
	t1=$(date +%s.%N)
	assert_eq "$qa $qb" "$(qemu_of ka) $(qemu_of kb)" "QEMU pids across the dataplane restart" || return 1
	kill -0 "$qa" && kill -0 "$qb" || { fail "a QEMU died"; return 1; }
	assert_eq "running running" "$(status_of ka) $(status_of kb)" || return 1
	echo "dataplane kill -9 -> restart -> ping answered again: gap $(awk "BEGIN {printf \"%.1f\", $t1 - $t0}") s"
}

test_dataplane_down_create_fails_cleanly() {
	# no vessel-dp at this socket: refused before QEMU starts, nothing left
	local ann
	ann=$(jq -n --arg s "$T/nodp.sock" '{"org.vessel.dataplane.socket": $s, "org.vessel.cpu_policy": "dedicated",
		"org.vessel.net.0": "{\"bridge\":\"bd0\"}"}')
	mkdir -p "$T/b-x"
	jq --arg r "$VNF_SRC/rootfs" --argjson a "$ann" '.root.path = $r | .annotations = $a' \
		"$VNF_SRC/config.json" >"$T/b-x/config.json"
	rt create --bundle "$T/b-x" x </dev/null >/dev/null 2>"$T/err" && { fail "create succeeded without a dataplane"; return 1; }
	assert_contains "$(cat "$T/err")" "$T/nodp.sock" "error names the dataplane socket" || return 1
	assert_contains "$(cat "$T/err")" "is vessel-dp running" || return 1
	assert_contains "$(cat "$T/err")" "org.vessel.net.0" "error names the NIC" || return 1
	[ ! -e "$ROOT/vhost/x" ] || { fail "vhost socket dir left"; return 1; }
	assert_eq '{}' "$(jq -c '.vnfs // {}' "$VESSEL_PLACEMENT_DIR/placement.json")" "placement released" || return 1
	assert_no_leftovers x
}

test_nic_needs_shared_memory_and_valid_spec() {
	mkdir -p "$T/b-y"
	local ann
	for ann in '{"org.vessel.mem_share":"false","org.vessel.net.0":"{\"bridge\":\"bd0\"}"}|vhost-user NICs need shared guest memory' \
		'{"org.vessel.net.0":"{\"bridge\":\"bd0\",\"vlan\":5000}"}|annotation `org.vessel.net.0`: field `vlan`: must be an integer 1..4094' \
		'{"org.vessel.net.0":"{\"bridge\":\"bd0\",\"vlna\":5}"}|field `vlna`: unknown field' \
		'{"org.vessel.net.0":"{}"}|needs `bridge`' \
		'{"org.vessel.net.x":"{\"bridge\":\"bd0\"}"}|annotation `org.vessel.net.x`'; do
		jq --arg r "$VNF_SRC/rootfs" --argjson a "${ann%%|*}" '.root.path = $r | .annotations = $a' \
			"$VNF_SRC/config.json" >"$T/b-y/config.json"
		rt create --bundle "$T/b-y" y </dev/null >/dev/null 2>"$T/err" && { fail "accepted: ${ann%%|*}"; return 1; }
		assert_contains "$(cat "$T/err")" "${ann#*|}" || return 1
	done
	assert_no_leftovers y
}

# A switch that accepts the port but never connects to QEMU's socket: QEMU
# stays blocked in vhost-user init, and create gives up after the boot bound
# (VESSEL_BOOT_TIMEOUT) saying so, leaving nothing behind. The "switch" is a
# stub JSON-RPC server that answers every call with an empty result.
test_switch_never_connects_create_bounded() {
	command -v python3 >/dev/null || skip "python3 missing"
	python3 -c '
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept(); f = c.makefile("rw")
    for line in f:
        f.write(json.dumps({"jsonrpc": "2.0", "id": json.loads(line).get("id"), "result": {}}) + "\n"); f.flush()
    c.close()' "$T/stub.sock" &
	DP_PIDS+=($!)
	wait_until 10 test -S "$T/stub.sock" || return 1
	local ann t0
	ann=$(jq -n --arg s "$T/stub.sock" '{"org.vessel.dataplane.socket": $s, "org.vessel.net.0": "{\"bridge\":\"bd0\"}"}')
	mkdir -p "$T/b-z"
	jq --arg r "$VNF_SRC/rootfs" --argjson a "$ann" '.root.path = $r | .annotations = $a' \
		"$VNF_SRC/config.json" >"$T/b-z/config.json"
	t0=$(date +%s)
	VESSEL_BOOT_TIMEOUT=8 rt --accel tcg create --bundle "$T/b-z" z </dev/null >/dev/null 2>"$T/err" && {
		fail "create succeeded with a switch that never connects"; return 1; }
	[ $(($(date +%s) - t0)) -lt 40 ] || { fail "create took $(($(date +%s) - t0)) s, bound is 8 s"; return 1; }
	assert_contains "$(cat "$T/err")" "QEMU waits until the switch connects its NICs" || return 1
	assert_contains "$(cat "$T/err")" "port \`z.eth0\`" || return 1
	assert_no_leftovers z
}
