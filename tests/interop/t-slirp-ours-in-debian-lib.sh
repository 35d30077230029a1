#!/bin/bash
# Our slirp:// module loaded by Debian's libvdeplug in Debian's vde_plug, on another network:
# `vde_plug "slirp:///addr='10.1.0.1/24'/vdnssearch=a.test,b.test" = ip netns exec guest vde_plug
# tap://t0`. The DHCP range and DNS proxy follow the network (10.1.0.15, 10.1.0.3); the guest
# reaches a TCP server bound to 127.0.0.1 here through 10.1.0.1. A second slirp with
# disable_host_loopback refuses the same connection.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug busybox socat
DEBMOD=/usr/lib/x86_64-linux-gnu/vdeplug
[ -f "$BDIR/lib/vdeplug/libvdeplug_slirp.so" ] || fail "our slirp module is not built"
mkdir -p "$WORK/ours"
ln -s "$BDIR/lib/vdeplug/libvdeplug_slirp.so" "$WORK/ours/"
export VDEPLUGIN_PATH=$WORK/ours:$DEBMOD

bg_start -o "$WORK/server.log" socat TCP-LISTEN:7777,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo nat-ok'
wait_for socat -u TCP:127.0.0.1:7777 - || fail "the host-side server did not start"

# lease_dns NS IFACE: the DNS server and search list a DHCP client on IFACE in NS is given.
lease_dns() {
	cat >"$WORK/dns.sh" <<EOS
#!/bin/sh
[ "\$1" = bound ] && echo "\$dns|\$search" >"$WORK/dns-$1"
exit 0
EOS
	chmod +x "$WORK/dns.sh"
	ip netns exec "$1" busybox udhcpc -i "$2" -n -q -t 5 -T 2 -O search -s "$WORK/dns.sh" >/dev/null 2>&1 ||
		fail "no DHCP lease on $2 in $1"
	cat "$WORK/dns-$1"
}

netns_add guest
bg_start -o "$WORK/slirp.log" vde_plug "slirp:///addr='10.1.0.1/24'/vdnssearch=a.test,b.test" = \
	ip netns exec guest vde_plug tap://t0
wait_for ip -n guest link show t0 || fail "no t0 in the guest: $(cat "$WORK/slirp.log")"
ip -n guest link set t0 up
addr=$(dhcp_lease guest t0)
assert_eq "$addr" 10.1.0.15 "leased address"
read -r _ router _ <"$WORK/lease-guest"
assert_eq "$router" 10.1.0.1 "router"
dns=$(lease_dns guest t0)
assert_eq "$dns" "10.1.0.3|a.test b.test" "DNS server|search list"
ip -n guest addr add "$addr/24" dev t0
ip -n guest route add default via 10.1.0.1
out=$(ip netns exec guest socat -T 5 -u TCP:10.1.0.1:7777 -) || fail "guest could not connect to 10.1.0.1:7777"
assert_eq "$out" nat-ok "reply through the NAT"

netns_add guest2
bg_start -o "$WORK/slirp2.log" vde_plug "slirp:///disable_host_loopback" = ip netns exec guest2 vde_plug tap://t1
wait_for ip -n guest2 link show t1 || fail "no t1 in guest2: $(cat "$WORK/slirp2.log")"
ip -n guest2 link set t1 up
addr=$(dhcp_lease guest2 t1)
assert_eq "$addr" 10.0.2.15 "leased address (default network)"
ip -n guest2 addr add "$addr/24" dev t1
if ip netns exec guest2 socat -T 3 -u TCP:10.0.2.2:7777 - >/dev/null 2>&1; then
	fail "disable_host_loopback still let the guest reach 127.0.0.1"
fi
log "ok"
