#!/bin/bash
# `vdectl network attach lab -- qemu ... -netdev socket,id=s0,fd=3`: QEMU gets a port's datagram socket
# as fd 3 and hub-ports it to its user-mode network. A tap client leases an address from slirp
# through vded and pings the gateway. When QEMU exits the attach port disappears.
. "$(dirname "$0")/lib.sh"
need jq vde_plug busybox qemu-system-x86_64 ping pgrep

vded_start
expect_rc 0 vdectl network create lab

# The command runs with fd 3 a socket, and the port exists exactly while it runs.
expect_rc 0 vdectl network attach lab -- sh -c 'test -S /proc/self/fd/3'
# fd 3 is an AF_UNIX SOCK_DGRAM socket (type 0002 in /proc/net/unix); --fd picks another number.
sock_type='i=$(readlink /proc/self/fd/$0); i=${i#socket:[}; i=${i%]}; awk -v i="$i" '\''$7 == i {print $5}'\'' /proc/net/unix'
expect_rc 0 vdectl network attach lab -- sh -c "$sock_type" 3
assert_eq "$OUT" 0002 "socket type of the attach fd"
expect_rc 0 vdectl network attach lab --fd 7 -- sh -c "$sock_type" 7
assert_eq "$OUT" 0002 "socket type of the attach fd given with --fd 7"
# While the command runs the port is listed.
expect_rc 0 vdectl network attach lab --description inner -- "$VDECTL_BIN" -s "$SOCK" -j port list lab
assert_json '[.ports[] | select(.kind == "attach" and .description == "inner")] | length' 1 "$OUT"
expect_rc 3 vdectl network attach nope -- true
wait_for port_count_is lab 0 || fail "a finished attach left a port behind"

bg_start -o "$WORK/qemu.log" "$VDECTL_BIN" -s "$SOCK" network attach lab --description qemu-attach -- \
	"${QEMU_BASE[@]}" -netdev socket,id=s0,fd=3 -netdev user,id=u,net=10.0.2.0/24 \
	-netdev hubport,id=h1,hubid=0,netdev=s0 -netdev hubport,id=h2,hubid=0,netdev=u
ctl_pid=$BG_PID
wait_for port_count_is lab 1 || fail "the attach port did not appear"
expect_rc 0 vdectl -j port list lab
assert_json '.ports[0].kind' attach "$OUT"
assert_json '.ports[0].description' qemu-attach "$OUT"
# The port belongs to the control connection, i.e. to vdectl (pid from SO_PEERCRED).
assert_json '.ports[0].pid' "$ctl_pid" "$OUT"
attach_id=$(json_get '.ports[0].id' "$OUT")
wait_for pgrep -P "$ctl_pid" || fail "vdectl did not start QEMU"
qemu_pid=$(pgrep -P "$ctl_pid" | head -n 1)

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
assert_json '.ports | length' 2 "$OUT"
assert_json ".ports[] | select(.id == $attach_id) | .rx_frames > 0 and .tx_frames > 0" true "$OUT"
assert_json ".ports[] | select(.id == $attach_id) | .rx_errors" 0 "$OUT"

# QEMU exits: vdectl follows it, the connection closes, the port goes.
kill -TERM "$qemu_pid"
wait_for pid_gone "$ctl_pid" || fail "vdectl did not exit after its command was killed"
wait_for port_count_is lab 1 || fail "attach port still listed after QEMU exited"
expect_rc 0 vdectl -j port list lab
assert_json "[.ports[] | select(.id == $attach_id)] | length" 0 "$OUT"
assert_json '.ports[0].kind' endpoint "$OUT"

vded_stop
log "ok"
