#!/bin/bash
# vdectl convention (issue 12): `port show NETWORK PORT` shows one port (the object port.list lists,
# with its counters); a port that does not exist is not-found (exit 3), on a network the caller may
# not see too, exactly as for a missing network.
. "$(dirname "$0")/lib.sh"
need jq setpriv

GS=2100
vded_start -g "$GS"
expect_rc 0 vdectl network create lab
bg_start "$VDECTL_BIN" -s "$SOCK" network attach lab --description "holder" -- sleep 60
wait_for port_count_is lab 1 || fail "the attached port did not appear"
id=$(vdectl -j port list lab | jq -r '.ports[0].id')

expect_rc 0 vdectl -j port show lab "$id"
assert_json '.id' "$id" "$OUT"
assert_json '.kind' attach "$OUT"
assert_json '.description' holder "$OUT"
assert_eq "$(printf '%s' "$OUT" | jq -S -c 'del(.rx_frames,.rx_bytes,.tx_frames,.tx_bytes,.tx_dropped,.rx_errors)')" \
	"$(vdectl -j port list lab | jq -S -c '.ports[0] | del(.rx_frames,.rx_bytes,.tx_frames,.tx_bytes,.tx_dropped,.rx_errors)')" \
	"port show against port list"
expect_rc 0 vdectl port show lab "$id"
assert_contains "$OUT" "kind:" "port show"
assert_contains "$OUT" "rx_frames:" "port show"
assert_contains "$OUT" "holder" "port show"

expect_rc 3 vdectl -j port show lab 200
assert_json '.error.message' "network 'lab' has no port 200" "$OUT"
expect_rc 3 vdectl port show nosuch 1
expect_rc 2 vdectl port show lab x
assert_contains "$ERR" "'x' is not a port number" "port show lab x"
# another user's private network is not there for an outsider
expect_rc 0 vdectl network create priv --mode 0600
expect_rc 3 setpriv --reuid 1001 --regid 1001 --groups "$GS" "$VDECTL_BIN" -s "$SOCK" -j port show priv 1
assert_json '.error.message' "network 'priv' does not exist" "$OUT"
