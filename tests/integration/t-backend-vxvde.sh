#!/bin/bash
# vxvde: two vded instances in the test's namespace put network "lab" on one multicast group; a client
# of each (Debian's vde_plug in ns1 and ns2) pings the other across. Debian's own vxvde:// module joins
# the same group and is reached too (wire interop). Another VNI on the same group sees none of it;
# a group that is not multicast is refused; the uplink comes back after a restart; IPv6 groups work
# over a veth pair. Multicast stays inside the test's namespace (lo, and a veth pair there).
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping

GROUP=239.77.1.1
RUN2=/run/vde2
STATE2=$WORK/state2
SOCK2=$RUN2/vded.sock
PLUG2_PIDS=()
VDED2_PID=

vdectl2() {
	"$VDECTL_BIN" -s "$SOCK2" "$@"
}

# vded2_start: a second daemon with its own run and state dirs, in the same namespace.
vded2_start() {
	mkdir -p "$STATE2"
	bg_start -o "$WORK/vded2.log" "$VDED_BIN" -F -v --run-dir "$RUN2" --state-dir "$STATE2" -S "$SOCK2"
	VDED2_PID=$BG_PID
	wait_for vdectl2 daemon info || fail "second vded did not start"
}

# vded2_stop: stop the second daemon and wait for its clients to see the hang-up (Debian's vde_plug
# can crash if our cleanup's SIGTERM lands while it handles one).
vded2_stop() {
	local pid
	bg_kill "$VDED2_PID"
	for pid in "${PLUG2_PIDS[@]}"; do
		wait_for pid_gone "$pid" || fail "vde_plug $pid still running 10 s after the second vded stopped"
	done
	PLUG2_PIDS=()
}

# plug RUNDIR NS TAP NETWORK ADDR: like plug_tap, on the endpoint of the daemon that uses RUNDIR.
plug() {
	local run=$1 ns=$2 tap=$3 net=$4 addr=$5
	bg_start -o "$WORK/plug-$ns-$tap.log" ip netns exec "$ns" vde_plug "vde://$run/net/$net" "tap://$tap"
	# vded_stop waits for the clients of the first daemon to see its hang-up
	if [ "$run" = "$RUN" ]; then
		PLUG_PIDS+=("$BG_PID")
	else
		PLUG2_PIDS+=("$BG_PID")
	fi
	wait_for ip -n "$ns" link show "$tap" || fail "vde_plug did not create $tap in $ns"
	ip -n "$ns" link set "$tap" up
	ip -n "$ns" addr add "$addr" dev "$tap"
}

# vxvde_port_json CTL NET: the vxvde port object of NET through CTL (vdectl or vdectl2).
vxvde_port_json() {
	local out
	out=$("$1" -j port list "$2") || fail "port list $2 failed"
	json_get '.ports[] | select(.kind == "vxvde")' "$out"
}

# Multicast over lo, in this namespace only.
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo

vded_start
vded2_start
expect_rc 0 vdectl -j network create lab --vxvde "$GROUP"
assert_json '.vxvde.group' "$GROUP" "$OUT"
assert_json '.vxvde.vni' 1 "$OUT"
assert_json '.vxvde.ttl' 1 "$OUT"
expect_rc 0 vdectl2 network create lab --vxvde "$GROUP:14789" --vni 1 --ttl 1
# The same group under another VNI: must see nothing of lab's traffic.
expect_rc 0 vdectl2 network create other --vxvde "$GROUP" --vni 2
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "vxvde")] | length' 1 "$OUT"
expect_rc 0 vdectl network show lab
assert_contains "$OUT" "$GROUP vni 1 ttl 1" "human network show"

