#!/bin/bash
# Group policy on attach, both ways in: the control socket (network.attach) and the vde_switch-compatible
# endpoint. vded's socket group is 2100; network "lab" belongs to group 2000, mode 0660.
#   uid 1001, groups 2100+2000 (a member): attaches both ways, unprivileged, and its ports carry real
#     traffic (a ping between two taps through its vde:// cable; a ping to the slirp of a QEMU it runs
#     on an attach port).
#   uid 1003, group 2100 only: may talk to vded but is refused lab on the control socket and by the
#     kernel on the endpoint; it does not even see lab, so vded answers as if lab did not exist (exit 3,
#     not-found, the same words as for a missing network) and logs the real rule.
#   uid 1004, no group: cannot connect at all.
# Users are bare numbers (setpriv), so there is nothing to create or clean up.
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping setpriv qemu-system-x86_64 stat

GS=2100 GL=2000
MEMBER=1001 OTHER=1003 OUTSIDER=1004

# as UID GROUPS CMD...: run CMD as UID (primary group UID) with supplementary GROUPS ("" = none).
as() {
	local uid=$1 groups=$2
	shift 2
	if [ -n "$groups" ]; then
		setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
	else
		setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
	fi
}
# vdectl_as UID GROUPS ARGS...: vdectl on our socket as that user.
vdectl_as() {
	local uid=$1 groups=$2
	shift 2
	as "$uid" "$groups" "$VDECTL_BIN" -s "$SOCK" "$@"
}

vded_start -g "$GS"
expect_rc 0 vdectl -j network create lab --group "$GL"
assert_json '.group' "$GL" "$OUT"
assert_json '.mode' 0660 "$OUT"
assert_json '.owner_uid' 0 "$OUT"

# The endpoint carries the rule into the file system: vded's directory, the network's group with rwx,
# setgid (every socket in it gets that group) and sticky (nobody removes another's file); ctl rw for
# the group, nothing for others.
assert_eq "$(stat -c '%U %g %a' "$RUN/net/lab")" "vded $GL 3750" "endpoint dir owner, group, mode"
assert_eq "$(stat -c '%U %g %a' "$RUN/net/lab/ctl")" "vded $GL 660" "endpoint ctl owner, group, mode"
assert_eq "$(stat -c '%g %a' "$SOCK")" "$GS 660" "control socket group and mode"

netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24

# --- the member, through the endpoint: a root vde_plug owns tap t2 in ns2 and streams it to the
# member's own Debian vde_plug on vde://lab (a script, so vde_plug's getopt leaves setpriv's options).
cat >"$WORK/member-plug.sh" <<EOF
#!/bin/sh
exec setpriv --reuid $MEMBER --regid $MEMBER --groups $GS,$GL vde_plug vde://$RUN/net/lab
EOF
chmod 0755 "$WORK/member-plug.sh"
bg_start -o "$WORK/member-plug.log" ip netns exec ns2 vde_plug tap://t2 = "$WORK/member-plug.sh"
wait_for ip -n ns2 link show t2 || fail "the root side of the member's cable did not create t2"
wait_for port_count_is lab 2 || fail "the member's vde_plug did not get a port on lab"
ip -n ns2 link set t2 up
ip -n ns2 addr add 10.0.0.2/24 dev t2
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping through the member's vde:// port"

expect_rc 0 vdectl -j port list lab
assert_json "[.ports[] | select(.uid == $MEMBER and .kind == \"endpoint\")] | length" 1 "$OUT"
assert_json ".ports[] | select(.uid == $MEMBER) | .rx_frames >= 3 and .tx_frames >= 3" true "$OUT"

# --- the member, through the control socket: QEMU run by vdectl as the member gets the port as fd 3
# and hub-ports it to its slirp; the tap in ns1 pings slirp's gateway.
bg_start -o "$WORK/qemu.log" setpriv --reuid "$MEMBER" --regid "$MEMBER" --groups "$GS,$GL" \
	"$VDECTL_BIN" -s "$SOCK" network attach lab --description member-qemu -- \
	"${QEMU_BASE[@]}" -netdev socket,id=s0,fd=3 -netdev user,id=u,net=10.0.2.0/24 \
	-netdev hubport,id=h1,hubid=0,netdev=s0 -netdev hubport,id=h2,hubid=0,netdev=u
wait_for port_count_is lab 3 || fail "the member's attach port did not appear"
ip -n ns1 addr add 10.0.2.15/24 dev t1
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.2.2 || fail "no ping to the slirp behind the member's attach port"
expect_rc 0 vdectl -j port list lab
assert_json ".ports[] | select(.description == \"member-qemu\") | [.uid, .kind] | join(\" \")" "$MEMBER attach" "$OUT"
assert_json ".ports[] | select(.description == \"member-qemu\") | .rx_frames > 0 and .tx_frames > 0" true "$OUT"
# The member sees lab, and its ports, as a group member.
expect_rc 0 vdectl_as "$MEMBER" "$GS,$GL" -j network list
assert_json '[.networks[].name] | index("lab") != null' true "$OUT"
expect_rc 0 vdectl_as "$MEMBER" "$GS,$GL" -j port list lab
assert_json '.ports | length' 3 "$OUT"

# --- the other user: in vded's group, not in lab's.
expect_rc 3 vdectl_as "$OTHER" "$GS" -j network attach lab -- true
assert_json '.error.code' not-found "$OUT"
assert_json '.error.errno' 2 "$OUT"
assert_json '.error.message' "network 'lab' does not exist" "$OUT"
assert_contains "$ERR" "network 'lab' does not exist" "vdectl's error line"
# The same refusal without -j: exit 3, nothing run.
expect_rc 3 vdectl_as "$OTHER" "$GS" network attach lab -- touch "$WORK/ran"
[ ! -e "$WORK/ran" ] || fail "vdectl ran the command of a refused attach"
# Mode 0660 gives others no 'r': lab is not listed, and show/port list answer not-found (V17).
expect_rc 0 vdectl_as "$OTHER" "$GS" -j network list
assert_json '[.networks[].name] | index("lab")' null "$OUT"
expect_rc 3 vdectl_as "$OTHER" "$GS" -j port list lab
assert_json '.error.code' not-found "$OUT"
expect_rc 3 vdectl_as "$OTHER" "$GS" network show lab
# The endpoint: the kernel refuses the directory, so Debian's vde_plug cannot even connect.
expect_rc 1 as "$OTHER" "$GS" vde_plug "vde://$RUN/net/lab"
assert_contains "$ERR" "Permission denied" "vde_plug's error"
expect_rc 0 vdectl -j port list lab
assert_json "[.ports[] | select(.uid == $OTHER)] | length" 0 "$OUT"
assert_json '.ports | length' 3 "$OUT"
grep -q "denied network.attach to uid $OTHER" "$WORK/vded.log" || fail "the denial was not logged"

# --- the outsider: the control socket (0660 root:2100) does not let it in.
expect_rc 4 vdectl_as "$OUTSIDER" "" -j daemon info
assert_json '.error.code' permission-denied "$OUT"
expect_rc 1 as "$OUTSIDER" "" vde_plug "vde://$RUN/net/lab"

# Traffic still flows through the member's ports after all the refusals.
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.2 || fail "ping through the member's port failed after the denials"

vded_stop
log "ok"
