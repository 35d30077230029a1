#!/bin/bash
# Our agno:// module loaded by Debian's libvdeplug (in QEMU 7.2, -netdev vde) against Debian's
# agno module (in Debian's vde_plug), over a Debian vde_switch in hub mode:
#  - nsa Debian's, nsb ours (default EtherType 0xa6de), nsc ours (ethtype=0x88b5): same key file
#    (no upper-case 'A': the reference reads that digit as 1), all ping each other;
#  - nsd ours with another key reaches nobody, and the frames our modules cannot decrypt never
#    come out of vde_recv as runts into QEMU;
#  - on the hub: only the agno EtherTypes, no plain IPv4/ARP, and not the ping payload pattern.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug vde_switch qemu-system-x86_64 ping od awk
DEBMOD=/usr/lib/x86_64-linux-gnu/vdeplug
[ -f "$DEBMOD/libvdeplug_agno.so" ] || skip "Debian's libvdeplug-agno is not installed"
[ -f "$BDIR/lib/vdeplug/libvdeplug_agno.so" ] || fail "our agno module is not built"

mkdir -p "$WORK/ours"
ln -s "$BDIR/lib/vdeplug/libvdeplug_agno.so" "$WORK/ours/"
OURPATH=$WORK/ours:$DEBMOD
# Hex digits with other characters in between (skipped) and lower-case 'a', upper-case B-F.
printf '3b9a C0fF ee12 d4a5\n6E7f-8091-a2B3-c4D5\n' >"$WORK/key1"
printf '00112233445566778899aabbccddeeff\n' >"$WORK/key2"
PATTERN=5ca1ab1e0ddba11c

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
netns_add nsd
noipv6 nsd
bg_start -o "$WORK/plug-a.log" ip netns exec nsa vde_plug "agno://$WORK/key1{vde://$SW}" tap://va
wait_for ip -n nsa link show va || fail "Debian's vde_plug did not create va"
qemu_vde nsb vb "agno://$WORK/key1{vde://$SW}"
qemu_vde nsc vc "agno://$WORK/key1[ethtype=0x88b5]{vde://$SW}"
qemu_vde nsd vd "agno://$WORK/key2{vde://$SW}"
i=1
for ns in nsa nsb nsc nsd; do
	ip -n "$ns" addr add "10.6.0.$i/24" dev "v${ns#ns}"
	ip -n "$ns" link set "v${ns#ns}" up
	i=$((i + 1))
done

ip netns exec nsb ping -c 3 -i 0.2 -W 2 -p "$PATTERN" 10.6.0.1 || fail "ours cannot ping Debian's"
ip netns exec nsa ping -c 3 -i 0.2 -W 2 -p "$PATTERN" 10.6.0.2 || fail "Debian's cannot ping ours"
ip netns exec nsa ping -c 3 -i 0.2 -W 2 -p "$PATTERN" 10.6.0.3 || fail "Debian's cannot ping ours (ethtype=0x88b5)"
ip netns exec nsc ping -c 3 -i 0.2 -W 2 -s 1400 10.6.0.2 || fail "ours cannot ping ours with 1400-byte payloads"
if ip netns exec nsd ping -c 2 -i 0.2 -W 1 10.6.0.1 >/dev/null 2>&1; then
	fail "a host with another key reached the network"
fi
for ns in nsb nsc nsd; do
	[ -n "$(ip netns pids "$ns")" ] || fail "QEMU in $ns exited"
done

sleep 0.5
a6=$(frames "$WORK/cap" a6de)
b5=$(frames "$WORK/cap" 88b5)
plain=$(($(frames "$WORK/cap" 0800) + $(frames "$WORK/cap" 0806)))
log "hub saw: 0xa6de: $a6, 0x88b5: $b5, plain IPv4/ARP: $plain"
[ "$a6" -ge 12 ] || fail "expected the pings as 0xa6de frames on the hub, saw $a6"
[ "$b5" -ge 6 ] || fail "expected 0x88b5 frames from ethtype=0x88b5, saw $b5"
[ "$plain" -eq 0 ] || fail "plaintext frames on the hub"
if od -An -v -tx1 "$WORK/cap" | tr -d ' \n' | grep -q "$PATTERN"; then
	fail "the ping payload pattern is visible on the hub"
fi

for ns in nsb nsc nsd; do
	n=$(pcap_runts "$WORK/dump-$ns.pcap")
	[ "$n" -eq 0 ] || fail "QEMU in $ns delivered $n frames shorter than 14 bytes"
done
log "ok"
