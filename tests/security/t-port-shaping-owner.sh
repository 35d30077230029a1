#!/bin/bash
# A user who attached to a network (uid 2471, a member of its group, not its owner) must not lift
# the rate limits and impairment the owner put on its port: port.set on its own port, with each
# shaping key, --clear-shaping and the raw request, is permission-denied (exit 4), and the limits stay,
# in force and saved. Detaching and attaching again at the same port number finds them again. The
# owner's other users' traffic goes on meanwhile.
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq vde_plug ping socat

GS=2470
A=2471
as_a() {
	setpriv --reuid $A --regid $A --groups $GS "$@"
}

vded_start -f /dev/null -g $GS
chmod 0755 "$WORK"
expect_rc 0 vdectl network create shared --group $GS --mode 0660

# the victims: two namespaces on the same network, pinging each other throughout
netns_add ns1
netns_add ns2
plug_tap ns1 t1 shared 10.0.0.1/24
plug_tap ns2 t2 shared 10.0.0.2/24
ip netns exec ns1 ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null || fail "no ping between the victims"
bg_start -o "$WORK/victim-ping.log" ip netns exec ns1 ping -n -i 0.05 -W 1 10.0.0.2
victim=$BG_PID

# the attacker's port, held by its own command, at port number 100
bg_start -o "$WORK/attach.log" setpriv --reuid $A --regid $A --groups $GS \
	"$VDECTL_BIN" -s "$SOCK" network attach shared --port 100 -- sleep 120
holder=$BG_PID
wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j port list shared | jq -e '.ports[] | select(.id == 100 and .uid == $A)'" ||
	fail "the attacker's port did not appear: $(cat "$WORK/attach.log")"

# the owner (root) limits it
expect_rc 0 vdectl port set shared 100 --rate-in 1M --rate-out 2M --delay 20 --loss 10

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
refused "--clear-shaping" as_a "$VDECTL_BIN" -s "$SOCK" -j port set shared 100 --clear-shaping
refused "--rate-in 0" as_a "$VDECTL_BIN" -s "$SOCK" -j port set shared 100 --rate-in 0
refused "--rate-out 1G" as_a "$VDECTL_BIN" -s "$SOCK" -j port set shared 100 --rate-out 1G
refused "--delay 0" as_a "$VDECTL_BIN" -s "$SOCK" -j port set shared 100 --delay 0
refused "--loss 0" as_a "$VDECTL_BIN" -s "$SOCK" -j port set shared 100 --loss 0
refused "limits on a victim's port" as_a "$VDECTL_BIN" -s "$SOCK" -j port set shared 1 --loss 100
for req in \
	'{"id":1,"method":"port.set","params":{"network":"shared","port":100,"clear_shaping":true}}' \
	'{"id":2,"method":"port.set","params":{"network":"shared","port":100,"rate_in":0,"rate_out":0,"delay":0,"loss":0}}'; do
	rep=$(printf '%s\n' "$req" | as_a socat -t 2 - "UNIX-CONNECT:$SOCK")
	[ "$(json_get '.error.code' "$rep")" = permission-denied ] || BAD+=("uid $A sent $req and got: $rep")
done

# what it may do: detach its own port; the number keeps its limits for whoever attaches there next
expect_rc 0 as_a "$VDECTL_BIN" -s "$SOCK" port detach shared 100
wait_for sh -c "! '$VDECTL_BIN' -s '$SOCK' -j port list shared | jq -e '.ports[] | select(.id == 100)'" ||
	fail "the attacker's port was not detached"
bg_kill "$holder"
bg_start -o "$WORK/attach2.log" setpriv --reuid $A --regid $A --groups $GS \
	"$VDECTL_BIN" -s "$SOCK" network attach shared --port 100 -- sleep 120
wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j port list shared | jq -e '.ports[] | select(.id == 100)'" ||
	fail "the attacker could not attach again: $(cat "$WORK/attach2.log")"

expect_rc 0 vdectl -j port list shared
assert_json '.ports[] | select(.id == 100) | .shaping.rate_in' 1000000 "$OUT"
assert_json '.ports[] | select(.id == 100) | .shaping.rate_out' 2000000 "$OUT"
assert_json '.ports[] | select(.id == 100) | .shaping.delay' 20 "$OUT"
assert_json '.ports[] | select(.id == 100) | .shaping.loss' 10 "$OUT"
jq -e '.ports["100"].rate_in == 1000000 and .ports["100"].loss == 10' "$STATE/networks/shared.json" >/dev/null ||
	BAD+=("the saved limits changed: $(cat "$STATE/networks/shared.json")")

# nor does attaching at another number escape a default the owner set
expect_rc 0 vdectl port set shared default --rate-in 1M
bg_start -o "$WORK/attach3.log" setpriv --reuid $A --regid $A --groups $GS \
	"$VDECTL_BIN" -s "$SOCK" network attach shared --port 101 -- sleep 120
wait_for sh -c "'$VDECTL_BIN' -s '$SOCK' -j port list shared | jq -e '.ports[] | select(.id == 101)'" ||
	fail "the attacker could not attach at 101: $(cat "$WORK/attach3.log")"
expect_rc 0 vdectl -j port show shared 101
assert_json '.shaping.rate_in' 1000000 "$OUT"
refused "default --clear-shaping" as_a "$VDECTL_BIN" -s "$SOCK" -j port set shared default --clear-shaping
refused "its new number, --rate-in 0" as_a "$VDECTL_BIN" -s "$SOCK" -j port set shared 101 --rate-in 1G

# the victims' traffic went on all along
kill -0 "$victim" 2>/dev/null || BAD+=("the victims' ping stopped")
ip netns exec ns1 ping -c 5 -i 0.1 -W 2 10.0.0.2 >/dev/null || BAD+=("the victims can no longer ping")
bg_kill "$victim" INT
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/victim-ping.log")
[ "${got:-0}" -gt 0 ] || BAD+=("the victims' background ping got no reply")
kill -0 "$VDED_PID" || fail "vded died"

if [ ${#BAD[@]} -gt 0 ]; then
	printf 'FAIL: %s\n' "${BAD[@]}" >&2
	fail "${#BAD[@]} attempt(s) got through"
fi
log "every attempt refused; limits kept; the victims' traffic went on"
