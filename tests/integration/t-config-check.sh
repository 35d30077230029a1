#!/bin/bash
# The configuration file: `vded -n -f FILE` checks it ("configuration OK" / an error and a non-zero
# exit), a bad file stops vded from starting, and the networks a good file lists exist after start.
. "$(dirname "$0")/lib.sh"
need jq

C=$WORK/conf
mkdir -p "$C"
cat >"$C/good.conf" <<'EOF'
{
	"networks": [
		{"name": "default"},
		{"name": "lab2", "description": "from config", "max_ports": 8, "mac_aging": 60}
	]
}
EOF
echo '{"networks": []}' >"$C/empty-list.conf"
echo '{"forward_addresses": ["127.0.0.1", "192.0.2.1"]}' >"$C/forward-addresses.conf"
echo '{"forward_addresses": []}' >"$C/forward-none.conf"
echo '{"forward_addresses": "127.0.0.1"}' >"$C/forward-not-array.conf"
echo '{"forward_addresses": ["localhost"]}' >"$C/forward-not-address.conf"
echo '{"forward_addresses": ["::1"]}' >"$C/forward-ipv6.conf"
printf 'networks = [default]\n' >"$C/not-json.conf"
echo '{"networks": [{"name": "default"}' >"$C/truncated.conf"
echo '{"networks": {"name": "default"}}' >"$C/not-array.conf"
echo '{"networks": [{"name": "bad/name"}]}' >"$C/bad-name.conf"
echo '{"networks": [{"name": "x", "max_ports": "lots"}]}' >"$C/bad-type.conf"
echo '{"networks": [{"name": "x", "max_ports": 100000}]}' >"$C/out-of-range.conf"
echo '{"networks": [{"name": "x", "colour": "red"}]}' >"$C/unknown-param.conf"
echo '{"networks": [{"description": "no name"}]}' >"$C/no-name.conf"
echo '{"networks": [], "no_such_setting": 1}' >"$C/unknown-key.conf"
echo '[]' >"$C/array.conf"

# check_ok FILE: -n accepts FILE.
check_ok() {
	expect_rc 0 "$VDED_BIN" -n -f "$1" --run-dir "$RUN" --state-dir "$STATE"
	assert_contains "$OUT$ERR" "configuration OK" "vded -n -f $(basename "$1")"
}
# check_bad FILE: -n refuses FILE with a message, non-zero, and never says OK.
check_bad() {
	local rc=0
	"$VDED_BIN" -n -f "$1" --run-dir "$RUN" --state-dir "$STATE" >"$WORK/out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "vded -n accepted $(basename "$1"): $(cat "$WORK/out")"
	[ -s "$WORK/out" ] || fail "vded -n rejected $(basename "$1") without a message"
	grep -q "configuration OK" "$WORK/out" && fail "vded -n said OK for $(basename "$1") but exited $rc"
	log "$(basename "$1"): exit $rc: $(head -n 3 "$WORK/out")"
}

check_ok "$C/good.conf"
check_ok "$C/empty-list.conf"
check_ok "$C/forward-addresses.conf"
check_ok "$C/forward-none.conf"
for f in not-json truncated not-array bad-name bad-type out-of-range unknown-param no-name unknown-key array \
	forward-not-array forward-not-address forward-ipv6; do
	check_bad "$C/$f.conf"
done
check_bad "$C/does-not-exist.conf"
# Checking touches nothing: no socket, no endpoints, no definitions.
[ ! -e "$SOCK" ] || fail "vded -n created the control socket"
[ ! -e "$RUN/net" ] || [ -z "$(ls -A "$RUN/net")" ] || fail "vded -n created endpoints"
[ ! -e "$STATE/networks" ] || [ -z "$(ls -A "$STATE/networks")" ] || fail "vded -n wrote definitions"

# A bad configuration keeps the daemon from starting.
rc=0
timeout 10 "$VDED_BIN" -F -f "$C/bad-name.conf" --run-dir "$RUN" --state-dir "$STATE" -S "$SOCK" \
	>"$WORK/bad-start.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "vded -F with a bad config: exit $rc (expected a prompt failure)"
[ ! -S "$SOCK" ] || ! vdectl daemon info >/dev/null 2>&1 || fail "a vded with a bad config is answering"

# A good configuration creates its networks at start.
vded_start -f "$C/good.conf"
expect_rc 0 vdectl -j network list
assert_json '[.networks[].name] | sort | join(",")' "default,lab2" "$OUT"
expect_rc 0 vdectl -j network show lab2
assert_json '.description' "from config" "$OUT"
assert_json '.max_ports' 8 "$OUT"
assert_json '.mac_aging' 60 "$OUT"
[ -S "$RUN/net/default/ctl" ] || fail "endpoint of 'default' missing"
[ -S "$RUN/net/lab2/ctl" ] || fail "endpoint of 'lab2' missing"
# A client can join a configured network.
netns_add ns1
plug_tap ns1 t0 default
wait_for port_count_is default 1 || fail "no port on the configured network"

# Restarting with the same configuration (and the state it left) works and does not duplicate.
vded_stop
vded_start -f "$C/good.conf"
expect_rc 0 vdectl -j network list
assert_json '[.networks[].name] | sort | join(",")' "default,lab2" "$OUT"
vded_stop
log "ok"
