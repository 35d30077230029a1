#!/bin/bash
# systemd integration without systemd as PID 1:
#   - socket activation: systemd-socket-activate owns the control socket and starts vded -F on the first
#     connection with it as fd 3 (LISTEN_FDS/LISTEN_PID); vded serves on it, and leaves its file alone;
#   - readiness: READY=1 reaches $NOTIFY_SOCKET (a path, then an abstract name) only once requests are
#     answered, STOPPING=1 on SIGTERM;
#   - a LISTEN_FDS meant for another process is ignored; a fd 3 that is not a listening socket is refused.
. "$(dirname "$0")/lib.sh"
need jq socat systemd-socket-activate stat

# notify_has FILE WORD: the datagrams socat received contain WORD.
notify_has() {
	grep -q "$2" "$1" 2>/dev/null
}
sock_listening() {
	socat -u /dev/null "UNIX-CONNECT:$1" 2>/dev/null
}

mkdir -p "$RUN" "$STATE"

# --- socket activation + readiness on a path socket
bg_start -o "$WORK/notify1.out" socat -u "UNIX-RECV:$WORK/notify1.sock" STDOUT
wait_for test -S "$WORK/notify1.sock" || fail "socat did not bind the notify socket"
bg_start -o "$WORK/vded.log" systemd-socket-activate -l "$SOCK" --fdname=vded -E "NOTIFY_SOCKET=$WORK/notify1.sock" \
	"$VDED_BIN" -F -v --run-dir "$RUN" --state-dir "$STATE"
sa_pid=$BG_PID
wait_for test -S "$SOCK" || fail "systemd-socket-activate did not create $SOCK"
inode=$(stat -c %i "$SOCK")
# Nothing has connected yet: no daemon, so no readiness either.
! notify_has "$WORK/notify1.out" READY=1 || fail "READY=1 before vded was even started"
# The first client starts vded (exec'd in place: the same pid) and is answered.
expect_rc 0 vdectl -j daemon info
assert_json '.pid' "$sa_pid" "$OUT"
wait_for notify_has "$WORK/notify1.out" READY=1 || fail "vded sent no READY=1 to NOTIFY_SOCKET"
grep -q "(socket activation)" "$WORK/vded.log" || fail "vded did not say it uses the passed socket"
# It serves for real on the inherited socket, which is still systemd's file.
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl network attach lab -- sh -c 'test -S /proc/self/fd/3'
expect_rc 0 vdectl -j network list
assert_json '.networks[0].name' lab "$OUT"
assert_eq "$(stat -c %i "$SOCK")" "$inode" "the control socket's inode (vded must not replace systemd's socket)"
# SIGTERM: STOPPING=1, a clean exit, and the socket file left to its owner.
kill -TERM "$sa_pid"
wait_for pid_gone "$sa_pid" || fail "vded did not stop on SIGTERM"
rc=0
wait "$sa_pid" || rc=$?
assert_eq "$rc" 0 "vded's exit status after SIGTERM"
wait_for notify_has "$WORK/notify1.out" STOPPING=1 || fail "vded sent no STOPPING=1"
[ -S "$SOCK" ] || fail "vded removed the socket systemd passed it"
rm -f "$SOCK"

# --- readiness on an abstract socket, without socket activation. When READY=1 arrives the very first
# request must be answered: no retry loop here.
abstract=vdet-notify-$$
bg_start -o "$WORK/notify2.out" socat -u "ABSTRACT-RECV:$abstract" STDOUT
wait_for grep -q "@$abstract" /proc/net/unix || fail "socat did not bind the abstract notify socket"
NOTIFY_SOCKET="@$abstract" "$VDED_BIN" -F -v --run-dir "$RUN" --state-dir "$STATE" -S "$SOCK" >>"$WORK/vded.log" 2>&1 &
VDED_PID=$!
wait_for notify_has "$WORK/notify2.out" READY=1 || fail "no READY=1 on the abstract NOTIFY_SOCKET"
expect_rc 0 vdectl -j daemon info
assert_json '.pid' "$VDED_PID" "$OUT"
assert_json '.networks' 1 "$OUT"
vded_stop
wait_for notify_has "$WORK/notify2.out" STOPPING=1 || fail "no STOPPING=1 on the abstract NOTIFY_SOCKET"

# --- LISTEN_PID names another process: the variables are not for vded, which binds its own socket.
touch "$WORK/not-a-socket"
bash -c 'LISTEN_PID=1 LISTEN_FDS=1 exec "$@"' vded "$VDED_BIN" -F -v --run-dir "$RUN" --state-dir "$STATE" \
	-S "$SOCK" >>"$WORK/vded.log" 2>&1 3<"$WORK/not-a-socket" &
VDED_PID=$!
wait_for sock_listening "$SOCK" || fail "vded with a foreign LISTEN_PID did not bind its own socket"
expect_rc 0 vdectl -j daemon info
assert_json '.pid' "$VDED_PID" "$OUT"
vded_stop

# --- LISTEN_PID is vded's but fd 3 is a plain file: refused with a message, not served or crashed.
rc=0
timeout 10 bash -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"' vded "$VDED_BIN" -F --run-dir "$RUN" \
	--state-dir "$STATE" -S "$SOCK" >"$WORK/bad-fd.log" 2>&1 3<"$WORK/not-a-socket" || rc=$?
assert_eq "$rc" 1 "vded's exit status with a non-socket fd 3"
assert_contains "$(cat "$WORK/bad-fd.log")" "control socket" "vded's complaint about fd 3"

log "ok"
