#!/bin/bash
# timeout: 600
# A real libvirt (Debian's libvirtd and its QEMU driver) runs a TCG domain on vded networks through
# plain type='ethernet' NICs, no <qemu:commandline>:
#   (a) a VM tap (vdectl tap add --for-vm) given to libvirt with managed='no';
#   (b) a tap libvirt makes itself, plugged in by the hook (<script>/<downscript>: libexec/vde-ifup);
#   (c) a type='udp' NIC, cabled to an uplink of vded's (network connect udp://).
# libvirtd runs in the test's own network and mount namespaces, with a private configuration (its
# /etc/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt are tmpfs here; /run already is).
# The domain has no OS: SeaBIOS's iPXE asks vded's slirp for a lease on each NIC. The test sees the
# lease traffic in the ports' counters and the domain's MACs in mac list (on the uplink's port for c); virsh domiflist and
# domifstat show both NICs; a NIC hotplugged the same way as (b) becomes a port, and its hot-unplug runs
# the downscript and removes the port; the domain's destruction removes (b)'s port and leaves the VM
# tap and its port in place.
# Skips (77) only where libvirt is not installed or its daemon cannot start.
. "$(dirname "$0")/../integration/lib.sh"
need jq qemu-system-x86_64
command -v libvirtd >/dev/null 2>&1 || skip "libvirtd not installed (libvirt-daemon)"
command -v virsh >/dev/null 2>&1 || skip "virsh not installed (libvirt-clients)"
[ -e /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ] ||
	skip "libvirt's QEMU driver not installed (libvirt-daemon-driver-qemu)"

# ---- a private libvirtd
for d in /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
	mkdir -p "$d"
	mount -t tmpfs -o mode=0755 tmpfs "$d"
done
# libvirt resolves its compiled-in QEMU user and group (Debian's libvirt-qemu:kvm) even when the
# configuration names root; libvirt-daemon-system would add them to the system: here they are added to
# private copies of passwd and group, bound over the real ones in this mount namespace only.
for f in passwd group; do
	cp /etc/$f "$WORK/$f"
done
getent passwd libvirt-qemu >/dev/null || echo "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin" >>"$WORK/passwd"
getent group libvirt-qemu >/dev/null || echo "libvirt-qemu:x:64055:" >>"$WORK/group"
getent group kvm >/dev/null || echo "kvm:x:64056:" >>"$WORK/group"
mount --bind "$WORK/passwd" /etc/passwd
mount --bind "$WORK/group" /etc/group
mkdir -p /etc/libvirt/qemu/networks /var/lib/libvirt/qemu /var/log/libvirt/qemu /var/cache/libvirt/qemu
cat >/etc/libvirt/libvirtd.conf <<EOC
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$WORK/libvirtd.log"
EOC
# no cgroups, no per-domain namespaces, no security driver, no virtlogd: nothing of the host's is touched
cat >/etc/libvirt/qemu.conf <<EOC
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOC
bg_start -o "$WORK/libvirtd.out" libvirtd
LIBVIRTD=$BG_PID
export LIBVIRT_DEFAULT_URI=qemu:///system
wait_for -t 30 virsh -q version || skip "libvirtd did not start: $(tail -n 5 "$WORK/libvirtd.out" "$WORK/libvirtd.log" 2>/dev/null)"
log "$(virsh -q version | head -n 3 | tr '\n' ' ')"

# ---- vded, a slirp network, a VM tap, the hook
vded_start
expect_rc 0 vdectl network create lab --slirp
expect_rc 0 vdectl tap add lab vm1 --for-vm
# (c): a udp NIC, through an uplink of vded's (doc/libvirt.md, way 3)
expect_rc 0 vdectl -j network connect lab 'udp://127.0.0.1:5001->127.0.0.1:5000'
UPLINK=$(json_get '.port.id' "$OUT")
# libvirt runs hooks with a clean environment: these wrappers bring vdectl and the network
for h in ifup ifdown; do
	cat >"$WORK/vde-$h" <<EOS
#!/bin/sh
VDECTL=$VDECTL_BIN VDE_NETWORK=lab exec $ROOT/libexec/vde-$h "\$@"
EOS
	chmod 755 "$WORK/vde-$h"
done
MAC_A=52:54:00:a0:00:01 MAC_B=52:54:00:b0:00:02 MAC_C=52:54:00:d0:00:04
nic_b() {
	cat <<EOX
<interface type='ethernet'>
  <mac address='$MAC_B'/>
  <target dev='lab-b'/>
  <script path='$WORK/vde-ifup'/>
  <downscript path='$WORK/vde-ifdown'/>
  <model type='virtio'/>
  <boot order='2'/>
</interface>
EOX
}
cat >"$WORK/dom.xml" <<EOX
<domain type='qemu'>
  <name>vdetest</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <controller type='usb' model='qemu-xhci'/>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <interface type='ethernet'>
      <mac address='$MAC_A'/>
      <target dev='vm1' managed='no'/>
      <model type='virtio'/>
      <boot order='1'/>
    </interface>
    $(nic_b)
    <interface type='udp'>
      <mac address='$MAC_C'/>
      <source address='127.0.0.1' port='5001'>
        <local address='127.0.0.1' port='5000'/>
      </source>
      <model type='virtio'/>
      <boot order='3'/>
    </interface>
  </devices>
