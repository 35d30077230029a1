#!/bin/bash
# Two Debian vde_plug clients (vdeplug4, the reference) join a network's vde_switch-compatible endpoint,
# each with a tap in its own namespace; they ping each other through vded. Then the port and MAC tables
# must show both endpoints with traffic counted and both tap addresses learned.
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping

vded_start
expect_rc 0 vdectl network create lab

netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
plug1=$BG_PID
plug_tap ns2 t2 lab 10.0.0.2/24
plug2=$BG_PID
mac1=$(tap_mac ns1 t1)
mac2=$(tap_mac ns2 t2)
[ "$mac1" != "$mac2" ] || fail "both taps have MAC $mac1"

ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "ns1 -> 10.0.0.2 ping failed"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.0.0.1 || fail "ns2 -> 10.0.0.1 ping failed"
# A full 1500-byte IP packet (a 1514-byte frame) passes whole.
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 -M do -s 1472 10.0.0.2 || fail "1500-byte ping failed"

expect_rc 0 vdectl -j port list lab
ports=$OUT
assert_json '.ports | length' 2 "$ports"
assert_json '[.ports[] | select(.kind == "endpoint")] | length' 2 "$ports"
assert_json '[.ports[] | select(.rx_frames > 0 and .rx_bytes > 0)] | length' 2 "$ports"
assert_json '[.ports[] | select(.tx_frames > 0 and .tx_bytes > 0)] | length' 2 "$ports"
assert_json '[.ports[] | select(.rx_errors == 0)] | length' 2 "$ports"
assert_json '[.ports[].id] | unique | length' 2 "$ports"
# Every ping went through: each side received at least the 5 requests or replies of the other.
assert_json '[.ports[] | select(.rx_frames >= 5 and .tx_frames >= 5)] | length' 2 "$ports"

expect_rc 0 vdectl -j mac list lab
macs=$OUT
for m in "$mac1" "$mac2"; do
	assert_json "[.macs[] | select(.mac == \"$m\")] | length" 1 "$macs"
	assert_json ".macs[] | select(.mac == \"$m\") | .vlan" 0 "$macs"
	port=$(json_get ".macs[] | select(.mac == \"$m\") | .port" "$macs")
	assert_json "[.ports[] | select(.id == $port)] | length" 1 "$ports"
done
p1=$(json_get ".macs[] | select(.mac == \"$mac1\") | .port" "$macs")
p2=$(json_get ".macs[] | select(.mac == \"$mac2\") | .port" "$macs")
[ "$p1" != "$p2" ] || fail "both MACs learned on port $p1"

expect_rc 0 vdectl -j network show lab
assert_json '.ports' 2 "$OUT"
assert_json '.macs >= 2' true "$OUT"
assert_json '.port_list | length' 2 "$OUT"

# Human output lists the ports too.
expect_rc 0 vdectl port list lab
[ "$(printf '%s\n' "$OUT" | grep -c endpoint)" -ge 2 ] || fail "human port list: $OUT"
expect_rc 0 vdectl mac list lab
assert_contains "$OUT" "$mac1" "human mac list"

# port detach: the client is unplugged (its control connection closes, so vde_plug exits) and its
# addresses are forgotten.
expect_rc 3 vdectl port detach lab 250
expect_rc 3 vdectl port detach nope "$p2"
expect_rc 0 vdectl port detach lab "$p2"
wait_for port_count_is lab 1 || fail "detached port still listed"
expect_rc 0 vdectl -j mac list lab
assert_json "[.macs[] | select(.mac == \"$mac2\")] | length" 0 "$OUT"
wait_for pid_gone "$plug2" || fail "vde_plug did not notice it was detached"
expect_rc 3 vdectl port detach lab "$p2"
expect_rc 0 vdectl port detach lab "$p2" --missing-ok

# Deleting a network with a client on it unplugs the client and removes the endpoint.
expect_rc 0 vdectl network delete lab
wait_for pid_gone "$plug1" || fail "vde_plug still running after its network was deleted"
[ ! -e "$RUN/net/lab" ] || fail "endpoint still exists after delete"
kill -0 "$VDED_PID" || fail "vded died"

vded_stop
log "ok"
