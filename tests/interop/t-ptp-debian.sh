#!/bin/bash
# ptp:// against Debian's vdeplug4 4.0.1 ptp module (AF_UNIX datagram flavour, doc/vde-wire.md §6).
#   ours-first:   our end binds PATH, Debian's end binds PATH+ and connects      (ping both ways)
#   debian-first: Debian's end binds PATH, ours binds PATH+                      (ping both ways)
#   stale:        a SIGKILLed end leaves PATH behind; our module replaces it and a Debian peer joins
#   third:        a third opener while both ends are live is refused (EADDRINUSE)
# "Ours" alternates between our vde_plug on our library and Debian's vde_plug loading our module.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq

LIBDIR=$BDIR/lib
DEBMODS=/usr/lib/x86_64-linux-gnu/vdeplug
[ -e "$LIBDIR/vdeplug/libvdeplug_ptp.so" ] || fail "our ptp module not built"
[ -x "$BDIR/bin/vde_plug" ] || fail "$BDIR/bin/vde_plug not built"
OURS_BIN=(env "LD_LIBRARY_PATH=$LIBDIR" "$BDIR/bin/vde_plug")
OURS_MOD=(env "VDEPLUGIN_PATH=$LIBDIR/vdeplug:$DEBMODS" vde_plug)

netns_add nsa
netns_add nsb

tap_into() {
	wait_for ip link show "$2" || fail "no tap $2"
	ip link set "$2" netns "$1"
	ip -n "$1" link set "$2" up
	ip -n "$1" addr add "$3" dev "$2"
}
ping_both() {
	ip netns exec nsa ping -c 3 -i 0.2 -W 3 "$1.2" >"$WORK/ping.log" 2>&1 ||
		fail "$2: ping ours -> Debian failed: $(cat "$WORK/ping.log")"
	ip netns exec nsb ping -c 3 -i 0.2 -W 3 "$1.1" >"$WORK/ping.log" 2>&1 ||
		fail "$2: ping Debian -> ours failed: $(cat "$WORK/ping.log")"
}
loads_ours() {
	grep -q "$LIBDIR/vdeplug/libvdeplug_ptp.so" "/proc/$1/maps" || fail "$2: our ptp module is not loaded"
}

# ours-first
p=$WORK/p1
bg_start -o "$WORK/ours1.log" "${OURS_BIN[@]}" "ptp://$p" tap://ta1
ours=$BG_PID
wait_for test -S "$p" || fail "ours-first: our end did not bind $p: $(cat "$WORK/ours1.log")"
bg_start -o "$WORK/deb1.log" vde_plug "ptp://$p" tap://tb1
deb=$BG_PID
wait_for test -S "$p+" || fail "ours-first: Debian's end did not bind $p+"
loads_ours "$ours" ours-first
tap_into nsa ta1 10.1.0.1/24
tap_into nsb tb1 10.1.0.2/24
ping_both 10.1.0 ours-first
bg_kill "$ours"
bg_kill "$deb"
log "ours-first ok"

# debian-first
p=$WORK/p2
bg_start -o "$WORK/deb2.log" vde_plug "ptp://$p" tap://tb2
deb=$BG_PID
wait_for test -S "$p" || fail "debian-first: Debian's end did not bind $p"
bg_start -o "$WORK/ours2.log" "${OURS_MOD[@]}" "ptp://$p" tap://ta2
ours=$BG_PID
wait_for test -S "$p+" || fail "debian-first: our end did not bind $p+: $(cat "$WORK/ours2.log")"
loads_ours "$ours" debian-first
tap_into nsa ta2 10.2.0.1/24
tap_into nsb tb2 10.2.0.2/24
ping_both 10.2.0 debian-first
log "debian-first ok"

# third: both ends of p2 are live
expect_rc 1 "${OURS_BIN[@]}" "ptp://$p" null://
assert_contains "$ERR" "Address already in use" "third opener's error"
kill -0 "$ours" && kill -0 "$deb" || fail "third: a live end died when a third opener was refused"
bg_kill "$ours"
bg_kill "$deb"
log "third ok"

# stale: a killed first end leaves its socket; ours takes PATH over, Debian's end joins it
p=$WORK/p3
bg_start -o "$WORK/dead.log" "${OURS_BIN[@]}" "ptp://$p" null://
wait_for test -S "$p" || fail "stale: first end did not bind $p"
bg_kill "$BG_PID" KILL
test -S "$p" || fail "stale: SIGKILL removed $p (the case is not exercised)"
bg_start -o "$WORK/ours3.log" "${OURS_BIN[@]}" "ptp://$p" tap://ta3
ours=$BG_PID
wait_for ip link show ta3 || fail "stale: our end failed: $(cat "$WORK/ours3.log")"
bg_start -o "$WORK/deb3.log" vde_plug "ptp://$p" tap://tb3
deb=$BG_PID
wait_for test -S "$p+" || fail "stale: Debian's end did not join"
tap_into nsa ta3 10.3.0.1/24
tap_into nsb tb3 10.3.0.2/24
ping_both 10.3.0 stale
log "stale ok"
log "ok"
