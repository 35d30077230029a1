#!/bin/bash
# vxvde: groups that are not multicast (or are malformed), a VNI out of range, an interface that does
# not exist and options without --vxvde are refused with the documented error (exit status 2, an
# invalid argument, since vdectl has one code per error class), and nothing is made;
# a good group on the same daemon is accepted (so the refusals are the checks', not a broken daemon's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-vxvde.sh"
need jq

vxvde_lo_multicast
vded_start
for bad in 10.0.0.1 192.168.1.255 239.1.1.1:0 239.1.1.1:65536 "[fd00::1]:14789" "[ff05::1" not.a.group 239.1.1; do
	expect_rc 2 vdectl -j network create bad --vxvde "$bad"
	assert_json '.error.code' invalid-params "$OUT"
	expect_rc 3 vdectl network show bad
done
expect_rc 2 vdectl network create bad --vxvde "$GROUP" --vni 16777216
assert_contains "$ERR" "out of range" "--vni range error"
expect_rc 2 vdectl -j network create bad --vxvde "$GROUP" --interface nosuchif0
assert_json '.error.code' invalid-params "$OUT"
expect_rc 3 vdectl network show bad
expect_rc 2 vdectl network create bad --vni 3
expect_rc 2 vdectl network create bad --vxvde "$GROUP" --ttl many
expect_rc 3 vdectl network show bad
[ ! -e "$STATE/networks/bad.json" ] || fail "a refused network was saved: $(cat "$STATE/networks/bad.json")"

expect_rc 0 vdectl -j network create bad --vxvde "$GROUP" --vni 16777215
assert_json '.vxvde.vni' 16777215 "$OUT"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
