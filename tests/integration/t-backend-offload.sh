#!/bin/bash
# vded's taps carry TCP in 64 KiB segmentation-offload frames: between two of its namespaces they
# cross vded whole (far fewer frames than the wire would need), and toward a port without offloads
# (a vde:// client's tap) and into slirp vded cuts them into real frames. Data must arrive intact.
. "$(dirname "$0")/lib.sh"
need socat md5sum jq busybox

vded_start -f /dev/null
vdectl network create lab >/dev/null
vdectl network create nat --slirp >/dev/null
vdectl ns create r1 --net lab,nat >/dev/null
vdectl ns create r2 --net lab >/dev/null
NETNS+=(r1 r2)
ip -n r1 addr add 10.9.0.1/24 dev vde0
ip -n r2 addr add 10.9.0.2/24 dev vde0
netns_add ns3
plug_tap ns3 t3 lab 10.9.0.3/24

head -c 4000000 /dev/urandom >"$WORK/blob"
want=$(md5sum <"$WORK/blob")

# transfer FROM_NS TO_NS ADDR PORT: a file over TCP, compared at the other end
transfer() {
	local from=$1 to=$2 addr=$3 port=$4 got
	rm -f "$WORK/got"
	bg_start -o "$WORK/recv-$to.log" ip netns exec "$to" socat -u "TCP-LISTEN:$port,reuseaddr" "OPEN:$WORK/got,creat"
	wait_for ip netns exec "$to" sh -c "ss -ltn | grep -q ':$port '" || fail "no listener in $to"
	ip netns exec "$from" socat -u "OPEN:$WORK/blob" "TCP:$addr:$port" || fail "send $from -> $to failed"
	wait_for pid_gone "$BG_PID" || fail "receiver in $to did not finish"
	got=$(md5sum <"$WORK/got")
	[ "$got" = "$want" ] || fail "data from $from to $to arrived damaged"
}

# namespace to namespace: offload frames pass whole
transfer r1 r2 10.9.0.2 9001
rx_bytes=$(vdectl -j port list lab | jq '[.ports[] | select(.description | test("r1"))][0].rx_bytes')
rx_frames=$(vdectl -j port list lab | jq '[.ports[] | select(.description | test("r1"))][0].rx_frames')
[ "$rx_bytes" -gt 4000000 ] || fail "r1's port carried only $rx_bytes bytes"
# 4 MB on a 1500-byte wire is over 2700 frames; whole offload frames are a few hundred
[ $((rx_bytes / rx_frames)) -gt 9234 ] || fail "r1 -> r2 crossed as wire-size frames ($rx_frames frames, $rx_bytes bytes)"

# namespace to a vde:// client's ordinary tap: cut into wire frames on the way
transfer r1 ns3 10.9.0.3 9002
# and back
transfer ns3 r2 10.9.0.2 9003

# namespace through slirp to a server on this namespace's loopback
ip -n r1 addr add 10.0.2.15/24 dev vde1
ip -n r1 route add default via 10.0.2.2
rm -f "$WORK/got"
bg_start -o "$WORK/recv-host.log" socat -u TCP-LISTEN:9004,bind=127.0.0.1,reuseaddr "OPEN:$WORK/got,creat"
wait_for sh -c "ss -ltn | grep -q '127.0.0.1:9004 '" || fail "no listener on loopback"
ip netns exec r1 socat -u "OPEN:$WORK/blob" TCP:10.0.2.2:9004 || fail "send through slirp failed"
wait_for pid_gone "$BG_PID" || fail "loopback receiver did not finish"
[ "$(md5sum <"$WORK/got")" = "$want" ] || fail "data through slirp arrived damaged"

drops=$(vdectl -j port list lab | jq '[.ports[].tx_dropped] | add')
log "tx_dropped on lab: $drops"
vdectl ns delete r1 >/dev/null
vdectl ns delete r2 >/dev/null
vded_stop
