#!/bin/bash
# Network definitions survive a restart (STATE_DIR/networks/NAME.json); corrupt or unreadable
# definitions are logged and skipped while the others load.
. "$(dirname "$0")/lib.sh"
need jq socat

vded_start
expect_rc 0 vdectl network create alpha
expect_rc 0 vdectl network create beta
reply=$(ctl_raw '{"id":1,"method":"network.create","params":{"name":"gamma","description":"kept","max_ports":8,"mac_table_size":32,"mac_aging":60}}')
assert_json '.result.name' gamma "$reply"
vded_stop

for n in alpha beta gamma; do
	jq -e . "$STATE/networks/$n.json" >/dev/null || fail "$n.json missing or not JSON"
done
# Atomic writes leave no temporary files behind.
extra=$(ls -A "$STATE/networks" | grep -v -x -e alpha.json -e beta.json -e gamma.json || true)
[ -z "$extra" ] || fail "stray files in the state dir: $extra"

# Damage: garbage, an empty file, valid JSON of the wrong shape, a directory and a dangling symlink
# where definitions should be. (Root reads mode-000 files, so unreadable means "read fails".)
printf '\x00\x01garbage{{{' >"$STATE/networks/bad.json"
: >"$STATE/networks/empty.json"
echo '{"name": 42, "max_ports": "many"}' >"$STATE/networks/wrongtype.json"
echo '[1,2,3]' >"$STATE/networks/array.json"
mkdir "$STATE/networks/unread.json"
ln -s /nonexistent/target.json "$STATE/networks/dangling.json"

vded_start
expect_rc 0 vdectl -j network list
assert_json '[.networks[].name] | sort | join(",")' "alpha,beta,gamma" "$OUT"
expect_rc 0 vdectl -j network show gamma
assert_json '.description' kept "$OUT"
assert_json '.max_ports' 8 "$OUT"
assert_json '.mac_table_size' 32 "$OUT"
assert_json '.mac_aging' 60 "$OUT"
assert_json '.endpoint' "$RUN/net/gamma" "$OUT"
expect_rc 0 vdectl -j network show alpha
assert_json '.max_ports' 256 "$OUT"
for n in alpha beta gamma; do
	[ -S "$RUN/net/$n/ctl" ] || fail "endpoint of restored network $n missing"
done
for f in bad empty wrongtype array unread dangling; do
	expect_rc 3 vdectl network show "$f"
	grep -q "$f\.json" "$WORK/vded.log" || fail "no log line about $f.json"
done
kill -0 "$VDED_PID" || fail "vded died"

# A restored network works: a client can plug in.
netns_add ns1
plug_tap ns1 t0 alpha
wait_for port_count_is alpha 1 || fail "no port on restored network alpha"

# Deletion is persistent too.
expect_rc 0 vdectl network delete beta
vded_stop
[ ! -e "$STATE/networks/beta.json" ] || fail "beta.json still on disk"
vded_start
expect_rc 0 vdectl -j network list
assert_json '[.networks[].name] | sort | join(",")' "alpha,gamma" "$OUT"
# Ports are not persistent.
assert_json '[.networks[].ports] | add' 0 "$OUT"

vded_stop
log "ok"
