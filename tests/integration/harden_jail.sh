# Least-privilege QEMU (issue 10), with the real runtime, shim and QEMU:
# hardening is on by default, so these create plain containers and look at
# the running QEMU from the host: its uid/gid, capability sets, seccomp mode,
# what its root directory holds, its namespaces and cgroup limits, and that a
# second VNF's identity cannot read or connect to the first one's files.
# VESSEL_HARDENING=off (the debugging opt-out) is checked too.
source "$(dirname "${BASH_SOURCE[0]}")/runtime_common.sh"

setup() {
	rt_setup
	[ "$RT_BACKEND" = qemu ] || skip "the jail is the direct-QEMU backend's (libvirt has its own: docs/security.md)"
	command -v setpriv >/dev/null || skip "setpriv not installed (util-linux)"
}
teardown() {
	rt_teardown
	[ "${HP_RESERVED:-0}" = 1 ] && "$VESSEL_TOP/scripts/hugepages" release >/dev/null
	return 0
}

qemu_pid() { jq -r .qemuPid "$ROOT/$1/state.json"; }
status_field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status"; }

# create_sleeper ID: a created (booted, workload not started) container.
create_sleeper() {
	bundle_cmd "$T/b-$1" 'sleep 300'
	rt create --bundle "$T/b-$1" --pid-file "$T/pid-$1" "$1" </dev/null >"$T/out-$1" 2>"$T/err-$1" ||
		{ cat "$T/err-$1" >&2; return 1; }
}

# as UID GID CMD...: runs CMD under that identity with no groups or capabilities.
as() { local u=$1 g=$2; shift 2; setpriv --reuid "$u" --regid "$g" --clear-groups --inh-caps=-all "$@"; }

test_qemu_is_unprivileged_seccomp_and_jailed() {
	create_sleeper hj1 || return 1
	local pid; pid=$(qemu_pid hj1)
	[ -d "/proc/$pid" ] || { fail "no QEMU pid in state.json"; return 1; }
	local uid gid
	read -r uid _ _ _ <<<"$(status_field "$pid" Uid)"
	read -r gid _ _ _ <<<"$(status_field "$pid" Gid)"
	[ "$uid" -ge 1000 ] && [ "$gid" -ge 1000 ] || { fail "QEMU runs as uid $uid gid $gid"; return 1; }
	assert_eq "$uid $uid $uid $uid" "$(status_field "$pid" Uid)" "real/effective/saved/fs uid" || return 1
	local c
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		assert_eq 0000000000000000 "$(status_field "$pid" $c)" "$c of QEMU" || return 1
	done
	assert_eq 2 "$(status_field "$pid" Seccomp)" "seccomp mode (filter)" || return 1
	assert_eq 1 "$(status_field "$pid" NoNewPrivs)" "no_new_privs" || return 1
	assert_contains "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny" || return 1
	# its root is the jail: /usr, /dev and the files of this VNF, nothing else
	local r=/proc/$pid/root files
	files=" $(cd "$r" && find . -path ./usr -prune -o ! -type d -print | sort | tr '\n' ' ')"
	local img; img=$(realpath "$VESSEL_BUILD/images")
	for f in "./$ROOT/hj1/rootfs.erofs" "./$ROOT/hj1/console.log" ./dev/null ./dev/urandom \
		"./$img/initramfs.cpio"; do
		assert_contains "$files" "$(sed 's|//*|/|g' <<<"$f") " "jail contents" || return 1
	done
	for f in state.json shim.sock qmp.sock ctl.sock qemu.log " ./etc/" " ./proc/" " ./sys/" " ./root/" " ./home/"; do
		assert_not_contains "$files" "$f" "jail contents" || return 1
	done
	[ -e /etc/passwd ] && [ ! -e "$r/etc/passwd" ] || { fail "host /etc visible in the jail"; return 1; }
	assert_eq "$ROOT/hj1" "$(readlink "/proc/$pid/cwd")" "QEMU's working directory" || return 1
	local ns
	for ns in mnt net ipc uts; do
		[ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ] ||
			{ fail "QEMU shares the host $ns namespace"; return 1; }
	done
	# files: image readable by this VNF's group only, sockets root's only
	assert_eq "root $gid 440" "$(stat -c '%U %g %a' "$ROOT/hj1/rootfs.erofs")" "rootfs image owner/mode" || return 1
	assert_eq "$uid 600" "$(stat -c '%u %a' "$ROOT/hj1/console.log")" "console log owner/mode" || return 1
	for f in qmp.sock ctl.sock; do
		assert_eq "root 600" "$(stat -c '%U %a' "$ROOT/hj1/$f")" "$f owner/mode" || return 1
	done
	# cgroup limits: memory = guest 256 MiB + 256 MiB overhead, 256 tasks
	local cg mem pids
	cg=$(awk -F: '$2 == "memory" || $2 == "" { print $3; exit }' "/proc/$pid/cgroup")
	assert_contains "$cg" "/vessel/hj1-" "QEMU's cgroup" || return 1
	if [ -e "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" ]; then
		mem=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")
		pids=$(cat "/sys/fs/cgroup/pids$cg/pids.max")
	else
		local base=/sys/fs/cgroup; [ -e "$base/cgroup.controllers" ] || base=$base/unified
		mem=$(cat "$base$cg/memory.max"); pids=$(cat "$base$cg/pids.max")
	fi
	assert_eq $(( 512 << 20 )) "$mem" "memory limit" || return 1
	assert_eq 256 "$pids" "pids limit" || return 1
	# the booted shim keeps only what it needs (chown, dac_*, fowner, kill, sys_nice)
	local shim; shim=$(cat "$T/pid-hj1")
	for c in CapPrm CapEff CapBnd; do
		assert_eq 000000000080002f "$(status_field "$shim" $c)" "$c of the shim" || return 1
	done
	assert_eq 1 "$(status_field "$shim" NoNewPrivs)" "shim no_new_privs" || return 1
	# the workload still runs and the container still dies cleanly
	rt start hj1 || return 1
	assert_eq running "$(status_of hj1)" "status after start" || return 1
	rt delete --force hj1 || return 1
	assert_no_leftovers || return 1
	[ ! -d "/sys/fs/cgroup/memory$cg" ] && [ ! -d "/sys/fs/cgroup/unified$cg" ] &&
		[ ! -d "/sys/fs/cgroup$cg" ] || { fail "cgroup $cg left behind"; return 1; }
}

