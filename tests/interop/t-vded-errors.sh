#!/bin/bash
# vded:// failures carry the errno the module promises (seen through vde_plug's "vde_open URL: strerror"):
#   no socket file at all, or a socket nobody listens on   -> ECONNREFUSED (no daemon)
#   no such network                                        -> ENOENT
#   a network name the daemon could never accept           -> EINVAL
#   a caller the control socket's permissions keep out     -> EACCES
# and the socket= option reaches a daemon when $VDED_SOCKET is unset.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug socat setpriv jq

LIBDIR=$BDIR/lib
[ -e "$LIBDIR/vdeplug/libvdeplug_vded.so" ] || fail "our vded module not built"
PLUG=(env "LD_LIBRARY_PATH=$LIBDIR" vde_plug)

# plug_fails ERRNO_TEXT VNL [ENV...]: vde_plug must fail to open VNL with that strerror text.
plug_fails() {
	local want=$1 vnl=$2 rc=0
	shift 2
	env "$@" "${PLUG[@]}" "$vnl" null:// >"$WORK/out" 2>&1 </dev/null || rc=$?
	[ "$rc" -ne 0 ] || fail "'$vnl' opened, expected '$want'"
	grep -q "$want" "$WORK/out" || fail "'$vnl': expected '$want', got: $(cat "$WORK/out")"
}

# no daemon: the socket file is missing
plug_fails "Connection refused" vded://lab "VDED_SOCKET=$WORK/missing.sock"
# no daemon: a stale socket file (its listener was SIGKILLed)
bg_start -o "$WORK/socat.log" socat "UNIX-LISTEN:$WORK/stale.sock" /dev/null
wait_for test -S "$WORK/stale.sock" || fail "socat did not listen"
bg_kill "$BG_PID" KILL
test -S "$WORK/stale.sock" || fail "the stale socket vanished (case not exercised)"
plug_fails "Connection refused" vded://lab "VDED_SOCKET=$WORK/stale.sock"

vded_start
plug_fails "No such file or directory" vded://nosuchnet
plug_fails "Invalid argument" "vded://-bad"
plug_fails "Invalid argument" "vded://lab/nosuchoption=1"

expect_rc 0 vdectl network create lab
# socket= instead of the environment (quoted: a path holds the option separator)
bg_start -o "$WORK/plug.log" env -u VDED_SOCKET "${PLUG[@]}" "vded://lab/socket='$SOCK'" null://
pid=$BG_PID
wait_for port_count_is lab 1 || fail "vded://lab/socket=... did not attach: $(cat "$WORK/plug.log")"
bg_kill "$pid"
wait_for port_count_is lab 0 || fail "the port outlived its plug"

# a user the socket's permissions exclude (nobody, no groups): EACCES, not "no daemon"
chmod o+rx "$WORK"
if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$BDIR/lib" 2>/dev/null &&
	! setpriv --reuid=65534 --regid=65534 --clear-groups socat -u /dev/null "UNIX-CONNECT:$SOCK" 2>/dev/null; then
	plug_fails "Permission denied" vded://lab setpriv --reuid=65534 --regid=65534 --clear-groups
else
	log "skipping the EACCES case: nobody can reach the build or the socket here"
fi
vded_stop
log "ok"
