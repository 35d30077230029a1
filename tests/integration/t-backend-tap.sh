#!/bin/bash
# tap.add: vded makes a tap on the host side of a network with addresses, MTU and link state, a client
# in a namespace (Debian's vde_plug on the endpoint) pings it, jumbo frames pass, the tap comes back
# with its address after a restart, bad requests leave no interface behind, and tap remove removes it.
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping

# iface_gone NAME: true when the host side (the test's namespace) has no interface NAME.
iface_gone() {
	! ip link show "$1" >/dev/null 2>&1
}

vded_start
expect_rc 0 vdectl network create lab

expect_rc 0 vdectl -j tap add lab tap0 --address 10.9.0.1/24 --address fd00:9::1/64 --mtu 9000 --up
assert_json '.port.kind' tap "$OUT"
assert_json '.port.ifname' tap0 "$OUT"
tapport=$(json_get '.port.id' "$OUT")
ip -j link show tap0 >"$WORK/link.json" || fail "tap0 was not created"
assert_json '.[0].mtu' 9000 "$(cat "$WORK/link.json")"
assert_json '.[0].flags | index("UP") != null' true "$(cat "$WORK/link.json")"
ip -j addr show dev tap0 >"$WORK/addr.json"
assert_json '[.[0].addr_info[] | select(.local == "10.9.0.1" and .prefixlen == 24)] | length' 1 "$(cat "$WORK/addr.json")"
assert_json '[.[0].addr_info[] | select(.local == "fd00:9::1" and .prefixlen == 64)] | length' 1 "$(cat "$WORK/addr.json")"

# The port shows its interface, in JSON and in the human table.
expect_rc 0 vdectl -j port list lab
assert_json ".ports[] | select(.id == $tapport) | .ifname" tap0 "$OUT"
expect_rc 0 vdectl port list lab
assert_contains "$OUT" DETAIL "human port list header"
printf '%s\n' "$OUT" | grep -E "^$tapport +tap .*tap0\$" >/dev/null || fail "human port list has no tap0 row: $OUT"
# A second tap of the same name, on any network, is refused.
expect_rc 5 vdectl tap add lab tap0

# A client in a namespace, through the endpoint, reaches the tap's address; then jumbo frames.
netns_add ns1
plug_tap ns1 t1 lab 10.9.0.2/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.9.0.1 || fail "ns1 -> tap0 ping failed"
ping -c 2 -i 0.2 -W 3 10.9.0.2 || fail "host -> ns1 ping through tap0 failed"
ip -n ns1 link set t1 mtu 9000
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 -M do -s 8900 10.9.0.1 || fail "8928-byte ping through tap0 failed"
ping -c 2 -i 0.2 -W 3 -M do -s 8972 10.9.0.2 || fail "9000-byte ping from the tap side failed"
expect_rc 0 vdectl -j port list lab
assert_json ".ports[] | select(.id == $tapport) | .rx_frames >= 5 and .tx_frames >= 5" true "$OUT"
assert_json ".ports[] | select(.id == $tapport) | .rx_bytes > 9000 * 5" true "$OUT"

# Persistence: the tap goes with vded and comes back with its settings when vded starts again, its
# MAC included (saved with the definition).
mac0=$(ip -j link show tap0 | jq -r '.[0].address')
vded_stop
wait_for iface_gone tap0 || fail "tap0 still exists after vded stopped"
jq -e '.taps | length == 1' "$STATE/networks/lab.json" >/dev/null || fail "tap not saved: $(cat "$STATE/networks/lab.json")"
vded_start
wait_for ip link show tap0 || fail "tap0 not recreated at start"
ip -j addr show dev tap0 >"$WORK/addr.json"
assert_json '[.[0].addr_info[] | select(.local == "10.9.0.1" and .prefixlen == 24)] | length' 1 "$(cat "$WORK/addr.json")"
assert_json '.[0].mtu' 9000 "$(cat "$WORK/addr.json")"
assert_eq "$(ip -j link show tap0 | jq -r '.[0].address')" "$mac0" "tap0's MAC after the restart"
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "tap" and .ifname == "tap0")] | length' 1 "$OUT"
plug_tap ns1 t1 lab 10.9.0.2/24
ip -n ns1 link set t1 mtu 9000
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 -M do -s 8900 10.9.0.1 || fail "ping through the recreated tap0 failed"

