# podman 4 (conmon) drives vessel-runtime as it drives runc: run --rm, run -d,
# logs, exec (-i, -t, exit codes, not-found), pause/unpause, kill --signal,
# stop (TERM, then KILL after the timeout), restart, rm -f, run -t, and a
# shim killed with SIGKILL. Every test ends with no shim, QEMU, exec client or
# state left. Each container is a real microVM (TCG here: ~1-3 s a boot).
source "$(dirname "${BASH_SOURCE[0]}")/oci_lib.inc"

setup() { oci_setup; }
teardown() { oci_teardown_once; }

state_of() { pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
exit_of() { pm inspect -f '{{.State.ExitCode}}' "$1" 2>/dev/null; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }

test_podman_run_rm_and_tty() {
	local out rc
	out=$(pm run --rm --network none "$OCI_IMAGE" sh -c 'echo out-line; echo err-line >&2; exit 3' 2>&1)
	rc=$?
	assert_eq 3 "$rc" "podman run --rm exit code" || return 1
	assert_contains "$out" out-line "stdout through conmon" || return 1
	assert_contains "$out" err-line "stderr through conmon" || return 1
	# run -t: conmon gets the pty master over --console-socket
	out=$(pm run --rm -t --network none "$OCI_IMAGE" sh -c 'tty; [ -t 0 ] && echo stdin-is-tty; exit 2' </dev/null)
	rc=$?
	assert_eq 2 "$rc" "podman run -t exit code" || return 1
	assert_contains "$out" /dev/pts/ "tty in the guest" || return 1
	assert_contains "$out" stdin-is-tty || return 1
	# run -i: stdin through conmon to the workload
	out=$(printf 'line-1\nline-2\n' | pm run --rm -i --network none "$OCI_IMAGE" sh -c 'wc -l; exit 0'); rc=$?
	assert_eq "0 2" "$rc $(tr -d ' ' <<<"$out")" "podman run -i: lines read by the workload" || return 1
	assert_eq "" "$(pm ps -aq)" "containers after --rm" || return 1
	oci_assert_clean
}

test_podman_detached_exec_pause_kill_stop_restart() {
	local id out rc
	id=$(pm run -d --network none --name pd1 "$OCI_IMAGE" sh -c \
		'echo up; trap "echo got-usr1" USR1; trap "echo got-term; exit 7" TERM; while :; do sleep 0.2; done') ||
		{ fail "podman run -d"; return 1; }
	wait_until 30 sh -c "podman --runtime vessel logs pd1 | grep -q up" || { fail "no 'up' in logs"; return 1; }
	assert_eq running "$(state_of pd1)" || return 1
	# the pid conmon waits on is the shim's, recorded in the runtime's state
	assert_eq "$(pm inspect -f '{{.State.Pid}}' pd1)" "$(rt state "$id" | jq .pid)" "podman pid = shim pid" || return 1

	out=$(pm exec pd1 sh -c 'echo exec-out; echo exec-err >&2; exit 5' 2>&1); rc=$?
	assert_eq 5 "$rc" "podman exec exit code" || return 1
	assert_contains "$out" exec-out || return 1
	assert_contains "$out" exec-err || return 1
	out=$(echo piped-in | pm exec -i pd1 sh -c 'read x; echo "read:$x"'); rc=$?
	assert_eq "0 read:piped-in" "$rc $out" "podman exec -i" || return 1
	out=$(pm exec -t pd1 sh -c 'tty' </dev/null); rc=$?
	assert_eq 0 "$rc" "podman exec -t" || return 1
	assert_contains "$out" /dev/pts/ "exec -t has a tty" || return 1
	pm exec -d pd1 sh -c 'sleep 0.5; echo detached-exec >/tmp/mark' >/dev/null || { fail "podman exec -d"; return 1; }
	wait_until 20 sh -c "podman --runtime vessel exec pd1 cat /tmp/mark 2>/dev/null | grep -q detached-exec" ||
		{ fail "podman exec -d did not run"; return 1; }
	pm exec pd1 /no/such/program 2>"$T/err"; rc=$?
	assert_eq 127 "$rc" "exec of a missing program" || return 1
	assert_contains "$(cat "$T/err")" "no/such/program" || return 1

	pm pause pd1 >/dev/null || return 1
	assert_eq paused "$(state_of pd1)" "podman state after pause" || return 1
	assert_eq paused "$(rt state "$id" | jq -r .status)" "runtime state after pause" || return 1
	pm unpause pd1 >/dev/null || return 1
	assert_eq running "$(rt state "$id" | jq -r .status)" "runtime state after unpause" || return 1

	pm kill --signal USR1 pd1 >/dev/null || return 1
	wait_until 20 sh -c "podman --runtime vessel logs pd1 | grep -q got-usr1" || { fail "USR1 not delivered"; return 1; }
	assert_eq running "$(state_of pd1)" "still running after USR1" || return 1

	pm stop -t 20 pd1 >/dev/null || return 1
	assert_eq exited "$(state_of pd1)" "after stop" || return 1
	assert_eq 7 "$(exit_of pd1)" "exit code from the TERM trap" || return 1
	assert_contains "$(pm logs pd1)" got-term || return 1
	[ ! -e "$ROOT/$id" ] || { fail "state of a stopped podman container not deleted"; return 1; }

	pm restart pd1 >/dev/null || return 1
	assert_eq running "$(state_of pd1)" "after restart" || return 1
	wait_until 30 sh -c "[ \$(podman --runtime vessel logs pd1 | grep -c up) -ge 2 ]" ||
		{ fail "restart did not run the workload again"; return 1; }
	pm rm -f pd1 >/dev/null || return 1
	assert_eq "" "$(pm ps -aq)" "containers after rm -f" || return 1
	oci_assert_clean
}

test_podman_stop_escalates_to_kill() {
	pm run -d --network none --name pk1 "$OCI_IMAGE" sh -c 'trap "" TERM; echo up; while :; do sleep 0.2; done' >/dev/null || return 1
	wait_until 30 sh -c "podman --runtime vessel logs pk1 | grep -q up" || { fail "no 'up'"; return 1; }
	local t0=$SECONDS
	pm stop -t 1 pk1 >/dev/null || return 1
	assert_eq 137 "$(exit_of pk1)" "TERM ignored: podman's kill 9 ends it" || return 1
	[ $((SECONDS - t0)) -lt 30 ] || { fail "stop took $((SECONDS - t0)) s"; return 1; }
	pm rm pk1 >/dev/null || return 1
	oci_assert_clean
}

test_podman_shim_sigkill_leaves_no_vm() {
	local id spid qpid
	id=$(pm run -d --network none --name ps1 "$OCI_IMAGE" sleep 1000) || return 1
	spid=$(rt state "$id" | jq .pid)
	qpid=$(jq .qemuPid "$ROOT/$id/state.json")
	[ "$qpid" -gt 0 ] 2>/dev/null || { fail "no qemu pid in state: $qpid"; return 1; }
	kill -9 "$spid"
	wait_until 20 sh -c "! kill -0 $qpid 2>/dev/null" || { fail "QEMU $qpid outlived its shim"; return 1; }
	wait_until 20 is_state ps1 exited || { fail "podman did not see the exit: $(state_of ps1)"; return 1; }
	# podman's cleanup deletes it; a manager that did not still could
	if [ -e "$ROOT/$id" ]; then
		assert_eq stopped "$(rt state "$id" | jq -r .status)" "runtime state" || return 1
	fi
	pm rm ps1 >/dev/null || return 1
	oci_assert_clean
}
