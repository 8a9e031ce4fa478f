# The node agent's API guard rails (issue 10), against a real vesseld on
# loopback TCP and its unix socket: the bearer token (missing, wrong), body
# size limits (Content-Length and chunked), the per-address rate limit (429
# with Retry-After, then service again), the audit log (one JSON line for
# every mutating or refused request, never the token, file mode 0600), and
# the unix socket's mode and group.
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.inc"

setup() { agent_need; }
teardown() { agent_teardown; }

# tcp METHOD PATH [curl args]: prints the HTTP status.
tcp() { local m=$1 p=$2; shift 2; curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$m" "$URL$p" "$@"; }
audit() { jq -c "select($1)" "$T/state/audit.log" | wc -l; }

test_api_refuses_and_audits() {
	local port=$((20000 + RANDOM % 20000)) grp
	grp=$(getent group nogroup >/dev/null && echo nogroup || id -gn)
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$T/token"
	agent_start --listen-tcp "127.0.0.1:$port" --token-file "$T/token" --max-body 4096 \
		--rate-limit 2 --rate-burst 6 --socket-group "$grp" || return 1
	URL=http://127.0.0.1:$port
	local auth="Authorization: Bearer $(cat "$T/token")" net='{"name":"hnet","type":"bridge"}'
	# unix socket: 0660, the configured group; audit log: 0600
	assert_eq "660 $grp" "$(stat -c '%a %G' "$SOCK")" "API socket mode and group" || return 1
	assert_eq 600 "$(stat -c '%a' "$T/state/audit.log")" "audit log mode" || return 1
	# token
	assert_eq 401 "$(tcp POST /v1/networks -H 'Content-Type: application/json' -d "$net")" "no token" || return 1
	assert_eq 401 "$(tcp POST /v1/networks -H 'Authorization: Bearer wrong-token-0123456789' \
		-H 'Content-Type: application/json' -d "$net")" "wrong token" || return 1
	# size: declared and chunked bodies over --max-body
	head -c 10000 /dev/zero | tr '\0' ' ' >"$T/big"
	assert_eq 413 "$(tcp POST /v1/networks -H "$auth" -H 'Content-Type: application/json' \
		--data-binary @"$T/big")" "oversized body" || return 1
	sleep 3 # refill
	assert_eq 413 "$(tcp POST /v1/networks -H "$auth" -H 'Transfer-Encoding: chunked' \
		-H 'Content-Type: application/json' --data-binary @"$T/big")" "oversized chunked body" || return 1
	assert_eq 201 "$(tcp POST /v1/networks -H "$auth" -H 'Content-Type: application/json' -d "$net")" \
		"create with the token" || return 1
	# rate: a burst of 6, then 429 with Retry-After; service resumes after it
	sleep 3.5
	local codes="" i
	for i in 1 2 3 4 5 6 7 8 9; do codes="$codes $(tcp GET /v1/networks -H "$auth")"; done
	assert_eq " 200 200 200 200 200 200 429 429 429" "$codes" "burst of 9 against --rate-burst 6" || return 1
	grep -qi '^Retry-After: [1-9]' "$T/headers" || { fail "429 without Retry-After: $(cat "$T/headers")"; return 1; }
	assert_eq rate_limited "$(jq -r .error.code "$T/body")" "429 error code" || return 1
	sleep "$(awk -F': ' 'tolower($1) == "retry-after" { print $2 + 0 }' "$T/headers")"
	assert_eq 200 "$(tcp GET /v1/networks -H "$auth")" "after Retry-After" || return 1
	# the unix socket is not rate-limited (local, group-authorised)
	for i in $(seq 12); do api GET /v1/networks; [ "$CODE" = 200 ] || { fail "unix socket got $CODE"; return 1; }; done
	api DELETE /v1/networks/hnet
	assert_eq 204 "$CODE" "delete over the unix socket" || return 1
	# audit log: refused and mutating requests, not successful reads
	local log="$T/state/audit.log"
	jq -e . "$log" >/dev/null || { fail "audit log is not JSON lines: $(cat "$log")"; return 1; }
	assert_eq 1 "$(audit '.status == 401 and .auth == "missing" and .method == "POST" and .path == "/v1/networks" and .listener == "tcp"')" "audit: missing token" || return 1
	assert_eq 1 "$(audit '.status == 401 and .auth == "wrong"')" "audit: wrong token" || return 1
	assert_eq 2 "$(audit '.status == 413')" "audit: oversized bodies" || return 1
	assert_eq 3 "$(audit '.status == 429 and .method == "GET"')" "audit: rate-limited" || return 1
	assert_eq 1 "$(audit '.status == 201 and .auth == "ok" and (.peer | startswith("127.0.0.1:"))')" "audit: create" || return 1
	assert_eq 1 "$(audit '.status == 204 and .method == "DELETE" and .listener == "unix" and (.peer | startswith("uid=0,pid="))')" "audit: unix delete" || return 1
	assert_eq 0 "$(audit '.status == 200')" "audit: successful reads are not logged" || return 1
	grep -qF "$(cat "$T/token")" "$log" && { fail "the token is in the audit log"; return 1; }
	# the daemon is still fine
	assert_eq 200 "$(tcp GET /healthz -H "$auth")" "healthz after all that"
}
