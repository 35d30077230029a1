#!/bin/bash
# user_port_max_macs (vded.conf): every port a user who is neither root nor an admin makes gets that
# MAC limit when its port number has none, so a user's flood of source MACs is cut at the limit
# (drop_mac_limit) whatever network it attaches to. Root's ports have none; a port number the owner
# configured keeps its own limit. So it is after an engine restart (daemon upgrade), which keeps the ports.
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq python3

GS=2470
A=2471
printf '{ "user_port_max_macs": 2 }\n' >"$WORK/vded.conf"
vded_start -f "$WORK/vded.conf" -g $GS
chmod 0755 "$WORK"
cp "$(dirname "$0")/l2attack.py" "$WORK/l2attack.py"
chmod 0644 "$WORK/l2attack.py"
expect_rc 0 vdectl network create shared --group $GS --mode 0660
expect_rc 0 vdectl port set shared 50 --max-macs 8

hold() {	# hold PORT [USER...]: a port held by sleep, by root or as uid A
	local port=$1
	shift
	bg_start -o "$WORK/hold-$port.log" "$@" "$VDECTL_BIN" -s "$SOCK" network attach shared --port "$port" -- sleep 60
	wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j port list shared | jq -e '.ports[] | select(.id == $port)'" ||
		fail "port $port did not appear: $(cat "$WORK/hold-$port.log")"
}
hold 10 setpriv --reuid $A --regid $A --groups $GS
hold 11
hold 50 setpriv --reuid $A --regid $A --groups $GS
expect_rc 0 vdectl -j port show shared 10
assert_json '.switch.max_macs' 2 "$OUT"
expect_rc 0 vdectl -j port show shared 11
assert_json '.switch.max_macs' null "$OUT"
expect_rc 0 vdectl -j port show shared 50
assert_json '.switch.max_macs' 8 "$OUT"

# a flood of 200 source MACs from a user's port: 2 are learned
bg_start -o "$WORK/flood.log" setpriv --reuid $A --regid $A --groups $GS \
	"$VDECTL_BIN" -s "$SOCK" network attach shared --port 20 -- python3 "$WORK/l2attack.py" flood 200 02:00:00:00:00:99 2
flood=$BG_PID
wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j port list shared | jq -e '.ports[] | select(.id == 20 and .drop_mac_limit >= 198)'" ||
	fail "the flood was not cut at 2: $(vdectl -j port list shared)"
expect_rc 0 vdectl -j mac list shared
assert_json '[.macs[] | select(.port == 20)] | length' 2 "$OUT"
wait "$flood" 2>/dev/null || true

# the user's port keeps its limit when the engine restarts (daemon upgrade keeps the ports)
other_engine() {
	vdectl -j daemon info 2>/dev/null | jq -e ".engine_pid != $1" >/dev/null
}
engine=$(vdectl -j daemon info | jq .engine_pid)
expect_rc 0 vdectl daemon upgrade
wait_for other_engine "$engine" || fail "vded did not come back after the upgrade"
wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j port show shared 10 2>/dev/null | jq -e '.switch.max_macs == 2'" ||
	fail "the user's port lost its limit across an engine restart: $(vdectl -j port show shared 10)"
expect_rc 0 vdectl -j port show shared 11
assert_json '.switch.max_macs' null "$OUT"
expect_rc 0 vdectl -j port show shared 50
assert_json '.switch.max_macs' 8 "$OUT"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
