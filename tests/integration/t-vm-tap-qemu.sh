#!/bin/bash
# timeout: 300
# tap.add --for-vm: a persistent tap vded does not open, for QEMU. QEMU, run as the tap's owner (no
# privilege), opens it with -netdev tap,ifname=IF,script=no,downscript=no and network-boots a TCG
# guest with no OS: SeaBIOS's iPXE asks for DHCP against vded's slirp. Both ways cross: the DHCP
# request that only follows an offer the guest got, the ACK to the guest's MAC (tcpdump on the tap),
# the guest's MAC in mac list, the port's counters. QEMU stops and starts again on the same tap; vded
# restarts and finds its VM tap, with QEMU still on it; tap remove removes the interface.
. "$(dirname "$0")/lib.sh"
need jq qemu-system-x86_64 tcpdump setpriv timeout

VMUSER=1001
MAC=52:54:00:10:20:30
vm_start() { # the guest, as VMUSER, on vmtap0; PID in $BG_PID
	bg_start -o "$WORK/qemu-$1.log" setpriv --reuid $VMUSER --regid $VMUSER --clear-groups \
		qemu-system-x86_64 -M pc -accel tcg -nodefaults -display none -monitor none -serial none -m 64 \
		-boot n -netdev tap,id=n0,ifname=vmtap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac=$MAC
}
vm_port() { vdectl -j port list lab | jq -c '.ports[] | select(.ifname == "vmtap0")'; }
mac_learned() { vdectl -j mac list lab | jq -e ".macs[] | select(.mac == \"$MAC\")" >/dev/null; }
# dhcp_seen KIND: tcpdump's capture holds a DHCP message of that kind (Request: the guest got an offer)
dhcp_seen() { tcpdump -nn -v -r "$WORK/dhcp.pcap" 2>/dev/null | grep -q "DHCP-Message.*: $1"; }

# QEMU's user opens /dev/net/tun, which Debian's udev makes 0666; a machine that keeps it 0600 gets a
# 0666 node of its own here, in the test's private mount namespace only.
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	mknod -m 0666 "$WORK/tun" c 10 200 && mount --bind "$WORK/tun" /dev/net/tun ||
		skip "cannot give the test a /dev/net/tun its VM user may open"
fi

vded_start
expect_rc 0 vdectl network create lab --slirp
expect_rc 0 vdectl -j tap add lab vmtap0 --for-vm --owner $VMUSER
assert_json '.port.kind' interface "$OUT"
assert_json '.port.vm_tap' true "$OUT"
ip -d -j link show vmtap0 >"$WORK/link.json" || fail "vmtap0 was not made"
assert_json '.[0].linkinfo.info_kind' tun "$(cat "$WORK/link.json")"
assert_json '.[0].linkinfo.info_data.pi' false "$(cat "$WORK/link.json")"
assert_json '.[0].linkinfo.info_data.persist' true "$(cat "$WORK/link.json")"
assert_json '.[0].linkinfo.info_data.user' $VMUSER "$(cat "$WORK/link.json")"
# saved with its MAC, as every tap of vded's
jq -e '.taps[0].for_vm == true and (.taps[0].mac | test("^02:"))' "$STATE/networks/lab.json" >/dev/null ||
	fail "the VM tap is not saved with its MAC: $(cat "$STATE/networks/lab.json")"

bg_start -o "$WORK/tcpdump.log" tcpdump -i vmtap0 -n -U -w "$WORK/dhcp.pcap" udp port 67 or udp port 68
dump=$BG_PID
sleep 1
vm_start 1
qemu=$BG_PID
wait_for -t 120 dhcp_seen Request || fail "no DHCP request from the guest (it got no offer?): $(cat "$WORK/qemu-1.log")"
wait_for -t 30 dhcp_seen ACK || fail "vded's slirp did not ACK the guest"
wait_for mac_learned || fail "the guest's MAC is not in mac list"
port=$(vm_port)
log "vmtap0: $port"
assert_json '.rx_frames >= 2 and .tx_frames >= 2' true "$port"

