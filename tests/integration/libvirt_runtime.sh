# The core runtime and networking tests (runtime_run.sh, runtime_lifecycle.sh,
# net_dp.sh) again, with the libvirt backend: the same test code under
# VESSEL_TEST_BACKEND=libvirt. Only the core cases, to keep CI time small; all
# of them pass with
#   VESSEL_TEST_BACKEND=libvirt tests/run-tests runtime_   (and net_dp)
lv_rerun() { # FILE TEST
	(
		export VESSEL_TEST_BACKEND=libvirt
		source "$VESSEL_TOP/tests/integration/$1.sh"
		setup || exit $?
		"$2"; rc=$?
		teardown
		exit $rc
	)
}

test_run_exit_code() { lv_rerun runtime_run test_run_exit_code; }
test_run_stdin_forwarded() { lv_rerun runtime_run test_run_stdin_forwarded; }
test_run_terminal_uses_a_pty() { lv_rerun runtime_run test_run_terminal_uses_a_pty; }
test_state_transitions_and_kill_term() { lv_rerun runtime_lifecycle test_state_transitions_and_kill_term; }
test_pause_resume() { lv_rerun runtime_lifecycle test_pause_resume; }
test_qemu_death_is_reported() { lv_rerun runtime_lifecycle test_qemu_death_is_reported; }
test_delete_refuses_running_then_force() { lv_rerun runtime_lifecycle test_delete_refuses_running_then_force; }
# networking through the same port-attach step (vhost-user <interface> in server mode on a private vessel-dp)
test_net_bridge_ping_iperf3() { lv_rerun net_dp test_bridge_ping_iperf3_counters_vlan_isolation; }
