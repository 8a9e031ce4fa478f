# The OpenStack Nova driver (contrib/openstack/vessel) against Debian's Nova
# classes and a private vesseld: the Python tests in
# contrib/openstack/tests/test_vessel_driver.py run with /usr/bin/python3
# (the Python with nova and os_vif). NoVM: loading through
# load_compute_driver, flavor -> spec, errors, Glance import, inventory,
# vhost-user VIFs, a flavor with too many dedicated cores. VM: an instance
# with dedicated vCPUs on 2M hugepages through spawn, pause, power off/on,
# reboot and destroy, and an operator's VNF counted as reserved. TCP: the
# driver on vesseld's TCP listener with the token from [vessel] token_file.
# NIC: an instance with a vhost-user port on a real vessel-dp answers ping. OVS: a
# vhost-user VIF with an OVS port profile plugged by os-vif into a private
# OVS (ovsdb-server + ovs-vswitchd in a network namespace of its own).
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
	local f
	for f in "$T"/ovs/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	if [ -n "${NOVA_HP:-}" ]; then "$VESSEL_TOP/scripts/hugepages" release >/dev/null || true; fi
}

# nova_py CLASS: runs one test class of the driver's tests against $SOCK.
# A Python test that skipped fails the shell test (a skip is not a pass).
nova_py() {
	mk_busybox_archive "$T/busybox.tar" '["sh","-c","echo nova instance up; while :; do sleep 1; done"]' >/dev/null
	local rc
	( cd "$VESSEL_TOP/contrib/openstack/tests" &&
	  VESSEL_NOVA_CONF=${NOVA_CONF:-} VESSEL_SOCK=$SOCK VESSEL_T=$T VESSEL_IMAGE_TAR=$T/busybox.tar \
		VESSEL_RUNTIME=$RUNTIME VESSEL_OVSDB=${OVSDB:-} VESSEL_TCP_URL=${TCP_URL:-} VESSEL_TOKEN_FILE=$T/token \
		VESSEL_NOVA_NET=${NOVA_NET:-} VESSEL_NOVA_NETNS=${NOVA_NETNS:-} \
		"$NOVA_PY" -m unittest -v "test_vessel_driver.$1" ) >"$T/py.out" 2>&1
	rc=$?
	cat "$T/py.out"
	[ "$rc" -eq 0 ] || return "$rc"
	! grep -q ' \.\.\. skipped' "$T/py.out" || fail "a Python test skipped"
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

# ovs_start: a private OVS in $T/ovs: ovsdb-server, and ovs-vswitchd (userspace
# datapath, DPDK not initialised: no hugepages or PMD cores on this shared
# host) in a network namespace of its own, so br-int's tap device never
# appears on the host. os-vif waits for vswitchd to apply each transaction.
ovs_start() {
	local d=$T/ovs
	mkdir -p "$d"
	ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	OVS_RUNDIR=$d ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --pidfile="$d/ovsdb.pid" \
		--unixctl="$d/ovsdb.ctl" --log-file="$d/ovsdb.log" --detach || return 1
	ovs-vsctl --db="unix:$d/db.sock" --no-wait init || return 1
	OVS_RUNDIR=$d unshare --net ovs-vswitchd "unix:$d/db.sock" --pidfile="$d/vswitchd.pid" \
		--unixctl="$d/vswitchd.ctl" --log-file="$d/vswitchd.log" --detach || return 1
	wait_until 30 ovs-vsctl --db="unix:$d/db.sock" --timeout=3 set Open_vSwitch . external_ids:vessel-test=up ||
		{ cat "$d/vswitchd.log" >&2; fail "ovs-vswitchd not up"; return 1; }
}

test_nova_driver_ovs_vif() {
	need_root
	for b in ovsdb-server ovsdb-tool ovs-vsctl ovs-vswitchd unshare; do
		command -v "$b" >/dev/null || skip "$b missing (openvswitch-switch-dpdk, util-linux)"
	done
	agent_start || return 1
	ovs_start || return 1
	NOVA_CONF=$T/nova.conf
	printf '[os_vif_ovs]\novsdb_connection = unix:%s\novs_vsctl_timeout = 30\n' "$T/ovs/db.sock" >"$NOVA_CONF"
	OVSDB=unix:$T/ovs/db.sock nova_py OVS
}

test_nova_driver_tcp_token() {
	local port=$((20000 + RANDOM % 20000))
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$T/token"
	agent_start --listen-tcp "127.0.0.1:$port" --token-file "$T/token" || return 1
	TCP_URL=http://127.0.0.1:$port nova_py TCP
}

# A Neutron network as a bridge domain on a real vessel-dp with a net_tap
# port (the "gateway" 10.78.0.1 in a netns of its own); the instance gets
# the port's fixed IP through vessel-init and answers ping over vhost-user.
test_nova_driver_vhostuser_nic() {
	agent_need_vm
	source "$VESSEL_TOP/tests/integration/dataplane_lib.inc"
	dp_setup
	dp_start || return 1
	agent_start --dp-socket "$T/dp.sock" || return 1
	NOVA_NET=$(cat /proc/sys/kernel/random/uuid)
	api_json POST /v1/networks "{\"name\":\"nova-$NOVA_NET\"}"
	assert_eq true "$(jq -r .applied <<<"$BODY")" "network on the dataplane: $BODY" || return 1
	tap_port gw bridge="nova-$NOVA_NET" || fail "tap port" || return 1
	NOVA_NETNS=vt$DP_ID-gw
	ip -n "$NOVA_NETNS" addr add 10.78.0.1/24 dev t0 || return 1
	nova_py NIC
}
