#!/bin/bash
# Our vlan:// module loaded by Debian's libvdeplug (in QEMU 7.2, -netdev vde) against Debian's
# vlan module (in Debian's vde_plug), both over a Debian vde_switch in hub mode:
#  - both on VLAN 5 ping each other; on the hub every frame of theirs carries 802.1Q tag 5;
#  - a third host on VLAN 6 (our module again) reaches neither, and the frames it filters do not
#    disturb QEMU (no 1-byte frames reach the hub port through QEMU's tap either).
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug vde_switch qemu-system-x86_64 ping od awk
DEBMOD=/usr/lib/x86_64-linux-gnu/vdeplug
[ -f "$DEBMOD/libvdeplug_vlan.so" ] || skip "Debian's libvdeplug-vlan is not installed"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vlan.so" ] || fail "our vlan module is not built"

# Debian's library looks only in VDEPLUGIN_PATH when it is set: our vlan first, Debian's others.
mkdir -p "$WORK/ours"
ln -s "$BDIR/lib/vdeplug/libvdeplug_vlan.so" "$WORK/ours/"
OURPATH=$WORK/ours:$DEBMOD

SW=$WORK/hub
vde_switch -x -s "$SW" -d -p "$WORK/hub.pid" || fail "vde_switch did not start"
wait_for test -s "$WORK/hub.pid" || fail "vde_switch wrote no pid file"
BG_PIDS+=("$(cat "$WORK/hub.pid")")

# Every frame crossing the hub, in vde_plug's stream format (2-byte length, frame).
mkfifo "$WORK/cap.in"
exec 9<>"$WORK/cap.in"
env -u LD_LIBRARY_PATH vde_plug "vde://$SW" <"$WORK/cap.in" >"$WORK/cap" 2>"$WORK/cap.log" &
BG_PIDS+=("$!")

# qemu_vde NS TAP LOCATOR: QEMU as a cable between -netdev vde (Debian's library, our module)
# and a tap in NS; what passes the vde netdev is dumped to $WORK/dump-NS.pcap.
qemu_vde() {
	bg_start -o "$WORK/qemu-$1.log" ip netns exec "$1" env VDEPLUGIN_PATH="$OURPATH" \
		"${QEMU_BASE[@]}" -netdev "vde,id=v,sock=$3" -object "filter-dump,id=d,netdev=v,file=$WORK/dump-$1.pcap" \
		-netdev "tap,id=t,ifname=$2,script=no,downscript=no" \
		-netdev hubport,id=h1,hubid=0,netdev=v -netdev hubport,id=h2,hubid=0,netdev=t
	wait_for ip -n "$1" link show "$2" || fail "QEMU did not create $2 in $1: $(cat "$WORK/qemu-$1.log")"
}

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

# pcap_runts FILE: records shorter than 14 bytes in a pcap file.
pcap_runts() {
	od -An -v -tu1 "$1" | awk '
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	END {
		c = 0
		for (p = 24; p + 16 <= n; p += 16 + len) {
			len = b[p + 8] + b[p + 9] * 256 + b[p + 10] * 65536 + b[p + 11] * 16777216
			if (len < 14) c++
		}
		print c
	}'
}

# No IPv6: nothing is sent when a tap goes up, so no frame reaches a plug whose tap is still down
# (a write to a down tap fails with EIO).
noipv6() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

netns_add nsa
noipv6 nsa
netns_add nsb
noipv6 nsb
netns_add nsc
noipv6 nsc
bg_start -o "$WORK/plug-a.log" ip netns exec nsa vde_plug "vlan://5{vde://$SW}" tap://va
wait_for ip -n nsa link show va || fail "Debian's vde_plug did not create va"
qemu_vde nsb vb "vlan://5{vde://$SW}"
qemu_vde nsc vc "vlan://6{vde://$SW}"
ip -n nsa addr add 10.5.0.1/24 dev va
ip -n nsb addr add 10.5.0.2/24 dev vb
ip -n nsc addr add 10.5.0.3/24 dev vc
for ns in nsa nsb nsc; do ip -n "$ns" link set "v${ns#ns}" up; done

ip netns exec nsb ping -c 3 -i 0.2 -W 2 10.5.0.1 || fail "ours (VLAN 5) cannot ping Debian's (VLAN 5)"
ip netns exec nsa ping -c 3 -i 0.2 -W 2 10.5.0.2 || fail "Debian's (VLAN 5) cannot ping ours (VLAN 5)"
if ip netns exec nsc ping -c 2 -i 0.2 -W 1 10.5.0.1 >/dev/null 2>&1; then
	fail "VLAN 6 reached VLAN 5"
fi
# The VLAN-6 host kept broadcasting ARP to VLAN-5 ports: our module filtered them in QEMU, which
# is still there and still passes traffic.
kill -0 "$BG_PID" || fail "QEMU with vlan://6 died"
ip netns exec nsb ping -c 2 -i 0.2 -W 2 10.5.0.1 || fail "VLAN 5 stopped working after VLAN 6 traffic"

sleep 0.5
t5=$(frames "$WORK/cap" 8100 5)
t6=$(frames "$WORK/cap" 8100 6)
ip4=$(frames "$WORK/cap" 0800)
arp=$(frames "$WORK/cap" 0806)
log "hub saw: $t5 frames tagged 5, $t6 tagged 6, $ip4 untagged IPv4, $arp untagged ARP"
[ "$t5" -ge 10 ] || fail "expected the pings as 802.1Q VID 5 frames on the hub, saw $t5"
[ "$t6" -ge 1 ] || fail "expected VID 6 ARP requests on the hub, saw $t6"
[ "$ip4" -eq 0 ] && [ "$arp" -eq 0 ] || fail "untagged frames leaked onto the hub"

# Nothing shorter than an Ethernet header came out of vde_recv into QEMU (a module returning the
# "drop" value 1 makes QEMU deliver a 1-byte frame, which filter-dump records).
for ns in nsb nsc; do
	runts=$(pcap_runts "$WORK/dump-$ns.pcap")
	[ "$runts" -eq 0 ] || fail "QEMU in $ns delivered $runts frames shorter than 14 bytes"
done
log "ok"
