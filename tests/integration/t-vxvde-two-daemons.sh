#!/bin/bash
# vxvde between two daemons: two vded instances in the test's namespace put network "lab" on one IPv4
# multicast group over lo; a client of each (Debian's vde_plug in ns1 and ns2) pings the other across,
# 1500-byte frames pass, the counters move, and each side learns the other's MAC on its vxvde port.
# Deleting the network on one side leaves the other on the group.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-vxvde.sh"
need jq vde_plug ping

vxvde_lo_multicast
vded_start
vded2_start
expect_rc 0 vdectl -j network create lab --vxvde "$GROUP"
assert_json '.vxvde.group' "$GROUP" "$OUT"
assert_json '.vxvde.vni' 1 "$OUT"
assert_json '.vxvde.ttl' 1 "$OUT"
expect_rc 0 vdectl2 network create lab --vxvde "$GROUP:14789" --vni 1 --ttl 1
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "vxvde")] | length' 1 "$OUT"
expect_rc 0 vdectl network show lab
assert_contains "$OUT" "$GROUP vni 1 ttl 1" "human network show"

netns_add ns1
netns_add ns2
plug "$RUN" ns1 t1 lab 10.8.0.1/24
plug "$RUN2" ns2 t2 lab 10.8.0.2/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.8.0.2 || fail "ns1 -> ns2 over vxvde failed"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.8.0.1 || fail "ns2 -> ns1 over vxvde failed"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 -M do -s 1472 10.8.0.2 || fail "1500-byte ping over vxvde failed"
for ctl in vdectl vdectl2; do
	p=$(vxvde_port_json "$ctl" lab)
	assert_json '.rx_frames >= 5 and .tx_frames >= 5' true "$p"
	assert_json '.rx_errors' 0 "$p"
done

# Each side learned the other's MAC on its vxvde port.
mac1=$(tap_mac ns1 t1)
mac2=$(tap_mac ns2 t2)
vxport=$(vxvde_port_id vdectl lab)
vxport2=$(vxvde_port_id vdectl2 lab)
expect_rc 0 vdectl -j mac list lab
assert_json ".macs[] | select(.mac == \"$mac2\") | .port" "$vxport" "$OUT"
expect_rc 0 vdectl2 -j mac list lab
assert_json ".macs[] | select(.mac == \"$mac1\") | .port" "$vxport2" "$OUT"

# Deleting the network leaves the group: the other side keeps its network and its vxvde port.
expect_rc 0 vdectl network delete lab
expect_rc 3 vdectl network show lab
expect_rc 0 vdectl2 -j port list lab
assert_json '[.ports[] | select(.kind == "vxvde")] | length' 1 "$OUT"
kill -0 "$VDED_PID" || fail "vded died"
kill -0 "$VDED2_PID" || fail "second vded died"
vded_stop
vded2_stop
log "ok"
