#!/bin/bash
# MAC events (issue 12): a subscriber that asks for kind "mac" hears each address learned (and aged
# out) on the networks it may see, with its port; one that does not ask hears none. They are
# rate-limited per subscriber (100 a second): 1000 new addresses at once give fewer lines and a
# "suppressed" line counting the rest, and vded answers meanwhile.
# timeout: 120
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping

vded_start
expect_rc 0 vdectl network create lab --mac-aging 2
netns_add a
netns_add b
for n in a b; do
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
subscribed() {
	[ -s "$1" ] && head -n 1 "$1" | jq -e '.networks' >/dev/null
}
bg_start -o "$WORK/mac.json" "$VDECTL_BIN" -s "$SOCK" -j monitor --kind mac
MACMON=$BG_PID
bg_start -o "$WORK/all.json" "$VDECTL_BIN" -s "$SOCK" -j monitor
wait_for subscribed "$WORK/mac.json" || fail "the mac monitor did not subscribe"
wait_for subscribed "$WORK/all.json" || fail "the default monitor did not subscribe"

plug_tap a t0 lab 10.9.0.1/24
plug_tap b t0 lab 10.9.0.2/24
ma=$(tap_mac a t0)
mb=$(tap_mac b t0)
ip netns exec a ping -c 2 -W 3 10.9.0.2 >/dev/null || fail "no ping through lab"
learned() {
	tail -n +2 "$WORK/mac.json" | jq -s -e --arg m "$1" 'any(.[]; .event.kind == "mac" and .event.action == "learned" and .event.data.mac == $m and .event.network == "lab")' >/dev/null
}
wait_for learned "$ma" || fail "no 'learned' for $ma: $(cat "$WORK/mac.json")"
wait_for learned "$mb" || fail "no 'learned' for $mb: $(cat "$WORK/mac.json")"
pa=$(vdectl -j mac list lab | jq -r --arg m "$ma" '.macs[] | select(.mac == $m) | .port')
assert_json "[.[] | select(.event.data.mac == \"$ma\" and .event.action == \"learned\") | .event.data.port][0]" "$pa" \
	"$(tail -n +2 "$WORK/mac.json" | jq -s -c .)"
# aged out: mac_aging 2 s, swept every 5 s
aged() {
	tail -n +2 "$WORK/mac.json" | jq -s -e --arg m "$1" 'any(.[]; .event.action == "aged" and .event.data.mac == $m)' >/dev/null
}
wait_for -t 15 aged "$ma" || fail "no 'aged' for $ma: $(cat "$WORK/mac.json")"
# the default subscription has no MAC events
[ "$(tail -n +2 "$WORK/all.json" | jq -r 'select(.event.kind == "mac") | 1' | wc -l)" = 0 ] ||
	fail "a subscriber that did not ask got MAC events"

# 1000 new source addresses at once
cat >"$WORK/macs.py" <<'EOS'
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("t0", 0))
for i in range(1000):
    src = bytes([0x02, 0x5e, 0, 0, i >> 8, i & 0xff])
    s.send(b"\xff" * 6 + src + b"\x88\xb5" + b"\0" * 46)
EOS
before=$(tail -n +2 "$WORK/mac.json" | wc -l)
ip netns exec a python3 "$WORK/macs.py" || fail "could not send the frames"
wait_for -t 10 grep -q '"suppressed"' "$WORK/mac.json" || {
	# the count comes with the next line that passes: give it one
	sleep 1.2
	ip netns exec b ping -c 1 -W 1 10.9.0.1 >/dev/null || true
	wait_for grep -q '"suppressed"' "$WORK/mac.json" || fail "no 'suppressed' line after 1000 new addresses: $(tail -n 5 "$WORK/mac.json")"
}
expect_rc 0 vdectl -t 5 daemon info
got=$(tail -n +$((before + 2)) "$WORK/mac.json" | jq -r 'select(.event.kind == "mac" and (.event.data.mac // "" | startswith("02:5e"))) | 1' | wc -l)
log "MAC events seen for 1000 new addresses: $got"
[ "$got" -ge 50 ] && [ "$got" -lt 1000 ] || fail "$got MAC events for 1000 addresses at once (rate 100/s)"
sup=$(jq -r 'select(.event.kind == "suppressed") | .event.count' "$WORK/mac.json" | head -n 1)
[ "$sup" -gt 0 ] || fail "the suppressed line counts $sup"
bg_kill "$MACMON"
