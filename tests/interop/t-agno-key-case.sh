#!/bin/bash
# Key files in any hex case give the same key in our agno module: nsa reads "A1B2...", nsb the same
# digits in lower case, and they ping each other. nsc's file has every 'A' replaced by '1' - the
# key the reference would read from nsa's file (it reads the digit 'A' as 1) - and reaches nobody.
. "$(dirname "$0")/../integration/lib.sh"
need vde_switch ping
PLUG=$BDIR/bin/vde_plug
[ -x "$PLUG" ] || skip "our vde_plug is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_agno.so" ] || fail "our agno module is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vde.so" ] || skip "our vde module is not built"
OURPATH=$BDIR/lib/vdeplug
export LD_LIBRARY_PATH=$BDIR/lib
KEY=A1B2C3D4E5F60718293A4B5C6D7E8F9A
echo "$KEY" >"$WORK/upper"
echo "$KEY" | tr 'A-F' 'a-f' >"$WORK/lower"
echo "$KEY" | tr 'A' '1' >"$WORK/quirk"

SW=$WORK/hub
vde_switch -x -s "$SW" -d -p "$WORK/hub.pid" || fail "vde_switch did not start"
wait_for test -s "$WORK/hub.pid" || fail "vde_switch wrote no pid file"
BG_PIDS+=("$(cat "$WORK/hub.pid")")


# plug NS TAP PLUGINPATH LOCATOR: our vde_plug joining LOCATOR and a tap in NS.
plug() {
	bg_start -o "$WORK/plug-$1.log" ip netns exec "$1" env VDEPLUGIN_PATH="$3" "$PLUG" "$4" "tap://$2"
	PLUG_PIDS+=("$BG_PID")
	wait_for ip -n "$1" link show "$2" || fail "vde_plug did not create $2 in $1: $(cat "$WORK/plug-$1.log")"
}

# No IPv6: nothing is sent when a tap goes up, so no frame reaches a plug whose tap is still down
# (a write to a down tap fails with EIO).
noipv6() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

PLUG_PIDS=()
for ns in nsa nsb nsc; do netns_add "$ns"; noipv6 "$ns"; done
plug nsa va "$OURPATH" "agno://$WORK/upper{vde://$SW}"
plug nsb vb "$OURPATH" "agno://$WORK/lower{vde://$SW}"
plug nsc vc "$OURPATH" "agno://$WORK/quirk{vde://$SW}"
i=1
for ns in nsa nsb nsc; do
	ip -n "$ns" addr add "10.6.0.$i/24" dev "v${ns#ns}"
	ip -n "$ns" link set "v${ns#ns}" up
	i=$((i + 1))
done
ip netns exec nsa ping -c 3 -i 0.2 -W 2 10.6.0.2 || fail "upper- and lower-case key files differ"
if ip netns exec nsc ping -c 2 -i 0.2 -W 1 10.6.0.1 >/dev/null 2>&1; then
	fail "'A' was read as 1"
fi
for pid in "${PLUG_PIDS[@]}"; do
	kill -0 "$pid" || fail "vde_plug ${BG_CMD[$pid]:-} exited"
done
log "ok"
