#!/bin/bash
# Stream framing on the wire (doc/vde-wire.md §5): our vde_plug in stream mode joined by Debian's dpipe to
# Debian's vde_plug; frames of 60..9234 bytes cross both ways between two ptp:// endpoints held by
# tests/tools/vdeio on Debian's library. Then the same with tools/chop in the middle, which cuts the
# stream towards our vde_plug inside every header and frame and adds empty records; and our vde_plug
# against our vde_plug with the stream cut in both directions. The reference loses frames whose
# header is split, so the cut direction is only ever towards ours.
. "$(dirname "$0")/../integration/lib.sh"
need dpipe vde_plug

DEB=/usr/lib/x86_64-linux-gnu/vdeplug
VDEIO=$BDIR/tests/tools/vdeio
CHOP=$BDIR/tests/tools/chop
OUR_PLUG=$BDIR/bin/vde_plug
for f in "$VDEIO" "$CHOP" "$OUR_PLUG"; do
	[ -x "$f" ] || fail "$f not built"
done
[ -f "$DEB/libvdeplug_ptp.so" ] || skip "Debian's ptp module is not installed"

# our vde_plug on our library; its ptp module is Debian's, so only our loader, vde_plug and vdestream
# are under test here
OURS=$WORK/ours-vde_plug
cat >"$OURS" <<EOS
#!/bin/sh
LD_LIBRARY_PATH="$BDIR/lib" VDEPLUGIN_PATH="$DEB" exec "$OUR_PLUG" "\$@"
EOS
chmod +x "$OURS"

BC=ffffffffffff
STEPS=(
	"A>B:$BC.020000000001.88b5/60"
	"B>A:$BC.020000000002.88b5/60"
	"A>B:$BC.020000000001.88b5/1514"
	"B>A:$BC.020000000002.88b5/1514"
	"A>B:$BC.020000000001.88b5/9234"
	"B>A:$BC.020000000002.88b5/9234"
	"B>A:$BC.020000000002.88b5/14"
	"A>B:$BC.020000000001.88b5/15"
)

# scenario NAME DPIPE-ARGS...: vdeio holds ptp A and B (first openers), dpipe joins them
scenario() {
	local name=$1 out rc=0
	shift
	rm -rf "$WORK/s"
	mkdir -p "$WORK/s"
	log "$name"
	# vdeio opens first (it binds the ptp paths), the cable joins, then vdeio sends (retrying until the
	# cable's ends are there)
	env -u LD_LIBRARY_PATH VDEPLUGIN_PATH="$DEB" "$VDEIO" -t 20 "ptp://$WORK/s/a" "ptp://$WORK/s/b" \
		"${STEPS[@]}" >"$WORK/vdeio-$name.log" 2>&1 &
	local vpid=$!
	BG_PIDS+=("$vpid")
	wait_for test -S "$WORK/s/a" -a -S "$WORK/s/b" || fail "$name: vdeio did not bind its endpoints"
	bg_start -o "$WORK/dpipe-$name.log" dpipe "$@"
	local dpid=$BG_PID
	wait "$vpid" || rc=$?
	cat "$WORK/vdeio-$name.log"
	[ "$rc" -eq 0 ] || { cat "$WORK/dpipe-$name.log"; fail "$name: frames lost or damaged"; }
	[ "$(grep -c '^ok ' "$WORK/vdeio-$name.log")" -eq "${#STEPS[@]}" ] || fail "$name: not every step ran"
	grep -q "^lib: .*/lib/x86_64-linux-gnu/libvdeplug.so.2" "$WORK/vdeio-$name.log" ||
		fail "$name: vdeio did not run on Debian's library"
	bg_kill "$dpid"
}

scenario ours-debian "$OURS" "ptp://$WORK/s/a" = vde_plug "ptp://$WORK/s/b"
scenario debian-ours vde_plug "ptp://$WORK/s/a" = "$OURS" "ptp://$WORK/s/b"
# towards ours every header is split across reads and empty records are mixed in
scenario ours-chop-debian "$OURS" "ptp://$WORK/s/a" = "$CHOP" -z = vde_plug "ptp://$WORK/s/b"
# ours on both sides, cut both ways
scenario ours-chop-ours "$OURS" "ptp://$WORK/s/a" = "$CHOP" -z -l -r = \
	"$OURS" "ptp://$WORK/s/b"

log "ok"
