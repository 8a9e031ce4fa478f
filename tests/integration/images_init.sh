# Integration tests for the guest side: the microVM kernel, the initramfs and
# vessel-init, driven over the real control channel by build/tests/ctl-client
# against a real QEMU (TCG: /dev/kvm on these hosts does not boot guests).
# Each test boots one short-lived VM with the busybox bundle's rootfs as an
# erofs image.

KERNEL=$VESSEL_BUILD/images/vmlinux
INITRD=$VESSEL_BUILD/images/initramfs.cpio
CTL=$VESSEL_BUILD/tests/ctl-client
BUNDLE=$VESSEL_BUILD/bundles/busybox

setup() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (scripts/install-deps)"
	command -v mkfs.erofs >/dev/null || skip "mkfs.erofs not installed (erofs-utils)"
	for f in "$KERNEL" "$INITRD" "$CTL" "$BUNDLE/rootfs/bin/busybox"; do
		[ -e "$f" ] || skip "$f missing: run make"
	done
	mkfs.erofs --quiet "$T/rootfs.erofs" "$BUNDLE/rootfs" >/dev/null || return 1
}

teardown() {
	[ -n "${QPID:-}" ] && kill "$QPID" 2>/dev/null
	return 0
}

# vm_start [extra qemu args...]: boots QEMU in the background; the control
# socket is $T/ctl.sock, the serial console $T/console.log.
vm_start() {
	local khz
	khz=$(awk '/^cpu MHz/{printf "%d", $4*1000; exit}' /proc/cpuinfo)
	qemu-system-x86_64 -M microvm,acpi=off -accel tcg -cpu max -m 256 -smp 1 \
		-no-reboot -nodefaults -no-user-config -display none \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet reboot=t panic=-1 nolapic_timer tsc_early_khz=${khz:-2000000}" \
		-serial "file:$T/console.log" \
		-drive "id=root,file=$T/rootfs.erofs,format=raw,if=none,readonly=on" \
		-device virtio-blk-device,drive=root \
		-device virtio-serial-device \
		-chardev "socket,id=ctl,path=$T/ctl.sock,server=on,wait=off" \
		-device virtserialport,chardev=ctl,name=org.vessel.ctl "$@" &
	QPID=$!
}

# vm_wait_exit: the VM must end by itself (init reboots, -no-reboot exits).
vm_wait_exit() {
	local i
	for i in $(seq 100); do
		kill -0 "$QPID" 2>/dev/null || { wait "$QPID" 2>/dev/null; QPID=; return 0; }
		sleep 0.1
	done
	echo "FAIL: QEMU still running 10 s after the workload ended" >&2
	cat "$T/console.log" >&2
	return 1
}

# run_vm [ctl-client options] -- ARGS: boots, runs, leaves stdout in $T/out,
# stderr in $T/err and the status in RC.
run_vm() {
	vm_start
	timeout 60 "$CTL" --timeout 50 "$T/ctl.sock" "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	vm_wait_exit || return 1
	return 0
}

