# Shared helpers for integration tests (bash). A test file defines functions
# named test_*; tests/run-tests runs each in its own subshell with a timeout.
# A test passes by returning 0, fails with any other status, and skips by
# calling `skip "reason"` (exit 77), which prints the reason.
#
# Every test gets a private temporary tree in $T (removed afterwards) and the
# paths of the freshly built binaries.

VESSEL_TOP=${VESSEL_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VESSEL_BUILD=${VESSEL_BUILD:-$VESSEL_TOP/build}
export VESSEL_TOP VESSEL_BUILD

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; return 1; }

# assert_eq EXPECTED ACTUAL [what]
assert_eq() {
	if [ "$1" != "$2" ]; then
		echo "FAIL: ${3:-value}: expected [$1], got [$2]" >&2
		return 1
	fi
}
# assert_contains HAYSTACK NEEDLE [what]
assert_contains() {
	case "$1" in
	*"$2"*) return 0 ;;
	esac
	echo "FAIL: ${3:-output}: expected to contain [$2], got [$1]" >&2
	return 1
}
assert_not_contains() {
	case "$1" in
	*"$2"*) echo "FAIL: ${3:-output}: must not contain [$2], got [$1]" >&2; return 1 ;;
	esac
	return 0
}
# wait_until SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_until() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }
