#!/bin/bash
# Our slirp:// module in our vde_plug and library: `vde_plug slirp:///OPTS = ip netns exec guest
# vde_plug tap://t0` (the guest's plug is Debian's, in stream mode). The guest gets 10.0.2.15 by
# DHCP with 10.0.2.2 as router, reaches a TCP server bound to 127.0.0.1 in the test's namespace
# through the NAT (10.0.2.2 is the host's loopback), and the forwards work: tcpfwd and udpfwd from
# the host's loopback into the guest, cmdfwd from the guest to a command.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug busybox socat
PLUG=$BDIR/bin/vde_plug
[ -x "$PLUG" ] || skip "our vde_plug is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_slirp.so" ] || fail "our slirp module is not built"

netns_add guest
bg_start -o "$WORK/server.log" socat TCP-LISTEN:7777,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo nat-ok'
wait_for socat -u TCP:127.0.0.1:7777 - || fail "the host-side server did not start"

opts="tcpfwd=127.0.0.1:8022:10.0.2.15:2222/udpfwd=127.0.0.1:8053:10.0.2.15:5353"
opts="$opts/cmdfwd=10.0.2.5:7000:echo cmd-ok,7001:echo second-ok/verbose"
bg_start -o "$WORK/slirp.log" env LD_LIBRARY_PATH="$BDIR/lib" "$PLUG" "slirp:///$opts" = \
	env -u LD_LIBRARY_PATH ip netns exec guest vde_plug tap://t0
wait_for ip -n guest link show t0 || fail "no t0 in the guest: $(cat "$WORK/slirp.log")"
ip -n guest link set t0 up
addr=$(dhcp_lease guest t0)
assert_eq "$addr" 10.0.2.15 "leased address"
read -r _ router _ <"$WORK/lease-guest"
assert_eq "$router" 10.0.2.2 "router"
ip -n guest addr add "$addr/24" dev t0
ip -n guest route add default via 10.0.2.2

out=$(ip netns exec guest socat -T 5 -u TCP:10.0.2.2:7777 -) || fail "guest could not connect to 10.0.2.2:7777"
assert_eq "$out" nat-ok "reply through the NAT"

out=$(ip netns exec guest socat -T 5 -u TCP:10.0.2.5:7000 -) || fail "cmdfwd 10.0.2.5:7000 refused"
assert_eq "$out" cmd-ok "cmdfwd reply"
# No address: libslirp's default guest-forward address, the network's .4.
out=$(ip netns exec guest socat -T 5 -u TCP:10.0.2.4:7001 -) || fail "cmdfwd 7001 refused"
assert_eq "$out" second-ok "cmdfwd (default address) reply"

bg_start -o "$WORK/gserver.log" ip netns exec guest socat TCP-LISTEN:2222,bind=10.0.2.15,reuseaddr SYSTEM:'echo fwd-ok'
wait_for ip netns exec guest ss -Hltn 'sport = :2222' || true
out=$(socat -T 5 -u TCP:127.0.0.1:8022 -) || fail "tcpfwd 127.0.0.1:8022 refused"
assert_eq "$out" fwd-ok "tcpfwd reply"

bg_start -o "$WORK/udp.log" ip netns exec guest socat -u UDP-RECV:5353,bind=10.0.2.15 "OPEN:$WORK/udp.out,creat"
wait_for ip netns exec guest ss -Hlun 'sport = :5353' || true
for _ in 1 2 3; do
	echo udp-ok | socat -u - UDP:127.0.0.1:8053
	wait_for -t 2 grep -q udp-ok "$WORK/udp.out" && break
done
grep -q udp-ok "$WORK/udp.out" || fail "udpfwd did not deliver"
grep -q 'slirp: ipv4 on host 10.0.2.2' "$WORK/slirp.log" || fail "verbose printed no configuration"
log "ok"
