#!/bin/bash
# SIGHUP re-reads the configuration: a raised max_networks_per_user, a new admin_group and a new
# network apply at once, while the ports already plugged stay the same ports and keep passing
# traffic. A broken file on SIGHUP keeps the running configuration (and the daemon).
. "$(dirname "$0")/lib.sh"
need jq setpriv vde_plug ping

GS=2100 GA=2200
A=1001 ADMIN=1005

vdectl_as() {
	local uid=$1 groups=$2
	shift 2
	setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$VDECTL_BIN" -s "$SOCK" "$@"
}
# reload: SIGHUP, then wait for the daemon to say it handled it (the Nth time).
reloads=0
reloads_done_ge() {
	[ "$(grep -c -e "reload done" -e "keeping the running configuration" "$WORK/vded.log")" -ge "$1" ]
}
reload() {
	reloads=$((reloads + 1))
	kill -HUP "$VDED_PID"
	wait_for reloads_done_ge "$reloads" || fail "vded did not finish reload $reloads"
}

cat >"$WORK/vded.conf" <<EOF
{ "max_networks_per_user": 1, "networks": [ { "name": "lab" } ] }
EOF
vded_start -g "$GS" -f "$WORK/vded.conf"
netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
plug1=$BG_PID
plug_tap ns2 t2 lab 10.0.0.2/24
plug2=$BG_PID
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.2 || fail "no ping before the reload"
expect_rc 0 vdectl -j port list lab
ports_before=$(json_get '[.ports[] | "\(.id):\(.pid)"] | sort | join(" ")' "$OUT")

expect_rc 0 vdectl_as $A "$GS" network create a1
expect_rc 6 vdectl_as $A "$GS" -j network create a2
assert_json '.error.code' limit "$OUT"
expect_rc 3 vdectl_as $ADMIN "$GS,$GA" network delete a1	# not an admin yet, and a1 is not its to see (V17)

# Raise the quota, name an admin group, add a network; reload.
cat >"$WORK/vded.conf" <<EOF
{
	"max_networks_per_user": 2,
	"admin_group": "$GA",
	"networks": [ { "name": "lab" }, { "name": "added", "mode": "0664" } ]
}
EOF
reload
grep -q "reload done: .*quotas 2 networks" "$WORK/vded.log" || fail "the reload did not report the new quota"
expect_rc 0 vdectl_as $A "$GS" network create a2
expect_rc 6 vdectl_as $A "$GS" -j network create a3
assert_json '.error.code' limit "$OUT"
expect_rc 0 vdectl -j network show added
assert_json '[.owner_uid, .mode] | map(tostring) | join(" ")' "0 0664" "$OUT"
expect_rc 0 vdectl_as $ADMIN "$GS,$GA" network delete a1

# The data path did not notice: same ports, same clients, traffic still flows.
kill -0 "$plug1" && kill -0 "$plug2" || fail "a vde_plug client died across the reload"
expect_rc 0 vdectl -j port list lab
assert_eq "$(json_get '[.ports[] | "\(.id):\(.pid)"] | sort | join(" ")' "$OUT")" "$ports_before" "lab's ports after the reload"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping after the reload"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.0.0.1 || fail "no ping back after the reload"

# A broken file: logged, the running configuration stays (quota 2, A has a2 only: a3 is fine, a4 not).
echo '{ "max_networks_per_user": 0, ' >"$WORK/vded.conf"
reload
grep -q "keeping the running configuration" "$WORK/vded.log" || fail "a broken file on SIGHUP was not reported"
kill -0 "$VDED_PID" || fail "vded died on a broken configuration at SIGHUP"
expect_rc 0 vdectl_as $A "$GS" network create a3
expect_rc 6 vdectl_as $A "$GS" network create a4
# A file naming a group that does not exist is refused the same way.
echo '{ "admin_group": "no-such-group-vdet" }' >"$WORK/vded.conf"
reload
expect_rc 0 vdectl_as $ADMIN "$GS,$GA" -j network show a3

# Lowering the quota below what a user owns keeps the networks, refuses new ones.
echo '{ "max_networks_per_user": 0 }' >"$WORK/vded.conf"
reload
expect_rc 6 vdectl_as $A "$GS" network create a5
expect_rc 0 vdectl -j network list
assert_json '[.networks[].name] | sort | join(" ")' "a2 a3 added lab" "$OUT"
ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.2 || fail "no ping after the last reload"

vded_stop
log "ok"
