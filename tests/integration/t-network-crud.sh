#!/bin/bash
# Networks: create, list, show, delete; --exist-ok / --missing-ok; exit codes 3 (not found) and
# 5 (exists); invalid names refused with invalid-params; vdectl usage handling.
. "$(dirname "$0")/lib.sh"
need jq socat

vded_start

# Command-line handling needs no request to succeed.
expect_rc 0 vdectl -h
[ -n "$OUT$ERR" ] || fail "vdectl -h printed nothing"
expect_rc 2 vdectl
expect_rc 2 vdectl --no-such-option network list
expect_rc 2 vdectl network frobnicate
expect_rc 2 vdectl frobnicate list
expect_rc 2 vdectl network create
expect_rc 2 vdectl network show

expect_rc 0 vdectl -j network list
assert_json '.networks | length' 0 "$OUT"
expect_rc 0 vdectl -j daemon info
assert_json '.api[0]' 1 "$OUT"
assert_json '.networks' 0 "$OUT"
assert_json '.pid' "$VDED_PID" "$OUT"

# create
expect_rc 0 vdectl -j network create lab
assert_json '.name' lab "$OUT"
assert_json '.endpoint' "$RUN/net/lab" "$OUT"
assert_json '.ports' 0 "$OUT"
assert_json '.owner_uid' 0 "$OUT"
[ -S "$RUN/net/lab/ctl" ] || fail "endpoint $RUN/net/lab/ctl is not a socket"
[ -f "$STATE/networks/lab.json" ] || fail "definition $STATE/networks/lab.json not written"
jq -e . "$STATE/networks/lab.json" >/dev/null || fail "definition is not JSON"

expect_rc 5 vdectl network create lab
expect_rc 0 vdectl -j network create lab --exist-ok
assert_json '.name' lab "$OUT"
expect_rc 0 vdectl network create lab2

expect_rc 0 vdectl -j network list
assert_json '[.networks[].name] | sort | join(",")' "lab,lab2" "$OUT"
expect_rc 0 vdectl network list
assert_contains "$OUT" lab2 "human 'network list'"
expect_rc 0 vdectl -j daemon info
assert_json '.networks' 2 "$OUT"

# show
expect_rc 0 vdectl -j network show lab
assert_json '.name' lab "$OUT"
assert_json '.port_list | length' 0 "$OUT"
assert_json '.max_ports' 256 "$OUT"
expect_rc 3 vdectl network show nope
expect_rc 3 vdectl port list nope
expect_rc 3 vdectl mac list nope

# delete
expect_rc 3 vdectl network delete nope
expect_rc 0 vdectl network delete nope --missing-ok
expect_rc 0 vdectl network delete lab
expect_rc 3 vdectl network show lab
[ ! -e "$RUN/net/lab" ] || fail "endpoint $RUN/net/lab still exists after delete"
[ ! -e "$STATE/networks/lab.json" ] || fail "definition still on disk after delete"
expect_rc 0 vdectl -j network list
assert_json '[.networks[].name] | join(",")' lab2 "$OUT"
expect_rc 3 vdectl network delete lab
# A deleted name can be created again.
expect_rc 0 vdectl network create lab
[ -S "$RUN/net/lab/ctl" ] || fail "re-created endpoint missing"

# Names: 1..63 of [A-Za-z0-9_.-], not starting with '.' or '-'.
long63=$(printf 'n%.0s' $(seq 63))
long64=$(printf 'n%.0s' $(seq 64))
expect_rc 0 vdectl network create "$long63"
expect_rc 0 vdectl network create "A_b.c-9"
for bad in "$long64" "a/b" ".hidden" "sp ace" "../x" "tab	x" "é"; do
	expect_rc 2 vdectl network create "$bad"
	[ ! -e "$STATE/networks/$bad.json" ] || fail "definition written for invalid name '$bad'"
done
# The error code on the wire; names starting with '-' are checked here as vdectl would take them for options.
for bad in "$long64" "a/b" ".hidden" "-x" "" "sp ace" "../etc"; do
	req=$(jq -nc --arg n "$bad" '{id: 7, method: "network.create", params: {name: $n}}')
	reply=$(ctl_raw "$req")
	assert_json '.error.code' invalid-params "$reply"
	assert_json '.id' 7 "$reply"
	assert_json '.error.errno' 22 "$reply"
done
expect_rc 0 vdectl -j network list
assert_json '.networks | length' 4 "$OUT"
[ -z "$(ls -A "$RUN/net" | grep -v -x -e lab -e lab2 -e "$long63" -e A_b.c-9)" ] ||
	fail "unexpected endpoints: $(ls -A "$RUN/net")"

# The protocol-level codes for exists / not found.
reply=$(ctl_raw '{"id":"x","method":"network.create","params":{"name":"lab"}}')
assert_json '.error.code' exists "$reply"
assert_json '.id' x "$reply"
reply=$(ctl_raw '{"id":2,"method":"network.show","params":{"name":"zzz"}}')
assert_json '.error.code' not-found "$reply"
assert_json '.error.errno' 2 "$reply"

vded_stop
log "ok"
