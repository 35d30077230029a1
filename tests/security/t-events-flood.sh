#!/bin/bash
# Events against a hostile subscriber (issue 12): uid 2481, a member of the socket's group, opens 100
# subscriptions that never read and makes thousands of events (2000 ports attached to a network and
# closed). Each subscriber's queue is bounded (256 KiB): vded's engine must not grow by more than that
# per subscriber, root and uid 2482 must be answered meanwhile, uid 2482's endpoint
# traffic keeps flowing intact, and a subscription to a network the attacker may not see is refused
# as if it did not exist.
# timeout: 180
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-victim.sh"
need setpriv jq pgrep socat
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3 (a user who is not root runs it)"

FLOW=$BDIR/tests/tools/vdeflow
[ -x "$FLOW" ] || fail "vdeflow not built"
GS=2480
A=2481
B=2482
N=${N:-100}

vded_start -f /dev/null -g $GS
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl network create hidden --mode 0600
as() {
	local uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --groups $GS "$@"
}
engine_rss_kb() {
	local p
	p=$(pgrep -P "$VDED_PID" | head -n 1)
	awk '/^VmRSS/ { print $2 }' "/proc/$p/status"
}

# a network the attacker may not see: not-found, exactly as a missing one
expect_rc 3 as $A "$VDECTL_BIN" -s "$SOCK" -j monitor hidden
assert_json '.error.message' "network 'hidden' does not exist" "$OUT"

# the victim: uid B's two endpoint ports, traffic checked frame by frame for the whole attack
bg_start -o "$WORK/flow.out" as $B "$FLOW" -t 20 -i 50 -b 2 "vde://$RUN/net/lab" "vde://$RUN/net/lab"
flow=$BG_PID
wait_for grep -q '^ready' "$WORK/flow.out" || fail "the victim's vde:// clients did not start: $(cat "$WORK/flow.out")"

cat >"$WORK/subs.py" <<'EOS'
import socket, sys, time
socks = []
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(sys.argv[1])
    s.sendall(b'{"id":1,"method":"events.subscribe"}\n')
    socks.append(s)
print("subscribed", len(socks), flush=True)
time.sleep(float(sys.argv[3]))
EOS
rss0=$(engine_rss_kb)
bg_start -o "$WORK/subs.out" as $A "$PY" "$WORK/subs.py" "$SOCK" $N 60
subs=$BG_PID
wait_for -t 20 grep -q '^subscribed' "$WORK/subs.out" || fail "the subscriptions were not made: $(cat "$WORK/subs.out")"
# 2000 ports attached and closed: 4000 events for each of the 100 subscribers (ports, not networks:
# a burst of network.create writes the store, which is another matter)
cat >"$WORK/churn.py" <<'EOS'
import socket, sys
n = 0
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b'{"id":1,"method":"network.attach","params":{"network":"lab"}}\n')
    if b'"result"' in s.recv(65536):
        n += 1
    s.close()
print("attached", n, flush=True)
EOS
as $A "$PY" "$WORK/churn.py" "$SOCK" 2000 >"$WORK/burst.out" 2>&1 &
burst=$!
b0=$(date +%s%N)
BAD=()
timeout 10 "$VDECTL_BIN" -s "$SOCK" daemon info >/dev/null || BAD+=("root was not answered during the burst")
timeout 10 setpriv --reuid $B --regid $B --groups $GS "$VDECTL_BIN" -s "$SOCK" daemon info >/dev/null || BAD+=("uid $B was not answered during the burst")
wait "$burst" || true
log "the burst took $((($(date +%s%N) - b0) / 1000000)) ms"
[ "$(cat "$WORK/burst.out")" = "attached 2000" ] || BAD+=("the churn: $(cat "$WORK/burst.out")")
rss1=$(engine_rss_kb)
log "engine RSS: ${rss0} kB before, ${rss1} kB with $N unread subscriptions after 4000 events"
# each subscriber holds at most 256 KiB of lines (and a small struct): the growth stays under that
[ $((rss1 - rss0)) -lt $((N * 256 + 16384)) ] || BAD+=("the engine grew by $((rss1 - rss0)) kB for $N subscribers")
timeout 10 "$VDECTL_BIN" -s "$SOCK" daemon info >/dev/null || BAD+=("root was not answered after the burst")
kill -0 "$VDED_PID" || fail "vded died"
bg_kill "$subs"
victim_verdict "$flow" "$WORK/flow.out" $B
[ ${#BAD[@]} = 0 ] || fail "$(printf '%s\n' "${BAD[@]}")"
grep -q "lost [0-9]* events" "$WORK/vded.log" && fail "an unread subscriber was told it lost events: it never read"
expect_rc 0 vdectl -j network list
assert_json '.networks | length' 2 "$OUT"
log "ok"
