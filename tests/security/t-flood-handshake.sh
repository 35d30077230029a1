#!/bin/bash
# V5: endpoint handshakes were accepted without limit before any check; at the descriptor limit the
# endpoint's accept busy-looped (100 % CPU, a log line per try) and the control listener stopped for
# good. Here vded runs with RLIMIT_NOFILE 128 and uid 2471 (a member of the socket's group) opens 400
# connections to a network's endpoint ctl and sends nothing. During the flood vded must not spin (CPU
# over 2 s), its log must not grow by thousands of lines, root and another user (uid 2472) must still be
# answered, and uid 2472's existing endpoint ports keep passing intact traffic; within 1 s after the
# flood stops (an event bound) both are answered again.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-victim.sh"
need setpriv jq prlimit pgrep

FLOOD=$BDIR/tests/tools/connflood
FLOW=$BDIR/tests/tools/vdeflow
[ -x "$FLOOD" ] && [ -x "$FLOW" ] || fail "connflood/vdeflow not built"
GS=2470
A=2471
B=2472
N=400
TARGET=$RUN/net/lab/ctl
FLOOD_ARGS=()

# vded with a low descriptor limit, through a wrapper that execs it (VDED_PID stays vded's).
. "$(dirname "$0")/lib-flood.sh"
bg_start -o "$WORK/flood.out" setpriv --reuid $A --regid $A --groups $GS "$FLOOD" -t 5 "${FLOOD_ARGS[@]}" "$TARGET" $N
flood=$BG_PID
# The first 2 s of the flood, while it is still opening (and retrying a full backlog).
sleep 2
t1=$(cpu_ticks)
wait_for -t 15 grep -q '^opened' "$WORK/flood.out" || fail "the flood tool did not report: $(cat "$WORK/flood.out")"
lines1=$(wc -l <"$WORK/vded.log")
log "flood: $(cat "$WORK/flood.out")"
log "vded: $((t1 - t0)) CPU ticks in the flood's first 2 s, log +$((lines1 - lines0)) lines since the flood began"
BAD=()
# Spinning is ~100 % of a CPU; an idle daemon under a held flood uses next to nothing.
[ $((t1 - t0)) -lt "$hz" ] || BAD+=("vded spins during uid $A's flood: $((t1 - t0)) CPU ticks in 2 s ($hz per s)")
[ $((lines1 - lines0)) -lt 1000 ] || BAD+=("vded's log grew by $((lines1 - lines0)) lines during uid $A's flood")
answers_within 5 0 || BAD+=("root is not answered during uid $A's flood")
answers_within 5 $B || BAD+=("uid $B is not answered during uid $A's flood")
kill -0 "$VDED_PID" 2>/dev/null || fail "vded died during the flood: $(printf '%s\n' "${BAD[@]}")"

bg_kill "$flood" TERM
answers_within 1 0 || BAD+=("root is not answered within 1 s after uid $A's flood stopped")
answers_within 1 $B || BAD+=("uid $B is not answered within 1 s after uid $A's flood stopped")
victim_verdict "$flow" "$WORK/flow.out" $B
[ ${#BAD[@]} = 0 ] || fail "$(printf '%s\n' "${BAD[@]}")"
expect_rc 0 vdectl -j port list lab
vded_stop
log "ok"
