#!/bin/bash
# vxvde: a daemon does not take its own multicast for a peer's. Alone on a group over lo (multicast
# loops back to the sender), vded floods a client's broadcasts to the group; they come back to its own
# socket (here, with only 127.0.0.1 on lo, from source address 0.0.0.0) and must be dropped: the
# client's MAC stays learned on the client's port, and the vxvde port receives nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-vxvde.sh"
need jq vde_plug ping

vxvde_lo_multicast
vded_start
expect_rc 0 vdectl network create lab --vxvde "$GROUP"
netns_add ns1
plug "$RUN" ns1 t1 lab 10.8.0.1/24
mac1=$(tap_mac ns1 t1)
vxvde_port_id vdectl lab >/dev/null
expect_rc 0 vdectl -j port list lab
clientport=$(json_get '[.ports[] | select(.kind != "vxvde")] | if length == 1 then .[0].id else "none" end' "$OUT")
[ "$clientport" != none ] || fail "lab should have one port besides its vxvde one: $OUT"

# Nobody answers 10.8.0.2: ns1 broadcasts ARP requests, and vded floods each to the group.
ip netns exec ns1 ping -c 3 -i 0.2 -W 1 10.8.0.2 >/dev/null 2>&1 || true
p=$(vxvde_port_json vdectl lab)
assert_json '.tx_frames >= 3' true "$p"
# Had its own multicast come back in, vded would count it received and learn mac1 on the vxvde port.
assert_json '.rx_frames' 0 "$p"
expect_rc 0 vdectl -j mac list lab
assert_json ".macs[] | select(.mac == \"$mac1\") | .port" "$clientport" "$OUT"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
