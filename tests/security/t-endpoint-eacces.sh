#!/bin/bash
# A VM user outside a network's rights is told "Permission denied", whichever way it comes in, and
# the network's own traffic goes on:
#   - the endpoint, when the kernel lets the client reach ctl but vded's policy refuses it (here: a
#     user outside vded's socket group, on a network of mode 0666): vded answers with the address of
#     a socket nobody may write to, so the client's connect fails with EACCES. QEMU says "Could not
#     open vde: Permission denied" on Debian's libvdeplug and on ours, and so does vde_plug;
#   - the endpoint, when the kernel refuses the directory (mode 0660, a user outside the group);
#   - vded:// (network.attach) and the API: permission-denied, EACCES.
# Meanwhile two taps ping each other through the same network.
. "$(dirname "$0")/../integration/lib.sh"
need jq vde_plug ping setpriv qemu-system-x86_64

GS=2100 GL=2000 OUTSIDER=1004
as() { # as UID GROUPS CMD...
	local uid=$1 groups=$2
	shift 2
	if [ -n "$groups" ]; then
		setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
	else
		setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
	fi
}
# qemu_vde UID GROUPS LIBDIR: QEMU's error opening the endpoint of open (LIBDIR "": Debian's library).
qemu_vde() {
	local uid=$1 groups=$2 lib=$3
	as "$uid" "$groups" env ${lib:+LD_LIBRARY_PATH=$lib} timeout 10 "${QEMU_BASE[@]}" \
		-netdev vde,id=v0,sock="$RUN/net/open" 2>&1 | head -n 3 || true
}

vded_start -g "$GS"
expect_rc 0 vdectl network create open --group "$GL" --mode 0666
expect_rc 0 vdectl network create lab --group "$GL" --mode 0660
# the victim: a cable between two namespaces on network open
netns_add ns1
netns_add ns2
plug_tap ns1 t1 open 10.40.0.1/24
plug_tap ns2 t2 open 10.40.0.2/24
wait_for ip netns exec ns1 ping -c 1 -W 1 10.40.0.2 || fail "the cable does not carry traffic"
ports0=$(port_count open)

# The endpoint: the kernel lets the outsider reach ctl (mode 0666), vded's policy refuses it.
for lib in "" "$BDIR/lib"; do
	out=$(qemu_vde "$OUTSIDER" "" "$lib")
	log "QEMU (${lib:-the Debian libvdeplug}): $out"
	assert_contains "$out" "Could not open vde: Permission denied" "QEMU's error (${lib:-the Debian libvdeplug})"
done
expect_rc 1 as "$OUTSIDER" "" vde_plug "vde://$RUN/net/open"
assert_contains "$ERR" "Permission denied" "vde_plug's error"
grep -q "denied vde endpoint to uid $OUTSIDER" "$WORK/vded.log" || fail "the endpoint's denial was not logged"
# the kernel refuses the directory itself: the same words
out=$(as "$OUTSIDER" "$GS" env timeout 10 "${QEMU_BASE[@]}" -netdev vde,id=v0,sock="$RUN/net/lab" 2>&1 | head -n 3 || true)
assert_contains "$out" "Permission denied" "QEMU's error on a closed directory"
# the refused clients left no port, and the denied address is no way in
assert_eq "$(port_count open)" "$ports0" "ports of open after the refusals"
[ "$(stat -c %a "$RUN/net/open/.denied")" = 0 ] || fail ".denied is not mode 0: $(stat -c %a "$RUN/net/open/.denied")"

# vded:// and the API: permission-denied, EACCES.
expect_rc 1 as "$OUTSIDER" "" env VDED_SOCKET="$SOCK" VDEPLUGIN_PATH="$BDIR/lib/vdeplug" vde_plug vded://open
assert_contains "$ERR" "Permission denied" "vded:// error"
expect_rc 4 as "$OUTSIDER" "" "$VDECTL_BIN" -s "$SOCK" -j network attach open -- true
assert_json '.error.code' permission-denied "$OUT"
assert_json '.error.errno' 13 "$OUT"

# The victim's traffic went on.
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.40.0.2 || fail "the victim's traffic stopped"
log "ok"
