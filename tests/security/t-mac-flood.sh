#!/bin/bash
# V13, MAC table flooding: a user with a port (uid 2471, a member of the network's group) sends 5,000
# frames from random source MACs. On a network of plain ports the 4096-entry table fills, stations
# that come (or come back) after are never learned, and their unicast is flooded to every port: the
# attacker sees frames between two other stations (a hub). On a network whose owner gave new ports a
# MAC limit (port_default max_macs=4) the attacker's port learns 4 addresses, the rest are dropped and
# counted (drop_mac_limit), the table keeps room, and the attacker sees none of the victims' unicast
# while their ping goes on.
# timeout: 150
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq vde_plug ping python3

. "$(dirname "$0")/lib-l2.sh"

attach_rx() {
	vdectl -j port list "$1" | jq -e "[.ports[] | select(.kind == \"attach\") | .rx_frames] | add >= 5000" >/dev/null
}

# flood NET NS1 NS2 ADDR2: flush NET's table (the victims' entries aged out, say), flood it from a new
# port, then NS1 pings NS2 while the attacker counts the unicast frames for NS2 that reach it
flood() {
	local net=$1 pid
	expect_rc 0 vdectl mac flush "$net"
	bg_start -o "$WORK/attack-$net.log" setpriv --reuid $A --regid $A --groups $GS \
		"$VDECTL_BIN" -s "$SOCK" network attach "$net" -- python3 "$WORK/l2attack.py" flood 5000 "$(tap_mac "$3" t2)" 6
	pid=$BG_PID
	wait_for attach_rx "$net" || fail "the flood did not arrive: $(cat "$WORK/attack-$net.log")"
	ip netns exec "$2" ping -n -c 40 -i 0.05 -W 1 "$4" >"$WORK/ping-$net.log" 2>&1 || true
	vdectl -j port list "$net" >"$WORK/ports-$net.json"
	vdectl -j network show "$net" >"$WORK/net-$net.json"
	wait_for -t 20 pid_gone "$pid" || fail "the attacker did not finish"
	wait "$pid" 2>/dev/null || true
	SEEN=$(sed -n 's/.*stolen=\([0-9]*\).*/\1/p' "$WORK/attack-$net.log")
	[ -n "$SEEN" ] || fail "the attacker printed nothing: $(cat "$WORK/attack-$net.log")"
	RECEIVED=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/ping-$net.log")
	MACS=$(jq -r .macs "$WORK/net-$net.json")
}

l2_setup max-macs=4

flood open o1 o2 10.0.0.2
log "plain ports: table $MACS entries; the attacker saw $SEEN unicast frames between the victims; their ping: $RECEIVED of 40"
[ "$SEEN" -gt 0 ] || fail "the flood did not make a hub of a plain network (the test would prove nothing)"

flood secured s1 s2 10.0.1.2
log "secured ports: table $MACS entries; the attacker saw $SEEN unicast frames between the victims; their ping: $RECEIVED of 40"
# (the first request after the flush is for an address not learned yet: flooded once, as by any
# switch, until the victim answers; on the plain network every one of the 40 is)
[ "$SEEN" -le 1 ] || fail "the attacker saw $SEEN of the victims' frames on a secured network"
[ "$RECEIVED" -ge 39 ] || fail "the victims' ping suffered: $RECEIVED of 40: $(cat "$WORK/ping-secured.log")"
[ "$MACS" -lt 100 ] || fail "the attacker filled the table of a secured network: $MACS entries"
limited=$(jq '[.ports[] | select(.kind == "attach") | .drop_mac_limit] | add' "$WORK/ports-secured.json")
[ "$limited" -ge 4990 ] || fail "drop_mac_limit counted $limited of the 4996 refused sources: $(cat "$WORK/ports-secured.json")"
ip netns exec s1 ping -c 3 -i 0.2 -W 2 10.0.1.2 >/dev/null || fail "the victims' ping stopped"
kill -0 "$VDED_PID" || fail "vded died"
for pid in "${PLUG_PIDS[@]}"; do bg_kill "$pid"; done
vded_stop
log "ok"
