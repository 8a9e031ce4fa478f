# The jailed QEMU's vhost-user socket on a real vessel-dp (issue 10): the
# socket directory is the VNF's only until its init is Ready, then root's
# (0755), so a compromised QEMU cannot plant a symlink for the switch to
# follow; the socket itself is the VNF's, the switch (root) is connected to
# it, and the directory is in the VNF's jail and in no other.
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dataplane_lib.inc"

setup() {
	rt_setup
	[ "$RT_BACKEND" = qemu ] || skip "the jail is the direct-QEMU backend's (libvirt has its own: docs/security.md)"
	command -v setpriv >/dev/null || skip "setpriv not installed (util-linux)"
	DP_HUGEPAGES=128 dp_setup
	trap 'rt_teardown; dp_cleanup' EXIT
	export VESSEL_PLACEMENT_DIR=$T/place
}
teardown() { rt_teardown; }

test_vhost_socket_dir_sealed_after_ready() {
	dp_start || return 1
	local ann
	ann=$(jq -n --arg s "$T/dp.sock" '{"org.vessel.dataplane.socket": $s,
		"org.vessel.net.0": "{\"bridge\":\"bd0\"}"}')
	make_bundle "$T/b" '.process.args = ["sleep", "300"] | .annotations = $a' --argjson a "$ann"
	rt create --bundle "$T/b" hv1 </dev/null >/dev/null 2>"$T/err" || { cat "$T/err" >&2; return 1; }
	local pid uid gid dir=$ROOT/vhost/hv1
	pid=$(jq -r .qemuPid "$ROOT/hv1/state.json")
	read -r uid _ < <(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")
	read -r gid _ < <(awk '$1 == "Gid:" { print $2 }' "/proc/$pid/status")
	assert_eq "root root 755" "$(stat -c '%U %G %a' "$dir")" "socket directory after Ready" || return 1
	assert_eq "$uid socket" "$(stat -c '%u %F' "$dir/eth0.sock")" "QEMU's vhost-user socket" || return 1
	wait_until 20 port_up hv1.eth0 || { fail "vessel-dp not connected to the jailed QEMU's socket"; return 1; }
	[ -S "/proc/$pid/root$dir/eth0.sock" ] || { fail "socket not in the jail"; return 1; }
	# QEMU's identity can no longer create anything there (a symlink for the switch)
	setpriv --reuid "$uid" --regid "$gid" --clear-groups ln -s /etc "$dir/evil.sock" 2>/dev/null &&
		{ fail "QEMU's uid planted a symlink in the sealed directory"; return 1; }
	setpriv --reuid "$uid" --regid "$gid" --clear-groups ln -s /etc "/proc/$pid/root$dir/evil.sock" 2>/dev/null &&
		{ fail "QEMU's uid planted a symlink through its jail"; return 1; }
	rt delete --force hv1 || return 1
	assert_no_leftovers hv1 || return 1
	[ ! -e "$dir" ] || { fail "socket directory left: $(ls -la "$dir")"; return 1; }
}
