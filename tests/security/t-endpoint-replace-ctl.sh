#!/bin/bash
# Attack class: a member of a network's group removes or replaces what others rely on in the
# endpoint directory (SECURITY.md V3). Socket group 2470, network group 2480:
#   VICTIM   (uid 2473; 2470, 2480) owns "lab" and keeps a client and a file of its own in it;
#   ATTACKER (uid 2472; 2470, 2480) is a plain member, so it may create its own client sockets there.
# The attacker tries to rename ctl away, put its own listening socket (a fake switch) in its place,
# unlink it; to unlink, rename or replace the per-port data sockets and the victim's file; and to
# fill the directory until /run (a 16 MiB tmpfs here, like a host's) has no room left.
# Every one must fail: ctl and the others' files keep their inodes, and root can still write /run.
# The victim: two root vde_plug taps in two namespaces ping before and after, a fresh client joins
# after the attacks, the victim's unprivileged client stays plugged, its vdectl requests work.
. "$(dirname "$0")/../integration/lib.sh"
need jq setpriv stat vde_plug ping socat

GS=2470 GN=2480
ATTACKER=2472 VICTIM=2473
EP=$RUN/net/lab

as() {
	local uid=$1 groups=$2
	shift 2
	setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
}
att() {
	as $ATTACKER "$GS,$GN" "$@"
}
vdectl_as() {
	local uid=$1 groups=$2
	shift 2
	as "$uid" "$groups" "$VDECTL_BIN" -s "$SOCK" "$@"
}
# ino PATH: "inode owner", or "gone"
ino() {
	stat -c '%i %u' "$1" 2>/dev/null || echo gone
}
tap_gone() {
	! ip -n "$1" link show "$2" >/dev/null 2>&1
}
victim_ping() {
	wait_for -t 10 ip netns exec va ping -c 1 -W 1 10.77.0.2 || fail "$1: victim va -> vb ping failed"
	ip netns exec vb ping -c 2 -i 0.2 -W 2 10.77.0.1 >/dev/null || fail "$1: victim vb -> va ping failed"
}

# Each attack that worked is recorded; the test fails at the end with the list.
BREACHES=()
breach() {
	echo "BREACH: $*" >&2
	BREACHES+=("$*")
}

# A host-like /run: small, so that filling it is quick and bounded.
mount -o remount,size=16m,nr_inodes=4096 /run

vded_start -g "$GS"
expect_rc 0 vdectl_as $VICTIM "$GS,$GN" network create lab --group $GN
[ -S "$EP/ctl" ] || fail "no endpoint at $EP/ctl"
# Root keeps a second name for the listening socket, to put ctl back after an attack that works
# (so that one run shows every attack). It is outside the endpoint dir, in root's /run.
ln "$EP/ctl" /run/ctl-keep
CTL=$(ino "$EP/ctl")
ctl_check() {
	local now
	now=$(ino "$EP/ctl")
	[ "$now" = "$CTL" ] && return 0
	breach "$1: ctl is now $(ls -la "$EP/ctl" 2>/dev/null || echo gone) (was vded's listener, inode/uid $CTL): new clients reach $2"
	rm -f "$EP/ctl"
	ln /run/ctl-keep "$EP/ctl"
}

netns_add va
netns_add vb
plug_tap va vtap lab 10.77.0.1/24
plug_tap vb vtap lab 10.77.0.2/24
plug_b=$BG_PID
# The victim's own unprivileged client (its data socket in the dir belongs to vded or the victim).
bg_start setpriv --reuid $VICTIM --regid $VICTIM --groups "$GS,$GN" vde_plug "vde://$EP" null://
victim_plug=$BG_PID
wait_for port_count_is lab 3 || fail "the victim's clients did not plug: $(vdectl port list lab)"
# A file and a directory of the victim's own, where members may create files at all (explicit modes:
# a default ACL on the directory may override the victim's umask).
as $VICTIM "$GS,$GN" sh -c "echo victim > '$EP/.victim-file' && chmod 0644 '$EP/.victim-file' &&
	mkdir '$EP/.victim-dir' && chmod 0755 '$EP/.victim-dir'" 2>/dev/null ||
	log "members may not create files in $EP: the victim has no file there to attack"
victim_ping "before the attacks"

