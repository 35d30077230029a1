#!/bin/bash
# `vdens vded://lab CMD`: vdens asks the daemon for a port on network lab (through the vded module,
# in the caller's namespace), the command gets vde0 on it and pings a peer plugged by Debian's
# vde_plug into lab's endpoint. With --multi and -i the interfaces are eth0 (lab) and eth1 (null://);
# -R writes the namespace's resolv.conf. When the command exits, vdens exits with its status and
# the daemon drops the port.
. "$(dirname "$0")/../integration/lib.sh"
need jq vde_plug ping
VDENS=$BDIR/bin/vdens
[ -x "$VDENS" ] || fail "vdens is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vded.so" ] || skip "the vded module is not built"
export LD_LIBRARY_PATH=$BDIR/lib
unshare --user --net true 2>/dev/null || skip "user namespaces are not available"

vded_start
expect_rc 0 vdectl network create lab
netns_add ns1
plug_tap ns1 t0 lab 10.8.0.1/24

expect_rc 0 "$VDENS" vded://lab sh -c \
	'ip link set vde0 up && ip addr add 10.8.0.2/24 dev vde0 && ping -c 3 -i 0.2 -W 2 10.8.0.1'
wait_for port_count_is lab 1 || fail "vdens's port stayed after it exited"

expect_rc 0 "$VDENS" -m -i eth -R 192.0.2.53,192.0.2.54 vded://lab null:// -- sh -c \
	'ip link show eth1 >/dev/null && ip link set eth0 up && ip addr add 10.8.0.3/24 dev eth0 &&
	 ping -c 2 -i 0.2 -W 2 10.8.0.1 >/dev/null && cat /etc/resolv.conf'
assert_eq "$OUT" "$(printf 'nameserver 192.0.2.53\nnameserver 192.0.2.54')" "resolv.conf inside"

expect_rc 1 "$VDENS" vded://nope true
assert_contains "$ERR" "vded://nope" "error message"
vded_stop
log "ok"
