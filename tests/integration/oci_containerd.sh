# containerd 1.6 with its io.containerd.runc.v2 shim drives vessel-runtime
# (`ctr run --runc-binary`): run --rm, task ps, task exec, task kill (one
# exec'd process, then the task), pause/resume, task rm; and the runc-like
# errors a manager gets for verbs out of order, checked against runc itself.
# The shim passes --root, --log and --log-format json on every call.
source "$(dirname "${BASH_SOURCE[0]}")/oci_lib.inc"

setup() { ctd_setup; }
teardown() { oci_teardown_once; }

task_status() { c task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }
is_status() { [ "$(task_status "$1")" = "$2" ]; }

test_ctr_run_rm() {
	local out rc
	out=$(crun_ --rm "$OCI_IMAGE" cr1 sh -c 'echo ctr-out; echo ctr-err >&2; exit 4' 2>&1); rc=$?
	assert_eq 4 "$rc" "ctr run --rm exit code" || return 1
	assert_contains "$out" ctr-out || return 1
	assert_contains "$out" ctr-err || return 1
	# -t: the shim hands vessel-runtime a --console-socket; ctr needs a tty itself
	out=$(script -qec "ctr -a $SOCK -n $NS run --rm -t --runc-binary $RT_BIN --runc-root $ROOT --fifo-dir $CTD/fifo $OCI_IMAGE cr2 sh -c 'tty; exit 5'" /dev/null </dev/null); rc=$?
	assert_eq 5 "$rc" "ctr run -t exit code" || return 1
	assert_contains "$out" /dev/pts/ "ctr run -t has a tty" || return 1
	assert_eq "" "$(c containers ls -q)" "containers after --rm" || return 1
	oci_assert_clean
}

test_ctr_shim_sigkill() {
	crun_ -d "$OCI_IMAGE" ck1 sleep 1000 >/dev/null || return 1
	wait_until 30 is_status ck1 RUNNING || { fail "task not running"; return 1; }
	local spid qpid
	spid=$(jq .pid "$VROOT/ck1/state.json")
	qpid=$(jq .qemuPid "$VROOT/ck1/state.json")
	kill -9 "$spid"
	wait_until 20 sh -c "! kill -0 $qpid 2>/dev/null" || { fail "QEMU $qpid outlived its shim"; return 1; }
	wait_until 20 is_status ck1 STOPPED || { fail "containerd did not see the exit: $(c task ls)"; return 1; }
	assert_eq stopped "$(rt --root "$VROOT" state ck1 | jq -r .status)" "runtime state" || return 1
	c task rm ck1 >/dev/null || return 1
	c containers rm ck1 || return 1
	oci_assert_clean
}

test_ctr_task_exec_ps_kill_pause_rm() {
	crun_ -d "$OCI_IMAGE" ct1 sh -c 'trap "exit 9" TERM; while :; do sleep 0.2; done' >/dev/null || return 1
	wait_until 30 is_status ct1 RUNNING || { fail "task not running: $(c task ls)"; return 1; }
	local tpid out rc
	tpid=$(c task ls | awk '$1 == "ct1" { print $2 }')
	assert_eq "$tpid" "$(rt --root "$VROOT" state ct1 | jq .pid)" "task pid = shim pid" || return 1
	# ps --format json: the shim's runc shim lists what runtime ps prints
	assert_eq "[$tpid]" "$(rt --root "$VROOT" ps --format json ct1)" "runtime ps" || return 1
	assert_contains "$(c task ps ct1)" "$tpid" "ctr task ps" || return 1

	out=$(c task exec --fifo-dir "$CTD/fifo" --exec-id e1 ct1 sh -c 'echo exec-out; exit 6'); rc=$?
	assert_eq "6 exec-out" "$rc $out" "task exec exit code and output" || return 1
	out=$(script -qec "ctr -a $SOCK -n $NS task exec -t --fifo-dir $CTD/fifo --exec-id et ct1 sh -c 'tty; exit 3'" /dev/null </dev/null); rc=$?
	assert_eq 3 "$rc" "task exec -t exit code" || return 1
	assert_contains "$out" /dev/pts/ "task exec -t has a tty" || return 1

	c task exec --fifo-dir "$CTD/fifo" --exec-id e2 ct1 sleep 300 >/dev/null 2>&1 &
	local epid=$!
	wait_until 30 sh -c "ctr -a $SOCK -n $NS task ps ct1 | grep -q ExecID:e2" ||
		{ fail "exec e2 not in task ps: $(c task ps ct1)"; return 1; }
	assert_eq 2 "$(rt --root "$VROOT" ps --format json ct1 | jq length)" "ps lists the exec client" || return 1
	c task kill -s KILL --exec-id e2 ct1 || return 1
	wait "$epid"; rc=$?
	assert_eq 137 "$rc" "killed exec's status" || return 1
	assert_eq 1 "$(rt --root "$VROOT" ps --format json ct1 | jq length)" "exec gone from ps" || return 1

	c task pause ct1 || return 1
	assert_eq PAUSED "$(task_status ct1)" "after pause" || return 1
	assert_eq paused "$(rt --root "$VROOT" state ct1 | jq -r .status)" || return 1
	c task resume ct1 || return 1
	assert_eq RUNNING "$(task_status ct1)" "after resume" || return 1

	c task kill ct1 || return 1
	wait_until 30 is_status ct1 STOPPED || { fail "task did not stop: $(c task ls)"; return 1; }
	assert_eq 9 "$(jq .exitStatus "$VROOT/ct1/state.json")" \
		"exit status from the TERM trap" || return 1
	c task rm ct1 >/dev/null || return 1
	c containers rm ct1 || return 1
	oci_assert_clean
}

