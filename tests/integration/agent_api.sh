# vesseld REST API without microVMs: image import, networks (no dataplane),
# bad-request storm with the database unchanged, TCP bearer-token auth (and
# TLS), events, metrics, the OpenAPI contract vs the routes served.
source "$VESSEL_TOP/tests/integration/agent_lib.inc"

setup() { agent_need; }
teardown() { agent_teardown; }

test_openapi_matches_routes() {
	local served documented
	served=$("$VESSELD" --dump-routes | sort)
	documented=$(awk '/^paths:/{p=1;next} /^components:/{p=0}
		p && /^  \/[^ ]*:$/{path=$1; sub(":$","",path)}
		p && /^    (get|post|put|delete|patch):/{m=$1; sub(":$","",m); print toupper(m)" "path}' \
		"$VESSEL_TOP/docs/api/openapi.yaml" | sort)
	[ "$(wc -l <<<"$served")" -ge 20 ] || fail "too few routes: $served" || return 1
	if [ "$served" != "$documented" ]; then
		diff <(echo "$served") <(echo "$documented") >&2
		fail "docs/api/openapi.yaml and vesseld --dump-routes differ"
		return 1
	fi
}

test_socket_mode_and_health() {
	agent_start || return 1
	assert_eq 660 "$(stat -c %a "$SOCK")" "socket mode" || return 1
	api GET /healthz
	assert_eq 200 "$CODE" || return 1
	api GET /v1/node
	assert_eq 200 "$CODE" || return 1
	assert_eq "$(nproc)" "$(jq -r .cpu_count <<<"$BODY")" "cpu_count" || return 1
	assert_eq "$(hostname)" "$(jq -r .hostname <<<"$BODY")" "hostname" || return 1
	[ "$(jq '.numa_nodes | length' <<<"$BODY")" -ge 1 ] || fail "no numa nodes: $BODY" || return 1
	# migrations are recorded
	assert_eq 4 "$(sqlite3 "$T/state/vesseld.db" "SELECT MAX(version) FROM schema_migrations")" "schema version" || return 1
	assert_eq wal "$(sqlite3 "$T/state/vesseld.db" 'PRAGMA journal_mode')" || return 1
}

test_image_import_list_delete() {
	agent_start || return 1
	import_busybox || return 1
	assert_eq 201 "$CODE" "first import" || return 1
	[ -s "$T/state/images/${IMAGE#sha256:}/image.erofs" ] || fail "no erofs image" || return 1
	[ -x "$T/state/images/${IMAGE#sha256:}/rootfs/bin/busybox" ] || fail "rootfs not unpacked" || return 1
	api POST /v1/images --data-binary @"$T/busybox.tar"
	assert_eq 200 "$CODE" "second import is idempotent" || return 1
	api GET /v1/images
	assert_eq 1 "$(jq '.images | length' <<<"$BODY")" || return 1
	assert_eq busybox:test "$(jq -r '.images[0].name' <<<"$BODY")" || return 1
	api GET /v1/images/busybox:test
	assert_eq "$IMAGE" "$(jq -r .digest <<<"$BODY")" || return 1
	# garbage archive: 400 naming the problem, nothing stored
	head -c 5000 /dev/urandom >"$T/junk.tar"
	api POST /v1/images --data-binary @"$T/junk.tar"
	assert_eq 400 "$CODE" || return 1
	assert_eq invalid_archive "$(jq -r .error.code <<<"$BODY")" || return 1
	api DELETE "/v1/images/$IMAGE"
	assert_eq 204 "$CODE" || return 1
	[ ! -e "$T/state/images/${IMAGE#sha256:}" ] || fail "image dir left behind" || return 1
	api GET "/v1/images/$IMAGE"
	assert_eq 404 "$CODE" || return 1
	[ -z "$(ls "$T/state/tmp")" ] || fail "temp files left: $(ls "$T/state/tmp")"
}

test_oci_layout_import() {
	# an OCI image layout with two layers; the second deletes a file and
	# makes a directory opaque
	agent_start || return 1
	local d=$T/oci; mkdir -p "$d/l1/etc/conf.d" "$d/l2/etc/conf.d" "$d/out/blobs/sha256"
	cp /bin/busybox "$d/l1/busybox"; echo old >"$d/l1/etc/conf.d/old"; echo gone >"$d/l1/gone"
	echo new >"$d/l2/etc/conf.d/new"; touch "$d/l2/etc/conf.d/.wh..wh..opq" "$d/l2/.wh.gone"
	local l1 l2 c m
	tar -C "$d/l1" -czf "$d/l1.tgz" . && l1=$(sha256sum "$d/l1.tgz" | cut -d' ' -f1)
	tar -C "$d/l2" -cf "$d/l2.tar" . && l2=$(sha256sum "$d/l2.tar" | cut -d' ' -f1)
	mv "$d/l1.tgz" "$d/out/blobs/sha256/$l1"; mv "$d/l2.tar" "$d/out/blobs/sha256/$l2"
	echo '{"config":{"Entrypoint":["/busybox"],"Cmd":["sh"]},"rootfs":{"type":"layers"}}' >"$d/c.json"
	c=$(sha256sum "$d/c.json" | cut -d' ' -f1); mv "$d/c.json" "$d/out/blobs/sha256/$c"
	jq -n --arg c "sha256:$c" --arg l1 "sha256:$l1" --arg l2 "sha256:$l2" \
		'{schemaVersion:2, config:{digest:$c}, layers:[{digest:$l1, mediaType:"application/vnd.oci.image.layer.v1.tar+gzip"},{digest:$l2}]}' >"$d/m.json"
	m=$(sha256sum "$d/m.json" | cut -d' ' -f1); mv "$d/m.json" "$d/out/blobs/sha256/$m"
	jq -n --arg m "sha256:$m" '{schemaVersion:2, manifests:[{digest:$m, annotations:{"org.opencontainers.image.ref.name":"oci:test"}}]}' >"$d/out/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/out/oci-layout"
	tar -C "$d/out" -cf "$d/oci.tar" .
	api POST /v1/images --data-binary @"$d/oci.tar"
	assert_eq 201 "$CODE" "$BODY" || return 1
	assert_eq oci "$(jq -r .format <<<"$BODY")" || return 1
	assert_eq 2 "$(jq -r .layers <<<"$BODY")" || return 1
	assert_eq "sha256:$c" "$(jq -r .digest <<<"$BODY")" || return 1
	local r=$T/state/images/$c/rootfs
	[ -e "$r/etc/conf.d/new" ] && [ ! -e "$r/etc/conf.d/old" ] && [ ! -e "$r/gone" ] && [ -x "$r/busybox" ] ||
		fail "whiteouts not applied: $(find "$r" | head -20)" || return 1
	# a tampered blob is refused (digest mismatch)
	echo tamper >>"$d/out/blobs/sha256/$l2"
	tar -C "$d/out" -cf "$d/bad.tar" .
	api POST /v1/images --data-binary @"$d/bad.tar"
	assert_eq 400 "$CODE" || return 1
	assert_contains "$BODY" "sha256:$l2"
}

test_networks_without_dataplane() {
	agent_start || return 1
	api_json POST /v1/networks '{"name":"bd0","type":"bridge","aging":60}'
	assert_eq 201 "$CODE" "$BODY" || return 1
	assert_eq false "$(jq -r .applied <<<"$BODY")" || return 1
	api_json POST /v1/networks '{"name":"bd0"}'
	assert_eq 409 "$CODE" || return 1
	api_json POST /v1/networks '{"name":"x0","type":"xconnect","a":"p1"}'
	assert_eq 400 "$CODE" || return 1
	assert_eq b "$(jq -r .error.field <<<"$BODY")" || return 1
	api GET /v1/networks
	assert_eq bd0 "$(jq -r '.networks[0].name' <<<"$BODY")" || return 1
	api DELETE /v1/networks/bd0
	assert_eq 204 "$CODE" || return 1
	api GET /v1/networks/bd0
	assert_eq 404 "$CODE"
}

test_events_longpoll_and_metrics() {
	agent_start || return 1
	api GET '/v1/events?since=0'
	local last; last=$(jq -r .last <<<"$BODY")
	# a long-poll returns as soon as an event arrives
	( sleep 1; curl -s -H 'Expect:' --unix-socket "$SOCK" -X POST http://v/v1/networks \
		-d '{"name":"late"}' >/dev/null ) &
	local bg=$! t0=$SECONDS
	api GET "/v1/events?since=$last&timeout=20"
	wait "$bg"
	[ $((SECONDS - t0)) -lt 10 ] || fail "long-poll did not return on the event" || return 1
	assert_eq network.created "$(jq -r '.events[0].type' <<<"$BODY")" || return 1
	api GET '/v1/events?since=abc'
	assert_eq 400 "$CODE" || return 1
	assert_eq '?since' "$(jq -r .error.field <<<"$BODY")" || return 1
	api GET /metrics
	assert_eq 200 "$CODE" || return 1
	assert_contains "$BODY" 'vessel_vnfs{status="running"} 0' || return 1
	assert_contains "$BODY" 'vessel_api_request_duration_seconds_bucket{le="+Inf"}' || return 1
	assert_contains "$BODY" 'vessel_api_requests_total{code="4xx"} 1'
}

test_tcp_requires_token() {
	local port=$((20000 + RANDOM % 20000))
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$T/token"
	agent_start --listen-tcp "127.0.0.1:$port" --token-file "$T/token" || return 1
	local url=http://127.0.0.1:$port
	assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/vnfs")" "no token" || return 1
	assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong-token-xxxxxxxxxxxx' "$url/v1/vnfs")" "wrong token" || return 1
	assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/token")x" "$url/v1/vnfs")" "token + 1 char" || return 1
	assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/token")" "$url/v1/vnfs")" "right token" || return 1
	# the unix socket needs no token
	api GET /v1/vnfs
	assert_eq 200 "$CODE" || return 1
	# vesselctl over TCP
	"$VESSELCTL" --url "$url" --token-file "$T/token" vnf list >/dev/null || fail "vesselctl with token" || return 1
	"$VESSELCTL" --url "$url" vnf list >/dev/null 2>&1; assert_eq 4 $? "vesselctl without token exit code"
}

