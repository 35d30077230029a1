#!/bin/bash
# vded://NETWORK: two namespaces attach to one vded network through the daemon (network.attach, the
# data fd by SCM_RIGHTS) and ping each other, with standard and jumbo frames.
#   nsa: Debian's vde_plug on our libvdeplug (LD_LIBRARY_PATH)         vded://lab
#   nsb: Debian's vde_plug and library, our vded module (VDEPLUGIN_PATH) vded://lab/description=beta
# The ports are "attach" ports carrying the descriptions; each lives exactly as long as its plug.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq

LIBDIR=$BDIR/lib
DEBMODS=/usr/lib/x86_64-linux-gnu/vdeplug
[ -e "$LIBDIR/vdeplug/libvdeplug_vded.so" ] || fail "our vded module not built"

vded_start
expect_rc 0 vdectl network create lab
netns_add nsa
netns_add nsb

bg_start -o "$WORK/plug-a.log" ip netns exec nsa env "LD_LIBRARY_PATH=$LIBDIR" \
	vde_plug -D alpha vded://lab tap://t0
pa=$BG_PID
bg_start -o "$WORK/plug-b.log" ip netns exec nsb env "VDEPLUGIN_PATH=$LIBDIR/vdeplug:$DEBMODS" \
	vde_plug vded://lab/description=beta tap://t1
pb=$BG_PID
wait_for ip -n nsa link show t0 || fail "no tap in nsa: $(cat "$WORK/plug-a.log")"
wait_for ip -n nsb link show t1 || fail "no tap in nsb: $(cat "$WORK/plug-b.log")"
grep -q "$LIBDIR/libvdeplug.so" "/proc/$pa/maps" || fail "nsa's plug is not on our library"
grep -q "$LIBDIR/vdeplug/libvdeplug_vded.so" "/proc/$pb/maps" || fail "nsb's plug did not load our module"
grep -q "$LIBDIR/libvdeplug.so" "/proc/$pb/maps" && fail "nsb's plug should be on Debian's library"

for ns in nsa nsb; do
	dev=t0
	[ "$ns" = nsa ] || dev=t1
	ip -n "$ns" link set "$dev" mtu 9000 up
done
ip -n nsa addr add 10.5.0.1/24 dev t0
ip -n nsb addr add 10.5.0.2/24 dev t1

expect_rc 0 vdectl -j port list lab
ports=$OUT
assert_json '.ports | length' 2 "$ports"
assert_json '[.ports[] | select(.kind == "attach")] | length' 2 "$ports"
assert_json '[.ports[] | select(.description | test("^alpha user=root pid=[0-9]+"))] | length' 1 "$ports"
assert_json '[.ports[] | select(.description == "beta")] | length' 1 "$ports"

ip netns exec nsa ping -c 3 -i 0.2 -W 3 10.5.0.2 >"$WORK/ping.log" 2>&1 || fail "ping a -> b: $(cat "$WORK/ping.log")"
ip netns exec nsb ping -c 3 -i 0.2 -W 3 10.5.0.1 >"$WORK/ping.log" 2>&1 || fail "ping b -> a: $(cat "$WORK/ping.log")"
# 8972 + 28 = a 9000-byte IP packet, unfragmented: 9014-byte frames through the module and vded
ip netns exec nsa ping -c 3 -i 0.2 -W 3 -M do -s 8972 10.5.0.2 >"$WORK/ping.log" 2>&1 ||
	fail "jumbo ping a -> b: $(cat "$WORK/ping.log")"

expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | .rx_frames > 0 and .tx_frames > 0] | all' true "$OUT"

# the port goes with the control connection, i.e. with the plug
bg_kill "$pa"
wait_for port_count_is lab 1 || fail "nsa's port outlived its plug"
kill -0 "$pb" || fail "nsb's plug died with nsa's"
bg_kill "$pb"
wait_for port_count_is lab 0 || fail "nsb's port outlived its plug"
vded_stop
log "ok"
