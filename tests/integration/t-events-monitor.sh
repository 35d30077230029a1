#!/bin/bash
# Events (issue 12): `vdectl monitor` (events.subscribe) answers a snapshot, then one line per event
# with a global sequence number. An unfiltered admin sees create, set, attach, detach, a denial and
# delete in order with consecutive numbers; a subscriber filtered to one network sees only that
# network; a subscriber who is not an admin sees neither denials nor a network it may not read
# (the same visibility as network.list), only gaps in the numbers. A subscriber that does not read
# loses events (counted in a "lost" line) and vded and the others go on.
. "$(dirname "$0")/lib.sh"
need jq setpriv socat

GS=2100
U=1001
vded_start -g "$GS"
as_u() {
	setpriv --reuid $U --regid $U --groups "$GS" "$VDECTL_BIN" -s "$SOCK" "$@"
}
# subscribed FILE: the monitor writing FILE has its snapshot (its first line).
subscribed() {
	[ -s "$1" ] && head -n 1 "$1" | jq -e '.networks' >/dev/null
}

expect_rc 0 vdectl network create pre
bg_start -o "$WORK/all.json" "$VDECTL_BIN" -s "$SOCK" -j monitor --count 10
ALL=$BG_PID
bg_start -o "$WORK/other.json" "$VDECTL_BIN" -s "$SOCK" -j monitor other --count 2 2>/dev/null
# "other" does not exist yet: not-found, exit 3
wait_for pid_gone "$BG_PID" || fail "monitor of a missing network did not exit"
bg_start -o "$WORK/user.json" setpriv --reuid $U --regid $U --groups "$GS" "$VDECTL_BIN" -s "$SOCK" -j monitor
USER=$BG_PID
bg_start -o "$WORK/human.txt" "$VDECTL_BIN" -s "$SOCK" monitor --count 10
HUMAN=$BG_PID
wait_for subscribed "$WORK/all.json" || fail "the monitor did not get its snapshot: $(cat "$WORK/all.json")"
wait_for subscribed "$WORK/user.json" || fail "the user's monitor did not get its snapshot: $(cat "$WORK/user.json")"
wait_for grep -q '^= seq' "$WORK/human.txt" || fail "the plain monitor did not print its snapshot"
assert_json '.networks[0].name' pre "$(head -n 1 "$WORK/all.json")"
first=$(head -n 1 "$WORK/all.json" | jq -r .seq)

expect_rc 0 vdectl network create lab
expect_rc 0 vdectl network create secret --mode 0600
expect_rc 0 vdectl network create other
bg_start -o "$WORK/other.json" "$VDECTL_BIN" -s "$SOCK" -j monitor other --count 1
OTHER=$BG_PID
wait_for subscribed "$WORK/other.json" || fail "the filtered monitor did not get its snapshot"
expect_rc 0 vdectl network set lab --description "the lab"
expect_rc 0 vdectl network attach lab --description holder -- true
wait_for port_count_is lab 0 || fail "the attached port stayed"
expect_rc 4 as_u network delete lab
expect_rc 0 vdectl network delete secret
expect_rc 0 vdectl network delete lab
expect_rc 0 vdectl network delete other

wait_for pid_gone "$ALL" || fail "the monitor did not exit after 10 events: $(cat "$WORK/all.json")"
wait_for pid_gone "$OTHER" || fail "the filtered monitor did not exit after its event: $(cat "$WORK/other.json")"
wait_for pid_gone "$HUMAN" || fail "the plain monitor did not exit after 10 events: $(cat "$WORK/human.txt")"
ev=$(tail -n +2 "$WORK/all.json" | jq -c '.event | [.kind, .action, .network] ' | tr '\n' ' ')
assert_eq "$ev" '["network","created","lab"] ["network","created","secret"] ["network","created","other"] ["network","changed","lab"] ["port","added","lab"] ["port","removed","lab"] ["denial","denied",null] ["network","deleted","secret"] ["network","deleted","lab"] ["network","deleted","other"] ' "the events, in order"
seqs=$(tail -n +2 "$WORK/all.json" | jq -r .event.seq | tr '\n' ' ')
want=""
for ((i = 1; i <= 10; i++)); do want+="$((first + i)) "; done
assert_eq "$seqs" "$want" "consecutive sequence numbers after the snapshot's"
port=$(sed -n 6p "$WORK/all.json")
assert_json '.event.data.kind' attach "$port"
assert_json '.event.data.description' holder "$port"
denial=$(sed -n 8p "$WORK/all.json")
assert_json '.event.data.uid' $U "$denial"
assert_json '.event.data.method' network.delete "$denial"
assert_contains "$(json_get .event.data.message "$denial")" "neither the owner" "the denial's rule"
assert_json '.event.data.description' "the lab" "$(sed -n 5p "$WORK/all.json")"

