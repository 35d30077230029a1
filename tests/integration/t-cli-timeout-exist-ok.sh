#!/bin/bash
# Two vdectl conventions (issue 12). -t/--timeout SECONDS and $VDECTL_TIMEOUT: vdectl gives up on a
# vded that accepts and never answers (exit 1, "vded did not answer within N s"), but an attached
# command outlives the timeout. network create --exist-ok succeeds only if the network that exists
# has every setting the request gives, else `exists` (exit 5) naming the first difference; a network
# the caller may not see answers exactly as before (exists, with no difference named).
. "$(dirname "$0")/lib.sh"
need jq socat setpriv

GS=2100
A=1001

vdectl_as() {
	local uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --groups "$GS" "$VDECTL_BIN" -s "$SOCK" "$@"
}

# --- the timeout, against a fake daemon: it accepts, reads nothing and never answers.
# `timeout 10` bounds each wait for the event (vdectl giving up); it is not a performance threshold.
STUCK=$WORK/stuck.sock
bg_start socat "UNIX-LISTEN:$STUCK,fork" "EXEC:sleep 30"
wait_for test -S "$STUCK" || fail "socat did not listen on $STUCK"

expect_rc 1 timeout 10 "$VDECTL_BIN" -s "$STUCK" -t 1 daemon info
assert_contains "$ERR" "vdectl: vded did not answer within 1 s" "the timeout's message"
expect_rc 1 timeout 10 "$VDECTL_BIN" --timeout 1 -s "$STUCK" -j network list
assert_json '.error.code' timeout "$OUT"
assert_json '.error.errno' 110 "$OUT"
assert_json '.error.message' "vded did not answer within 1 s" "$OUT"
expect_rc 1 timeout 10 env VDECTL_TIMEOUT=1 "$VDECTL_BIN" -s "$STUCK" daemon info
assert_contains "$ERR" "within 1 s" "the timeout from VDECTL_TIMEOUT"
# -t wins over the environment
expect_rc 1 timeout 10 env VDECTL_TIMEOUT=0 "$VDECTL_BIN" -s "$STUCK" -t 1 daemon info
assert_contains "$ERR" "within 1 s" "-t over VDECTL_TIMEOUT"
# 0 waits for ever: still waiting when timeout(1) ends it (124), well after the 1 s of the environment
expect_rc 124 timeout 3 env VDECTL_TIMEOUT=1 "$VDECTL_BIN" -s "$STUCK" -t 0 daemon info
# values that are not whole seconds are usage errors
for bad in x -1 "" 1.5 " 1" 99999999999; do
	expect_rc 2 "$VDECTL_BIN" -s "$STUCK" -t "$bad" daemon info
	assert_contains "$ERR" "is not a number of seconds" "-t '$bad'"
done
expect_rc 2 env VDECTL_TIMEOUT=soon "$VDECTL_BIN" -s "$STUCK" daemon info
assert_contains "$ERR" "VDECTL_TIMEOUT 'soon'" "a bad VDECTL_TIMEOUT"
expect_rc 0 "$VDECTL_BIN" -h
assert_contains "$OUT" "--timeout SECONDS" "vdectl -h"

vded_start -g "$GS"

# A live vded answers well within any timeout; an attached command holds its port past it (the
# timeout is about waiting for a reply, not the life of the connection).
expect_rc 0 vdectl -t 1 -j daemon info
expect_rc 0 vdectl network create att
expect_rc 0 vdectl -t 1 network attach att -- sh -c 'sleep 3; [ -S /dev/fd/3 ]'
wait_for port_count_is att 0 || fail "the attached port stayed after its command exited"

# --- exist_ok: the same settings, or a part of them, succeed and change nothing
expect_rc 0 vdectl network create lab --slirp --max-ports 16 --description "the lab" --mode 0640
expect_rc 0 vdectl -j network create lab --exist-ok --slirp --max-ports 16 --description "the lab" --mode 0640
assert_json '.name' lab "$OUT"
assert_json '.max_ports' 16 "$OUT"
expect_rc 0 vdectl network create lab --exist-ok
expect_rc 0 vdectl network create lab --exist-ok --slirp
# a default given explicitly equals the default the network got
expect_rc 0 vdectl network create lab --exist-ok --slirp --subnet 10.0.2.0/24 --mac-aging 300
# the group as a number (root's networks get the socket's group)
expect_rc 0 vdectl network create lab --exist-ok --group "$GS"
expect_rc 0 ctl_raw '{"id":1,"method":"network.create","params":{"name":"lab","exist_ok":true,"mode":416,"slirp":true,"ipv6":false}}'
assert_json '.result.name' lab "$OUT"

