# vesseld with real microVMs (TCG here): lifecycle from an imported busybox
# image, logs and stats, restart policies with backoff, kill -9 of vesseld
# and adoption of running VNFs, concurrent creates of one name. Each VM boot
# is ~1-2 s under TCG and the host has 2 cores: few VMs per test.
source "$VESSEL_TOP/tests/integration/agent_lib.inc"

setup() { agent_need; agent_need_vm; }
teardown() { agent_teardown; }

# create_vnf JSON: POST and set ID
create_vnf() {
	api_json POST /v1/vnfs "$1"
	[ "$CODE" = 201 ] || { fail "create: $CODE $BODY"; return 1; }
	ID=$(jq -r .id <<<"$BODY")
}

test_lifecycle_logs_stats() {
	agent_start || return 1
	import_busybox '["sh","-c","echo hello from busybox; echo to-stderr >&2; while :; do sleep 1; done"]' || return 1
	create_vnf '{"name":"bb1","image":"busybox:test","memory_mb":128,"env":{"GREETING":"hi"}}' || return 1
	assert_eq created "$(jq -r .status <<<"$BODY")" || return 1
	assert_eq INSTANTIATED "$(jq -r .instantiation_state <<<"$BODY")" || return 1
	assert_eq STOPPED "$(jq -r .operational_state <<<"$BODY")" || return 1
	# the bundle carries the contract's annotations
	local cfg=$T/state/bundles/$ID/config.json
	assert_eq 128 "$(jq -r '.annotations["org.vessel.memory_mb"]' "$cfg")" || return 1
	assert_eq shared "$(jq -r '.annotations["org.vessel.cpu_policy"]' "$cfg")" || return 1
	assert_contains "$(jq -c .process.env "$cfg")" '"GREETING=hi"' || return 1
	"$VESSELCTL" --socket "$SOCK" vnf start bb1 >/dev/null || fail "vesselctl start" || return 1
	vnf_status bb1 >/dev/null
	assert_eq running "$(jq -r .status <<<"$BODY")" || return 1
	assert_eq STARTED "$(jq -r .operational_state <<<"$BODY")" || return 1
	local shim; shim=$(jq -r .shim_pid <<<"$BODY")
	kill -0 "$shim" || fail "shim $shim not alive" || return 1
	wait_until 20 bash -c "curl -s --unix-socket $SOCK 'http://v/v1/vnfs/bb1/logs' | grep -q 'hello from busybox'" ||
		fail "workload output not in logs" || return 1
	api GET '/v1/vnfs/bb1/logs?tail=1'
	assert_eq to-stderr "$(tr -d '\r' <<<"$BODY")" "tail=1 (stderr captured)" || return 1
	api GET '/v1/vnfs/bb1/logs?source=console'
	assert_eq 200 "$CODE" || return 1
	api GET /v1/vnfs/bb1/stats
	[ "$(jq -r '.memory_rss_bytes' <<<"$BODY")" -gt 10000000 ] || fail "rss: $BODY" || return 1
	jq -e '.cpu_seconds > 0' <<<"$BODY" >/dev/null || fail "cpu: $BODY" || return 1
	api GET /metrics
	assert_contains "$BODY" 'vessel_vnfs{status="running"} 1' || return 1
	assert_contains "$BODY" "vessel_vnf_memory_rss_bytes{id=\"$ID\"}" || return 1
	"$VESSELCTL" --socket "$SOCK" vnf list | grep -q "bb1 .* running" || fail "vesselctl list" || return 1
	api POST /v1/vnfs/bb1/pause
	assert_eq paused "$(jq -r .status <<<"$BODY")" "pause" || return 1
	api POST /v1/vnfs/bb1/pause
	assert_eq 409 "$CODE" "pause twice" || return 1
	api POST /v1/vnfs/bb1/unpause
	assert_eq running "$(jq -r .status <<<"$BODY")" "unpause" || return 1
	# follow streams new output and ends when the VNF stops
	( sleep 2; curl -s -H 'Expect:' --unix-socket "$SOCK" -X POST http://v/v1/vnfs/bb1/stop -d '{"grace":1}' >/dev/null ) &
	local bg=$!
	timeout 30 "$VESSELCTL" --socket "$SOCK" vnf logs bb1 -f --tail 0 >"$T/follow.out"
	local rc=$?
	wait "$bg"
	assert_eq 0 "$rc" "logs -f ended when the VNF stopped" || return 1
	vnf_status bb1 >/dev/null
	assert_eq stopped "$(jq -r .status <<<"$BODY")" || return 1
	[ "$(jq -r .exit_status <<<"$BODY")" != null ] || fail "no exit status" || return 1
	# the image is in use: 409
	api DELETE "/v1/images/$IMAGE"
	assert_eq 409 "$CODE" || return 1
	# start again (fresh VM), then delete
	api POST /v1/vnfs/bb1/start
	assert_eq running "$(jq -r .status <<<"$BODY")" || return 1
	api DELETE /v1/vnfs/bb1
	assert_eq 204 "$CODE" || return 1
	api GET /v1/vnfs/bb1
	assert_eq 404 "$CODE" || return 1
	[ -z "$(ls "$T/run/runtime")" ] || fail "runtime container left: $(ls "$T/run/runtime")" || return 1
	api DELETE "/v1/images/$IMAGE"
	assert_eq 204 "$CODE"
}

test_restart_on_failure_with_backoff() {
	agent_start --backoff-base 1 || return 1
	import_busybox '["sh","-c","echo run; sleep 1; exit 1"]' || return 1
	create_vnf '{"name":"crashy","image":"busybox:test","memory_mb":96,"restart_policy":"on-failure"}' || return 1
	api POST /v1/vnfs/crashy/start
	# exits 1 -> restarted: count grows, with growing delays (1 s, 2 s, ...)
	wait_until 60 bash -c "curl -s --unix-socket $SOCK http://v/v1/vnfs/crashy | jq -e '.restart_count >= 2'" ||
		fail "not restarted twice: $(curl -s --unix-socket "$SOCK" http://v/v1/vnfs/crashy)" || return 1
	api GET '/v1/events?since=0'
	local delays; delays=$(jq -r '.events[] | select(.type=="vnf.restart_scheduled") | .message' <<<"$BODY" | grep -o 'in [0-9.]* s' | head -2 | tr '\n' ' ')
	assert_eq "in 1.0 s in 2.0 s " "$delays" "backoff delays" || return 1
	jq -e '[.events[] | select(.type=="vnf.exited")][0].message | contains("status 1")' <<<"$BODY" >/dev/null ||
		fail "exit status not reported" || return 1
	# stop is final: no more restarts
	api POST /v1/vnfs/crashy/stop -d '{"grace":0}'
	local n; n=$(vnf_status crashy >/dev/null; jq -r .restart_count <<<"$BODY")
	sleep 4
	vnf_status crashy >/dev/null
	assert_eq stopped "$(jq -r .status <<<"$BODY")" || return 1
	assert_eq "$n" "$(jq -r .restart_count <<<"$BODY")" "no restart after stop"
}

test_restart_never_stays_stopped() {
	agent_start || return 1
	import_busybox '["sh","-c","echo bye; exit 3"]' || return 1
	create_vnf '{"name":"once","image":"busybox:test","memory_mb":96,"restart_policy":"never"}' || return 1
	api POST /v1/vnfs/once/start
	wait_until 30 bash -c "curl -s --unix-socket $SOCK http://v/v1/vnfs/once | jq -e '.status == \"stopped\"'" ||
		fail "did not stop" || return 1
	sleep 3
	vnf_status once >/dev/null
	assert_eq 0 "$(jq -r .restart_count <<<"$BODY")" "restarts" || return 1
	assert_eq 3 "$(jq -r .exit_status <<<"$BODY")" "exit status" || return 1
	assert_eq stopped "$(jq -r .status <<<"$BODY")"
}

test_kill9_agent_adopts_running_vnf() {
	agent_start || return 1
	import_busybox || return 1
	create_vnf '{"name":"keep","image":"busybox:test","memory_mb":96,"restart_policy":"always"}' || return 1
	local keep=$ID
	create_vnf '{"name":"dies","image":"busybox:test","memory_mb":96,"restart_policy":"on-failure"}' || return 1
	local dies=$ID
	api POST /v1/vnfs/keep/start; api POST /v1/vnfs/dies/start
	vnf_status keep >/dev/null; local shim1; shim1=$(jq -r .shim_pid <<<"$BODY")
	vnf_status dies >/dev/null; local shim2; shim2=$(jq -r .shim_pid <<<"$BODY")
	kill -9 "$(agent_pid)"
	sleep 0.5
	# while the agent is down, the second VNF's shim dies
	kill -9 "$shim2"
	sleep 1
	kill -0 "$shim1" || fail "shim of keep died with the agent" || return 1
	agent_start || return 1
	vnf_status keep >/dev/null
	assert_eq running "$(jq -r .status <<<"$BODY")" "keep adopted" || return 1
	assert_eq "$shim1" "$(jq -r .shim_pid <<<"$BODY")" "same shim pid (not restarted)" || return 1
	assert_eq 0 "$(jq -r .restart_count <<<"$BODY")" || return 1
	api GET '/v1/events?since=0'
	jq -e --arg id "$keep" '[.events[] | select(.type=="vnf.adopted" and .object_id==$id)] | length == 1' <<<"$BODY" >/dev/null ||
		fail "no adopted event" || return 1
	jq -e --arg id "$dies" '[.events[] | select(.type=="vnf.died" and .object_id==$id)] | length >= 1' <<<"$BODY" >/dev/null ||
		fail "death while down not reported: $(jq -c '.events[-4:]' <<<"$BODY")" || return 1
	# the restart policy brings it back with a new shim
	wait_until 30 bash -c "curl -s --unix-socket $SOCK http://v/v1/vnfs/dies | jq -e '.status==\"running\" and .restart_count==1'" ||
		fail "dead VNF not restarted by policy" || return 1
	vnf_status dies >/dev/null
	[ "$(jq -r .shim_pid <<<"$BODY")" != "$shim2" ] || fail "same shim pid for restarted VNF"
}

test_concurrent_create_same_name() {
	agent_start || return 1
	import_busybox || return 1
	local i pids=()
	for i in 1 2; do
		curl -s -H 'Expect:' --unix-socket "$SOCK" -o "$T/c$i.json" -w '%{http_code}\n' -X POST http://v/v1/vnfs \
			-d '{"name":"twin","image":"busybox:test","memory_mb":96}' >"$T/code$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	local codes; codes=$(cat "$T/code1" "$T/code2" | sort | tr '\n' ' ')
	assert_eq "201 409 " "$codes" "one wins, one conflicts" || return 1
	grep -q '"field":"name"' "$T/c1.json" "$T/c2.json" || fail "409 does not name the field" || return 1
	api GET '/v1/vnfs?name=twin'
	assert_eq 1 "$(jq '.vnfs | length' <<<"$BODY")" || return 1
	assert_eq 1 "$(ls "$T/run/runtime" | wc -l)" "one VM"
}

test_backoff_resets_after_a_stable_run() {
	# each run lasts 3 s, longer than --restart-reset 2: the delay stays 1 s
	agent_start --backoff-base 1 --restart-reset 2 || return 1
	import_busybox '["sh","-c","sleep 3; exit 1"]' || return 1
	create_vnf '{"name":"flaky","image":"busybox:test","memory_mb":96,"restart_policy":"on-failure"}' || return 1
	api POST /v1/vnfs/flaky/start
	wait_until 60 bash -c "curl -s --unix-socket $SOCK http://v/v1/vnfs/flaky | jq -e '.restart_count >= 2'" ||
		fail "not restarted twice" || return 1
	api GET '/v1/events?since=0'
	local delays; delays=$(jq -r '.events[] | select(.type=="vnf.restart_scheduled") | .message' <<<"$BODY" | grep -o 'in [0-9.]* s' | head -2 | tr '\n' ' ')
	assert_eq "in 1.0 s in 1.0 s " "$delays" "backoff after stable runs" || return 1
	jq -e '[.events[] | select(.type=="vnf.stable")] | length >= 1' <<<"$BODY" >/dev/null || fail "no vnf.stable event" || return 1
	api POST /v1/vnfs/flaky/stop -d '{"grace":0}'
}