test_tls_listener() {
	command -v openssl >/dev/null || skip "openssl CLI missing"
	local port=$((20000 + RANDOM % 20000))
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
		-subj /CN=localhost >/dev/null 2>&1 || fail "openssl" || return 1
	echo "0123456789abcdef0123" >"$T/token"
	agent_start --listen-tcp "127.0.0.1:$port" --token-file "$T/token" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" || return 1
	assert_eq 200 "$(curl -s --cacert "$T/cert.pem" -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer 0123456789abcdef0123' "https://localhost:$port/healthz")" "https with token" || return 1
	assert_eq 401 "$(curl -s --cacert "$T/cert.pem" -o /dev/null -w '%{http_code}' "https://localhost:$port/healthz")" "https without token" || return 1
	assert_eq 000 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" "plain http on the TLS port"
}

test_vesselctl_exit_codes() {
	agent_start || return 1
	"$VESSELCTL" --socket "$SOCK" vnf show nosuch 2>/dev/null; assert_eq 2 $? "not found" || return 1
	"$VESSELCTL" --socket "$SOCK" net create n1 >/dev/null || return 1
	"$VESSELCTL" --socket "$SOCK" net create n1 2>/dev/null; assert_eq 3 $? "conflict" || return 1
	echo '{"name":"x","image":"y","vcpus":0}' >"$T/bad.json"
	"$VESSELCTL" --socket "$SOCK" vnf create -f "$T/bad.json" 2>"$T/err"; assert_eq 4 $? "bad spec" || return 1
	assert_contains "$(cat "$T/err")" "vcpus" || return 1
	"$VESSELCTL" --socket "$T/nosock" vnf list 2>/dev/null; assert_eq 5 $? "cannot connect" || return 1
	"$VESSELCTL" --socket "$SOCK" frobnicate 2>/dev/null; assert_eq 1 $? "usage" || return 1
	assert_eq n1 "$("$VESSELCTL" --socket "$SOCK" --json net list | jq -r '.networks[0].name')"
}

