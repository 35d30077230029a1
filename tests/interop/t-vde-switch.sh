#!/bin/bash
# vde:// against Debian's vde_switch (the reference server of doc/vde-wire.md §3). Three ways of running
# our side, each cabled to a tap in its own namespace, pinging a pure-Debian vde_plug on the same switch:
#   ours     - our vde_plug, our libvdeplug, our vde:// and tap:// modules
#   deblib   - Debian's vde_plug on our libvdeplug (LD_LIBRARY_PATH), so our modules
#   debmod   - Debian's vde_plug and libvdeplug loading our modules (VDEPLUGIN_PATH)
# Each asks for port 5 with the positional syntax vde://DIR[5] and a description; the switch must
# list that port with that description, and free it when the plug exits (EOF on the ctl stream).
. "$(dirname "$0")/../integration/lib.sh"
need vde_switch vde_plug socat ping

LIBDIR=$BDIR/lib
[ -e "$LIBDIR/libvdeplug.so.2" ] || fail "$LIBDIR/libvdeplug.so.2 not built"
[ -e "$LIBDIR/vdeplug/libvdeplug_vde.so" ] || fail "our vde module not built"
DEBMODS=/usr/lib/x86_64-linux-gnu/vdeplug

sw=$WORK/sw
vde_switch -s "$sw" -M "$WORK/mgmt" -d -p "$WORK/switch.pid" >"$WORK/switch.log" 2>&1 ||
	fail "vde_switch did not start"
wait_for test -s "$WORK/switch.pid" || fail "vde_switch wrote no pid file"
BG_PIDS+=("$(cat "$WORK/switch.pid")")
wait_for test -S "$sw/ctl" || fail "vde_switch made no $sw/ctl"

mgmt() {
	printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$WORK/mgmt"
}
port_free() {
	! mgmt port/allprint | grep -q "^Port 000$1 .* ACTIVE"
}
tap_gone() {
	! ip -n "$1" link show "$2" >/dev/null 2>&1
}

netns_add nsa
netns_add nsb
# The Debian reference peer, for the whole test.
bg_start -o "$WORK/peer.log" ip netns exec nsb vde_plug "vde://$sw" tap://tb
wait_for ip -n nsb link show tb || fail "Debian vde_plug made no tap"
ip -n nsb link set tb up
ip -n nsb addr add 10.0.0.2/24 dev tb

n=0
# VARIANTS (for debugging) runs a subset.
for variant in ${VARIANTS:-ours deblib debmod}; do
	n=$((n + 1))
	case $variant in
	ours) run=(env "$BDIR/bin/vde_plug") ;;
	deblib) run=(env "LD_LIBRARY_PATH=$LIBDIR" vde_plug) ;;
	debmod) run=(env "VDEPLUGIN_PATH=$LIBDIR/vdeplug:$DEBMODS" vde_plug) ;;
	esac
	[ "$variant" != ours ] || [ -x "$BDIR/bin/vde_plug" ] || fail "$BDIR/bin/vde_plug not built"
	tap=ta$n
	bg_start -o "$WORK/plug-$variant.log" ip netns exec nsa "${run[@]}" -D "interop-$variant" "vde://$sw[5]" "tap://$tap"
	pid=$BG_PID
	wait_for ip -n nsa link show "$tap" || fail "$variant: no tap $tap: $(cat "$WORK/plug-$variant.log")"
	# what runs is what the variant says: our module, on our library or on Debian's
	# (ip netns exec and env exec, so $pid is vde_plug itself)
	maps=$(cat "/proc/$pid/maps")
	grep -q "$LIBDIR/vdeplug/libvdeplug_vde.so" <<<"$maps" || fail "$variant: our vde module is not loaded"
	if [ "$variant" = debmod ]; then
		grep -q "$LIBDIR/libvdeplug.so" <<<"$maps" && fail "$variant: our libvdeplug is loaded"
	else
		grep -q "$LIBDIR/libvdeplug.so" <<<"$maps" || fail "$variant: our libvdeplug is not loaded"
	fi
	ip -n nsa link set "$tap" up
	ip -n nsa addr add "10.0.0.1/24" dev "$tap"
	ip netns exec nsa ping -c 3 -i 0.2 -W 3 10.0.0.2 >"$WORK/ping-$variant.log" 2>&1 ||
		fail "$variant: ping through vde_switch failed: $(cat "$WORK/ping-$variant.log")"
	out=$(mgmt port/allprint)
	grep -q "^Port 0005 .* ACTIVE" <<<"$out" || fail "$variant: port 5 not in use: $out"
	grep -A4 "^Port 0005" <<<"$out" | grep -q "interop-$variant user=" ||
		fail "$variant: port 5 does not carry our description: $out"
	bg_kill "$pid"
	wait_for tap_gone nsa "$tap" || fail "$variant: tap outlived vde_plug"
	# EOF on the control stream frees the port
	wait_for port_free 5 || fail "$variant: port 5 not freed"
	log "$variant ok"
done
log "ok"