</domain>
EOX
cat >"$WORK/nic-c.xml" <<EOX
<interface type='ethernet'>
  <mac address='52:54:00:c0:00:03'/>
  <target dev='lab-c'/>
  <script path='$WORK/vde-ifup'/>
  <downscript path='$WORK/vde-ifdown'/>
  <model type='usb-net'/>
</interface>
EOX

virsh define "$WORK/dom.xml" >/dev/null || fail "virsh define failed"
virsh start vdetest || fail "the domain did not start: $(tail -n 20 "$WORK/libvirtd.log" /var/log/libvirt/qemu/vdetest.log 2>/dev/null)"
# libvirt's QEMU is not our child: killed by its PID at exit too if the test stops before destroy
QEMU_PID=$(cat /run/libvirt/qemu/vdetest.pid 2>/dev/null || true)
[ -n "$QEMU_PID" ] && BG_PIDS+=("$QEMU_PID")

port_of() { vdectl -j port list lab | jq -c ".ports[] | select(.ifname == \"$1\")"; }
has_port() { [ -n "$(port_of "$1")" ]; }
no_port() { [ -z "$(port_of "$1")" ]; }
mac_on() { # mac_on MAC IF: the MAC was learned on IF's port
	local id
	id=$(port_of "$2" | jq .id)
	[ -n "$id" ] && vdectl -j mac list lab | jq -e ".macs[] | select(.mac == \"$1\" and .port == $id)" >/dev/null
}
wait_for has_port lab-b || fail "the hook did not add lab-b: $(cat "$WORK/vded.log" | tail -n 5)"
assert_json '.transient' true "$(port_of lab-b)"

# lease traffic on both NICs (iPXE tries the first, then the second)
wait_for -t 180 mac_on $MAC_A vm1 || fail "no frame from NIC (a) on vm1's port"
wait_for -t 240 mac_on $MAC_B lab-b || fail "no frame from NIC (b) on lab-b's port"
uplink_has_mac() {
	vdectl -j mac list lab | jq -e ".macs[] | select(.mac == \"$MAC_C\" and .port == $UPLINK)" >/dev/null
}
wait_for -t 240 uplink_has_mac || fail "no frame from NIC (c) on the udp uplink"
pa=$(port_of vm1)
pb=$(port_of lab-b)
log "vm1: $pa"
log "lab-b: $pb"
assert_json '.rx_frames >= 1 and .tx_frames >= 1' true "$pa"
assert_json '.rx_frames >= 1 and .tx_frames >= 1' true "$pb"

# what libvirt shows
virsh domiflist vdetest >"$WORK/iflist" || fail "domiflist failed"
cat "$WORK/iflist"
grep -E "^ *vm1 +ethernet .*$MAC_A" "$WORK/iflist" >/dev/null || fail "domiflist does not show vm1"
grep -E "^ *lab-b +ethernet .*$MAC_B" "$WORK/iflist" >/dev/null || fail "domiflist does not show lab-b"
grep -E "^ *- +udp .*$MAC_C" "$WORK/iflist" >/dev/null || fail "domiflist does not show the udp NIC"
for i in vm1 lab-b; do
	virsh domifstat vdetest $i >"$WORK/ifstat" || fail "domifstat $i failed"
	awk '$2 == "rx_packets" && $3 > 0 { ok = 1 } END { exit !ok }' "$WORK/ifstat" ||
		fail "domifstat $i shows no packets: $(cat "$WORK/ifstat")"
done

# Hotplug and hot-unplug of a libvirt-made tap: the hook adds the port, the downscript and the tap's
# deletion remove it. (A USB NIC: a PCI unplug waits for a guest OS to eject the device, and this
# guest has none; a USB one is gone at once.)
virsh attach-device vdetest "$WORK/nic-c.xml" --live || fail "attach-device failed"
wait_for -t 30 has_port lab-c || fail "the hotplugged NIC did not become a port"
iflist=$(virsh domiflist vdetest) || fail "domiflist failed"
assert_contains "$iflist" "lab-c" "domiflist after the hotplug"
virsh domifstat vdetest lab-c >/dev/null || fail "domifstat of the hotplugged NIC failed"
virsh detach-device vdetest "$WORK/nic-c.xml" --live || fail "detach-device failed"
wait_for -t 30 no_port lab-c || fail "lab-c's port is still there after the hot-unplug"
wait_for -t 30 sh -c '! ip link show lab-c' || fail "libvirt did not delete lab-c"
grep -q "interface port lab-c (port [0-9]*) removed\|interface lab-c removed: port removed" "$WORK/vded.log" ||
	fail "no log line for lab-c's removal"

# destroy: libvirt's tap and its port go, the VM tap and its port stay (managed='no')
virsh destroy vdetest >/dev/null || fail "destroy failed"
# gone: its PID is nobody's to kill any more
keep=()
for p in "${BG_PIDS[@]}"; do [ "$p" = "$QEMU_PID" ] || keep+=("$p"); done
BG_PIDS=("${keep[@]}")
wait_for -t 30 no_port lab-b || fail "lab-b's port outlived the domain"
ip link show vm1 >/dev/null || fail "the domain took the VM tap with it"
has_port vm1 || fail "the VM tap's port went with the domain"
virsh undefine vdetest >/dev/null || true
expect_rc 0 vdectl tap remove lab vm1
log "ok"
