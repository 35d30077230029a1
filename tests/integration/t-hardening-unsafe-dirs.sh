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
st=/proc/$VDED_PID/status
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")
assert_eq "$uids" "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" "vded's real, effective, saved and fs uid"
# Effective: exactly CAP_CHOWN 0, CAP_DAC_OVERRIDE 1, CAP_FOWNER 3, CAP_NET_ADMIN 12 (mask 0x100b).
# Permitted and bounding: those four, plus at most CAP_SYS_ADMIN (21), which vded raises only while
# it makes a network namespace.
assert_eq "$(awk '/^CapEff:/ { print $2 }' "$st")" 000000000000100b "CapEff"
prm=$(awk '/^CapPrm:/ { print $2 }' "$st")
bnd=$(awk '/^CapBnd:/ { print $2 }' "$st")
[ $((16#$prm & 0x100b)) -eq $((0x100b)) ] || fail "CapPrm $prm lacks one of the four capabilities"
[ $((16#$prm & ~0x20100b)) -eq 0 ] || fail "CapPrm $prm holds more than vded needs"
assert_eq "$bnd" "$prm" "CapBnd (nothing can be regained beyond the permitted set)"
assert_eq "$(awk '/^CapInh:/ { print $2 }' "$st")" 0000000000000000 "CapInh"
assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" 1 "NoNewPrivs"
assert_eq "$(awk '/^Groups:/ { print $2 }' "$st")" "" "supplementary groups"
assert_eq "$(stat -c %u "$STATE")" "$nobody_uid" "the state dir's owner"
assert_eq "$(stat -c %u "$RUN")" "$nobody_uid" "the run dir's owner"

# It serves: a stored network, an endpoint handed to a user's group (CAP_CHOWN), user clients.
expect_rc 0 vdectl -j network create lab --group 2000
[ -f "$STATE/networks/lab.json" ] || fail "the definition of lab was not stored"
assert_eq "$(stat -c '%u %g %a' "$RUN/net/lab")" "0 2000 770" "lab's endpoint dir"
expect_rc 0 setpriv --reuid 1001 --regid 1001 --groups 2100,2000 "$VDECTL_BIN" -s "$SOCK" network attach lab -- \
	sh -c 'test -S /proc/self/fd/3'
expect_rc 4 setpriv --reuid 1003 --regid 1003 --groups 2100 "$VDECTL_BIN" -s "$SOCK" network attach lab -- true
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
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping through vded running as nobody"
expect_rc 0 vdectl network delete lab
[ ! -e "$STATE/networks/lab.json" ] || fail "the definition of lab survived its deletion"
vded_stop

log "ok"
