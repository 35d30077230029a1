#!/bin/bash
# Stats (issue 12): `vdectl stats` shows per-port and per-network rates (frames, bytes, drops per
# second) made from two reads of stats.get: non-zero on both ports and the network while a ping runs
# between two namespaces, zero once it stopped. --watch prints a table per interval (plain lines when
# not a terminal); -j gives the rates as JSON; a user sees only the networks it may see.
# timeout: 180
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping setpriv script

GS=2100
vded_start -g "$GS"
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl network create secret --mode 0600
netns_add a
netns_add b
# no IPv6 and fixed neighbours: nothing but the ping crosses the network, so "zero after" is exact
for n in a b; do
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
plug_tap a t0 lab 10.9.0.1/24
plug_tap b t0 lab 10.9.0.2/24
ip -n a neigh replace 10.9.0.2 lladdr "$(tap_mac b t0)" dev t0 nud permanent
ip -n b neigh replace 10.9.0.1 lladdr "$(tap_mac a t0)" dev t0 nud permanent
ip netns exec a ping -c 2 -W 3 10.9.0.2 >/dev/null || fail "no ping through lab"

bg_start ip netns exec a ping -i 0.05 10.9.0.2
PING=$BG_PID
sleep 1
expect_rc 0 vdectl -j stats lab --interval 2
busy=$OUT
log "while the ping runs: $busy"
assert_json '.networks | length' 1 "$busy"
assert_json '.networks[0].name' lab "$busy"
assert_json '[.networks[0].ports[] | select(.rates.rx_frames > 0 and .rates.rx_bytes > 0 and .rates.tx_frames > 0)] | length' 2 "$busy"
assert_json '.networks[0].rates.rx_frames > 10' true "$busy"
assert_json '.networks[0].rates.rx_bytes > .networks[0].rates.rx_frames * 60' true "$busy"
assert_json '.interval >= 2' true "$busy"
# the table for people: the network's sums, then its ports
expect_rc 0 vdectl stats
assert_contains "$OUT" "NETWORK" "stats table"
assert_contains "$OUT" "DROP/s" "stats table"
assert_eq "$(printf '%s\n' "$OUT" | awk '$1 == "lab" && $2 == "all" && $4 > 0' | wc -l)" 1 "lab's row with traffic: $OUT"
assert_eq "$(printf '%s\n' "$OUT" | awk '$1 == "secret"' | wc -l)" 1 "root sees secret: $OUT"
# --watch, not on a terminal: a table per interval, with its time
expect_rc 0 vdectl stats lab --watch=1 --count 2
assert_eq "$(printf '%s\n' "$OUT" | grep -c 'every 1s, rates over the last')" 2 "two tables: $OUT"
assert_eq "$(printf '%s\n' "$OUT" | grep -c '^lab .* all ')" 2 "two lab rows: $OUT"
# on a terminal (script(1) gives it one): the table redrawn in place, like top
script -qec "$VDECTL_BIN -s $SOCK stats lab --watch=1 --count 2" /dev/null >"$WORK/tty.out" </dev/null ||
	fail "stats --watch on a terminal failed: $(cat "$WORK/tty.out")"
[ "$(grep -c $'\033\[H\033\[2J' "$WORK/tty.out")" = 2 ] || fail "stats --watch on a terminal does not redraw: $(cat -v "$WORK/tty.out")"
# a user in the socket's group sees lab, not secret (mode 0600)
expect_rc 0 setpriv --reuid 1001 --regid 1001 --groups "$GS" "$VDECTL_BIN" -s "$SOCK" -j stats
assert_json '[.networks[].name] | join(",")' lab "$OUT"
expect_rc 3 setpriv --reuid 1001 --regid 1001 --groups "$GS" "$VDECTL_BIN" -s "$SOCK" stats secret

bg_kill "$PING"
sleep 0.5
stats_zero() {
	local out
	out=$(vdectl -j stats lab) || return 1
	[ "$(printf '%s' "$out" | jq '[.networks[0].rates[], .networks[0].ports[].rates[]] | map(select(. != 0)) | length')" = 0 ]
}
wait_for -t 20 stats_zero || fail "rates stayed above zero after the ping stopped: $(vdectl -j stats lab)"
expect_rc 0 vdectl -j stats lab
assert_json '[.networks[0].ports[] | select(.rates.rx_frames == 0 and .rates.tx_frames == 0 and .rates.drops == 0)] | length' 2 "$OUT"
# the option rules
expect_rc 2 vdectl stats --count 2
expect_rc 2 vdectl stats --watch=0
expect_rc 3 vdectl stats nosuch
