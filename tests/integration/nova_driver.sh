# The OpenStack Nova driver (contrib/openstack/vessel) against Debian's Nova
# classes and a private vesseld: the Python tests in
# contrib/openstack/tests/test_vessel_driver.py run with /usr/bin/python3
# (the Python with nova and os_vif). NoVM: loading through
# load_compute_driver, flavor -> spec, errors, Glance import, inventory,
# vhost-user VIFs, a flavor with too many dedicated cores. VM: an instance
# with dedicated vCPUs on 2M hugepages through spawn, pause, power off/on,
# reboot and destroy, and an operator's VNF counted as reserved.
source "$VESSEL_TOP/tests/integration/agent_lib.inc"

NOVA_PY=/usr/bin/python3

setup() {
	agent_need
	[ -x "$NOVA_PY" ] || skip "$NOVA_PY missing"
	"$NOVA_PY" -c 'import nova.virt.driver, os_vif' 2>/dev/null ||
		skip "python3-nova/python3-os-vif not installed (scripts/install-deps)"
}
teardown() {
	agent_teardown
	if [ -n "${NOVA_HP:-}" ]; then "$VESSEL_TOP/scripts/hugepages" release >/dev/null || true; fi
}

# nova_py CLASS: runs one test class of the driver's tests against $SOCK.
nova_py() {
	mk_busybox_archive "$T/busybox.tar" '["sh","-c","echo nova instance up; while :; do sleep 1; done"]' >/dev/null
	( cd "$VESSEL_TOP/contrib/openstack/tests" &&
	  VESSEL_SOCK=$SOCK VESSEL_T=$T VESSEL_IMAGE_TAR=$T/busybox.tar VESSEL_RUNTIME=$RUNTIME \
		"$NOVA_PY" -m unittest -v "test_vessel_driver.$1" ) 2>&1
}

test_nova_driver_api() {
	agent_start || return 1
	nova_py NoVM
}

test_nova_driver_microvms() {
	agent_need_vm
	# 128 MB of guest memory on 2M pages, twice over for the restart window
	"$VESSEL_TOP/scripts/hugepages" reserve 128 >/dev/null || fail "hugepages reserve" || return 1
	NOVA_HP=1
	agent_start || return 1
	nova_py VM
}
