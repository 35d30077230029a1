#!/bin/bash
# vxvde:// over IPv6 multicast between two namespaces joined by a veth pair (IPv6 multicast does not
# loop over lo alone). In the underlay namespace ux runs
#   A  Debian's library and Debian's vxvde module (the reference)
# and in uy, on the same group and port,
#   B  Debian's library loading our vxvde module (VDEPLUGIN_PATH)
#   C  our library and our modules (LD_LIBRARY_PATH)
# Each is a Debian vde_plug cabled to a tap moved into its own namespace. All pairs ping; frames
# between learned MACs go unicast; no instance gets its own multicast back.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq

DEBMODS=
for d in /usr/lib/*/vdeplug /usr/lib/vdeplug; do
	[ -e "$d/libvdeplug_vxvde.so" ] && DEBMODS=$d
done
[ -n "$DEBMODS" ] || skip "Debian's vdeplug modules (libvdeplug2) not installed"
[ -e "$BDIR/lib/libvdeplug.so.2" ] || fail "our libvdeplug.so.2 is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" ] || fail "our vxvde module is not built"
[ -e /proc/net/if_inet6 ] || skip "no IPv6 in this kernel"

mkdir "$WORK/mods"
ln -s "$DEBMODS"/libvdeplug_*.so "$WORK/mods/"
ln -sf "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" "$WORK/mods/libvdeplug_vxvde.so"

GROUP=ff05:56de::77
netns_add ux
netns_add uy
ip link add vx0 type veth peer name vy0
ip link set vx0 netns ux
ip link set vy0 netns uy
ip -n ux addr add fd00:77::1/64 dev vx0 nodad
ip -n uy addr add fd00:77::2/64 dev vy0 nodad
ip -n ux link set vx0 up
ip -n uy link set vy0 up
# taps made from now on carry no IPv6 chatter: the counters below must see only what the test sends
for ns in ux uy; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip netns exec ux ping -6 -c 1 -W 5 fd00:77::2 >/dev/null || fail "the veth underlay does not work"

# vx_plug NAME UNDERLAY_NS IF TAP NS ADDR [ENV...]
vx_plug() {
	local name=$1 uns=$2 ifc=$3 tap=$4 ns=$5 addr=$6
	shift 6
	netns_add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	bg_start -o "$WORK/plug-$name.log" ip netns exec "$uns" env "$@" vde_plug "vxvde://$GROUP/if=$ifc" "tap://$tap"
	wait_for ip -n "$uns" link show "$tap" || fail "instance $name did not create $tap"
	ip -n "$uns" link set "$tap" netns "$ns"
	ip -n "$ns" link set "$tap" up
	ip -n "$ns" addr add "$addr/24" dev "$tap"
}

rx() {
	ip -n "$1" -j -s link show "$2" | jq '.[0].stats64.rx.packets'
}

mcast6_in() {
	local n=0 ns v
	for ns in ux uy; do
		v=$(ip netns exec "$ns" awk '$1 == "Ip6InMcastPkts" { print $2 }' /proc/net/snmp6)
		n=$((n + v))
	done
	echo "$n"
}

vx_plug A ux vx0 t1 ns1 10.9.0.1
pid_a=$BG_PID
vx_plug B uy vy0 t2 ns2 10.9.0.2 VDEPLUGIN_PATH="$WORK/mods"
pid_b=$BG_PID
vx_plug C uy vy0 t3 ns3 10.9.0.3 LD_LIBRARY_PATH="$BDIR/lib"
pid_c=$BG_PID

grep -q "$DEBMODS/libvdeplug_vxvde.so" "/proc/$pid_a/maps" || fail "A did not load Debian's vxvde"
grep -q "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" "/proc/$pid_b/maps" || fail "B did not load our vxvde"
grep -q "$BDIR/lib/libvdeplug.so.2" "/proc/$pid_b/maps" && fail "B loaded our library"
grep -q "$BDIR/lib/libvdeplug.so.2" "/proc/$pid_c/maps" || fail "C did not load our library"

ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.9.0.2 || fail "A -> B ping failed"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.9.0.3 || fail "A -> C ping failed"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.9.0.3 || fail "B -> C ping failed"
ip netns exec ns3 ping -c 3 -i 0.2 -W 3 10.9.0.1 || fail "C -> A ping failed"
ip netns exec ns3 ping -c 2 -i 0.2 -W 3 -M do -s 1400 10.9.0.1 || fail "large ping C -> A failed"

for a in 1 2 3; do
	for b in 1 2 3; do
		[ "$a" = "$b" ] && continue
		ip -n "ns$a" neigh replace "10.9.0.$b" lladdr "$(tap_mac "ns$b" "t$b")" dev "t$a" nud permanent
	done
done

# Learning across the veth (C <-> A) and within uy (C <-> B): 40 frames, no multicast for them.
before=$(mcast6_in)
ip netns exec ns3 ping -c 10 -i 0.1 -W 3 10.9.0.1 >/dev/null || fail "C -> A burst failed"
ip netns exec ns3 ping -c 10 -i 0.1 -W 3 10.9.0.2 >/dev/null || fail "C -> B burst failed"
after=$(mcast6_in)
log "IPv6 multicast received during 40 unicast frames: $((after - before))"
[ $((after - before)) -lt 10 ] || fail "frames between known MACs went to the group ($((after - before)) multicast packets)"

for src in 3:ns3:t3 2:ns2:t2; do
	IFS=: read -r n ns tap <<<"$src"
	self0=$(rx "$ns" "$tap")
	peer0=$(rx ns1 t1)
	ip netns exec "$ns" ping -c 2 -i 0.5 -W 1 10.9.0.99 >/dev/null 2>&1 || true
	ip -n "$ns" neigh flush dev "$tap" nud incomplete 2>/dev/null || true
	self1=$(rx "$ns" "$tap")
	peer1=$(rx ns1 t1)
	log "$tap: rx +$((self1 - self0)) while sending broadcasts; t1 rx +$((peer1 - peer0))"
	[ $((peer1 - peer0)) -ge 1 ] || fail "broadcasts from $tap did not reach A"
	[ "$self1" -eq "$self0" ] || fail "instance on $tap received its own multicast back"
done

bg_kill "$pid_c"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.9.0.2 || fail "A -> B ping failed after C left"
log "ok"
