#!/bin/bash
# A namespace's addresses and default route are part of its definition (ns create --address
# [vdeN=]CIDR, --gateway [vdeN=]IP): its interfaces come up with them, ns list shows them, they
# survive an upgrade in place (the links are kept) and come back when the namespace has to be made
# anew (after a reboot: /run/netns emptied).
. "$(dirname "$0")/lib.sh"
need jq ping

vded_start
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl network create side
expect_rc 0 vdectl ns create r1 --net lab --address 10.7.0.1/24 --address fd07::1/64 --gateway 10.7.0.2
expect_rc 0 vdectl ns create r2 --net side,lab --address vde1=10.7.0.2/24 --address vde0=10.8.0.2/24
# refused: an interface the namespace does not have, and what is not an address
expect_rc 2 vdectl ns create r3 --net lab --address vde1=10.7.0.3/24
assert_contains "$ERR" "vde1=10.7.0.3/24" "the message names the bad value"
expect_rc 2 vdectl ns create r3 --net lab --address 10.7.0.3
expect_rc 2 vdectl ns create r3 --net lab --address vde=10.7.0.3/24
expect_rc 2 vdectl ns create r3 --net lab --address 10.7.0.3/24 --gateway 10.7.0.0/24
expect_rc 2 vdectl ns create r3 --net lab --address 10.7.0.3/24 --gateway vde1=10.7.0.1
ip netns list | grep -q '^r3' && fail "a refused namespace was made"

addr_of() {
	ip -n "$1" -j addr show dev "$2" | jq -r '[.[0].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] | sort | join(" ")'
}
assert_eq "$(addr_of r1 vde0)" "10.7.0.1/24 fd07::1/64" "r1's vde0"
route_of() {
	ip -n "$1" -j route show default | jq -r '.[0] | "\(.gateway) \(.dev)"'
}
assert_eq "$(route_of r1)" "10.7.0.2 vde0" "r1's default route"
assert_eq "$(addr_of r2 vde1)" "10.7.0.2/24" "r2's vde1"
assert_eq "$(addr_of r2 vde0)" "10.8.0.2/24" "r2's vde0"
reach() {
	ip netns exec r1 ping -c 1 -W 2 10.7.0.2 >/dev/null
}
wait_for reach || fail "r1 -> r2 with the defined addresses: $(vdectl port list lab)"
expect_rc 0 vdectl -j ns list
assert_json '.namespaces[] | select(.name == "r2") | .interfaces[1].addresses | join(" ")' "10.7.0.2/24" "$OUT"

# an upgrade in place keeps the links, so the addresses never go
expect_rc 0 vdectl daemon upgrade
wait_for vdectl daemon info || fail "vded did not come back"
assert_eq "$(addr_of r1 vde0)" "10.7.0.1/24 fd07::1/64" "r1's vde0 after an upgrade"
assert_eq "$(route_of r1)" "10.7.0.2 vde0" "r1's default route after an upgrade"

# a reboot, as far as vded can tell: vded stops, the namespaces are gone; they come back with them
vded_stop
ip netns del r1
ip netns del r2
vded_start
wait_for ip netns exec r1 true || fail "r1 was not made again"
assert_eq "$(addr_of r1 vde0)" "10.7.0.1/24 fd07::1/64" "r1's vde0 made anew"
assert_eq "$(route_of r1)" "10.7.0.2 vde0" "r1's default route made anew"
assert_eq "$(addr_of r2 vde1)" "10.7.0.2/24" "r2's vde1 made anew"
wait_for reach || fail "r1 -> r2 after the namespaces were made anew"
expect_rc 0 vdectl ns delete r1
expect_rc 0 vdectl ns delete r2

# a definition that cannot come back (its network is gone) is still deleted by ns delete
expect_rc 0 vdectl network create gone
expect_rc 0 vdectl ns create r9 --net gone --address 10.9.9.9/24
expect_rc 0 vdectl network delete gone
vded_stop
vded_start
grep -q "namespace r9: not re-established" "$WORK/vded.log" || fail "r9 should not have come back"
[ -e "$STATE/namespaces/r9.json" ] || fail "r9's definition is already gone"
expect_rc 0 vdectl ns delete r9
[ -e "$STATE/namespaces/r9.json" ] && fail "ns delete left r9's stale definition"
expect_rc 3 vdectl ns delete r9
vded_stop
log "ok"
