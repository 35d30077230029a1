#!/bin/bash
# tap:// (IFF_TAP|IFF_NO_PI): a cable between two of our taps, one frame per read/write, moved into
# two namespaces; ping with standard frames, then 9000-byte IP packets (9014-byte frames) unfragmented.
# Run twice: our vde_plug on our library, and Debian's vde_plug and library loading our tap module.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping

LIBDIR=$BDIR/lib
DEBMODS=/usr/lib/x86_64-linux-gnu/vdeplug
[ -e "$LIBDIR/vdeplug/libvdeplug_tap.so" ] || fail "our tap module not built"
[ -x "$BDIR/bin/vde_plug" ] || fail "$BDIR/bin/vde_plug not built"

netns_add nsa
netns_add nsb

n=0
for variant in ours debmod; do
	n=$((n + 1))
	case $variant in
	ours) run=(env "LD_LIBRARY_PATH=$LIBDIR" "$BDIR/bin/vde_plug") ;;
	debmod) run=(env "VDEPLUGIN_PATH=$LIBDIR/vdeplug:$DEBMODS" vde_plug) ;;
	esac
	ta=ja$n tb=jb$n
	bg_start -o "$WORK/plug-$variant.log" "${run[@]}" "tap://$ta" "tap://$tb"
	pid=$BG_PID
	wait_for ip link show "$tb" || fail "$variant: no taps: $(cat "$WORK/plug-$variant.log")"
	grep -q "$LIBDIR/vdeplug/libvdeplug_tap.so" "/proc/$pid/maps" || fail "$variant: our tap module is not loaded"
	ip link set "$ta" netns nsa
	ip link set "$tb" netns nsb
	ip -n nsa link set "$ta" mtu 9000 up
	ip -n nsb link set "$tb" mtu 9000 up
	ip -n nsa addr add "10.$n.0.1/24" dev "$ta"
	ip -n nsb addr add "10.$n.0.2/24" dev "$tb"
	ip netns exec nsa ping -c 3 -i 0.2 -W 3 "10.$n.0.2" >"$WORK/ping.log" 2>&1 ||
		fail "$variant: ping: $(cat "$WORK/ping.log")"
	ip netns exec nsb ping -c 3 -i 0.2 -W 3 -M do -s 8972 "10.$n.0.1" >"$WORK/ping.log" 2>&1 ||
		fail "$variant: jumbo ping: $(cat "$WORK/ping.log")"
	log "$variant ok"
done
	bg_kill "$pid"
log "ok"
