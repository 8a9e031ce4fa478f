# vesseld with the libvirt backend chosen per VNF: `"hypervisor": "libvirt"`
# in the VNF spec becomes the annotation org.vessel.hypervisor, the VNF runs
# as a libvirt domain that virsh lists while vesseld reports it running, and
# deleting the VNF leaves no domain.
source "$VESSEL_TOP/tests/integration/agent_lib.inc"
source "$VESSEL_TOP/tests/integration/libvirt_common.inc"

setup() { agent_need; agent_need_vm; lv_setup; }
teardown() { agent_teardown; lv_teardown; }

test_vnf_spec_hypervisor_libvirt() {
	agent_start || return 1
	import_busybox '["sh","-c","while :; do sleep 1; done"]' || return 1
	api_json POST /v1/vnfs '{"name":"lvbb1","image":"busybox:test","memory_mb":128,"hypervisor":"libvirt"}'
	[ "$CODE" = 201 ] || { fail "create: $CODE $BODY"; return 1; }
	local id; id=$(jq -r .id <<<"$BODY")
	assert_eq libvirt "$(jq -r .spec.hypervisor <<<"$BODY")" "spec echoed" || return 1
	assert_eq libvirt "$(jq -r '.annotations["org.vessel.hypervisor"]' "$T/state/bundles/$id/config.json")" \
		"bundle annotation" || return 1
	"$VESSELCTL" --socket "$SOCK" vnf start lvbb1 >/dev/null || { fail "vesselctl start"; return 1; }
	assert_eq running "$(vnf_status lvbb1)" || return 1
	local doms; doms=$(lv_domains_under "$T/run")
	assert_contains "$doms" "domain " "a libvirt domain for the VNF (under $T/run)" || return 1
	api DELETE /v1/vnfs/lvbb1
	assert_eq 204 "$CODE" "delete of the running VNF" || return 1
	wait_until 30 test -z "$(lv_domains_under "$T/run")" || { fail "domain left: $(lv_domains_under "$T/run")"; return 1; }
	api_json POST /v1/vnfs '{"name":"lvbb2","image":"busybox:test","hypervisor":"xen"}'
	assert_eq 400 "$CODE" "unknown hypervisor" || return 1
	assert_contains "$BODY" "hypervisor"
}
