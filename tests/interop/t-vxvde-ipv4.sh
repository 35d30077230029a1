#!/bin/bash
# vxvde:// over IPv4 multicast on lo, three instances on one group, each a Debian vde_plug cabled to a
# tap that is then moved into its own namespace:
#   A  Debian's library and Debian's vxvde module (the reference)
#   B  Debian's library loading our vxvde module (VDEPLUGIN_PATH)
#   C  our library and our modules (LD_LIBRARY_PATH)
# All pairs ping. Then: unicast learning (a ping burst B<->C after warm-up adds no multicast), and
# an instance never gets its own multicast back (its tap receives none of the broadcasts it sent).
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq

DEBMODS=
for d in /usr/lib/*/vdeplug /usr/lib/vdeplug; do
	[ -e "$d/libvdeplug_vxvde.so" ] && DEBMODS=$d
done
[ -n "$DEBMODS" ] || skip "Debian's vdeplug modules (libvdeplug2) not installed"
[ -e "$BDIR/lib/libvdeplug.so.2" ] || fail "our libvdeplug.so.2 is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" ] || fail "our vxvde module is not built"

# B's module directory: Debian's modules, with our vxvde in place of Debian's.
mkdir "$WORK/mods"
ln -s "$DEBMODS"/libvdeplug_*.so "$WORK/mods/"
ln -sf "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" "$WORK/mods/libvdeplug_vxvde.so"

GROUP=239.7.7.7
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo
# No IPv6 chatter on the taps: the counters below must see only what the test sends.
sysctl -qw net.ipv6.conf.default.disable_ipv6=1

# vx_plug NAME TAP NS ADDR [ENV...]: a Debian vde_plug joining the group, its tap moved into NS.
vx_plug() {
	local name=$1 tap=$2 ns=$3 addr=$4
	shift 4
	netns_add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	bg_start -o "$WORK/plug-$name.log" env "$@" vde_plug "vxvde://$GROUP" "tap://$tap"
	wait_for ip link show "$tap" || fail "instance $name did not create $tap"
	ip link set "$tap" netns "$ns"
	ip -n "$ns" link set "$tap" up
	ip -n "$ns" addr add "$addr/24" dev "$tap"
}

rx() {
	ip -n "$1" -j -s link show "$2" | jq '.[0].stats64.rx.packets'
}

mcast_in() {
	awk '/^IpExt:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InMcastPkts") c = i; h = 1 } else print $c }' \
		/proc/net/netstat
}

vx_plug A t1 ns1 10.9.0.1
pid_a=$BG_PID
vx_plug B t2 ns2 10.9.0.2 VDEPLUGIN_PATH="$WORK/mods"
pid_b=$BG_PID
vx_plug C t3 ns3 10.9.0.3 LD_LIBRARY_PATH="$BDIR/lib"
pid_c=$BG_PID

# Each instance runs what it should.
grep -q "$DEBMODS/libvdeplug_vxvde.so" "/proc/$pid_a/maps" || fail "A did not load Debian's vxvde"
grep -q "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" "/proc/$pid_b/maps" || fail "B did not load our vxvde"
grep -q "$BDIR/lib/libvdeplug.so.2" "/proc/$pid_b/maps" && fail "B loaded our library"
grep -q "$BDIR/lib/libvdeplug.so.2" "/proc/$pid_c/maps" || fail "C did not load our library"
grep -q "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" "/proc/$pid_c/maps" || fail "C did not load our vxvde"

ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.9.0.2 || fail "A -> B ping failed"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.9.0.3 || fail "A -> C ping failed"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.9.0.3 || fail "B -> C ping failed"
ip netns exec ns3 ping -c 3 -i 0.2 -W 3 10.9.0.1 || fail "C -> A ping failed"
# a full-size frame crosses whole
ip netns exec ns3 ping -c 2 -i 0.2 -W 3 -M do -s 1472 10.9.0.2 || fail "1500-byte ping C -> B failed"

# From now on the peers know each other for good: no ARP (re)validation between them can land in the
# counters below.
for a in 1 2 3; do
	for b in 1 2 3; do
		[ "$a" = "$b" ] && continue
		ip -n "ns$a" neigh replace "10.9.0.$b" lladdr "$(tap_mac "ns$b" "t$b")" dev "t$a" nud permanent
	done
done

# Learning: B and C know each other's unicast address now, so 10 echo requests and 10 replies add
# no multicast (without learning each would be one multicast datagram).
before=$(mcast_in)
ip netns exec ns2 ping -c 10 -i 0.1 -W 3 10.9.0.3 >/dev/null || fail "B -> C burst failed"
after=$(mcast_in)
log "multicast datagrams during 20 unicast frames: $((after - before))"
[ $((after - before)) -lt 10 ] || fail "frames between known MACs went to the group ($((after - before)) multicast datagrams)"

# Own multicast: ARP requests for an absent address are broadcasts; the sender's tap must not receive
# them back, the others' taps must.
for src in 3:ns3:t3 2:ns2:t2; do
	IFS=: read -r n ns tap <<<"$src"
	self0=$(rx "$ns" "$tap")
	peer0=$(rx ns1 t1)
	ip netns exec "$ns" ping -c 2 -i 0.5 -W 1 10.9.0.99 >/dev/null 2>&1 || true
	# stop the kernel's remaining ARP probes, so that the next sender's window is quiet
	ip -n "$ns" neigh flush dev "$tap"
	self1=$(rx "$ns" "$tap")
	peer1=$(rx ns1 t1)
	log "$tap: rx +$((self1 - self0)) while sending broadcasts; t1 rx +$((peer1 - peer0))"
	[ $((peer1 - peer0)) -ge 1 ] || fail "broadcasts from $tap did not reach A"
	[ "$self1" -eq "$self0" ] || fail "instance on $tap received its own multicast back"
done

# A closed instance says goodbye and the others keep working.
bg_kill "$pid_c"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.9.0.2 || fail "A -> B ping failed after C left"
log "ok"
