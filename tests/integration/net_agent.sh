# vesseld -> vessel-runtime -> vessel-dp: a network and two VNFs with NICs
# created over the REST API get their ports `<vnf id>.eth0` on the real
# switch vesseld was given (--dp-socket reaches the runtime as the bundle
# annotation org.vessel.dataplane.socket), ping each other over it, and
# deleting a VNF removes its port. Guests: the sample iperf3 image
# (build/vnf/iperf3.docker.tar) imported through the API.
source "$VESSEL_TOP/tests/integration/agent_lib.inc"
source "$VESSEL_TOP/tests/integration/dataplane_lib.inc"

VNF_TAR=$VESSEL_BUILD/vnf/iperf3.docker.tar

setup() {
	agent_need
	agent_need_vm
	[ -f "$VNF_TAR" ] || skip "$VNF_TAR missing: run make (vnf-images)"
	dp_setup
	trap 'agent_teardown; dp_cleanup' EXIT
}
teardown() { agent_teardown; }

port_names() { ctlj port.list | jq -r '[.[].name] | sort | join(" ")'; }

test_agent_vnfs_get_dataplane_ports_and_ping() {
	dp_start || return 1
	agent_start --dp-socket "$T/dp.sock" || return 1
	api POST /v1/images --data-binary @"$VNF_TAR" -H 'Content-Type: application/x-tar'
	[ "$CODE" = 201 ] || [ "$CODE" = 200 ] || { fail "image import: $CODE $BODY"; return 1; }
	api_json POST /v1/networks '{"name":"lan5"}'
	assert_eq 201 "$CODE" "$BODY" || return 1
	api_json POST /v1/vnfs '{"name":"srv","image":"vessel/iperf3:demo","args":["sh","-c","sleep 600"],
		"nics":[{"network":"lan5","ip":"10.5.0.2/24"}]}'
	assert_eq 201 "$CODE" "$BODY" || return 1
	local srv; srv=$(jq -r .id <<<"$BODY")
	api_json POST /v1/vnfs '{"name":"cli","image":"vessel/iperf3:demo",
		"args":["sh","-c","ping -c 3 -W 3 10.5.0.2; echo ping-rc $?; sleep 600"],
		"nics":[{"network":"lan5","ip":"10.5.0.1/24"}]}'
	assert_eq 201 "$CODE" "$BODY" || return 1
	local cli; cli=$(jq -r .id <<<"$BODY")
	assert_eq "$T/dp.sock" "$(jq -r '.annotations["org.vessel.dataplane.socket"]' "$T/state/bundles/$cli/config.json")" \
		"bundle names vesseld's dataplane" || return 1
	api POST /v1/vnfs/srv/start; api_ok || { fail "start srv: $CODE $BODY"; return 1; }
	api POST /v1/vnfs/cli/start; api_ok || { fail "start cli: $CODE $BODY"; return 1; }
	wait_until 60 port_up "$cli.eth0" && wait_until 60 port_up "$srv.eth0" ||
		{ fail "VNF ports not up: $(ctl port.list)"; return 1; }
	assert_eq "lan5 lan5" "$(ctlj port.list | jq -r "[.[] | select(.name == \"$cli.eth0\" or .name == \"$srv.eth0\") | .bridge] | join(\" \")")" \
		"ports on the network's bridge domain" || return 1
	wait_until 90 bash -c "curl -s --unix-socket $SOCK 'http://v/v1/vnfs/cli/logs' | grep -q ping-rc" ||
		{ fail "no ping result in cli's log"; return 1; }
	api GET /v1/vnfs/cli/logs
	assert_contains "$BODY" "3 packets transmitted, 3 packets received" "cli pings srv" || return 1
	api DELETE "/v1/vnfs/cli?force=true"
	api_ok || { fail "delete cli: $CODE $BODY"; return 1; }
	wait_until 30 bash -c "! $DP_BIN ctl --socket $T/dp.sock --json port.list | grep -q '\"$cli.eth0\"'" ||
		{ fail "port of the deleted VNF left: $(port_names)"; return 1; }
	assert_eq "$srv.eth0" "$(port_names)" "ports after delete" || return 1
}
api_ok() { case "$CODE" in 200|202|204) return 0 ;; esac; return 1; }
