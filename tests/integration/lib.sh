# Shared by tests/integration/t-*.sh (and tests/interop): source it first thing.
#
# It re-executes the calling script inside private network and mount namespaces (`unshare --net
# --mount`), brings lo up, mounts a tmpfs on /run (so the test's vded, its endpoints and `ip netns`
# stay private and the host's /run/vde is never touched) and makes a scratch directory $WORK.
# Not root, or no namespaces: exit 77 (skip). Everything the test started is killed by PID on exit.
#
# Variables: ROOT (repo), BDIR (build dir), VDED_BIN, VDECTL_BIN, WORK, RUN (vded run dir),
#            STATE (vded state dir), SOCK (control socket), VDED_PID.
# Helpers:   vded_start [ARGS], vded_stop, vdectl ARGS (uses $SOCK), expect_rc RC CMD...,
#            netns_add NAME, bg_start [-o LOG] CMD..., bg_kill PID [SIG], wait_for [-t SECS] CMD...,
#            assert_eq, assert_json, assert_contains, fail, skip, log.

set -eu
set -o pipefail

TEST_NAME=$(basename "$0" .sh)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${B:-build}
case $B in
/*) BDIR=$B ;;
*) BDIR=$ROOT/$B ;;
esac
VDED_BIN=$BDIR/vded/vded
VDECTL_BIN=$BDIR/vdectl/vdectl

log() { echo "# $*"; }
skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

# Enter the private namespaces once: the guard variable stops the re-executed script from recursing.
if [ -z "${VDE_TEST_IN_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, tap devices)"
	command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) not installed"
	command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
	unshare --net --mount --propagation private true 2>/dev/null || skip "cannot create network/mount namespaces here"
	export VDE_TEST_IN_NS=1 B
	exec unshare --net --mount --propagation private bash "$0" "$@"
fi
unset VDE_TEST_IN_NS

[ -x "$VDED_BIN" ] || fail "$VDED_BIN not built (run make)"
[ -x "$VDECTL_BIN" ] || fail "$VDECTL_BIN not built (run make)"

ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /run
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vde-$TEST_NAME.XXXXXX")
# vded's engine runs as its own unprivileged user (vded): it must reach the state dir below WORK
chmod 0755 "$WORK"
RUN=/run/vde
STATE=$WORK/state
SOCK=$RUN/vded.sock
VDED_PID=
BG_PIDS=()
PLUG_PIDS=()
declare -A BG_CMD=()
NETNS=()
BG_N=0
export VDED_SOCKET=$SOCK

# On any exit: stop what we started (by PID), delete our namespaces, show the daemon log on failure.
lib_cleanup() {
	local rc=$? pid i st
	set +e
	trap - EXIT TERM INT
	for pid in "${BG_PIDS[@]}" $VDED_PID; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}" $VDED_PID; do
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}" $VDED_PID; do
		wait "$pid" 2>/dev/null
		st=$?
		# 143/137: our TERM/KILL; anything else above 128 is a crash worth seeing.
		if [ "$st" -gt 128 ] && [ "$st" -ne 143 ] && [ "$st" -ne 137 ] && [ "$st" -ne 255 ]; then
			echo "note: pid $pid (${BG_CMD[$pid]:-vded}) died of signal $((st - 128))"
		fi
	done
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		for f in "$WORK"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $(basename "$f") (last 40 lines) ----"
			tail -n 40 "$f"
		done
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap lib_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

vdectl() {
	"$VDECTL_BIN" -s "$SOCK" "$@"
}

# expect_rc RC CMD...: run CMD, fail unless it exits with RC. Its stdout is left in $OUT, stderr in $ERR.
expect_rc() {
	local want=$1 rc=0
	shift
	"$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	if [ "$rc" -ne "$want" ]; then
		echo "stdout: $OUT" >&2
		echo "stderr: $ERR" >&2
		fail "'$*' exited $rc, expected $want"
	fi
}

# wait_for [-t SECONDS] CMD...: poll CMD until it succeeds; returns 1 after SECONDS (default 10).
# This bounds a wait for an event, it is not a performance threshold.
wait_for() {
	local secs=10 i
	if [ "$1" = "-t" ]; then
		secs=$2
		shift 2
	fi
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# vded_start [ARGS]: start vded in the foreground mode in the background; wait until it answers.
vded_start() {
	mkdir -p "$STATE"
	"$VDED_BIN" -F -v --run-dir "$RUN" --state-dir "$STATE" -S "$SOCK" "$@" >>"$WORK/vded.log" 2>&1 &
	VDED_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$VDED_PID" 2>/dev/null; then
			local rc=0
			wait "$VDED_PID" || rc=$?
			VDED_PID=
			fail "vded exited with status $rc at start"
		fi
		vdectl daemon info >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "vded did not answer 'daemon info' within 10 s"
}

# vded_stop: SIGTERM, then wait; a daemon that does not exit, or exits non-zero, fails the test.
vded_stop() {
	local pid=$VDED_PID rc=0 i
	[ -n "$pid" ] || fail "vded_stop: vded is not running"
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do
		pid_gone "$pid" && break
		sleep 0.1
	done
	if ! pid_gone "$pid"; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
		VDED_PID=
		fail "vded ignored SIGTERM for 10 s"
	fi
	wait "$pid" || rc=$?
	VDED_PID=
	[ "$rc" -eq 0 ] || fail "vded exited with status $rc on SIGTERM"
	# Endpoint clients see the hang-up and exit, as with vde_switch. Waiting for them also keeps our
	# cleanup's SIGTERM from landing while Debian's vde_plug handles the hang-up: it can crash then.
	for pid in "${PLUG_PIDS[@]}"; do
		wait_for pid_gone "$pid" || fail "vde_plug $pid still running 10 s after vded stopped"
	done
}

# netns_add NAME: a named namespace with lo up, deleted at exit.
netns_add() {
	ip netns add "$1"
	NETNS+=("$1")
	ip -n "$1" link set lo up
}

# bg_start [-o LOG] CMD...: run CMD in the background (output to LOG, default $WORK/bg-N.log);
# its PID is in $BG_PID and it is killed at exit.
bg_start() {
	local out
	BG_N=$((BG_N + 1))
	out=$WORK/bg-$BG_N.log
	if [ "$1" = "-o" ]; then
		out=$2
		shift 2
	fi
	"$@" >"$out" 2>&1 </dev/null &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
	BG_CMD[$BG_PID]="$*"
}

# bg_kill PID [SIGNAL]: signal one of our background processes and reap it.
bg_kill() {
	local pid=$1 sig=${2:-TERM}
	kill "-$sig" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# pid_gone PID: true once the process no longer exists or is a zombie (for wait_for).
pid_gone() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	st=${st##*) }
	[ "${st%% *}" = Z ]
}

assert_eq() {
	local actual=$1 expected=$2 what=${3:-value}
	[ "$actual" = "$expected" ] || fail "$what: got '$actual', expected '$expected'"
}

assert_contains() {
	local haystack=$1 needle=$2 what=${3:-output}
	case "$haystack" in
	*"$needle"*) ;;
	*) fail "$what does not contain '$needle': $haystack" ;;
	esac
}

# assert_json EXPR EXPECTED [JSON]: jq -r EXPR over JSON (default: stdin) must print EXPECTED.
assert_json() {
	local expr=$1 expected=$2 json actual
	if [ $# -ge 3 ]; then
		json=$3
	else
		json=$(cat)
	fi
	actual=$(printf '%s' "$json" | jq -r "$expr" 2>&1) || fail "jq '$expr' failed on: $json ($actual)"
	[ "$actual" = "$expected" ] || fail "jq '$expr' gave '$actual', expected '$expected' in: $json"
}

# json_get EXPR JSON: print jq -r EXPR of JSON.
json_get() {
	printf '%s' "$2" | jq -r "$1"
}

# ctl_raw LINE...: send raw lines on one control connection, print the replies (needs socat).
ctl_raw() {
	printf '%s\n' "$@" | socat -t 2 - "UNIX-CONNECT:$SOCK"
}

# plug_tap NS TAP NETWORK [ADDR/LEN]: a Debian vde_plug in namespace NS joining NETWORK's endpoint
# to a tap TAP there, brought up and (if given) configured with ADDR. PID in $BG_PID.
plug_tap() {
	local ns=$1 tap=$2 net=$3 addr=${4:-}
	bg_start -o "$WORK/plug-$ns-$tap.log" ip netns exec "$ns" vde_plug "vde://$RUN/net/$net" "tap://$tap"
	PLUG_PIDS+=("$BG_PID")
	wait_for ip -n "$ns" link show "$tap" || fail "vde_plug did not create $tap in $ns"
	ip -n "$ns" link set "$tap" up
	[ -z "$addr" ] || ip -n "$ns" addr add "$addr" dev "$tap"
}

# tap_mac NS TAP: the MAC address of TAP in NS.
tap_mac() {
	ip -n "$1" -j link show "$2" | jq -r '.[0].address'
}

# need CMD...: skip when a prerequisite program is missing.
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
}

# A QEMU with no machine and no devices: only its network backends (vde, socket, user, hubport) run.
QEMU_BASE=(qemu-system-x86_64 -machine none -accel tcg -nodefaults -display none -monitor none -serial none)

# dhcp_lease NS IFACE: run busybox's DHCP client on IFACE in NS; print the address leased, or fail.
# The address is not applied: the caller does that (ip addr add ADDR/24).
dhcp_lease() {
	local ns=$1 ifc=$2 script=$WORK/udhcpc-$1.sh lease=$WORK/lease-$1 addr
	cat >"$script" <<EOS
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip \$router \$mask" >"$lease"
exit 0
EOS
	chmod +x "$script"
	rm -f "$lease"
	ip netns exec "$ns" busybox udhcpc -i "$ifc" -n -q -t 5 -T 2 -s "$script" >"$WORK/udhcpc-$ns.log" 2>&1 ||
		fail "no DHCP lease on $ifc in $ns: $(cat "$WORK/udhcpc-$ns.log")"
	[ -s "$lease" ] || fail "udhcpc succeeded but reported no lease"
	read -r addr _ <"$lease"
	echo "$addr"
}

# port_count NET: number of ports on NET (fails the test if the query fails).
port_count() {
	local out
	out=$(vdectl -j port list "$1") || fail "port list $1 failed"
	json_get '.ports | length' "$out"
}

# port_count_is NET N: for wait_for.
port_count_is() {
	[ "$(port_count "$1")" = "$2" ]
}
