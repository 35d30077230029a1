#!/bin/bash
# vdectl topology: a gateway network with a host tap, a vxvde network, a slirp network with a forward,
# an uplink, a namespace on two networks and a vde_plug client; the DOT output is parsed and laid out by
# Graphviz's dot (dot -Tjson: every network and port a node, each port joined to its network, the
# namespace a cluster around its interfaces) and drawn as SVG; -o json holds the same objects. A user
# sees only what it may: another user's 0600 network is not in its topology.
# TOPOLOGY_SVG=FILE keeps the drawing (README's picture is made this way).
. "$(dirname "$0")/lib.sh"
need jq dot vde_plug setpriv

GS=2100 USER1=1001
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo

vded_start -g "$GS"
expect_rc 0 vdectl network create gw --description "gateway"
expect_rc 0 vdectl network create v1 --vxvde 234.0.0.1
expect_rc 0 vdectl network create nat --slirp
expect_rc 0 vdectl network create secret --mode 0600
expect_rc 0 vdectl tap add gw tapgw --address 10.0.0.1/24 --up
expect_rc 0 vdectl forward add nat tcp 127.0.0.1:8080 10.0.2.15:80
expect_rc 0 vdectl ns create router --net gw,v1
expect_rc 0 vdectl network connect gw 'udp://5000->127.0.0.1:5001'
netns_add ns1
plug_tap ns1 t1 nat
wait_for port_count_is nat 2 || fail "vde_plug did not join nat"

expect_rc 0 vdectl topology
printf '%s\n' "$OUT" >"$WORK/topo.dot"
cat "$WORK/topo.dot"
dot -Tjson "$WORK/topo.dot" >"$WORK/topo.json" 2>"$WORK/dot.err" || fail "dot cannot parse the topology: $(cat "$WORK/dot.err")"
[ ! -s "$WORK/dot.err" ] || fail "dot warned: $(cat "$WORK/dot.err")"
dot -Tsvg "$WORK/topo.dot" >"$WORK/topo.svg" || fail "dot -Tsvg failed"
grep -q "<svg" "$WORK/topo.svg" || fail "no SVG drawn"
[ -z "${TOPOLOGY_SVG:-}" ] || cp "$WORK/topo.svg" "$TOPOLOGY_SVG"

G=$(cat "$WORK/topo.json")
# the nodes, by their labels
label() {
	assert_json "[.objects[] | select(.label != null) | select(.label | test(\"$1\"))] | length >= 1" true "$G"
}
for n in gw v1 nat secret; do
	label "^network $n"
done
label "tap tapgw$"
label "tap vde0$"
label "tap vde1$"
label "uplink udp://5000->127.0.0.1:5001"
label "vxvde"
label "slirp"
label "forward tcp 127.0.0.1:8080 -> 10.0.2.15:80"
label "endpoint"
# every port node is joined to its network's node
ports=$(json_get '[.objects[] | select(.name | startswith("port:"))] | length' "$G")
expect_rc 0 vdectl -j topology
T=$OUT
assert_json '[.networks[].ports | length] | add' "$ports" "$T"
for net in gw v1 nat; do
	want=$(json_get "[.networks[] | select(.name == \"$net\") | .ports[]] | length" "$T")
	got=$(json_get "[.objects[] | select(.name == \"net:$net\") | ._gvid] as \$id |
		[.edges[] | select(.tail == \$id[0])] | length" "$G")
	assert_eq "$got" "$want" "edges from network $net"
done
# the namespace is a cluster holding its two interfaces (vde0 on gw, vde1 on v1)
assert_json '[.objects[] | select(.name == "cluster_ns:router") | .nodes[]] | length' 2 "$G"
assert_json '[.objects[] | select(.name == "cluster_ns:router") | .label] | .[0]' "namespace router" "$G"

# -o json: the same objects as the methods answer
assert_json '.networks | map(.name) | sort | join(",")' "gw,nat,secret,v1" "$T"
assert_json '.networks[] | select(.name == "nat") | .forwards[0].guest' 10.0.2.15:80 "$T"
assert_json '.networks[] | select(.name == "gw") | [.ports[].kind] | sort | join(",")' "tap,tap,uplink" "$T"
assert_json '.namespaces[0].name' router "$T"
expect_rc 0 vdectl topology -o json
shape='[.networks[] | {name, ports: [.ports[] | {id, kind}]}], .namespaces'
assert_eq "$(json_get "$shape" "$OUT")" "$(json_get "$shape" "$T")" "-o json and -j"
expect_rc 2 vdectl topology -o png

# a user sees what it may: its own network, not root's 0600 one
expect_rc 0 setpriv --reuid "$USER1" --regid "$USER1" --groups "$GS" "$VDECTL_BIN" -s "$SOCK" network create mine
expect_rc 0 setpriv --reuid "$USER1" --regid "$USER1" --groups "$GS" "$VDECTL_BIN" -s "$SOCK" -j topology
assert_json '[.networks[].name] | index("mine") != null' true "$OUT"
assert_json '[.networks[].name] | index("secret")' null "$OUT"
expect_rc 0 setpriv --reuid "$USER1" --regid "$USER1" --groups "$GS" "$VDECTL_BIN" -s "$SOCK" topology
printf '%s\n' "$OUT" | dot -Tplain >/dev/null || fail "dot cannot parse the user's topology"
