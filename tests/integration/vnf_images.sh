# The sample VNF images (images/vnf/make-vnf-images): reproducible archives,
# docker-archive and OCI layout import to one image in vesseld, iperf3 runs in
# a guest (loopback) and the router turns on forwarding. No dataplane needed;
# two TCG VMs.
source "$VESSEL_TOP/tests/integration/agent_lib.inc"

setup() { agent_need; agent_need_vm; [ -x /usr/bin/iperf3 ] || skip "iperf3 missing (scripts/install-deps)"; }
teardown() { agent_teardown; }

test_vnf_images_build_import_and_run() {
	bash "$VESSEL_TOP/images/vnf/make-vnf-images" "$T/a" 2>/dev/null || { fail "make-vnf-images"; return 1; }
	bash "$VESSEL_TOP/images/vnf/make-vnf-images" "$T/b" iperf3 2>/dev/null || { fail "make-vnf-images iperf3"; return 1; }
	assert_eq "$(sha256sum <"$T/a/iperf3.docker.tar")" "$(sha256sum <"$T/b/iperf3.docker.tar")" "rebuilt archive" || return 1
	[ -x "$T/a/iperf3/rootfs/usr/bin/iperf3" ] && [ -e "$T/a/iperf3/rootfs/lib64/ld-linux-x86-64.so.2" ] ||
		{ fail "bundle rootfs lacks iperf3 or its loader"; return 1; }
	assert_eq '"1"' "$(jq '.linux.sysctl["net.ipv4.ip_forward"]' "$T/a/router/config.json")" "router bundle sysctl" || return 1
	bash "$VESSEL_TOP/images/vnf/make-vnf-images" "$T/a" nosuch 2>"$T/err" && { fail "unknown image accepted"; return 1; }
	assert_contains "$(cat "$T/err")" 'unknown image `nosuch`' || return 1

	agent_start || return 1
	api POST /v1/images --data-binary @"$T/a/iperf3.docker.tar"
	assert_eq 201 "$CODE" "docker-archive import: $BODY" || return 1
	local d1; d1=$(jq -r .digest <<<"$BODY")
	api POST /v1/images --data-binary @"$T/a/iperf3.oci.tar"
	assert_eq 200 "$CODE" "OCI layout of the same image: $BODY" || return 1
	assert_eq "$d1" "$(jq -r .digest <<<"$BODY")" "same digest from both formats" || return 1
	assert_eq '["/vnf/traffic"]' "$(jq -c .config.entrypoint <<<"$BODY")" || return 1
	api POST /v1/images --data-binary @"$T/a/router.oci.tar"
	assert_eq 201 "$CODE" "router import: $BODY" || return 1
	assert_eq vessel/router:demo "$(jq -r .name <<<"$BODY")" || return 1

	api_json POST /v1/vnfs '{"name":"ip3","image":"vessel/iperf3:demo","memory_mb":128,
		"args":["sh","-c","iperf3 -s -D; /vnf/traffic client 127.0.0.1 1 1"]}'
	assert_eq 201 "$CODE" "$BODY" || return 1
	api POST /v1/vnfs/ip3/start
	api_json POST /v1/vnfs '{"name":"rt","image":"vessel/router:demo","memory_mb":64}'
	assert_eq 201 "$CODE" "$BODY" || return 1
	api POST /v1/vnfs/rt/start
	wait_until 60 bash -c "curl -s --unix-socket $SOCK http://v/v1/vnfs/ip3/logs | grep -q 'vnf-traffic: done'" ||
		{ api GET /v1/vnfs/ip3/logs; fail "iperf3 client did not finish: $BODY"; return 1; }
	api GET /v1/vnfs/ip3/logs
	assert_contains "$BODY" "vnf-result ping-first ok" || return 1
	assert_contains "$BODY" "vnf-result iperf3 ok round=1 mbit_s=" || return 1
	wait_until 30 bash -c "curl -s --unix-socket $SOCK http://v/v1/vnfs/rt/logs | grep -q 'ip_forward=1'" ||
		{ api GET /v1/vnfs/rt/logs; fail "router did not enable forwarding: $BODY"; return 1; }
	api DELETE /v1/vnfs/rt
	assert_eq 204 "$CODE" || return 1
	api DELETE /v1/vnfs/ip3
	assert_eq 204 "$CODE"
}
