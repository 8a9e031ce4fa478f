# vessel-dp cross-connects (service chains): exact frames and counters over
# tap ports, and vhost-user ports with a DPDK net_virtio_user frontend.
source "$VESSEL_TOP/tests/integration/dataplane_lib.inc"

setup() { dp_setup; }
teardown() { dp_cleanup; }

MA=02:00:00:00:00:0a
MB=02:00:00:00:00:0b

test_xconnect_exact_frames_and_counters() {
	dp_start || return 1
	tap_port pa && tap_port pb && tap_port pc || return 1
	ctl xconnect.add a=pa b=pb >/dev/null || return 1
	sleep 0.3; ctl stats.clear >/dev/null
	pkt_recv_start pa pb pc
	# No lookup: any destination, any VLAN tag passes unchanged, both ways.
	pkt_send pa $MB $MA len=100 count=500
	pkt_send pa 02:99:99:99:99:99 $MA vlan=77 len=200 count=7
	pkt_send pb $MA $MB len=60 count=11
	pkt_recv_wait
	assert_eq 500 "$(rx_count pb "^$MB $MA vlan=- len=100$")" "frames A->B" || return 1
	assert_eq 7 "$(rx_count pb "^02:99:99:99:99:99 $MA vlan=77 len=200$")" "tagged frames A->B" || return 1
	assert_eq 11 "$(rx_count pa "^$MA $MB vlan=- len=60$")" "frames B->A" || return 1
	assert_eq 0 "$(grep -c . "$T/rx.pc")" "frames at the unconnected port" || return 1
	assert_eq 507 "$(dpstat pa rx_packets)" "pa rx_packets" || return 1
	assert_eq $((500 * 100 + 7 * 200)) "$(dpstat pa rx_bytes)" "pa rx_bytes" || return 1
	assert_eq 507 "$(dpstat pb tx_packets)" "pb tx_packets" || return 1
	assert_eq $((500 * 100 + 7 * 200)) "$(dpstat pb tx_bytes)" "pb tx_bytes" || return 1
	assert_eq 11 "$(dpstat pb rx_packets)" "pb rx_packets" || return 1
	assert_eq 11 "$(dpstat pa tx_packets)" "pa tx_packets" || return 1
	assert_eq 0 "$(dpstat pa drops)" "pa drops" || return 1
	# A port in neither a bridge nor a cross-connect drops and counts no_route.
	pkt_send pc $MA $MB count=4
	sleep 0.3
	assert_eq 4 "$(dpstat pc drop.no_route)" "no_route drops at pc" || return 1
	# xconnect.del stops forwarding.
	ctl xconnect.del a=pa >/dev/null || return 1
	pkt_recv_start pb
	pkt_send pa $MB $MA count=3
	pkt_recv_wait
	assert_eq 0 "$(rx_count pb "$MA")" "frames after xconnect.del" || return 1
}

test_xconnect_vhost_frontend() {
	dp_start || return 1
	# Ports first: their sockets do not exist yet (the frontend is not running).
	ctl port.add name=va type=vhost path="$T/va.sock" >/dev/null || return 1
	ctl port.add name=vb type=vhost path="$T/vb.sock" >/dev/null || return 1
	ctl xconnect.add a=va b=vb >/dev/null || return 1
	assert_eq down "$(ctlj port.list | jq -r '.[0].link')" "link before the frontend exists" || return 1
	testpmd_start "$T/va.sock" "$T/vb.sock" --forward-mode=io || return 1
	wait_until 10 port_up va && wait_until 10 port_up vb || fail "vhost ports did not come up" || return 1
	tp_cmd "start tx_first 4"
	sleep 2
	local rxa rxb txa txb tp
	tp=$(tp_rx_total)
	[ "$tp" -gt 100000 ] || fail "testpmd received only $tp packets" || return 1
	tp_cmd "stop"
	sleep 1
	rxa=$(dpstat va rx_packets); rxb=$(dpstat vb rx_packets)
	txa=$(dpstat va tx_packets); txb=$(dpstat vb tx_packets)
	[ "$rxa" -gt 100000 ] && [ "$rxb" -gt 100000 ] || fail "little traffic: va rx $rxa, vb rx $rxb" || return 1
	# Traffic stopped: everything the switch took from one side went to the other or was counted.
	assert_eq "$rxa" "$((txb + $(dpstat vb drop.tx_full)))" "va rx = vb tx + vb tx_full" || return 1
	assert_eq "$rxb" "$((txa + $(dpstat va drop.tx_full)))" "vb rx = va tx + va tx_full" || return 1
	local busy
	busy=$(ctlj stats.show | jq '.workers[0].busy_cycles')
	[ "$busy" -gt 0 ] || fail "worker busy cycles not counted" || return 1
}

test_multiqueue_vhost() {
	dp_start || return 1
	ctl port.add name=va type=vhost path="$T/va.sock" queues=2 >/dev/null &&
		ctl port.add name=vb type=vhost path="$T/vb.sock" queues=2 >/dev/null &&
		ctl xconnect.add a=va b=vb >/dev/null || return 1
	TP_QUEUES=2 testpmd_start "$T/va.sock" "$T/vb.sock" --rxq=2 --txq=2 --forward-mode=txonly || return 1
	wait_until 10 port_up va && wait_until 10 port_up vb || fail "vhost ports did not come up" || return 1
	assert_eq 2 "$(ctlj port.list | jq '.[] | select(.name=="va") | .queues_active')" "queue pairs negotiated" || return 1
	tp_cmd "start"
	sleep 1.5
	# txonly keeps sending on both queues; queue 1 only drains if the switch polls it.
	local n q1
	n=$(wc -l <"$T/tp.log")
	tp_cmd "show port xstats 0"; sleep 0.5
	q1=$(tail -n +"$((n + 1))" "$T/tp.log" | awk '/tx_q1_good_packets:/ {print $2; exit}')
	[ -n "$q1" ] && [ "$q1" -gt 10000 ] || fail "frontend queue 1 sent only ${q1:-?} packets" || return 1
	[ "$(dpstat va rx_packets)" -gt "$q1" ] || fail "switch received less than queue 1 alone sent" || return 1
}
