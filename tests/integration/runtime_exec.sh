# vessel-runtime exec and ps driven directly, the way conmon does it: a
# subreaper runs `exec --detach --pid-file P --console-socket S --process F`,
# receives the pty master, resizes it as a user's terminal would, reads the
# output and reaps the pid in P, whose exit status must be the guest
# process's. Also: the workload's --console-socket pty follows resizes, exec
# without --detach, exec/ps errors.
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"

setup() { rt_setup; }
teardown() { rt_teardown; }

# console_mgr.py SOCK [-- CMD...]: receives a pty master on SOCK, sets it to
# 20x60, copies its output to stdout, and resizes it to 33x111 once the
# process runs (0.5 s after CMD returned, or after the file $GO appears).
# With CMD, it is a subreaper that runs CMD first and, once CMD has exited,
# reaps the pid named by $PIDFILE and prints "exit-status N".
write_console_mgr() {
	cat >"$T/console_mgr.py" <<'PY'
import ctypes, fcntl, os, select, socket, struct, subprocess, sys, termios, time
sock = sys.argv[1]
cmd = sys.argv[3:] if len(sys.argv) > 2 and sys.argv[2] == "--" else None
if cmd:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
srv = socket.socket(socket.AF_UNIX)
srv.bind(sock)
srv.listen(1)
print("listening", flush=True)
runner = subprocess.Popen(cmd) if cmd else None
conn, _ = srv.accept()
_, fds, _, _ = socket.recv_fds(conn, 64, 1)
m = fds[0]
print("got-master", flush=True)
def size(r, c):
    fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
size(20, 60)
go, resized, pid, status = None, False, None, None
while True:
    if go is None and not runner and os.path.exists(os.environ["GO"]):
        go = time.time()
    if not resized and go is not None and time.time() - go > 0.5:
        size(33, 111)
        resized = True
    if runner and pid is None and runner.poll() is not None:
        if runner.returncode != 0:
            print("exec-failed %d" % runner.returncode, flush=True)
            break
        pid = int(open(os.environ["PIDFILE"]).read())
        go = time.time()
    if pid is not None and status is None:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            status = os.waitstatus_to_exitcode(st)
            deadline = time.time() + 1
    if status is not None and time.time() > deadline:
        break
    r, _, _ = select.select([m], [], [], 0.1)
    if r:
        try:
            d = os.read(m, 4096)
        except OSError:
            d = b""
        if not d:
            if runner is None:
                break
            time.sleep(0.1)
            continue
        sys.stdout.write(d.decode(errors="replace"))
        sys.stdout.flush()
if status is not None:
    print("exit-status %d" % status, flush=True)
PY
}

