#!/bin/bash
# slirp across an upgrade in place (doc/restart.md): libslirp's state is saved at the exit that
# keeps the ports and loaded by the next vded, so the DHCP leases survive (a new client does not get
# an address already leased before), the forwards still work, and the guests' own port stays.
# timeout: 180
. "$(dirname "$0")/lib.sh"
need jq socat busybox

fetch() {
	local out
	out=$(timeout 3 socat -T 2 - "TCP:$1:$2" </dev/null 2>/dev/null) && [ "$out" = "$3" ]
}

vded_start
expect_rc 0 vdectl network create nat --slirp
netns_add ns1
plug_tap ns1 t0 nat
addr1=$(dhcp_lease ns1 t0)
assert_eq "$addr1" 10.0.2.15 "the first lease"
ip -n ns1 addr add "$addr1/24" dev t0
bg_start -o "$WORK/guest-server.log" ip netns exec ns1 socat TCP-LISTEN:80,reuseaddr,fork SYSTEM:'echo hello-from-guest'
expect_rc 0 vdectl forward add nat tcp 127.0.0.1:8080 "$addr1:80"
wait_for fetch 127.0.0.1 8080 hello-from-guest || fail "the forward does not work before the upgrade"
slirp_id=$(vdectl -j port list nat | jq '.ports[] | select(.kind == "slirp") | .id')

engine=$(vdectl -j daemon info | jq .engine_pid)
other_engine() {
	vdectl -j daemon info 2>/dev/null | jq -e ".engine_pid != $engine" >/dev/null
}
expect_rc 0 vdectl daemon upgrade
wait_for other_engine || fail "vded did not come back"
grep -q "libslirp's state restored" "$WORK/vded.log" || fail "libslirp's state was not restored: $(tail -n 20 "$WORK/vded.log")"
assert_eq "$(vdectl -j port list nat | jq '.ports[] | select(.kind == "slirp") | .id')" "$slirp_id" "the slirp port's id"
wait_for fetch 127.0.0.1 8080 hello-from-guest || fail "the forward does not work after the upgrade"

# a second client: the address leased to the first is still taken
netns_add ns2
plug_tap ns2 t1 nat
addr2=$(dhcp_lease ns2 t1)
[ "$addr2" != "$addr1" ] || fail "after the upgrade the lease of $addr1 was given again"
log "leases: ns1 $addr1 before the upgrade, ns2 $addr2 after it"
# and the first client still reaches the gateway with its address
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.2.2 >/dev/null || fail "ns1 lost the gateway"
vded_stop
log "ok"
