#!/bin/bash
# V4, V17: a plain member of the control socket's group (uid 2471, no admin) tries the admin-only
# methods — ns.create, ns.delete, tap.add, network.connect — on names that do not exist, on its own
# network and on root's namespace and network. Each must be refused with permission-denied (exit 4)
# and change nothing: root's namespace and its interface stay, no namespace, tap or uplink appears.
# And what the user may not see stays invisible: ns.list shows nothing of root's, and root's 0600
# network answers not-found exactly like a network that does not exist.
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq

GS=2470
A=2471
vdectl_a() {
	setpriv --reuid $A --regid $A --groups $GS "$VDECTL_BIN" -s "$SOCK" "$@"
}

vded_start -f /dev/null -g $GS
chmod 0755 "$WORK"
expect_rc 0 vdectl network create rootnet --mode 0600
expect_rc 0 vdectl ns create rootns --net rootnet
[ -e /run/netns/rootns ] || fail "root's namespace was not made"
ports_before=$(port_count rootnet)
expect_rc 0 vdectl_a network create anet

# refused WHAT CMD...: the attacker's command must exit 4 with permission-denied. Every miss is
# collected, so that the failure lists all the attacker got.
BAD=()
refused() {
	local what=$1 out st=0
	shift
	out=$("$@" 2>&1) || st=$?
	if [ "$st" = 0 ]; then
		BAD+=("uid $A did $what: $out")
	elif [ "$st" != 4 ] || [[ $out != *permission-denied* ]]; then
		BAD+=("uid $A, $what: exit $st, not permission-denied: $out")
	fi
}

# --- V4: admin-only methods, whatever the name names.
refused "ns.create on a missing network" vdectl_a -j ns create evil1 --net nosuch
refused "ns.create on its own network" vdectl_a -j ns create evil2 --net anet
refused "ns.create on root's network" vdectl_a -j ns create evil3 --net rootnet
refused "ns.create over root's namespace" vdectl_a -j ns create rootns --net anet
refused "ns.delete of root's namespace" vdectl_a -j ns delete rootns
refused "ns.delete of a missing namespace" vdectl_a -j ns delete nosuch
refused "ns.delete --missing-ok of a missing namespace" vdectl_a -j ns delete nosuch --missing-ok
refused "tap.add on a missing network" vdectl_a -j tap add nosuch evtap1
refused "tap.add on its own network" vdectl_a -j tap add anet evtap2 --up --address 10.9.0.1/1
refused "tap.add on root's network" vdectl_a -j tap add rootnet evtap3
refused "network.connect on a missing network" vdectl_a -j network connect nosuch 'udp://5000->127.0.0.1:5001'
refused "network.connect on its own network" vdectl_a -j network connect anet 'udp://5002->127.0.0.1:5003'
# The same requests on the wire, with the name in every place a policy check might look.
for req in \
	'{"id":1,"method":"ns.create","params":{"name":"evil4","networks":["anet"]}}' \
	'{"id":2,"method":"ns.delete","params":{"name":"rootns"}}' \
	'{"id":3,"method":"tap.add","params":{"network":"nosuch","ifname":"evtap4"}}' \
	'{"id":4,"method":"network.connect","params":{"network":"nosuch","url":"udp://5004->127.0.0.1:5005"}}'; do
	rep=$(printf '%s\n' "$req" | setpriv --reuid $A --regid $A --groups $GS socat -t 2 - "UNIX-CONNECT:$SOCK")
	[ "$(json_get '.error.code' "$rep")" = permission-denied ] ||
		BAD+=("uid $A sent $req and got: $rep")
done
[ ${#BAD[@]} = 0 ] || fail "$(printf '%s\n' "${BAD[@]}")"

# Nothing changed.
[ -e /run/netns/rootns ] || fail "uid $A deleted root's namespace rootns"
for n in evil1 evil2 evil3 evil4; do
	[ ! -e "/run/netns/$n" ] || fail "uid $A created namespace $n"
done
for t in evtap1 evtap2 evtap3 evtap4; do
	! ip link show "$t" >/dev/null 2>&1 || fail "uid $A created tap $t on the host"
done
expect_rc 0 vdectl -j ns list
assert_json '[.namespaces[].name] | join(" ")' rootns "$OUT"
[ "$(port_count rootnet)" = "$ports_before" ] || fail "root's network rootnet lost or gained ports: $(port_count rootnet), was $ports_before"
expect_rc 0 vdectl -j port list anet
assert_json '[.ports[] | select(.kind == "uplink" or .kind == "tap")] | length' 0 "$OUT"
expect_rc 0 vdectl -j network show anet
assert_json '[.taps // [], .uplinks // []] | flatten | length' 0 "$OUT"

# --- V17: root's namespace is not listed to the user...
expect_rc 0 vdectl_a -j ns list
[ "$(json_get '[.namespaces[] | select(.name == "rootns")] | length' "$OUT")" = 0 ] ||
	fail "uid $A sees root's namespace in ns.list: $OUT"
[ "$(json_get '[.namespaces[].interfaces[]? | select(.network == "rootnet")] | length' "$OUT")" = 0 ] ||
	fail "uid $A sees root's interfaces on rootnet in ns.list: $OUT"
# ... and root's 0600 network is answered exactly as a missing one (the name aside).
for verb in "network show" "port list" "mac list"; do
	rc1=0 rc2=0
	# shellcheck disable=SC2086
	hidden=$(vdectl_a -j $verb rootnet 2>&1) || rc1=$?
	# shellcheck disable=SC2086
	missing=$(vdectl_a -j $verb nosuchnet 2>&1) || rc2=$?
	[ "$rc2" = 3 ] || fail "$verb of a missing network: exit $rc2: $missing"
	[ "$rc1" = "$rc2" ] || fail "uid $A learns that root's rootnet exists: '$verb rootnet' exits $rc1 ($hidden), a missing network $rc2"
	assert_eq "${hidden//rootnet/NAME}" "${missing//nosuchnet/NAME}" "uid $A's '$verb' of root's 0600 network vs a missing one"
done

# Root's own view and traffic are untouched: root still sees and uses everything.
expect_rc 0 vdectl -j network show rootnet
assert_json '.name' rootnet "$OUT"
expect_rc 0 vdectl ns delete rootns
[ ! -e /run/netns/rootns ] || fail "root could not delete its namespace"
vded_stop
log "ok"
