#!/bin/bash
# Debian's slirp module (libvdeplug-slirp) loaded by our libvdeplug in our vde_plug:
# `vde_plug slirp:// = ip netns exec guest vde_plug tap://t0`. The guest gets 10.0.2.15 by DHCP
# and reaches a TCP server bound to 127.0.0.1 here through 10.0.2.2.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug busybox socat
DEBMOD=/usr/lib/x86_64-linux-gnu/vdeplug
[ -f "$DEBMOD/libvdeplug_slirp.so" ] || skip "Debian's libvdeplug-slirp is not installed"
PLUG=$BDIR/bin/vde_plug
[ -x "$PLUG" ] || skip "our vde_plug is not built"
mkdir -p "$WORK/deb"
ln -s "$DEBMOD/libvdeplug_slirp.so" "$WORK/deb/"

bg_start -o "$WORK/server.log" socat TCP-LISTEN:7777,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo nat-ok'
wait_for socat -u TCP:127.0.0.1:7777 - || fail "the host-side server did not start"

netns_add guest
bg_start -o "$WORK/slirp.log" env LD_LIBRARY_PATH="$BDIR/lib" VDEPLUGIN_PATH="$WORK/deb:$BDIR/lib/vdeplug" \
	"$PLUG" slirp:// = env -u LD_LIBRARY_PATH -u VDEPLUGIN_PATH ip netns exec guest vde_plug tap://t0
wait_for ip -n guest link show t0 || fail "no t0 in the guest: $(cat "$WORK/slirp.log")"
# The module really is Debian's: it maps libvdeslirp, which ours does not use.
grep -q libvdeslirp "/proc/$BG_PID/maps" 2>/dev/null ||
	grep -q libvdeslirp "/proc/$(pgrep -P "$BG_PID" -x vde_plug | head -n 1)/maps" 2>/dev/null ||
	fail "Debian's slirp module is not the one loaded"
ip -n guest link set t0 up
addr=$(dhcp_lease guest t0)
assert_eq "$addr" 10.0.2.15 "leased address"
ip -n guest addr add "$addr/24" dev t0
ip -n guest route add default via 10.0.2.2
out=$(ip netns exec guest socat -T 5 -u TCP:10.0.2.2:7777 -) || fail "guest could not connect to 10.0.2.2:7777"
assert_eq "$out" nat-ok "reply through the NAT"
log "ok"
