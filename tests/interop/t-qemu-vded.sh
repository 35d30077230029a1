#!/bin/bash
# QEMU (Debian's) on OUR libvdeplug (LD_LIBRARY_PATH) with -netdev vde,sock=vded://lab: our vded://
# module asks the daemon for a port (network.attach) and gets the data fd by SCM_RIGHTS. QEMU's slirp
# is hub-ported onto the network; a tap client in a namespace gets a DHCP lease and pings the gateway.
. "$(dirname "$0")/../integration/lib.sh"
need jq vde_plug busybox qemu-system-x86_64 ping

LIBDIR=$BDIR/lib
[ -e "$LIBDIR/libvdeplug.so.2" ] || fail "$LIBDIR/libvdeplug.so.2 not built"
[ -e "$LIBDIR/vdeplug/libvdeplug_vded.so" ] || fail "our vded module not built"

vded_start
expect_rc 0 vdectl network create lab

# VDED_SOCKET (exported by lib.sh) tells the module where the daemon is
bg_start -o "$WORK/qemu.log" env "LD_LIBRARY_PATH=$LIBDIR" "${QEMU_BASE[@]}" \
	-netdev "vde,id=v,sock=vded://lab" -netdev user,id=u,net=10.0.2.0/24 \
	-netdev hubport,id=h1,hubid=0,netdev=v -netdev hubport,id=h2,hubid=0,netdev=u
qemu_pid=$BG_PID
wait_for port_count_is lab 1 || fail "QEMU did not attach: $(cat "$WORK/qemu.log")"
grep -q "$LIBDIR/vdeplug/libvdeplug_vded.so" "/proc/$qemu_pid/maps" || fail "QEMU did not load our vded module"

expect_rc 0 vdectl -j port list lab
assert_json '.ports[0].kind' attach "$OUT"
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
assert_json '[.ports[] | select(.kind == "attach")] | .[0].rx_frames > 0 and .[0].tx_frames > 0' true "$OUT"

# the port lives as long as QEMU's control connection
bg_kill "$qemu_pid" TERM
wait_for port_count_is lab 1 || fail "QEMU's port still listed after QEMU exited"
vded_stop
log "ok"