netns_add ns1
netns_add ns2
plug "$RUN" ns1 t1 lab 10.8.0.1/24
plug "$RUN2" ns2 t2 lab 10.8.0.2/24
# A daemon must not take its own multicast for a peer's. Here (only 127.0.0.1 on lo) the kernel sends
# it with source address 0.0.0.0; if it came back in, ns1's MAC would be learned on the vxvde port.
mac1=$(tap_mac ns1 t1)
ip netns exec ns1 ping -c 1 -W 2 10.8.0.2 >/dev/null || true
expect_rc 0 vdectl -j mac list lab
vxport=$(json_get '.id' "$(vxvde_port_json vdectl lab)")
[ "$(json_get ".macs[] | select(.mac == \"$mac1\") | .port" "$OUT")" != "$vxport" ] ||
	fail "vded learned its own client's MAC $mac1 on its vxvde port: its own multicast came back in"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.8.0.2 || fail "ns1 -> ns2 over vxvde failed"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.8.0.1 || fail "ns2 -> ns1 over vxvde failed"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 -M do -s 1472 10.8.0.2 || fail "1500-byte ping over vxvde failed"
for ctl in vdectl vdectl2; do
	p=$(vxvde_port_json "$ctl" lab)
	assert_json '.rx_frames >= 5 and .tx_frames >= 5' true "$p"
	assert_json '.rx_errors' 0 "$p"
done
p=$(vxvde_port_json vdectl2 other)
assert_json '.rx_frames' 0 "$p"
# Each side learned the other's MAC on its vxvde port.
mac2=$(tap_mac ns2 t2)
expect_rc 0 vdectl -j mac list lab
assert_json ".macs[] | select(.mac == \"$mac2\") | .port" "$vxport" "$OUT"

# Interop: Debian's vxvde:// module (vdeplug4) on the same group, with a tap here in the test netns.
bg_start -o "$WORK/plug-vxvde.log" vde_plug "vxvde://$GROUP" tap://t3
plug3=$BG_PID
wait_for ip link show t3 || fail "vde_plug vxvde:// did not create t3"
ip link set t3 up
ip addr add 10.8.0.3/24 dev t3
ping -c 3 -i 0.2 -W 3 10.8.0.1 || fail "vdeplug4 vxvde -> ns1 failed"
ping -c 3 -i 0.2 -W 3 10.8.0.2 || fail "vdeplug4 vxvde -> ns2 failed"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.8.0.3 || fail "ns1 -> vdeplug4 vxvde failed"
bg_kill "$plug3"
ip link del t3 2>/dev/null || true
p=$(vxvde_port_json vdectl2 other)
assert_json '.rx_frames' 0 "$p"

# Groups that are not multicast (or malformed) are refused, and nothing is made.
for bad in 10.0.0.1 192.168.1.255 239.1.1.1:0 239.1.1.1:65536 "[fd00::1]:14789" "[ff05::1" not.a.group 239.1.1; do
	expect_rc 1 vdectl -j network create bad --vxvde "$bad"
	assert_json '.error.code' invalid-params "$OUT"
	expect_rc 3 vdectl network show bad
done
expect_rc 2 vdectl network create bad --vxvde "$GROUP" --vni 16777216
assert_contains "$ERR" "out of range" "--vni range error"
expect_rc 1 vdectl -j network create bad --vxvde "$GROUP" --interface nosuchif0
assert_json '.error.code' invalid-params "$OUT"
expect_rc 3 vdectl network show bad
expect_rc 2 vdectl network create bad --vni 3
expect_rc 2 vdectl network create bad --vxvde "$GROUP" --ttl many

# Persistence: lab comes back on the group after a restart of the first daemon.
vded_stop
jq -e '.vxvde == "'"$GROUP"'"' "$STATE/networks/lab.json" >/dev/null || fail "vxvde not saved: $(cat "$STATE/networks/lab.json")"
vded_start
expect_rc 0 vdectl -j network show lab
assert_json '.vxvde.group' "$GROUP" "$OUT"
assert_json '[.port_list[] | select(.kind == "vxvde")] | length' 1 "$OUT"
plug "$RUN" ns1 t1 lab 10.8.0.1/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.8.0.2 || fail "ns1 -> ns2 over vxvde after a restart failed"

# IPv6: a veth pair inside the test's namespace, one daemon joined on each end.
ip link add vx6a type veth peer name vx6b
sysctl -qw net.ipv6.conf.vx6a.accept_dad=0 net.ipv6.conf.vx6b.accept_dad=0 || true
ip link set vx6a up
ip link set vx6b up
ip addr add fd77::1/64 dev vx6a nodad
ip addr add fd77::2/64 dev vx6b nodad
expect_rc 0 vdectl network create lab6 --vxvde "[ff05:77::1]:14790" --interface vx6a
expect_rc 0 vdectl2 network create lab6 --vxvde "[ff05:77::1]:14790" --interface vx6b
plug "$RUN" ns1 u1 lab6 10.6.0.1/24
plug "$RUN2" ns2 u2 lab6 10.6.0.2/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.6.0.2 || fail "ns1 -> ns2 over IPv6 vxvde failed"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.6.0.1 || fail "ns2 -> ns1 over IPv6 vxvde failed"
p=$(vxvde_port_json vdectl lab6)
assert_json '.rx_frames >= 3 and .tx_frames >= 3' true "$p"

# Deleting the network leaves the group: the other side keeps working on its own.
expect_rc 0 vdectl network delete lab
expect_rc 0 vdectl2 -j port list lab
assert_json '[.ports[] | select(.kind == "vxvde")] | length' 1 "$OUT"
kill -0 "$VDED_PID" || fail "vded died"
kill -0 "$VDED2_PID" || fail "second vded died"
vded_stop
vded2_stop
log "ok"
