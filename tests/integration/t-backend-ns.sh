#!/bin/bash
# ns.create: vded makes named namespaces /run/netns/NAME with vde0..N on its networks. Two of them
# ping each other; ns list shows them; vdectl ns exec runs commands inside (root only); after a
# restart of vded the links come back with the same MACs and traffic flows again; ns delete removes
# the namespace for good.
. "$(dirname "$0")/lib.sh"
need jq ping setpriv

# ns_mac NS IF: the MAC of IF inside NS.
ns_mac() {
	ip -n "$1" -j link show "$2" | jq -r '.[0].address'
}

# ns_ready NS IF: IF exists in NS and is up.
ns_ready() {
	ip -n "$1" -j link show "$2" | jq -e '.[0].flags | index("UP") != null' >/dev/null
}

vded_start
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl network create side

expect_rc 0 vdectl ns create r1 --net lab
expect_rc 0 vdectl ns create r2 --net lab,side
[ -e /run/netns/r1 ] && [ -e /run/netns/r2 ] || fail "no /run/netns/r1 or r2"
ns_ready r1 vde0 || fail "vde0 in r1 is not up"
ns_ready r2 vde0 || fail "vde0 in r2 is not up"
ns_ready r2 vde1 || fail "vde1 in r2 is not up"
ip -n r1 -j link show lo | jq -e '.[0].flags | index("UP") != null' >/dev/null || fail "lo in r1 is down"
mac1=$(ns_mac r1 vde0)
mac2=$(ns_mac r2 vde0)
mac2b=$(ns_mac r2 vde1)
[ "$mac1" != "$mac2" ] && [ "$mac2" != "$mac2b" ] || fail "MACs not distinct: $mac1 $mac2 $mac2b"

# ns list: the interfaces, their networks, MACs and ports.
expect_rc 0 vdectl -j ns list
ls=$OUT
assert_json '[.namespaces[].name] | sort | join(",")' r1,r2 "$ls"
assert_json '.namespaces[] | select(.name == "r1") | .path' /run/netns/r1 "$ls"
assert_json '.namespaces[] | select(.name == "r2") | [.interfaces[] | "\(.ifname)=\(.network)"] | join(",")' \
	vde0=lab,vde1=side "$ls"
assert_json '.namespaces[] | select(.name == "r1") | .interfaces[0].mac' "$mac1" "$ls"
assert_json '.namespaces[] | select(.name == "r2") | .interfaces[1].mac' "$mac2b" "$ls"
port1=$(json_get '.namespaces[] | select(.name == "r1") | .interfaces[0].port' "$ls")
expect_rc 0 vdectl -j port list lab
assert_json ".ports[] | select(.id == $port1) | .kind" tap "$OUT"
assert_json ".ports[] | select(.id == $port1) | .netns" r1 "$OUT"
assert_json ".ports[] | select(.id == $port1) | .ifname" vde0 "$OUT"
expect_rc 0 vdectl port list lab
printf '%s\n' "$OUT" | grep -E "^$port1 +tap .*vde0@r1\$" >/dev/null || fail "human port list: $OUT"
expect_rc 0 vdectl ns list
printf '%s\n' "$OUT" | grep -E "^r2 +vde1 +side +$mac2b " >/dev/null || fail "human ns list: $OUT"

# Traffic between the two namespaces.
ip -n r1 addr add 10.7.0.1/24 dev vde0
ip -n r2 addr add 10.7.0.2/24 dev vde0
ip netns exec r1 ping -c 3 -i 0.2 -W 3 10.7.0.2 || fail "r1 -> r2 ping failed"
ip netns exec r2 ping -c 3 -i 0.2 -W 3 10.7.0.1 || fail "r2 -> r1 ping failed"
expect_rc 0 vdectl -j mac list lab
assert_json ".macs[] | select(.mac == \"$mac1\") | .port" "$port1" "$OUT"

