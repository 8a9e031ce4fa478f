# The create/start/state/kill/delete life of a container, as a container
# manager (podman's conmon) drives it: pid file = shim pid, state
# transitions, runc exit statuses, pause/resume, delete --force, QEMU death,
# and 20 cycles that leave nothing behind.
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"

setup() { rt_setup; }
teardown() { rt_teardown; }

shim_alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
not_running() { ! shim_alive "$1"; }

test_state_transitions_and_kill_term() {
	bundle_cmd "$T/b" 'echo started; sleep 100'
	rt create --bundle "$T/b" --pid-file "$T/pid" st1 </dev/null >"$T/out" 2>"$T/err" || {
		cat "$T/err"; return 1; }
	local pid; pid=$(cat "$T/pid")
	assert_eq created "$(status_of st1)" "status after create" || return 1
	assert_eq "$pid" "$(rt state st1 | jq .pid)" "state pid = pid file" || return 1
	assert_contains "$(tr '\0' ' ' </proc/$pid/cmdline)" vessel-shim "pid file names the shim" || return 1
	local st; st=$(rt state st1)
	assert_eq "$(realpath "$T/b")" "$(jq -r .bundle <<<"$st")" "bundle" || return 1
	jq -e '.ociVersion and .created and .annotations["org.vessel.kernel_release"]' <<<"$st" >/dev/null ||
		{ fail "state lacks ociVersion/created/kernel_release: $st"; return 1; }
	rt start st1 || return 1
	assert_eq running "$(status_of st1)" "status after start" || return 1
	wait_until 30 grep -q started "$T/out" || { fail "no output from the workload"; return 1; }
	rt start st1 2>"$T/err" && { fail "second start succeeded"; return 1; }
	assert_contains "$(cat "$T/err")" "st1" || return 1
	rt kill st1 TERM || return 1
	wait_until 20 not_running "$pid" || { fail "shim still alive after kill TERM"; return 1; }
	assert_eq stopped "$(status_of st1)" "status after the workload ended" || return 1
	assert_eq 143 "$(jq .exitStatus "$ROOT/st1/state.json")" "recorded exit status" || return 1
	rt kill st1 TERM 2>/dev/null && { fail "kill of a stopped container succeeded"; return 1; }
	rt delete st1 || return 1
	assert_no_leftovers
}

test_shim_exit_status_is_workloads() {
	# conmon waits on the pid-file pid: the shim must exit like the workload
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" --pid-file "$T/pid" es1 </dev/null >/dev/null 2>&1 || return 1
	local pid; pid=$(cat "$T/pid")
	rt start es1 || return 1
	rt kill es1 9 || return 1
	wait_until 20 not_running "$pid" || { fail "shim alive after kill 9"; return 1; }
	assert_eq 137 "$(jq .exitStatus "$ROOT/es1/state.json")" "status for SIGKILL" || return 1
	rt delete es1 || return 1
	assert_no_leftovers
}

test_delete_refuses_running_then_force() {
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" --pid-file "$T/pid" df1 </dev/null >/dev/null 2>&1 || return 1
	rt start df1 || return 1
	rt delete df1 2>"$T/err" && { fail "delete of a running container succeeded"; return 1; }
	assert_contains "$(cat "$T/err")" "df1" || return 1
	assert_contains "$(cat "$T/err")" "--force" "error says what to do" || return 1
	assert_eq running "$(status_of df1)" "still running after refused delete" || return 1
	rt delete --force df1 || return 1
	assert_no_leftovers
}

test_delete_created_container() {
	bundle_cmd "$T/b" 'echo never'
	rt create --bundle "$T/b" --pid-file "$T/pid" dc1 </dev/null >"$T/out" 2>&1 || return 1
	rt delete dc1 || return 1
	assert_no_leftovers || return 1
	assert_not_contains "$(cat "$T/out")" never "the workload never ran"
}

test_pause_resume() {
	bundle_cmd "$T/b" 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.2; done'
	rt create --bundle "$T/b" --pid-file "$T/pid" pr1 </dev/null >"$T/out" 2>/dev/null || return 1
	rt start pr1 || return 1
	wait_until 30 grep -q '^3$' "$T/out" || { fail "no ticks"; return 1; }
	rt pause pr1 || return 1
	assert_eq paused "$(status_of pr1)" || return 1
	sleep 0.5; local n1; n1=$(wc -l <"$T/out"); sleep 1.5
	assert_eq "$n1" "$(wc -l <"$T/out")" "no output while paused" || return 1
	rt pause pr1 2>/dev/null && { fail "pause of a paused container succeeded"; return 1; }
	rt resume pr1 || return 1
	assert_eq running "$(status_of pr1)" || return 1
	more_than() { [ "$(wc -l <"$T/out")" -gt "$1" ]; }
	wait_until 20 more_than "$((n1 + 2))" || { fail "no output after resume"; return 1; }
	rt delete --force pr1 || return 1
	assert_no_leftovers
}

