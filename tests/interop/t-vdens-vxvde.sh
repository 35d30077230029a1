#!/bin/bash
# `vdens vxvde://GROUP CMD` inside the test's namespace (multicast looped on lo): the command runs in
# new user+net+UTS namespaces, configures vde0 and pings a peer, Debian's `vde_plug vxvde://GROUP
# tap://p0` here. Then the same as an unprivileged user (setpriv nobody): the tap is created inside
# the user namespace, which needs /dev/net/tun readable by anyone (set to 0666 for this test and
# restored). The command's exit status is vdens's.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping setpriv
VDENS=$BDIR/bin/vdens
[ -x "$VDENS" ] || fail "vdens is not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_vxvde.so" ] || skip "our vxvde module is not built"
export LD_LIBRARY_PATH=$BDIR/lib
unshare --user --net true 2>/dev/null || skip "user namespaces are not available"

ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo
GROUP=239.0.7.7
bg_start -o "$WORK/peer.log" env -u LD_LIBRARY_PATH vde_plug "vxvde://$GROUP" tap://p0
wait_for ip link show p0 || fail "the peer's tap did not appear: $(cat "$WORK/peer.log")"
ip addr add 10.7.0.1/24 dev p0
ip link set p0 up

expect_rc 0 "$VDENS" "vxvde://$GROUP" sh -c \
	'ip link set vde0 up && ip addr add 10.7.0.2/24 dev vde0 && ping -c 3 -i 0.2 -W 2 10.7.0.1 && hostname'
log "root: $OUT"
expect_rc 7 "$VDENS" "vxvde://$GROUP" sh -c 'exit 7'

# Unprivileged: only where user namespaces are allowed to nobody.
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups unshare --user --net true 2>/dev/null; then
	log "unprivileged user namespaces disabled: root case only"
	log "ok"
	exit 0
fi
OLDMODE=$(stat -c %a /dev/net/tun)
trap 'rc=$?; chmod "$OLDMODE" /dev/net/tun; (exit $rc); lib_cleanup' EXIT
chmod 0666 /dev/net/tun
expect_rc 0 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VDENS" "vxvde://$GROUP" sh -c \
	'id -u && ip link set vde0 up && ip addr add 10.7.0.3/24 dev vde0 && ping -c 3 -i 0.2 -W 2 10.7.0.1'
assert_eq "$(echo "$OUT" | head -n 1)" 65534 "uid inside vdens"
chmod "$OLDMODE" /dev/net/tun
# Without access to /dev/net/tun the tap cannot be made: a clear failure, not a shell without it.
expect_rc 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$VDENS" "vxvde://$GROUP" true
assert_contains "$ERR" "tap" "error message"
log "ok"
