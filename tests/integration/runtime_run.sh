# vessel-runtime run: a busybox bundle in a real QEMU microVM behaves for its
# caller as under runc: exit codes, stdout/stderr, stdin, env/cwd/uid/
# hostname, read-only rootfs and tmpfs mounts, guest size from the config.
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"

setup() { rt_setup; }
teardown() { rt_teardown; }

test_run_exit_code() {
	bundle_cmd "$T/b" 'exit 3'
	rt run --bundle "$T/b" ex3 </dev/null; local rc=$?
	assert_eq 3 "$rc" "exit code of sh -c 'exit 3'" || return 1
	bundle_cmd "$T/b" 'true'
	rt run --bundle "$T/b" ex0 </dev/null || { fail "run of true failed"; return 1; }
	assert_no_leftovers
}

test_run_stdout_stderr() {
	bundle_cmd "$T/b" 'echo to-stdout; echo to-stderr >&2; echo line2'
	rt run --bundle "$T/b" io1 <"/dev/null" >"$T/out" 2>"$T/err" || return 1
	assert_eq "$(printf 'to-stdout\nline2')" "$(cat "$T/out")" "stdout" || return 1
	assert_eq "to-stderr" "$(cat "$T/err")" "stderr" || return 1
	assert_no_leftovers
}

test_run_stdin_forwarded() {
	bundle_cmd "$T/b" 'read first; echo "first=$first"; tr a-z A-Z'
	printf 'one\ntwo\nthree\n' | rt run --bundle "$T/b" in1 >"$T/out" || return 1
	assert_eq "$(printf 'first=one\nTWO\nTHREE')" "$(cat "$T/out")" "stdin echoed back" || return 1
	# a large input arrives whole (many Stdio frames, EOF at the end)
	head -c 300000 /dev/urandom | base64 >"$T/big"
	bundle_cmd "$T/b" 'md5sum'
	rt run --bundle "$T/b" in2 <"$T/big" >"$T/out" || return 1
	assert_eq "$(md5sum <"$T/big" | cut -d' ' -f1)" "$(cut -d' ' -f1 "$T/out")" "md5 of 400 KB stdin"
}

test_run_env_cwd_user_hostname() {
	make_bundle "$T/b" '.process.args=["sh","-c","echo $GREETING; pwd; id -u; id -g; id -G; hostname"]
		| .process.env += ["GREETING=hello vessel"] | .process.cwd="/tmp"
		| .process.user={"uid":1000,"gid":1001,"additionalGids":[1002]} | .hostname="vnf-7"'
	rt run --bundle "$T/b" env1 </dev/null >"$T/out" || return 1
	assert_eq "$(printf 'hello vessel\n/tmp\n1000\n1001\n1001 1002\nvnf-7')" "$(cat "$T/out")" \
		"env, cwd, uid, gid, groups, hostname"
}

test_run_readonly_rootfs_and_tmpfs() {
	make_bundle "$T/b" '.process.args=["sh","-c","touch /rootfile 2>/dev/null && echo rw || echo ro; echo x > /tmp/f && cat /tmp/f"]
		| .root.readonly=true | .mounts += [{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["size=1m"]}]'
	rt run --bundle "$T/b" ro1 </dev/null >"$T/out" || return 1
	assert_eq "$(printf 'ro\nx')" "$(cat "$T/out")" "read-only root, writable tmpfs" || return 1
	make_bundle "$T/b2" '.process.args=["sh","-c","touch /rootfile && echo rw"] | .root.readonly=false'
	rt run --bundle "$T/b2" rw1 </dev/null >"$T/out" || return 1
	assert_eq rw "$(cat "$T/out")" "writable root (overlay)"
}

test_run_guest_size_from_config() {
	make_bundle "$T/b" '.process.args=["sh","-c","nproc; awk \"/MemTotal/{print int(\\$2/1024)}\" /proc/meminfo"]
		| .linux.resources.cpu={"quota":200000,"period":100000} | .linux.resources.memory={"limit":402653184}'
	rt run --bundle "$T/b" size1 </dev/null >"$T/out" || return 1
	assert_eq 2 "$(sed -n 1p "$T/out")" "vCPUs from cpu quota/period" || return 1
	local mb; mb=$(sed -n 2p "$T/out")
	[ "$mb" -gt 300 ] && [ "$mb" -le 384 ] || { fail "guest MemTotal ${mb} MB for a 384 MB limit"; return 1; }
	make_bundle "$T/b" '.process.args=["nproc"] | .annotations={"org.vessel.vcpus":"1"}
		| .linux.resources.cpu={"quota":200000,"period":100000}'
	rt run --bundle "$T/b" size2 </dev/null >"$T/out" || return 1
	assert_eq 1 "$(cat "$T/out")" "org.vessel.vcpus overrides the cpu quota"
}

test_run_exec_failure() {
	make_bundle "$T/b" '.process.args=["/no/such/program"]'
	rt run --bundle "$T/b" nx1 </dev/null 2>"$T/err"; local rc=$?
	[ "$rc" -ne 0 ] || { fail "run of a missing program succeeded"; return 1; }
	assert_contains "$(cat "$T/err")" "/no/such/program" "error names the program" || return 1
	assert_no_leftovers
}

test_run_signal_to_runtime_reaches_workload() {
	bundle_cmd "$T/b" 'echo up; sleep 100'
	"$RT_BIN" --root "$ROOT" run --bundle "$T/b" sig1 </dev/null >"$T/out" &
	local pid=$!
	wait_until 30 grep -q up "$T/out" || { fail "workload never started"; return 1; }
	kill -TERM $pid
	wait $pid; local rc=$?
	assert_eq 143 "$rc" "run's exit status after SIGTERM" || return 1
	assert_no_leftovers
}

test_run_terminal_uses_a_pty() {
	make_bundle "$T/b" '.process.terminal=true | .process.args=["sh","-c","test -t 0 && echo stdin-is-tty; test -t 1 && echo stdout-is-tty; echo to-stderr >&2"]'
	rt run --bundle "$T/b" tty1 </dev/null >"$T/out" 2>"$T/err" || { cat "$T/err"; return 1; }
	local out; out=$(tr -d '\r' <"$T/out")
	assert_contains "$out" "stdout-is-tty" "tty inside the guest" || return 1
	assert_contains "$out" "stdin-is-tty" || return 1
	assert_contains "$out" "to-stderr" "a terminal merges stderr into the pty" || return 1
	assert_no_leftovers
}
