#!/bin/bash
# Ownership: a network belongs to its creator. Socket group 2100, admin group 2200, group 2000 "lab".
#   A (uid 1001; 2100, 2000) creates "anet" in group 2000: owner_uid 1001.
#   B (uid 1002; 2100, 2000), a group member: may attach, but may not delete or change anet, nor
#     detach A's port (exit 4 each); it may detach its own port.
#   A may change and detach anything on anet; an admin (uid 1005; 2100, 2200) may do all of it on
#   another user's network; root too.
#   Mode 0640: group members see the network but may attach neither way in.
. "$(dirname "$0")/lib.sh"
need jq setpriv stat vde_plug

GS=2100 GL=2000 GA=2200 GX=2300
A=1001 B=1002 ADMIN=1005 OTHER=1003

as() {
	local uid=$1 groups=$2
	shift 2
	setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
}
vdectl_as() {
	local uid=$1 groups=$2
	shift 2
	as "$uid" "$groups" "$VDECTL_BIN" -s "$SOCK" "$@"
}
# port_of NET UID: the id of UID's (only) port on NET.
port_of() {
	local out
	out=$(vdectl -j port list "$1") || fail "port list $1"
	json_get "[.ports[] | select(.uid == $2)][0].id" "$out"
}

cat >"$WORK/vded.conf" <<EOF
// test configuration
{ "admin_group": "$GA" }
EOF
vded_start -g "$GS" -f "$WORK/vded.conf"

# --- creating: the creator owns it; the group must be one of the creator's.
expect_rc 0 vdectl_as $A "$GS,$GL" -j network create anet --group $GL --description "A's net"
assert_json '[.owner_uid, .group, .mode] | map(tostring) | join(" ")' "$A $GL 0660" "$OUT"
# vded's directory with the network's group, setgid+sticky; the owner is reached by an ACL entry
assert_eq "$(stat -c '%U %g %a' "$RUN/net/anet")" "vded $GL 3750" "anet endpoint dir"
expect_rc 4 vdectl_as $A "$GS,$GL" -j network create bad --group $GX
assert_json '.error.code' permission-denied "$OUT"
expect_rc 3 vdectl -j network show bad
# No --group: the creator's primary group.
expect_rc 0 vdectl_as $A "$GS,$GL" -j network create aprivate
assert_json '.group' "$A" "$OUT"
# Not in the create group (which defaults to the socket group): no create at all.
expect_rc 4 vdectl_as $B "$GL" -j network create nope
expect_rc 4 vdectl_as $OTHER "$GX" -j daemon info
# The human tables name the group and mode.
expect_rc 0 vdectl network show anet
assert_contains "$OUT" "0660 (rw-rw----)" "network show"
assert_contains "$OUT" "$GL" "network show"
expect_rc 0 vdectl network list
assert_contains "$(printf '%s\n' "$OUT" | head -n 1)" "GROUP  MODE" "network list header"

# --- ports: A and B each hold one on anet (setpriv, not a shell function, so that bg_start's PID is
# vdectl's own and the cleanup reaches it).
bg_start setpriv --reuid $A --regid $A --groups "$GS,$GL" "$VDECTL_BIN" -s "$SOCK" network attach anet -- sleep 600
bg_start setpriv --reuid $B --regid $B --groups "$GS,$GL" "$VDECTL_BIN" -s "$SOCK" network attach anet -- sleep 600
wait_for port_count_is anet 2 || fail "A's and B's ports did not appear"
pa=$(port_of anet $A)
pb=$(port_of anet $B)

# B, a group member but not the owner: no delete, no set, no detaching A's port.
expect_rc 4 vdectl_as $B "$GS,$GL" -j network delete anet
assert_json '.error.message' "uid $B is neither the owner (uid $A) of network 'anet' nor an admin" "$OUT"
expect_rc 4 vdectl_as $B "$GS,$GL" network set anet --mode 0666
expect_rc 4 vdectl_as $B "$GS,$GL" network set anet --description mine
expect_rc 4 vdectl_as $B "$GS,$GL" -j port detach anet "$pa"
assert_json '.error.code' permission-denied "$OUT"
expect_rc 0 vdectl -j network show anet
assert_json '[.mode, .description, (.port_list | length | tostring)] | join("|")' "0660|A's net|2" "$OUT"
# ... but B's own port is B's to close.
expect_rc 0 vdectl_as $B "$GS,$GL" port detach anet "$pb"
wait_for port_count_is anet 1 || fail "B could not detach its own port"
bg_start setpriv --reuid $B --regid $B --groups "$GS,$GL" "$VDECTL_BIN" -s "$SOCK" network attach anet -- sleep 600
wait_for port_count_is anet 2 || fail "B's second port did not appear"
pb=$(port_of anet $B)
# The owner may detach a member's port.
expect_rc 0 vdectl_as $A "$GS,$GL" port detach anet "$pb"
wait_for port_count_is anet 1 || fail "the owner could not detach B's port"

