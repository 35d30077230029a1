#!/bin/bash
# port.add: existing host interfaces (veth ends here) as ports of a network. Two namespaces, each on
# one end of a veth pair whose other end vded takes over, reach each other through vded: ping, 4 MB
# each way with checksums compared, TCP segmentation frames crossing whole (the counters show frames
# larger than the MTU in and out). The host stack is kept off a port (no address, IPv6 off) unless
# --keep-ip. Deleting the interface removes its port (counted in daemon info); recreating it brings
# the saved port back (a --transient one does not come back, and is never saved). A user who does not
# own an interface cannot take it over, and the victim's traffic goes on.
. "$(dirname "$0")/lib.sh"
need jq ping socat sha256sum setpriv

GS=2100 USER_UID=1001

# veth_pair NS IF ADDR: a veth pair, IF (host side, here) and e-IF inside NS with ADDR, both up.
veth_pair() {
	ip link add "$2" type veth peer name "e-$2" netns "$1"
	ip -n "$1" link set "e-$2" up
	ip -n "$1" addr add "$3" dev "e-$2"
	ip link set "$2" up
}
port_json() { # port_json NET IF: the port object of interface IF on NET (or nothing)
	vdectl -j port list "$1" | jq -c ".ports[] | select(.kind == \"interface\" and .ifname == \"$2\")"
}
has_port() { [ -n "$(port_json "$1" "$2")" ]; }
no_port() { [ -z "$(port_json "$1" "$2")" ]; }

vded_start -g "$GS"
expect_rc 0 vdectl network create lab
netns_add ns1
netns_add ns2
veth_pair ns1 v1 10.20.0.1/24
veth_pair ns2 v2 10.20.0.2/24
ip addr add 10.99.0.1/24 dev v1	# an address of the host's: port add takes it away
ip -6 addr add fd00:99::1/64 dev v1 nodad

expect_rc 0 vdectl -j port add lab v1
assert_json '.port.kind' interface "$OUT"
assert_json '.port.ifname' v1 "$OUT"
assert_json '.port.transient' false "$OUT"
expect_rc 0 vdectl -j port add lab v2
# one interface is one port, on any network
expect_rc 5 vdectl port add lab v2
expect_rc 3 vdectl port add lab no-such-if0
assert_contains "$ERR" "no-such-if0" "missing interface error"
expect_rc 2 vdectl port add lab lo
# vded's own tap is a port already
expect_rc 0 vdectl tap add lab vtap0
expect_rc 5 vdectl port add lab vtap0
assert_contains "$ERR" "is a tap of network 'lab'" "vded's tap as an interface port"
expect_rc 0 vdectl tap remove lab vtap0

# The host stack is off v1: no address of either family, IPv6 disabled.
assert_eq "$(ip -j addr show dev v1 | jq '[.[0].addr_info[]] | length')" 0 "addresses left on v1"
assert_eq "$(cat /proc/sys/net/ipv6/conf/v1/disable_ipv6)" 1 "v1's disable_ipv6"

# Ping, then 4 MB each way with checksums compared. (The first ping waits out a busy machine: the
# kernel's per-CPU backlog is shared with every namespace.)
wait_for ip netns exec ns1 ping -c 1 -W 1 10.20.0.2 || fail "ns1 never reached ns2 through two interface ports"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.20.0.2 || fail "ns1 -> ns2 ping through two interface ports failed"
head -c 4194304 /dev/urandom >"$WORK/a"
head -c 4194304 /dev/urandom >"$WORK/b"
bg_start ip netns exec ns2 socat -u TCP-LISTEN:5001,reuseaddr "OPEN:$WORK/a.got,creat,trunc"
srv=$BG_PID
wait_for ip netns exec ns2 sh -c 'ss -ltn | grep -q :5001' || fail "ns2 listener did not start"
ip netns exec ns1 socat -u "OPEN:$WORK/a" TCP:10.20.0.2:5001 || fail "ns1 -> ns2 transfer failed"
wait_for pid_gone "$srv" || fail "ns2 receiver did not finish"
bg_start ip netns exec ns1 socat -u TCP-LISTEN:5002,reuseaddr "OPEN:$WORK/b.got,creat,trunc"
srv=$BG_PID
wait_for ip netns exec ns1 sh -c 'ss -ltn | grep -q :5002' || fail "ns1 listener did not start"
ip netns exec ns2 socat -u "OPEN:$WORK/b" TCP:10.20.0.1:5002 || fail "ns2 -> ns1 transfer failed"
wait_for pid_gone "$srv" || fail "ns1 receiver did not finish"
assert_eq "$(sha256sum <"$WORK/a.got")" "$(sha256sum <"$WORK/a")" "4 MB ns1 -> ns2"
assert_eq "$(sha256sum <"$WORK/b.got")" "$(sha256sum <"$WORK/b")" "4 MB ns2 -> ns1"

