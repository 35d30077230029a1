#!/bin/bash
# timeout: 240
# Rate limits and impairment of a port (port.set), measured with real traffic between two vded
# namespaces (vde0 on network "lab"): a delay shows in ping's round trip, 5 % loss loses 3-7 % of
# 10,000 pings, a 10 Mbit/s egress limit holds iperf3 within 10 % of it. The settings are shown by
# port list, saved with the network by port id and come back when vded restarts; a bad value is a
# usage or invalid-params error and changes nothing.
. "$(dirname "$0")/lib.sh"
need jq ping iperf3

vded_start
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl ns create na --net lab
expect_rc 0 vdectl ns create nb --net lab
ip -n na addr add 10.0.0.1/24 dev vde0
ip -n nb addr add 10.0.0.2/24 dev vde0
expect_rc 0 vdectl -j ns list
pa=$(json_get '.namespaces[] | select(.name == "na") | .interfaces[0].port' "$OUT")
pb=$(json_get '.namespaces[] | select(.name == "nb") | .interfaces[0].port' "$OUT")
log "na is port $pa, nb port $pb"
ip netns exec na ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null || fail "no ping before any shaping"

# min_rtt: the smallest round trip (ms, integer part) of `ping -c N` from na to nb.
min_rtt() {
	ip netns exec na ping -n -c "$1" -i 0.05 -W 2 10.0.0.2 | sed -n 's|^rtt [^=]*= \([0-9]*\)\.[0-9]*/.*|\1|p'
}

# --- bad input: refused before anything changes
expect_rc 2 vdectl port set lab "$pb" --loss 101
expect_rc 2 vdectl port set lab "$pb" --rate-out 10X
expect_rc 2 vdectl port set lab "$pb"
expect_rc 2 vdectl port set lab "$pb" --rate-out 10
assert_contains "$ERR" "bits/s"
expect_rc 2 vdectl port set lab "$pb" --delay 10001
expect_rc 2 vdectl port set lab 4000 --delay 1
expect_rc 3 vdectl port set nosuch 1 --delay 1
expect_rc 0 vdectl -j port list lab
assert_json "[.ports[] | select(has(\"shaping\"))] | length" 0 "$OUT"

# --- delay: 60 ms on what nb receives; every echo request waits that long, the replies do not
expect_rc 0 vdectl -j port set lab "$pb" --delay 60
assert_json '.settings.delay' 60 "$OUT"
rtt=$(min_rtt 10)
log "min rtt with 60 ms delay: $rtt ms"
[ -n "$rtt" ] && [ "$rtt" -ge 60 ] || fail "60 ms delay gave a round trip of ${rtt:-?} ms"
expect_rc 0 vdectl -j port list lab
assert_json ".ports[] | select(.id == $pb) | .shaping.delay" 60 "$OUT"
assert_json ".ports[] | select(.id == $pb) | .tx_delayed >= 10" true "$OUT"
assert_json ".ports[] | select(.id == $pa) | has(\"shaping\")" false "$OUT"
expect_rc 0 vdectl port show lab "$pb"
assert_contains "$OUT" "delay=60" "port show"
assert_contains "$OUT" "tx_delayed:" "port show"
# jitter on top keeps every frame at or above delay - jitter
expect_rc 0 vdectl port set lab "$pb" --jitter 20
rtt=$(min_rtt 20)
[ -n "$rtt" ] && [ "$rtt" -ge 40 ] || fail "60 +- 20 ms gave a round trip of ${rtt:-?} ms"
expect_rc 0 vdectl -j port set lab "$pb" --delay 0 --jitter 0
assert_json '.settings | length' 0 "$OUT"
rtt=$(min_rtt 5)
[ -n "$rtt" ] && [ "$rtt" -lt 60 ] || fail "the delay stayed after it was lifted: ${rtt:-?} ms"

# --- loss: 5 % of what nb receives, over 10,000 pings sent every ms
expect_rc 0 vdectl port set lab "$pb" --loss 5
out=$(ip netns exec na ping -n -q -c 10000 -i 0.001 -W 2 10.0.0.2 || true)
sent=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p')
got=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p')
[ -n "$sent" ] && [ -n "$got" ] || fail "no ping summary: $out"
lost=$((sent - got))
log "5 % loss: $lost of $sent pings lost"
[ "$sent" -eq 10000 ] || fail "ping sent $sent, not 10000"
[ "$lost" -ge 300 ] && [ "$lost" -le 700 ] || fail "5 % loss lost $lost of 10000 pings (not 3-7 %)"
expect_rc 0 vdectl -j port list lab
dropped=$(json_get ".ports[] | select(.id == $pb) | .tx_dropped_loss" "$OUT")
[ "$dropped" -ge "$lost" ] || fail "tx_dropped_loss $dropped below the $lost pings lost"
expect_rc 0 vdectl port set lab "$pb" --loss 0
ip netns exec na ping -c 20 -i 0.01 -W 2 10.0.0.2 >/dev/null || fail "pings lost after loss was lifted"

