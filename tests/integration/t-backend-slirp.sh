#!/bin/bash
# slirp: a network with a NAT (network create --slirp). A client in a namespace gets a lease from its
# DHCP server, reaches a TCP server listening on 127.0.0.1 of the test's namespace through the gateway
# 10.0.2.2, and is reached from there through port forwards (forward add/list/remove), which persist
# across a restart. A host port in use, a duplicate and bad forwards are refused.
. "$(dirname "$0")/lib.sh"
need jq vde_plug busybox socat ping

# fetch [NS] HOST PORT: print what a TCP server at HOST:PORT sends (from namespace NS if given).
fetch() {
	local pre=()
	if [ $# -eq 3 ]; then
		pre=(ip netns exec "$1")
		shift
	fi
	"${pre[@]}" socat -t 3 -T 5 - "TCP:$1:$2" </dev/null 2>>"$WORK/fetch.log"
}

# fetch_is EXPECTED [NS] HOST PORT: for wait_for.
fetch_is() {
	local want=$1 got
	shift
	got=$(fetch "$@") || return 1
	[ "$got" = "$want" ]
}

# udp_ask HOST PORT: send one datagram, print the reply.
udp_ask() {
	echo ping | socat -t 3 -T 3 - "UDP:$1:$2" 2>>"$WORK/fetch.log"
}

udp_is() {
	[ "$(udp_ask "$2" "$3")" = "$1" ]
}

vded_start
expect_rc 0 vdectl -j network create nat --slirp
assert_json '.slirp.subnet' 10.0.2.0/24 "$OUT"
assert_json '.slirp.ipv6' false "$OUT"
expect_rc 0 vdectl -j port list nat
assert_json '[.ports[] | select(.kind == "slirp")] | length' 1 "$OUT"
expect_rc 0 vdectl network show nat
assert_contains "$OUT" "subnet 10.0.2.0/24" "human network show"

# A server on the loopback of the test's own namespace (the "host" slirp NATs to).
bg_start -o "$WORK/host-server.log" socat TCP-LISTEN:7001,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo hello-from-host'

# The client: a tap in ns1, configured by slirp's DHCP server.
netns_add ns1
plug_tap ns1 t0 nat
addr=$(dhcp_lease ns1 t0)
read -r _ router _ <"$WORK/lease-ns1"
# The first lease is the first address of the DHCP range (.15 of the default subnet).
assert_eq "$addr" 10.0.2.15 "leased address"
assert_eq "$router" 10.0.2.2 "DHCP router"
ip -n ns1 addr add "$addr/24" dev t0
ip -n ns1 route add default via "$router"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.2.2 || fail "ping to the slirp gateway failed"
wait_for fetch_is hello-from-host ns1 10.0.2.2 7001 || fail "ns1 could not reach 127.0.0.1:7001 through 10.0.2.2"
expect_rc 0 vdectl -j port list nat
assert_json '.ports[] | select(.kind == "slirp") | .rx_frames > 0 and .tx_frames > 0' true "$OUT"

# Servers inside the namespace, reached through forwards from the test's namespace.
bg_start -o "$WORK/guest-server.log" ip netns exec ns1 socat TCP-LISTEN:80,reuseaddr,fork SYSTEM:'echo hello-from-guest'
bg_start -o "$WORK/guest-udp.log" ip netns exec ns1 socat UDP-RECVFROM:5353,fork SYSTEM:'read x; echo pong-$x'
expect_rc 0 vdectl forward add nat tcp 127.0.0.1:8080 "$addr:80"
wait_for fetch_is hello-from-guest 127.0.0.1 8080 || fail "forward tcp 127.0.0.1:8080 -> $addr:80 does not work"
expect_rc 0 vdectl forward add nat udp 8053 "$addr:5353"
wait_for udp_is pong-ping 127.0.0.1 8053 || fail "forward udp 8053 -> $addr:5353 does not work"

expect_rc 0 vdectl -j forward list nat
assert_json '.forwards | length' 2 "$OUT"
assert_json '.forwards[] | select(.proto == "tcp") | .host' 127.0.0.1:8080 "$OUT"
assert_json '.forwards[] | select(.proto == "tcp") | .guest' "$addr:80" "$OUT"
# saved and listed as bound: an omitted address is 127.0.0.1
assert_json '.forwards[] | select(.proto == "udp") | .host' 127.0.0.1:8053 "$OUT"
expect_rc 0 vdectl forward list nat
assert_contains "$OUT" PROTO "human forward list header"
printf '%s\n' "$OUT" | grep -E "^tcp +127\.0\.0\.1:8080 +$addr:80\$" >/dev/null || fail "human forward list: $OUT"

# Refused: a host port in use (exit 5), the same forward twice, no slirp, malformed forwards.
bg_start -o "$WORK/busy.log" socat TCP-LISTEN:8081,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo busy'
wait_for fetch_is busy 127.0.0.1 8081 || fail "the busy server did not start"
expect_rc 5 vdectl -j forward add nat tcp 127.0.0.1:8081 "$addr:80"
assert_json '.error.code' exists "$OUT"
assert_contains "$ERR" 8081 "port-in-use error"
fetch_is busy 127.0.0.1 8081 || fail "the refused forward disturbed the server on 8081"
expect_rc 5 vdectl forward add nat tcp 127.0.0.1:8080 "$addr:80"
expect_rc 0 vdectl network create plain
expect_rc 2 vdectl -j forward add plain tcp 8082 10.0.2.15:80
assert_json '.error.code' invalid-params "$OUT"
expect_rc 3 vdectl forward add nope tcp 8082 10.0.2.15:80
for bad in "8082 10.0.2.15" "0 10.0.2.15:80" "65536 10.0.2.15:80" "1.2.3:8082 10.0.2.15:80" "8082 10.0.2.15:0" \
	"8082 host:80"; do
	read -r h g <<<"$bad"
	expect_rc 2 vdectl -j forward add nat tcp "$h" "$g"
	assert_json '.error.code' invalid-params "$OUT"
done
expect_rc 2 vdectl forward add nat sctp 8082 10.0.2.15:80
expect_rc 2 vdectl forward add nat tcp 8082
expect_rc 0 vdectl -j forward list nat
assert_json '.forwards | length' 2 "$OUT"

# Persistence: the forwards come back with the network.
vded_stop
jq -e '.forwards | length == 2' "$STATE/networks/nat.json" >/dev/null ||
	fail "forwards not saved: $(cat "$STATE/networks/nat.json")"
vded_start
expect_rc 0 vdectl -j forward list nat
assert_json '.forwards | length' 2 "$OUT"
assert_json '.forwards[] | select(.proto == "tcp") | .guest' "$addr:80" "$OUT"
plug_tap ns1 t0 nat "$addr/24"
ip -n ns1 route replace default via 10.0.2.2
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.2.2 || fail "ping to the gateway after a restart failed"
wait_for fetch_is hello-from-guest 127.0.0.1 8080 || fail "the tcp forward does not work after a restart"
wait_for udp_is pong-ping 127.0.0.1 8053 || fail "the udp forward does not work after a restart"

# forward remove: the host port is released.
expect_rc 0 vdectl forward remove nat tcp 127.0.0.1:8080
fetch 127.0.0.1 8080 >/dev/null && fail "127.0.0.1:8080 still answers after forward remove"
expect_rc 3 vdectl forward remove nat tcp 127.0.0.1:8080
expect_rc 0 vdectl forward remove nat tcp 127.0.0.1:8080 --missing-ok
expect_rc 2 vdectl forward remove nat icmp 8080
expect_rc 0 vdectl -j forward list nat
assert_json '.forwards | length' 1 "$OUT"
assert_json '.forwards[0].proto' udp "$OUT"
# The freed port can be forwarded again (to another guest port), and the removal persists.
expect_rc 0 vdectl forward add nat tcp 127.0.0.1:8080 "$addr:80"
expect_rc 0 vdectl forward remove nat tcp 127.0.0.1:8080
vded_stop
vded_start
expect_rc 0 vdectl -j forward list nat
assert_json '[.forwards[].proto] | join(",")' udp "$OUT"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
