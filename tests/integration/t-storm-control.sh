#!/bin/bash
# Storm control (port set --storm-broadcast N): a port that sends 3,000 broadcast frames at once, with
# a limit of 100 frames/s, gets about one second's worth through (a token bucket of 100) and the rest
# dropped (drop_storm counts them); the other ports receive only what passed, and their own traffic
# goes on. Without the limit every frame is flooded.
. "$(dirname "$0")/lib.sh"
need jq ping python3

vded_start
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl ns create a --net lab --address 10.3.0.1/24
expect_rc 0 vdectl ns create b --net lab --address 10.3.0.2/24
pb=$(vdectl -j ns list | jq -r '.namespaces[] | select(.name == "b") | .interfaces[0].port')
cp "$(dirname "$0")/../security/l2attack.py" "$WORK/l2attack.py"

# storm PORT: 3,000 broadcasts from an attached port PORT; prints what b's port got meanwhile
storm() {
	local before after
	before=$(vdectl -j port show lab "$pb" | jq .tx_frames)
	expect_rc 0 vdectl network attach lab --port "$1" -- python3 "$WORK/l2attack.py" storm 3000 02:00:00:00:33:01
	after=$(vdectl -j port show lab "$pb" | jq .tx_frames)
	echo $((after - before))
}

plain=$(storm 40)
log "no limit: b got $plain of the 3000 broadcasts"
[ "$plain" -ge 2900 ] || fail "without a limit b got only $plain of 3000 broadcasts"

expect_rc 0 vdectl port set lab 41 --storm-broadcast 100
bg_start -o "$WORK/ping.log" ip netns exec a ping -n -c 20 -i 0.05 -W 1 10.3.0.2
pinger=$BG_PID
limited=$(storm 41)
log "100 frames/s: b got $limited of the 3000 broadcasts"
[ "$limited" -le 200 ] || fail "with a limit of 100/s b got $limited of 3000 broadcasts"
[ "$limited" -ge 50 ] || fail "with a limit of 100/s b got only $limited (the bucket starts full)"
wait "$pinger" || fail "a -> b ping failed during the storm: $(cat "$WORK/ping.log")"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
