# Shared by tests/integration/t-cloud-*.sh and tests/bench/cloud: source it right after lib.sh.
#
# A local-area cloud: N hosts, each a network namespace "cH" with its own vded (run dir /run/vde-cH,
# socket /run/vde-cH/vded.sock), its underlay veth "eth0" (10.250.H/16) on the bridge "cbr0" of the
# test's own namespace, and a tap "vx0" (10.251.H/16) that vded makes on network "cloud". Multicast
# stays inside the test's namespaces: the bridge is there and every host routes 224.0.0.0/4 to eth0.
# H is 1..N; the third and fourth octets of both addresses are H/256 and H%256.
#
# The kernel's neighbour (ARP) table is one table for all namespaces, 1024 entries at most by default
# (net.ipv4.neigh.default.gc_thresh3), and an entry younger than 5 s cannot be evicted. N hosts on one
# kernel fill about 4 N (N - 1) entries (each host learns every other's overlay and underlay address,
# fast): past that the kernel cannot make an entry, so it neither answers an ARP request nor sends
# to the host ("neighbor table overflow", /proc/net/stat/arp_cache table_fulls) and first pings fail.
# That is the simulation's limit, not the network's: on a real LAN each host has its own table.
# cloud_neigh_room raises the limits of the host (init) namespace for the run, never lowers them, and
# puts back the old values at exit if nobody changed them in between. The limits belong to the
# namespace the test was started in, which a test reaches through fd 7: open it before lib.sh
# re-executes the test in its own namespace, with the line
#     [ -n "${VDE_TEST_IN_NS:-}" ] || exec 7</proc/self/ns/net
#
# Helpers: cloud_neigh_room N, cloud_arp_table_fulls, cloud_bridge, cloud_restart H, cloud_host H, cloud_ctl H ARGS, cloud_net H ARGS (network create cloud ARGS),
#          cloud_tap H, cloud_allpairs N (first pings; sets CLOUD_FAILED CLOUD_PAIRS CLOUD_FAILS),
#          cloud_rss N (total engine RSS in KiB over the N daemons), cloud_mcast_filter (drop IPv4
#          multicast on the bridge).

CLOUD_PIDS=()
CLOUD_NEIGH_OLD=
CLOUD_NEIGH_SET=

cloud_outer() {
	[ -e /proc/self/fd/7 ] || return 1
	nsenter --net=/proc/self/fd/7 "$@"
}

cloud_host_sysctl() {
	cloud_outer sysctl "$@"
}

# cloud_neigh_room N: room in the kernel's neighbour table for N hosts (best effort: logs and goes on).
cloud_neigh_room() {
	local n=$1 need t2 t3
	need=$((4 * n * (n - 1) + 1024))
	t2=$(cloud_host_sysctl -n net.ipv4.neigh.default.gc_thresh2 2>/dev/null) || {
		log "cannot read the host's neighbour table limits: left as they are"
		return 0
	}
	t3=$(cloud_host_sysctl -n net.ipv4.neigh.default.gc_thresh3)
	[ "$t3" -lt $((2 * need)) ] || return 0
	CLOUD_NEIGH_OLD="$t2 $t3"
	CLOUD_NEIGH_SET="$((t2 > need ? t2 : need)) $((2 * need))"
	cloud_host_sysctl -q -w net.ipv4.neigh.default.gc_thresh2="${CLOUD_NEIGH_SET% *}" \
		net.ipv4.neigh.default.gc_thresh3="${CLOUD_NEIGH_SET#* }" || log "cannot raise the neighbour table limits"
	log "neighbour table limits (gc_thresh2 gc_thresh3) $CLOUD_NEIGH_OLD -> $CLOUD_NEIGH_SET for $n hosts"
	trap 'cloud_neigh_rc=$?; cloud_neigh_restore; (exit $cloud_neigh_rc); lib_cleanup' EXIT
}

cloud_neigh_restore() {
	local now
	[ -n "$CLOUD_NEIGH_OLD" ] || return 0
	now="$(cloud_host_sysctl -n net.ipv4.neigh.default.gc_thresh2) $(cloud_host_sysctl -n net.ipv4.neigh.default.gc_thresh3)"
	[ "$now" = "$CLOUD_NEIGH_SET" ] && cloud_host_sysctl -q -w net.ipv4.neigh.default.gc_thresh2="${CLOUD_NEIGH_OLD% *}" \
		net.ipv4.neigh.default.gc_thresh3="${CLOUD_NEIGH_OLD#* }"
	CLOUD_NEIGH_OLD=
	return 0
}

# cloud_arp_table_fulls: how often the kernel could not make a neighbour entry (all namespaces).
cloud_arp_table_fulls() {
	local s=0 v
	for v in $(cloud_outer awk 'NR > 1 { print $13 }' /proc/net/stat/arp_cache 2>/dev/null); do
		s=$((s + 0x$v))
	done
	echo "$s"
}

