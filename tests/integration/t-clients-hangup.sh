#!/bin/bash
# When vded is really gone (stopped, not restarted), its clients say so instead of running on dead
# ports: our vde_plug exits non-zero (so Restart=on-failure brings it back), and `network attach --
# CMD` sends CMD SIGHUP (or --hangup-signal).
. "$(dirname "$0")/lib.sh"
need jq

PLUG=$BDIR/bin/vde_plug
vded_start
expect_rc 0 vdectl network create lab

# our vde_plug, a vde:// cable to null://
bg_start -o "$WORK/plug.log" "$PLUG" "vde://$RUN/net/lab" null://
plug=$BG_PID
# network attach -- a shell that records the signals it gets
cat >"$WORK/cmd.sh" <<'EOS'
trap 'echo HUP >>"$1"; exit 0' HUP
trap 'echo USR1 >>"$1"; exit 0' USR1
echo started >>"$1"
while :; do sleep 0.1; done
EOS
bg_start -o "$WORK/attach1.log" "$VDECTL_BIN" -s "$SOCK" network attach lab -- bash "$WORK/cmd.sh" "$WORK/sig1"
a1=$BG_PID
bg_start -o "$WORK/attach2.log" "$VDECTL_BIN" -s "$SOCK" network attach lab --hangup-signal USR1 -- \
	bash "$WORK/cmd.sh" "$WORK/sig2"
a2=$BG_PID
ports() {
	[ "$(vdectl -j port list lab | jq '.ports | length')" = "$1" ]
}
wait_for ports 3 || fail "expected 3 ports: $(vdectl port list lab)"
wait_for grep -q started "$WORK/sig1" || fail "the first command did not start"
wait_for grep -q started "$WORK/sig2" || fail "the second command did not start"

# vded stops for good: the vde_plug fails, the other command gets its chosen signal
vded_stop
wait_for pid_gone "$plug" || fail "vde_plug still runs after vded stopped"
rc=0
wait "$plug" || rc=$?
[ "$rc" -ne 0 ] || fail "vde_plug exited 0 after vded stopped ($(cat "$WORK/plug.log"))"
grep -q "hung up" "$WORK/plug.log" || fail "vde_plug did not say why: $(cat "$WORK/plug.log")"
wait_for grep -q HUP "$WORK/sig1" || fail "network attach's command got no SIGHUP: $(cat "$WORK/attach1.log")"
wait_for pid_gone "$a1" || fail "the first network attach did not end"
wait_for grep -q USR1 "$WORK/sig2" || fail "--hangup-signal USR1 was not sent: $(cat "$WORK/attach2.log")"
wait_for pid_gone "$a2" || fail "the second network attach did not end"

# a wrong signal name is a usage error, before anything is attached
vded_start
expect_rc 2 vdectl network attach lab --hangup-signal NOPE -- true
assert_contains "$ERR" "NOPE" "the message names the bad value"
vded_stop
log "ok"