# Verbs out of order, as a confused manager would send them, against both
# runc and vessel-runtime: both must refuse the same ones, and vessel-runtime's
# JSON log line must name the container.
test_out_of_order_verbs_like_runc() {
	command -v runc >/dev/null || skip "runc not installed (scripts/install-deps)"
	local rb=$T/runc-bundle vb=$T/vessel-bundle
	local id=oo-$$
	make_bundle "$rb" '.process.args=["sleep","300"] | .root.readonly=true | .linux.namespaces=[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}] | del(.linux.resources) | .linux.cgroupsPath=$cg' --arg cg "/vessel-$id"
	make_bundle "$vb" '.process.args=["sleep","300"]'
	RUNC_ROOT=$T/runc-root # teardown deletes what runc left
	local rr=$RUNC_ROOT
	R() { runc --root "$rr" "$@"; }
	V() { "$RT_BIN" --root "$ROOT" --log "$T/v.log" --log-format json "$@"; }
	# runc's global flags are accepted
	V --rootless false --criu /usr/sbin/criu --systemd-cgroup list -q >/dev/null ||
		{ fail "runc global flags refused: $(cat "$T/v.log")"; return 1; }
	R create --bundle "$rb" "$id" </dev/null >/dev/null 2>&1 || { fail "runc create"; return 1; }
	V create --bundle "$vb" "$id" </dev/null >/dev/null 2>&1 || { fail "vessel create: $(tail -1 "$T/v.log")"; return 1; }
	local verb rcr rcv
	check() { # description, verb...
		local what=$1; shift
		R "$@" >/dev/null 2>&1; rcr=$?
		: >"$T/v.log"
		V "$@" >/dev/null 2>&1; rcv=$?
		[ $((rcr == 0)) -eq $((rcv == 0)) ] || { fail "$what: runc exit $rcr, vessel-runtime exit $rcv"; return 1; }
		if [ "$rcv" -ne 0 ]; then
			jq -e --arg id "$id" 'select(.level == "error") | .msg | contains($id)' "$T/v.log" >/dev/null ||
				{ fail "$what: no JSON error naming the id in --log: $(cat "$T/v.log")"; return 1; }
		fi
	}
	check "pause a created container" pause "$id" || return 1
	check "resume it" resume "$id" || return 1
	check "exec in a created container" exec "$id" true || return 1
	check "start" start "$id" || return 1
	check "start twice" start "$id" || return 1
	check "delete a running container" delete "$id" || return 1
	check "kill TERM" kill "$id" KILL || return 1
	wait_until 20 sh -c "[ \"\$(runc --root $rr state $id | jq -r .status)\" = stopped ]" || { fail "runc container did not stop"; return 1; }
	wait_until 20 sh -c "[ \"\$($RT_BIN --root $ROOT state $id | jq -r .status)\" = stopped ]" || { fail "vessel container did not stop"; return 1; }
	check "kill a stopped container" kill "$id" TERM || return 1
	check "kill --all a stopped container" kill --all "$id" KILL || return 1
	check "exec in a stopped container" exec "$id" true || return 1
	check "resume a stopped container" resume "$id" || return 1
	check "state of an unknown container" state "nosuch-$id" || return 1
	check "delete a stopped container" delete "$id" || return 1
	check "delete again" delete "$id" || return 1
	oci_assert_clean
}
