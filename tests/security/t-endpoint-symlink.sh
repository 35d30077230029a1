#!/bin/bash
# Attack class: symlinks in the endpoint directory make vded chown/chmod a file it did not make
# (SECURITY.md V1, V2). Socket group 2470, network group 2480; the attackers are unprivileged:
#   OWNER  (uid 2471; 2470, 2480) creates "lab" in group 2480 and so owns the network;
#   MEMBER (uid 2472; 2470, 2480) is a plain member of lab.
# The targets are stand-ins in a world-searchable root-owned directory, like /etc/shadow: one owned
# by root, one by vded's own user (the engine's files) when that user exists, each 0600 with a secret.
#   V1: OWNER replaces ctl by a symlink to a stand-in and runs `network set lab --mode ...`; MEMBER
#       does the same and root then runs `network set`. vded must not follow the link.
#   V2: OWNER plugs clients in a loop while a thread renames symlinks onto the next per-port data
#       socket name (tests/tools/symrace), bounded in tries and seconds. vded must not follow the link.
# Each stand-in must keep its owner, mode and content; the attackers must read and write neither.
# The victim: two root vde_plug taps in two namespaces ping before and after; a fresh client joins
# after the attacks; a third user's vdectl requests still work.
. "$(dirname "$0")/../integration/lib.sh"
need jq setpriv stat vde_plug ping

SYMRACE=$BDIR/tests/tools/symrace
[ -x "$SYMRACE" ] || fail "$SYMRACE not built (run make)"

GS=2470 GN=2480
OWNER=2471 MEMBER=2472 VICTIM=2473
EP=$RUN/net/lab

as() {
	local uid=$1 groups=$2
	shift 2
	setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
}
vdectl_as() {
	local uid=$1 groups=$2
	shift 2
	as "$uid" "$groups" "$VDECTL_BIN" -s "$SOCK" "$@"
}

# The stand-ins: NAME -> "uid:gid mode" they must keep.
SECRET_DIR=/run/secret
mkdir -m 0755 "$SECRET_DIR"
declare -A KEEP=()
standin() {
	local name=$1 owner=$2 f=$SECRET_DIR/$1
	printf 'secret of %s\n' "$name" >"$f"
	chown "$owner" "$f"
	chmod 0600 "$f"
	KEEP[$f]=$(stat -c '%u:%g %a' "$f")
}
standin shadow root:root
if id -u vded >/dev/null 2>&1; then
	standin vded-state vded:vded
fi

# An attack that worked is recorded (and the stand-ins put back), so that one run shows every one;
# the test fails at the end with the list.
BREACHES=()
breach() {
	echo "BREACH: $*" >&2
	BREACHES+=("$*")
	local f
	for f in "${!KEEP[@]}"; do
		chown "${KEEP[$f]%% *}" "$f"
		chmod "${KEEP[$f]##* }" "$f"
		printf 'secret of %s\n' "$(basename "$f")" >"$f"
	done
}

