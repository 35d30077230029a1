#!/bin/bash
# mac add / mac flush: a static entry sends frames for its address to its port from the start, is
# listed as static, is not moved by frames from another port that claim it (they are dropped,
# drop_mac_move), survives aging and a restart (saved with the definition), and goes only with
# mac flush --static; mac flush forgets the learned addresses (of one port with --port).
. "$(dirname "$0")/lib.sh"
need jq ping python3

port_of() {
	vdectl -j ns list | jq -r ".namespaces[] | select(.name == \"$1\") | .interfaces[0].port"
}
mac_of() {
	ip -n "$1" -j link show vde0 | jq -r '.[0].address'
}

vded_start
expect_rc 0 vdectl network create lab --mac-aging 2
expect_rc 0 vdectl ns create a --net lab --address 10.4.0.1/24
expect_rc 0 vdectl ns create b --net lab --address 10.4.0.2/24
pb=$(port_of b)
mb=$(mac_of b)
expect_rc 0 vdectl -j mac add lab "$mb" "$pb"
assert_json '.static' true "$OUT"
expect_rc 0 vdectl -j mac list lab
assert_json ".macs[] | select(.mac == \"$mb\") | \"\(.port) \(.static)\"" "$pb true" "$OUT"
expect_rc 0 vdectl mac list lab
printf '%s\n' "$OUT" | grep -E "^$mb +0 +$pb +static\$" >/dev/null || fail "human mac list: $OUT"
expect_rc 2 vdectl mac add lab 01:00:5e:00:00:01 "$pb"
expect_rc 2 vdectl mac add lab "$mb" 999
expect_rc 3 vdectl mac add nosuch "$mb" 1

# a port that claims b's address: its frames are dropped, the entry stays on b's port
cp "$(dirname "$0")/../security/l2attack.py" "$WORK/l2attack.py"
bg_start -o "$WORK/forge.log" "$VDECTL_BIN" -s "$SOCK" network attach lab --port 50 -- python3 "$WORK/l2attack.py" steal "$mb" 2
forger=$BG_PID
wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j port list lab | jq -e '.ports[] | select(.id == 50 and .drop_mac_move > 5)'" ||
	fail "the forged frames were not dropped: $(vdectl -j port list lab)"
expect_rc 0 vdectl -j mac list lab
assert_json ".macs[] | select(.mac == \"$mb\") | .port" "$pb" "$OUT"
ip netns exec a ping -c 3 -i 0.2 -W 2 10.4.0.2 >/dev/null || fail "a -> b failed while its address was forged"
wait "$forger" 2>/dev/null || true
grep -q "stolen=0" "$WORK/forge.log" || fail "the forger got b's frames: $(cat "$WORK/forge.log")"

# aging (2 s) takes the learned addresses, not the static one
sleep 8
expect_rc 0 vdectl -j mac list lab
assert_json "[.macs[] | select(.mac == \"$mb\")] | length" 1 "$OUT"
# a restart: it comes back from the definition
vded_stop
vded_start
expect_rc 0 vdectl -j mac list lab
assert_json ".macs[] | select(.mac == \"$mb\") | .static" true "$OUT"
wait_for ip netns exec a ping -c 1 -W 1 10.4.0.2 || fail "a -> b after the restart failed"

# flush: learned ones go (a's), the static stays; --static takes it too, from the definition as well
expect_rc 0 vdectl -j mac flush lab --port "$(port_of a)"
expect_rc 0 vdectl -j mac list lab
assert_json "[.macs[] | select(.mac == \"$(mac_of a)\")] | length" 0 "$OUT"
assert_json "[.macs[] | select(.mac == \"$mb\")] | length" 1 "$OUT"
expect_rc 0 vdectl -j mac flush lab
assert_json "[.macs[] | select(.mac == \"$mb\")] | length" 1 "$(vdectl -j mac list lab)"
expect_rc 0 vdectl -j mac flush lab --static
assert_json '.removed >= 1' true "$OUT"
assert_json "[.macs[] | select(.mac == \"$mb\")] | length" 0 "$(vdectl -j mac list lab)"
jq -e 'has("macs") | not' "$STATE/networks/lab.json" >/dev/null || fail "the static entry stayed in the definition"
ip netns exec a ping -c 2 -i 0.2 -W 2 10.4.0.2 >/dev/null || fail "a -> b after the flush failed"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
