#!/bin/bash
# The privilege split's life cycle: vded is two processes, the privileged parent (the pid to signal)
# and the engine (user vded); a signal to the parent reaches the engine (SIGHUP reloads, SIGTERM
# stops both with status 0); if either dies the other follows, so no half of vded is left running.
. "$(dirname "$0")/lib.sh"
need jq
getent passwd vded >/dev/null || skip "no user vded (scripts/bootstrap or sysusers.d make it)"

# engine_of: the engine's pid from daemon.info, checked to be the parent's child
engine_of() {
	local e
	e=$(vdectl -j daemon info | jq -r .engine_pid)
	[ "$(vdectl -j daemon info | jq -r .pid)" = "$VDED_PID" ] || fail "daemon.info's pid is not the main process"
	[ "$(awk '/^PPid:/ { print $2 }' "/proc/$e/status")" = "$VDED_PID" ] || fail "engine $e is not $VDED_PID's child"
	echo "$e"
}

# --- SIGHUP to the parent reloads in the engine; both stay
vded_start
engine=$(engine_of)
assert_eq "$(awk '/^Uid:/ { print $2 }' /proc/$VDED_PID/status)" 0 "the parent's uid"
assert_eq "$(awk '/^Uid:/ { print $2 }' /proc/$engine/status)" "$(id -u vded)" "the engine's uid"
expect_rc 0 vdectl network create lab
kill -HUP "$VDED_PID"
wait_for grep -q "reload done" "$WORK/vded.log" || fail "SIGHUP to the parent did not reach the engine"
! grep -q "takes effect at the next start" "$WORK/vded.log" || fail "reload warned of a change nobody made"
kill -0 "$VDED_PID" && kill -0 "$engine" || fail "a process died on SIGHUP"
expect_rc 0 vdectl -j network show lab

# --- SIGTERM to the parent: both stop, status 0 (vded_stop checks the status)
vded_stop
wait_for pid_gone "$engine" || fail "the engine outlived the parent's SIGTERM"

# --- the engine dies: the parent starts a new one (with every kept port: t-restart-keep); a crash
# loop (a sixth crash within a minute) makes it give up with a failure status (Restart=on-failure)
vded_start
engine=$(engine_of)
kill -KILL "$engine"
new_engine() {
	local e
	e=$(pgrep -P "$VDED_PID") && [ "$e" != "$1" ]
}
answers() {
	vdectl -j daemon info >/dev/null 2>&1
}
wait_for new_engine "$engine" || fail "the parent did not start a new engine"
grep -q "engine died of signal 9: starting a new one" "$WORK/vded.log" || fail "the parent did not say why"
wait_for vdectl daemon info || fail "the new engine does not answer"
expect_rc 0 vdectl -j network show lab
for i in 2 3 4 5 6; do
	wait_for answers || fail "no engine answers after $((i - 1)) crashes"
	engine=$(engine_of)
	kill -KILL "$engine"
	wait_for pid_gone "$engine" || fail "engine $engine did not die"
done
wait_for pid_gone "$VDED_PID" || fail "the parent kept replacing engines in a crash loop"
rc=0
wait "$VDED_PID" || rc=$?
VDED_PID=
[ "$rc" -ne 0 ] || fail "the parent exited 0 after a crash loop"
grep -q "giving up" "$WORK/vded.log" || fail "the parent did not say why it stopped"

# --- the parent dies: the engine exits too (nothing privileged can be done any more)
vded_start
engine=$(engine_of)
kill -KILL "$VDED_PID"
wait "$VDED_PID" 2>/dev/null || true
VDED_PID=
wait_for pid_gone "$engine" || fail "the engine kept running without its privileged parent"

# and a new vded starts cleanly afterwards, with lab restored from its definition
vded_start
expect_rc 0 vdectl -j network show lab
vded_stop
log "ok"
