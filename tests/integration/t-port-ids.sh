#!/bin/bash
# Port ids are not reused at once: a port that asks for no id gets the next free one after the last
# handed out (wrapping at max_ports), so a script that detaches "port 1" after its own port 1 went
# away does not hit someone else's new port. A vde client that asks for a number still gets it.
. "$(dirname "$0")/lib.sh"
need jq vde_plug

vded_start
expect_rc 0 vdectl network create lab --max-ports 3

ids_of() {
	vdectl -j port list "$1" | jq -c '[.ports[].id]'
}
ids_are() {
	[ "$(ids_of "$1")" = "$2" ]
}
ids_differ() {
	[ "$(ids_of "$1")" != "$2" ]
}

# attach_held: a port held by a background `network attach -- sleep`; its id in $ID, its pid in $BG_PID
attach_held() {
	local before after
	before=$(ids_of lab)
	bg_start "$VDECTL_BIN" -s "$SOCK" network attach lab -- sleep 60
	wait_for ids_differ lab "$before" || fail "the attach did not make a port"
	after=$(ids_of lab)
	ID=$(jq -n --argjson a "$after" --argjson b "$before" '($a - $b)[0]')
}

attach_held; first=$ID; first_pid=$BG_PID
attach_held; second=$ID
assert_eq "$first $second" "1 2" "the first two ids"
bg_kill "$first_pid"
wait_for port_count_is lab 1 || fail "port $first did not go with its holder"
attach_held
assert_eq "$ID" 3 "the id after 1 was freed (not 1 again)"
attach_held
assert_eq "$ID" 1 "the id after wrapping at max_ports 3 (the free one)"

# a vde client asking for a number gets that one, or is refused if it is taken
expect_rc 0 vdectl network create lab2
bg_start -o "$WORK/plug7.log" vde_plug "vde://$RUN/net/lab2[port=7]" null://
PLUG_PIDS+=("$BG_PID")
wait_for ids_are lab2 '[7]' ||
	fail "a vde client asking for port 7 did not get it: $(vdectl -j port list lab2)"
vded_stop
log "ok"
