# vessel-dp L2 bridging: MAC learning, flooding, aging, VLAN isolation and
# size checks, with exact frames sent and captured on tap ports whose kernel
# side lives in private network namespaces.
source "$VESSEL_TOP/tests/integration/dataplane_lib.inc"

setup() { dp_setup; }
teardown() { dp_cleanup; }

MA=02:00:00:00:00:0a
MB=02:00:00:00:00:0b
MC=02:00:00:00:00:0c
BC=ff:ff:ff:ff:ff:ff

test_mac_learning_and_flooding() {
	dp_start || return 1
	ctl bridge.add name=br0 >/dev/null || return 1
	tap_port pa bridge=br0 && tap_port pb bridge=br0 && tap_port pc bridge=br0 || return 1
	sleep 0.3; ctl mac.flush >/dev/null; ctl stats.clear >/dev/null

	# Broadcast and unknown unicast from A reach both B and C.
	pkt_recv_start pa pb pc
	pkt_send pa $BC $MA count=3
	pkt_send pa $MC $MA count=2
	pkt_recv_wait
	assert_eq 3 "$(rx_count pb "^$BC $MA")" "broadcast frames at B" || return 1
	assert_eq 3 "$(rx_count pc "^$BC $MA")" "broadcast frames at C" || return 1
	assert_eq 2 "$(rx_count pb "^$MC $MA")" "unknown unicast flooded to B" || return 1
	assert_eq 2 "$(rx_count pc "^$MC $MA")" "unknown unicast at C" || return 1
	assert_eq 0 "$(rx_count pa "$MA")" "frames echoed back to the sender" || return 1

	# A was learned: B -> A goes to A only.
	pkt_recv_start pa pb pc
	pkt_send pb $MA $MB count=4
	pkt_recv_wait
	assert_eq 4 "$(rx_count pa "^$MA $MB")" "unicast to learned A" || return 1
	assert_eq 0 "$(rx_count pc "$MB")" "unicast to A leaked to C" || return 1

	local macs
	macs=$(ctl mac.show bridge=br0)
	assert_contains "$macs" "$MA" && assert_contains "$macs" "$MB" || return 1
	assert_eq pa "$(ctlj mac.show | jq -r ".[] | select(.mac==\"$MA\") | .port")" "port of A" || return 1
	assert_eq pb "$(ctlj mac.show | jq -r ".[] | select(.mac==\"$MB\") | .port")" "port of B" || return 1

	# Counters: A sent 5 frames into the switch (3 broadcast + 2 unicast), got 4.
	assert_eq 5 "$(dpstat pa rx_packets)" "rx_packets of pa" || return 1
	assert_eq 320 "$(dpstat pa rx_bytes)" "rx_bytes of pa (5 x 64 B)" || return 1
	assert_eq 4 "$(dpstat pa tx_packets)" "tx_packets of pa" || return 1
	assert_eq 5 "$(dpstat pc tx_packets)" "tx_packets of pc (flooded)" || return 1
	# A moves behind C: the table follows the newest source port.
	pkt_send pc $BC $MA
	sleep 0.3
	assert_eq pc "$(ctlj mac.show | jq -r ".[] | select(.mac==\"$MA\") | .port")" "moved MAC" || return 1
	# mac.flush empties the table.
	ctl mac.flush bridge=br0 >/dev/null
	assert_eq 0 "$(ctlj mac.show | jq length)" "entries after flush" || return 1
}

