#!/bin/bash
# hub://DIR served by our module, joined by Debian's vde_plug (Debian's library). The opener, a Debian
# vde_plug cabling tap://t0 to hub://, runs on our library, then on Debian's library loading our hub
# module. Three taps in three namespaces ping each other, and a hub repeats everything: a port sees
# the unicast traffic between the two others.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq

DEBMODS=
for d in /usr/lib/*/vdeplug /usr/lib/vdeplug; do
	[ -e "$d/libvdeplug_vde.so" ] && DEBMODS=$d
done
[ -n "$DEBMODS" ] || skip "Debian's vdeplug modules (libvdeplug2) not installed"
[ -e "$BDIR/lib/libvdeplug.so.2" ] || fail "our libvdeplug.so.2 is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_hub.so" ] || fail "our hub module is not built"

mkdir "$WORK/mods"
ln -s "$DEBMODS"/libvdeplug_*.so "$WORK/mods/"
ln -sf "$BDIR/lib/vdeplug/libvdeplug_hub.so" "$WORK/mods/libvdeplug_hub.so"
sysctl -qw net.ipv6.conf.default.disable_ipv6=1
for i in 0 1 2; do
	netns_add "ns$i"
	ip netns exec "ns$i" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done

rx() {
	ip -n "$1" -j -s link show "$2" | jq '.[0].stats64.rx.packets'
}

tap_into() {
	wait_for ip link show "$1" || fail "$1 was not created"
	ip link set "$1" netns "$2"
	ip -n "$2" link set "$1" up
	ip -n "$2" addr add "$3/24" dev "$1"
}

round() {
	local label=$1 hub=$WORK/hub-$1 opener c1 c2 a b before
	shift
	bg_start -o "$WORK/opener-$label.log" env "$@" vde_plug tap://t0 "hub://$hub[mode=0660]"
	opener=$BG_PID
	wait_for test -S "$hub/ctl" || fail "$label: hub:// did not create $hub/ctl"
	grep -q "$BDIR/lib/vdeplug/libvdeplug_hub.so" "/proc/$opener/maps" || fail "$label: our hub not loaded"
	assert_eq "$(stat -c %a "$hub/ctl")" 660 "$label: ctl mode from mode=0660"
	assert_eq "$(stat -c %a "$hub")" 770 "$label: directory mode derived from mode=0660"
	tap_into t0 ns0 10.9.0.10
	bg_start -o "$WORK/c1-$label.log" vde_plug "vde://$hub" tap://t1
	c1=$BG_PID
	tap_into t1 ns1 10.9.0.11
	bg_start -o "$WORK/c2-$label.log" vde_plug "vde://$hub" tap://t2
	c2=$BG_PID
	tap_into t2 ns2 10.9.0.12

	for a in 0 1 2; do
		for b in 0 1 2; do
			[ "$a" = "$b" ] && continue
			ip netns exec "ns$a" ping -c 2 -i 0.2 -W 3 "10.9.0.1$b" >/dev/null ||
				fail "$label: ping ns$a -> ns$b failed"
			ip -n "ns$a" neigh replace "10.9.0.1$b" lladdr "$(tap_mac "ns$b" "t$b")" dev "t$a" nud permanent
		done
	done
	# 10 requests ns1 -> ns2 and 10 replies: the hub repeats all 20 to t0 (a switch would not)
	before=$(rx ns0 t0)
	ip netns exec ns1 ping -c 10 -i 0.1 -W 3 10.9.0.12 >/dev/null || fail "$label: burst failed"
	log "$label: t0 rx +$(($(rx ns0 t0) - before)) during 20 frames between ns1 and ns2"
	assert_eq "$(($(rx ns0 t0) - before))" 20 "$label: frames repeated to t0"
	before=$(rx ns2 t2)
	ip netns exec ns0 ping -c 5 -i 0.1 -W 3 10.9.0.11 >/dev/null || fail "$label: burst from the opener failed"
	assert_eq "$(($(rx ns2 t2) - before))" 10 "$label: the opener's frames repeated to t2"

	bg_kill "$opener"
	wait_for pid_gone "$c1" || fail "$label: client still running after the hub closed"
	wait_for pid_gone "$c2" || fail "$label: client still running after the hub closed"
	wait_for test ! -e "$hub" || fail "$label: hub directory left behind"
	bg_kill "$c1"
	bg_kill "$c2"
	for a in 0 1 2; do
		ip -n "ns$a" link del "t$a" 2>/dev/null || true
	done
}

round ourlib LD_LIBRARY_PATH="$BDIR/lib"
round deblib VDEPLUGIN_PATH="$WORK/mods"
log "ok"
