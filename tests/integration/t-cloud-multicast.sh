#!/bin/bash
# timeout: 300
# A local-area cloud over multicast: 20 hosts (namespaces, each with its own vded) on one bridge, each
# with network "cloud" on vxvde group 239.5.5.5 and a tap; the first ping from every host to every other
# (380 pairs, ping -c1 -W2) must all succeed. On a failure the kernel's drop counters are printed with
# the failed pairs (neighbour table overflows, UDP receive-buffer drops) and vxvde's own.
# fd 7: the namespace we were started in, for the neighbour table limits (lib-cloud.sh)
[ -n "${VDE_TEST_IN_NS:-}" ] || exec 7</proc/self/ns/net
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-cloud.sh"
need jq ping nsenter

N=20
cloud_neigh_room "$N"
fulls0=$(cloud_arp_table_fulls)
cloud_bridge
for ((h = 1; h <= N; h++)); do
	cloud_host "$h"
done
for ((h = 1; h <= N; h++)); do
	cloud_wait "$h"
	cloud_net "$h" --vxvde 239.5.5.5
done
for ((h = 1; h <= N; h++)); do
	wait_for ip -n "c$h" link show vx0 || fail "no tap on host $h"
done
cloud_allpairs "$N"
if [ "$CLOUD_FAILED" -ne 0 ]; then
	log "neighbour table overflows during the run: $(($(cloud_arp_table_fulls) - fulls0))"
	log "UDP receive-buffer drops: $(cloud_udp_rcvbuf_errors "$N")"
	for ((h = 1; h <= N; h++)); do
		log "host $h vxvde: $(cloud_vxvde_port "$h" | jq -c '{rx_frames, tx_frames, tx_dropped, rx_errors, vxvde}')"
	done
	fail "$CLOUD_FAILED of $CLOUD_PAIRS first pings failed:$CLOUD_FAILS"
fi
log "$CLOUD_PAIRS of $CLOUD_PAIRS first pings answered"

# Every host saw its own multicast come back (loop is on) and counted it, and nothing foreign.
p=$(cloud_vxvde_port 1)
assert_json '.vxvde.rx_own > 0' true "$p"
assert_json '.vxvde.rx_foreign' 0 "$p"
# A datagram that is not vxvde is counted, not taken as a frame.
ip netns exec c2 bash -c 'echo garbage >/dev/udp/239.5.5.5/14789'
foreign_seen() { [ "$(cloud_vxvde_port 1 | jq .vxvde.rx_foreign)" -ge 1 ]; }
wait_for -t 5 foreign_seen ||
	fail "host 1 did not count a foreign datagram: $(cloud_vxvde_port 1)"
for ((h = 1; h <= N; h++)); do
	kill -0 "${CLOUD_PIDS[$h]}" || fail "vded of host $h died"
done
log "ok"
