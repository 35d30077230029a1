#!/bin/bash
# timeout: 120
# A vded network whose uplink is a kernel VXLAN device (network create --vxlan 42 --remote ...): vded's
# parent makes vdevx42 and the network takes it as an interface port; in another namespace a plain
# kernel VXLAN device (ip link add ... type vxlan id 42), the other VTEP, carries 10.9.0.2. A namespace
# on the vded network (ns create) pings it and sends it 4 MB over TCP, checksummed on both sides.
# The device belongs to the network: network delete removes it. Only admins may make one.
. "$(dirname "$0")/lib.sh"
need jq ping socat setpriv sha256sum

GS=2100
vded_start -g "$GS"
# the underlay: a veth pair between vded's namespace and the fabric's, room for VXLAN's 50 bytes
netns_add fab
ip link add und0 mtu 1550 type veth peer name und1 mtu 1550 netns fab
ip addr add 10.77.0.1/24 dev und0
ip link set und0 up
ip -n fab addr add 10.77.0.2/24 dev und1
ip -n fab link set und1 up
ip -n fab link add vx42 mtu 1500 type vxlan id 42 remote 10.77.0.1 dstport 4789 dev und1
ip -n fab addr add 10.9.0.2/24 dev vx42
ip -n fab link set vx42 up

expect_rc 4 setpriv --reuid 1001 --regid 1001 --groups "$GS" "$VDECTL_BIN" -s "$SOCK" network create nope --vxlan 43 --remote 10.77.0.2
expect_rc 2 vdectl network create bad --vxlan 44 --remote 239.1.1.1
expect_rc 2 vdectl network create bad --remote 10.77.0.2
expect_rc 0 vdectl -j network create fab --vxlan 42 --remote 10.77.0.2 --mtu 1500
assert_json '.vxlan.vni' 42 "$OUT"
assert_json '.vxlan.ifname' vdevx42 "$OUT"
assert_json '.vxlan.dstport' 4789 "$OUT"
ip -d link show vdevx42 | grep -q "vxlan id 42" || fail "no kernel VXLAN device vdevx42: $(ip -d link show vdevx42 2>&1)"
expect_rc 0 vdectl -j port list fab
assert_json '[.ports[] | select(.ifname == "vdevx42")] | length' 1 "$OUT"
expect_rc 0 vdectl ns create cl --net fab
ip -n cl link set vde0 mtu 1500
ip -n cl addr add 10.9.0.1/24 dev vde0
ip netns exec cl ping -c 3 -i 0.2 -W 2 10.9.0.2 || fail "no ping across the VXLAN fabric"

head -c 4194304 /dev/urandom >"$WORK/blob"
want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
bg_start -o "$WORK/recv.log" ip netns exec fab sh -c "socat -u TCP-LISTEN:5001,reuseaddr - | sha256sum >'$WORK/got'"
wait_for ip netns exec fab sh -c 'ss -ltn | grep -q :5001' || fail "the receiver did not listen"
timeout 60 ip netns exec cl socat -u "FILE:$WORK/blob" TCP:10.9.0.2:5001 || fail "the 4 MB transfer failed"
wait_for -t 20 test -s "$WORK/got" || fail "the receiver got no end of stream"
assert_eq "$(cut -d' ' -f1 <"$WORK/got")" "$want" "sha256 of the 4 MB that crossed the fabric"
expect_rc 0 vdectl -j port list fab
assert_json '[.ports[] | select(.ifname == "vdevx42")][0].tx_bytes > 4000000' true "$OUT"

# A restart makes the network again from its definition and takes the device it finds (a VXLAN device
# of that name), so the fabric keeps working.
vded_stop
vded_start -g "$GS"
wait_for -t 10 ip -n cl link show vde0 || fail "the namespace's interface did not come back"
expect_rc 0 vdectl -j port list fab
assert_json '[.ports[] | select(.ifname == "vdevx42")] | length' 1 "$OUT"
ip -n cl addr show vde0 | grep -q 10.9.0.1 || ip -n cl addr add 10.9.0.1/24 dev vde0
wait_for -t 10 ip netns exec cl ping -c1 -W1 10.9.0.2 || fail "no ping across the fabric after a restart"
expect_rc 0 vdectl ns delete cl
expect_rc 0 vdectl network delete fab
! ip link show vdevx42 >/dev/null 2>&1 || fail "network delete left vdevx42"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
