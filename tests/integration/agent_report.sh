# vesseld reporting to an orchestrator (issue 7): the real agent, its real
# SQLite outbox, real HTTP on loopback to vessel-orch-receiver (the reference
# receiver, which stores what it gets in its own SQLite file and can be told
# to fail, stall or answer garbage). Reports must arrive complete, in order,
# exactly once, across receiver outages, receiver misbehaviour, kill -9 of the
# agent and outbox compaction; the REST API keeps serving meanwhile. Events
# come from network create/delete (no VM needed) except in the lifecycle test,
# which runs a real microVM.
source "$VESSEL_TOP/tests/integration/agent_lib.inc"
RECV=${VESSEL_ORCH_RECEIVER:-$VESSEL_BUILD/bin/vessel-orch-receiver}
RTIMEOUT=${VESSEL_REPORT_TIMEOUT:-60} # seconds to wait for deliveries (slow shared host)

setup() {
	agent_need
	[ -x "$RECV" ] || skip "vessel-orch-receiver not built"
	RCURL=(curl -s)
}
teardown() { recv_stop; agent_teardown; }

# recv_start [flags]: starts the receiver on 127.0.0.1:$RPORT (a free port
# the first time) with its database $T/recv.db; sets RPORT and RURL.
recv_start() {
	rm -f "$T/recv.port"
	"$RECV" --db "$T/recv.db" --listen "127.0.0.1:${RPORT:-0}" --port-file "$T/recv.port" "$@" >>"$T/recv.log" 2>&1 &
	echo $! >"$T/recv.pid"
	wait_until 10 test -s "$T/recv.port" || { cat "$T/recv.log" >&2; fail "receiver did not start"; return 1; }
	RPORT=$(cat "$T/recv.port")
	RURL=${RSCHEME:-http}://127.0.0.1:$RPORT
	wait_until 10 "${RCURL[@]}" -f "$RURL/healthz" || { fail "receiver not answering"; return 1; }
}
recv_stop() {
	local pid
	pid=$(cat "$T/recv.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null && wait_until 10 bash -c "! kill -0 $pid"
	kill -9 "$pid" 2>/dev/null
	rm -f "$T/recv.pid"
	return 0
}
recv_mode() { "${RCURL[@]}" -X PUT --data-binary "$1" "$RURL/control/mode" -o /dev/null -w '%{http_code}' | grep -q 204; }
# dump: everything the receiver stored (works while it is down: its SQLite file)
dump() { "$RECV" --db "$T/recv.db" --dump; }

# metric NAME: its value from vesseld's /metrics
metric() { curl -s --unix-socket "$SOCK" http://v/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
metric_ge() { local v; v=$(metric "$1"); [ -n "$v" ] && awk -v v="$v" -v n="$2" 'BEGIN { exit !(v >= n) }'; }

# agent_report [flags]: vesseld reporting to the receiver quickly.
agent_report() {
	agent_start --orchestrator-url "$RURL/v1/reports" --report-interval "${RINTERVAL:-0.5}" \
		--report-backoff-max 0.5 --report-timeout 2 "$@"
}

# wait_delivered: the outbox is empty and the receiver has stored the agent's last sequence.
wait_delivered() {
	wait_until "$RTIMEOUT" bash -c "curl -s --unix-socket $SOCK http://v/metrics | grep -qx 'vessel_report_queued 0'" ||
		{ fail "outbox not drained: $(curl -s --unix-socket "$SOCK" http://v/metrics | grep '^vessel_report_[a-z_]* ')"; return 1; }
}

# check_integrity: what the receiver stored is every report in order (no
# duplicate, no gap: contiguous first_sequence..sequence ranges from 1) and
# every agent event exactly once, in order.
check_integrity() {
	# the agent's newest event must have been reported (changes are reported within 0.2 s)
	api GET '/v1/events?since=0&timeout=0'
	local last; last=$(jq '.last' <<<"$BODY")
	wait_until "$RTIMEOUT" bash -c "$(declare -f dump); RECV=$RECV T=$T; dump | jq -e '([.reports[].report.events[].seq] | max // 0) >= $last'" ||
		{ fail "event $last never reported"; return 1; }
	wait_delivered || return 1
	local d; d=$(dump)
	jq -e '[.reports[] | [.first_sequence, .sequence]] as $r
		| ($r[0][0] == 1) and ([range(1; $r | length) | select($r[.][0] != $r[. - 1][1] + 1)] | length == 0)' \
		<<<"$d" >/dev/null || { fail "sequences not contiguous in arrival order: $(jq -c '[.reports[] | [.first_sequence, .sequence]]' <<<"$d")"; return 1; }
	assert_eq 0 "$(jq '.nodes[0].gaps' <<<"$d")" "gaps seen by the receiver" || return 1
	assert_eq 1 "$(jq '.nodes | length' <<<"$d")" "one node" || return 1
	assert_eq 1 "$(jq '[.reports[].report.node_id] | unique | length' <<<"$d")" "node id stable" || return 1
	api GET '/v1/events?since=0'
	local want got
	want=$(jq -c '[.events[] | [.seq, .type, (.object_id // "")]]' <<<"$BODY")
	got=$(jq -c '[.reports[].report.events[] | [.seq, .type, .object_id]]' <<<"$d")
	assert_eq "$want" "$got" "events delivered (each once, in order)"
}

test_report_content_through_vnf_lifecycle() {
	agent_need_vm
	printf 'orch-token-0123456789\n' >"$T/token"
	RCURL=(curl -s -H "Authorization: Bearer orch-token-0123456789")
	recv_start --token-file "$T/token" || return 1
	RINTERVAL=5 agent_report --orchestrator-token-file "$T/token" --node-id edge-7 || return 1
	assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' "$RURL/v1/reports")" "receiver without the token" || return 1
	import_busybox '["sh","-c","echo up; while :; do sleep 1; done"]' || return 1
	# latest NAME: the VNF NAME in the newest snapshot the receiver stored ("null" if absent)
	latest() { dump | jq -c --arg n "$1" '[.reports[].report | select(.snapshot)] | last | [.vnfs[] | select(.name == $n)][0]'; }
	api_json POST /v1/vnfs '{"name":"rep1","image":"busybox:test","vcpus":1,"memory_mb":96,"labels":{"tier":"edge"}}'
	assert_eq 201 "$CODE" "create" || return 1
	local id; id=$(jq -r .id <<<"$BODY")
	wait_until "$RTIMEOUT" bash -c "$(declare -f latest dump); RECV=$RECV T=$T; latest rep1 | jq -e '.status == \"created\"'" ||
		fail "no report with rep1 created: $(latest rep1)" || return 1
	local v; v=$(latest rep1)
	assert_eq "$id" "$(jq -r .id <<<"$v")" "vnf id" || return 1
	assert_eq "$IMAGE" "$(jq -r .image <<<"$v")" "image digest" || return 1
	assert_eq INSTANTIATED/STOPPED "$(jq -r '.instantiation_state + "/" + .operational_state' <<<"$v")" || return 1
	assert_eq '1/96/shared/none' "$(jq -r '"\(.resources.vcpus)/\(.resources.memory_mb)/\(.resources.cpu_policy)/\(.resources.hugepage_size)"' <<<"$v")" "resources" || return 1
	assert_eq '[{"key":"tier","value":"edge"}]' "$(jq -c .labels <<<"$v")" "labels" || return 1
	api POST /v1/vnfs/rep1/start
	assert_eq running "$(jq -r .status <<<"$BODY")" "start" || return 1
	wait_until "$RTIMEOUT" bash -c "$(declare -f latest dump); RECV=$RECV T=$T; latest rep1 | jq -e '.status == \"running\" and .operational_state == \"STARTED\"'" ||
		fail "no report with rep1 running: $(latest rep1)" || return 1
	# the agent's kept-alive connection to the orchestrator is not held by
	# what it forked (the shim, QEMU)
	local holders; holders=$(ss -tnpH "( sport = :$RPORT or dport = :$RPORT )" | grep -o 'pid=[0-9]*' | sort -u |
		grep -vx -e "pid=$(agent_pid)" -e "pid=$(cat "$T/recv.pid")" | tr '\n' ' ')
	assert_eq "" "$holders" "processes holding orchestrator connections besides vesseld and the receiver" || return 1
	api POST /v1/vnfs/rep1/stop -d '{"grace":1}'
	assert_eq stopped "$(jq -r .status <<<"$BODY")" "stop" || return 1
	wait_until "$RTIMEOUT" bash -c "$(declare -f latest dump); RECV=$RECV T=$T; latest rep1 | jq -e '.status == \"stopped\" and .operational_state == \"STOPPED\" and .exited'" ||
		fail "no report with rep1 stopped: $(latest rep1)" || return 1
	api DELETE /v1/vnfs/rep1
	assert_eq 204 "$CODE" "delete" || return 1
	wait_until "$RTIMEOUT" bash -c "$(declare -f latest dump); RECV=$RECV T=$T; [ \"\$(latest rep1)\" = null ]" ||
		fail "deleted VNF still in the newest snapshot: $(latest rep1)" || return 1
	wait_delivered || return 1
	local d; d=$(dump)
	jq -e --arg id "$id" '[.reports[].report.events[] | select(.object_id == $id) | .type]
		| (index("vnf.created") < index("vnf.started")) and (index("vnf.started") < index("vnf.stopped"))
		  and (index("vnf.stopped") < index("vnf.deleted"))' <<<"$d" >/dev/null ||
		fail "lifecycle events: $(jq -c --arg id "$id" '[.reports[].report.events[] | select(.object_id == $id) | .type]' <<<"$d")" || return 1
	# registration first; the inventory describes this host
	assert_eq "REPORT_KIND_REGISTER edge-7" "$(jq -r '.reports[0] | "\(.kind) \(.report.node_id)"' <<<"$d")" "registration" || return 1
	assert_eq 1 "$(jq '.nodes[0].registrations' <<<"$d")" || return 1
	assert_eq "$(nproc)" "$(jq '.reports[-1].report.inventory.cpu_count' <<<"$d")" "inventory cpu_count" || return 1
	assert_eq "$(hostname)" "$(jq -r '.reports[-1].report.inventory.hostname' <<<"$d")" "inventory hostname" || return 1
	jq -e '.reports[-1].report.inventory.numa_nodes | length >= 1 and all(.[]; .memory_total_mb > 0 and (.hugepages | length) >= 1)' \
		<<<"$d" >/dev/null || fail "inventory NUMA nodes: $(jq -c '.reports[-1].report.inventory' <<<"$d")" || return 1
	assert_eq 0 "$(jq '.nodes[0].duplicates' <<<"$d")" "duplicates with a healthy receiver" || return 1
	check_integrity
}

test_report_outage_queues_then_delivers_in_order() {
	recv_start || return 1
	agent_report || return 1
	wait_until "$RTIMEOUT" metric_ge vessel_report_acked_sequence 1 || fail "first report not acknowledged" || return 1
	recv_stop
	local i
	for i in 1 2 3 4 5 6; do
		api_json POST /v1/networks "{\"name\":\"out$i\",\"type\":\"bridge\"}"
		assert_eq 201 "$CODE" "API serves during the outage" || return 1
		sleep 0.5
	done
	wait_until "$RTIMEOUT" metric_ge vessel_report_queued 6 || fail "reports not queued: $(metric vessel_report_queued)" || return 1
	metric_ge vessel_report_send_failures_total 2 || fail "no failed attempts counted" || return 1
	assert_eq 0 "$(metric vessel_report_orchestrator_up)" "orchestrator_up during the outage" || return 1
	local queued; queued=$(metric vessel_report_queued)
	recv_start || return 1
	wait_delivered || return 1
	assert_eq 1 "$(metric vessel_report_orchestrator_up)" || return 1
	local d; d=$(dump)
	[ "$(jq '.reports | length' <<<"$d")" -ge $((queued + 1)) ] || fail "fewer reports stored than were queued ($queued)" || return 1
	assert_eq 6 "$(jq '[.reports[].report.events[] | select(.type == "network.created")] | length' <<<"$d")" || return 1
	check_integrity
}

test_report_kill9_agent_during_outage_keeps_outbox() {
	recv_start || return 1
	agent_report || return 1
	wait_until "$RTIMEOUT" metric_ge vessel_report_acked_sequence 1 || fail "first report not acknowledged" || return 1
	recv_stop
	api_json POST /v1/networks '{"name":"k1","type":"bridge"}'
	api_json POST /v1/networks '{"name":"k2","type":"bridge"}'
	wait_until "$RTIMEOUT" metric_ge vessel_report_queued 3 || fail "not queued" || return 1
	local seq; seq=$(metric vessel_report_sequence)
	kill -9 "$(agent_pid)"
	wait_until 10 bash -c "! kill -0 $(agent_pid)"
	local rows; rows=$(sqlite3 "$T/state/vesseld.db" "SELECT COUNT(*) FROM report_outbox")
	[ "$rows" -ge 3 ] || fail "outbox after kill -9: $rows rows" || return 1
	agent_report || return 1
	api_json POST /v1/networks '{"name":"k3","type":"bridge"}'
	wait_until "$RTIMEOUT" metric_ge vessel_report_sequence $((seq + 2)) || fail "no new reports after restart" || return 1
	recv_start || return 1
	wait_delivered || return 1
	local d; d=$(dump)
	assert_eq "1 $((seq + 1))" "$(jq -r '[.reports[] | select(.kind == "REPORT_KIND_REGISTER") | .sequence] | join(" ")' <<<"$d")" \
		"registrations: at the first start and after the restart, sequence continued" || return 1
	assert_eq 2 "$(jq '.nodes[0].registrations' <<<"$d")" || return 1
	assert_eq "k1 k2 k3" "$(jq -r '[.reports[].report.events[] | select(.type == "network.created") | .object_id] | join(" ")' <<<"$d")" || return 1
	check_integrity
}

test_report_receiver_fails_stalls_garbles_reports_kept() {
	recv_start --stall-seconds 30 || return 1
	agent_report --report-timeout 1 || return 1
	wait_until "$RTIMEOUT" metric_ge vessel_report_acked_sequence 1 || fail "first report not acknowledged" || return 1
	local mode f
	for mode in fail stall garbage; do
		recv_mode "$mode" || fail "set mode $mode" || return 1
		f=$(metric vessel_report_send_failures_total)
		api_json POST /v1/networks "{\"name\":\"m-$mode\",\"type\":\"bridge\"}"
		assert_eq 201 "$CODE" "API while the receiver is in mode $mode" || return 1
		wait_until "$RTIMEOUT" metric_ge vessel_report_send_failures_total $((f + 2)) ||
			fail "mode $mode: no failed deliveries" || return 1
		metric_ge vessel_report_queued 1 || fail "mode $mode: outbox emptied without a valid ack" || return 1
		# the REST API answers at once while deliveries fail
		curl -s -m 3 --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' http://v/v1/vnfs | grep -qx 200 ||
			fail "mode $mode: REST API did not answer within 3 s" || return 1
	done
	assert_contains "$(cat "$T/vesseld.log")" "HTTP 500" || return 1
	assert_contains "$(cat "$T/vesseld.log")" "malformed acknowledgement" || return 1
	grep -Eq "Timeout was reached|timed out" "$T/vesseld.log" || fail "no timeout logged" || return 1
	recv_mode ok || return 1
	wait_delivered || return 1
	local d; d=$(dump)
	# stall and garbage stored the report but the agent never saw an ack: resent, deduplicated
	[ "$(jq '.nodes[0].duplicates' <<<"$d")" -ge 1 ] || fail "no duplicate deduplicated by the receiver" || return 1
	assert_eq "m-fail m-stall m-garbage" "$(jq -r '[.reports[].report.events[] | select(.type == "network.created") | .object_id] | join(" ")' <<<"$d")" || return 1
	check_integrity
}

test_report_outbox_compaction_keeps_events() {
	recv_start || return 1
	recv_stop # the orchestrator is down from the start
	RINTERVAL=0.2 agent_report --outbox-max 4 || return 1
	local i
	for i in 1 2 3 4 5 6 7 8; do
		api_json POST /v1/networks "{\"name\":\"c$i\",\"type\":\"bridge\"}"
		sleep 0.3
		local q; q=$(sqlite3 "$T/state/vesseld.db" "SELECT COUNT(*) FROM report_outbox")
		[ "$q" -le 4 ] || fail "outbox above --outbox-max 4: $q" || return 1
	done
	wait_until "$RTIMEOUT" metric_ge vessel_report_compacted_total 4 || fail "nothing compacted: $(metric vessel_report_compacted_total)" || return 1
	[ "$(metric vessel_report_queued)" -le 4 ] || fail "queued metric above the bound" || return 1
	recv_start || return 1
	wait_delivered || return 1
	local d; d=$(dump)
	jq -e '[.reports[] | select(.kind == "REPORT_KIND_COMPACTED")] | length >= 1' <<<"$d" >/dev/null ||
		fail "no compacted report delivered" || return 1
	# what the agent counts as compacted is what the receiver sees as dropped snapshots
	assert_eq "$(metric vessel_report_compacted_total)" "$(jq '[.reports[].report.snapshots_dropped] | add' <<<"$d")" \
		"compacted total vs snapshots_dropped" || return 1
	jq -e '.reports[-1].report.snapshot' <<<"$d" >/dev/null || fail "newest report is not a snapshot" || return 1
	assert_eq "c1 c2 c3 c4 c5 c6 c7 c8" "$(jq -r '[.reports[].report.events[] | select(.type == "network.created") | .object_id] | join(" ")' <<<"$d")" || return 1
	check_integrity
}

test_report_tls_with_ca_and_token() {
	command -v openssl >/dev/null || skip "openssl missing"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null || fail "openssl" || return 1
	printf 'tls-token-0123456789\n' >"$T/token"
	RSCHEME=https
	RCURL=(curl -s --cacert "$T/cert.pem" -H "Authorization: Bearer tls-token-0123456789")
	recv_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --token-file "$T/token" || return 1
	# without the CA the agent refuses the certificate and keeps its reports
	agent_report --orchestrator-token-file "$T/token" || return 1
	wait_until "$RTIMEOUT" metric_ge vessel_report_send_failures_total 1 || fail "untrusted certificate accepted" || return 1
	assert_eq 0 "$(metric vessel_report_sent_total)" "sent without trusting the certificate" || return 1
	agent_stop
	agent_report --orchestrator-token-file "$T/token" --orchestrator-ca "$T/cert.pem" || return 1
	wait_delivered || return 1
	local d; d=$("${RCURL[@]}" "$RURL/v1/reports")
	[ "$(jq '.reports | length' <<<"$d")" -ge 2 ] || fail "reports over TLS: $d" || return 1
	check_integrity
}

# The inventory's dataplane part against a real vessel-dp: a net_tap port in
# a bridge receives frames sent from its netns; the reported counters follow
# the switch's own, and a dead dataplane is reported as down, not skipped.
test_report_dataplane_ports_and_counters() {
	source "$VESSEL_TOP/tests/integration/dataplane_lib.inc"
	dp_setup
	dp_start || return 1
	ctl bridge.add name=br0 >/dev/null || fail "bridge.add" || return 1
	tap_port pa bridge=br0 || fail "tap port" || return 1
	recv_start || return 1
	agent_report --dp-socket "$T/dp.sock" || return 1
	pkt_send pa 02:00:00:00:00:02 02:00:00:00:00:01 count=7 || fail "pkt_send" || return 1
	local have; have=$(dpstat pa rx_packets)
	[ "$have" -ge 7 ] || fail "switch counted $have frames" || return 1
	port() { dump | jq -c '[.reports[].report | select(.snapshot)] | last | .inventory.dataplane as $d
		| {up: $d.up, p: [$d.ports[] | select(.name == "pa")][0]}'; }
	wait_until "$RTIMEOUT" bash -c "$(declare -f port dump); RECV=$RECV T=$T; port | jq -e '.p.counters.rx_packets >= $have'" ||
		fail "reported port: $(port)" || return 1
	local p; p=$(port)
	local link; link=$(ctlj port.list | jq -r '.[] | select(.name == "pa") | .link')
	assert_eq "true ethdev br0 $link" "$(jq -r '"\(.up) \(.p.type) \(.p.bridge) \(.p.link)"' <<<"$p")" "reported port" || return 1
	[ "$(jq '.p.counters.rx_packets' <<<"$p")" -le "$(dpstat pa rx_packets)" ] || fail "reported more than the switch counted" || return 1
	kill -9 "$DP_PID"; wait "$DP_PID" 2>/dev/null
	wait_until "$RTIMEOUT" bash -c "$(declare -f dump); RECV=$RECV T=$T; dump | jq -e '[.reports[].report | select(.snapshot)] | last | .inventory.dataplane | (.up == false) and (.error | length > 0)'" ||
		fail "dead dataplane not reported as down" || return 1
	check_integrity
}

# The node's database is lost but its --node-id is kept: the orchestrator
# holds higher sequence numbers than the fresh database. The agent renumbers
# its queue after the orchestrator's highest instead of having every new
# report dropped as a duplicate.
test_report_database_reset_renumbers() {
	recv_start || return 1
	agent_report --node-id edge-reset || return 1
	api_json POST /v1/networks '{"name":"before","type":"bridge"}'
	wait_until "$RTIMEOUT" metric_ge vessel_report_acked_sequence 5 || fail "reports not acknowledged" || return 1
	agent_stop
	local high; high=$(dump | jq '.nodes[0].highest_seq')
	rm -rf "$T/state"
	agent_report --node-id edge-reset || return 1
	api_json POST /v1/networks '{"name":"after","type":"bridge"}'
	wait_until "$RTIMEOUT" bash -c "$(declare -f dump); RECV=$RECV T=$T; dump | jq -e '[.reports[].report.events[] | select(.object_id == \"after\")] | length == 1'" ||
		fail "reports after the reset dropped as duplicates: $(dump | jq -c '.nodes')" || return 1
	wait_delivered || return 1
	local d; d=$(dump)
	assert_eq 2 "$(jq '.nodes[0].registrations' <<<"$d")" "registration after the reset stored" || return 1
	assert_eq 0 "$(jq '.nodes[0].gaps' <<<"$d")" "gaps" || return 1
	jq -e '[.reports[].sequence] as $s
		| ($s == ($s | sort)) and ($s | unique | length) == ($s | length)' <<<"$d" >/dev/null ||
		fail "sequences not increasing in arrival order" || return 1
	assert_contains "$(cat "$T/vesseld.log")" "renumbered from $((high + 1))"
}

# Per-NIC counters of a real VNF: a microVM with one NIC on a bridge of a
# real vessel-dp (the runtime adds port <id>.eth0), pinged from a net_tap
# port's netns; the report's NIC counters follow the switch's own.
test_report_vnf_nic_counters() {
	agent_need_vm
	source "$VESSEL_TOP/tests/integration/dataplane_lib.inc"
	dp_setup
	dp_start || return 1
	recv_start || return 1
	agent_report --dp-socket "$T/dp.sock" || return 1
	api_json POST /v1/networks '{"name":"rb","type":"bridge"}'
	assert_eq true "$(jq -r .applied <<<"$BODY")" "network on the dataplane" || return 1
	tap_port pa bridge=rb || fail "tap port" || return 1
	ip -n "vt$DP_ID-pa" addr add 10.77.0.1/24 dev t0 || return 1
	import_busybox '["sh","-c","while :; do sleep 1; done"]' || return 1
	api_json POST /v1/vnfs '{"name":"nic1","image":"busybox:test","memory_mb":96,"nics":[{"network":"rb","ip":"10.77.0.2/24"}]}'
	assert_eq 201 "$CODE" "create: $BODY" || return 1
	local id; id=$(jq -r .id <<<"$BODY")
	api POST /v1/vnfs/nic1/start
	assert_eq running "$(jq -r .status <<<"$BODY")" "start: $BODY" || return 1
	wait_until "$RTIMEOUT" ip netns exec "vt$DP_ID-pa" ping -c 1 -W 1 10.77.0.2 || fail "guest does not answer ping" || return 1
	ip netns exec "vt$DP_ID-pa" ping -c 3 -i 0.2 -W 1 10.77.0.2 >/dev/null
	nic() { dump | jq -c '[.reports[].report | select(.snapshot)] | last | [.vnfs[] | select(.name == "nic1")][0].nics[0]'; }
	local tx; tx=$(dpstat "$id.eth0" tx_packets)
	wait_until "$RTIMEOUT" bash -c "$(declare -f nic dump); RECV=$RECV T=$T; nic | jq -e '.present and .counters.tx_packets >= $tx and .counters.rx_packets > 0'" ||
		fail "reported NIC: $(nic), switch: $(ctlj stats.show port="$id.eth0" | jq -c .ports[0])" || return 1
	local n; n=$(nic)
	assert_eq "$id.eth0 rb" "$(jq -r '"\(.port) \(.network)"' <<<"$n")" "reported NIC" || return 1
	[ "$(jq '.counters.tx_packets' <<<"$n")" -le "$(dpstat "$id.eth0" tx_packets)" ] || fail "reported more than the switch counted" || return 1
	api DELETE /v1/vnfs/nic1
	assert_eq 204 "$CODE" || return 1
	check_integrity
}
