#!/bin/bash
# timeout: 240
# Membership key: 4 hosts (namespaces, each with its own vded) on one bridge, network "cloud" on one
# vxvde group. Hosts 1 and 2 hold key A (--key-file), host 3 has no key, host 4 holds key B. Key holders
# reach each other; the keyless and the wrong-key host reach nobody and nobody reaches them, and the
# key holders count what they refused (rx_bad_tag). With --encrypt a ping's payload pattern is not on
# the wire; without it, it is (authenticated only). The key never shows in network show. Who may do
# what (and a restart keeps the key): an unprivileged user's vdectl reads the key file with that user's rights (a root-only file is
# refused by vdectl, never opened by vded), may key its own network, and may not name peers.
[ -n "${VDE_TEST_IN_NS:-}" ] || exec 7</proc/self/ns/net
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-cloud.sh"
need jq ping nsenter setpriv tcpdump /usr/bin/python3

GS=2100 USER1=1001
N=4
cloud_neigh_room "$N"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/key-a"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/key-b"
chmod 0600 "$WORK/key-a" "$WORK/key-b"
cloud_bridge
for ((h = 1; h <= N; h++)); do
	cloud_host "$h" -g "$GS"
done
for ((h = 1; h <= N; h++)); do
	cloud_wait "$h"
done
cloud_net 1 --vxvde 239.5.5.5 --key-file "$WORK/key-a"
cloud_net 2 --vxvde 239.5.5.5 --key-file "$WORK/key-a"
cloud_net 3 --vxvde 239.5.5.5
cloud_net 4 --vxvde 239.5.5.5 --key-file "$WORK/key-b"
for ((h = 1; h <= N; h++)); do
	wait_for ip -n "c$h" link show vx0 || fail "no tap on host $h"
done
ping_ok() { ip netns exec "c$1" ping -c1 -W2 -q "$(cloud_ip 10.251 "$2")" >/dev/null 2>&1; }

ping_ok 1 2 || fail "key holder 1 cannot reach key holder 2"
ping_ok 2 1 || fail "key holder 2 cannot reach key holder 1"
for pair in "1 3" "3 1" "1 4" "4 2" "3 4"; do
	# shellcheck disable=SC2086
	! ping_ok $pair || fail "host ${pair% *} reached host ${pair#* } across the key"
done
p=$(cloud_vxvde_port 1)
assert_json '.vxvde.keyed' true "$p"
assert_json '.vxvde.encrypted' false "$p"
assert_json '.vxvde.rx_bad_tag > 0' true "$p"
assert_json '.vxvde.rx_own > 0' true "$p"
# the keyless host sees the key holders' datagrams as not vxvde at all
assert_json '.vxvde.rx_foreign > 0' true "$(cloud_vxvde_port 3)"
expect_rc 0 cloud_ctl 1 -j network show cloud
assert_json '.vxvde.keyed' true "$OUT"
case "$OUT" in *"$(cat "$WORK/key-a")"*) fail "network show prints the key" ;; esac
# the saved definition holds it, readable by vded only
def=$(find "$WORK/state-c1" -name 'cloud.json')
[ "$(stat -c %a "$def")" = 600 ] || fail "the saved definition is mode $(stat -c %a "$def")"

# The key is kept with the definition: after a restart host 2 is keyed again and talks to host 1.
cloud_restart 2 -g "$GS"
wait_for -t 10 ip -n c2 link show vx0 || fail "host 2's tap did not come back"
assert_json '.vxvde.keyed' true "$(cloud_vxvde_port 2)"
wait_for -t 10 ping_ok 2 1 || fail "key holder 2 cannot reach key holder 1 after its restart"
! ping_ok 3 2 || fail "the keyless host reached host 2 after its restart"

