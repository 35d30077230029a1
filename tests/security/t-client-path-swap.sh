#!/bin/bash
# Attack class: the vde client names its data socket by a path, and swaps a directory component of
# it for a symlink between vded's check and its connect (SECURITY.md V7). Socket group 2470,
# network group 2480; the ATTACKER (uid 2472; 2470, 2480) is a plain member of "lab".
# Root keeps a datagram listener at /run/rootonly/s (directory 0700 root: no one else may connect).
# tests/tools/pathswap plugs, naming /run/att/base/x/s, while a thread exchanges /run/att/base/x
# (the attacker's directory holding its own socket s) with a symlink to /run/rootonly; an ordinary
# port of the attacker sends broadcasts so that every port it won carries frames (bounded: tries
# and seconds).
# The root listener must receive nothing. The victim: two root vde_plug taps in two namespaces ping
# before and after, a fresh client joins after, and the victim's vdectl requests work.
. "$(dirname "$0")/../integration/lib.sh"
need jq setpriv stat vde_plug ping socat

PATHSWAP=$BDIR/tests/tools/pathswap
[ -x "$PATHSWAP" ] || fail "$PATHSWAP not built (run make)"

GS=2470 GN=2480
ATTACKER=2472 VICTIM=2473
EP=$RUN/net/lab
ROOTONLY=/run/rootonly

as() {
	local uid=$1 groups=$2
	shift 2
	setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
}
vdectl_as() {
	local uid=$1 groups=$2
	shift 2
	as "$uid" "$groups" "$VDECTL_BIN" -s "$SOCK" "$@"
}
tap_gone() {
	! ip -n "$1" link show "$2" >/dev/null 2>&1
}
victim_ping() {
	wait_for -t 10 ip netns exec va ping -c 1 -W 1 10.77.0.2 || fail "$1: victim va -> vb ping failed"
	ip netns exec vb ping -c 2 -i 0.2 -W 2 10.77.0.1 >/dev/null || fail "$1: victim vb -> va ping failed"
}

# Root's private listener: everything it receives is appended to $ROOTONLY/got.
mkdir -m 0700 "$ROOTONLY"
: >"$ROOTONLY/got"
bg_start socat -u "UNIX-RECV:$ROOTONLY/s" "OPEN:$ROOTONLY/got,append"
wait_for test -S "$ROOTONLY/s" || fail "root's listener did not start"
# It works, for root: a datagram sent to it lands in got.
printf 'root self-test' | socat -u - "UNIX-SENDTO:$ROOTONLY/s"
wait_for grep -q 'root self-test' "$ROOTONLY/got" || fail "root's listener does not record what it receives"
: >"$ROOTONLY/got"

# vded on one CPU, the attacker on another: the race is then between two CPUs, not left to where the
# scheduler happens to put the swapping thread (on the same CPU as vded it would never interleave).
ATT_CPU=()
if [ "$(nproc)" -ge 2 ] && taskset -c 0 true 2>/dev/null && taskset -cp 1 $$ >/dev/null 2>&1; then
	ATT_CPU=(taskset -c 0)
fi
vded_start -g "$GS"
expect_rc 0 vdectl_as $VICTIM "$GS,$GN" network create lab --group $GN
netns_add va
netns_add vb
plug_tap va vtap lab 10.77.0.1/24
plug_tap vb vtap lab 10.77.0.2/24
plug_b=$BG_PID
victim_ping "before the attack"

# The attacker's own directory (like its home or /tmp; on /run here, so that renames stay on one fs).
mkdir -m 0755 /run/att
chown $ATTACKER:$ATTACKER /run/att
rc=0
"${ATT_CPU[@]}" setpriv --reuid $ATTACKER --regid $ATTACKER --groups "$GS,$GN" "$PATHSWAP" -t 6 -n 20000 "$EP" /run/att/base "$ROOTONLY" >"$WORK/pathswap.log" 2>&1 || rc=$?
cat "$WORK/pathswap.log"
[ "$rc" -ne 3 ] || fail "pathswap could not plug an ordinary port (the test is broken, not the attack)"
[ "$rc" -eq 0 ] || fail "pathswap exited $rc"
rm -rf /run/att

# root's listener may still be writing what it got: give it a moment (bounded) before looking
wait_for -t 2 test -s "$ROOTONLY/got" || true
got=$(stat -c %s "$ROOTONLY/got")
if [ "$got" -gt 0 ]; then
	n=$(grep -ao 'V7 path swap' "$ROOTONLY/got" | wc -l)
	fail "uid $ATTACKER made vded connect a port to root's socket $ROOTONLY/s (directory 0700 root) by swapping a path component: it received $got bytes ($n of the attacker's frames, and the network's broadcasts)"
fi

# The victim still works: its ports, a fresh client, its requests.
victim_ping "after the attack"
bg_kill "$plug_b"
wait_for tap_gone vb vtap || fail "vb's tap outlived its vde_plug"
plug_tap vb vtap lab 10.77.0.2/24
victim_ping "a fresh client after the attack"
expect_rc 0 vdectl_as $VICTIM "$GS,$GN" -j network show lab
assert_json '.owner_uid' "$VICTIM" "$OUT"
expect_rc 0 vdectl_as $VICTIM "$GS,$GN" network set lab --description "still mine"
[ "$(stat -c %s "$ROOTONLY/got")" -eq 0 ] || fail "root's listener received frames after the attack"

vded_stop
log "ok"
