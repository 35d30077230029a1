#!/bin/bash
# slirp forwards and who may bind what (V11, V21). A non-admin owner of a slirp network may forward
# only from the loopback addresses (forward_addresses in vded.conf) and from ports an unprivileged
# process may bind: 0.0.0.0, another host address or port 80 give permission-denied naming the rule,
# while 127.0.0.1 carries real traffic to a server in the guest's namespace, and a forward
# without an address binds the loopback only. Root may bind any host address; a port in use is
# "exists", an address the host does not have is invalid-params, a privileged port never "in use".
. "$(dirname "$0")/lib.sh"
need jq vde_plug busybox socat setpriv ss

GROUP=2470
USER_ID=2471
vded_start -f /dev/null -g "$GROUP"
chmod 0755 "$WORK"

# as_user ARGS...: vdectl as an unprivileged member of the socket group (not an admin).
as_user() {
	setpriv --reuid "$USER_ID" --regid "$USER_ID" --groups "$GROUP" "$VDECTL_BIN" -s "$SOCK" "$@"
}

# fetch HOST PORT: what a TCP server at HOST:PORT sends.
fetch() {
	socat -t 3 -T 5 - "TCP4:$1:$2" </dev/null 2>>"$WORK/fetch.log"
}
fetch_is() {
	local got
	got=$(fetch "$2" "$3") || return 1
	[ "$got" = "$1" ]
}

# A second host address, not a loopback one (on lo: no dummy or veth module needed).
ip addr add 192.0.2.1/32 dev lo

# The user's own slirp network, a guest on it with a server on port 80.
expect_rc 0 as_user -j network create unet --slirp
assert_json '.owner_uid' "$USER_ID" "$OUT"
netns_add guest
plug_tap guest t0 unet
addr=$(dhcp_lease guest t0)
read -r _ router _ <"$WORK/lease-guest"
ip -n guest addr add "$addr/24" dev t0
# connections from 192.0.2.1 reach the guest from that address (only the loopback becomes .2)
ip -n guest route add default via "$router"
bg_start -o "$WORK/guest-server.log" ip netns exec guest \
	socat TCP-LISTEN:80,bind="$addr",reuseaddr,fork SYSTEM:'echo hello-from-guest'

# Refused for the non-admin: any address, another host address, a privileged port.
expect_rc 4 as_user forward add unet tcp 0.0.0.0:8080 "$addr:80"
assert_contains "$ERR" "forward_addresses" "refusal of 0.0.0.0"
assert_contains "$ERR" "127.0.0.1" "refusal of 0.0.0.0 names the allowed addresses"
expect_rc 4 as_user forward add unet udp 192.0.2.1:8080 "$addr:80"
assert_contains "$ERR" "not 192.0.2.1" "refusal of another host address"
expect_rc 4 as_user forward add unet tcp 127.0.0.1:80 "$addr:80"
assert_contains "$ERR" "binding port 80 needs privilege; use a port >= " "refusal of port 80"
# the limit is the kernel's (per namespace), not a constant
sysctl -q -w net.ipv4.ip_unprivileged_port_start=2000
expect_rc 4 as_user forward add unet tcp 127.0.0.1:1500 "$addr:80"
assert_contains "$ERR" "binding port 1500 needs privilege; use a port >= 2000" "refusal of port 1500"
sysctl -q -w net.ipv4.ip_unprivileged_port_start=1024
expect_rc 0 as_user -j forward list unet
assert_json '.forwards | length' 0 "$OUT"
ss -Htln | grep -q ':8080 ' && fail "a refused forward left a listener: $(ss -Htln)"

