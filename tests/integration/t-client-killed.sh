#!/bin/bash
# Clients that die without saying goodbye: a vde_plug endpoint client and a vdectl attach client are
# SIGKILLed while traffic flows through them. Their ports and MAC entries must go away, vded must
# live on, and the remaining clients must keep talking.
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping pgrep qemu-system-x86_64

# mac_present NET MAC: for wait_for.
mac_present() {
	vdectl -j mac list "$1" | jq -e --arg m "$2" 'any(.macs[]; .mac == $m)' >/dev/null
}
port_present() {
	vdectl -j port list "$1" | jq -e --argjson p "$2" 'any(.ports[]; .id == $p)' >/dev/null
}

vded_start
expect_rc 0 vdectl network create lab

netns_add ns1
netns_add ns2
netns_add ns3
plug_tap ns1 t1 lab 10.0.0.1/24
plug_tap ns2 t2 lab 10.0.0.2/24
plug_tap ns3 t3 lab 10.0.0.3/24
plug3=$BG_PID
mac3=$(tap_mac ns3 t3)
for i in 2 3; do
	ip netns exec ns1 ping -c 2 -i 0.2 -W 3 "10.0.0.$i" || fail "ns1 -> 10.0.0.$i ping failed"
done
wait_for mac_present lab "$mac3" || fail "t3's MAC $mac3 not learned"
port3=$(vdectl -j mac list lab | jq -r --arg m "$mac3" '.macs[] | select(.mac == $m) | .port')

# ns3 floods traffic at ns1 (and ns1 answers) while its cable is cut.
bg_start ip netns exec ns3 ping -i 0.01 10.0.0.1
ping3=$BG_PID
sleep 0.5
kill -KILL "$plug3"
wait_for pid_gone "$plug3" || fail "vde_plug did not die"
wait_for -t 15 port_count_is lab 2 || fail "killed vde_plug's port still listed"
port_present lab "$port3" && fail "port $port3 of the killed client is still listed"
# ns1 keeps answering the dead peer's address only until the ARP entry ages; the switch must have
# forgotten t3's MAC with its port.
mac_present lab "$mac3" && fail "MAC $mac3 of the killed client still in the table"
bg_kill "$ping3" KILL
kill -0 "$VDED_PID" || fail "vded died"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "ns1 -> ns2 ping failed after the kill"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.0.0.1 || fail "ns2 -> ns1 ping failed after the kill"

# An attach client: QEMU holds the fd and answers pings from ns1 through slirp; vdectl, which holds
# the control connection, is SIGKILLed. The port goes with the connection even though QEMU lives on.
ip -n ns1 addr add 10.0.2.15/24 dev t1
bg_start -o "$WORK/qemu.log" "$VDECTL_BIN" -s "$SOCK" network attach lab -- \
	"${QEMU_BASE[@]}" -netdev socket,id=s0,fd=3 -netdev user,id=u,net=10.0.2.0/24 \
	-netdev hubport,id=h1,hubid=0,netdev=s0 -netdev hubport,id=h2,hubid=0,netdev=u
ctl_pid=$BG_PID
wait_for port_count_is lab 3 || fail "attach port did not appear"
wait_for pgrep -P "$ctl_pid" || fail "vdectl did not start QEMU"
qemu_pid=$(pgrep -P "$ctl_pid" | head -n 1)
BG_PIDS+=("$qemu_pid")
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.2.2 || fail "ping to slirp through the attach port failed"
gw_mac=$(ip -n ns1 -j neigh show 10.0.2.2 dev t1 | jq -r '.[0].lladdr')
attach_id=$(vdectl -j port list lab | jq -r '.ports[] | select(.kind == "attach") | .id')
[ -n "$attach_id" ] || fail "no attach port listed"
wait_for mac_present lab "$gw_mac" || fail "slirp's MAC $gw_mac not learned"

bg_start ip netns exec ns1 ping -i 0.01 10.0.2.2
pingq=$BG_PID
sleep 0.5
kill -KILL "$ctl_pid"
wait_for pid_gone "$ctl_pid" || fail "vdectl did not die"
wait_for -t 15 port_count_is lab 2 || fail "attach port still listed after vdectl was killed"
port_present lab "$attach_id" && fail "attach port $attach_id still listed"
mac_present lab "$gw_mac" && fail "MAC $gw_mac of the dead attach port still in the table"
kill -0 "$qemu_pid" || fail "QEMU should still be running (it only lost its port)"
bg_kill "$pingq" KILL
kill -0 "$VDED_PID" || fail "vded died"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.0.0.1 || fail "ns2 -> ns1 ping failed after the attach kill"
expect_rc 0 vdectl -j port list lab
assert_json '[.ports[] | select(.kind == "endpoint")] | length' 2 "$OUT"

vded_stop
log "ok"
