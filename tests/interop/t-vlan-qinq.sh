#!/bin/bash
# 802.1ad (QinQ) between Debian's vlan module (Debian's vde_plug and library) and ours (our
# vde_plug and library) over a Debian vde_switch in hub mode: customer VLAN 4 inside service VLAN 5.
#  - nsa: Debian's vlan://4{vlan://5/qinq{...}} (the reference's address-style options);
#  - nsb: ours, vlan://4{vlan://5[qinq]{...}} (path-style options);
#  - nsc: ours, vlan://4{vlan://6/ad{...}}: same customer VLAN, other service VLAN: isolated.
# On the hub the frames carry TPID 0x88a8 VID 5 outside, 0x8100 VID 4 inside.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug vde_switch ping od awk
DEBMOD=/usr/lib/x86_64-linux-gnu/vdeplug
[ -f "$DEBMOD/libvdeplug_vlan.so" ] || skip "Debian's libvdeplug-vlan is not installed"
PLUG=$BDIR/bin/vde_plug
[ -x "$PLUG" ] || skip "our vde_plug is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vlan.so" ] || fail "our vlan module is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vde.so" ] || skip "our vde module is not built"
OURPATH=$BDIR/lib/vdeplug

SW=$WORK/hub
vde_switch -x -s "$SW" -d -p "$WORK/hub.pid" || fail "vde_switch did not start"
wait_for test -s "$WORK/hub.pid" || fail "vde_switch wrote no pid file"
BG_PIDS+=("$(cat "$WORK/hub.pid")")

# Every frame crossing the hub, in vde_plug's stream format (2-byte length, frame).
mkfifo "$WORK/cap.in"
exec 9<>"$WORK/cap.in"
env -u LD_LIBRARY_PATH vde_plug "vde://$SW" <"$WORK/cap.in" >"$WORK/cap" 2>"$WORK/cap.log" &
BG_PIDS+=("$!")

# frames FILE ETHERTYPE VID [ETHERTYPE2 VID2]: frames of the stream capture FILE with that outer
# EtherType (hex) and VID, and if given that inner tag.
frames() {
	od -An -v -tx1 "$1" | awk -v et="$2" -v vid="$3" -v et2="${4:-}" -v vid2="${5:-}" '
	function h(s) { return index("0123456789abcdef", substr(s, 1, 1)) * 16 - 16 + index("0123456789abcdef", substr(s, 2, 1)) - 1 }
	function v(o) { return (h(b[o]) % 16) * 256 + h(b[o + 1]) }
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	END {
		c = 0
		for (p = 0; p + 2 <= n; p += 2 + len) {
			len = h(b[p]) * 256 + h(b[p + 1]); s = p + 2
			if (len < 22 || s + len > n) continue
			if (b[s + 12] b[s + 13] != et || v(s + 14) != vid + 0) continue
			if (et2 != "" && (b[s + 16] b[s + 17] != et2 || v(s + 18) != vid2 + 0)) continue
			c++
		}
		print c
	}'
}

# plug NS TAP PLUGINPATH LOCATOR: our vde_plug joining LOCATOR and a tap in NS.
plug() {
	bg_start -o "$WORK/plug-$1.log" ip netns exec "$1" env LD_LIBRARY_PATH="$BDIR/lib" VDEPLUGIN_PATH="$3" "$PLUG" "$4" "tap://$2"
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
bg_start -o "$WORK/plug-nsa.log" ip netns exec nsa vde_plug "vlan://4{vlan://5/qinq{vde://$SW}}" tap://va
wait_for ip -n nsa link show va || fail "Debian's vde_plug did not create va"
plug nsb vb "$OURPATH" "vlan://4{vlan://5[qinq]{vde://$SW}}"
plug nsc vc "$OURPATH" "vlan://4{vlan://6/ad{vde://$SW}}"
i=1
for ns in nsa nsb nsc; do
	ip -n "$ns" addr add "10.4.0.$i/24" dev "v${ns#ns}"
	ip -n "$ns" link set "v${ns#ns}" up
	i=$((i + 1))
done

ip netns exec nsa ping -c 3 -i 0.2 -W 2 10.4.0.2 || fail "Debian's QinQ cannot reach ours"
ip netns exec nsb ping -c 3 -i 0.2 -W 2 10.4.0.1 || fail "our QinQ cannot reach Debian's"
if ip netns exec nsc ping -c 2 -i 0.2 -W 1 10.4.0.1 >/dev/null 2>&1; then
	fail "service VLAN 6 reached service VLAN 5"
fi
for pid in "${PLUG_PIDS[@]}"; do
	kill -0 "$pid" || fail "vde_plug ${BG_CMD[$pid]:-} exited"
done

sleep 0.5
s5=$(frames "$WORK/cap" 88a8 5 8100 4)
s6=$(frames "$WORK/cap" 88a8 6 8100 4)
q4=$(frames "$WORK/cap" 8100 4)
log "hub saw: S-VID 5/C-VID 4: $s5, S-VID 6/C-VID 4: $s6, bare 802.1Q VID 4: $q4"
[ "$s5" -ge 12 ] || fail "expected the pings double-tagged 88a8/5 + 8100/4, saw $s5"
[ "$s6" -ge 1 ] || fail "expected ARP requests double-tagged 88a8/6 + 8100/4, saw $s6"
[ "$q4" -eq 0 ] || fail "customer-tagged frames left without the service tag"
log "ok"
