#!/bin/bash
# vxvde over IPv6: a veth pair inside the test's namespace (IPv6 multicast does not loop over lo alone),
# one daemon joined to an ff05:: group on each end; a client of each pings the other across.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-vxvde.sh"
need jq vde_plug ping

vded_start
vded2_start
ip link add vx6a type veth peer name vx6b
sysctl -qw net.ipv6.conf.vx6a.accept_dad=0 net.ipv6.conf.vx6b.accept_dad=0 || true
ip link set vx6a up
ip link set vx6b up
ip addr add fd77::1/64 dev vx6a nodad
ip addr add fd77::2/64 dev vx6b nodad
expect_rc 0 vdectl -j network create lab6 --vxvde "[ff05:77::1]:14790" --interface vx6a
assert_json '.vxvde.group' '[ff05:77::1]:14790' "$OUT"
expect_rc 0 vdectl2 network create lab6 --vxvde "[ff05:77::1]:14790" --interface vx6b
netns_add ns1
netns_add ns2
plug "$RUN" ns1 u1 lab6 10.6.0.1/24
plug "$RUN2" ns2 u2 lab6 10.6.0.2/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.6.0.2 || fail "ns1 -> ns2 over IPv6 vxvde failed"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.6.0.1 || fail "ns2 -> ns1 over IPv6 vxvde failed"
for ctl in vdectl vdectl2; do
	p=$(vxvde_port_json "$ctl" lab6)
	assert_json '.rx_frames >= 3 and .tx_frames >= 3' true "$p"
	assert_json '.rx_errors' 0 "$p"
done
kill -0 "$VDED_PID" || fail "vded died"
kill -0 "$VDED2_PID" || fail "second vded died"
vded_stop
vded2_stop
log "ok"