test_mac_aging() {
	dp_start || return 1
	ctl bridge.add name=br0 aging=2 >/dev/null || return 1
	tap_port pa bridge=br0 && tap_port pb bridge=br0 || return 1
	pkt_send pa $BC $MA
	sleep 0.5
	assert_eq 1 "$(ctlj mac.show | jq "[.[] | select(.mac==\"$MA\")] | length")" "learned" || return 1
	sleep 3.5
	assert_eq 0 "$(ctlj mac.show | jq "[.[] | select(.mac==\"$MA\")] | length")" "aged out after 2 s" || return 1
}

test_vlan_isolation() {
	dp_start || return 1
	ctl bridge.add name=br0 >/dev/null || return 1
	tap_port pa bridge=br0 vlan_mode=access vlan=10 &&
		tap_port pb bridge=br0 vlan_mode=access vlan=20 &&
		tap_port pc bridge=br0 vlan_mode=trunk allowed_vlans=10,20 &&
		tap_port pd bridge=br0 vlan_mode=access vlan=10 || return 1
	sleep 0.3; ctl stats.clear >/dev/null

	# Access VLAN 10 -> the other VLAN 10 access port untagged, the trunk tagged 10, never VLAN 20.
	pkt_recv_start pa pb pc pd
	pkt_send pa $BC $MA count=2
	pkt_recv_wait
	assert_eq 2 "$(rx_count pd "^$BC $MA vlan=- ")" "untagged at access port D" || return 1
	assert_eq 2 "$(rx_count pc "^$BC $MA vlan=10 ")" "tagged 10 at trunk C" || return 1
	assert_eq 0 "$(rx_count pb "$MA")" "VLAN 10 frame leaked into VLAN 20" || return 1

	# Trunk tagged 20 -> B only, untagged.
	pkt_recv_start pa pb pc pd
	pkt_send pc $BC $MC vlan=20 count=3
	pkt_recv_wait
	assert_eq 3 "$(rx_count pb "^$BC $MC vlan=- ")" "VLAN 20 untagged at B" || return 1
	assert_eq 0 "$(rx_count pa "$MC")" "VLAN 20 leaked to A" || return 1
	assert_eq 0 "$(rx_count pd "$MC")" "VLAN 20 leaked to D" || return 1

	# Not allowed: VLAN 30 and untagged on the trunk, VLAN 20 tagged on access port A.
	pkt_recv_start pa pb pd
	pkt_send pc $BC $MC vlan=30 count=2
	pkt_send pc $BC $MC count=1
	pkt_send pa $BC $MA vlan=20 count=1
	pkt_recv_wait
	assert_eq 0 "$(cat "$T"/rx.pa "$T"/rx.pb "$T"/rx.pd | grep -c "$BC")" "disallowed frames delivered" || return 1
	assert_eq 3 "$(dpstat pc drop.vlan)" "vlan drops on trunk C" || return 1
	assert_eq 1 "$(dpstat pa drop.vlan)" "vlan drops on access A" || return 1

	# Same MAC learned in two VLANs stays separate.
	pkt_send pb $BC $MA
	sleep 0.3
	assert_eq 2 "$(ctlj mac.show | jq "[.[] | select(.mac==\"$MA\")] | length")" "MA in VLANs 10 and 20" || return 1
}

test_oversized_dropped_and_counted() {
	dp_start || return 1
	ctl bridge.add name=br0 >/dev/null || return 1
	tap_port pa bridge=br0 mtu=1000 && tap_port pb bridge=br0 || return 1
	# DPDK set the tap's kernel MTU to 1000 too; let the sender exceed it.
	ip -n "vt$DP_ID-pa" link set t0 mtu 1500
	sleep 0.3; ctl stats.clear >/dev/null
	pkt_recv_start pb
	pkt_send pa $BC $MA len=1014 count=2   # exactly MTU 1000 + 14: passes
	pkt_send pa $BC $MA len=1015 count=3   # one byte over: dropped
	pkt_send pa $BC $MA len=1018 vlan=0 count=1 # priority-tagged 1000 B payload: passes
	pkt_recv_wait
	assert_eq 3 "$(rx_count pb "^$BC $MA")" "frames within MTU delivered" || return 1
	assert_eq 3 "$(dpstat pa drop.oversized)" "oversized drops" || return 1
	assert_eq 6 "$(dpstat pa rx_packets)" "rx_packets counts every frame received" || return 1
}
