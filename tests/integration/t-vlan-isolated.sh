#!/bin/bash
# Isolated ports (port set --isolated, as Linux bridges' "isolated on"): two namespaces on isolated
# ports both reach a gateway namespace on a plain port, and not each other (not even by broadcast:
# ARP fails); the unicast tried between them is counted (drop_isolated). A network default makes every
# new port isolated; --isolated=off lifts it.
. "$(dirname "$0")/lib.sh"
need jq ping

port_of() {
	vdectl -j ns list | jq -r ".namespaces[] | select(.name == \"$1\") | .interfaces[0].port"
}

vded_start
expect_rc 0 vdectl network create lab
for ns in gw a b; do
	expect_rc 0 vdectl ns create "$ns" --net lab
done
expect_rc 0 vdectl port set lab "$(port_of a)" --isolated
expect_rc 0 vdectl port set lab "$(port_of b)" --isolated
ip -n gw addr add 10.6.0.1/24 dev vde0
ip -n a addr add 10.6.0.2/24 dev vde0
ip -n b addr add 10.6.0.3/24 dev vde0

ip netns exec a ping -c 3 -i 0.2 -W 2 10.6.0.1 >/dev/null || fail "isolated a -> gateway failed"
ip netns exec b ping -c 3 -i 0.2 -W 2 10.6.0.1 >/dev/null || fail "isolated b -> gateway failed"
ip netns exec gw ping -c 2 -i 0.2 -W 2 10.6.0.2 >/dev/null || fail "gateway -> isolated a failed"
if ip netns exec a ping -c 3 -i 0.2 -W 1 10.6.0.3 >/dev/null; then
	fail "isolated a reached isolated b"
fi
# even knowing b's address, a's unicast to it is dropped
ip -n a neigh replace 10.6.0.3 lladdr "$(ip -n b -j link show vde0 | jq -r '.[0].address')" dev vde0
if ip netns exec a ping -c 3 -i 0.2 -W 1 10.6.0.3 >/dev/null; then
	fail "isolated a reached isolated b by unicast"
fi
expect_rc 0 vdectl -j port list lab
di=$(json_get ".ports[] | select(.id == $(port_of a)) | .drop_isolated" "$OUT")
[ "$di" -ge 3 ] || fail "drop_isolated is $di after 3 unicast pings: $OUT"
assert_json ".ports[] | select(.id == $(port_of a)) | .switch.isolated" true "$OUT"

# a network default: the next ports are isolated too, from the start
expect_rc 0 vdectl network set lab --port-default isolated=on
expect_rc 0 vdectl ns create c --net lab
ip -n c addr add 10.6.0.4/24 dev vde0
expect_rc 0 vdectl -j port show lab "$(port_of c)"
assert_json '.switch.isolated' true "$OUT"
ip netns exec c ping -c 2 -i 0.2 -W 2 10.6.0.1 >/dev/null || fail "isolated c -> gateway failed"
if ip netns exec c ping -c 2 -i 0.2 -W 1 10.6.0.2 >/dev/null; then
	fail "isolated c reached isolated a"
fi
# lifted on a: a is a plain port again, and reaches b (isolated ports talk to plain ones)
expect_rc 0 vdectl port set lab "$(port_of a)" --isolated=off
ip -n a neigh flush all
ip netns exec a ping -c 2 -i 0.2 -W 2 10.6.0.3 >/dev/null || fail "a (no longer isolated) did not reach b"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