# Allowed for the non-admin: the loopback, given or implied, with traffic to the guest.
expect_rc 0 as_user forward add unet tcp 127.0.0.1:8080 "$addr:80"
wait_for fetch_is hello-from-guest 127.0.0.1 8080 || fail "forward 127.0.0.1:8080 -> $addr:80 carries nothing"
expect_rc 0 as_user forward add unet tcp 8081 "$addr:80"
wait_for fetch_is hello-from-guest 127.0.0.1 8081 || fail "forward 8081 -> $addr:80 carries nothing"
ss -Htln | grep -qE '^LISTEN +[0-9]+ +[0-9]+ +127\.0\.0\.1:8081 ' || fail "8081 is not bound to 127.0.0.1: $(ss -Htln)"
fetch 192.0.2.1 8081 >/dev/null && fail "a forward without an address answers on 192.0.2.1"
# IPv6 host addresses are not taken (libslirp 4.7 binds them but carries nothing to an IPv4 guest)
expect_rc 2 as_user forward add unet tcp '[::1]:8082' "$addr:80"
expect_rc 0 as_user -j forward list unet
assert_json '[.forwards[].host] | sort | join(",")' "127.0.0.1:8080,127.0.0.1:8081" "$OUT"
# "8081" and "127.0.0.1:8081" are one forward: removed by either spelling, it stays removed
expect_rc 0 as_user forward remove unet tcp 127.0.0.1:8081
expect_rc 0 as_user -j forward list unet
assert_json '[.forwards[].host] | join(",")' "127.0.0.1:8080" "$OUT"
grep -q '8081' "$STATE/networks/unet.json" && fail "the removed forward is still saved: $(cat "$STATE/networks/unet.json")"
expect_rc 0 as_user forward add unet tcp 8081 "$addr:80"

# Root may bind any host address, on the user's network too.
expect_rc 0 vdectl forward add unet tcp 192.0.2.1:8090 "$addr:80"
wait_for fetch_is hello-from-guest 192.0.2.1 8090 || fail "root's forward 192.0.2.1:8090 carries nothing"
# Errors say what happened: in use is "exists" (5), a foreign address invalid-params (2).
bg_start -o "$WORK/busy.log" socat TCP-LISTEN:8091,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo busy'
wait_for fetch_is busy 127.0.0.1 8091 || fail "the busy server did not start"
expect_rc 5 vdectl forward add unet tcp 127.0.0.1:8091 "$addr:80"
assert_contains "$ERR" "in use" "port in use"
expect_rc 2 vdectl forward add unet tcp 203.0.113.9:8092 "$addr:80"
assert_contains "$ERR" "not an address of this host" "foreign address"
# Port 80 for root: it works while vded's engine may bind it, else permission-denied with the
# reason; never "in use".
rc=0
vdectl forward add unet tcp 127.0.0.1:80 "$addr:80" >"$WORK/out" 2>"$WORK/err" || rc=$?
case $rc in
0) wait_for fetch_is hello-from-guest 127.0.0.1 80 || fail "root's forward on port 80 carries nothing"
   expect_rc 0 vdectl forward remove unet tcp 127.0.0.1:80 ;;
4) assert_contains "$(cat "$WORK/err")" "binding port 80 needs privilege" "root's port 80 refusal" ;;
*) fail "root's forward on port 80: exit $rc: $(cat "$WORK/err")" ;;
esac

# The user's forwards come back after a restart (replayed, not re-judged) and still work.
vded_stop
vded_start -f /dev/null -g "$GROUP"
expect_rc 0 vdectl -j forward list unet
assert_json '[.forwards[].host] | sort | join(",")' "127.0.0.1:8080,127.0.0.1:8081,192.0.2.1:8090" "$OUT"
vded_stop

# forward_addresses in vded.conf widens what non-admins may bind.
cat >"$WORK/wide.conf" <<'EOF'
{ "forward_addresses": ["127.0.0.1", "192.0.2.1"] }
EOF
vded_start -f "$WORK/wide.conf" -g "$GROUP"
plug_tap guest t0 unet "$addr/24"
ip -n guest route add default via "$router"
expect_rc 0 as_user forward add unet tcp 192.0.2.1:8093 "$addr:80"
wait_for fetch_is hello-from-guest 192.0.2.1 8093 || fail "forward 192.0.2.1:8093 allowed by the config carries nothing"
expect_rc 4 as_user forward add unet tcp 0.0.0.0:8094 "$addr:80"
assert_contains "$ERR" "127.0.0.1, 192.0.2.1" "refusal names the configured addresses"
vded_stop
log "ok"