# --- duplication: every frame nb receives, twice: ping counts the copies
expect_rc 0 vdectl port set lab "$pb" --dup 100
out=$(ip netns exec na ping -n -c 5 -i 0.1 -W 2 10.0.0.2 || true)
# ping stops at the fifth reply, so the fifth copy may come after it has gone: 4 or 5
dups=$(printf '%s\n' "$out" | sed -n 's/.* received, +\([0-9]*\) duplicates.*/\1/p')
[ "${dups:-0}" -ge 4 ] || fail "a port that duplicates everything gave ${dups:-no} duplicates to 5 pings: $out"
expect_rc 0 vdectl -j port show lab "$pb"
assert_json '.tx_duplicated >= 5' true "$OUT"
expect_rc 0 vdectl port set lab "$pb" --dup 0

# --- rate: 10 Mbit/s on what nb receives, measured by iperf3 from na to nb (6 s, the first omitted)
expect_rc 0 vdectl port set lab "$pb" --rate-out 10M
bg_start -o "$WORK/iperf3-server.log" ip netns exec nb iperf3 -s -1 -B 10.0.0.2
wait_for ip netns exec nb sh -c 'ss -ltn | grep -q ":5201 "' || fail "iperf3 server did not listen"
ip netns exec na iperf3 -c 10.0.0.2 -t 6 -O 1 -J >"$WORK/iperf3.json" || fail "iperf3 failed: $(tail -5 "$WORK/iperf3.json")"
bps=$(jq -r '.end.sum_received.bits_per_second | floor' "$WORK/iperf3.json")
log "10M egress limit: iperf3 measured $bps bits/s"
[ "$bps" -ge 9000000 ] && [ "$bps" -le 11000000 ] || fail "a 10 Mbit/s limit measured $bps bits/s (not within 10 %)"
expect_rc 0 vdectl -j port list lab
assert_json ".ports[] | select(.id == $pb) | .shaping.rate_out" 10000000 "$OUT"

# --- ingress policing: 10 Mbit/s on what na sends; TCP backs off, so it stays below the limit
expect_rc 0 vdectl port set lab "$pb" --clear-shaping
expect_rc 0 vdectl port set lab "$pa" --rate-in 10M
bg_start -o "$WORK/iperf3-server2.log" ip netns exec nb iperf3 -s -1 -B 10.0.0.2
wait_for ip netns exec nb sh -c 'ss -ltn | grep -q ":5201 "' || fail "iperf3 server did not listen"
ip netns exec na iperf3 -c 10.0.0.2 -t 4 -O 1 -J >"$WORK/iperf3-in.json" || fail "iperf3 failed"
bps=$(jq -r '.end.sum_received.bits_per_second | floor' "$WORK/iperf3-in.json")
log "10M ingress policing: iperf3 measured $bps bits/s"
[ "$bps" -le 11000000 ] || fail "10 Mbit/s ingress policing let $bps bits/s through"
expect_rc 0 vdectl -j port list lab
assert_json ".ports[] | select(.id == $pa) | .rx_dropped_rate > 0" true "$OUT"

# --- the default: every port number without settings of its own (na), not nb, which has its own
expect_rc 0 vdectl port set lab "$pa" --clear-shaping
expect_rc 0 vdectl port set lab "$pb" --delay 1
expect_rc 0 vdectl -j port set lab default --delay 40
assert_json '.default' true "$OUT"
expect_rc 0 vdectl -j port list lab
assert_json ".ports[] | select(.id == $pa) | .shaping.delay" 40 "$OUT"
assert_json ".ports[] | select(.id == $pb) | .shaping.delay" 1 "$OUT"
rtt=$(ip netns exec nb ping -n -c 5 -i 0.05 -W 2 10.0.0.1 | sed -n 's|^rtt [^=]*= \([0-9]*\)\.[0-9]*/.*|\1|p')
[ -n "$rtt" ] && [ "$rtt" -ge 41 ] || fail "the default's 40 ms and nb's 1 ms gave a round trip of ${rtt:-?} ms"
rep=$(ctl_raw '{"id":1,"method":"port.set","params":{"network":"lab","port":1,"default":true,"delay":1}}')
assert_json '.error.code' invalid-params "$rep"
rep=$(ctl_raw '{"id":1,"method":"port.set","params":{"network":"lab","delay":1}}')
assert_json '.error.code' invalid-params "$rep"

# --- saved by port id, replayed at start
expect_rc 0 vdectl port set lab "$pb" --delay 30 --loss 0.5 --dup 1 --reorder 2
jq -e ".ports[\"$pb\"].delay == 30 and .ports[\"$pb\"].loss == 0.5 and .ports.default.delay == 40" \
	"$STATE/networks/lab.json" >/dev/null || fail "settings not saved: $(cat "$STATE/networks/lab.json")"
vded_stop
vded_start
# port.set with no setting changes nothing and answers what the id has
rep=$(ctl_raw "{\"id\":1,\"method\":\"port.set\",\"params\":{\"network\":\"lab\",\"port\":$pb}}")
assert_json '.result.settings.delay' 30 "$rep"
assert_json '.result.settings.dup' 1 "$rep"
assert_json '.result.settings.reorder' 2 "$rep"
rep=$(ctl_raw '{"id":1,"method":"port.set","params":{"network":"lab","default":true}}')
assert_json '.result.settings.delay' 40 "$rep"
expect_rc 0 vdectl port set lab default --clear-shaping
expect_rc 0 vdectl port set lab "$pa" --clear-shaping
expect_rc 0 vdectl port set lab "$pb" --clear-shaping
jq -e 'has("ports") | not' "$STATE/networks/lab.json" >/dev/null || fail "cleared settings still saved"

kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
