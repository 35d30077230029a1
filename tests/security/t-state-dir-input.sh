#!/bin/bash
# V16, V20: hostile files in the state dir. Before vded starts, the networks/ directory holds, besides
# one good definition: a FIFO named x.json (opening it would block for ever), a definition owned by
# uid 2471, a group-writable one, a symlink to a definition elsewhere, and a stale .y.json.tmp left by a
# crash. vded must start (answer within 10 s: an event bound), log each skipped file by name, remove the
# stale temporary file, and load only the good definition.
. "$(dirname "$0")/../integration/lib.sh"
need jq

NETS=$STATE/networks
vded_start -f /dev/null
expect_rc 0 vdectl network create good --description "the good one"
vded_stop
[ -f "$NETS/good.json" ] || fail "no definition file $NETS/good.json to copy from"

def() {
	jq --arg n "$1" '.name = $n' "$NETS/good.json"
}
mkfifo "$NETS/x.json"
def owned >"$NETS/owned.json"
chown 2471:2471 "$NETS/owned.json"
def gwrite >"$NETS/gwrite.json"
chmod 0664 "$NETS/gwrite.json"
def link >"$WORK/elsewhere.json"
ln -s "$WORK/elsewhere.json" "$NETS/link.json"
def y >"$NETS/.y.json.tmp"
: >"$WORK/vded.log"

"$VDED_BIN" -F -v -f /dev/null --run-dir "$RUN" --state-dir "$STATE" -S "$SOCK" >>"$WORK/vded.log" 2>&1 &
VDED_PID=$!
wait_for -t 10 timeout 1 "$VDECTL_BIN" -s "$SOCK" daemon info ||
	fail "vded did not answer within 10 s of starting with a FIFO and hostile files in its state dir (hung at start; it had loaded: $(grep -o "network [^ ]* created" "$WORK/vded.log" | tr "\n" " "))"
expect_rc 0 vdectl -j network list
names=$(json_get '[.networks[].name] | sort | join(" ")' "$OUT")
BAD=()
[ "$names" = good ] || BAD+=("vded loaded '$names' from the state dir, expected only 'good'")
for f in x.json owned.json gwrite.json link.json; do
	grep -q "${f%.json}" "$WORK/vded.log" || BAD+=("vded skipped or took $f without a log line naming it")
done
[ ! -e "$NETS/.y.json.tmp" ] || BAD+=("the stale $NETS/.y.json.tmp is still there")
[ ${#BAD[@]} = 0 ] || fail "$(printf '%s\n' "${BAD[@]}")"
expect_rc 0 vdectl -j network show good
assert_json '.description' "the good one" "$OUT"
# The hostile files were skipped, not acted on: the symlink's target is untouched.
[ -L "$NETS/link.json" ] || [ ! -e "$NETS/link.json" ] || fail "link.json is no longer a symlink"
[ "$(jq -r .name "$WORK/elsewhere.json")" = link ] || fail "vded changed the symlink's target"
vded_stop
log "ok"