# GSO frames crossed whole: on average, frames in from v1 and out to v2 are larger than any 1514-byte
# Ethernet frame (cut to the MTU, 4 MB would be more than 2800 frames each way).
p1=$(port_json lab v1)
p2=$(port_json lab v2)
log "v1: $p1"
log "v2: $p2"
assert_json '.rx_bytes >= 4194304 and .rx_bytes / .rx_frames > 1514' true "$p1"
assert_json '.tx_bytes >= 4194304 and .tx_bytes / .tx_frames > 1514' true "$p2"
assert_json '.rx_frames < 2800' true "$p1"

# --keep-ip: the host's addresses and IPv6 stay.
netns_add ns3
veth_pair ns3 v3 10.20.0.3/24
ip addr add 10.98.0.1/24 dev v3
expect_rc 0 vdectl -j port add lab v3 --keep-ip --transient
assert_json '.port.keep_ip' true "$OUT"
assert_eq "$(ip -j addr show dev v3 | jq '[.[0].addr_info[] | select(.local == "10.98.0.1")] | length')" 1 \
	"v3's address with --keep-ip"
assert_eq "$(cat /proc/sys/net/ipv6/conf/v3/disable_ipv6)" 0 "v3's disable_ipv6 with --keep-ip"
ip netns exec ns3 ping -c 2 -i 0.2 -W 3 10.20.0.1 || fail "ns3 -> ns1 ping failed"

# Saved: v1 and v2, not the transient v3.
assert_eq "$(jq -c '[.interfaces[].ifname] | sort' "$STATE/networks/lab.json")" '["v1","v2"]' "saved interface ports"

# An unprivileged user (a member of vded's group, allowed to attach to lab) may not take over an
# interface it does not own; the victim's traffic goes on.
expect_rc 0 vdectl network set lab --mode 0666
ip link add vx type veth peer name e-vx
expect_rc 4 setpriv --reuid $USER_UID --regid $USER_UID --groups $GS "$VDECTL_BIN" -s "$SOCK" port add lab vx --transient
assert_contains "$ERR" "does not own interface" "denial"
expect_rc 4 setpriv --reuid $USER_UID --regid $USER_UID --groups $GS "$VDECTL_BIN" -s "$SOCK" port add lab v2 --transient
no_port lab vx || fail "vx became a port"
# a tap the user owns: only transient
ip tuntap add dev utap mode tap user $USER_UID
expect_rc 4 setpriv --reuid $USER_UID --regid $USER_UID --groups $GS "$VDECTL_BIN" -s "$SOCK" port add lab utap
assert_contains "$ERR" "transient" "denial of a saved user port"
expect_rc 0 setpriv --reuid $USER_UID --regid $USER_UID --groups $GS "$VDECTL_BIN" -s "$SOCK" -j port add lab utap --transient
assert_json '.port.uid' $USER_UID "$OUT"
# nor give back an interface port someone else added
expect_rc 4 setpriv --reuid $USER_UID --regid $USER_UID --groups $GS "$VDECTL_BIN" -s "$SOCK" port remove lab v2
has_port lab v2 || fail "the user removed v2's port"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.20.0.2 || fail "the victim's traffic stopped after the denials"