test_ready_reports_kernel_release() {
	run_vm --shutdown || return 1
	assert_eq 0 "$RC" "ctl-client status" || { cat "$T/err"; return 1; }
	local rel
	rel=$(sed -n 's/^READY kernel=\([^ ]*\) .*/\1/p' "$T/err")
	[[ "$rel" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || fail "READY line has no kernel release: $(cat "$T/err")"
	# the release must be the one built into our vmlinux
	grep -aq "Linux version $rel " "$KERNEL" || fail "kernel release $rel not found in $KERNEL"
}

test_echo_hi_after_sleep() {
	# a timer must tick in the guest (it does not with microvm's pic=off)
	run_vm -- sh -c 'sleep 0.3; echo hi' || return 1
	assert_eq 0 "$RC" "exit status" || return 1
	assert_eq hi "$(cat "$T/out")" "stdout"
}

test_exit_code_and_stderr() {
	run_vm -- sh -c 'echo oops >&2; exit 42' || return 1
	assert_eq 42 "$RC" "exit status" || return 1
	assert_contains "$(cat "$T/err")" oops "stderr" || return 1
	assert_eq "" "$(cat "$T/out")" "stdout"
}

test_large_output_arrives_whole() {
	run_vm -- sh -c 'seq 1 20000' || return 1
	assert_eq 0 "$RC" "exit status" || return 1
	assert_eq 20000 "$(wc -l <"$T/out")" "lines of stdout" || return 1
	assert_eq 20000 "$(tail -1 "$T/out")" "last line"
}

test_exec_not_found_is_127() {
	run_vm -- /no/such/program || return 1
	assert_eq 127 "$RC" "exit status" || return 1
	assert_contains "$(cat "$T/err")" "exec \`/no/such/program\`: No such file or directory" "error"
}

test_sigterm_kills_workload_143() {
	vm_start
	"$CTL" -v --timeout 50 "$T/ctl.sock" -- sleep 30 >"$T/out" 2>"$T/err" </dev/null &
	local cpid=$!
	wait_until 30 grep -q '^STARTED' "$T/err" || { kill "$cpid"; fail "workload did not start: $(cat "$T/err")"; return 1; }
	kill -TERM "$cpid"
	wait "$cpid"
	RC=$?
	assert_eq 143 "$RC" "exit status after SIGTERM" || return 1
	vm_wait_exit
}

test_overlay_root_is_writable() {
	run_vm -- sh -c 'echo data >/newfile && cat /newfile && echo more >>/etc/passwd' || return 1
	assert_eq 0 "$RC" "exit status" || { cat "$T/err"; return 1; }
	assert_eq data "$(cat "$T/out")" "stdout"
}

test_readonly_root_refuses_writes() {
	# /scratch does not exist in the image: init must still create the mount point
	run_vm --readonly --mount /scratch:tmpfs:size=1m -- \
		sh -c 'echo ok >/scratch/f && cat /scratch/f && echo data >/newfile' || return 1
	[ "$RC" -ne 0 ] || fail "writing / succeeded with rootfs_readonly" || return 1
	assert_eq ok "$(cat "$T/out")" "write to a tmpfs mount under a read-only root" || return 1
	assert_contains "$(cat "$T/err")" "Read-only file system" "stderr"
}

test_hostname_env_cwd_user() {
	run_vm --hostname vnf-a --env GREETING=hello --cwd /etc --user 65534:65534 -- \
		sh -c 'echo "$(hostname) $GREETING $(pwd) $(id -u):$(id -g)"' || return 1
	assert_eq 0 "$RC" "exit status" || { cat "$T/err"; return 1; }
	assert_eq "vnf-a hello /etc 65534:65534" "$(cat "$T/out")" "hostname env cwd uid:gid"
}

test_stdin_is_forwarded() {
	vm_start
	printf 'line1\nline2\n' | timeout 60 "$CTL" --timeout 50 "$T/ctl.sock" -- sh -c 'cat; echo done' >"$T/out" 2>"$T/err"
	RC=$?
	vm_wait_exit || return 1
	assert_eq 0 "$RC" "exit status" || return 1
	assert_eq "$(printf 'line1\nline2\ndone')" "$(cat "$T/out")" "stdout"
}

test_terminal_gives_a_tty() {
	run_vm --tty --mount /proc:proc --mount /dev:tmpfs:mode=755 \
		--mount /dev/pts:devpts:newinstance,ptmxmode=0666,mode=0620 -- \
		sh -c '[ -t 0 ] && [ -t 1 ] && echo isatty; tty; stty size' || return 1
	assert_eq 0 "$RC" "exit status" || { cat "$T/out" "$T/err"; return 1; }
	assert_contains "$(cat "$T/out")" isatty "stdout" || return 1
	assert_contains "$(cat "$T/out")" "/dev/pts/0" "tty name in the container" || return 1
	assert_contains "$(cat "$T/out")" "24 80" "terminal size"
}

test_terminal_resize() {
	run_vm --tty --resize 40x100 -- sh -c 'sleep 0.5; stty size' || return 1
	assert_eq 0 "$RC" "exit status" || { cat "$T/out" "$T/err"; return 1; }
	assert_contains "$(cat "$T/out")" "40 100" "terminal size after Resize"
}

test_oci_mounts() {
	run_vm --mount /proc:proc --mount /dev:tmpfs:nosuid,mode=755,size=65536k \
		--mount /dev/pts:devpts:newinstance,ptmxmode=0666,mode=0620 \
		--mount /sys/fs/cgroup:cgroup:ro \
		--mount /scratch:tmpfs:size=1m,mode=1777 -- \
		sh -c 'grep -E " /(scratch|dev|proc) " /proc/mounts; echo x >/dev/null && echo devnull-ok; ls -l /dev/zero' || return 1
	assert_eq 0 "$RC" "exit status" || { cat "$T/err"; return 1; }
	local out
	out=$(cat "$T/out")
	assert_contains "$out" "tmpfs /scratch tmpfs rw" "tmpfs mount" || return 1
	assert_contains "$out" "size=1024k" "tmpfs size option" || return 1
	assert_contains "$out" "proc /proc proc" "proc mount" || return 1
	assert_contains "$out" "devnull-ok" "/dev/null" || return 1
	assert_contains "$out" "1,   5" "/dev/zero node"
}

test_bind_mount_is_refused_by_name() {
	run_vm --mount /etc/hosts:bind:rbind,ro -- true || return 1
	assert_eq 1 "$RC" "exit status" || return 1
	assert_contains "$(cat "$T/err")" "mount \`/etc/hosts\`" "error names the mount"
}

test_missing_rootfs_device_error() {
	run_vm --rootfs /dev/vdz -- true || return 1
	assert_eq 1 "$RC" "exit status" || return 1
	assert_contains "$(cat "$T/err")" "mount rootfs \`/dev/vdz\`: No such file or directory" "error"
}

test_network_interface_config() {
	vm_start -netdev user,id=n0,restrict=on -device virtio-net-device,netdev=n0,mac=52:54:00:12:34:56
	timeout 60 "$CTL" --timeout 50 --netif 52:54:00:12:34:56,eth7,1400,10.9.0.2/24,10.9.0.1 \
		--sysctl net.ipv4.ip_forward=1 --mount /proc:proc "$T/ctl.sock" -- \
		sh -c 'ip addr show eth7; ip route; ip link show lo; cat /proc/sys/net/ipv4/ip_forward' \
		>"$T/out" 2>"$T/err" </dev/null
	RC=$?
	vm_wait_exit || return 1
	assert_eq 0 "$RC" "exit status" || { cat "$T/err"; return 1; }
	local out
	out=$(cat "$T/out")
	assert_contains "$out" "inet 10.9.0.2/24" "address" || return 1
	assert_contains "$out" "mtu 1400" "mtu" || return 1
	assert_contains "$out" "default via 10.9.0.1 dev eth7" "default route" || return 1
	assert_contains "$out" "LOOPBACK,UP" "lo up" || return 1
	assert_eq 1 "$(tail -1 <<<"$out")" "sysctl ip_forward"
}

test_unknown_mac_is_an_error() {
	vm_start
	timeout 60 "$CTL" --timeout 50 --netif 02:00:00:00:00:99,eth0 "$T/ctl.sock" -- true >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	vm_wait_exit || return 1
	assert_eq 1 "$RC" "exit status" || return 1
	assert_contains "$(cat "$T/err")" "MAC \`02:00:00:00:00:99\`" "error names the MAC"
}

test_bad_frames_get_errors_not_a_crash() {
	run_vm --probe-bad-frames || return 1
	assert_eq 0 "$RC" "ctl-client status" || { cat "$T/err"; return 1; }
	local out
	out=$(cat "$T/out")
	assert_contains "$out" "ERROR frame does not decode" "undecodable frame" || return 1
	assert_contains "$out" "ERROR unexpected frame" "empty frame" || return 1
	assert_contains "$out" "ERROR start: the container was not created" "Start before Create" || return 1
	assert_contains "$out" "PONG 42" "init still answers after bad frames"
}

test_mqueue_mount_and_sigint_130() {
	vm_start
	"$CTL" -v --timeout 50 --mount /dev:tmpfs --mount /dev/mqueue:mqueue --mount /proc:proc "$T/ctl.sock" -- \
		sh -c 'grep -c mqueue /proc/mounts; sleep 30 & sleep 30' >"$T/out" 2>"$T/err" </dev/null &
	local cpid=$!
	wait_until 30 grep -q '^1$' "$T/out" || { kill "$cpid"; fail "no mqueue mount: $(cat "$T/out" "$T/err")"; return 1; }
	kill -INT "$cpid"
	wait "$cpid"
	RC=$?
	assert_eq 130 "$RC" "exit status after SIGINT" || return 1
	assert_eq 1 "$(head -1 "$T/out")" "mqueue mounted" || return 1
	vm_wait_exit
}

test_exec_runs_a_second_process() {
	run_vm -v --exec 'echo "from exec $(hostname)"; exit 5' --hostname ex1 -- \
		sh -c 'sleep 1; echo main done' || return 1
	assert_eq 0 "$RC" "main exit status" || { cat "$T/err"; return 1; }
	assert_contains "$(cat "$T/out")" "from exec ex1" "exec output" || return 1
	assert_contains "$(cat "$T/out")" "main done" "main output" || return 1
	assert_contains "$(cat "$T/err")" "STARTED proc=1" "exec started" || return 1
	assert_contains "$(cat "$T/err")" "EXIT proc=1 status=5" "exec exit status"
}

test_signal_all_reaches_every_process() {
	# The main shell survives TERM (trap); the Exec'd `cat` does not. Only a
	# signal to all processes reaches the cat; the shell reports what it saw.
	vm_start
	"$CTL" -v --signal-all --exec 'exec cat' --timeout 50 --mount /proc:proc "$T/ctl.sock" -- \
		sh -c 'trap "" TERM; until pidof cat >/dev/null; do sleep 0.1; done; echo armed
			i=0; while [ $i -lt 50 ]; do pidof cat >/dev/null || { echo victim gone; exit 0; }
			sleep 0.2; i=$((i + 1)); done; echo victim alive; exit 1' >"$T/out" 2>"$T/err" </dev/null &
	local cpid=$!
	wait_until 30 grep -q '^armed' "$T/out" || { kill "$cpid"; fail "not armed: $(cat "$T/out" "$T/err")"; return 1; }
	kill -TERM "$cpid"
	wait "$cpid"
	RC=$?
	assert_contains "$(cat "$T/out")" "victim gone" "stdout" || return 1
	assert_eq 0 "$RC" "exit status (the shell survived)" || return 1
	vm_wait_exit
}
