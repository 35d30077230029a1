#!/bin/bash
# timeout: 300
# A cloud where multicast cannot go: 20 hosts (namespaces, each with its own vded) on one bridge that
# drops every IPv4 multicast datagram (nftables, bridge family). Host 1 is the seed (network "cloud"
# with --peer-port 14790); every other host names only the seed (--peer 10.250.0.1). Peer announcements
# make the full mesh: every host learns the 18 others from the seed, and the first ping from every host
# to every other (380 pairs) succeeds, carried by unicast alone (the bridge's filter counts the group
# datagrams it dropped). A forged announcement naming an address off the hosts' link (and loopback) is
# not taken; a network set --peer replaces the configured peers.
[ -n "${VDE_TEST_IN_NS:-}" ] || exec 7</proc/self/ns/net
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-cloud.sh"
need jq ping nsenter setpriv /usr/bin/python3

N=20
cloud_neigh_room "$N"
cloud_bridge
cloud_mcast_filter
for ((h = 1; h <= N; h++)); do
	cloud_host "$h"
done
seed=$(cloud_ip 10.250 1)
for ((h = 1; h <= N; h++)); do
	cloud_wait "$h"
	if [ "$h" -eq 1 ]; then
		cloud_net 1 --vxvde 239.5.5.5 --peer-port 14790
	else
		cloud_net "$h" --vxvde 239.5.5.5 --peer "$seed"
	fi
done
for ((h = 1; h <= N; h++)); do
	wait_for ip -n "c$h" link show vx0 || fail "no tap on host $h"
done
meshed() {
	local h
	for ((h = 1; h <= N; h++)); do
		[ "$(cloud_vxvde_port "$h" | jq '.vxvde.peers | length')" = $((N - 1)) ] || return 1
	done
}
wait_for -t 60 meshed || fail "the peers did not all learn each other: $(for ((h = 1; h <= N; h++)); do cloud_vxvde_port "$h" | jq -c '{h: '"$h"', peers: (.vxvde.peers | length), ann: .vxvde.rx_announce, refused: .vxvde.rx_announce_refused, prefused: .vxvde.peers_refused}'; done)"
cloud_ctl 2 -j network show cloud >"$WORK/show2"
assert_json '.vxvde.peers | join(",")' "$seed" "$(cat "$WORK/show2")"
assert_json '.vxvde.keyed' false "$(cat "$WORK/show2")"
p=$(cloud_vxvde_port 2)
assert_json "[.vxvde.peers[] | select(.configured)] | length" 1 "$p"
assert_json "[.vxvde.peers[] | select(.configured)][0].address" "$seed:14790" "$p"

cloud_allpairs "$N"
[ "$CLOUD_FAILED" -eq 0 ] || fail "$CLOUD_FAILED of $CLOUD_PAIRS first pings failed:$CLOUD_FAILS"
log "$CLOUD_PAIRS of $CLOUD_PAIRS first pings answered over unicast peers"
dropped=$(cloud_mcast_dropped)
[ "$dropped" -gt 0 ] || fail "the bridge dropped no multicast: the test did not test peers"
log "the bridge dropped $dropped multicast datagrams"
p=$(cloud_vxvde_port 2)
assert_json '.vxvde.tx_peer > 0' true "$p"

# A forged announcement to host 2 by an unprivileged user on an on-link host (host 3, uid 1001): it
# names 198.51.100.9 (off every host's link) and 127.0.0.1:53 (a service of host 2). Neither becomes a
# peer, the sender itself is taken (it is on the link: without a key that is the scope), and a runt
# announcement is counted as refused.
p=$(cloud_vxvde_port 2)
port2=$(json_get '.vxvde.local_port' "$p")
refused0=$(json_get '.vxvde.peers_refused' "$p")
bad0=$(json_get '.vxvde.rx_announce_refused' "$p")
ip netns exec c3 setpriv --reuid 1001 --regid 1001 --clear-groups /usr/bin/python3 - "$(cloud_ip 10.250 2)" "$port2" <<'PY'
import socket, sys
def entry(a, port):
    return bytes(10) + b'\xff\xff' + socket.inet_aton(a) + port.to_bytes(2, 'big')
ann = b'VXP\x01' + (1).to_bytes(3, 'big') + bytes([2]) + entry('198.51.100.9', 14790) + entry('127.0.0.1', 53)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(ann, (sys.argv[1], int(sys.argv[2])))
s.sendto(ann[:9], (sys.argv[1], int(sys.argv[2])))
PY
forged_seen() {
	local p
	p=$(cloud_vxvde_port 2)
	[ "$(json_get '.vxvde.peers_refused' "$p")" -ge $((refused0 + 2)) ] &&
		[ "$(json_get '.vxvde.rx_announce_refused' "$p")" -ge $((bad0 + 1)) ]
}
wait_for -t 5 forged_seen || fail "host 2 did not refuse the forged peers: $(cloud_vxvde_port 2)"
p=$(cloud_vxvde_port 2)
assert_json '[.vxvde.peers[].address | select(startswith("198.51.100.") or startswith("127."))] | length' 0 "$p"
ip netns exec c2 ping -c1 -W2 -q "$(cloud_ip 10.251 4)" >/dev/null || fail "host 2 lost its traffic after the forged announcement"

# network set --peer replaces the configured peers (admins only: the test is root); host 2 then has
# host 3 as its configured peer, the seed as a learned one.
expect_rc 0 cloud_ctl 2 network set cloud --peer "$(cloud_ip 10.250 3)"
p=$(cloud_vxvde_port 2)
assert_json '[.vxvde.peers[] | select(.configured)][0].address' "$(cloud_ip 10.250 3):14790" "$p"
assert_json '[.vxvde.peers[] | select(.configured)] | length' 1 "$p"
expect_rc 0 cloud_ctl 2 -j network show cloud
assert_json '.vxvde.peers | join(",")' "$(cloud_ip 10.250 3)" "$OUT"
expect_rc 2 cloud_ctl 2 network set cloud --peer 239.1.1.1
# The configured peer is kept with the definition: after a restart, host 5 finds the mesh again from
# its seed alone and reaches every other host.
cloud_restart 5
wait_for -t 10 ip -n c5 link show vx0 || fail "host 5's tap did not come back"
assert_json '[.vxvde.peers[] | select(.configured)][0].address' "$seed:14790" "$(cloud_vxvde_port 5)"
host5_meshed() { [ "$(cloud_vxvde_port 5 | jq '.vxvde.peers | length')" -ge $((N - 1)) ]; }
wait_for -t 30 host5_meshed || fail "host 5 did not learn the mesh again: $(cloud_vxvde_port 5)"
for t in 1 2 20; do
	wait_for -t 5 ip netns exec c5 ping -c1 -W2 -q "$(cloud_ip 10.251 "$t")" || fail "host 5 cannot reach host $t after its restart"
done
for ((h = 1; h <= N; h++)); do
	kill -0 "${CLOUD_PIDS[$h]}" || fail "vded of host $h died"
done
log "ok"