# QEMU goes and comes back: the tap and the port stay, the next QEMU opens the tap again.
bg_kill "$qemu"
ip link show vmtap0 >/dev/null || fail "vmtap0 went with QEMU"
[ -n "$(vm_port)" ] || fail "the VM tap's port went with QEMU"
rx0=$(vm_port | jq .rx_frames)
vm_start 2
qemu=$BG_PID
wait_for -t 120 sh -c "[ \$(\"$VDECTL_BIN\" -s \"$SOCK\" -j port list lab | jq '.ports[] | select(.ifname == \"vmtap0\") | .rx_frames') -gt $rx0 ]" ||
	fail "the second QEMU sent nothing through vmtap0: $(cat "$WORK/qemu-2.log")"

# vded restarts: the VM tap is found again (the same interface, with QEMU still on it).
idx=$(ip -j link show vmtap0 | jq '.[0].ifindex')
vded_stop
ip link show vmtap0 >/dev/null || fail "vmtap0 went with vded"
vded_start
wait_for sh -c "\"$VDECTL_BIN\" -s \"$SOCK\" -j port list lab | jq -e '.ports[] | select(.ifname == \"vmtap0\")'" ||
	fail "the VM tap is not a port again after the restart"
assert_eq "$(ip -j link show vmtap0 | jq '.[0].ifindex')" "$idx" "vmtap0's index after the restart"
rx1=$(vm_port | jq .rx_frames)
wait_for -t 120 sh -c "[ \$(\"$VDECTL_BIN\" -s \"$SOCK\" -j port list lab | jq '.ports[] | select(.ifname == \"vmtap0\") | .rx_frames') -gt $rx1 ]" ||
	fail "no frames from the guest after vded's restart"

# --multi-queue makes a multi-queue tap, --group lets a group open it; its MAC is saved
expect_rc 0 vdectl tap add lab vmmq --for-vm --multi-queue --group 2000
assert_json '.[0].linkinfo.info_data.multi_queue' true "$(ip -d -j link show vmmq)"
assert_json '.[0].linkinfo.info_data.group' 2000 "$(ip -d -j link show vmmq)"
# outside the group, the VM's user may not open it
expect_rc 1 setpriv --reuid $VMUSER --regid $VMUSER --clear-groups timeout 20 \
	qemu-system-x86_64 -M pc -accel tcg -nodefaults -display none -monitor none -serial none -m 64 \
	-netdev tap,id=n0,ifname=vmmq,script=no,downscript=no,queues=2 -device virtio-net-pci,netdev=n0,mq=on,vectors=6
assert_contains "$ERR" "vmmq" "QEMU's error outside the tap's group"
# QEMU opens both queues of it (as the VM's user, through the group) and runs
bg_start -o "$WORK/qemu-mq.log" setpriv --reuid $VMUSER --regid $VMUSER --groups 2000 \
	qemu-system-x86_64 -M pc -accel tcg -nodefaults -display none -monitor none -serial none -m 64 \
	-netdev tap,id=n0,ifname=vmmq,script=no,downscript=no,queues=2 \
	-device virtio-net-pci,netdev=n0,mq=on,vectors=6
mq=$BG_PID
sleep 3
kill -0 "$mq" 2>/dev/null || fail "QEMU could not open the multi-queue VM tap: $(cat "$WORK/qemu-mq.log")"
bg_kill "$mq"
mac=$(ip -j link show vmmq | jq -r '.[0].address')
assert_eq "$(jq -r '.taps[] | select(.ifname == "vmmq") | .mac' "$STATE/networks/lab.json")" "$mac" "vmmq's saved MAC"
expect_rc 0 vdectl tap remove lab vmmq

# A VM tap is removed by tap remove, not by port remove or port detach.
expect_rc 2 vdectl port remove lab vmtap0
expect_rc 2 vdectl port detach lab "$(vm_port | jq .id)"
bg_kill "$qemu"
bg_kill "$dump"
expect_rc 0 vdectl tap remove lab vmtap0
wait_for sh -c '! ip link show vmtap0' || fail "vmtap0 still exists after tap remove"
[ -z "$(vm_port)" ] || fail "the VM tap's port is still there"
jq -e '(.taps // []) | length == 0' "$STATE/networks/lab.json" >/dev/null || fail "the VM tap is still saved"
log "ok"