# --- network set by the owner: the mode reaches the endpoint, and a group the owner is not in is refused.
expect_rc 0 vdectl_as $A "$GS,$GL" -j network set anet --mode 0600 --description "A only"
assert_json '[.mode, .description] | join("|")' "0600|A only" "$OUT"
# The kernel holds vde:// clients to the new mode: the owner (through its ACL entry) may connect to
# ctl, the group may not.
as $A "$GS,$GL" socat -u /dev/null "UNIX-CONNECT:$RUN/net/anet/ctl" ||
	fail "the owner cannot reach anet's ctl after set --mode 0600"
! as $B "$GS,$GL" socat -u /dev/null "UNIX-CONNECT:$RUN/net/anet/ctl" 2>/dev/null ||
	fail "a member reached anet's ctl after set --mode 0600"
expect_rc 3 vdectl_as $B "$GS,$GL" network show anet	# no 'r' for B: as if it did not exist (V17)
expect_rc 0 vdectl_as $B "$GS,$GL" -j network list
assert_json '[.networks[].name] | index("anet")' null "$OUT"
expect_rc 4 vdectl_as $A "$GS,$GL" -j network set anet --group $GX
# A refused change changes nothing, in the answer to others as on disk.
expect_rc 0 vdectl -j network show anet
assert_json '.group' "$GL" "$OUT"
assert_eq "$(stat -c '%g' "$RUN/net/anet")" "$GL" "anet endpoint group after a refused set --group"
expect_rc 0 vdectl_as $A "$GS,$GL" network set anet --mode 0660

# --- an admin may do what the owner may, on a network it does not own and whose group it is not in.
expect_rc 0 vdectl_as $ADMIN "$GS,$GA" -j network set anet --description "admin was here"
assert_json '.description' "admin was here" "$OUT"
expect_rc 0 vdectl_as $ADMIN "$GS,$GA" -j network show anet
expect_rc 0 vdectl_as $ADMIN "$GS,$GA" port detach anet "$pa"
wait_for port_count_is anet 0 || fail "the admin could not detach A's port"
expect_rc 0 vdectl_as $ADMIN "$GS,$GA" network delete anet
expect_rc 3 vdectl network show anet
[ ! -e "$RUN/net/anet" ] || fail "anet's endpoint survived its deletion"
# Root may delete a user's network; the owner may delete its own.
expect_rc 0 vdectl_as $A "$GS,$GL" network create anet2 --group $GL
expect_rc 0 vdectl network delete anet2
expect_rc 0 vdectl_as $A "$GS,$GL" network delete aprivate
expect_rc 0 vdectl -j network list
assert_json '.networks | length' 0 "$OUT"

# --- mode 0640: the group looks but does not touch.
expect_rc 0 vdectl_as $A "$GS,$GL" -j network create ro --group $GL --mode 0640
assert_json '.mode' 0640 "$OUT"
as $B "$GS,$GL" ls "$RUN/net/ro" >/dev/null || fail "the group cannot look into ro's endpoint dir"
! as $B "$GS,$GL" socat -u /dev/null "UNIX-CONNECT:$RUN/net/ro/ctl" 2>/dev/null ||
	fail "the group reached ro's ctl (mode 0640)"
as $A "$GS,$GL" socat -u /dev/null "UNIX-CONNECT:$RUN/net/ro/ctl" || fail "the owner cannot reach ro's ctl"
expect_rc 0 vdectl_as $B "$GS,$GL" -j network list
assert_json '[.networks[].name] | index("ro") != null' true "$OUT"
expect_rc 0 vdectl_as $B "$GS,$GL" -j network show ro
expect_rc 0 vdectl_as $B "$GS,$GL" -j port list ro
expect_rc 4 vdectl_as $B "$GS,$GL" -j network attach ro -- true
msg=$(json_get '.error.message' "$OUT")
assert_contains "$msg" "uid $B may not attach to network 'ro'" "the refusal"
assert_contains "$msg" "gives the group no write" "the refusal"
expect_rc 1 as $B "$GS,$GL" vde_plug "vde://$RUN/net/ro"
# The owner still may, both ways.
expect_rc 0 vdectl_as $A "$GS,$GL" network attach ro -- true
timeout 10 setpriv --reuid $A --regid $A --groups "$GS,$GL" vde_plug "vde://$RUN/net/ro" </dev/null ||
	fail "the owner's vde_plug could not join its 0640 network"
expect_rc 0 vdectl -j port list ro
assert_json '.ports | length' 0 "$OUT"
# Other users of vded do not see it at all.
expect_rc 0 vdectl_as $OTHER "$GS" -j network list
assert_json '.networks | length' 0 "$OUT"

vded_stop
log "ok"
