#!/bin/bash
# D1: the vxvde receive hook wrote into the data path's shared receive slots and restored only some of
# them; after a vxvde network was deleted, every vde:// client's traffic made the kernel write into freed
# memory, and frames were mixed between slots (one frame's length with another's bytes). Here a vxvde
# network (multicast on lo, inside the test's namespace only) carries traffic and is deleted; then two
# vde:// clients on another network exchange bursts of frames of varying length, each carrying its
# sequence number and length and a payload derived from them: every frame must arrive intact.
# The vxvde network also gets, from a peer namespace over a veth, bursts that mix datagrams vded
# ignores (runts) with frames it keeps: the receive batches in which the hook moved buffers around.
. "$(dirname "$0")/../integration/lib.sh"
need jq python3

FLOW=$BDIR/tests/tools/vdeflow
[ -x "$FLOW" ] || fail "$FLOW not built"
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo

# A peer namespace on a veth, multicast routed over it (inside these namespaces only).
netns_add peer
ip link add vx0 type veth peer name vx1 netns peer
ip addr add 10.66.0.1/24 dev vx0
ip link set vx0 up
ip -n peer addr add 10.66.0.2/24 dev vx1
ip -n peer link set vx1 up
ip route add 239.0.0.0/8 dev vx0
ip -n peer route add 239.0.0.0/8 dev vx1

vded_start -f /dev/null
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl network create vx --vxvde 239.1.2.3 --interface vx0
expect_rc 0 vdectl -j port list vx
assert_json '[.ports[] | select(.kind == "vxvde")] | length' 1 "$OUT"
# Traffic on the vxvde network first, so its receive hook has run.
timeout 30 "$FLOW" -t 1 "vde://$RUN/net/vx" "vde://$RUN/net/vx" >"$WORK/flow-vx.out" 2>&1 ||
	fail "traffic on the vxvde network itself: $(cat "$WORK/flow-vx.out")"
# The peer: 20 bursts of 64 datagrams, runts and vxvde frames (VNI 1) from 8 source MACs, interleaved.
cat >"$WORK/peer.py" <<'EOF2'
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.66.0.2"))
hdr = bytes([8, 0, 0, 0, 0, 0, 1, 0])
for b in range(20):
    for i in range(64):
        if i % 2 == 0:
            s.sendto(b"x" * (1 + i % 7), ("239.1.2.3", 14789))
        else:
            f = b"\xff" * 6 + bytes([2, 0x66, 0, 0, 0, i % 8]) + b"\x88\xb5" + bytes([i]) * (46 + i * 20)
            s.sendto(hdr + f, ("239.1.2.3", 14789))
    time.sleep(0.02)
EOF2
ip netns exec peer python3 "$WORK/peer.py" || fail "the vxvde peer could not send"
vx_rx() {
	[ "$("$VDECTL_BIN" -s "$SOCK" -j port list vx | jq '[.ports[] | select(.kind == "vxvde")][0].rx_frames')" -gt 0 ]
}
wait_for -t 5 vx_rx || log "note: vded's vxvde port received none of the peer's frames"
expect_rc 0 vdectl network delete vx

# Now an ordinary network, in bursts that fill the receive batch.
for burst in 1 16 64; do
	rc=0
	timeout 60 "$FLOW" -t 2 -i 20 -b $burst "vde://$RUN/net/lab" "vde://$RUN/net/lab" >"$WORK/flow-$burst.out" 2>&1 || rc=$?
	kill -0 "$VDED_PID" 2>/dev/null || fail "vded died under vde:// traffic after a vxvde network was deleted (burst $burst): $(tail -n 5 "$WORK/flow-$burst.out")"
	stats=$(grep '^sent ' "$WORK/flow-$burst.out" || true)
	[ -n "$stats" ] || fail "vdeflow (burst $burst) gave no result: $(cat "$WORK/flow-$burst.out")"
	[ "$rc" = 0 ] || fail "frames arrived corrupted or mixed after a vxvde network was deleted (burst $burst): $stats; $(grep -m 5 corrupt "$WORK/flow-$burst.out")"
	read -r _ sent _ ok _ <<<"$stats"
	[ "$ok" -gt 0 ] || fail "no frame crossed lab (burst $burst): $stats"
	# A frame may be dropped when a receiver is slow (tx_dropped); not mangled. Most must arrive.
	[ $((ok * 10)) -ge $((sent * 9)) ] || fail "burst $burst: only $ok of $sent frames arrived intact: $stats"
	log "burst $burst: $stats"
done
expect_rc 0 vdectl -j port list lab
vded_stop
log "ok"