declare -A KEEP=()
for f in "$EP"/* "$EP"/.victim-*; do
	[ -e "$f" ] && [ "$f" != "$EP/ctl" ] && KEEP[$f]=$(ino "$f")
done
log "others' files: ${!KEEP[*]}"

# ---- ctl: rename it away; replace it by a socket of the attacker's own; unlink it.
att mv "$EP/ctl" "$EP/.stolen-ctl" 2>/dev/null || true
ctl_check "renamed away by uid $ATTACKER" "nothing (endpoint gone)"
rm -f "$EP/.stolen-ctl"

# The fake switch listens in the endpoint dir if the attacker may create files there, else in a
# directory of its own on the same file system (so that a rename could move it).
mkdir -m 0755 /run/att
chown $ATTACKER:$ATTACKER /run/att
FAKE=$EP/.fake
att sh -c ": >'$FAKE'" 2>/dev/null || FAKE=/run/att/fake
rm -f "$FAKE"
bg_start setpriv --reuid $ATTACKER --regid $ATTACKER --groups "$GS,$GN" \
	socat "UNIX-LISTEN:$FAKE,fork" /dev/null
fake=$BG_PID
wait_for test -S "$FAKE" || fail "the attacker's fake switch did not start at $FAKE"
att mv -f "$FAKE" "$EP/ctl" 2>/dev/null || true
ctl_check "replaced by uid $ATTACKER's own listener" "the attacker's fake switch (man in the middle)"
att sh -c "rm -f '$EP/ctl' && ln -s '$FAKE' '$EP/ctl'" 2>/dev/null || true
ctl_check "replaced by uid $ATTACKER's symlink" "the attacker's fake switch (man in the middle)"
bg_kill "$fake"

att rm -f "$EP/ctl" 2>/dev/null || true
ctl_check "unlinked by uid $ATTACKER" "nothing (endpoint gone)"

# ---- the others' files: per-port data sockets, the victim's file and directory.
for f in "${!KEEP[@]}"; do
	att rm -f "$f" 2>/dev/null || true
	att rmdir "$f" 2>/dev/null || true
	att mv -f "$f" "$EP/.mine" 2>/dev/null || true
	att sh -c "printf x > '$EP/.over' && mv -f '$EP/.over' '$f'" 2>/dev/null || true
	att sh -c "echo attacker > '$f'" 2>/dev/null || true
	now=$(ino "$f")
	if [ "$now" != "${KEEP[$f]}" ]; then
		breach "uid $ATTACKER removed or replaced $f (was inode/uid ${KEEP[$f]}, now $now)"
	elif [ -f "$f" ] && [ "$(cat "$f")" != victim ]; then
		breach "uid $ATTACKER rewrote the victim's $f"
	fi
done
rm -rf "$EP/.mine" "$EP/.over"

victim_ping "after the attacks on ctl and the others' files"
kill -0 "$victim_plug" 2>/dev/null || fail "the victim's unprivileged client was disconnected"

# ---- fill: as many files and bytes as the attacker can (bounded), then root needs room in /run.
att sh -c "dd if=/dev/zero of='$EP/.fill' bs=1M count=32 2>/dev/null; i=0
	while [ \$i -lt 5000 ] && : 2>/dev/null >'$EP/.f'\$i; do i=\$((i + 1)); done; echo \$i" >"$WORK/fill.out" 2>&1 || true
filled="$(du -sh "$EP" 2>/dev/null | cut -f1) in $(ls -A "$EP" | wc -l) entries"
log "the attacker put $filled into $EP"
if ! { : >/run/host-file && mkdir /run/host-dir && head -c 65536 /dev/zero >/run/host-file; } 2>"$WORK/host.err"; then
	breach "uid $ATTACKER filled /run for the whole host ($filled in $EP): root cannot write /run: $(cat "$WORK/host.err")"
fi
expect_rc 0 vdectl_as $VICTIM "$GS" -j daemon info
victim_ping "while the directory is full"
if ! vdectl_as $VICTIM "$GS,$GN" network create vnet2 --group $GN >"$WORK/create.out" 2>&1; then
	breach "uid $ATTACKER's fill of $EP keeps the victim from creating a network: $(cat "$WORK/create.out")"
fi
find "$EP" -mindepth 1 -maxdepth 1 -name '.f*' -delete
rm -rf /run/host-file /run/host-dir

# ---- squat: the attacker takes the next per-port socket names (NNN.SEQ, predictable) in advance;
# a new client of the victim must still plug.
last=$(ls -A "$EP" | sed -n 's/^[0-9][0-9][0-9]\.\([0-9]*\)$/\1/p' | sort -n | tail -n 1)
att sh -c "i=$((${last:-0} + 1)); while [ \$i -le $((${last:-0} + 300)) ]; do
	: >'$EP/000.'\$i; ln -s /run '$EP/001.'\$i; i=\$((i + 1)); done" 2>/dev/null || true
log "the attacker owns $(find "$EP" -maxdepth 1 -user $ATTACKER -name '[0-9]*' | wc -l) numbered names; the last port socket was 000.${last:-?}"
n0=$(port_count lab)
bg_start setpriv --reuid $VICTIM --regid $VICTIM --groups "$GS,$GN" vde_plug "vde://$EP" null://
squat_plug=$BG_PID
wait_for port_count_is lab $((n0 + 1)) ||
	breach "uid $ATTACKER squatted the next data socket names (000.$((${last:-0} + 1)) on): a new client of the victim cannot plug: $(tail -n 2 "$WORK/bg-$BG_N.log")"
bg_kill "$squat_plug"
find "$EP" -maxdepth 1 -user $ATTACKER -name '[0-9]*' -delete

# ---- the victim still works: old ports, a fresh client, its unprivileged client, its requests.
victim_ping "after the attacks"
bg_kill "$plug_b"
wait_for tap_gone vb vtap || fail "vb's tap outlived its vde_plug"
plug_tap vb vtap lab 10.77.0.2/24
victim_ping "a fresh client after the attacks"
kill -0 "$victim_plug" 2>/dev/null || fail "the victim's unprivileged client was disconnected"
expect_rc 0 vdectl_as $VICTIM "$GS,$GN" -j port list lab
assert_json '[.ports[] | select(.uid == '$VICTIM')] | length' 1 "$OUT"
expect_rc 0 vdectl_as $VICTIM "$GS,$GN" network set lab --description "still mine"
vdectl network delete vnet2 >/dev/null 2>&1 || true

if [ "${#BREACHES[@]}" -gt 0 ]; then
	fail "${#BREACHES[@]} attack(s) worked: $(printf '[%s] ' "${BREACHES[@]}")"
fi
vded_stop
log "ok"
