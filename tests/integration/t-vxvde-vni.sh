#!/bin/bash
# vxvde: the VNI separates networks on one group. Two daemons share "lab" (VNI 1) on a group over lo;
# the second also has "other" on the same group with VNI 2, which sees none of lab's traffic. Then the
# first daemon puts a client on "other" too, and the second daemon's "other" does receive that: the
# silence before was the VNI's doing, not a dead port.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-vxvde.sh"
need jq vde_plug ping

vxvde_lo_multicast
vded_start
vded2_start
expect_rc 0 vdectl network create lab --vxvde "$GROUP"
expect_rc 0 vdectl2 network create lab --vxvde "$GROUP" --vni 1
expect_rc 0 vdectl2 -j network create other --vxvde "$GROUP" --vni 2
assert_json '.vxvde.vni' 2 "$OUT"

netns_add ns1
netns_add ns2
plug "$RUN" ns1 t1 lab 10.8.0.1/24
plug "$RUN2" ns2 t2 lab 10.8.0.2/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.8.0.2 || fail "ns1 -> ns2 over vxvde failed"
ip netns exec ns1 ping -c 3 -i 0.2 -W 1 -b 10.8.0.255 >/dev/null 2>&1 || true
assert_json '.rx_frames >= 6' true "$(vxvde_port_json vdectl2 lab)"
assert_json '.rx_frames' 0 "$(vxvde_port_json vdectl2 other)"

# The same group and VNI 2 on the first daemon: its client's broadcasts reach the second's "other".
expect_rc 0 vdectl network create other --vxvde "$GROUP" --vni 2
netns_add ns3
plug "$RUN" ns3 t3 other 10.7.0.1/24
ip netns exec ns3 ping -c 3 -i 0.2 -W 1 10.7.0.2 >/dev/null 2>&1 || true
assert_json '.rx_frames >= 3' true "$(vxvde_port_json vdectl2 other)"
kill -0 "$VDED_PID" || fail "vded died"
kill -0 "$VDED2_PID" || fail "second vded died"
vded_stop
vded2_stop
log "ok"
