#!/bin/bash
# Ports outlive the engine (doc/restart.md): with five kinds of client plugged in and a ping stream
# through each, the engine is killed with SIGKILL (the parent starts a new one) and vded is upgraded
# in place (`vdectl daemon upgrade`: the parent executes vded again). After each: the same ports on
# the same ids, the tap and the namespace link with their MACs and addresses, every client still
# running, every ping stream going on, and a TCP transfer across both intact.
# timeout: 240
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping socat sha256sum

LIBDIR=$BDIR/lib
vded_start
expect_rc 0 vdectl network create lab

# 1: a vded tap on the host side of the test's namespace, with an address, and a second one that an
# admin put in a bridge
expect_rc 0 vdectl tap add lab tap0 --address 10.9.0.1/24 --up
expect_rc 0 vdectl tap add lab tapb --up
ip link add br-keep type bridge
ip link set tapb master br-keep
# 2: a vde:// client (Debian's vde_plug, vdeplug4's protocol) with a tap in ns1
netns_add ns1
plug_tap ns1 t1 lab 10.9.0.2/24
# 3: a vded:// client (our module: an attach port living with its control connection) in ns2
netns_add ns2
bg_start -o "$WORK/plug-ns2.log" ip netns exec ns2 env "LD_LIBRARY_PATH=$LIBDIR" vde_plug vded://lab tap://t2
plug2=$BG_PID
wait_for ip -n ns2 link show t2 || fail "no tap in ns2: $(cat "$WORK/plug-ns2.log")"
ip -n ns2 link set t2 up
ip -n ns2 addr add 10.9.0.3/24 dev t2
# 5: a network attach whose port an admin gave a policy (isolated, at most 3 MACs)
bg_start -o "$WORK/attach.log" "$VDECTL_BIN" -s "$SOCK" network attach lab --isolated --max-macs 3 -- sleep 600
attach=$BG_PID
policy_of_attach() {
	vdectl -j port list lab | jq -c '[.ports[] | select(.kind == "attach" and (.description | startswith("vdectl"))) | .switch | {isolated, max_macs}]'
}
attached() {
	[ "$(policy_of_attach)" = '[{"isolated":true,"max_macs":3}]' ]
}
wait_for attached || fail "the attach port with a policy: $(vdectl -j port list lab)"
# 4: a namespace of vded's own
expect_rc 0 vdectl ns create r1 --net lab
ip -n r1 addr add 10.9.0.4/24 dev vde0
ip -n r1 link set vde0 up

ports_now() {
	vdectl -j port list lab | jq -c '[.ports[] | {id, kind, pid, description}] | sort_by(.id)'
}
macs_now() {
	printf '%s %s\n' "$(ip -j link show tap0 | jq -r '.[0].address')" \
		"$(ip -n r1 -j link show vde0 | jq -r '.[0].address')"
}
addrs_now() {
	printf '%s %s\n' "$(ip -j addr show dev tap0 | jq -c '[.[0].addr_info[] | select(.family == "inet") | .local]')" \
		"$(ip -n r1 -j addr show dev vde0 | jq -c '[.[0].addr_info[] | select(.family == "inet") | .local]')"
}

# everything reachable before anything happens (the first pings wait for the links and ARP)
reach() {
	ping -c 1 -W 2 "$1" >/dev/null
}
for dst in 10.9.0.2 10.9.0.3 10.9.0.4; do
	wait_for reach "$dst" || fail "tap0 -> $dst before the restart: $(vdectl -j port list lab)"
done
before=$(ports_now)
macs=$(macs_now)
addrs=$(addrs_now)
[ "$(jq length <<<"$before")" = 6 ] || fail "expected 6 ports: $before"

# ping streams through every client, for the whole test
declare -A PINGS
for spec in "ns1:10.9.0.1" "ns2:10.9.0.1" "r1:10.9.0.2"; do
	ns=${spec%%:*}
	bg_start -o "$WORK/ping-$ns.log" ip netns exec "$ns" ping -i 0.1 -W 1 "${spec#*:}"
	PINGS[$ns]=$BG_PID
