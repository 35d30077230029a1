#!/bin/bash
# Per-user quotas from the configuration file: max_networks_per_user 2, max_ports_per_user 2.
# A third network or a third port of the same user is refused with the error code "limit" (vdectl exit 6),
# on the control socket and on the endpoint alike; freeing one makes room again. Root is not held to them.
. "$(dirname "$0")/lib.sh"
need jq setpriv vde_plug

GS=2100
A=1001 B=1002

as() {
	local uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --groups "$GS" "$@"
}
vdectl_as() {
	local uid=$1
	shift
	as "$uid" "$VDECTL_BIN" -s "$SOCK" "$@"
}
# ports_of UID: how many ports UID holds over all networks.
ports_of() {
	local out n=0 net
	out=$(vdectl -j network list) || fail "network list"
	for net in $(json_get '.networks[].name' "$out"); do
		n=$((n + $(vdectl -j port list "$net" | jq "[.ports[] | select(.uid == $1)] | length")))
	done
	echo "$n"
}
ports_of_is() {
	[ "$(ports_of "$1")" = "$2" ]
}

cat >"$WORK/vded.conf" <<EOF
{
	"max_networks_per_user": 2,	// comments are allowed
	"max_ports_per_user": 2
}
EOF
expect_rc 0 "$VDED_BIN" -n -f "$WORK/vded.conf"
vded_start -g "$GS" -f "$WORK/vded.conf"

# --- networks
expect_rc 0 vdectl_as $A network create n1 --mode 0666
expect_rc 0 vdectl_as $A network create n2 --mode 0666
expect_rc 6 vdectl_as $A -j network create n3
assert_json '.error.code' limit "$OUT"
assert_json '.error.errno' 28 "$OUT"
assert_contains "$(json_get '.error.message' "$OUT")" "max_networks_per_user" "the quota refusal"
expect_rc 3 vdectl network show n3
grep -q "denied network.create to uid $A" "$WORK/vded.log" || fail "the quota refusal was not logged"
# exist_ok on a network A already has is not a new network: still fine at the quota.
expect_rc 0 vdectl_as $A network create n1 --exist-ok
# The quota is per user: B has its own two.
expect_rc 0 vdectl_as $B network create b1
# Root is not held to it.
expect_rc 0 vdectl network create r1 --mode 0666
expect_rc 0 vdectl network create r2
expect_rc 0 vdectl network create r3
# A network deleted frees its place.
expect_rc 0 vdectl_as $A network delete n2
expect_rc 0 vdectl_as $A -j network create n3 --mode 0666
assert_json '.owner_uid' "$A" "$OUT"
expect_rc 6 vdectl_as $A network create n4

# --- ports: two held by A (one each way in), the third refused each way in.
# (setpriv itself, not the shell function, so that bg_start's PID is the client's and cleanup reaches it.
# The vde_plug streams on stdio: its stdin is a FIFO we hold open, so it never sees EOF.)
mkfifo "$WORK/plug-in"
exec 9<>"$WORK/plug-in"
bg_start setpriv --reuid $A --regid $A --groups "$GS" "$VDECTL_BIN" -s "$SOCK" network attach n1 -- sleep 600
bg_start -o "$WORK/a-plug.log" sh -c 'exec "$@" <"$0"' "$WORK/plug-in" \
	setpriv --reuid $A --regid $A --groups "$GS" vde_plug "vde://$RUN/net/r1"
wait_for ports_of_is $A 2 || fail "A's two ports did not appear"
expect_rc 6 vdectl_as $A -j network attach n3 -- true
assert_json '.error.code' limit "$OUT"
assert_contains "$(json_get '.error.message' "$OUT")" "max_ports_per_user" "the port quota refusal"
# Through the endpoint: vded hangs up on the over-quota client, which must not get a port.
rc=0
as $A timeout 10 vde_plug "vde://$RUN/net/n3" </dev/null >"$WORK/over.log" 2>&1 || rc=$?
[ "$rc" -ne 124 ] || fail "an over-quota vde_plug hung instead of being refused"
assert_eq "$(ports_of $A)" 2 "A's ports after an over-quota endpoint client"
grep -q "uid $A has 2 ports, the most a user may" "$WORK/vded.log" || fail "the endpoint quota refusal was not logged"
# B is not affected by A's quota; root neither.
expect_rc 0 vdectl_as $B network attach n1 -- true
expect_rc 0 vdectl network attach n3 -- true
# A port closed frees its place.
expect_rc 0 vdectl -j port list n1
pa=$(json_get ".ports[] | select(.uid == $A) | .id" "$OUT")
expect_rc 0 vdectl port detach n1 "$pa"
wait_for ports_of_is $A 1 || fail "A's detached port is still counted"
expect_rc 0 vdectl_as $A network attach n3 -- true

vded_stop
log "ok"
