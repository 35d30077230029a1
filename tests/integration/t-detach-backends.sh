#!/bin/bash
# port detach of a port a saved backend made takes that backend out of the definition, as Open
# vSwitch's del-port does: a tap's taps entry, an uplink's uplinks entry, a slirp network's slirp
# setting and its forwards, a vxvde network's vxvde setting. network show, forward list, port list and
# the saved file agree with what runs, before and after a restart; a tap detached and added again
# can be removed, and nothing the user took away comes back. A namespace's interface is refused
# (ns delete removes it). Multicast (vxvde) only on lo of the test's own namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-vxvde.sh"
need jq

# port_id NET KIND: the id of NET's only port of KIND ("" if none).
port_id() {
	json_get "[.ports[] | select(.kind == \"$2\") | .id] | if length == 1 then .[0] else \"\" end" \
		"$(vdectl -j port list "$1")"
}

iface_gone() {
	! ip link show "$1" >/dev/null 2>&1
}

# kinds_are NET KINDS: NET's ports' kinds, sorted and comma-joined, are KINDS.
kinds_are() {
	expect_rc 0 vdectl -j port list "$1"
	assert_json '[.ports[].kind] | sort | join(",")' "$2" "$OUT"
}

# check_all: what every network shows after the detaches (run before and after a restart).
check_all() {
	# slirp: no slirp setting, no forwards, no slirp port
	expect_rc 0 vdectl -j network show nat
	assert_json '.slirp // "none"' none "$OUT"
	expect_rc 0 vdectl -j forward list nat
	assert_json '.forwards | length' 0 "$OUT"
	kinds_are nat ""
	jq -e '(.slirp // false) == false and ((.forwards // []) | length) == 0' "$STATE/networks/nat.json" \
		>/dev/null || fail "nat.json still has slirp: $(cat "$STATE/networks/nat.json")"
	# vxvde: no vxvde setting, no vxvde port
	expect_rc 0 vdectl -j network show vx
	assert_json '.vxvde // "none"' none "$OUT"
	kinds_are vx ""
	jq -e '(.vxvde // "") == ""' "$STATE/networks/vx.json" >/dev/null ||
		fail "vx.json still has vxvde: $(cat "$STATE/networks/vx.json")"
	# tap: gone from the network, the definition and the host
	kinds_are lab "uplink"
	jq -e '((.taps // []) | map(select(.ifname == "tapd")) | length) == 0' "$STATE/networks/lab.json" \
		>/dev/null || fail "lab.json still has tapd: $(cat "$STATE/networks/lab.json")"
	wait_for iface_gone tapd || fail "tapd still exists"
	# uplink: the other of the two with the same locator stays, saved once
	expect_rc 0 vdectl -j port list lab
	assert_json '[.ports[] | select(.kind == "uplink" and .url == "cmd://cat")] | length' 1 "$OUT"
	jq -e '((.uplinks // []) | map(select(.url == "cmd://cat")) | length) == 1' "$STATE/networks/lab.json" \
		>/dev/null || fail "lab.json uplinks: $(cat "$STATE/networks/lab.json")"
}

vxvde_lo_multicast
vded_start

expect_rc 0 vdectl network create nat --slirp
expect_rc 0 vdectl forward add nat tcp 127.0.0.1:7301 10.0.2.15:22
expect_rc 0 vdectl forward add nat udp 7302 10.0.2.15:53
expect_rc 0 vdectl network create vx --vxvde "$GROUP"
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl tap add lab tapd
expect_rc 0 vdectl -j network connect lab cmd://cat
up1=$(json_get '.port.id' "$OUT")
expect_rc 0 vdectl network connect lab cmd://cat
kinds_are nat slirp
kinds_are vx vxvde
kinds_are lab "tap,uplink,uplink"

# detach each backend's port
sl=$(port_id nat slirp)
[ -n "$sl" ] || fail "no slirp port"
expect_rc 0 vdectl port detach nat "$sl"
vx=$(port_id vx vxvde)
[ -n "$vx" ] || fail "no vxvde port"
expect_rc 0 vdectl port detach vx "$vx"
tp=$(port_id lab tap)
[ -n "$tp" ] || fail "no tap port"
expect_rc 0 vdectl port detach lab "$tp"
expect_rc 0 vdectl port detach lab "$up1"
# a forward needs the slirp that is gone
expect_rc 2 vdectl forward add nat tcp 127.0.0.1:7303 10.0.2.15:22
# the tap is not there to remove; with --missing-ok that is fine
expect_rc 3 vdectl tap remove lab tapd
expect_rc 0 vdectl tap remove lab tapd --missing-ok
check_all

vded_stop
vded_start
check_all
grep -q 'kept in the definition, not active' "$WORK/vded.log" && fail "a replay failed: $(grep 'not active' "$WORK/vded.log")"

# a tap detached and added again can be removed, and stays removed
expect_rc 0 vdectl tap add lab tapd
tp=$(port_id lab tap)
expect_rc 0 vdectl port detach lab "$tp"
expect_rc 0 vdectl tap add lab tapd
jq -e '(.taps | map(select(.ifname == "tapd")) | length) == 1' "$STATE/networks/lab.json" >/dev/null ||
	fail "lab.json taps: $(cat "$STATE/networks/lab.json")"
expect_rc 0 vdectl tap remove lab tapd
vded_stop
vded_start
check_all

# a store written before detach forgot taps may hold the same tap twice: tap remove takes both
vded_stop
jq '.taps = [{"ifname":"tapd"},{"ifname":"tapd"}]' "$STATE/networks/lab.json" >"$WORK/lab.json"
cp "$WORK/lab.json" "$STATE/networks/lab.json"
vded_start
kinds_are lab "tap,uplink"
expect_rc 0 vdectl tap remove lab tapd
vded_stop
vded_start
check_all

# a namespace's interface belongs to the namespace: refused, and the namespace keeps it
expect_rc 0 vdectl ns create r1 --net lab
nsp=$(port_id lab tap)
[ -n "$nsp" ] || fail "no tap port for r1"
expect_rc 2 vdectl -j port detach lab "$nsp"
assert_json '.error.code' invalid-params "$OUT"
assert_contains "$(json_get .error.message "$OUT")" "ns.delete" "refusal names ns.delete"
kinds_are lab "tap,uplink"
expect_rc 0 vdectl ns delete r1
kinds_are lab "uplink"

kill -0 "$VDED_PID" || fail "vded died"
vded_stop
echo "PASS"
