#!/bin/bash
# V18: descriptions are shown to other users (`vdectl network list`, `port list`) on their terminals.
# A description with a C1 control (CSI, \xc2\x9b), an ESC sequence or a bidi override (U+202E) must be
# refused with invalid-params by every method that takes one; a vde:// endpoint client's description
# (from its handshake, which cannot be refused the same way) must reach `vdectl port list` without
# raw control bytes. Plain UTF-8 text still works.
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq

VDEIO=$BDIR/tests/tools/vdeio
[ -x "$VDEIO" ] || fail "$VDEIO not built"
GS=2470
A=2471
vdectl_a() {
	setpriv --reuid $A --regid $A --groups $GS "$VDECTL_BIN" -s "$SOCK" "$@"
}
vded_start -f /dev/null -g $GS
chmod 0755 "$WORK"
expect_rc 0 vdectl_a network create lab --description "café ünïcode"

C1=$'evil\xc2\x9b31mred'
ESC=$'evil\e[2J\e]0;owned\a'
BIDI=$'evil\xe2\x80\xaetxt.exe'
BAD=()
for d in "$C1" "$ESC" "$BIDI"; do
	shown=$(printf '%q' "$d")
	for cmd in "network create n$RANDOM --description" "network set lab --description" \
		"network attach lab --description"; do
		rc=0
		tail=()
		[[ $cmd == *attach* ]] && tail=(-- true)
		# shellcheck disable=SC2086
		out=$(vdectl_a -j $cmd "$d" "${tail[@]}" 2>&1) || rc=$?
		if [ "$rc" = 0 ] || [[ $out != *invalid-params* ]]; then
			BAD+=("uid $A's '$cmd $shown' was not refused with invalid-params (exit $rc): $(printf '%q' "$out")")
		fi
	done
done
expect_rc 0 vdectl -j network show lab
desc=$(json_get .description "$OUT")
[ "$desc" = "café ünïcode" ] || BAD+=("lab's description became $(printf '%q' "$desc")")

# An endpoint client's description comes from the vde_switch handshake. Its two connections stay
# about 5 s (runts that vded drops, waited for in vain).
"$VDEIO" -t 5 -D "$ESC$BIDI$C1" "vde://$RUN/net/lab" "vde://$RUN/net/lab" \
	'A>B:ffffffffffff 020000000a01 88b5/60' A\>B:0102:! A\>B:0102:! A\>B:0102:! A\>B:0102:! A\>B:0102:! \
	>"$WORK/vdeio.out" 2>&1 &
io=$!
wait_for port_count_is lab 2 || fail "the endpoint clients did not join: $(cat "$WORK/vdeio.out")"
expect_rc 0 vdectl port list lab
human=$OUT
expect_rc 0 vdectl network list
human+=$OUT
wait $io || true
if printf '%s' "$human" | LC_ALL=C grep -qaP '\x1b|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]'; then
	BAD+=("an endpoint client's description reached 'vdectl port list' with raw control bytes: $(printf '%s' "$human" | LC_ALL=C grep -aP '\x1b|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]' | LC_ALL=C grep -oaP '.{0,12}(\x1b|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]).{0,12}' | od -c | head -n 6)")
fi
[ ${#BAD[@]} = 0 ] || fail "$(printf '%s\n' "${BAD[@]}")"
# Plain UTF-8 still shows as it is.
assert_contains "$(vdectl network list)" "café ünïcode" "network list"
vded_stop
log "ok"
