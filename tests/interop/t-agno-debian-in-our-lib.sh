#!/bin/bash
# Debian's agno module loaded by our libvdeplug (in our vde_plug) against our agno module, over a
# Debian vde_switch in hub mode: nsa Debian's (in our library), nsb ours with ethtype=rand, nsc
# ours with ethtype=copy (the frame's own EtherType outside), nsd ours with another key. The key
# file has no upper-case 'A' (the reference reads that digit as 1).
. "$(dirname "$0")/../integration/lib.sh"
need vde_switch ping od awk
DEBMOD=/usr/lib/x86_64-linux-gnu/vdeplug
[ -f "$DEBMOD/libvdeplug_agno.so" ] || skip "Debian's libvdeplug-agno is not installed"
PLUG=$BDIR/bin/vde_plug
[ -x "$PLUG" ] || skip "our vde_plug is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_agno.so" ] || fail "our agno module is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vde.so" ] || skip "our vde module is not built"

mkdir -p "$WORK/deb"
ln -s "$DEBMOD/libvdeplug_agno.so" "$WORK/deb/"
DEBPATH=$WORK/deb:$BDIR/lib/vdeplug
OURPATH=$BDIR/lib/vdeplug
export LD_LIBRARY_PATH=$BDIR/lib
printf 'fedcba98 76543210 0f1e2d3c 4b5a6978\n' >"$WORK/key1"
printf '0123456789abcdef0123456789abcdee\n' >"$WORK/key2"

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
plug nsa va "$DEBPATH" "agno://$WORK/key1{vde://$SW}"
plug nsb vb "$OURPATH" "agno://$WORK/key1[ethtype=rand]{vde://$SW}"
plug nsc vc "$OURPATH" "agno://$WORK/key1[ethtype=copy]{vde://$SW}"
plug nsd vd "$OURPATH" "agno://$WORK/key2{vde://$SW}"
i=1
for ns in nsa nsb nsc nsd; do
	ip -n "$ns" addr add "10.6.0.$i/24" dev "v${ns#ns}"
	ip -n "$ns" link set "v${ns#ns}" up
	i=$((i + 1))
done

ip netns exec nsa ping -c 3 -i 0.2 -W 2 10.6.0.2 || fail "Debian's cannot ping ours (ethtype=rand)"
ip netns exec nsb ping -c 3 -i 0.2 -W 2 10.6.0.1 || fail "ours (ethtype=rand) cannot ping Debian's"
ip netns exec nsa ping -c 3 -i 0.2 -W 2 -s 1400 10.6.0.3 || fail "Debian's cannot ping ours (ethtype=copy, 1428-byte IP)"
ip netns exec nsc ping -c 3 -i 0.2 -W 2 -s 1 10.6.0.2 || fail "ours cannot ping ours with a short frame"
if ip netns exec nsd ping -c 2 -i 0.2 -W 1 10.6.0.1 >/dev/null 2>&1; then
	fail "a host with another key reached the network"
fi
for pid in "${PLUG_PIDS[@]}"; do
	kill -0 "$pid" || fail "vde_plug ${BG_CMD[$pid]:-} exited"
done

sleep 0.5
a6=$(frames "$WORK/cap" a6de)
ip4=$(frames "$WORK/cap" 0800)
arp=$(frames "$WORK/cap" 0806)
log "hub saw: 0xa6de: $a6, outer 0x0800 (copy, encrypted): $ip4, outer 0x0806: $arp"
[ "$a6" -ge 12 ] || fail "expected Debian's and key2's frames as 0xa6de, saw $a6"
[ "$ip4" -ge 6 ] || fail "expected ethtype=copy's ICMP frames with outer type 0x0800, saw $ip4"
log "ok"