test_qemu_death_is_reported() {
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" --pid-file "$T/pid" qd1 </dev/null >/dev/null 2>&1 || return 1
	rt start qd1 || return 1
	local qpid; qpid=$(jq .qemuPid "$ROOT/qd1/state.json")
	[ "$qpid" -gt 0 ] || { fail "no QEMU pid in state"; return 1; }
	kill -9 "$qpid"
	wait_until 20 not_running "$(cat "$T/pid")" || { fail "shim outlived QEMU"; return 1; }
	assert_eq stopped "$(status_of qd1)" || return 1
	assert_contains "$(jq -r .error "$ROOT/qd1/state.json")" "QEMU exited unexpectedly" || return 1
	[ "$(jq .exitStatus "$ROOT/qd1/state.json")" -ne 0 ] || { fail "exit status 0 after QEMU died"; return 1; }
	rt delete qd1 || return 1
	assert_no_leftovers
}

test_list() {
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" ls1 </dev/null >/dev/null 2>&1 || return 1
	rt create --bundle "$T/b" ls2 </dev/null >/dev/null 2>&1 || return 1
	rt start ls2 || return 1
	local j; j=$(rt list --format json)
	assert_eq "ls1 created ls2 running" "$(jq -r '[.[] | .id, .status] | join(" ")' <<<"$j")" "list json" || return 1
	assert_contains "$(rt list)" "ls2" "table" || return 1
	rt delete --force ls1 && rt delete --force ls2 || return 1
	assert_eq "[]" "$(rt list --format json)" || return 1
	assert_no_leftovers
}

test_twenty_cycles_leave_nothing() {
	bundle_cmd "$T/b" 'sleep 100'
	local i pid
	for i in $(seq 1 20); do
		rt create --bundle "$T/b" --pid-file "$T/pid" cyc </dev/null >/dev/null 2>"$T/err" ||
			{ fail "cycle $i create: $(cat "$T/err")"; return 1; }
		pid=$(cat "$T/pid")
		rt start cyc || { fail "cycle $i start"; return 1; }
		rt kill cyc KILL || { fail "cycle $i kill"; return 1; }
		wait_until 20 not_running "$pid" || { fail "cycle $i: shim alive after kill"; return 1; }
		rt delete cyc || { fail "cycle $i delete"; return 1; }
		assert_no_leftovers || { fail "cycle $i"; return 1; }
	done
}

# A console-socket receiver as podman's conmon is: accepts one connection,
# takes the pty master passed with SCM_RIGHTS, writes what it reads to stdout.
build_console_receiver() {
	cat >"$T/recv.c" <<'CEOF'
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (argc < 2 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		return 1;
	printf("listening\n");
	fflush(stdout);
	int c = accept(l, NULL, NULL);
	char name[64], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { name, sizeof(name) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	if (c < 0 || recvmsg(c, &m, 0) <= 0 || CMSG_FIRSTHDR(&m) == NULL)
		return 2;
	int fd;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	printf("got-master\n");
	fflush(stdout);
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout), fflush(stdout);
	return 0;
}
CEOF
	cc -o "$T/recv" "$T/recv.c"
}

test_console_socket_gets_pty_master() {
	command -v cc >/dev/null || skip "no C compiler for the console-socket receiver"
	build_console_receiver || return 1
	"$T/recv" "$T/console.sock" >"$T/console.out" &
	local rpid=$!
	wait_until 10 grep -q listening "$T/console.out" || { fail "receiver did not start"; return 1; }
	make_bundle "$T/b" '.process.terminal=true | .process.args=["sh","-c","test -t 1 && echo hello-from-pty; sleep 100"]'
	rt create --bundle "$T/b" --console-socket "$T/console.sock" --pid-file "$T/pid" cs1 \
		</dev/null >/dev/null 2>"$T/err" || { cat "$T/err"; kill $rpid; return 1; }
	grep -q got-master "$T/console.out" || { fail "no pty master received"; kill $rpid; return 1; }
	rt start cs1 || return 1
	wait_until 30 grep -q hello-from-pty "$T/console.out" || { fail "no output on the pty: $(cat "$T/console.out")"; kill $rpid; return 1; }
	rt delete --force cs1 || return 1
	kill $rpid 2>/dev/null; wait $rpid 2>/dev/null
	assert_no_leftovers
}
