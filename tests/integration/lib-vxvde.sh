# Shared by tests/integration/t-vxvde-*.sh and the other scenarios with a second vded (t-backend-uplink,
# t-detach-backends): source it right after lib.sh.
#
# A second vded in the test's namespace (its own run and state dirs), clients of either daemon, and
# multicast on lo: the vxvde scenarios put both daemons on one group. Multicast never leaves the
# test's namespace (lo, and veth pairs made there).
#
# Variables: GROUP (an IPv4 group), RUN2, STATE2, SOCK2, VDED2_PID.
# Helpers:   vxvde_lo_multicast, vded2_start, vded2_stop, vdectl2 ARGS, plug RUNDIR NS TAP NETWORK ADDR,
#            vxvde_port_json CTL NETWORK, vxvde_port_id CTL NETWORK.

GROUP=239.77.1.1
RUN2=/run/vde2
STATE2=$WORK/state2
SOCK2=$RUN2/vded.sock
PLUG2_PIDS=()
VDED2_PID=

vdectl2() {
	"$VDECTL_BIN" -s "$SOCK2" "$@"
}

# vxvde_lo_multicast: IPv4 multicast over lo, in this namespace only.
vxvde_lo_multicast() {
	ip link set lo multicast on
	ip route add 224.0.0.0/4 dev lo
}

# vded2_start: a second daemon with its own run and state dirs, in the same namespace.
vded2_start() {
	mkdir -p "$STATE2"
	bg_start -o "$WORK/vded2.log" "$VDED_BIN" -F -v --run-dir "$RUN2" --state-dir "$STATE2" -S "$SOCK2"
	VDED2_PID=$BG_PID
	wait_for vdectl2 daemon info || fail "second vded did not start"
}

# vded2_stop: stop the second daemon and wait for its clients to see the hang-up (Debian's vde_plug
# can crash if our cleanup's SIGTERM lands while it handles one).
vded2_stop() {
	local pid
	bg_kill "$VDED2_PID"
	for pid in "${PLUG2_PIDS[@]}"; do
		wait_for pid_gone "$pid" || fail "vde_plug $pid still running 10 s after the second vded stopped"
	done
	PLUG2_PIDS=()
}

# plug RUNDIR NS TAP NETWORK ADDR: like plug_tap, on the endpoint of the daemon that uses RUNDIR.
plug() {
	local run=$1 ns=$2 tap=$3 net=$4 addr=$5
	bg_start -o "$WORK/plug-$ns-$tap.log" ip netns exec "$ns" vde_plug "vde://$run/net/$net" "tap://$tap"
	# vded_stop and vded2_stop wait for the clients of their daemon to see its hang-up
	if [ "$run" = "$RUN" ]; then
		PLUG_PIDS+=("$BG_PID")
	else
		PLUG2_PIDS+=("$BG_PID")
	fi
	wait_for ip -n "$ns" link show "$tap" || fail "vde_plug did not create $tap in $ns"
	ip -n "$ns" link set "$tap" up
	ip -n "$ns" addr add "$addr" dev "$tap"
}

# vxvde_port_json CTL NET: the vxvde port object of NET through CTL (vdectl or vdectl2).
vxvde_port_json() {
	local out
	out=$("$1" -j port list "$2") || fail "port list $2 failed"
	json_get '.ports[] | select(.kind == "vxvde")' "$out"
}

# vxvde_port_id CTL NET: the id of NET's one vxvde port; fails the test when there is none.
vxvde_port_id() {
	local id
	id=$(json_get '.id' "$(vxvde_port_json "$1" "$2")")
	case $id in
	'' | null | *[!0-9]*) fail "network $2 has no vxvde port (id '$id')" ;;
	esac
	echo "$id"
}