# A tap that is down (made without --up, or set down by its admin) drops the frames it is sent (the
# kernel refuses them with EIO) and stays a port of the network. The broadcasts must reach it: its
# tx_dropped counts them, and none of them counts as sent.
expect_rc 0 vdectl -j tap add lab tapd
downport=$(json_get '.port.id' "$OUT")
ip -j link show tapd | jq -e '.[0].flags | index("UP") == null' >/dev/null || fail "tapd is up without --up"
ip netns exec ns1 ping -c 3 -i 0.2 -W 1 -b 10.9.0.255 >/dev/null 2>&1 || true
expect_rc 0 vdectl -j port list lab
assert_json "[.ports[] | select(.id == $downport and .ifname == \"tapd\")] | length" 1 "$OUT"
assert_json ".ports[] | select(.id == $downport) | .tx_dropped >= 3 and .tx_frames == 0" true "$OUT"
ip link show tapd >/dev/null 2>&1 || fail "tapd vanished after being sent frames while down"
expect_rc 0 vdectl tap remove lab tapd

# Bad requests: a clear error, the documented exit status, and no interface left behind.
expect_rc 2 vdectl tap add lab tapx --owner no-such-user-here
assert_contains "$ERR" "no-such-user-here" "unknown owner error"
iface_gone tapx || fail "tapx left behind after an unknown owner"
expect_rc 5 vdectl tap add lab lo
assert_contains "$ERR" "'lo'" "taken name error"
ip -j addr show dev lo >"$WORK/lo.json"
assert_json '[.[0].addr_info[] | select(.local == "127.0.0.1")] | length' 1 "$(cat "$WORK/lo.json")"
for bad in 10.9.1.1 10.9.1.300/24 10.9.1.1/33 nonsense/8 fd00::1/129; do
	expect_rc 2 vdectl -j tap add lab tapx --address "$bad"
	assert_json '.error.code' invalid-params "$OUT"
	assert_contains "$ERR" "$bad" "invalid CIDR error"
	iface_gone tapx || fail "tapx left behind after address $bad"
done
expect_rc 2 vdectl -j tap add lab tapx --mtu 67
assert_json '.error.code' invalid-params "$OUT"
expect_rc 2 vdectl -j tap add lab tapx --mtu 9217
assert_json '.error.code' invalid-params "$OUT"
iface_gone tapx || fail "tapx left behind after a bad MTU"
expect_rc 2 vdectl tap add lab 'bad/name'
expect_rc 2 vdectl tap add lab 0123456789abcdefXYZ
expect_rc 3 vdectl tap add nope tapx
iface_gone tapx || fail "tapx made for a network that does not exist"
expect_rc 2 vdectl tap add lab
expect_rc 2 vdectl tap add lab tapx --mtu big
expect_rc 2 vdectl tap add lab tapx --color
# An owner that exists is fine (TUNSETOWNER).
expect_rc 0 vdectl tap add lab tapo --owner nobody
ip link show tapo >/dev/null || fail "tapo not created"
# Failed requests were not saved.
jq -e '[.taps[].ifname] | sort == ["tap0", "tapo"]' "$STATE/networks/lab.json" >/dev/null ||
	fail "saved taps wrong: $(cat "$STATE/networks/lab.json")"

# tap remove: the interface goes and stays gone after a restart.
expect_rc 0 vdectl tap remove lab tapo
wait_for iface_gone tapo || fail "tapo still there after tap remove"
expect_rc 3 vdectl tap remove lab tapo
expect_rc 0 vdectl tap remove lab tapo --missing-ok
expect_rc 0 vdectl tap remove lab tap0
wait_for iface_gone tap0 || fail "tap0 still there after tap remove"
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "tap")] | length' 0 "$OUT"
vded_stop
vded_start
iface_gone tap0 || fail "a removed tap came back at start"
iface_gone tapo || fail "a removed tap came back at start"

# Deleting a network removes its taps.
expect_rc 0 vdectl tap add lab tap1 --up
expect_rc 0 vdectl network delete lab
wait_for iface_gone tap1 || fail "tap1 still there after its network was deleted"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