# Authenticated only: a ping's pattern crosses the wire in clear. Encrypted: it does not.
wire_has_pattern() {
	local cap=$WORK/wire.pcap pid
	tcpdump --immediate-mode -Z root -i "cv$1" -U -w "$cap" udp >/dev/null 2>&1 &
	pid=$!
	sleep 1
	ip netns exec "c$1" ping -c3 -i 0.2 -W2 -p 5eca1ab1 -q "$(cloud_ip 10.251 "$2")" >/dev/null 2>&1 ||
		{ kill "$pid"; fail "ping $1 -> $2 failed"; }
	sleep 1
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	od -An -tx1 -v "$cap" | tr -d ' \n' | grep -q 5eca1ab15eca1ab15eca1ab1
}
wire_has_pattern 1 2 || fail "an authenticated-only ping's payload is not on the wire as sent"
expect_rc 0 cloud_ctl 1 network delete cloud
expect_rc 0 cloud_ctl 2 network delete cloud
cloud_net 1 --vxvde 239.5.5.5 --key-file "$WORK/key-a" --encrypt
cloud_net 2 --vxvde 239.5.5.5 --key-file "$WORK/key-a" --encrypt
wait_for ip -n c1 link show vx0 && wait_for ip -n c2 link show vx0
assert_json '.vxvde.encrypted' true "$(cloud_vxvde_port 1)"
! wire_has_pattern 1 2 || fail "an encrypted ping's payload is on the wire in clear"
! ping_ok 3 1 || fail "the keyless host reached an encrypted key holder"

# A replay: an unprivileged user on host 3 sends host 2 the sealed datagrams recorded on host 1's wire
# above, host 1's and host 2's own. They are authentic, and opened before or host 2's own: dropped and
# counted (a reflected own datagram taken as new would move host 2's MAC to the attacker), and 1 and 2
# go on.
p=$(cloud_vxvde_port 2)
replay0=$(json_get '.vxvde.rx_replay' "$p")
port2=$(json_get '.vxvde.local_port' "$p")
chmod 0644 "$WORK/wire.pcap"
ip netns exec c3 setpriv --reuid "$USER1" --regid "$USER1" --clear-groups /usr/bin/python3 - "$WORK/wire.pcap" \
	"$(cloud_ip 10.250 2)" "$port2" <<'PY' || fail "the replay could not be sent"
import socket, struct, sys
data = open(sys.argv[1], 'rb').read()
off, sent = 24, 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while off + 16 <= len(data):
    incl = struct.unpack_from('<I', data, off + 8)[0]
    pkt = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(pkt) < 14 + 20 + 8 or pkt[12:14] != b'\x08\x00' or pkt[14 + 9] != 17:
        continue
    ihl = (pkt[14] & 15) * 4
    payload = pkt[14 + ihl + 8:]
    if payload[:4] == b'VXK\x01':
        s.sendto(payload, (sys.argv[2], int(sys.argv[3])))
        sent += 1
sys.exit(0 if sent else 1)
PY
replayed() { [ "$(cloud_vxvde_port 2 | jq .vxvde.rx_replay)" -gt "$replay0" ]; }
wait_for -t 5 replayed || fail "host 2 did not refuse the replayed datagrams: $(cloud_vxvde_port 2)"
ping_ok 1 2 || fail "key holders 1 and 2 stopped talking after the replay: $(cloud_vxvde_port 2 | jq -c .vxvde)"

# An unprivileged user: vdectl reads the key file as that user; a root-only file stays unread.
as_user() { setpriv --reuid "$USER1" --regid "$USER1" --groups "$GS" "$@"; }
expect_rc 2 as_user "$VDECTL_BIN" -s /run/vde-c3/vded.sock network create mine --vxvde 239.6.6.6 --key-file "$WORK/key-a"
assert_contains "$ERR" "cannot read" "vdectl's refusal"
cp "$WORK/key-a" "$WORK/key-user"
chown "$USER1" "$WORK/key-user"
expect_rc 0 as_user "$VDECTL_BIN" -s /run/vde-c3/vded.sock -j network create mine --vxvde 239.6.6.6 --key-file "$WORK/key-user"
assert_json '.vxvde.keyed' true "$OUT"
# ... and may not aim vded's datagrams at addresses of its choosing
expect_rc 4 as_user "$VDECTL_BIN" -s /run/vde-c3/vded.sock network create mine2 --vxvde 239.6.6.7 --peer 10.250.0.2
expect_rc 4 as_user "$VDECTL_BIN" -s /run/vde-c3/vded.sock network create mine3 --vxvde 239.6.6.8 --peer-port 15000
expect_rc 2 cloud_ctl 3 network create bad --vxvde 239.6.6.9 --key-file /dev/null
for ((h = 1; h <= N; h++)); do
	kill -0 "${CLOUD_PIDS[$h]}" || fail "vded of host $h died"
done
log "ok"
