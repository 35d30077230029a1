#!/bin/bash
# Debian's vlan module loaded by our libvdeplug (in our vde_plug) against our vlan module, over a
# Debian vde_switch in hub mode, with the options the reference mis-parses:
#  - nsa: Debian's vlan://5 (in our library);
#  - nsb: ours, vlan://5{vlan://9[trunk]{...}}: the user's VID-5 frames cross a trunk port whose
#    options use the path syntax (the reference drops the first option of `9[trunk/...]`);
#  - nsc: ours, vlan://15{vlan://[tag=15-5]{...}}: user VID 15 is VID 5 on the wire;
#  - nsd: ours, vlan://6: isolated.
. "$(dirname "$0")/../integration/lib.sh"
need vde_switch ping od awk
DEBMOD=/usr/lib/x86_64-linux-gnu/vdeplug
[ -f "$DEBMOD/libvdeplug_vlan.so" ] || skip "Debian's libvdeplug-vlan is not installed"
PLUG=$BDIR/bin/vde_plug
[ -x "$PLUG" ] || skip "our vde_plug is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vlan.so" ] || fail "our vlan module is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vde.so" ] || skip "our vde module is not built"

# Our library: Debian's vlan from $WORK/deb, everything else (vde://) ours.
mkdir -p "$WORK/deb"
ln -s "$DEBMOD/libvdeplug_vlan.so" "$WORK/deb/"
DEBPATH=$WORK/deb:$BDIR/lib/vdeplug
OURPATH=$BDIR/lib/vdeplug
export LD_LIBRARY_PATH=$BDIR/lib

SW=$WORK/hub
vde_switch -x -s "$SW" -d -p "$WORK/hub.pid" || fail "vde_switch did not start"
wait_for test -s "$WORK/hub.pid" || fail "vde_switch wrote no pid file"
BG_PIDS+=("$(cat "$WORK/hub.pid")")

# Every frame crossing the hub, in vde_plug's stream format (2-byte length, frame).
mkfifo "$WORK/cap.in"
exec 9<>"$WORK/cap.in"
env -u LD_LIBRARY_PATH vde_plug "vde://$SW" <"$WORK/cap.in" >"$WORK/cap" 2>"$WORK/cap.log" &
BG_PIDS+=("$!")

# frames FILE ETHERTYPE [VID]: how many frames of the stream capture FILE have that outer
# EtherType (hex, e.g. 8100) and, if given, that VID in the tag.
frames() {
	od -An -v -tx1 "$1" | awk -v et="$2" -v vid="${3:-}" '
	function h(s) { return index("0123456789abcdef", substr(s, 1, 1)) * 16 - 16 + index("0123456789abcdef", substr(s, 2, 1)) - 1 }
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	END {
		c = 0
		for (p = 0; p + 2 <= n; p += 2 + len) {
			len = h(b[p]) * 256 + h(b[p + 1]); s = p + 2
			if (len < 14 || s + len > n) continue
			if (b[s + 12] b[s + 13] != et) continue
			if (vid != "" && (h(b[s + 14]) % 16) * 256 + h(b[s + 15]) != vid + 0) continue
			c++
		}
		print c
	}'
}

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
for ns in nsa nsb nsc nsd; do netns_add "$ns"; noipv6 "$ns"; done
plug nsa va "$DEBPATH" "vlan://5{vde://$SW}"
plug nsb vb "$OURPATH" "vlan://5{vlan://9[trunk]{vde://$SW}}"
plug nsc vc "$OURPATH" "vlan://15{vlan://[tag=15-5]{vde://$SW}}"
plug nsd vd "$OURPATH" "vlan://6{vde://$SW}"
i=1
for ns in nsa nsb nsc nsd; do
	ip -n "$ns" addr add "10.5.0.$i/24" dev "v${ns#ns}"
	ip -n "$ns" link set "v${ns#ns}" up
	i=$((i + 1))
done

ip netns exec nsa ping -c 3 -i 0.2 -W 2 10.5.0.2 || fail "Debian's VLAN 5 cannot reach VLAN 5 through our trunk"
ip netns exec nsa ping -c 3 -i 0.2 -W 2 10.5.0.3 || fail "Debian's VLAN 5 cannot reach our remapped 15-5"
ip netns exec nsb ping -c 3 -i 0.2 -W 2 10.5.0.3 || fail "our trunk cannot reach our remapped port"
if ip netns exec nsd ping -c 2 -i 0.2 -W 1 10.5.0.1 >/dev/null 2>&1; then
	fail "VLAN 6 reached VLAN 5"
fi
# Every vde_plug survived the frames its module filtered.
for pid in "${PLUG_PIDS[@]}"; do
	kill -0 "$pid" || fail "vde_plug ${BG_CMD[$pid]:-} exited"
done
ip netns exec nsc ping -c 2 -i 0.2 -W 2 10.5.0.1 || fail "VLAN 5 stopped working after VLAN 6 traffic"

sleep 0.5
t5=$(frames "$WORK/cap" 8100 5)
t6=$(frames "$WORK/cap" 8100 6)
t9=$(frames "$WORK/cap" 8100 9)
t15=$(frames "$WORK/cap" 8100 15)
untagged=$(($(frames "$WORK/cap" 0800) + $(frames "$WORK/cap" 0806)))
log "hub saw: tagged 5: $t5, 6: $t6, 9: $t9, 15: $t15; untagged IPv4/ARP: $untagged"
[ "$t5" -ge 20 ] || fail "expected the pings as VID 5 frames on the hub, saw $t5"
[ "$t6" -ge 1 ] || fail "expected VID 6 ARP requests on the hub, saw $t6"
[ "$t15" -eq 0 ] || fail "user VID 15 leaked onto the wire unmapped"
[ "$t9" -eq 0 ] && [ "$untagged" -eq 0 ] || fail "frames on the trunk's untagged VLAN 9 or untagged"
log "ok"
