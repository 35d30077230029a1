#!/bin/bash
# VLANs per port (port set --vlan/--trunk): three namespaces on one network, on VLANs 10, 10 and 20,
# all in one IP subnet: the two of VLAN 10 ping each other, neither reaches the one of VLAN 20. A
# fourth namespace on a trunk of 10 and 20 reaches both through kernel 802.1Q sub-interfaces (where
# the kernel has them). Two vde_plug clients asking for port numbers 50 and 51, configured as trunks
# before they come, tag and untag with Debian's vlan:// module: the frames cross vded tagged there and
# untagged on the access ports. The policy is kept for the port number across a restart of vded; a
# bad policy is refused and changes nothing.
. "$(dirname "$0")/lib.sh"
need jq ping vde_plug

# port_of NS: the port of NS's vde0 on network lab.
port_of() {
	vdectl -j ns list | jq -r ".namespaces[] | select(.name == \"$1\") | .interfaces[0].port"
}

PLUG_PIDS=()
vded_start
expect_rc 0 vdectl network create lab
for ns in a1 a2 b1 t1; do
	expect_rc 0 vdectl ns create "$ns" --net lab
done
pa1=$(port_of a1); pa2=$(port_of a2); pb1=$(port_of b1); pt1=$(port_of t1)
expect_rc 0 vdectl port set lab "$pa1" --vlan 10
expect_rc 0 vdectl port set lab "$pa2" --vlan 10
expect_rc 0 vdectl -j port set lab "$pb1" --vlan 20
assert_json '.switch.vlan' 20 "$OUT"
assert_json '.attached.switch.vlan' 20 "$OUT"
expect_rc 0 vdectl -j port set lab "$pt1" --trunk 10,20
assert_json '.switch.trunk' 10,20 "$OUT"

ip -n a1 addr add 10.9.0.1/24 dev vde0
ip -n a2 addr add 10.9.0.2/24 dev vde0
ip -n b1 addr add 10.9.0.3/24 dev vde0
ip -n b1 addr add 10.9.1.3/24 dev vde0
# the trunk: one sub-interface per VLAN, each in a subnet of its own so that routing is clear
kernel_vlan=1
ip -n t1 link add link vde0 name vde0.10 type vlan id 10 2>/dev/null || kernel_vlan=0
if [ "$kernel_vlan" = 1 ]; then
	ip -n t1 link add link vde0 name vde0.20 type vlan id 20
	ip -n t1 link set vde0.10 up
	ip -n t1 link set vde0.20 up
	ip -n t1 addr add 10.9.0.10/24 dev vde0.10
	ip -n t1 addr add 10.9.1.10/24 dev vde0.20
else
	log "this kernel has no 802.1Q interfaces: the kernel trunk part is left out"
fi
# trunks for two vde:// clients, set before they exist (as vde_switch's port configuration)
expect_rc 0 vdectl port set lab 50 --trunk 10,20
expect_rc 0 vdectl port set lab 51 --trunk 10,20
netns_add v1
netns_add v2
bg_start -o "$WORK/plug-v1.log" ip netns exec v1 vde_plug "vlan://10{vde://$RUN/net/lab[port=50]}" tap://tv
PLUG_PIDS+=("$BG_PID")
bg_start -o "$WORK/plug-v2.log" ip netns exec v2 vde_plug "vlan://20{vde://$RUN/net/lab[port=51]}" tap://tv
PLUG_PIDS+=("$BG_PID")
wait_for ip -n v1 link show tv || fail "vde_plug did not make tv in v1: $(cat "$WORK/plug-v1.log")"
wait_for ip -n v2 link show tv || fail "vde_plug did not make tv in v2: $(cat "$WORK/plug-v2.log")"
ip -n v1 link set tv up
ip -n v2 link set tv up
ip -n v1 addr add 10.9.0.20/24 dev tv
ip -n v2 addr add 10.9.1.20/24 dev tv
expect_rc 0 vdectl -j port show lab 50
assert_json '.switch.trunk' 10,20 "$OUT"

ip netns exec a1 ping -c 3 -i 0.2 -W 2 10.9.0.2 >/dev/null || fail "VLAN 10 -> VLAN 10 ping failed"
ip netns exec a2 ping -c 3 -i 0.2 -W 2 10.9.0.1 >/dev/null || fail "VLAN 10 <- VLAN 10 ping failed"
if ip netns exec a1 ping -c 3 -i 0.2 -W 1 10.9.0.3 >/dev/null; then
	fail "VLAN 10 reached VLAN 20"
fi
if ip netns exec b1 ping -c 2 -i 0.2 -W 1 10.9.0.1 >/dev/null; then
	fail "VLAN 20 reached VLAN 10"
