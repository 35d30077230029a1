#!/bin/bash
# An unprivileged member of a network's group hands vded its own descriptors (network.attach with
# "fd": true) and they are bridged directly, with no copy process: frames cross both ways. A user
# outside the group is refused, and nothing it sent stays attached.
. "$(dirname "$0")/lib.sh"
need setpriv jq

FDATTACH=$BDIR/tests/tools/fdattach
[ -x "$FDATTACH" ] || fail "$FDATTACH not built"
GROUP=2470
vded_start -f /dev/null -g "$GROUP"
vdectl network create lab --group "$GROUP" >/dev/null
chmod 0755 "$WORK"

setpriv --reuid 2471 --regid 2471 --groups "$GROUP" "$FDATTACH" "$SOCK" lab >"$WORK/member.log" 2>&1 ||
	fail "a member could not attach its own descriptors: $(cat "$WORK/member.log")"
grep -q '"kind":"fd"' "$WORK/member.log" || fail "ports were not of kind fd: $(cat "$WORK/member.log")"
grep -q '"uid":2471' "$WORK/member.log" || fail "the ports do not record their creator"

# the member's connection closed with it: its ports went too
wait_for sh -c "[ \"\$('$VDECTL_BIN' -s '$SOCK' -j port list lab | jq '.ports | length')\" = 0 ]" ||
	fail "the member's ports outlived its connection"

# a non-member reaches the socket only if its group allows: give it the socket group, not the network's
vdectl network create other --mode 0600 >/dev/null
if setpriv --reuid 2472 --regid 2472 --groups "$GROUP" "$FDATTACH" "$SOCK" other >"$WORK/other.log" 2>&1; then
	fail "a caller outside the network's rule attached: $(cat "$WORK/other.log")"
fi
# mode 0600: the caller may not even see "other", so it is told what it would be told of a missing one (V17)
grep -q 'not-found' "$WORK/other.log" || fail "no not-found: $(cat "$WORK/other.log")"
[ "$(vdectl -j port list other | jq '.ports | length')" = 0 ] || fail "a refused descriptor stayed attached"
vded_stop
