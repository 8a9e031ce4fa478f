# VNF microVMs with vhost-user NICs on OVS-DPDK (backend "ovs"): the runtime
# adds dpdkvhostuserclient ports with ovs-vsctl before QEMU starts, two VNFs
# on one OVS netdev bridge (same VLAN tag) ping each other, OVS counts their
# frames, and delete removes the ports.
#
# ovsdb-server and ovs-vswitchd (DPDK build) are started by the test in a
# private run directory ($T/ovs: own database, sockets, logs; EAL
# --in-memory with a unique file prefix and small socket memory) and stopped
# by pid, as perf/dataplane/run does; ovs-vswitchd runs in a network
# namespace of its own (its netdev datapath's tap devices stay private).
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"

VNF_SRC=$VESSEL_BUILD/vnf/iperf3
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OVS_HUGE=0
OVS_NS=vnovs$$
OVS_NS_MADE=0

setup() {
	rt_setup
	[ -f "$VNF_SRC/config.json" ] || skip "$VNF_SRC missing: run make (vnf-images)"
	[ -x "$OVS_VSWITCHD" ] && command -v ovsdb-server >/dev/null ||
		skip "OVS-DPDK missing (openvswitch-switch-dpdk: scripts/install-deps)"
	trap 'rt_teardown; ovs_stop' EXIT
	trap 'exit 143' TERM INT
	"$VESSEL_TOP/scripts/hugepages" reserve "${OVS_HUGEPAGES:-200}" >/dev/null || {
		fail "cannot reserve hugepages"; exit 1; }
	OVS_HUGE=1
	export VESSEL_PLACEMENT_DIR=$T/place
	ovs_start || exit 1
}
teardown() { rt_teardown; }

ovs_start() {
	local d=$T/ovs
	mkdir -p "$d"
	export OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d VESSEL_OVS_DB=unix:$d/db.sock
	ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --pidfile="$d/ovsdb.pid" --detach >>"$d/ovsdb.out" 2>&1 \
		--log-file="$d/ovsdb.log" || return 1
	ovsv --no-wait init
	ovsv --no-wait set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-socket-mem=256 \
		other_config:pmd-cpu-mask=0x2 other_config:dpdk-lcore-mask=0x1 \
		"other_config:dpdk-extra=--no-pci --in-memory --file-prefix=vnovs$$"
	# its own netns: the netdev datapath makes tap devices (ovs-netdev, br0)
	# whose names would collide with another OVS on the host
	ip netns add "$OVS_NS" || return 1
	OVS_NS_MADE=1
	ip netns exec "$OVS_NS" "$OVS_VSWITCHD" "$VESSEL_OVS_DB" --pidfile="$d/vswitchd.pid" --detach --log-file="$d/vswitchd.log" \
		>>"$d/vswitchd.out" 2>&1 || {
		tail -5 "$d/vswitchd.log"; return 1; }
	# DPDK init takes a while on a loaded host; a netdev bridge added before it fails
	wait_until 60 dpdk_ready || { fail "ovs-vswitchd: DPDK not initialized: $(tail -3 "$d/vswitchd.log")"; return 1; }
	ovsv add-br br0 -- set bridge br0 datapath_type=netdev >>"$d/vsctl.out" 2>&1
	wait_until 20 bridge_ready || {
		fail "OVS bridge br0 not up: $(grep -E 'ERR|WARN|br0' "$d/vswitchd.log" | tail -5)"; return 1; }
}
ovs_stop() {
	local d=$T/ovs f
	for f in vswitchd ovsdb; do
		[ -f "$d/$f.pid" ] && kill -9 "$(cat "$d/$f.pid")" 2>/dev/null
	done
	sleep 0.3
	if [ "$OVS_NS_MADE" = 1 ]; then ip netns del "$OVS_NS" 2>/dev/null; OVS_NS_MADE=0; fi
	if [ "$OVS_HUGE" = 1 ]; then "$VESSEL_TOP/scripts/hugepages" release >/dev/null; OVS_HUGE=0; fi
	return 0
}
ovsv() { ovs-vsctl --db="$VESSEL_OVS_DB" --timeout=20 "$@"; }
bridge_ready() { [ "$(ovsv get Interface br0 ofport 2>/dev/null)" -ge 0 ] 2>/dev/null && [ -z "$(ovsv get Interface br0 error 2>/dev/null | tr -d '[]\"')" ]; }
dpdk_ready() { [ "$(ovsv get Open_vSwitch . dpdk_initialized)" = true ]; }
# OVS refreshes Interface statistics every 5 s
ovs_rx_at_least() { [ "$(ovsv get Interface "$1" statistics:rx_packets 2>/dev/null || echo 0)" -ge "$2" ]; }

# vnf NAME SCRIPT NIC-JSON-FIELDS: container NAME of the sample image on br0.
vnf() {
	local ann
	ann=$(jq -n --arg v "{\"backend\":\"ovs\",\"bridge\":\"br0\",$3}" '{"org.vessel.net.0": $v}')
	mkdir -p "$T/b-$1"
	jq --arg r "$VNF_SRC/rootfs" --arg s "$2" --argjson a "$ann" \
		'.root.path = $r | .process.args = ["sh", "-c", $s] | .annotations = $a' \
		"$VNF_SRC/config.json" >"$T/b-$1/config.json"
	rt create --bundle "$T/b-$1" "$1" </dev/null >"$T/$1.out" 2>"$T/$1.err" || {
		fail "create $1: $(cat "$T/$1.err")"; return 1; }
}

test_two_vnfs_ping_through_ovs_dpdk() {
	vnf ob 'sleep 600' '"vlan":10,"addresses":["10.3.0.2/24"]' || return 1
	vnf oa 'ping -c 3 -W 3 10.3.0.2; echo "ping-rc $?"; sleep 600' '"vlan":10,"addresses":["10.3.0.1/24"]' || return 1
	assert_eq "oa.eth0 ob.eth0" "$(ovsv list-ports br0 | sort | tr '\n' ' ' | sed 's/ $//')" "OVS ports" || return 1
	assert_eq dpdkvhostuserclient "$(ovsv get Interface oa.eth0 type)" || return 1
	assert_eq "\"$ROOT/vhost/oa/eth0.sock\"" "$(ovsv get Interface oa.eth0 options:vhost-server-path)" || return 1
	assert_eq 10 "$(ovsv get Port oa.eth0 tag)" "VLAN tag" || return 1
	rt start ob && rt start oa || return 1
	wait_until 120 grep -q ping-rc "$T/oa.out" || { fail "no ping result: $(tail -3 "$T/oa.out")"; return 1; }
	assert_contains "$(cat "$T/oa.out")" "3 packets transmitted, 3 packets received" "oa pings ob through OVS" || return 1
	local rx
	wait_until 15 ovs_rx_at_least oa.eth0 3 || {
		fail "OVS counted $(ovsv get Interface oa.eth0 statistics 2>&1) from oa"; return 1; }
	rx=$(ovsv get Interface oa.eth0 statistics:rx_packets)
	rt delete --force oa || return 1
	assert_eq "ob.eth0" "$(ovsv list-ports br0 | tr '\n' ' ' | sed 's/ $//')" "OVS ports after delete" || return 1
	echo "OVS-DPDK: oa -> ob ping ok, oa.eth0 rx_packets $rx"
}
