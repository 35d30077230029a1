#!/bin/bash
# vxvde wire interop: Debian's own vxvde:// module (vdeplug4) joins the group that two vded instances
# use for network "lab" (over lo), with a tap in the test's namespace; it reaches a client of each
# daemon (Debian's vde_plug in ns1 and ns2) and is reached from them.
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

bg_start -o "$WORK/plug-vxvde.log" vde_plug "vxvde://$GROUP" tap://t3
plug3=$BG_PID
wait_for ip link show t3 || fail "vde_plug vxvde:// did not create t3"
ip link set t3 up
ip addr add 10.8.0.3/24 dev t3
ping -c 3 -i 0.2 -W 3 10.8.0.1 || fail "vdeplug4 vxvde -> ns1 failed"
ping -c 3 -i 0.2 -W 3 10.8.0.2 || fail "vdeplug4 vxvde -> ns2 failed"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.8.0.3 || fail "ns1 -> vdeplug4 vxvde failed"
ip netns exec ns2 ping -c 2 -i 0.2 -W 3 10.8.0.3 || fail "ns2 -> vdeplug4 vxvde failed"
# vded learned Debian's tap on its vxvde port.
mac3=$(ip -j link show t3 | jq -r '.[0].address')
vxport=$(vxvde_port_id vdectl lab)
expect_rc 0 vdectl -j mac list lab
assert_json ".macs[] | select(.mac == \"$mac3\") | .port" "$vxport" "$OUT"
assert_json '.rx_errors' 0 "$(vxvde_port_json vdectl lab)"
bg_kill "$plug3"
ip link del t3 2>/dev/null || true
kill -0 "$VDED_PID" || fail "vded died"
kill -0 "$VDED2_PID" || fail "second vded died"
vded_stop
vded2_stop
log "ok"
