#!/bin/bash
# QEMU (Debian's, linked with libvdeplug.so.2) running on OUR libvdeplug (LD_LIBRARY_PATH) joins a vded
# network through the endpoint with -netdev vde,sock=vde://ENDPOINT,port=5: our vde:// module speaks
# the vde_switch protocol to vded. Its slirp is hub-ported onto the network, so a tap client in a
# namespace gets a DHCP lease and pings the gateway.
. "$(dirname "$0")/../integration/lib.sh"
need jq vde_plug busybox qemu-system-x86_64 ping

LIBDIR=$BDIR/lib
[ -e "$LIBDIR/libvdeplug.so.2" ] || fail "$LIBDIR/libvdeplug.so.2 not built"
[ -e "$LIBDIR/vdeplug/libvdeplug_vde.so" ] || fail "our vde module not built"

vded_start
expect_rc 0 vdectl network create lab

bg_start -o "$WORK/qemu.log" env "LD_LIBRARY_PATH=$LIBDIR" "${QEMU_BASE[@]}" \
	-netdev "vde,id=v,sock=vde://$RUN/net/lab,port=5" -netdev user,id=u,net=10.0.2.0/24 \
	-netdev hubport,id=h1,hubid=0,netdev=v -netdev hubport,id=h2,hubid=0,netdev=u
qemu_pid=$BG_PID
wait_for port_count_is lab 1 || fail "QEMU did not connect: $(cat "$WORK/qemu.log")"
maps=$(cat "/proc/$qemu_pid/maps")
grep -q "$LIBDIR/libvdeplug.so.2" <<<"$maps" || fail "QEMU is not running on our libvdeplug"
grep -q "$LIBDIR/vdeplug/libvdeplug_vde.so" <<<"$maps" || fail "QEMU did not load our vde module"

expect_rc 0 vdectl -j port list lab
# QEMU's open_args: port 5, and the description "QEMU user=... pid=..." (our library adds the rest)
assert_json '.ports[0].kind' endpoint "$OUT"
assert_json '.ports[0].id' 5 "$OUT"
assert_json '.ports[0].description | test("^QEMU user=root pid=[0-9]+")' true "$OUT"

netns_add ns1
plug_tap ns1 t0 lab
addr=$(dhcp_lease ns1 t0)
case $addr in
10.0.2.*) ;;
*) fail "leased address '$addr' is not in 10.0.2.0/24" ;;
esac
ip -n ns1 addr add "$addr/24" dev t0
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.2.2 >"$WORK/ping.log" 2>&1 ||
	fail "ping to the slirp gateway failed: $(cat "$WORK/ping.log")"

expect_rc 0 vdectl -j port list lab
assert_json '.ports[] | select(.id == 5) | .rx_frames > 0 and .tx_frames > 0' true "$OUT"

# QEMU's exit closes the ctl stream: the port goes
bg_kill "$qemu_pid" TERM
wait_for port_count_is lab 1 || fail "QEMU's port still listed after QEMU exited"
vded_stop
log "ok"