# the filtered subscriber (subscribed once "other" existed): "other" in its snapshot, then only its
# deletion, with the number the unfiltered one saw
assert_json '[.networks[].name] | join(",")' other "$(head -n 1 "$WORK/other.json")"
assert_eq "$(tail -n +2 "$WORK/other.json" | jq -c '.event | [.seq, .action, .network]' | tr '\n' ' ')" \
	"[$((first + 10)),\"deleted\",\"other\"] " "the filtered subscriber's events"

# the user who is no admin: no denial, nothing of "secret" (mode 0600), gaps where they were
wait_for test "$(wc -l <"$WORK/user.json")" -ge 7 || fail "the user's monitor got $(cat "$WORK/user.json")"
bg_kill "$USER"
assert_eq "$(tail -n +2 "$WORK/user.json" | jq -c '.event | [.seq - '"$first"', .kind, .action, .network]' | tr '\n' ' ')" \
	'[1,"network","created","lab"] [3,"network","created","other"] [4,"network","changed","lab"] [5,"port","added","lab"] [6,"port","removed","lab"] [9,"network","deleted","lab"] [10,"network","deleted","other"] ' \
	"the user's events"

# the plain monitor: the same events, one line each
assert_eq "$(grep -c -v '^=' "$WORK/human.txt")" 10 "lines of the plain monitor"
assert_contains "$(cat "$WORK/human.txt")" "port added lab port" "the plain monitor"
assert_contains "$(cat "$WORK/human.txt")" "denial denied - uid $U" "the plain monitor"

# kinds: an unknown one is refused, naming it; --kind port hears no network events
expect_rc 2 vdectl -j monitor --kind bogus
assert_contains "$(json_get .error.message "$OUT")" "'bogus' is not an event kind" "an unknown kind"
bg_start -o "$WORK/ports.json" "$VDECTL_BIN" -s "$SOCK" -j monitor --kind port --count 1
PORTS=$BG_PID
wait_for subscribed "$WORK/ports.json" || fail "the --kind port monitor did not subscribe"
expect_rc 0 vdectl network create k
expect_rc 0 vdectl network attach k -- true
wait_for pid_gone "$PORTS" || fail "the --kind port monitor did not see a port"
assert_json '.event.kind' port "$(sed -n 2p "$WORK/ports.json")"

# --- a subscriber that does not read: its queue is bounded; what does not fit is dropped and
# counted, told in one "lost" line once it reads again; vded answers everyone meanwhile.
cat >"$WORK/slow.py" <<'EOS'
import json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b'{"id":1,"method":"events.subscribe"}\n')
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.1)
s.settimeout(5)
buf = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
except socket.timeout:
    pass
lines = [json.loads(l) for l in buf.split(b"\n") if l]
lost = [l["event"]["count"] for l in lines if "event" in l and l["event"]["kind"] == "lost"]
seqs = [l["event"]["seq"] for l in lines if "event" in l and l["event"]["kind"] != "lost"]
print(json.dumps({"lines": len(lines), "lost": lost, "first": seqs[:1], "last": seqs[-1:]}))
EOS
bg_start -o "$WORK/slow.out" python3 "$WORK/slow.py" "$SOCK" "$WORK/slow.ready" "$WORK/slow.go"
SLOW=$BG_PID
wait_for test -e "$WORK/slow.ready" || fail "the slow subscriber did not start"
sleep 0.5
# 1500 networks made and deleted on one connection: 3000 events of a few hundred bytes each
for ((i = 0; i < 1500; i++)); do
	printf '{"id":%d,"method":"network.create","params":{"name":"f%d"}}\n{"id":%d,"method":"network.delete","params":{"name":"f%d"}}\n' $i $i $i $i
done | socat -t 30 - "UNIX-CONNECT:$SOCK" >"$WORK/burst.out"
[ "$(grep -c '"result"' "$WORK/burst.out")" = 3000 ] || fail "the burst was not answered in full: $(grep -v result "$WORK/burst.out" | head -3)"
expect_rc 0 vdectl -t 5 daemon info
touch "$WORK/slow.go"
wait_for -t 20 pid_gone "$SLOW" || fail "the slow subscriber did not finish"
out=$(cat "$WORK/slow.out")
log "slow subscriber: $out"
lost=$(json_get '.lost | add // 0' "$out")
[ "$lost" -gt 0 ] || fail "the slow subscriber lost nothing: $out"
[ "$(json_get '.lost | length' "$out")" = 1 ] || fail "more than one lost line: $out"
# what it got plus what it lost is everything after the events above
got=$(json_get .lines "$out")
[ $((got - 2 + lost)) -ge 3000 ] || fail "got $got lines and lost $lost of 3000 events: $out"
kill -0 "$VDED_PID" || fail "vded died"
