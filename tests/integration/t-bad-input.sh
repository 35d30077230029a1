#!/bin/bash
# Bad input on the control socket: not JSON, wrong envelope, wrong types, unknown methods and
# parameters, oversized lines, truncated requests. Each gets its stable error code; an oversized line
# also closes its connection. Meanwhile another client's connection keeps answering and a ping between
# two namespaces keeps flowing.
. "$(dirname "$0")/lib.sh"
need jq socat vde_plug ping

vded_start
expect_rc 0 vdectl network create lab

# Traffic that must not notice anything.
netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
plug_tap ns2 t2 lab 10.0.0.2/24
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.2 || fail "initial ping failed"
bg_start -o "$WORK/ping.log" ip netns exec ns1 ping -i 0.05 10.0.0.2
replies() { grep -c 'bytes from' "$WORK/ping.log" || true; }

# The well-behaved client: one connection held open for the whole test.
coproc CTL { exec socat - "UNIX-CONNECT:$SOCK"; }
BG_PIDS+=("$CTL_PID")
CTL_IN=${CTL[1]}
CTL_OUT=${CTL[0]}
good_seq=0
good_client_works() {
	local line
	good_seq=$((good_seq + 1))
	printf '{"id":%d,"method":"network.show","params":{"name":"lab"}}\n' "$good_seq" >&"$CTL_IN"
	read -r -t 10 line <&"$CTL_OUT" || fail "the long-lived client got no reply"
	assert_json '.id' "$good_seq" "$line"
	assert_json '.result.name' lab "$line"
	assert_json '.result.ports' 2 "$line"
}
good_client_works
before=$(replies)

# expect_error CODE ERRNO LINE: LINE alone on a connection gets error CODE; a valid request after it on
# the same connection is still answered (only too-large closes a connection).
expect_error() {
	local code=$1 errno=$2 line=$3 out first second
	out=$(printf '%s\n%s\n' "$line" '{"id":"next","method":"daemon.info"}' | socat -t 5 - "UNIX-CONNECT:$SOCK") ||
		fail "socat failed for: $line"
	first=$(printf '%s\n' "$out" | sed -n 1p)
	second=$(printf '%s\n' "$out" | sed -n 2p)
	assert_json '.error.code' "$code" "$first"
	assert_json '.error.errno' "$errno" "$first"
	assert_json '.error.message | type' string "$first"
	assert_json 'has("result")' false "$first"
	assert_json '.id' next "$second"
	assert_json '.result.api[0]' 1 "$second"
	good_client_works
}

# Not JSON, or not an object.
expect_error parse-error 74 'this is not json'
expect_error parse-error 74 '{"id":1,"method":"network.list"'
expect_error parse-error 74 '[1,2,3]'
expect_error parse-error 74 '"just a string"'
expect_error parse-error 74 '42'
expect_error parse-error 74 "$(printf '\x01\x02\xff\xfe{}')"
# The id is echoed even on errors, when it could be read; null when absent.
out=$(printf '%s\n' '{"method":"network.frobnicate"}' | socat -t 5 - "UNIX-CONNECT:$SOCK")
assert_json '.id' null "$out"
out=$(printf '%s\n' '{"id":"abc","method":"network.frobnicate"}' | socat -t 5 - "UNIX-CONNECT:$SOCK")
assert_json '.id' abc "$out"

# Envelope errors.
expect_error invalid-request 22 '{"id":1}'
expect_error invalid-request 22 '{"id":1,"method":5}'
expect_error invalid-request 22 '{"id":1,"method":null}'
expect_error invalid-request 22 '{"id":1,"method":"network.list","params":[]}'
expect_error invalid-request 22 '{"id":1,"method":"network.list","params":"x"}'
expect_error invalid-request 22 '{"id":1,"method":"network.list","extra":true}'

# Unknown methods.
expect_error unsupported 95 '{"id":1,"method":"network.frobnicate"}'
expect_error unsupported 95 '{"id":1,"method":""}'
expect_error unsupported 95 '{"id":1,"method":"daemon.info.x"}'