# Writes a curl config with one bad request per section into $1; prints the count.
gen_bad_requests() {
	local cfg=$1 n=0 i f
	local good='"name":"ok1","image":"busybox:test"'
	: >"$cfg"
	emit() { # METHOD PATH [BODY]
		{ [ $n -gt 0 ] && echo next
		  echo "unix-socket = \"$SOCK\""
		  echo "url = \"http://v$2\""; echo "request = \"$1\""; echo 'header = "Expect:"'
		  echo 'write-out = "%{http_code}\n"'; echo 'output = "/dev/null"'
		  [ $# -ge 3 ] && printf 'data-binary = "%s"\n' "$(printf '%s' "$3" | sed 's/\\/\\\\/g; s/"/\\"/g')"
		} >>"$cfg"
		n=$((n + 1))
	}
	local types=('"s"' '1' '1.5' 'true' '[]' '{}' '[1]')
	local fields=(name image vcpus memory_mb cpu_policy numa_node hugepage_size nics args env labels restart_policy)
	for i in $(seq 1 40); do
		for f in "${fields[@]}"; do  # wrong types
			local t=${types[$((i % ${#types[@]}))]}
			case "$f:$t" in vcpus:1|memory_mb:1|numa_node:1|numa_node:'"s"'|args:'[]'|env:'{}'|labels:'{}'|nics:'[]') t='"x/y"';; esac
			[ "$f" = vcpus ] || [ "$f" = memory_mb ] && [ "$t" = '"x/y"' ] && t='"8"'
			[ "$f" = image ] || [ "$f" = name ] && t='12'
			emit POST /v1/vnfs "{$good,\"$f\":$t}"
		done
		emit POST /v1/vnfs "{$good,\"unknown_$i\":1}"                  # unknown field
		emit POST /v1/vnfs "{\"image\":\"busybox:test\",\"vcpus\":$i}"   # missing name
		emit POST /v1/vnfs "{\"name\":\"n$i\"}"                          # missing image
		emit POST /v1/vnfs "{$good,\"vcpus\":$((64 + i))}"              # out of range
		emit POST /v1/vnfs "{$good,\"memory_mb\":$((i - 1))}"
		emit POST /v1/vnfs "{$good,\"nics\":[{\"network\":\"bd0\",\"vlan\":$((4094 + i))}]}"
		emit POST /v1/vnfs "{\"name\":\"a/$i\",\"image\":\"busybox:test\"}"   # names with / and ..
		emit POST /v1/vnfs "{\"name\":\"..$i\",\"image\":\"busybox:test\"}"
		emit POST /v1/vnfs "{\"name\":\"x\",\"image\":\"../../etc/$i\"}"
		emit POST /v1/vnfs "{$good,\"name\":\"ok$i\",\"image\":\"nosuch$i\"}"  # unknown image
		emit POST /v1/vnfs "{$good,\"nics\":[{\"network\":\"nonet$i\"}]}"     # unknown network
		emit POST /v1/vnfs "$(printf '{"name":"ok1","image":"busybox:test","vcpus":%d' "$i")"  # truncated
		emit POST /v1/vnfs "{$good,}"
		emit POST /v1/vnfs "[$i]"
		emit POST /v1/vnfs ""
		emit PUT /v1/vnfs "{$good}"                                      # 405
		emit PATCH "/v1/vnfs/x$i" "{}"
		emit DELETE /v1/node
		emit GET "/v1/nothing/$i"                                        # 404
		emit GET "/v2/vnfs"
		emit GET "/v1/vnfs?status=bogus$i"                               # bad query
		emit GET "/v1/vnfs?colour=$i"
		emit POST "/v1/vnfs/nosuch$i/start"                               # unknown VNF
		emit POST "/v1/vnfs/nosuch$i/stop" "{\"grace\":-$i}"
		emit GET "/v1/vnfs/nosuch$i/logs?tail=x"
		emit POST /v1/networks "{\"name\":\"bad/$i\"}"
		emit POST /v1/networks "{\"name\":\"n$i\",\"type\":\"vlan\"}"
		emit POST /v1/images "not an archive $i"
		emit GET /healthz "body-on-get-$i"
	done
	echo $n
}

test_bad_request_storm() {
	agent_start || return 1
	import_busybox || return 1
	api_json POST /v1/networks '{"name":"bd0"}'
	local before after n codes
	# the whole database, events included: bad requests must not even log
	before=$(sqlite3 "$T/state/vesseld.db" .dump)
	n=$(gen_bad_requests "$T/storm.cfg")
	[ "$n" -ge 1000 ] || fail "only $n requests generated" || return 1
	# plus a few bodies over the 1 MiB limit
	head -c 1100000 /dev/zero | tr '\0' 'a' >"$T/big"
	local t0=$SECONDS
	codes=$(curl -s --unix-socket "$SOCK" -K "$T/storm.cfg"; for i in 1 2 3; do
		curl -s -H 'Expect:' --unix-socket "$SOCK" -o /dev/null -w '%{http_code}\n' \
			-X POST --data-binary @"$T/big" http://v/v1/vnfs; done)
	echo "storm: $((n + 3)) requests in $((SECONDS - t0)) s"
	local total bad4xx
	total=$(grep -c . <<<"$codes")
	bad4xx=$(grep -vc '^4[0-9][0-9]$' <<<"$codes")
	assert_eq $((n + 3)) "$total" "responses" || return 1
	if [ "$bad4xx" -ne 0 ]; then
		sort <<<"$codes" | uniq -c >&2
		fail "$bad4xx responses were not 4xx"
		return 1
	fi
	assert_eq 3 "$(grep -c '^413$' <<<"$codes")" "413 for oversize bodies" || return 1
	grep -q '^405$' <<<"$codes" && grep -q '^404$' <<<"$codes" || fail "no 404/405 seen" || return 1
	after=$(sqlite3 "$T/state/vesseld.db" .dump)
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "database changed"; return 1; }
	api GET /healthz
	assert_eq 200 "$CODE" "still serving" || return 1
	kill -0 "$(agent_pid)" || fail "vesseld died" || return 1
	# errors name the field
	api_json POST /v1/vnfs '{"name":"ok1","image":"busybox:test","nics":[{"network":"bd0","vlan":9999}]}'
	assert_eq 'nics[0].vlan' "$(jq -r .error.field <<<"$BODY")" || return 1
	api_json POST /v1/vnfs '{"name":"ok1","image":"busybox:test","vcpus":"2"}'
	assert_eq vcpus "$(jq -r .error.field <<<"$BODY")" || return 1
	assert_eq invalid_type "$(jq -r .error.code <<<"$BODY")" || return 1
	api PUT /v1/vnfs
	assert_eq 405 "$CODE" || return 1
	assert_eq method_not_allowed "$(jq -r .error.code <<<"$BODY")"
}

test_events_sse() {
	agent_start || return 1
	( sleep 1; curl -s -H 'Expect:' --unix-socket "$SOCK" -X POST http://v/v1/networks -d '{"name":"sse1"}' >/dev/null ) &
	local bg=$!
	curl -s -N --max-time 4 -H 'Accept: text/event-stream' --unix-socket "$SOCK" 'http://v/v1/events?since=0' >"$T/sse.out"
	wait "$bg"
	assert_contains "$(cat "$T/sse.out")" "event: network.created" || return 1
	assert_contains "$(cat "$T/sse.out")" '"object_id":"sse1"'
}

# Networks on a real vessel-dp (hugepages reserved for the test and given
# back): applied through the control socket, shown by /v1/node and /metrics,
# re-applied by reconcile after the dataplane restarts without its config.
test_networks_on_dataplane() {
	need_root
	local DP=$VESSEL_BUILD/bin/vessel-dp dpp
	[ -x "$DP" ] || skip "vessel-dp not built"
	"$VESSEL_TOP/scripts/hugepages" reserve 256 >/dev/null || skip "cannot reserve hugepages"
	dp_run() {
		"$DP" --ctl-socket "$T/dp.sock" --state "$T/dp-state.json" --file-prefix "va$$" --mbufs 8192 \
			>>"$T/dp.log" 2>&1 &
		dpp=$!
		wait_until 15 "$DP" ctl --socket "$T/dp.sock" port.list
	}
	dp_done() { kill "$dpp" 2>/dev/null; wait "$dpp" 2>/dev/null; "$VESSEL_TOP/scripts/hugepages" release >/dev/null; }
	bridges() { "$DP" ctl --socket "$T/dp.sock" --json bridge.list | jq -r '.[].name' | sort | tr '\n' ' '; }
	dp_run || { dp_done; fail "vessel-dp did not start: $(tail -5 "$T/dp.log")"; return 1; }
	dp_checks() {
		agent_start --dp-socket "$T/dp.sock" || return 1
		api_json POST /v1/networks '{"name":"bd7","aging":30}'
		assert_eq 201 "$CODE" "$BODY" || return 1
		assert_eq true "$(jq -r .applied <<<"$BODY")" || return 1
		assert_eq "bd7 " "$(bridges)" "bridge on the dataplane" || return 1
		local before; before=$(db_dump)
		api_json POST /v1/networks '{"name":"xc1","type":"xconnect","a":"nope1","b":"nope2"}'
		assert_eq 502 "$CODE" "xconnect of unknown ports" || return 1
		assert_eq "$before" "$(db_dump)" "nothing stored on a dataplane error" || return 1
		api GET /v1/node
		jq -e '.dataplane.ports | type == "array"' <<<"$BODY" >/dev/null || fail "node: $BODY" || return 1
		api GET /metrics
		assert_contains "$BODY" "vessel_dp_up 1" || return 1
		# the dataplane restarts with an empty configuration: reconcile re-applies
		kill -9 "$dpp"; wait "$dpp" 2>/dev/null
		rm -f "$T/dp-state.json" "$T/dp.sock"
		dp_run || fail "vessel-dp did not restart" || return 1
		wait_until 15 bash -c "[ \"\$($DP ctl --socket $T/dp.sock --json bridge.list | jq -r '.[].name')\" = bd7 ]" ||
			fail "bridge not re-applied after the dataplane restarted: [$(bridges)]" || return 1
		api DELETE /v1/networks/bd7
		assert_eq 204 "$CODE" || return 1
		assert_eq "" "$(bridges)" "bridge removed"
	}
	local rc=0
	dp_checks || rc=1
	dp_done
	return $rc
}

test_schema_migration_upgrade_and_newer_refused() {
	agent_start || return 1
	api_json POST /v1/networks '{"name":"keepme"}'
	agent_stop
	# make it a version-1 database, as an older vesseld left it
	sqlite3 "$T/state/vesseld.db" "ALTER TABLE vnfs DROP COLUMN backoff; ALTER TABLE vnfs DROP COLUMN ports_ok; DROP TABLE report_outbox; DROP TABLE report_state; DELETE FROM schema_migrations WHERE version >= 2" ||
		fail "sqlite3" || return 1
	agent_start || return 1
	assert_eq 4 "$(sqlite3 "$T/state/vesseld.db" "SELECT MAX(version) FROM schema_migrations")" "upgraded" || return 1
	sqlite3 "$T/state/vesseld.db" "SELECT ports_ok FROM vnfs LIMIT 0" || fail "column not added" || return 1
	api GET /v1/networks/keepme
	assert_eq 200 "$CODE" "data kept across the migration" || return 1
	agent_stop
	sqlite3 "$T/state/vesseld.db" "INSERT INTO schema_migrations VALUES (99, 'future')"
	"$VESSELD" --state-dir "$T/state" --run-dir "$T/run" --placement-dir "$T/place" --runtime "$RUNTIME" 2>"$T/err"
	assert_eq 1 $? "exit status with a newer schema" || return 1
	assert_contains "$(cat "$T/err")" "schema version 99"
}

test_capacity_refused_before_anything_is_stored() {
	# more dedicated cores than the node has: 409 naming vcpus, no row, no VM
	agent_start || return 1
	import_busybox || return 1
	local before; before=$(sqlite3 "$T/state/vesseld.db" .dump)
	api_json POST /v1/vnfs '{"name":"big","image":"busybox:test","vcpus":64,"cpu_policy":"dedicated"}'
	assert_eq 409 "$CODE" "$BODY" || return 1
	assert_eq insufficient_resources "$(jq -r .error.code <<<"$BODY")" || return 1
	assert_eq vcpus "$(jq -r .error.field <<<"$BODY")" || return 1
	api_json POST /v1/vnfs '{"name":"far","image":"busybox:test","numa_node":7}'
	assert_eq 409 "$CODE" "$BODY" || return 1
	assert_eq "$before" "$(sqlite3 "$T/state/vesseld.db" .dump)" "database unchanged" || return 1
	[ -z "$(ls "$T/run/runtime" 2>/dev/null)" ] || fail "a VM was created"
}
