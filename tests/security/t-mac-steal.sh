#!/bin/bash
# V13, MAC stealing: a user with a port (uid 2471, a member of the network's group, not its owner)
# forges frames with a victim's source MAC to draw the victim's traffic to itself. On a network whose
# ports are plain it works (the station "moves" to the attacker: the frames for the victim come to
# it); on a network whose owner gave new ports a MAC limit (port_default max_macs, a secured port) the
# forged frames are dropped and counted (drop_mac_move), the attacker gets none of the victim's frames,
# and the victim's ping goes on. The attacker cannot lift its port's limit (port.set, or a policy asked
# on network.attach: permission-denied).
# timeout: 120
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq vde_plug ping python3

. "$(dirname "$0")/lib-l2.sh"

# attack NET: the attacker holds a new port of NET and steals for 3 s while ns1 pings ns2 there
attack() {
	local net=$1 pid
	bg_start -o "$WORK/attack-$net.log" setpriv --reuid $A --regid $A --groups $GS \
		"$VDECTL_BIN" -s "$SOCK" network attach "$net" -- python3 "$WORK/l2attack.py" steal "$2" 3
	pid=$BG_PID
	ip netns exec "$3" ping -n -c 40 -i 0.05 -W 1 "$4" >"$WORK/ping-$net.log" 2>&1 || true
	# while the attacker is still there: its port's counters and where the victim's MAC lives
	vdectl -j port list "$net" >"$WORK/ports-$net.json"
	vdectl -j mac list "$net" >"$WORK/macs-$net.json"
	wait_for -t 20 pid_gone "$pid" || fail "the attacker did not finish"
	wait "$pid" 2>/dev/null || true
	STOLEN=$(sed -n 's/.*stolen=\([0-9]*\).*/\1/p' "$WORK/attack-$net.log")
	[ -n "$STOLEN" ] || fail "the attacker printed nothing: $(cat "$WORK/attack-$net.log")"
	RECEIVED=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/ping-$net.log")
}

l2_setup max-macs=2

# before: the plain network
attack open "$(tap_mac o2 t2)" o1 10.0.0.2
log "plain port: the attacker got $STOLEN frames meant for the victim; the victim's ping: $RECEIVED of 40"
[ "$STOLEN" -gt 0 ] || fail "the steal did not work on a plain network (the test would prove nothing)"

# after: the secured network
attack secured "$(tap_mac s2 t2)" s1 10.0.1.2
log "secured port: the attacker got $STOLEN frames meant for the victim; the victim's ping: $RECEIVED of 40"
[ "$STOLEN" = 0 ] || fail "the attacker stole $STOLEN frames on a secured port"
[ "$RECEIVED" -ge 39 ] || fail "the victim's ping suffered: $RECEIVED of 40: $(cat "$WORK/ping-secured.log")"
moved=$(jq '[.ports[] | select(.kind == "attach") | .drop_mac_move] | add' "$WORK/ports-secured.json")
[ "$moved" -gt 0 ] || fail "no forged frame counted in drop_mac_move: $(cat "$WORK/ports-secured.json")"
vport=$(jq -r ".macs[] | select(.mac == \"$(tap_mac s2 t2)\") | .port" "$WORK/macs-secured.json")
assert_json ".ports[] | select(.id == $vport) | .kind" endpoint "$(cat "$WORK/ports-secured.json")"

# the attacker cannot lift its limit: a policy of its own on attach, or port set on its port
bg_start -o "$WORK/hold.log" setpriv --reuid $A --regid $A --groups $GS \
	"$VDECTL_BIN" -s "$SOCK" network attach secured --port 100 -- sleep 60
holder=$BG_PID
wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j port list secured | jq -e '.ports[] | select(.id == 100)'" ||
	fail "the attacker's port did not appear: $(cat "$WORK/hold.log")"
expect_rc 0 vdectl -j port show secured 100
assert_json '.switch.max_macs' 2 "$OUT"
expect_rc 4 setpriv --reuid $A --regid $A --groups $GS "$VDECTL_BIN" -s "$SOCK" port set secured 100 --max-macs 0
expect_rc 4 setpriv --reuid $A --regid $A --groups $GS "$VDECTL_BIN" -s "$SOCK" network attach secured \
	--max-macs 0 -- true
expect_rc 4 setpriv --reuid $A --regid $A --groups $GS "$VDECTL_BIN" -s "$SOCK" network set secured \
	--port-default max-macs=0
expect_rc 0 vdectl -j port show secured 100
assert_json '.switch.max_macs' 2 "$OUT"
bg_kill "$holder"
ip netns exec s1 ping -c 3 -i 0.2 -W 2 10.0.1.2 >/dev/null || fail "the victims' ping stopped"
kill -0 "$VDED_PID" || fail "vded died"
for pid in "${PLUG_PIDS[@]}"; do bg_kill "$pid"; done
vded_stop
log "ok"
