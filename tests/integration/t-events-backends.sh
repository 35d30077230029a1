#!/bin/bash
# Events of backends (issue 12): a slirp network's port forwards (added, removed) and an uplink's
# state (a cmd:// uplink whose command exits goes "retrying", with its error) reach a subscriber of
# that network; its own port came as "added" with kind uplink, and "removed" when disconnected.
. "$(dirname "$0")/lib.sh"
need jq

vded_start
expect_rc 0 vdectl network create nat --slirp
subscribed() {
	[ -s "$1" ] && head -n 1 "$1" | jq -e '.networks' >/dev/null
}
bg_start -o "$WORK/ev.json" "$VDECTL_BIN" -s "$SOCK" -j monitor nat
wait_for subscribed "$WORK/ev.json" || fail "the monitor did not subscribe: $(cat "$WORK/ev.json")"
# the snapshot has the network's slirp port
assert_json '[.networks[0].port_list[].kind] | join(",")' slirp "$(head -n 1 "$WORK/ev.json")"

expect_rc 0 vdectl forward add nat tcp 127.0.0.1:8080 10.0.2.15:80
expect_rc 0 vdectl forward remove nat tcp 127.0.0.1:8080
expect_rc 0 vdectl -j network connect nat cmd://false
up=$(json_get .port.id "$OUT")
has() {
	tail -n +2 "$WORK/ev.json" | jq -s -e "$1" >/dev/null
}
wait_for has 'any(.[]; .event.kind == "port" and .event.action == "state" and .event.data.state == "retrying")' ||
	fail "no 'retrying' state event: $(cat "$WORK/ev.json")"
expect_rc 0 vdectl network disconnect nat "$up"
wait_for has "any(.[]; .event.kind == \"port\" and .event.action == \"removed\" and .event.data.id == $up)" ||
	fail "no 'removed' for the uplink: $(cat "$WORK/ev.json")"

ev=$(tail -n +2 "$WORK/ev.json" | jq -s -c '[.[].event | select(.kind == "forward" or .action == "added" or .action == "removed") | [.kind, .action]]')
assert_eq "$ev" '[["forward","added"],["forward","removed"],["port","added"],["port","removed"]]' "the events"
fw=$(tail -n +2 "$WORK/ev.json" | jq -s -c '[.[].event | select(.kind == "forward") | .data]')
assert_eq "$fw" '[{"proto":"tcp","host":"127.0.0.1:8080","guest":"10.0.2.15:80"},{"proto":"tcp","host":"127.0.0.1:8080"}]' "the forwards"
st=$(tail -n +2 "$WORK/ev.json" | jq -s -c '[.[].event | select(.action == "state")][0].data')
assert_json '.kind' uplink "$st"
assert_json '.url' cmd://false "$st"
[ -n "$(json_get .error "$st")" ] || fail "the retrying state has no error: $st"
assert_json '[.[] | select(.event.kind == "port" and .event.action == "added")][0].event.data.kind' uplink "$(tail -n +2 "$WORK/ev.json" | jq -s -c .)"
