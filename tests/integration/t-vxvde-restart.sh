#!/bin/bash
# vxvde persistence: network "lab" on a group (two daemons over lo) is saved with its group, and after a
# restart of the first daemon it is back on the group with its vxvde port and carries traffic again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-vxvde.sh"
need jq vde_plug ping

vxvde_lo_multicast
vded_start
vded2_start
expect_rc 0 vdectl network create lab --vxvde "$GROUP"
expect_rc 0 vdectl2 network create lab --vxvde "$GROUP"
netns_add ns1
netns_add ns2
plug "$RUN" ns1 t1 lab 10.8.0.1/24
plug "$RUN2" ns2 t2 lab 10.8.0.2/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.8.0.2 || fail "ns1 -> ns2 over vxvde failed"

vded_stop
jq -e '.vxvde == "'"$GROUP"'"' "$STATE/networks/lab.json" >/dev/null || fail "vxvde not saved: $(cat "$STATE/networks/lab.json")"
vded_start
expect_rc 0 vdectl -j network show lab
assert_json '.vxvde.group' "$GROUP" "$OUT"
assert_json '[.port_list[] | select(.kind == "vxvde")] | length' 1 "$OUT"
plug "$RUN" ns1 t1 lab 10.8.0.1/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.8.0.2 || fail "ns1 -> ns2 over vxvde after a restart failed"
assert_json '.rx_frames >= 3 and .tx_frames >= 3' true "$(vxvde_port_json vdectl lab)"
kill -0 "$VDED2_PID" || fail "second vded died"
vded_stop
vded2_stop
log "ok"
