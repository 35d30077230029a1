#!/bin/bash
# multi://DIR and bonding://DIR served by our modules (opener: a Debian vde_plug on our library),
# joined by Debian's vde_plug on Debian's library.
#   multi: the opener's frames go to every client, a client's frames to the opener only — the opener
#          pings both clients, the clients cannot reach each other.
#   bonding: the opener's frames go to the clients in turn — two stream clients share 10 frames 5/5;
#          a client's frames reach the opener and not the other client.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq

[ -e "$BDIR/lib/libvdeplug.so.2" ] || fail "our libvdeplug.so.2 is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_multi.so" ] || fail "our multi module is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_bonding.so" ] || fail "our bonding module is not built"
sysctl -qw net.ipv6.conf.default.disable_ipv6=1
for i in 0 1 2; do
	netns_add "ns$i"
	ip netns exec "ns$i" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done

rx() {
	ip -n "$1" -j -s link show "$2" | jq '.[0].stats64.rx.packets'
}

tap_into() {
	wait_for ip link show "$1" || fail "$1 was not created"
	ip link set "$1" netns "$2"
	ip -n "$2" link set "$1" up
	ip -n "$2" addr add "$3/24" dev "$1"
}

# ---- multi
m=$WORK/multi
bg_start -o "$WORK/opener-multi.log" env LD_LIBRARY_PATH="$BDIR/lib" vde_plug tap://t0 "multi://$m"
opener=$BG_PID
wait_for test -S "$m/ctl" || fail "multi:// did not create $m/ctl"
grep -q "$BDIR/lib/vdeplug/libvdeplug_multi.so" "/proc/$opener/maps" || fail "our multi not loaded"
tap_into t0 ns0 10.9.0.10
bg_start -o "$WORK/c1.log" vde_plug "vde://$m" tap://t1
tap_into t1 ns1 10.9.0.11
bg_start -o "$WORK/c2.log" vde_plug "vde://$m" tap://t2
tap_into t2 ns2 10.9.0.12
ip netns exec ns0 ping -c 2 -i 0.2 -W 3 10.9.0.11 >/dev/null || fail "multi: opener -> client 1 failed"
ip netns exec ns0 ping -c 2 -i 0.2 -W 3 10.9.0.12 >/dev/null || fail "multi: opener -> client 2 failed"
ip netns exec ns2 ping -c 2 -i 0.2 -W 3 10.9.0.10 >/dev/null || fail "multi: client 2 -> opener failed"
if ip netns exec ns1 ping -c 2 -i 0.2 -W 1 10.9.0.12 >/dev/null 2>&1; then
	fail "multi: a client reached another client"
fi
bg_kill "$opener"
for i in 0 1 2; do
	ip -n "ns$i" link del "t$i" 2>/dev/null || true
done

# ---- bonding
# stream_client NAME DIR FD: Debian vde_plug in stream mode on DIR; fd FD feeds it, output in $WORK/out-NAME.
stream_client() {
	local fifo=$WORK/in-$1
	mkfifo "$fifo"
	eval "exec $3<>\"\$fifo\""
	vde_plug "vde://$2" <"$fifo" >"$WORK/out-$1" 2>"$WORK/stream-$1.log" &
	BG_PIDS+=("$!")
}

out_size() {
	stat -c %s "$WORK/out-$1"
}

bsize_is() {
	[ "$(($(out_size X) + $(out_size Y)))" = "$1" ]
}

clients_are() {
	[ "$(find "$bd" -maxdepth 1 -type s ! -name ctl | wc -l)" = "$1" ]
}

rx_above() {
	[ "$(rx "$1" "$2")" -gt "$3" ]
}

bd=$WORK/bond
bg_start -o "$WORK/opener-bond.log" env LD_LIBRARY_PATH="$BDIR/lib" vde_plug tap://t0 "bonding://$bd"
opener=$BG_PID
wait_for test -S "$bd/ctl" || fail "bonding:// did not create $bd/ctl"
tap_into t0 ns0 10.9.0.10
stream_client X "$bd" 5
stream_client Y "$bd" 6
wait_for clients_are 2 || fail "bonding: clients did not join"
# 10 echo requests (98-byte frames, 100 bytes with the stream header) to a fixed, absent neighbour
ip -n ns0 neigh replace 10.9.0.50 lladdr 02:00:00:00:00:50 dev t0 nud permanent
ip netns exec ns0 ping -c 10 -i 0.1 -W 1 10.9.0.50 >/dev/null 2>&1 || true
wait_for bsize_is 1000 || fail "bonding: clients got $(out_size X) + $(out_size Y) bytes, expected 10 frames"
log "bonding: X got $(out_size X) bytes, Y got $(out_size Y) bytes"
assert_eq "$(out_size X)" 500 "bonding: share of client X"
assert_eq "$(out_size Y)" 500 "bonding: share of client Y"
# a broadcast from X: to the opener (t0), not to Y
before=$(rx ns0 t0)
printf "\\x00\\x3c\\xff\\xff\\xff\\xff\\xff\\xff\\x02\\x00\\x00\\x00\\x00\\x0a\\x88\\xb5%046d" 0 | tr 0 '\000' >&5
wait_for rx_above ns0 t0 "$before" || fail "bonding: a client's frame did not reach the opener"
assert_eq "$(out_size Y)" 500 "bonding: a client's frame reached another client"
exec 5>&- 6>&-
bg_kill "$opener"
log "ok"
