#!/bin/bash
# The VDE4 slides' "virtual demo", end to end with vded doing the privileged parts:
#   gateway: a tap made by vded (tap add gw tapgw 10.0.0.1/24) in the test's namespace (the "host");
#   router:  a namespace made by vded on networks gw, v1 (vxvde 234.0.0.1) and v2 (vxvde 234.0.0.2),
#            vde0 10.0.0.2/24, vde1 10.10.10.1/24, forwarding on, NAT masquerade out of vde0;
#   node:    on "a random box of the LAN": a second vded with n1 on vxvde 234.0.0.1 and a namespace on it,
#            10.10.10.2/24 with its default route via the router.
# The node pings the gateway through the NAT, and a TCP server on the gateway sees the connection come
# from the router's 10.0.0.2, not from the node. Multicast stays inside the test's namespace.
. "$(dirname "$0")/lib.sh"
need jq ping socat
if command -v nft >/dev/null 2>&1; then
	NAT=nft
elif command -v iptables >/dev/null 2>&1; then
	NAT=iptables
else
	skip "neither nft (nftables) nor iptables installed"
fi

RUN2=/run/vde2
STATE2=$WORK/state2
SOCK2=$RUN2/vded.sock

vdectl2() {
	"$VDECTL_BIN" -s "$SOCK2" "$@"
}

# fetch_from NS HOST PORT: what a TCP server at HOST:PORT sends to a client in namespace NS.
fetch_from() {
	ip netns exec "$1" socat -t 3 -T 5 - "TCP:$2:$3" </dev/null 2>>"$WORK/fetch.log"
}

ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo

# The gateway ("set up the gateway": the tap, up, with the gateway's address).
vded_start
expect_rc 0 vdectl network create gw
expect_rc 0 vdectl network create v1 --vxvde 234.0.0.1
expect_rc 0 vdectl network create v2 --vxvde 234.0.0.2
expect_rc 0 vdectl tap add gw tapgw --address 10.0.0.1/24 --up

# The router ("vdens --multi tap://tapr vxvde://234.0.0.1 vxvde://234.0.0.2").
expect_rc 0 vdectl ns create router --net gw,v1,v2
expect_rc 0 vdectl ns exec router ip addr add 10.0.0.2/24 dev vde0
expect_rc 0 vdectl ns exec router ip addr add 10.10.10.1/24 dev vde1
expect_rc 0 vdectl ns exec router sysctl -qw net.ipv4.ip_forward=1
if [ "$NAT" = nft ]; then
	expect_rc 0 vdectl ns exec router nft add table ip nat
	expect_rc 0 vdectl ns exec router nft 'add chain ip nat postrouting { type nat hook postrouting priority 100 ; }'
	expect_rc 0 vdectl ns exec router nft add rule ip nat postrouting oifname vde0 masquerade
else
	expect_rc 0 vdectl ns exec router iptables -t nat -A POSTROUTING -o vde0 -j MASQUERADE
fi
expect_rc 0 vdectl ns exec router ip -j addr
assert_json '[.[] | select(.ifname == "vde0") | .addr_info[] | select(.local == "10.0.0.2")] | length' 1 "$OUT"
assert_json '[.[] | select(.ifname == "vde1") | .addr_info[] | select(.local == "10.10.10.1")] | length' 1 "$OUT"
assert_json '[.[] | select(.ifname == "vde2")] | length' 1 "$OUT"
ip netns exec router ping -c 2 -i 0.2 -W 3 10.0.0.1 || fail "router -> gateway ping failed"

# The node, on another "box": a second vded, its own vxvde network on 234.0.0.1, a namespace on it.
mkdir -p "$STATE2"
bg_start -o "$WORK/vded2.log" "$VDED_BIN" -F -v --run-dir "$RUN2" --state-dir "$STATE2" -S "$SOCK2"
vded2_pid=$BG_PID
wait_for vdectl2 daemon info || fail "second vded did not start"
expect_rc 0 vdectl2 network create n1 --vxvde 234.0.0.1
expect_rc 0 vdectl2 ns create node --net n1
expect_rc 0 vdectl2 ns exec node ip addr add 10.10.10.2/24 dev vde0
expect_rc 0 vdectl2 ns exec node ip route add default via 10.10.10.1

ip netns exec node ping -c 3 -i 0.2 -W 3 10.10.10.1 || fail "node -> router over vxvde 234.0.0.1 failed"
ip netns exec node ping -c 3 -i 0.2 -W 3 10.0.0.1 || fail "node -> gateway through the router's NAT failed"

# Who the gateway sees: a server on 10.0.0.1 prints its peer's address.
bg_start -o "$WORK/gw-server.log" socat TCP-LISTEN:7777,bind=10.0.0.1,reuseaddr,fork SYSTEM:'echo peer=$SOCAT_PEERADDR'
wait_for fetch_from router 10.0.0.1 7777 || fail "the gateway's server did not start"
assert_eq "$(fetch_from router 10.0.0.1 7777)" peer=10.0.0.2 "peer of the router itself"
assert_eq "$(fetch_from node 10.0.0.1 7777)" peer=10.0.0.2 "peer of the node, NATed by the router"
# The gateway has no route to 10.10.10.0/24: without the NAT the node would not get an answer.
ip route get 10.10.10.2 2>/dev/null | grep -q 'dev tapgw' && fail "the gateway routes 10.10.10.0/24 itself"

# The data went where the demo says: the router's vde1 port on v1 carried the node's traffic, the
# tap's port on gw the NATed traffic, and v2 (the router's spare vde2) stayed out of it.
expect_rc 0 vdectl -j port list v1
assert_json '.ports[] | select(.kind == "vxvde") | .rx_frames > 0 and .tx_frames > 0' true "$OUT"
assert_json '.ports[] | select(.kind == "tap" and .netns == "router") | .ifname' vde1 "$OUT"
expect_rc 0 vdectl -j port list gw
assert_json '.ports[] | select(.kind == "tap" and .ifname == "tapgw") | .rx_frames >= 6' true "$OUT"
expect_rc 0 vdectl -j mac list v1
node_mac=$(ip -n node -j link show vde0 | jq -r '.[0].address')
assert_json "[.macs[] | select(.mac == \"$node_mac\")] | length" 1 "$OUT"

kill -0 "$VDED_PID" || fail "vded died"
kill -0 "$vded2_pid" || fail "second vded died"
expect_rc 0 vdectl2 ns delete node
expect_rc 0 vdectl ns delete router
bg_kill "$vded2_pid"
vded_stop
log "ok"
