#!/bin/bash
# QEMU (Debian's, the reference vdeplug4 client) joins a network with -netdev vde; its user-mode
# network (slirp) is hub-ported onto it, so slirp's DHCP server and gateway sit on the vded network.
# A tap client in a namespace gets a 10.0.2.x lease through vded and pings the gateway.
. "$(dirname "$0")/lib.sh"
need jq vde_plug busybox qemu-system-x86_64 ping

vded_start
expect_rc 0 vdectl network create lab

bg_start -o "$WORK/qemu.log" "${QEMU_BASE[@]}" \
	-netdev "vde,id=v,sock=$RUN/net/lab" -netdev user,id=u,net=10.0.2.0/24 \
	-netdev hubport,id=h1,hubid=0,netdev=v -netdev hubport,id=h2,hubid=0,netdev=u
qemu_pid=$BG_PID
wait_for port_count_is lab 1 || fail "QEMU did not connect to the endpoint"

netns_add ns1
plug_tap ns1 t0 lab
addr=$(dhcp_lease ns1 t0)
case $addr in
10.0.2.*) ;;
*) fail "leased address '$addr' is not in 10.0.2.0/24" ;;
esac
ip -n ns1 addr add "$addr/24" dev t0
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.2.2 || fail "ping to the slirp gateway 10.0.2.2 failed"

expect_rc 0 vdectl -j port list lab
ports=$OUT
assert_json '.ports | length' 2 "$ports"
assert_json '[.ports[] | select(.kind == "endpoint")] | length' 2 "$ports"
# QEMU announces itself as "QEMU user=... pid=..."; vded takes the peer's pid from the kernel.
assert_json '[.ports[] | select(.description | test("QEMU"))] | length' 1 "$ports"
assert_json '.ports[] | select(.description | test("QEMU")) | .pid' "$qemu_pid" "$ports"
assert_json '.ports[] | select(.description | test("QEMU")) | .rx_frames > 0 and .tx_frames > 0' true "$ports"

# The gateway's MAC (as the tap's neighbour table saw it) was learned on QEMU's port.
gw_mac=$(ip -n ns1 -j neigh show 10.0.2.2 dev t0 | jq -r '.[0].lladdr')
[ -n "$gw_mac" ] && [ "$gw_mac" != null ] || fail "no neighbour entry for 10.0.2.2"
qport=$(json_get '.ports[] | select(.description | test("QEMU")) | .id' "$ports")
expect_rc 0 vdectl -j mac list lab
assert_json "[.macs[] | select(.mac == \"$gw_mac\") | .port] | join(\",\")" "$qport" "$OUT"

# When QEMU goes away its port goes with it.
bg_kill "$qemu_pid" TERM
wait_for port_count_is lab 1 || fail "QEMU's port still listed after QEMU exited"
expect_rc 0 vdectl -j mac list lab
assert_json "[.macs[] | select(.mac == \"$gw_mac\")] | length" 0 "$OUT"

vded_stop
log "ok"
