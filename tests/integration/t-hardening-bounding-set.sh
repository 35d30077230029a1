#!/bin/bash
# vded under the capability bounding set of systemd/vded.service (read from the unit itself): it must
# start, serve, and carry traffic with exactly those capabilities, also with NoNewPrivileges. A unit
# whose set vded cannot live with would leave the service dead at boot.
. "$(dirname "$0")/lib.sh"
need jq setpriv vde_plug ping

unit=$ROOT/systemd/vded.service
[ -f "$unit" ] || fail "$unit is missing"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | grep . | sort -u)
[ -n "$caps" ] || fail "vded.service sets no CapabilityBoundingSet"
# setpriv's syntax: -all,+net_admin,+chown,...
bset=-all
for c in $caps; do
	c=${c#CAP_}
	bset="$bset,+${c,,}"
done
log "bounding set from the unit: $bset"

# vded_start with the unit's bounding set and no_new_privs, as systemd would run it.
mkdir -p "$STATE"
setpriv --bounding-set "$bset" --no-new-privs "$VDED_BIN" -F -v -g 2000 --run-dir "$RUN" --state-dir "$STATE" -S "$SOCK" \
	>>"$WORK/vded.log" 2>&1 &
VDED_PID=$!
wait_for vdectl daemon info || fail "vded did not start under the unit's bounding set: $(tail -n 5 "$WORK/vded.log")"
expect_rc 0 vdectl -j network create lab --group 2000
assert_eq "$(stat -c '%U %g %a' "$RUN/net/lab")" "vded 2000 3750" "lab's endpoint dir (CAP_CHOWN/CAP_FOWNER at work: vded's, the network's group, setgid+sticky)"
netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
plug_tap ns2 t2 lab 10.0.0.2/24
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping through vded under the unit's bounding set"
expect_rc 0 setpriv --reuid 1001 --regid 1001 --groups 2000 "$VDECTL_BIN" -s "$SOCK" network attach lab -- \
	sh -c 'test -S /proc/self/fd/3'
vded_stop
log "ok"
