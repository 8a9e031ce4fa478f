# vessel-dp restarts: the configuration is persisted atomically and restored,
# and after `kill -9` a new vessel-dp reconnects to the frontends' sockets, so
# traffic resumes with the frontend (the VNF side) never restarted.
source "$VESSEL_TOP/tests/integration/dataplane_lib.inc"

setup() { dp_setup; }
teardown() { dp_cleanup; }

flowing() {
	local a b
	a=$(dpstat "$1" rx_packets); sleep 0.5; b=$(dpstat "$1" rx_packets)
	[ "$b" -gt "$a" ] || { echo "no traffic on $1: rx $a -> $b"; return 1; }
}

test_kill9_restart_frontends_reconnect() {
	dp_start || return 1
	ctl port.add name=va type=vhost path="$T/va.sock" >/dev/null &&
		ctl port.add name=vb type=vhost path="$T/vb.sock" >/dev/null &&
		ctl xconnect.add a=va b=vb >/dev/null || return 1
	testpmd_start "$T/va.sock" "$T/vb.sock" --forward-mode=io || return 1
	local tp=$DP_TP_PID
	wait_until 10 port_up va && wait_until 10 port_up vb || fail "ports did not come up" || return 1
	tp_cmd "start tx_first 4"
	sleep 1
	flowing va || return 1
	local before
	before=$(tp_rx_total)

	kill -9 "$DP_PID"; wait "$DP_PID" 2>/dev/null
	sleep 0.5
	dp_start || return 1
	wait_until 10 port_up va && wait_until 10 port_up vb || fail "frontends did not reconnect" || return 1
	assert_eq "va<->vb" "$(ctlj xconnect.list | jq -r '.[0] | "\(.a)<->\(.b)"')" "restored xconnect" || return 1
	# Packets held by the killed switch are lost; refill the loop (same
	# frontend process, no restart) and check both directions flow again.
	tp_cmd "stop"; tp_cmd "start tx_first 4"
	sleep 1
	flowing va && flowing vb || return 1
	kill -0 "$tp" || fail "frontend died" || return 1
	assert_eq "$tp" "$DP_TP_PID" "frontend pid" || return 1
	local after
	after=$(tp_rx_total)
	[ "$after" -gt "$before" ] || fail "frontend received nothing after the restart ($before -> $after)" || return 1
	grep -q "reconnection succeeds" "$T/tp.log" || fail "frontend log shows no reconnection" || return 1
}

test_config_persisted_and_restored() {
	dp_start || return 1
	ctl bridge.add name=br0 aging=60 >/dev/null &&
		ctl bridge.add name=br1 >/dev/null &&
		ctl port.add name=p1 type=vhost path="$T/p1.sock" bridge=br0 vlan_mode=access vlan=100 mtu=9000 >/dev/null &&
		ctl port.add name=p2 type=vhost path="$T/p2.sock" bridge=br0 vlan_mode=trunk allowed_vlans=100,200 >/dev/null &&
		ctl port.add name=p3 type=vhost path="$T/p3.sock" >/dev/null &&
		ctl port.add name=p4 type=vhost path="$T/p4.sock" >/dev/null &&
		ctl xconnect.add a=p3 b=p4 >/dev/null &&
		ctl port.add name=p5 type=vhost path="$T/p5.sock" bridge=br1 >/dev/null &&
		ctl port.del name=p5 >/dev/null || return 1
	jq -e . "$T/state.json" >/dev/null || fail "state file is not valid JSON" || return 1
	[ -z "$(ls "$T" | grep 'state.json.tmp')" ] || fail "temporary state file left behind" || return 1
	local ports bridges xcs
	ports=$(ctlj port.list | jq -c 'map(del(.link, .queues_active))')
	bridges=$(ctlj bridge.list | jq -c 'map(del(.learn_full))')
	xcs=$(ctlj xconnect.list | jq -c .)

	kill -9 "$DP_PID"; wait "$DP_PID" 2>/dev/null
	dp_start || return 1
	assert_eq "$ports" "$(ctlj port.list | jq -c 'map(del(.link, .queues_active))')" "ports after kill -9" || return 1
	assert_eq "$bridges" "$(ctlj bridge.list | jq -c 'map(del(.learn_full))')" "bridges after kill -9" || return 1
	assert_eq "$xcs" "$(ctlj xconnect.list | jq -c .)" "xconnects after kill -9" || return 1

	dp_stop || fail "vessel-dp did not exit cleanly on SIGTERM" || return 1
	[ ! -e "$T/dp.sock" ] || fail "control socket left behind after SIGTERM" || return 1
	dp_start || return 1
	assert_eq "$ports" "$(ctlj port.list | jq -c 'map(del(.link, .queues_active))')" "ports after SIGTERM restart" || return 1

	# A corrupt state file: the switch still starts (empty) and says which file is bad.
	dp_stop
	echo '{"version":1, "ports": [' >"$T/state.json"
	dp_start || return 1
	assert_eq 0 "$(ctlj port.list | jq length)" "ports from a corrupt state file" || return 1
	grep -q "state file \`$T/state.json\`" "$T/dp.log" || fail "no error naming the state file" || return 1
}

test_config_file_and_bad_options() {
	cat >"$T/dp.conf" <<CONF
{"ctl_socket": "$T/other.sock", "state": "$T/other.json", "mbufs": 4096, "file_prefix": "vtc$DP_ID"}
CONF
	"$DP_BIN" --config "$T/dp.conf" >>"$T/dp.log" 2>&1 &
	DP_PID=$!; DP_PIDS+=("$DP_PID")
	wait_until 10 "$DP_BIN" ctl --socket "$T/other.sock" port.list || fail "no control socket from --config" || return 1
	"$DP_BIN" ctl --socket "$T/other.sock" bridge.add name=b0 >/dev/null || return 1
	assert_eq b0 "$(jq -r '.bridges[0].name' "$T/other.json")" "state file from --config" || return 1
	dp_stop || return 1
	local out
	out=$("$DP_BIN" --lcores 0 --ctl-socket "$T/x.sock" --state "$T/x.json" --file-prefix "vtx$DP_ID" 2>&1) &&
		fail "started without a worker lcore" && return 1
	assert_contains "$out" "at least one worker" || return 1
	out=$("$DP_BIN" --mbufs 10 2>&1) && fail "accepted --mbufs 10" && return 1
	assert_contains "$out" "--mbufs" || return 1
	out=$("$DP_BIN" --config "$T/nonexistent.conf" 2>&1) && fail "accepted a missing config file" && return 1
	assert_contains "$out" "nonexistent.conf" || return 1
	out=$("$DP_BIN" ctl --socket "$T/nobody.sock" port.list 2>&1); assert_eq 3 "$?" "ctl exit status without a switch" || return 1
	assert_contains "$out" "is vessel-dp running" || return 1
}