test_second_vnf_cannot_touch_the_first() {
	create_sleeper hja || return 1
	create_sleeper hjb || return 1
	local pa pb ua ga ub gb
	pa=$(qemu_pid hja); pb=$(qemu_pid hjb)
	read -r ua _ <<<"$(status_field "$pa" Uid)"; read -r ga _ <<<"$(status_field "$pa" Gid)"
	read -r ub _ <<<"$(status_field "$pb" Uid)"; read -r gb _ <<<"$(status_field "$pb" Gid)"
	[ "$ua" != "$ub" ] && [ "$ga" != "$gb" ] || { fail "both QEMUs run as $ua:$ga"; return 1; }
	local img_in_a="/proc/$pa/root$ROOT/hja/rootfs.erofs"
	# control: A's own identity reads A's image through A's jail ...
	as "$ua" "$ga" head -c 4 "$img_in_a" >/dev/null 2>"$T/e" ||
		{ fail "A cannot read its own image: $(cat "$T/e")"; return 1; }
	# ... B's identity cannot: not through A's jail, not on the host path
	as "$ub" "$gb" head -c 4 "$img_in_a" >/dev/null 2>&1 && { fail "B read A's image via /proc"; return 1; }
	as "$ub" "$gb" head -c 4 "$ROOT/hja/rootfs.erofs" >/dev/null 2>&1 && { fail "B read A's image"; return 1; }
	as "$ub" "$gb" head -c 4 "$ROOT/hja/console.log" >/dev/null 2>&1 && { fail "B read A's console"; return 1; }
	# nor connect to A's control or QMP socket, nor signal A's QEMU
	local s
	for s in qmp.sock ctl.sock; do
		as "$ub" "$gb" python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
			"$ROOT/hja/$s" 2>/dev/null && { fail "B connected to A's $s"; return 1; }
	done
	as "$ub" "$gb" kill -0 "$pa" 2>/dev/null && { fail "B may signal A's QEMU"; return 1; }
	as "$ua" "$ga" kill -0 "$pa" || { fail "A's own identity cannot signal A (control)"; return 1; }
	# and A's files are not even in B's jail
	[ ! -e "/proc/$pb/root$ROOT/hja" ] || { fail "A's state directory is visible in B's jail"; return 1; }
	[ -e "/proc/$pb/root$ROOT/hjb/rootfs.erofs" ] || { fail "B's jail lacks its own image (control)"; return 1; }
}

test_hardening_opt_out() {
	bundle_cmd "$T/b" 'sleep 300'
	VESSEL_HARDENING=off rt create --bundle "$T/b" --pid-file "$T/pid" hjoff </dev/null >/dev/null 2>"$T/err" ||
		{ cat "$T/err" >&2; return 1; }
	local pid; pid=$(qemu_pid hjoff)
	assert_eq 0 "$(status_field "$pid" Uid | awk '{print $1}')" "uid with hardening off" || return 1
	assert_eq 0 "$(status_field "$pid" Seccomp)" "seccomp with hardening off" || return 1
	[ -e "/proc/$pid/root/etc/passwd" ] || { fail "hardening off still jails QEMU"; return 1; }
	rt delete --force hjoff || return 1
	assert_no_leftovers
}

