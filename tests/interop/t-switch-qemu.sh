#!/bin/bash
# QEMU and our switch://, both ways, with real traffic (ping through taps in namespaces):
#  1. QEMU on our library opens `-netdev vde,sock=switch://DIR` itself (the node thread runs inside
#     QEMU) and hub-ports it to a tap; a Debian vde_plug (Debian's library) joins DIR with a tap.
#  2. A Debian vde_plug on our library opens switch://DIR with a tap; QEMU on Debian's library joins
#     it as a vde:// client, hub-ported to a tap.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq qemu-system-x86_64

[ -e "$BDIR/lib/libvdeplug.so.2" ] || fail "our libvdeplug.so.2 is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_switch.so" ] || fail "our switch module is not built"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
sysctl -qw net.ipv6.conf.default.disable_ipv6=1
for i in 0 1; do
	netns_add "ns$i"
	ip netns exec "ns$i" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done

tap_into() {
	wait_for ip link show "$1" || fail "$1 was not created"
	ip link set "$1" netns "$2"
	ip -n "$2" link set "$1" up
	ip -n "$2" addr add "$3/24" dev "$1"
}

qemu_on() {
	local sock=$1 tap=$2
	shift 2
	bg_start -o "$WORK/qemu-$tap.log" env "$@" "${QEMU_BASE[@]}" \
		-netdev "vde,id=v,sock=$sock" -netdev "tap,id=t,ifname=$tap,script=no,downscript=no" \
		-netdev hubport,id=h1,hubid=0,netdev=v -netdev hubport,id=h2,hubid=0,netdev=t
}

# 1. QEMU is the switch
sw=$WORK/qsw
qemu_on "switch://$sw" q0 LD_LIBRARY_PATH="$BDIR/lib"
qemu=$BG_PID
wait_for test -S "$sw/ctl" || fail "QEMU did not open switch://$sw: $(cat "$WORK/qemu-q0.log")"
grep -q "$BDIR/lib/vdeplug/libvdeplug_switch.so" "/proc/$qemu/maps" || fail "QEMU did not load our switch"
tap_into q0 ns0 10.9.0.10
bg_start -o "$WORK/c1.log" vde_plug "vde://$sw" tap://t1
client=$BG_PID
tap_into t1 ns1 10.9.0.11
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.9.0.10 || fail "client -> QEMU's tap ping failed"
ip netns exec ns0 ping -c 3 -i 0.2 -W 3 -s 1400 10.9.0.11 || fail "QEMU's tap -> client ping failed"
bg_kill "$client"
bg_kill "$qemu"
ip -n ns1 link del t1 2>/dev/null || true
ip -n ns0 link del q0 2>/dev/null || true

# 2. QEMU is a client of the switch
sw=$WORK/sw2
bg_start -o "$WORK/opener.log" env LD_LIBRARY_PATH="$BDIR/lib" vde_plug tap://t0 "switch://$sw"
opener=$BG_PID
wait_for test -S "$sw/ctl" || fail "switch:// did not create $sw/ctl"
tap_into t0 ns0 10.9.0.10
qemu_on "$sw" q1
qemu=$BG_PID
grep -q "$BDIR/lib/libvdeplug.so.2" "/proc/$qemu/maps" && fail "QEMU loaded our library in the Debian round"
tap_into q1 ns1 10.9.0.11
ip netns exec ns0 ping -c 3 -i 0.2 -W 3 10.9.0.11 || fail "opener -> QEMU client ping failed"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 -s 1400 10.9.0.10 || fail "QEMU client -> opener ping failed"
# closing the switch unplugs QEMU's vde backend; QEMU itself keeps running
bg_kill "$opener"
wait_for test ! -e "$sw" || fail "switch directory left behind"
kill -0 "$qemu" || fail "QEMU died when the switch closed"
log "ok"
