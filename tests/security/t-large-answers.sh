#!/bin/bash
# V15: large answers. A network with 1,200 ports (a member's socketpair ends, attached with "fd": true
# over one connection): `vdectl port list`, `vdectl network show` and `vdectl -j network show` must
# succeed and list all 1,200 (vdectl refused replies over 64 KiB). A full MAC table (4,096 source MACs
# injected through one port) must come back whole from `mac list` (vded dropped the connection of
# whoever asked, root included, when a reply outgrew its buffer). vded still answers afterwards.
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq prlimit

TOOL=$BDIR/tests/tools/manyports
[ -x "$TOOL" ] || fail "$TOOL not built"
N=1200
MACS=4096
GS=2470
A=2471
# Room for the ports' descriptors whatever the caller's limit (a flood test lowers it; this one must not hit it).
cat >"$WORK/vded-wrap" <<EOF2
#!/bin/sh
exec prlimit --nofile=8192:8192 "$VDED_BIN" "\$@"
EOF2
chmod 0755 "$WORK/vded-wrap" "$WORK"
REAL_VDED=$VDED_BIN
VDED_BIN=$WORK/vded-wrap
cat >"$WORK/vded.conf" <<EOF2
{ "max_ports_per_user": 2000 }
EOF2
vded_start -f "$WORK/vded.conf" -g $GS
VDED_BIN=$REAL_VDED
expect_rc 0 vdectl network create big --max-ports 2000
expect_rc 0 vdectl network create macs --mac-table-size $MACS

bg_start -o "$WORK/ports.out" setpriv --reuid $A --regid $A --groups $GS "$TOOL" "$SOCK" big $N
wait_for -t 60 grep -q '^attached' "$WORK/ports.out" || fail "manyports did not finish: $(cat "$WORK/ports.out")"
grep -q "^attached $N\$" "$WORK/ports.out" || fail "could not attach $N ports: $(cat "$WORK/ports.out")"

BAD=()
rc=0
out=$(vdectl -j port list big 2>&1) || rc=$?
if [ "$rc" != 0 ]; then
	BAD+=("vdectl -j port list of $N ports failed (exit $rc): ${out:0:300}")
else
	[ "$(json_get '.ports | length' "$out")" = $N ] || BAD+=("port list gave $(json_get '.ports | length' "$out") ports, not $N")
fi
rc=0
out=$(vdectl port list big 2>&1) || rc=$?
if [ "$rc" != 0 ]; then
	BAD+=("vdectl port list of $N ports failed (exit $rc): ${out:0:300}")
else
	[ "$(printf '%s\n' "$out" | grep -c manyports)" = $N ] || BAD+=("the port list table shows $(printf '%s\n' "$out" | grep -c manyports) of $N ports")
fi
rc=0
out=$(vdectl -j network show big 2>&1) || rc=$?
if [ "$rc" != 0 ]; then
	BAD+=("vdectl -j network show of a network with $N ports failed (exit $rc): ${out:0:300}")
else
	[ "$(json_get '.port_list | length' "$out")" = $N ] || BAD+=("network show listed $(json_get '.port_list | length' "$out") ports, not $N")
fi
rc=0
out=$(vdectl network show big 2>&1) || rc=$?
[ "$rc" = 0 ] || BAD+=("vdectl network show of a network with $N ports failed (exit $rc): ${out:0:300}")

# A full MAC table.
bg_start -o "$WORK/macs.out" setpriv --reuid $A --regid $A --groups $GS "$TOOL" -m $MACS "$SOCK" macs 1
wait_for -t 60 grep -q '^attached' "$WORK/macs.out" || fail "the MAC injection did not finish: $(cat "$WORK/macs.out")"
macs_now() {
	[ "$("$VDECTL_BIN" -s "$SOCK" -j network show macs | jq .macs)" = $MACS ]
}
wait_for -t 20 macs_now || fail "the MAC table of 'macs' did not fill: $(vdectl -j network show macs | jq .macs) of $MACS"
rc=0
out=$(vdectl -j mac list macs 2>&1) || rc=$?
if [ "$rc" != 0 ]; then
	BAD+=("vdectl -j mac list of a full table ($MACS) failed (exit $rc): ${out:0:300}")
else
	[ "$(json_get '.macs | length' "$out")" = $MACS ] || BAD+=("mac list gave $(json_get '.macs | length' "$out") of $MACS")
fi
rc=0
out=$(vdectl mac list macs 2>&1) || rc=$?
[ "$rc" = 0 ] || BAD+=("vdectl mac list of a full table failed (exit $rc): ${out:0:300}")
# The raw request on one connection, then another on the same connection (kept open for 3 s: no
# half-close): the first answer must not cost the connection.
rep=$( (printf '%s\n' '{"id":1,"method":"mac.list","params":{"network":"macs"}}' '{"id":2,"method":"daemon.info"}'; sleep 3) |
	socat -t 5 - "UNIX-CONNECT:$SOCK" | tail -n 1)
[ "$(json_get '.id' "$rep" 2>/dev/null)" = 2 ] || BAD+=("after a mac.list of $MACS entries the connection was dropped: ${rep:0:200}")
# And a client that half-closes after its requests still gets every answer.
rep=$(printf '%s\n' '{"id":1,"method":"mac.list","params":{"network":"macs"}}' '{"id":2,"method":"daemon.info"}' |
	socat -t 5 - "UNIX-CONNECT:$SOCK" | tail -n 1)
[ "$(json_get '.id' "$rep" 2>/dev/null)" = 2 ] || BAD+=("a client that half-closed after mac.list and daemon.info lost the second answer: ${rep:0:200}")
[ ${#BAD[@]} = 0 ] || fail "$(printf '%s\n' "${BAD[@]}")"

expect_rc 0 vdectl -j daemon info
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
