#!/bin/bash
# One unprivileged client (uid 1001) floods the control socket: 200 connections held open, carrying
# random bytes, invalid JSON, over-long lines and 500 pipelined requests whose replies it never reads,
# plus a burst of raw garbage lines. Meanwhile, another user's requests are answered and two taps
# keep pinging through the network; afterwards vded still serves everyone.
. "$(dirname "$0")/lib.sh"
need jq setpriv vde_plug ping socat

FLOOD_BIN=$BDIR/tests/tools/ctl-flood
[ -x "$FLOOD_BIN" ] || fail "$FLOOD_BIN not built (run make)"
GS=2100
FLOODER=1001 OTHER=1002
N=200

vdectl_as() {
	local uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --groups "$GS" "$VDECTL_BIN" -s "$SOCK" "$@"
}

vded_start -g "$GS"
expect_rc 0 vdectl network create lab
netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
plug_tap ns2 t2 lab 10.0.0.2/24
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.2 || fail "no ping before the flood"

bg_start -o "$WORK/flood.out" setpriv --reuid "$FLOODER" --regid "$FLOODER" --groups "$GS" "$FLOOD_BIN" "$SOCK" "$N"
flood_pid=$BG_PID
wait_for -t 60 grep -q "opened $N" "$WORK/flood.out" || fail "the flood tool did not open its $N connections: $(cat "$WORK/flood.out")"
# Garbage lines on yet another connection: each gets an error reply, none is fatal.
replies=$(ctl_raw 'garbage' '{"id":1}' '{"id":2,"method":"no.such"}' '{"id":3,"method":"network.delete","params":{"name":"lab","x":1}}' \
	"$(head -c 3000 /dev/zero | tr '\0' '[')" '{"id":4,"method":"daemon.info"}')
[ "$(printf '%s\n' "$replies" | grep -c '"error"')" -ge 5 ] || fail "garbage lines were not each answered with an error: $replies"
assert_contains "$replies" '"id":4,"result"' "replies to the garbage connection"

# While the flood's connections are all held: other users' requests and the data path work.
expect_rc 0 vdectl_as $OTHER -j daemon info
assert_json '.pid' "$VDED_PID" "$OUT"
expect_rc 0 vdectl_as $OTHER -j network create other-net
expect_rc 0 vdectl_as $OTHER -j network list
assert_json '[.networks[].name] | sort | join(" ")' "lab other-net" "$OUT"
expect_rc 0 vdectl_as $OTHER network attach other-net -- sh -c 'test -S /proc/self/fd/3'
expect_rc 0 vdectl -j network show lab
assert_json '.ports' 2 "$OUT"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping during the flood"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.0.0.1 || fail "no ping back during the flood"

# Over-long lines got their connections closed; the rest were held (vded neither crashed nor gave up).
bg_kill "$flood_pid" TERM
grep -q "^held " "$WORK/flood.out" || fail "the flood tool did not report: $(cat "$WORK/flood.out")"
held=$(sed -n 's/^held //p' "$WORK/flood.out")
[ "$held" -lt "$N" ] || fail "vded kept all $N connections, including those over the size limit"
grep -q "request over .* bytes, connection closed" "$WORK/vded.log" || fail "vded did not log dropping an over-long request"
kill -0 "$VDED_PID" || fail "vded died during the flood"

# And after it: the same service as before.
expect_rc 0 vdectl_as $OTHER network delete other-net
expect_rc 0 vdectl -j daemon info
assert_json '.networks' 1 "$OUT"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.2 || fail "no ping after the flood"
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.rx_errors == 0)] | length' 2 "$OUT"

vded_stop
log "ok (flood: $N connections, $held held to the end)"
