#!/bin/bash
# network.connect: two vded instances in the test's namespace join their "lab" networks with a udp://
# cable (each an uplink to the other) and clients of each ping across. A cmd:// uplink whose command
# exits is shown as retrying with its error while the network keeps working. Uplinks persist across a
# restart; network disconnect removes them.
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping

# the second daemon and its clients (vded2_start, vded2_stop, vdectl2, plug)
. "$(dirname "$0")/lib-vxvde.sh"

# uplink_json CTL NET URL: the uplink port of NET with locator URL.
uplink_json() {
	local out
	out=$("$1" -j port list "$2") || return 1
	json_get ".ports[] | select(.kind == \"uplink\" and .url == \"$3\")" "$out"
}

# uplink_count CTL NET URL: how many uplinks of NET have locator URL.
uplink_count() {
	local out
	out=$("$1" -j port list "$2") || fail "port list $2 failed"
	json_get "[.ports[] | select(.kind == \"uplink\" and .url == \"$3\")] | length" "$out"
}

# uplink_state_is CTL NET URL STATE: for wait_for.
uplink_state_is() {
	[ "$(json_get .state "$(uplink_json "$1" "$2" "$3")")" = "$4" ]
}

URL1='udp://5000->127.0.0.1:5001'
URL2='udp://5001->127.0.0.1:5000'

vded_start
vded2_start
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl2 network create lab
expect_rc 0 vdectl -j network connect lab "$URL1"
assert_json '.port.kind' uplink "$OUT"
assert_json '.port.url' "$URL1" "$OUT"
assert_json '.port.state' up "$OUT"
up1=$(json_get '.port.id' "$OUT")
expect_rc 0 vdectl2 network connect lab "$URL2"
assert_contains "$OUT" uplink "human network connect"

netns_add ns1
netns_add ns2
plug "$RUN" ns1 t1 lab 10.4.0.1/24
plug "$RUN2" ns2 t2 lab 10.4.0.2/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.4.0.2 || fail "ns1 -> ns2 across the udp uplinks failed"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.4.0.1 || fail "ns2 -> ns1 across the udp uplinks failed"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 -M do -s 1472 10.4.0.2 || fail "1500-byte ping across the uplinks failed"
u=$(uplink_json vdectl lab "$URL1")
assert_json '.rx_frames >= 5 and .tx_frames >= 5' true "$u"
assert_json '.error // "none"' none "$u"
expect_rc 0 vdectl port list lab
printf '%s\n' "$OUT" | grep -F "$URL1 up" >/dev/null || fail "human port list has no '$URL1 up': $OUT"

# A command that exits at once: the uplink is made, goes down, and is retried; lab keeps working.
expect_rc 0 vdectl -j network connect lab cmd://false
bad=$(json_get '.port.id' "$OUT")
wait_for uplink_state_is vdectl lab cmd://false retrying || fail "cmd://false never shown as retrying: $(vdectl -j port list lab)"
u=$(uplink_json vdectl lab cmd://false)
assert_json '.id' "$bad" "$u"
assert_json '(.error // "") | length > 0' true "$u"
expect_rc 0 vdectl port list lab
printf '%s\n' "$OUT" | grep -E "^$bad +uplink .*cmd://false retrying: .+" >/dev/null || fail "human port list: $OUT"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.4.0.2 || fail "lab stopped working with a failing uplink"
kill -0 "$VDED_PID" || fail "vded died"

# Refused: no module for the scheme, a missing network; a bad port to disconnect.
expect_rc 2 vdectl -j network connect lab nosuchscheme://x
assert_json '.error.code' invalid-params "$OUT"
expect_rc 3 vdectl network connect nope "$URL1"
expect_rc 2 vdectl network connect lab
expect_rc 2 vdectl network disconnect lab one
expect_rc 3 vdectl network disconnect lab 200
# A port that is not an uplink is not disconnected.
tport=$(json_get '.ports[] | select(.kind == "endpoint") | .id' "$(vdectl -j port list lab)")
expect_rc 3 vdectl network disconnect lab "$tport"
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "endpoint")] | length' 1 "$OUT"

# Persistence: both uplinks come back with the network; the udp one carries traffic again.
vded_stop
jq -e '[.uplinks[].url] | sort == ["cmd://false", "'"$URL1"'"]' "$STATE/networks/lab.json" >/dev/null ||
	fail "uplinks not saved: $(cat "$STATE/networks/lab.json")"
vded_start
wait_for uplink_state_is vdectl lab "$URL1" up || fail "udp uplink not back after a restart"
assert_eq "$(uplink_count vdectl lab cmd://false)" 1 "cmd://false uplinks after a restart"
plug "$RUN" ns1 t1 lab 10.4.0.1/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.4.0.2 || fail "ns1 -> ns2 after a restart failed"

# Disconnect: the failing uplink goes for good; then the cable, and traffic stops.
bad=$(json_get .id "$(uplink_json vdectl lab cmd://false)")
expect_rc 0 vdectl network disconnect lab "$bad"
assert_eq "$(uplink_count vdectl lab cmd://false)" 0 "cmd://false uplinks after disconnect"
expect_rc 3 vdectl network disconnect lab "$bad"
expect_rc 0 vdectl network disconnect lab "$bad" --missing-ok
up1=$(json_get .id "$(uplink_json vdectl lab "$URL1")")
expect_rc 0 vdectl network disconnect lab "$up1"
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "uplink")] | length' 0 "$OUT"
ip netns exec ns1 ping -c 2 -i 0.2 -W 1 10.4.0.2 && fail "ns1 still reaches ns2 with the uplink disconnected"
vded_stop
jq -e '(.uplinks // []) | length == 0' "$STATE/networks/lab.json" >/dev/null ||
	fail "disconnected uplinks still saved: $(cat "$STATE/networks/lab.json")"
vded_start
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "uplink")] | length' 0 "$OUT"
kill -0 "$VDED2_PID" || fail "second vded died"
vded_stop
vded2_stop
log "ok"
