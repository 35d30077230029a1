#!/bin/bash
# vxvde:// options against Debian's vxvde (on lo, in the test's namespace):
#   - grp=1000 on 239.0.0.0 binds the group 239.0.3.232 (gid in the low 24 bits), and its VNI is 1000:
#     Debian's instance with the same grp= is on the same network (ping), port= moves the port;
#   - v=7 (prefix of vni) talks to Debian's vni=7, and not to vni=8;
#   - unknown options and bad values fail to open with EINVAL.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping ss

[ -e "$BDIR/lib/libvdeplug.so.2" ] || fail "our libvdeplug.so.2 is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" ] || fail "our vxvde module is not built"
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo
sysctl -qw net.ipv6.conf.default.disable_ipv6=1
netns_add ns1
netns_add ns2
ip netns exec ns1 sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip netns exec ns2 sysctl -qw net.ipv6.conf.default.disable_ipv6=1

tap_into() {
	wait_for ip link show "$1" || fail "$1 was not created"
	ip link set "$1" netns "$2"
	ip -n "$2" link set "$1" up
	ip -n "$2" addr add "$3/24" dev "$1"
}

# pair DEBIAN_URL OUR_URL: Debian's instance on t1 (ns1), ours on t2 (ns2). PIDs in P1, P2.
pair() {
	bg_start -o "$WORK/deb.log" vde_plug "$1" tap://t1
	P1=$BG_PID
	tap_into t1 ns1 10.9.0.1
	bg_start -o "$WORK/ours.log" env LD_LIBRARY_PATH="$BDIR/lib" vde_plug "$2" tap://t2
	P2=$BG_PID
	tap_into t2 ns2 10.9.0.2
}

unpair() {
	bg_kill "$P1"
	bg_kill "$P2"
	ip -n ns1 link del t1 2>/dev/null || true
	ip -n ns2 link del t2 2>/dev/null || true
}

pair "vxvde://239.0.0.0/grp=1000/port=14790" "vxvde://239.0.0.0/grp=1000/port=14790"
ss -ulnp | grep "pid=$P2," | grep -q '239\.0\.3\.232:14790' ||
	fail "grp=1000 did not bind 239.0.3.232:14790: $(ss -ulnp)"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.9.0.1 || fail "grp=1000: ours -> Debian ping failed"
unpair

pair "vxvde://239.4.4.4/vni=7" "vxvde://239.4.4.4/v=7"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.9.0.1 || fail "v=7 <-> vni=7 ping failed"
unpair

pair "vxvde://239.4.4.4/vni=8" "vxvde://239.4.4.4/v=7"
if ip netns exec ns2 ping -c 2 -i 0.2 -W 1 10.9.0.1 >/dev/null 2>&1; then
	fail "VNI 7 reached VNI 8"
fi
unpair

for bad in "vxvde://239.4.4.4/nosuchoption=1" "vxvde://239.4.4.4/vni=notagroup_xyz" \
	"vxvde://239.4.4.4/port=70000" "vxvde://10.1.2.3" "vxvde://239.4.4.4/if=nosuchif0"; do
	expect_rc 1 env LD_LIBRARY_PATH="$BDIR/lib" vde_plug "$bad" null://
	case $bad in
	*nosuchif0) assert_contains "$ERR" "No such device" "error for $bad" ;;
	*) assert_contains "$ERR" "Invalid argument" "error for $bad" ;;
	esac
done
log "ok"