test_exec_detach_console_socket_resize_and_status() {
	command -v python3 >/dev/null || skip "python3 missing"
	write_console_mgr
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" --pid-file "$T/pid" ex1 </dev/null >/dev/null 2>&1 || return 1
	rt start ex1 || return 1
	cat >"$T/proc.json" <<-'J'
	{"terminal": true, "args": ["sh", "-c", "test -t 0 && echo in-a-tty; sleep 4; stty size; exit 3"],
	 "env": ["PATH=/bin:/usr/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
	J
	PIDFILE=$T/exec.pid timeout 60 python3 "$T/console_mgr.py" "$T/c.sock" -- "$RT_BIN" --root "$ROOT" \
		exec --detach --pid-file "$T/exec.pid" --console-socket "$T/c.sock" --process "$T/proc.json" ex1 \
		>"$T/out" 2>"$T/err" || { fail "console manager: $(cat "$T/err")"; return 1; }
	local out; out=$(tr -d '\r' <"$T/out")
	assert_contains "$out" got-master || return 1
	assert_contains "$out" in-a-tty || return 1
	assert_contains "$out" "33 111" "guest pty follows the manager's resize" || return 1
	assert_contains "$out" "exit-status 3" "pid-file process exits with the guest process's status" || return 1
	assert_eq "[$(cat "$T/pid")]" "$(rt ps --format json ex1)" "ps after the exec ended" || return 1
	rt delete --force ex1 || return 1
	assert_no_leftovers
}

test_workload_console_socket_follows_resize() {
	command -v python3 >/dev/null || skip "python3 missing"
	write_console_mgr
	GO=$T/go python3 "$T/console_mgr.py" "$T/c.sock" >"$T/out" 2>"$T/err" &
	local mpid=$!
	wait_until 10 grep -q listening "$T/out" || { fail "receiver did not start"; return 1; }
	make_bundle "$T/b" '.process.terminal=true | .process.args=["sh","-c","sleep 4; stty size; sleep 100"]'
	rt create --bundle "$T/b" --console-socket "$T/c.sock" --pid-file "$T/pid" ws1 </dev/null >/dev/null 2>&1 ||
		{ kill $mpid; return 1; }
	rt start ws1 || { kill $mpid; return 1; }
	touch "$T/go" # resize now that the workload runs: SIGWINCH -> shim -> guest
	wait_until 40 grep -q "33 111" "$T/out" || { fail "workload pty size: $(cat "$T/out")"; kill $mpid; return 1; }
	rt delete --force ws1 || return 1
	kill $mpid 2>/dev/null; wait $mpid 2>/dev/null
	assert_no_leftovers
}

test_exec_foreground_and_errors() {
	bundle_cmd "$T/b" 'sleep 100'
	rt create --bundle "$T/b" --pid-file "$T/pid" ex2 </dev/null >/dev/null 2>&1 || return 1
	local out rc
	out=$(rt exec ex2 sh -c 'echo "$A:$(pwd):$(id -u)"; read l; echo "in:$l"; exit 4' <<<"x" 2>&1)
	rc=$?
	# runc too runs exec'd processes in a created container
	assert_eq "4" "$rc" "exec in a created container" || return 1
	rt start ex2 || return 1
	out=$(echo hello | rt exec -e A=b --cwd /tmp -u 65534 ex2 sh -c 'echo "$A:$(pwd):$(id -u)"; read l; echo "in:$l"; exit 4' 2>&1)
	rc=$?
	assert_eq 4 "$rc" "foreground exec status" || return 1
	assert_eq "b:/tmp:65534
in:hello" "$out" "env, cwd, user and stdin" || return 1
	rt exec ex2 /nonexistent 2>"$T/err"; rc=$?
	assert_eq 1 "$rc" "exec of a missing program fails" || return 1
	assert_contains "$(cat "$T/err")" "No such file or directory" || return 1
	echo '{"args": ["sh"], "cwd": "relative"}' >"$T/bad.json"
	rt exec --process "$T/bad.json" ex2 2>"$T/err" && { fail "bad process.json accepted"; return 1; }
	assert_contains "$(cat "$T/err")" "cwd: \`relative\` is not an absolute path" || return 1
	rt exec --process "$T/bad.json" ex2 sh 2>"$T/err" && { fail "--process with a command accepted"; return 1; }
	rt pause ex2 || return 1
	rt exec ex2 true 2>"$T/err" && { fail "exec in a paused container"; return 1; }
	assert_contains "$(cat "$T/err")" "ex2\` is paused" || return 1
	rt resume ex2 || return 1
	rt kill ex2 KILL || return 1
	wait_until 20 sh -c "[ \"\$($RT_BIN --root $ROOT state ex2 | jq -r .status)\" = stopped ]" || return 1
	rt exec ex2 true 2>"$T/err" && { fail "exec in a stopped container"; return 1; }
	assert_contains "$(cat "$T/err")" "ex2\` is stopped" || return 1
	assert_eq "[]" "$(rt ps --format json ex2)" "ps of a stopped container" || return 1
	rt ps ex2 nosuch >/dev/null 2>&1 || true
	rt ps --format xml ex2 2>/dev/null && { fail "ps --format xml accepted"; return 1; }
	rt delete ex2 || return 1
	assert_no_leftovers
}
