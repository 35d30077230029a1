#!/bin/bash
# vdectl conventions (issue 12): an error message names the bad value, not only the parameter
# ('x y' is not a valid network name), whether vdectl or vded finds it; and each error class has one
# exit status whoever detects it: 2 invalid argument (usage), 3 not found, 4 permission denied,
# 5 exists, 6 limit, 1 anything else. The table is common/proto.c's; vdectl(1) documents it.
. "$(dirname "$0")/lib.sh"
need jq socat setpriv

GS=2100
cat >"$WORK/vded.conf" <<EOC
{ "max_networks_per_user": 1 }
EOC
vded_start -g "$GS" -f "$WORK/vded.conf"
as() {
	setpriv --reuid 1001 --regid 1001 --groups "$GS" "$VDECTL_BIN" -s "$SOCK" "$@"
}

# --- the bad value is named: by vdectl (before sending anything) ...
expect_rc 2 vdectl network create 'x y'
assert_contains "$ERR" "'x y' is not a valid network name" "vdectl's message"
expect_rc 2 vdectl port list -- -lab
assert_contains "$ERR" "'-lab' is not a valid network name" "vdectl's message"
# ... and by vded, for a client that sends it anyway
out=$(ctl_raw '{"id":1,"method":"network.create","params":{"name":"x y"}}')
assert_json '.error.code' invalid-params "$out"
assert_contains "$(json_get '.error.message' "$out")" "'x y' is not a valid network name" "vded's message"
out=$(ctl_raw '{"id":1,"method":"network.create","params":{"name":"lab","max_ports":5000}}')
assert_contains "$(json_get '.error.message' "$out")" "not 5000" "vded's range message"
out=$(ctl_raw '{"id":1,"method":"tap.add","params":{"network":"lab","ifname":"a/b"}}')
assert_contains "$(json_get '.error.message' "$out")" "'a/b' is not an interface name" "vded's ifname message"

# --- one exit status per class, whoever detects it
# invalid arguments: 2 from vdectl's own checks and 2 from vded's
expect_rc 2 vdectl network create lab --max-ports abc
# with -j, vdectl's own finding is the same error object as vded's
expect_rc 2 vdectl -j network create 'x y'
assert_json '.error.code' invalid-params "$OUT"
assert_contains "$(json_get .error.message "$OUT")" "'x y' is not a valid network name" "vdectl's -j error"
expect_rc 2 vdectl -j network create lab --max-ports 5000
assert_json '.error.code' invalid-params "$OUT"
assert_contains "$ERR" "not 5000" "vded's range message through vdectl"
expect_rc 2 vdectl -j tap add nosuch 'a/b'
assert_json '.error.code' invalid-params "$OUT"
# not found: 3
expect_rc 3 vdectl network show nosuch
expect_rc 3 vdectl network delete nosuch
# exists: 5
expect_rc 0 vdectl network create lab
expect_rc 5 vdectl network create lab
# permission denied: 4 (not the owner of a network it may see)
expect_rc 4 as -j network delete lab
assert_json '.error.code' permission-denied "$OUT"
# limit: 6 (a quota)
expect_rc 0 as network create mine
expect_rc 6 as -j network create mine2
assert_json '.error.code' limit "$OUT"
# anything else: 1 (no vded there)
expect_rc 1 "$VDECTL_BIN" -s "$WORK/none.sock" daemon info
expect_rc 0 vdectl -h
assert_contains "$OUT" "6 limit" "vdectl -h"