test_runtime_dirs_refuse_symlink_and_open_root_tricks() {
	# a root others can write is refused before anything is created
	mkdir -m 0777 "$T/open"
	"$RT_BIN" --root "$T/open" create --bundle "$RT_BUNDLE_SRC" o1 </dev/null >/dev/null 2>"$T/err" &&
		{ fail "create under a world-writable root succeeded"; return 1; }
	assert_contains "$(cat "$T/err")" "is writable by others" || return 1
	[ -z "$(ls -A "$T/open")" ] || { fail "something was created: $(ls -A "$T/open")"; return 1; }
	# a state directory that is a symlink is never followed by delete
	mkdir -p "$ROOT" "$T/victim"
	echo keep >"$T/victim/state.json"
	ln -s "$T/victim" "$ROOT/evil"
	rt delete --force evil >/dev/null 2>&1
	assert_eq keep "$(cat "$T/victim/state.json" 2>/dev/null)" "file behind a symlinked state dir" || return 1
	rm -f "$ROOT/evil"
}

test_hugepage_memory_is_capped_and_sealed() {
	"$VESSEL_TOP/scripts/hugepages" reserve 140 >/dev/null || { fail "cannot reserve hugepages"; return 1; }
	HP_RESERVED=1
	export VESSEL_PLACEMENT_DIR=$T/place
	make_bundle "$T/b" '.process.args=["sleep","300"] | .annotations=$a' \
		--argjson a '{"org.vessel.hugepage_size": "2M"}'
	rt create --bundle "$T/b" hjh </dev/null >/dev/null 2>"$T/err" || { cat "$T/err" >&2; return 1; }
	local pid uid dir; pid=$(qemu_pid hjh)
	read -r uid _ <<<"$(status_field "$pid" Uid)"
	dir=/dev/hugepages/vessel-jail-$uid
	assert_contains "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "mem-path=$dir," "QEMU's hugetlbfs path" || return 1
	grep -q "^[0-9a-f]* .*huge" "/proc/$pid/numa_maps" || { fail "guest RAM not on hugepages"; return 1; }
	# after Ready the directory is root's: QEMU cannot add files (hugepages) to it
	assert_eq "root 755" "$(stat -c '%U %a' "$dir")" "hugepage directory after Ready" || return 1
	[ -d "/proc/$pid/root$dir" ] || { fail "hugepage directory not in the jail"; return 1; }
	# and its cgroup caps hugepages at the guest's 256 MiB, when hugetlb is in cgroup v2
	local cg
	cg=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
	local base=/sys/fs/cgroup; [ -e "$base/cgroup.controllers" ] || base=$base/unified
	if grep -qw hugetlb "$base/cgroup.controllers" 2>/dev/null; then
		assert_contains "$cg" "/vessel/hjh-" "QEMU's v2 cgroup" || return 1
		assert_eq $(( 256 << 20 )) "$(cat "$base$cg/hugetlb.2MB.max")" "hugetlb.2MB.max" || return 1
	else
		echo "note: no hugetlb controller in cgroup v2 here: hugepage cap not checked"
	fi
	rt delete --force hjh || return 1
	[ ! -e "$dir" ] || { fail "hugepage directory left"; return 1; }
	assert_no_leftovers
}

test_unreadable_kernel_is_a_clear_error() {
	# the jailed QEMU cannot read a root-only kernel: refused before QEMU starts,
	# naming the file and the fix, no KVM fallback recorded, nothing left
	mkdir -p "$T/img" "$T/lib"
	cp "$VESSEL_BUILD/images/vmlinux" "$VESSEL_BUILD/images/initramfs.cpio" "$T/img/"
	chmod 0600 "$T/img/vmlinux"
	bundle_cmd "$T/b" 'true'
	VESSEL_IMAGES_DIR=$T/img VESSEL_LIB_DIR=$T/lib rt create --bundle "$T/b" hjk </dev/null >/dev/null 2>"$T/err" &&
		{ fail "create with a root-only kernel succeeded"; return 1; }
	assert_contains "$(cat "$T/err")" "$T/img/vmlinux\` is not world-readable" "error names the kernel" || return 1
	assert_contains "$(cat "$T/err")" "VESSEL_HARDENING=off" "error says the way out" || return 1
	[ ! -e "$T/lib/accel-fallback.json" ] || { fail "a jail refusal was remembered as a KVM failure"; return 1; }
	assert_no_leftovers
}
