#!/bin/bash
# vde:// against vded's per-network endpoint (our server of the vde_switch protocol): our vde module
# (our vde_plug on our library) asks for port 7 with a description, a pure-Debian vde_plug joins too;
# ping with standard and 9014-byte frames (vded carries jumbo frames, unlike vde_switch 2.x).
# A second request for the taken port 7 is refused, and the open fails rather than hangs.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq

LIBDIR=$BDIR/lib
[ -e "$LIBDIR/vdeplug/libvdeplug_vde.so" ] || fail "our vde module not built"
[ -x "$BDIR/bin/vde_plug" ] || fail "$BDIR/bin/vde_plug not built"
OURS=(env "LD_LIBRARY_PATH=$LIBDIR" "$BDIR/bin/vde_plug")

vded_start
expect_rc 0 vdectl network create lab
ep=$RUN/net/lab
netns_add nsa
netns_add nsb

bg_start -o "$WORK/ours.log" ip netns exec nsa "${OURS[@]}" -D seven "vde://$ep[port=7]" tap://va
ours=$BG_PID
plug_tap nsb vb lab
wait_for ip -n nsa link show va || fail "our plug made no tap: $(cat "$WORK/ours.log")"
grep -q "$LIBDIR/vdeplug/libvdeplug_vde.so" "/proc/$ours/maps" || fail "our vde module is not loaded"
wait_for port_count_is lab 2 || fail "not both plugs joined"

expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.id == 7)] | length' 1 "$OUT"
assert_json '.ports[] | select(.id == 7) | .description | test("^seven user=root pid=[0-9]+")' true "$OUT"
assert_json '.ports[] | select(.id == 7) | .kind' endpoint "$OUT"

ip -n nsa link set va mtu 9000 up
ip -n nsb link set vb mtu 9000
ip -n nsa addr add 10.6.0.1/24 dev va
ip -n nsb addr add 10.6.0.2/24 dev vb
ip netns exec nsa ping -c 3 -i 0.2 -W 3 10.6.0.2 >"$WORK/ping.log" 2>&1 || fail "ping: $(cat "$WORK/ping.log")"
ip netns exec nsb ping -c 3 -i 0.2 -W 3 -M do -s 8972 10.6.0.1 >"$WORK/ping.log" 2>&1 ||
	fail "jumbo ping: $(cat "$WORK/ping.log")"

# port 7 is taken: the endpoint closes the request, the open fails (it must not hang)
expect_rc 1 timeout 20 "${OURS[@]}" "vde://$ep[port=7]" null://
[ -n "$ERR" ] || fail "no error message for a taken port"
assert_eq "$(port_count lab)" 2 "ports after the refused request"

# the port goes when the plug does
bg_kill "$ours"
wait_for port_count_is lab 1 || fail "port 7 outlived its plug"
vded_stop
log "ok"