# --- a difference: exists (exit 5), the first difference named, nothing changed
expect_rc 0 vdectl network create plain
expect_rc 5 vdectl network create plain --exist-ok --slirp
assert_contains "$ERR" "network 'plain' exists with slirp off (asked: on)" "the difference"
expect_rc 5 vdectl -j network create plain --exist-ok --slirp
assert_json '.error.code' exists "$OUT"
assert_json '.error.errno' 17 "$OUT"
expect_rc 5 vdectl network create lab --exist-ok --max-ports 32
assert_contains "$ERR" "network 'lab' exists with max_ports 16 (asked: 32)" "max_ports"
expect_rc 5 vdectl network create lab --exist-ok --mode 0660
assert_contains "$ERR" "exists with mode 0640 (asked: 0660)" "mode"
expect_rc 5 vdectl network create lab --exist-ok --description "another lab"
assert_contains "$ERR" "exists with description 'the lab' (asked: 'another lab')" "description"
expect_rc 5 vdectl network create lab --exist-ok --slirp --subnet 10.9.0.0/24
assert_contains "$ERR" "exists with subnet '10.0.2.0/24' (asked: '10.9.0.0/24')" "subnet"
expect_rc 5 vdectl network create lab --exist-ok --slirp --ipv6
assert_contains "$ERR" "exists with ipv6 off (asked: on)" "ipv6"
expect_rc 5 vdectl network create lab --exist-ok --group 0
assert_contains "$ERR" "exists with group $GS (asked: '0')" "group"
# the first difference in the schema's order: description before max_ports
expect_rc 5 vdectl network create lab --exist-ok --max-ports 8 --description x
assert_contains "$ERR" "exists with description" "the first difference"
# vxvde is compared without joining anything: the network exists, nothing is made
expect_rc 5 vdectl network create plain --exist-ok --vxvde 239.1.2.3
assert_contains "$ERR" "exists with vxvde none (asked: '239.1.2.3')" "vxvde"
expect_rc 0 vdectl -j network show plain
assert_json 'has("slirp") or has("vxvde")' false "$OUT"
expect_rc 0 vdectl -j network show lab
assert_json '.max_ports' 16 "$OUT"
assert_json '.mode' 0640 "$OUT"
assert_json '.description' "the lab" "$OUT"
# a request that could not create a network is refused as such, whether the name exists or not
expect_rc 0 ctl_raw '{"id":1,"method":"network.create","params":{"name":"plain","exist_ok":true,"subnet":"10.0.2.0/24"}}'
assert_json '.error.code' invalid-params "$OUT"
expect_rc 0 ctl_raw '{"id":1,"method":"network.create","params":{"name":"lab","exist_ok":true,"group":"no-such-group-here"}}'
assert_json '.error.code' invalid-params "$OUT"

# --- what another user sees
# lab is 0640 with the socket's group: A may see it, so A learns the difference it could read anyway
expect_rc 0 vdectl_as $A network create lab --exist-ok --slirp
expect_rc 5 vdectl_as $A network create lab --exist-ok --max-ports 32
assert_contains "$ERR" "exists with max_ports 16 (asked: 32)" "a difference for a reader"
# secret is 0600: for A it does not exist, and --exist-ok answers exists as a plain create does,
# the same whatever the request asks (no difference named, nothing to learn about its settings)
expect_rc 0 vdectl network create secret --mode 0600 --max-ports 16
expect_rc 3 vdectl_as $A network show secret
expect_rc 5 vdectl_as $A network create secret
plain_msg=$ERR
assert_contains "$plain_msg" "network 'secret' already exists" "a plain create of a hidden name"
for opts in "" "--max-ports 16" "--max-ports 32" "--slirp"; do
	# shellcheck disable=SC2086
	expect_rc 5 vdectl_as $A -j network create secret --exist-ok $opts
	assert_json '.error.message' "network 'secret' already exists" "$OUT"
	# shellcheck disable=SC2086
	expect_rc 5 vdectl_as $A network create secret --exist-ok $opts
	assert_eq "$ERR" "$plain_msg" "exist_ok on a hidden network ($opts)"
done
expect_rc 0 vdectl -j network show secret
assert_json '.max_ports' 16 "$OUT"

# a restart replays the store: the networks come back as they were
vded_stop
vded_start -g "$GS"
expect_rc 0 vdectl -j network show lab
assert_json '.slirp.subnet' 10.0.2.0/24 "$OUT"
expect_rc 0 vdectl network create lab --exist-ok --slirp --max-ports 16
vded_stop
