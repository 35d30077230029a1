#!/bin/bash
# vxlan:// against the Linux kernel's VXLAN device (RFC 7348 on UDP 4789). Underlay: a veth pair between
# namespaces ux (the kernel device vxk, VNI 42, group 239.1.1.1) and uy (a Debian vde_plug cabling
# vxlan:// to a tap moved into ns2). Run twice: our library with our modules, then Debian's library
# loading our vxlan module. Each time: pings both ways, the kernel learns our MAC at our underlay
# address, and we learn the kernel's (a ping burst adds no multicast); a wrong VNI is not accepted.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq bridge

DEBMODS=
for d in /usr/lib/*/vdeplug /usr/lib/vdeplug; do
	[ -e "$d/libvdeplug_tap.so" ] && DEBMODS=$d
done
[ -n "$DEBMODS" ] || skip "Debian's vdeplug modules (libvdeplug2) not installed"
[ -e "$BDIR/lib/libvdeplug.so.2" ] || fail "our libvdeplug.so.2 is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_vxlan.so" ] || fail "our vxlan module is not built"
ip link add vxprobe type vxlan id 1 dstport 4789 2>/dev/null || skip "no vxlan support in this kernel"
ip link del vxprobe

mkdir "$WORK/mods"
ln -s "$DEBMODS"/libvdeplug_*.so "$WORK/mods/"
ln -sf "$BDIR/lib/vdeplug/libvdeplug_vxlan.so" "$WORK/mods/libvdeplug_vxlan.so"

netns_add ux
netns_add uy
netns_add ns2
ip link add vx0 type veth peer name vy0
ip link set vx0 netns ux
ip link set vy0 netns uy
ip -n ux addr add 192.168.77.1/24 dev vx0
ip -n uy addr add 192.168.77.2/24 dev vy0
ip -n ux link set vx0 up
ip -n uy link set vy0 up
for ns in ux uy ns2; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip -n ux link add vxk type vxlan id 42 group 239.1.1.1 dstport 4789 dev vx0 ttl 1
ip -n ux addr add 10.9.0.1/24 dev vxk
ip -n ux link set vxk up

mcast_in() {
	ip netns exec ux awk '/^IpExt:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InMcastPkts") c = i; h = 1 }
		else print $c }' /proc/net/netstat
}

t2_gone() {
	! ip -n ns2 link show t2 >/dev/null 2>&1
}

# one_round LABEL ENV...: our vxlan:// in uy, checked against the kernel device; stopped at the end.
one_round() {
	local label=$1 pid mac before after
	shift
	bg_start -o "$WORK/plug-$label.log" ip netns exec uy env "$@" vde_plug "vxlan://239.1.1.1/vni=42/if=vy0" tap://t2
	pid=$BG_PID
	wait_for ip -n uy link show t2 || fail "$label: vde_plug did not create t2"
	grep -q "$BDIR/lib/vdeplug/libvdeplug_vxlan.so" "/proc/$pid/maps" || fail "$label: our vxlan module not loaded"
	ip -n uy link set t2 netns ns2
	ip -n ns2 link set t2 up
	ip -n ns2 link set t2 mtu 1450
	ip -n ns2 addr add 10.9.0.2/24 dev t2
	mac=$(tap_mac ns2 t2)

	ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.9.0.1 || fail "$label: tap -> kernel vxlan ping failed"
	ip -n ux neigh flush dev vxk
	ip netns exec ux ping -c 3 -i 0.2 -W 3 10.9.0.2 || fail "$label: kernel vxlan -> tap ping failed"
	ip netns exec ns2 ping -c 2 -i 0.2 -W 3 -M do -s 1372 10.9.0.1 || fail "$label: 1400-byte ping failed"

	# the kernel learned our MAC at our underlay address, port 4789
	bridge -n ux fdb show dev vxk | grep -i "^$mac .*dst 192.168.77.2" ||
		fail "$label: kernel fdb has no entry for $mac via 192.168.77.2: $(bridge -n ux fdb show dev vxk)"
	# and we learned the kernel's: its replies are unicast
	ip -n ns2 neigh replace 10.9.0.1 lladdr "$(tap_mac ux vxk)" dev t2 nud permanent
	ip -n ux neigh replace 10.9.0.2 lladdr "$mac" dev vxk nud permanent
	before=$(mcast_in)
	ip netns exec ns2 ping -c 10 -i 0.1 -W 3 10.9.0.1 >/dev/null || fail "$label: ping burst failed"
	after=$(mcast_in)
	log "$label: multicast into ux during 10 echo requests: $((after - before))"
	[ $((after - before)) -lt 10 ] || fail "$label: frames to a learned MAC went to the group"

	bg_kill "$pid"
	wait_for t2_gone || fail "$label: t2 still exists after vde_plug exited"
	ip -n ux neigh del 10.9.0.2 dev vxk
}

one_round ours LD_LIBRARY_PATH="$BDIR/lib"
one_round deblib VDEPLUGIN_PATH="$WORK/mods"

# A kernel device on another VNI of the same group is a different network.
ip -n ux link del vxk
ip -n ux link add vxk type vxlan id 43 group 239.1.1.1 dstport 4789 dev vx0 ttl 1
ip -n ux addr add 10.9.0.1/24 dev vxk
ip -n ux link set vxk up
bg_start -o "$WORK/plug-vni.log" ip netns exec uy env LD_LIBRARY_PATH="$BDIR/lib" vde_plug \
	"vxlan://239.1.1.1/vni=42/if=vy0" tap://t2
wait_for ip -n uy link show t2 || fail "vde_plug did not create t2"
ip -n uy link set t2 netns ns2
ip -n ns2 link set t2 up
ip -n ns2 addr add 10.9.0.2/24 dev t2
if ip netns exec ns2 ping -c 2 -i 0.2 -W 1 10.9.0.1 >/dev/null; then
	fail "a ping crossed from VNI 42 to VNI 43"
fi
log "ok"