# The interface goes: its port goes (counted); it comes back: the saved port is taken again.
gone0=$(vdectl -j daemon info | jq '.interfaces_gone // 0')
ip link del v2
wait_for no_port lab v2 || fail "v2's port is still there after v2 was deleted"
assert_eq "$(vdectl -j daemon info | jq '.interfaces_gone')" $((gone0 + 1)) "interfaces_gone"
grep -q "interface v2 removed: port removed" "$WORK/vded.log" || fail "no log line for v2's removal"
veth_pair ns2 v2 10.20.0.2/24
wait_for has_port lab v2 || fail "v2 was not re-adopted when it came back"
ip -n ns1 neigh flush all	# the new e-v2 has a new MAC
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.20.0.2 || fail "ping through the re-adopted v2 failed"
# a transient one is not
ip link del v3
wait_for no_port lab v3 || fail "v3's port is still there after v3 was deleted"
veth_pair ns3 v3 10.20.0.3/24
sleep 1
no_port lab v3 || fail "the transient v3 was re-adopted"

# The hook VM managers call (libexec/vde-ifup, vde-ifdown): the network from the configuration file's
# first matching rule, a transient port; the down script removes it; no rule, no port.
cat >"$WORK/ifup.conf" <<EOC
# PATTERN NETWORK
q-*	nowhere
hk*	lab
*	nowhere
EOC
ip link add hk1 type veth peer name e-hk1
hook() { VDECTL=$VDECTL_BIN VDED_SOCKET=$SOCK VDE_IFUP_CONF=$WORK/ifup.conf "$ROOT/libexec/$1" "${@:2}"; }
expect_rc 0 hook vde-ifup hk1
has_port lab hk1 || fail "vde-ifup did not add hk1 to lab"
assert_json '.transient' true "$(port_json lab hk1)"
expect_rc 0 hook vde-ifdown hk1
no_port lab hk1 || fail "vde-ifdown did not remove hk1"
expect_rc 0 hook vde-ifdown hk1		# again: nothing to do
expect_rc 2 hook vde-ifup
expect_rc 3 hook vde-ifup hk1 nosuchnet
expect_rc 2 env VDECTL="$VDECTL_BIN" VDED_SOCKET="$SOCK" VDE_IFUP_CONF=/nonexistent \
	"$ROOT/libexec/vde-ifup" hk1
assert_contains "$ERR" "no network for hk1" "vde-ifup without a rule"
ip link del hk1

# An engine restart (daemon upgrade) keeps every interface port, the transient ones included, on
# their ids and their packet sockets: traffic goes on.
ip link add tr1 type veth peer name e-tr1
expect_rc 0 vdectl -j port add lab tr1 --transient
trid=$(json_get '.port.id' "$OUT")
v1id=$(port_json lab v1 | jq .id)
expect_rc 0 vdectl daemon upgrade
wait_for sh -c "\"$VDECTL_BIN\" -s \"$SOCK\" -j port list lab | jq -e '.ports[] | select(.ifname == \"tr1\")'" ||
	fail "the transient tr1 did not survive the engine's restart"
assert_json '.id' "$trid" "$(port_json lab tr1)"
grep -q "interface tr1 (index [0-9]*) (kept)" "$WORK/vded.log" || fail "tr1's packet socket was not the kept one"
grep -q "interface v1 (index [0-9]*) (kept)" "$WORK/vded.log" || fail "v1's packet socket was not the kept one"
assert_json '.id' "$v1id" "$(port_json lab v1)"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.20.0.2 || fail "ping after the engine's restart failed"
ip link del tr1

# After a restart the saved ports come back.
vded_stop
vded_start -g "$GS"
wait_for has_port lab v1 || fail "v1 not re-adopted at start"
wait_for has_port lab v2 || fail "v2 not re-adopted at start"
# the frames vded missed while it was away: the neighbours ask again
ip -n ns1 neigh flush all
ip -n ns2 neigh flush all
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.20.0.2 || fail "ping after restart failed"

# port remove gives the interface back; it stays, and leaves the definition.
expect_rc 0 vdectl port remove lab v2
no_port lab v2 || fail "v2 still a port after port remove"
ip link show v2 >/dev/null || fail "port remove removed the interface"
assert_eq "$(jq -c '[.interfaces[].ifname]' "$STATE/networks/lab.json")" '["v1"]' "saved after port remove"
expect_rc 3 vdectl port remove lab v2
expect_rc 0 vdectl port remove lab v2 --missing-ok
# port detach of an interface port forgets it too
id1=$(port_json lab v1 | jq .id)
expect_rc 0 vdectl port detach lab "$id1"
assert_eq "$(jq -c '[.interfaces[].ifname]' "$STATE/networks/lab.json")" '[]' "saved after port detach"
log "ok"