# cloud_udp_rcvbuf_errors N: datagrams the N hosts' kernels dropped for a full socket buffer.
cloud_udp_rcvbuf_errors() {
	local h s=0 v
	for ((h = 1; h <= $1; h++)); do
		v=$(ip netns exec "c$h" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $6 }' /proc/net/snmp)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

cloud_ip() {
	echo "$1.$(($2 / 256)).$(($2 % 256))"
}

# cloud_bridge: the bridge all hosts' underlay veths join.
cloud_bridge() {
	ip link add cbr0 type bridge
	# IGMP snooping is what a LAN switch does; keep the kernel's default (on) so the test sees it
	ip link set cbr0 up
}

# cloud_mcast_filter: the bridge forwards no IPv4 multicast at all (as in most clouds).
cloud_mcast_filter() {
	command -v nft >/dev/null 2>&1 || skip "nft not installed"
	nft -f - <<'EOF' || skip "no nftables bridge family here"
table bridge cloudfilter {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip daddr 224.0.0.0/4 counter drop
	}
}
EOF
}

# cloud_mcast_dropped: how many multicast datagrams the bridge filter dropped.
cloud_mcast_dropped() {
	nft -j list table bridge cloudfilter | jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add // 0'
}

# cloud_host H [VDED ARGS]: namespace cH on the bridge, its vded started and answering.
cloud_host() {
	local h=$1 run=/run/vde-c$1
	shift
	netns_add "c$h"
	ip link add "cv$h" type veth peer name eth0 netns "c$h"
	ip link set "cv$h" master cbr0 up
	ip -n "c$h" addr add "$(cloud_ip 10.250 "$h")/16" dev eth0
	ip -n "c$h" link set eth0 up
	ip -n "c$h" route add 224.0.0.0/4 dev eth0
	mkdir -p "$WORK/state-c$h"
	bg_start -o "$WORK/vded-c$h.log" ip netns exec "c$h" "$VDED_BIN" -F --run-dir "$run" \
		--state-dir "$WORK/state-c$h" -S "$run/vded.sock" "$@"
	CLOUD_PIDS[$h]=$BG_PID
}

# cloud_restart H [VDED ARGS]: stop host H's vded and start it again on the same state (its networks
# come back from their saved definitions).
cloud_restart() {
	local h=$1 run=/run/vde-c$1
	shift
	bg_kill "${CLOUD_PIDS[$h]}"
	bg_start -o "$WORK/vded-c$h.log" ip netns exec "c$h" "$VDED_BIN" -F --run-dir "$run" \
		--state-dir "$WORK/state-c$h" -S "$run/vded.sock" "$@"
	CLOUD_PIDS[$h]=$BG_PID
	cloud_wait "$h"
}

# cloud_wait H: wait until host H's vded answers.
cloud_wait() {
	wait_for cloud_ctl "$1" daemon info || fail "vded of host $1 did not start"
}

cloud_ctl() {
	local h=$1
	shift
	"$VDECTL_BIN" -s "/run/vde-c$h/vded.sock" "$@"
}

# cloud_net H ARGS: network "cloud" on host H with ARGS (e.g. --vxvde 239.5.5.5), and its tap vx0.
cloud_net() {
	local h=$1
	shift
	cloud_ctl "$h" network create cloud "$@" >/dev/null || fail "network create on host $h failed"
	# a MAC of our own per host: the stable default is derived from the network and tap names alone,
	# the same on every host of a cloud
	cloud_ctl "$h" tap add cloud vx0 --address "$(cloud_ip 10.251 "$h")/16" --up \
		--mac "$(printf '02:c1:00:00:%02x:%02x' $((h / 256)) $((h % 256)))" >/dev/null ||
		fail "tap add on host $h failed"
}

# cloud_allpairs N: (to the overlay addresses, or CLOUD_PREFIX=10.250: the underlay) from every host, one first ping (-c1 -W2) to every other, in order. Sets
# CLOUD_PAIRS, CLOUD_FAILED, and CLOUD_FAILS (the failed "from->to" pairs, space separated).
cloud_allpairs() {
	local n=$1 h targets out
	CLOUD_PAIRS=$((n * (n - 1)))
	CLOUD_FAILED=0
	CLOUD_FAILS=
	for ((h = 1; h <= n; h++)); do
		targets=
		for ((t = 1; t <= n; t++)); do
			[ "$t" -eq "$h" ] || targets="$targets $t:$(cloud_ip "${CLOUD_PREFIX:-10.251}" "$t")"
		done
		# one process per source host: the pings are what is measured, not ip netns exec
		out=$(ip netns exec "c$h" sh -c '
			for tg in '"$targets"'; do
				ping -c1 -W2 -q "${tg#*:}" >/dev/null 2>&1 || echo "${tg%%:*}"
			done')
		for t in $out; do
			CLOUD_FAILED=$((CLOUD_FAILED + 1))
			CLOUD_FAILS="$CLOUD_FAILS $h->$t"
		done
	done
}

# cloud_rss N: the summed resident memory (KiB) of the N daemons (parent and engine of each).
cloud_rss() {
	local n=$1 h total=0 pid kid kb
	for ((h = 1; h <= n; h++)); do
		pid=${CLOUD_PIDS[$h]}
		# bg_start's PID is ip netns exec, which execs vded: the same process
		for kid in $pid $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
			kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$kid/status" 2>/dev/null || echo 0)
			total=$((total + ${kb:-0}))
		done
	done
	echo "$total"
}

# cloud_vxvde_counters H: host H's vxvde port object of network cloud.
cloud_vxvde_port() {
	cloud_ctl "$1" -j port list cloud | jq -c '.ports[] | select(.kind == "vxvde")'
}
