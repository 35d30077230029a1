#!/bin/bash
# Attack class: what a network's owner plants in its endpoint directory outlives the network and is
# inherited by the next network of that name (SECURITY.md V19). Socket group 2470:
#   OWNER  (uid 2471; 2470, 2480) creates "lab" in group 2480, plants subdirectories in its endpoint
#          dir (one writable by all, one it locks 0500, each with files, one with a symlink to a
#          root directory outside), then deletes lab;
#   VICTIM (uid 2473; 2470, 2490) then creates "lab" in its own group 2490, which OWNER is not in.
# After the delete the endpoint dir must be gone (and the symlink's target untouched); the new
# lab's dir must hold none of the plants, and OWNER must not be able to write anything into it.
# The victim: two root vde_plug taps ping on the old lab and on the new one; the victim's vdectl
# requests work.
. "$(dirname "$0")/../integration/lib.sh"
need jq setpriv stat vde_plug ping

GS=2470 GN=2480 GV=2490
OWNER=2471 VICTIM=2473
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
victim_ping() {
	wait_for -t 10 ip netns exec va ping -c 1 -W 1 10.77.0.2 || fail "$1: victim va -> vb ping failed"
	ip netns exec vb ping -c 2 -i 0.2 -W 2 10.77.0.1 >/dev/null || fail "$1: victim vb -> va ping failed"
}
BREACHES=()
breach() {
	echo "BREACH: $*" >&2
	BREACHES+=("$*")
}

# A root directory the owner's symlink points at: cleaning up must not follow it.
mkdir -m 0755 /run/keep
echo keep >/run/keep/file

vded_start -g "$GS"
expect_rc 0 vdectl_as $OWNER "$GS,$GN" network create lab --group $GN
netns_add va
netns_add vb
plug_tap va vtap lab 10.77.0.1/24
plug_tap vb vtap lab 10.77.0.2/24
victim_ping "on the owner's lab"

# ---- the plants (each step may be refused: that is fine)
as $OWNER "$GS,$GN" sh -c "
	mkdir '$EP/sub' && chmod 0777 '$EP/sub' && echo planted >'$EP/sub/note' &&
		mkdir '$EP/sub/deep' && echo planted >'$EP/sub/deep/note' && ln -s /run/keep '$EP/sub/deep/link'
	mkdir '$EP/locked' && echo planted >'$EP/locked/note' && chmod 0500 '$EP/locked'
	ln -s /run/keep '$EP/keeplink'
" 2>/dev/null || true
planted=$(cd "$EP" && ls -A | grep -v '^ctl$' | grep -v '^\.denied$' | grep -v '^[0-9]' | tr '\n' ' ' || true)
log "planted: ${planted:-nothing}"

expect_rc 0 vdectl_as $OWNER "$GS,$GN" network delete lab
for pid in "${PLUG_PIDS[@]}"; do
	wait_for pid_gone "$pid" || fail "vde_plug $pid did not exit when lab was deleted"
done
PLUG_PIDS=()
if [ -e "$EP" ]; then
	breach "after network delete, uid $OWNER's plants keep $EP alive: $(ls -lA "$EP" | tr '\n' ';')"
fi
[ -f /run/keep/file ] && [ "$(cat /run/keep/file)" = keep ] ||
	breach "vded followed uid $OWNER's symlink out of $EP while cleaning up: /run/keep/file is gone"

# ---- the victim's new lab, in a group the old owner is not in
if ! vdectl_as $VICTIM "$GS,$GV" -j network create lab --group $GV >"$WORK/create.out" 2>&1; then
	fail "uid $OWNER's plants keep the victim from creating lab: $(cat "$WORK/create.out")"
fi
assert_json '.owner_uid' "$VICTIM" "$(cat "$WORK/create.out")"
# vded's own: ctl, and .denied (a mode-0 socket inode refused clients are pointed at)
left=$(cd "$EP" && ls -A | grep -v '^ctl$' | grep -v '^\.denied$' | tr '\n' ' ' || true)
[ "$(stat -c '%U %a' "$EP/.denied")" = "vded 0" ] || breach "$EP/.denied is not vded's, mode 0: $(ls -lA "$EP" | tr '\n' ';')"
[ -z "$left" ] || breach "the victim's new lab inherited uid $OWNER's plants: $EP holds $left($(ls -lA "$EP" | tr '\n' ';'))"
for f in "$EP/x" "$EP/sub/x" "$EP/sub/deep/x" "$EP/locked/x"; do
	if as $OWNER "$GS,$GN" sh -c "echo owned >'$f'" 2>/dev/null; then
		breach "uid $OWNER, not in the new lab's group, wrote $f into the victim's endpoint"
	fi
done
[ -f /run/keep/file ] || breach "vded followed uid $OWNER's symlink out of $EP: /run/keep/file is gone"

# ---- the victim's traffic and requests on its lab
plug_tap va vtap lab 10.77.0.1/24
plug_tap vb vtap lab 10.77.0.2/24
victim_ping "on the victim's new lab"
expect_rc 0 vdectl_as $VICTIM "$GS,$GV" -j port list lab
assert_json '.ports | length' 2 "$OUT"
expect_rc 0 vdectl_as $VICTIM "$GS,$GV" network set lab --description "the victim's"
! vdectl_as $OWNER "$GS,$GN" network show lab >/dev/null 2>&1 || breach "uid $OWNER sees the victim's new lab"

if [ "${#BREACHES[@]}" -gt 0 ]; then
	fail "${#BREACHES[@]} attack(s) worked: $(printf '[%s] ' "${BREACHES[@]}")"
fi
vded_stop
log "ok"
