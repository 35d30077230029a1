#!/bin/bash
# Stats (issue 12): `vdectl stats --prometheus` prints the counters in the Prometheus text exposition
# format, read back by a real parser (Debian's python3-prometheus-client): the documented metric
# names vde_port_{rx,tx}_{frames,bytes}_total, vde_port_tx_dropped_total, vde_port_rx_errors_total
# with labels network, port, kind, and vde_network_ports, with the values port list shows.
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import prometheus_client.parser' 2>/dev/null || skip "python3-prometheus-client not installed"

vded_start
expect_rc 0 vdectl network create lab
expect_rc 0 vdectl network create 'odd.name-1'
netns_add a
netns_add b
plug_tap a t0 lab 10.9.0.1/24
plug_tap b t0 lab 10.9.0.2/24
ip netns exec a ping -c 3 -i 0.2 -W 3 10.9.0.2 >/dev/null || fail "no ping through lab"

expect_rc 0 vdectl stats --prometheus
printf '%s\n' "$OUT" >"$WORK/metrics.txt"
expect_rc 0 vdectl -j port list lab
ports=$OUT
cat >"$WORK/parse.py" <<'EOS'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {"types": {}, "samples": []}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    out["types"][fam.name] = fam.type
    for s in fam.samples:
        out["samples"].append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
EOS
parsed=$("$PY" "$WORK/parse.py" "$WORK/metrics.txt") || fail "the parser refused the output: $(cat "$WORK/metrics.txt")"
for m in rx_frames rx_bytes tx_frames tx_bytes tx_dropped rx_errors; do
	assert_json ".types[\"vde_port_${m}\"]" counter "$parsed"
	for id in $(json_get '.ports[].id' "$ports"); do
		want=$(json_get ".ports[] | select(.id == $id) | .$m" "$ports")
		got=$(json_get "[.samples[] | select(.name == \"vde_port_${m}_total\" and .labels.network == \"lab\" and .labels.port == \"$id\" and .labels.kind == \"endpoint\") | .value] | .[0]" "$parsed")
		# counters only grow: the scrape came first
		[ -n "$got" ] && [ "$got" != null ] || fail "no vde_port_${m}_total for lab port $id: $parsed"
		awk -v g="$got" -v w="$want" 'BEGIN { exit !(g <= w) }' || fail "vde_port_${m}_total of port $id is $got, port list says $want"
	done
done
assert_json '[.samples[] | select(.name == "vde_port_rx_frames_total" and .value >= 3)] | length' 2 "$parsed"
assert_json '.types["vde_network_ports"]' gauge "$parsed"
assert_json '[.samples[] | select(.name == "vde_network_ports" and .labels.network == "lab")][0].value' 2 "$parsed"
assert_json '[.samples[] | select(.name == "vde_network_ports" and .labels.network == "odd.name-1")][0].value' 0 "$parsed"
