#!/bin/bash
# Hardening at start:
#   - vded refuses a state or run directory that others could plant files in (group/world-writable,
#     owned by another user, a symlink), saying why, and exits non-zero;
#   - `vded -u nobody` gives its directories to that user, drops root and keeps exactly CAP_NET_ADMIN,
#     CAP_CHOWN, CAP_FOWNER and CAP_DAC_OVERRIDE (effective, permitted and bounding), with no_new_privs,
#     and still serves: networks persist, endpoint dirs get their network's owner/group, unprivileged
#     clients attach, and two taps ping through it.
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping setpriv stat getent

# refused WHAT MESSAGE ARGS...: vded with ARGS must exit 1 at start and print MESSAGE.
refused() {
	local what=$1 msg=$2 rc=0
	shift 2
	timeout 10 "$VDED_BIN" -F "$@" >"$WORK/refused.log" 2>&1 || rc=$?
	[ "$rc" -ne 124 ] || fail "$what: vded started (and ran) instead of refusing"
	[ "$rc" -eq 1 ] || fail "$what: vded exited $rc, expected 1: $(cat "$WORK/refused.log")"
	assert_contains "$(cat "$WORK/refused.log")" "$msg" "$what: vded's message"
	[ ! -S "$SOCK" ] || fail "$what: vded left a control socket behind"
}

good_state=$WORK/good-state
mkdir -m 0755 "$good_state"
mkdir -p "$RUN"

for mode in 0777 0775 0757 1777; do
	bad=$WORK/state-$mode
	mkdir "$bad"
	chmod "$mode" "$bad"
	refused "state dir $mode" "unsafe: writable by group or others" --run-dir "$RUN" --state-dir "$bad" -S "$SOCK"
	assert_contains "$(cat "$WORK/refused.log")" "$bad" "the message names the directory"
done
mkdir -m 0755 "$WORK/state-theirs"
chown 4242:4242 "$WORK/state-theirs"
refused "state dir of uid 4242" "owned by uid 4242" --run-dir "$RUN" --state-dir "$WORK/state-theirs" -S "$SOCK"
ln -s "$good_state" "$WORK/state-link"
refused "state dir symlink" "not a directory" --run-dir "$RUN" --state-dir "$WORK/state-link" -S "$SOCK"

badrun=$WORK/run-1777
mkdir "$badrun"
chmod 1777 "$badrun"
refused "run dir 1777" "unsafe: writable by group or others" --run-dir "$badrun" --state-dir "$good_state" \
	-S "$badrun/vded.sock"
chmod 0770 "$badrun"
refused "run dir 0770" "unsafe: writable by group or others" --run-dir "$badrun" --state-dir "$good_state" \
	-S "$badrun/vded.sock"
refused "no such user" "does not exist" --run-dir "$RUN" --state-dir "$good_state" -S "$SOCK" -u no-such-user-vdet

# --- vded -u nobody
nobody_uid=$(getent passwd nobody | cut -d: -f3)
[ -n "$nobody_uid" ] || skip "no user 'nobody'"
vded_start -g 2100 -u nobody
# Two processes: the privileged parent ($VDED_PID, root, only its acts' capabilities) and the engine
# (everything else, uid nobody here, no capability at all).
engine=$(vdectl -j daemon info | jq -r .engine_pid)
[ -n "$engine" ] && [ "$engine" != "$VDED_PID" ] || fail "no engine process besides $VDED_PID: $engine"
assert_eq "$(awk '/^PPid:/ { print $2 }' /proc/$engine/status)" "$VDED_PID" "the engine's parent"
st=/proc/$engine/status
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")
assert_eq "$uids" "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" "the engine's real, effective, saved and fs uid"
for set in CapEff CapPrm CapInh CapAmb; do
	assert_eq "$(awk "/^$set:/ { print \$2 }" "$st")" 0000000000000000 "the engine's $set"
done
assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" 1 "the engine's NoNewPrivs"
assert_eq "$(awk '/^Groups:/ { print $2 }' "$st")" "" "the engine's supplementary groups"
# The parent: CAP_CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7, NET_ADMIN 12,
# NET_RAW 13, SYS_ADMIN 21 (mask 0x2030fb), nothing else, and nothing to regain beyond it.
pst=/proc/$VDED_PID/status
prm=$(awk '/^CapPrm:/ { print $2 }' "$pst")
[ $((16#$prm & ~0x2030fb)) -eq 0 ] || fail "the parent's CapPrm $prm holds more than its acts need"
[ $((16#$prm & 0x30fb)) -eq $((0x30fb)) ] || fail "the parent's CapPrm $prm lacks one its acts need"
assert_eq "$(awk '/^CapBnd:/ { print $2 }' "$pst")" "$prm" "the parent's CapBnd"
assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' "$pst")" 1 "the parent's NoNewPrivs"
assert_eq "$(stat -c %u "$STATE")" "$nobody_uid" "the state dir's owner (the engine writes it)"
assert_eq "$(stat -c '%u %a' "$RUN")" "0 755" "the run dir (root's: endpoints are made in it by the parent)"

# It serves: a stored network, an endpoint handed to a user's group, user clients.
expect_rc 0 vdectl -j network create lab --group 2000
[ -f "$STATE/networks/lab.json" ] || fail "the definition of lab was not stored"
assert_eq "$(stat -c '%u %g %a' "$RUN/net/lab")" "$nobody_uid 2000 3750" "lab's endpoint dir"
expect_rc 0 setpriv --reuid 1001 --regid 1001 --groups 2100,2000 "$VDECTL_BIN" -s "$SOCK" network attach lab -- \
	sh -c 'test -S /proc/self/fd/3'
# not in lab's group: lab is invisible to it, so not-found (exit 3) as for a missing network
expect_rc 3 setpriv --reuid 1003 --regid 1003 --groups 2100 "$VDECTL_BIN" -s "$SOCK" network attach lab -- true
netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
# One client unprivileged: vded (not root) must still reach the data socket it binds in the endpoint dir.
cat >"$WORK/member-plug.sh" <<EOF
#!/bin/sh
exec setpriv --reuid 1001 --regid 1001 --groups 2100,2000 vde_plug vde://$RUN/net/lab
EOF
chmod 0755 "$WORK/member-plug.sh"
bg_start -o "$WORK/member-plug.log" ip netns exec ns2 vde_plug tap://t2 = "$WORK/member-plug.sh"
wait_for ip -n ns2 link show t2 || fail "t2 was not created"
ip -n ns2 link set t2 up
ip -n ns2 addr add 10.0.0.2/24 dev t2
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping through vded with its engine running as nobody"
expect_rc 0 vdectl network delete lab
[ ! -e "$STATE/networks/lab.json" ] || fail "the definition of lab survived its deletion"
vded_stop

log "ok"
