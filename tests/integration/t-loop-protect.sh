#!/bin/bash
# Loop protection (V8): the two ends of a veth pair taken as two ports of one network make a loop
# (what the network floods to one end comes back in at the other). Without protection one broadcast
# circles for ever (a storm: frames/s are logged); with port_default loop-protect the looping ports
# are shut within a second of the first broadcast (loop_shutdowns, logged), the storm stops, and the
# namespaces on the network keep talking. Once the loop is gone, the port opens again after its hold
# time and carries traffic.
# timeout: 90
. "$(dirname "$0")/lib.sh"
need jq ping

rx_total() {	# frames vded received from the ports of net $1 whose kind is interface
	vdectl -j port list "$1" | jq '[.ports[] | select(.kind == "interface") | .rx_frames] | add // 0'
}
shutdowns() {
	vdectl -j port list "$1" | jq '[.ports[] | .loop_shutdowns] | add // 0'
}
shut_some() { [ "$(shutdowns "$1")" -gt 0 ]; }
open_all() { vdectl -j port list "$1" | jq -e '[.ports[] | select(has("shut"))] | length == 0' >/dev/null; }
broadcast() {	# one ARP request from ns1 (its neighbour cache flushed)
	ip -n ns1 neigh flush all
	ip netns exec ns1 ping -c 1 -W 1 10.8.0.2 >/dev/null 2>&1 || true
}

vded_start
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl ns create ns1 --net lab
expect_rc 0 vdectl ns create ns2 --net lab
for ns in ns1 ns2; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
ip -n ns1 addr add 10.8.0.1/24 dev vde0
ip -n ns2 addr add 10.8.0.2/24 dev vde0
ip netns exec ns1 ping -c 2 -i 0.2 -W 2 10.8.0.2 >/dev/null || fail "no ping before the loop"

# before: no protection, one broadcast, one second
ip link add la type veth peer name lb
expect_rc 0 vdectl port add lab la
expect_rc 0 vdectl port add lab lb
before=$(rx_total lab)
broadcast
sleep 1
storm=$(( $(rx_total lab) - before ))
expect_rc 0 vdectl port remove lab lb
log "without loop protection: $storm frames came back through the loop in about a second"
[ "$storm" -gt 1000 ] || fail "the loop made no storm ($storm frames): the test would prove nothing"
expect_rc 0 vdectl port remove lab la
ip netns exec ns1 ping -c 2 -i 0.2 -W 2 10.8.0.2 >/dev/null || fail "no ping after the storm"

# with protection: the ports of the loop are shut at once (and a monitor hears of it)
expect_rc 0 vdectl network set lab --port-default loop-protect=on --port-default loop-hold=3
bg_start -o "$WORK/monitor.json" "$VDECTL_BIN" -s "$SOCK" -j monitor lab
monitor=$BG_PID
wait_for sh -c "[ -s '$WORK/monitor.json' ]" || fail "the monitor did not start"
expect_rc 0 vdectl port add lab la
expect_rc 0 vdectl port add lab lb
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "interface") | .switch.loop_protect] | all' true "$OUT"
before=$(rx_total lab)
broadcast
wait_for -t 1 shut_some lab || fail "no looping port shut within a second: $(vdectl -j port list lab)"
a=$(rx_total lab)
sleep 0.5
b=$(rx_total lab)
log "with loop protection: $((a - before)) frames through the loop before it was shut, $((b - a)) in the next 0.5 s"
[ $((b - a)) -lt 50 ] || fail "the storm goes on: $((b - a)) frames in 0.5 s"
grep -q "sends back frames flooded to it" "$WORK/vded.log" || fail "the shutdown was not logged"
expect_rc 0 vdectl -j port list lab
dl=$(json_get '[.ports[] | .drop_loop] | add' "$OUT")
[ "$dl" -gt 0 ] || fail "no drop_loop counted: $OUT"
ip netns exec ns1 ping -c 3 -i 0.2 -W 2 10.8.0.2 >/dev/null || fail "the network stopped while the loop was shut"
wait_for sh -c "tail -n +2 '$WORK/monitor.json' | jq -e 'select(.event.kind == \"port\" and .event.action == \"state\") | .event' | grep -q shut" ||
	fail "no port event told the shutdown: $(cat "$WORK/monitor.json")"
bg_kill "$monitor"

# the loop goes; after the hold time the remaining port is open again and carries frames
expect_rc 0 vdectl port remove lab lb
wait_for -t 8 open_all lab || fail "the port did not open again after its hold time: $(vdectl -j port list lab)"
tx0=$(vdectl -j port list lab | jq '.ports[] | select(.kind == "interface") | .tx_frames')
broadcast
tx1=$(vdectl -j port list lab | jq '.ports[] | select(.kind == "interface") | .tx_frames')
[ "$tx1" -gt "$tx0" ] || fail "the reopened port carries nothing ($tx0 -> $tx1)"
ip netns exec ns1 ping -c 3 -i 0.2 -W 2 10.8.0.2 >/dev/null || fail "no ping after the loop"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