# Parameters: wrong types, out of range, missing, unknown.
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":5}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":null}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create"}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x1","exist_ok":"yes"}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x2","max_ports":"many"}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x3","max_ports":0}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x4","max_ports":4097}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x5","max_ports":1.5}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x6","mac_table_size":15}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x7","mac_aging":0}}'
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x8","mac_aging":86401}}'
expect_error invalid-params 22 "{\"id\":1,\"method\":\"network.create\",\"params\":{\"name\":\"x9\",\"description\":\"$(printf 'd%.0s' $(seq 256))\"}}"
expect_error invalid-params 22 '{"id":1,"method":"network.create","params":{"name":"x10","colour":"red"}}'
expect_error invalid-params 22 '{"id":1,"method":"network.list","params":{"verbose":true}}'
expect_error invalid-params 22 '{"id":1,"method":"port.list","params":{"network":["lab"]}}'
expect_error invalid-params 22 '{"id":1,"method":"port.detach","params":{"network":"lab","port":"one"}}'
expect_error invalid-params 22 '{"id":1,"method":"port.detach","params":{"network":"lab"}}'
expect_error invalid-params 22 '{"id":1,"method":"mac.list","params":{}}'
# None of the refused creates left a network behind.
expect_rc 0 vdectl -j network list
assert_json '[.networks[].name] | join(",")' lab "$OUT"

# Pipelined requests are answered in order.
out=$(printf '%s\n' '{"id":1,"method":"daemon.info"}' 'garbage' '{"id":3,"method":"network.list"}' \
	'{"id":4,"method":"nope.nope"}' | socat -t 5 - "UNIX-CONNECT:$SOCK")
assert_eq "$(printf '%s\n' "$out" | jq -c '[.id, (.error.code // "ok")]' | tr -d '\n')" \
	'[1,"ok"][null,"parse-error"][3,"ok"][4,"unsupported"]' "pipelined replies"

# Size limit: 65536 bytes including the newline is accepted; one more byte is too large.
pad() { printf '%*s' "$1" ''; }
head='{"id":1,"method":"daemon.info"'
line=$head$(pad $((65535 - ${#head} - 1)))'}'
assert_eq "${#line}" 65535 "line length"
out=$(printf '%s\n' "$line" | socat -t 5 - "UNIX-CONNECT:$SOCK")
assert_json '.result.api[0]' 1 "$out"

# send_big FILE: FILE's bytes go out in one write (-b, read from a regular file) so they are all
# queued before vded can hang up (else socat may fail with EPIPE before reading the reply); stdin
# never reaches EOF (ignoreeof), so socat exits only when vded closes the connection. Replies in $OUT.
send_big() {
	local f=$1 pid
	socat -b 262144 -t 0.5 -,ignoreeof "UNIX-CONNECT:$SOCK" <"$f" >"$f.reply" 2>"$f.err" &
	pid=$!
	BG_PIDS+=("$pid")
	wait_for -t 15 pid_gone "$pid" || fail "vded did not close the connection after $(basename "$f")"
	OUT=$(cat "$f.reply")
}
# 65537 bytes with the newline, then a valid request: one too-large reply, then the connection closes.
{
	printf '%s%s}\n' "$head" "$(pad $((65536 - ${#head} - 1)))"
	printf '%s\n' '{"id":2,"method":"daemon.info"}'
} >"$WORK/over-by-one"
send_big "$WORK/over-by-one"
assert_eq "$(printf '%s\n' "$OUT" | grep -c .)" 1 "replies after a 65537-byte line (connection must close)"
assert_json '.error.code' too-large "$OUT"
assert_json '.error.errno' 90 "$OUT"
# 70000 bytes whose newline never comes: vded must answer when its buffer fills, not wait for the end.
pad 70000 >"$WORK/no-newline"
send_big "$WORK/no-newline"
assert_json '.error.code' too-large "$OUT"
good_client_works

# Clients that vanish mid-request, or connect and say nothing.
for i in $(seq 20); do
	printf '{"id":1,"method":"network.cre' | socat -t 0.1 - "UNIX-CONNECT:$SOCK" >/dev/null 2>&1 || true
done
for i in $(seq 20); do
	socat -u /dev/null "UNIX-CONNECT:$SOCK" >/dev/null 2>&1 || true
done
good_client_works

kill -0 "$VDED_PID" || fail "vded died"
wait_for -t 15 test "$(replies)" -gt "$((before + 5))" || fail "the ping stopped flowing during the bad input"
exec {CTL_IN}>&-
vded_stop
log "ok"
