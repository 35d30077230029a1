#!/bin/bash
# vded:// turns the daemon's error codes into errno through common/proto.c's one table, the same one
# vded names its errors by (doc/protocol.md, "Error codes"): beyond not-found, permission-denied and
# limit (t-vded-errors), a port number that is taken is "exists" -> EEXIST, and one out of the
# network's range is "invalid-params" -> EINVAL (the module once answered both with EIO).
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug

LIBDIR=$BDIR/lib
[ -e "$LIBDIR/vdeplug/libvdeplug_vded.so" ] || fail "our vded module not built"
PLUG=(env "LD_LIBRARY_PATH=$LIBDIR" vde_plug)

# plug_fails ERRNO_TEXT VNL: vde_plug must fail to open VNL with that strerror text.
plug_fails() {
	local want=$1 vnl=$2 rc=0
	"${PLUG[@]}" "$vnl" null:// >"$WORK/out" 2>&1 </dev/null || rc=$?
	[ "$rc" -ne 0 ] || fail "'$vnl' opened, expected '$want'"
	grep -q "$want" "$WORK/out" || fail "'$vnl': expected '$want', got: $(cat "$WORK/out")"
}

vded_start
expect_rc 0 vdectl network create lab --max-ports 4
bg_start -o "$WORK/plug.log" "${PLUG[@]}" vded://lab/port=2 null://
pid=$BG_PID
wait_for port_count_is lab 1 || fail "vded://lab/port=2 did not attach: $(cat "$WORK/plug.log")"

plug_fails "File exists" vded://lab/port=2
plug_fails "Invalid argument" vded://lab/port=5
plug_fails "No such file or directory" vded://nosuchnet

bg_kill "$pid"
wait_for port_count_is lab 0 || fail "the port outlived its plug"
vded_stop
log "ok"
