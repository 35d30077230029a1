#!/bin/bash
# ns create --net NET:vlan=N: the namespace's interface on NET is an access port of VLAN N, kept with
# the namespace's definition, so it holds across a restart of vded (when the interfaces come back on
# port numbers that may differ). Two namespaces of VLAN 10 ping each other, not the one of VLAN 20.
. "$(dirname "$0")/lib.sh"
need jq ping

port_of() {
	vdectl -j ns list | jq -r ".namespaces[] | select(.name == \"$1\") | .interfaces[0].port"
}
check() {
	ip netns exec a1 ping -c 2 -i 0.2 -W 2 10.5.0.2 >/dev/null || fail "VLAN 10 -> VLAN 10 ping failed ($1)"
	if ip netns exec a1 ping -c 2 -i 0.2 -W 1 10.5.0.3 >/dev/null; then
		fail "VLAN 10 reached VLAN 20 ($1)"
	fi
	expect_rc 0 vdectl -j port show lab "$(port_of b1)"
	assert_json '.switch.vlan' 20 "$OUT"
}

vded_start
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl ns create b1 --net lab:vlan=20 --address 10.5.0.3/24
expect_rc 0 vdectl ns create a1 --net lab:vlan=10 --address 10.5.0.1/24
expect_rc 0 vdectl ns create a2 --net lab:vlan=10 --address 10.5.0.2/24
expect_rc 2 vdectl ns create bad --net lab:vlan=5000
expect_rc 2 vdectl ns create bad --net lab:vlna=5
[ ! -e /run/netns/bad ] || fail "a refused namespace was made"
jq -e '.vlans == [20]' "$STATE/namespaces/b1.json" >/dev/null || fail "b1's VLAN is not saved: $(cat "$STATE/namespaces/b1.json")"
check "at first"
vded_stop
vded_start
wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j ns list | jq -e '[.namespaces[].interfaces[] | select(.port != null)] | length == 3'" ||
	fail "the namespaces' interfaces did not come back"
check "after a restart"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