# vdectl ns exec: runs inside, with a /sys of the namespace, and passes the exit status on.
expect_rc 0 vdectl ns exec r1 -- ip addr
assert_contains "$OUT" "10.7.0.1/24" "ns exec r1 -- ip addr"
assert_contains "$OUT" vde0 "ns exec r1 -- ip addr"
expect_rc 0 vdectl ns exec r2 ip -j link show vde1
assert_json '.[0].address' "$mac2b" "$OUT"
expect_rc 0 vdectl ns exec r1 cat /sys/class/net/vde0/address
assert_eq "$OUT" "$mac1" "/sys inside ns exec"
[ ! -e /sys/class/net/vde0 ] || fail "ns exec's /sys leaked into the test's namespace"
expect_rc 0 vdectl ns exec r1 -- ping -c 1 -W 3 10.7.0.2
expect_rc 7 vdectl ns exec r1 -- sh -c 'exit 7'
expect_rc 127 vdectl ns exec r1 -- /nonexistent/cmd
expect_rc 3 vdectl ns exec nope -- true
assert_contains "$ERR" "nope" "ns exec of a missing namespace"
expect_rc 2 vdectl ns exec r1
expect_rc 2 vdectl ns exec ../r1 -- true
expect_rc 4 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VDECTL_BIN" ns exec r1 -- true
assert_contains "$ERR" root "ns exec as a user"

# Refused: a taken name (ours, or one made by ip netns), a missing network, bad names.
expect_rc 5 vdectl ns create r1 --net lab
ip netns add other
NETNS+=(other)
expect_rc 5 vdectl ns create other --net lab
expect_rc 3 vdectl ns create r3 --net lab,nope
[ ! -e /run/netns/r3 ] || fail "r3 left behind after a failed create"
expect_rc 2 vdectl -j ns create .bad --net lab
assert_json '.error.code' invalid-params "$OUT"
expect_rc 2 vdectl ns create r3
expect_rc 2 vdectl ns create r3 --net lab,lab,lab,lab,lab,lab,lab,lab,lab
[ ! -e /run/netns/r3 ] || fail "r3 left behind after a failed create"

# Restart: the namespaces stay, their links come back with the same MACs on the same networks.
vded_stop
[ -e /run/netns/r1 ] || fail "r1 vanished when vded stopped"
vded_start
wait_for ns_ready r1 vde0 || fail "vde0 not back in r1"
wait_for ns_ready r2 vde1 || fail "vde1 not back in r2"
assert_eq "$(ns_mac r1 vde0)" "$mac1" "r1 vde0 MAC after restart"
assert_eq "$(ns_mac r2 vde0)" "$mac2" "r2 vde0 MAC after restart"
assert_eq "$(ns_mac r2 vde1)" "$mac2b" "r2 vde1 MAC after restart"
expect_rc 0 vdectl -j ns list
assert_json '[.namespaces[].name] | sort | join(",")' r1,r2 "$OUT"
assert_json '[.namespaces[].interfaces[] | select(.port == null)] | length' 0 "$OUT"
# The links are new interfaces: addresses are the user's to set again.
ip -n r1 addr replace 10.7.0.1/24 dev vde0
ip -n r2 addr replace 10.7.0.2/24 dev vde0
ip netns exec r1 ping -c 3 -i 0.2 -W 3 10.7.0.2 || fail "r1 -> r2 ping after a restart failed"

# ns delete: the namespace and its links go, and stay gone after a restart.
expect_rc 0 vdectl ns delete r1
[ ! -e /run/netns/r1 ] || fail "/run/netns/r1 still there after ns delete"
expect_rc 3 vdectl ns delete r1
expect_rc 0 vdectl ns delete r1 --missing-ok
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.netns == "r1")] | length' 0 "$OUT"
expect_rc 0 vdectl -j ns list
assert_json '[.namespaces[].name] | join(",")' r2 "$OUT"
vded_stop
vded_start
[ ! -e /run/netns/r1 ] || fail "r1 came back after a restart"
expect_rc 0 vdectl -j ns list
assert_json '[.namespaces[].name] | join(",")' r2 "$OUT"
expect_rc 0 vdectl ns delete r2
[ ! -e /run/netns/r2 ] || fail "/run/netns/r2 still there after ns delete"
[ -e /run/netns/other ] || fail "a namespace vded did not make was removed"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