# check_standins UID GROUPS WHAT: every stand-in still has its owner, mode and content, and the
# attacker UID can neither read nor write one through any symlink it planted in the endpoint dir.
check_standins() {
	local uid=$1 groups=$2 what=$3 f now
	for f in "${!KEEP[@]}"; do
		now=$(stat -c '%u:%g %a' "$f")
		if [ "$now" != "${KEEP[$f]}" ]; then
			breach "$what: vded followed the attacker's symlink: $f (a stand-in, was ${KEEP[$f]}) is now $now"
			return
		fi
	done
	for f in "$EP"/* "$EP"/.[!.]*; do
		[ -L "$f" ] || continue
		if as "$uid" "$groups" cat "$f" 2>/dev/null | grep -q '^secret of'; then
			breach "$what: uid $uid reads a stand-in through $f"
			return
		fi
		as "$uid" "$groups" sh -c "printf pwned >>'$f'" 2>/dev/null || true
	done
	for f in "${!KEEP[@]}"; do
		if [ "$(cat "$f")" != "secret of $(basename "$f")" ]; then
			breach "$what: uid $uid rewrote the stand-in $f: $(head -c 80 "$f")"
			return
		fi
	done
}

tap_gone() {
	! ip -n "$1" link show "$2" >/dev/null 2>&1
}
victim_ping() {
	wait_for -t 10 ip netns exec va ping -c 1 -W 1 10.77.0.2 || fail "$1: victim va -> vb ping failed"
	ip netns exec vb ping -c 2 -i 0.2 -W 2 10.77.0.1 >/dev/null || fail "$1: victim vb -> va ping failed"
}

# vded on one CPU, the attacker on another: V2's race is then between two CPUs, not left to where the
# scheduler happens to put the renaming thread (on vded's CPU it would hardly ever interleave).
ATT_CPU=()
if [ "$(nproc)" -ge 2 ] && taskset -c 0 true 2>/dev/null && taskset -cp 1 $$ >/dev/null 2>&1; then
	ATT_CPU=(taskset -c 0)
fi
vded_start -g "$GS"
expect_rc 0 vdectl_as $OWNER "$GS,$GN" network create lab --group $GN
[ -S "$EP/ctl" ] || fail "no endpoint at $EP/ctl"

netns_add va
netns_add vb
plug_tap va vtap lab 10.77.0.1/24
plug_tap vb vtap lab 10.77.0.2/24
plug_b=$BG_PID
victim_ping "before the attacks"

# ---- V1a: the network's owner swaps ctl for a symlink, then changes the mode (its right).
for f in "${!KEEP[@]}"; do
	# Every way in: unlink + symlink, a rename over ctl, ln -sf. Refusals are the point, not errors.
	as $OWNER "$GS,$GN" sh -c "rm -f '$EP/ctl'; ln -s '$f' '$EP/ctl'" 2>/dev/null || true
	as $OWNER "$GS,$GN" sh -c "ln -s '$f' '$EP/.lnk' && mv -f '$EP/.lnk' '$EP/ctl'" 2>/dev/null || true
	as $OWNER "$GS,$GN" ln -sf "$f" "$EP/ctl" 2>/dev/null || true
	if [ -L "$EP/ctl" ]; then
		log "V1a: the owner replaced ctl by a symlink to $f"
	else
		log "V1a: the owner could not replace ctl (good)"
	fi
	for mode in 0666 0664 0660; do
		expect_rc 0 vdectl_as $OWNER "$GS,$GN" network set lab --mode $mode
	done
	check_standins $OWNER "$GS,$GN" "V1a (owner uid $OWNER, ctl -> $f, network set --mode)"
done

# ---- V1b: a plain member plants the symlink; root later changes the network.
for f in "${!KEEP[@]}"; do
	as $MEMBER "$GS,$GN" sh -c "rm -f '$EP/ctl'; ln -s '$f' '$EP/ctl'" 2>/dev/null || true
	as $MEMBER "$GS,$GN" sh -c "ln -s '$f' '$EP/.lnk2' && mv -f '$EP/.lnk2' '$EP/ctl'" 2>/dev/null || true
	if [ -L "$EP/ctl" ]; then
		log "V1b: the member replaced ctl by a symlink to $f"
	fi
	expect_rc 0 vdectl network set lab --description "root was here"
	expect_rc 0 vdectl network set lab --mode 0666
	expect_rc 0 vdectl network set lab --mode 0660
	check_standins $MEMBER "$GS,$GN" "V1b (member uid $MEMBER, ctl -> $f, root's network set)"
done
ctl_intact=1
if [ -L "$EP/ctl" ] || [ ! -S "$EP/ctl" ]; then
	breach "V1: the attackers replaced the endpoint's ctl (no new client can join lab): $(ls -l "$EP/ctl" 2>&1)"
	ctl_intact=0
fi
victim_ping "after V1"

# ---- V2: race symlinks onto the predictable data socket names while the owner's clients plug
# (on a network of its own, so that V1's outcome does not matter here).
expect_rc 0 vdectl_as $OWNER "$GS,$GN" network create lab2 --group $GN
EP=$RUN/net/lab2
for f in "${!KEEP[@]}"; do
	rc=0
	"${ATT_CPU[@]}" setpriv --reuid $OWNER --regid $OWNER --groups "$GS,$GN" "$SYMRACE" -t 6 -n 20000 "$EP" "$f" >"$WORK/symrace.log" 2>&1 || rc=$?
	cat "$WORK/symrace.log"
	# 0: tried them all; 2: the target changed (vded followed a link); 3: could not plug at all
	[ "$rc" -ne 3 ] || fail "V2: symrace could not plug at all (the test is broken, not the attack): $(tail -n 3 "$WORK/symrace.log")"
	[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || fail "V2: symrace exited $rc"
	check_standins $OWNER "$GS,$GN" "V2 (owner uid $OWNER, symlinks raced onto lab2's data socket names -> $f, $(grep -o 'WON after [0-9]* plugs' "$WORK/symrace.log" || echo "not won"))"
done
EP=$RUN/net/lab

# ---- The victim still works: the old ports pass traffic, a new client joins, requests answer.
victim_ping "after V2"
if [ "$ctl_intact" = 1 ]; then
	bg_kill "$plug_b"
	wait_for tap_gone vb vtap || fail "vb's tap outlived its vde_plug"
	plug_tap vb vtap lab 10.77.0.2/24
	victim_ping "a fresh client after the attacks"
fi
expect_rc 0 vdectl_as $VICTIM "$GS" -j network create vnet
expect_rc 0 vdectl_as $VICTIM "$GS" -j network show vnet
assert_json '.owner_uid' "$VICTIM" "$OUT"
expect_rc 0 vdectl_as $VICTIM "$GS" network delete vnet
expect_rc 0 vdectl -j network show lab
assert_json '.mode' 0660 "$OUT"

if [ "${#BREACHES[@]}" -gt 0 ]; then
	fail "${#BREACHES[@]} attack(s) worked: $(printf '[%s] ' "${BREACHES[@]}")"
fi
vded_stop
log "ok"