fi
if [ "$kernel_vlan" = 1 ]; then
	ip netns exec t1 ping -c 3 -i 0.2 -W 2 10.9.0.1 >/dev/null || fail "trunk (vde0.10) -> VLAN 10 ping failed"
	ip netns exec t1 ping -c 3 -i 0.2 -W 2 10.9.1.3 >/dev/null || fail "trunk (vde0.20) -> VLAN 20 ping failed"
	ip netns exec a2 ping -c 2 -i 0.2 -W 2 10.9.0.10 >/dev/null || fail "VLAN 10 -> trunk ping failed"
fi
# tagged 10 on trunk port 50 reaches the access ports of VLAN 10 untagged, tagged 20 on 51 VLAN 20
ip netns exec v1 ping -c 3 -i 0.2 -W 2 10.9.0.1 >/dev/null || fail "trunk port 50 (VLAN 10) -> VLAN 10 ping failed"
ip netns exec v2 ping -c 3 -i 0.2 -W 2 10.9.1.3 >/dev/null || fail "trunk port 51 (VLAN 20) -> VLAN 20 ping failed"
if ip netns exec v2 ping -c 2 -i 0.2 -W 1 10.9.0.1 >/dev/null 2>&1; then
	fail "VLAN 20 on a trunk reached VLAN 10"
fi

# the table is per VLAN: a1's address is in VLAN 10, b1's in 20
expect_rc 0 vdectl -j mac list lab
mac_a1=$(ip -n a1 -j link show vde0 | jq -r '.[0].address')
mac_b1=$(ip -n b1 -j link show vde0 | jq -r '.[0].address')
assert_json ".macs[] | select(.mac == \"$mac_a1\") | .vlan" 10 "$OUT"
assert_json ".macs[] | select(.mac == \"$mac_b1\") | .vlan" 20 "$OUT"

# the access port counts what it refused: frames tagged on an access port are dropped
expect_rc 0 vdectl port set lab 52 --vlan 10
netns_add v3
bg_start -o "$WORK/plug-v3.log" ip netns exec v3 vde_plug "vlan://30{vde://$RUN/net/lab[port=52]}" tap://tv
PLUG_PIDS+=("$BG_PID")
wait_for ip -n v3 link show tv || fail "vde_plug did not make tv in v3: $(cat "$WORK/plug-v3.log")"
ip -n v3 link set tv up
ip -n v3 addr add 10.9.0.30/24 dev tv
if ip netns exec v3 ping -c 2 -i 0.2 -W 1 10.9.0.1 >/dev/null 2>&1; then
	fail "a tagged frame crossed an access port"
fi
expect_rc 0 vdectl -j port list lab
dv=$(json_get ".ports[] | select(.id == 52) | .drop_vlan" "$OUT")
[ "$dv" -gt 0 ] || fail "no drop_vlan counted on the access port: $OUT"
assert_json ".ports[] | select(.id == $pt1) | .switch.trunk" 10,20 "$OUT"
expect_rc 0 vdectl -j port show lab "$pb1"
assert_json '.switch.vlan' 20 "$OUT"
expect_rc 0 vdectl port show lab "$pb1"
printf '%s\n' "$OUT" | grep -E '^switch: +vlan=20$' >/dev/null || fail "human port show: $OUT"
printf '%s\n' "$OUT" | grep -E '^drop_vlan: +[0-9]+$' >/dev/null || fail "human port show: $OUT"

# refused, nothing changed: vlan and trunk at once, a VLAN out of range, a bad set, not the owner
expect_rc 2 vdectl -j port set lab "$pa1" --vlan 10 --trunk 20
expect_rc 2 vdectl port set lab "$pa1" --vlan 4095
expect_rc 2 vdectl -j port set lab "$pa1" --trunk 10-5
assert_json '.error.code' invalid-params "$OUT"
expect_rc 2 vdectl -j port set lab "$pa1" --native 10
expect_rc 0 vdectl -j port show lab "$pa1"
assert_json '.switch.vlan' 10 "$OUT"
ip netns exec a1 ping -c 2 -i 0.2 -W 2 10.9.0.2 >/dev/null || fail "VLAN 10 broken after refused changes"

# kept for the port number: a port id nobody has yet, and after a restart
expect_rc 0 vdectl port set lab 200 --vlan 10 --isolated
for pid in "${PLUG_PIDS[@]}"; do bg_kill "$pid"; done
vded_stop
vded_start
jq -e '.ports."200".switch | .vlan == 10 and .isolated == true' "$STATE/networks/lab.json" >/dev/null ||
	fail "port 200's policy is not in the definition: $(cat "$STATE/networks/lab.json")"
expect_rc 0 vdectl -j port set lab 200 --isolated=off
assert_json '.switch.vlan' 10 "$OUT"
assert_json '.switch.isolated' null "$OUT"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
