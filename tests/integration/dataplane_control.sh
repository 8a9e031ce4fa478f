# vessel-dp control plane under traffic: malformed requests get JSON-RPC
# errors naming the field while forwarding continues; ports are added and
# deleted (including an active one) while packets flow.
source "$VESSEL_TOP/tests/integration/dataplane_lib.inc"

setup() { dp_setup; }
teardown() { dp_cleanup; }

# raw LINE: sends one raw line to the control socket, prints the response.
raw() { printf '%s\n' "$1" | socat -t 3 - "UNIX-CONNECT:$T/dp.sock"; }

# with_traffic: two vhost ports in bridge br0 and a testpmd io loop through them.
with_traffic() {
	dp_start || return 1
	ctl bridge.add name=br0 >/dev/null &&
		ctl port.add name=va type=vhost path="$T/va.sock" bridge=br0 >/dev/null &&
		ctl port.add name=vb type=vhost path="$T/vb.sock" bridge=br0 >/dev/null || return 1
	testpmd_start "$T/va.sock" "$T/vb.sock" --forward-mode=io || return 1
	wait_until 10 port_up va && wait_until 10 port_up vb || fail "vhost ports did not come up" || return 1
	tp_cmd "start tx_first 4"
	sleep 1
}

# flowing PORT: rx_packets of PORT grows within 2 s.
flowing() {
	local a b
	a=$(dpstat "$1" rx_packets); sleep 0.5; b=$(dpstat "$1" rx_packets)
	[ "$b" -gt "$a" ] || { echo "no traffic on $1: rx $a -> $b"; return 1; }
}

# rpc_err LINE CODE [FIELD]: LINE gets error CODE naming FIELD.
rpc_err() {
	local r
	r=$(raw "$1")
	assert_eq "$2" "$(jq -r .error.code <<<"$r")" "error code for $1 (response $r)" || return 1
	[ -z "${3:-}" ] || assert_eq "$3" "$(jq -r .error.data.field <<<"$r")" "field for $1" || return 1
	[ -z "${3:-}" ] || assert_contains "$(jq -r .error.message <<<"$r")" "$3" || return 1
}

test_control_errors_keep_forwarding() {
	command -v socat >/dev/null || skip "socat missing"
	with_traffic || return 1
	flowing va || return 1
	rpc_err '{"jsonrpc":"2.0","id":1,"method":' -32700 || return 1
	rpc_err 'this is not json' -32700 || return 1
	rpc_err '[]' -32600 || return 1
	rpc_err '{"jsonrpc":"2.0","id":1,"method":"port.frobnicate"}' -32601 method || return 1
	rpc_err '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"type":"vhost","path":"/x.sock"}}' -32602 name || return 1
	rpc_err '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"x","type":"vhost"}}' -32602 path || return 1
	rpc_err '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"x","type":"vhost","path":"/x","vlan":99999}}' -32602 vlan || return 1
	rpc_err '{"jsonrpc":"2.0","id":1,"method":"bridge.add","params":{"name":"../etc"}}' -32602 name || return 1
	# Valid requests the switch refuses: -32000 with the object named.
	local r
	r=$(raw '{"jsonrpc":"2.0","id":9,"method":"port.add","params":{"name":"x","type":"vhost","path":"/tmp/x.sock","bridge":"nope"}}')
	assert_eq -32000 "$(jq -r .error.code <<<"$r")" "unknown bridge" || return 1
	assert_contains "$(jq -r .error.message <<<"$r")" "bridge" || return 1
	assert_eq 9 "$(jq -r .id <<<"$r")" "id echoed" || return 1
	r=$(raw '{"jsonrpc":"2.0","id":2,"method":"port.add","params":{"name":"va","type":"vhost","path":"/tmp/y.sock"}}')
	assert_contains "$(jq -r .error.message <<<"$r")" "already exists" || return 1
	r=$(raw '{"jsonrpc":"2.0","id":3,"method":"port.add","params":{"name":"e1","type":"ethdev","devargs":"net_nosuchdriver0"}}')
	assert_eq -32000 "$(jq -r .error.code <<<"$r")" "bad devargs" || return 1
	# A line far beyond the limit, binary junk, a client vanishing mid-request.
	head -c 100000 /dev/zero | tr '\0' 'x' | socat -t 2 - "UNIX-CONNECT:$T/dp.sock" >/dev/null
	head -c 4096 /dev/urandom | socat -t 1 - "UNIX-CONNECT:$T/dp.sock" >/dev/null
	printf '{"jsonrpc":"2.0","id":1,"meth' | socat -t 0 - "UNIX-CONNECT:$T/dp.sock" >/dev/null
	# The CLI reports the field and fails.
	local out
	out=$(ctl port.add name=zz type=vhost 2>&1) && fail "CLI succeeded on a bad request" && return 1
	assert_contains "$out" "path: missing" || return 1
	# Still alive, still answering, still forwarding.
	kill -0 "$DP_PID" || fail "vessel-dp died" || return 1
	assert_eq 2 "$(ctlj port.list | jq length)" "ports after bad requests" || return 1
	flowing va && flowing vb || return 1
}

test_port_add_del_under_traffic() {
	with_traffic || return 1
	local i
	for i in 1 2 3 4 5; do
		ctl port.add name=vc type=vhost path="$T/nobody-$i.sock" bridge=br0 >/dev/null || return 1
		ctl port.del name=vc >/dev/null || return 1
	done
	tap_port tc bridge=br0 || return 1
	sleep 0.3
	[ "$(dpstat tc tx_packets)" -gt 0 ] || fail "flooded traffic did not reach the new tap port" || return 1
	ctl port.del name=tc >/dev/null || return 1
	# Delete a port that is receiving and transmitting at full rate.
	ctl port.del name=va >/dev/null || return 1
	kill -0 "$DP_PID" || fail "vessel-dp died deleting an active port" || return 1
	assert_eq 1 "$(ctlj port.list | jq length)" "ports after delete" || return 1
	local c1 c2
	c1=$(ctlj stats.show | jq '.workers[0].total_cycles'); sleep 0.3
	c2=$(ctlj stats.show | jq '.workers[0].total_cycles')
	[ "$c2" -gt "$c1" ] || fail "worker stopped polling" || return 1
	# Add it back: the frontend (never restarted) reconnects and traffic flows.
	ctl port.add name=va type=vhost path="$T/va.sock" bridge=br0 >/dev/null || return 1
	wait_until 10 port_up va || fail "va did not reconnect" || return 1
	tp_cmd "stop"; tp_cmd "start tx_first 4"
	sleep 1
	flowing va && flowing vb || return 1
	# Deleting a bridge with ports is refused; after removing them it works.
	ctl bridge.del name=br0 >/dev/null 2>&1 && fail "bridge with ports deleted" && return 1
	ctl port.del name=va >/dev/null && ctl port.del name=vb >/dev/null && ctl bridge.del name=br0 >/dev/null || return 1
	kill -0 "$DP_PID" || fail "vessel-dp died" || return 1
}