done
# a TCP transfer ns1 -> r1 that runs across both events, checksummed at both ends
head -c 24000000 /dev/urandom >"$WORK/blob"
bg_start -o "$WORK/recv.log" ip netns exec r1 socat -u TCP-LISTEN:5001,reuseaddr "CREATE:$WORK/blob.recv"
recv=$BG_PID
sleep 0.5
# paced: 48 chunks of 500 kB over about 8 s, so the restarts happen in the middle of it
bg_start -o "$WORK/send.log" ip netns exec ns1 sh -c \
	"for i in \$(seq 0 47); do dd if='$WORK/blob' bs=500000 skip=\$i count=1 status=none; sleep 0.15; done |
	 socat -u - TCP:10.9.0.4:5001"
send=$BG_PID
sleep 1

check_same() {
	local what=$1
	local now
	now=$(ports_now)
	[ "$now" = "$before" ] || fail "$what: ports changed: before $before, after $now"
	[ "$(macs_now)" = "$macs" ] || fail "$what: MACs changed: $macs -> $(macs_now)"
	[ "$(addrs_now)" = "$addrs" ] || fail "$what: addresses changed: $addrs -> $(addrs_now)"
	[ "$(ip -j link show tapb | jq -r '.[0].master')" = br-keep ] || fail "$what: tapb left its bridge"
	attached || fail "$what: the attach port lost its policy: $(policy_of_attach)"
	kill -0 "$attach" 2>/dev/null || fail "$what: network attach exited: $(cat "$WORK/attach.log")"
	kill -0 "$plug2" 2>/dev/null || fail "$what: the vded:// client exited: $(cat "$WORK/plug-ns2.log")"
	for p in "${PLUG_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null || fail "$what: the vde:// client exited"
	done
	for dst in 10.9.0.2 10.9.0.3 10.9.0.4; do
		ping -c 2 -i 0.2 -W 3 "$dst" >/dev/null || fail "$what: tap0 -> $dst"
	done
}

# the engine crashes
info=$(vdectl -j daemon info)
main=$(json_get .pid "$info")
engine=$(json_get .engine_pid "$info")
kill -KILL "$engine"
other_engine() {
	vdectl -j daemon info 2>/dev/null | jq -e ".engine_pid != $1" >/dev/null
}
wait_for other_engine "$engine" || fail "no new engine after the old one was killed"
info=$(vdectl -j daemon info)
[ "$(json_get .pid "$info")" = "$main" ] || fail "the main process changed"
[ "$(json_get .engine_restarts "$info")" = 1 ] || fail "engine_restarts: $info"
check_same "after kill -9 of the engine"

# an upgrade in place
engine=$(json_get .engine_pid "$info")
expect_rc 0 vdectl -j daemon upgrade
assert_json .status upgrading "$OUT"
wait_for other_engine "$engine" || fail "vded did not come back after the upgrade"
[ "$(json_get .pid "$(vdectl -j daemon info)")" = "$main" ] || fail "the upgrade changed the main pid"
check_same "after daemon upgrade"

# the transfer finishes intact
for ((i = 0; i < 600; i++)); do
	pid_gone "$send" && break
	sleep 0.1
done
pid_gone "$send" || fail "the TCP transfer did not finish"
wait_for pid_gone "$recv" || fail "the receiver did not finish"
[ "$(sha256sum <"$WORK/blob")" = "$(sha256sum <"$WORK/blob.recv")" ] ||
	fail "the TCP transfer across the restarts was corrupted ($(stat -c %s "$WORK/blob.recv") bytes)"

# the ping streams: each lost at most a few while the engine was away
for ns in "${!PINGS[@]}"; do
	kill -INT "${PINGS[$ns]}"
	wait "${PINGS[$ns]}" 2>/dev/null || true
	stats=$(grep -E 'packets transmitted' "$WORK/ping-$ns.log")
	tx=$(awk '{print $1}' <<<"$stats")
	rx=$(awk '{print $4}' <<<"$stats")
	echo "ping from $ns: $stats"
	[ "$tx" -gt 20 ] && [ $((tx - rx)) -le 20 ] || fail "ping from $ns lost too much: $stats"
done

# a port that goes away after the restart goes for good: its descriptors are not kept any more
nports() {
	[ "$(vdectl -j port list lab | jq '.ports | length')" = "$1" ]
}
kill "${PLUG_PIDS[0]}"
wait_for nports 5 || fail "the vde:// port stayed: $(vdectl port list lab)"
vded_stop
wait_for sh -c "! ip link show tap0 >/dev/null 2>&1" ||
	fail "tap0 still exists after vded stopped"
log "ok"
