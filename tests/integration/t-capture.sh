#!/bin/bash
# timeout: 240
# Packet capture (capture.start, vdectl capture): the network's owner, unprivileged, captures a ping
# between two namespaces; tcpdump reads the pcap file and finds the echo request and the reply with the
# right MACs. A pcapng capture of one port, which ends by itself at --count, is read by tcpdump too (and
# tshark, where installed, sees both directions). TCP between two of vded's namespaces (64 KiB offload
# frames) is captured as the wire-size segments vded cuts, flagged in pcapng. A member who may attach is refused a capture, and the
# ping goes on. A capture nobody reads loses its own records (counted in network show) while a flood
# ping crosses the network unharmed. Deleting the network ends a capture with an end record.
. "$(dirname "$0")/lib.sh"
need jq vde_plug ping setpriv tcpdump socat

GS=2100 GL=2000
OWNER=1001 MEMBER=1002 OTHER=1003

as() {
	local uid=$1 groups=$2
	shift 2
	setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
}
vdectl_as() {
	local uid=$1
	shift
	as "$uid" "$GS,$GL" "$VDECTL_BIN" -s "$SOCK" "$@"
}
captures_in() {
	[ "$(vdectl -j network show "$1" | jq -r .captures)" = "$2" ]
}
captures_are() {
	captures_in lab "$1"
}

vded_start -g "$GS"
expect_rc 0 vdectl_as "$OWNER" -j network create lab --group "$GL"
assert_json '.owner_uid' "$OWNER" "$OUT"
expect_rc 0 vdectl -j daemon info
assert_json '.features | index("capture") != null' true "$OUT"

netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
plug_tap ns2 t2 lab 10.0.0.2/24
mac1=$(tap_mac ns1 t1)
mac2=$(tap_mac ns2 t2)
CAP=$WORK/cap
mkdir "$CAP"
chown "$OWNER:$OWNER" "$CAP"

# --- the owner captures the whole network while ns1 pings ns2; Ctrl-C ends it
bg_start -o "$WORK/cap1.log" setpriv --reuid "$OWNER" --regid "$OWNER" --groups "$GS,$GL" \
	"$VDECTL_BIN" -s "$SOCK" -j capture lab -w "$CAP/ping.pcap"
cap1=$BG_PID
wait_for captures_are 1 || fail "the owner's capture did not start: $(cat "$WORK/cap1.log")"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping while capturing"
kill -INT "$cap1"
wait "$cap1" || fail "vdectl capture exited $? on SIGINT: $(cat "$WORK/cap1.log")"
summary=$(cat "$WORK/cap1.log")
assert_json '.ended' closed "$summary"
assert_json '.dropped' 0 "$summary"
assert_json '.frames >= 6' true "$summary"
wait_for captures_are 0 || fail "the capture still runs after its reader closed"

tcpdump -r "$CAP/ping.pcap" -e -n -tt >"$WORK/ping.txt" 2>"$WORK/tcpdump.err" ||
	fail "tcpdump cannot read the pcap file: $(cat "$WORK/tcpdump.err")"
cat "$WORK/ping.txt"
[ "$(grep -c "^[0-9.]* $mac1 > $mac2, .*10.0.0.1 > 10.0.0.2: ICMP echo request" "$WORK/ping.txt")" -eq 3 ] ||
	fail "3 echo requests $mac1 > $mac2 expected in the capture"
[ "$(grep -c "^[0-9.]* $mac2 > $mac1, .*10.0.0.2 > 10.0.0.1: ICMP echo reply" "$WORK/ping.txt")" -eq 3 ] ||
	fail "3 echo replies $mac2 > $mac1 expected in the capture"
# the timestamps are this run's (within a day of now)
first=$(awk 'NR == 1 { print int($1) }' "$WORK/ping.txt")
[ $(( $(date +%s) - first )) -lt 86400 ] || fail "capture timestamps are not the time of capture: $first"

# --- pcapng of ns1's port alone, both directions, until --count
expect_rc 0 vdectl -j mac list lab
p1=$(json_get ".macs[] | select(.mac == \"$mac1\") | .port" "$OUT")
bg_start -o "$WORK/cap2.log" "$VDECTL_BIN" -s "$SOCK" -j capture lab --port "$p1" --count 4 --pcapng \
	-w "$CAP/port.pcapng"
cap2=$BG_PID
wait_for captures_are 1 || fail "the pcapng capture did not start: $(cat "$WORK/cap2.log")"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping while capturing port $p1"
wait_for pid_gone "$cap2" || fail "the capture did not end at --count 4"
wait "$cap2" || fail "vdectl capture --count exited $?: $(cat "$WORK/cap2.log")"
assert_json '.ended' "count reached" "$(cat "$WORK/cap2.log")"
assert_json '.frames' 4 "$(cat "$WORK/cap2.log")"
tcpdump -r "$CAP/port.pcapng" -e -n >"$WORK/port.txt" 2>"$WORK/tcpdump.err" ||
	fail "tcpdump cannot read the pcapng file: $(cat "$WORK/tcpdump.err")"
cat "$WORK/port.txt"
[ "$(wc -l <"$WORK/port.txt")" -eq 4 ] || fail "4 packets expected in the pcapng file"
grep -q "$mac1 > $mac2, .*ICMP echo request" "$WORK/port.txt" || fail "no echo request in the pcapng file"
grep -q "$mac2 > $mac1, .*ICMP echo reply" "$WORK/port.txt" || fail "no echo reply in the pcapng file"
if command -v tshark >/dev/null 2>&1; then
	tshark -r "$CAP/port.pcapng" -T fields -e frame.interface_name -e frame.packet_flags_direction \
		>"$WORK/tshark.txt" 2>/dev/null || fail "tshark cannot read the pcapng file"
	cat "$WORK/tshark.txt"
	grep -q "^port $p1	0x0*1$" "$WORK/tshark.txt" || fail "tshark: no inbound packet on interface 'port $p1'"
	grep -q "^port $p1	0x0*2$" "$WORK/tshark.txt" || fail "tshark: no outbound packet on interface 'port $p1'"
else
	log "tshark not installed: the pcapng directions are checked by tests/unit/test-pcap only"
fi

# --- vded's own taps hand TCP over as 64 KiB offload frames: the capture has them as the segments a
# wire carries (at most 1514 bytes each, checksums complete, flagged in pcapng), many more than the
# frames that crossed vded
expect_rc 0 vdectl network create gso
expect_rc 0 vdectl ns create g1 --net gso
expect_rc 0 vdectl ns create g2 --net gso
NETNS+=(g1 g2)
ip -n g1 addr add 10.7.0.1/24 dev vde0
ip -n g2 addr add 10.7.0.2/24 dev vde0
head -c 2000000 /dev/urandom >"$WORK/blob"
bg_start -o "$WORK/cap-gso.log" "$VDECTL_BIN" -s "$SOCK" -j capture gso --pcapng -w "$CAP/gso.pcapng"
capg=$BG_PID
wait_for captures_in gso 1 || fail "the capture of gso did not start"
bg_start -o "$WORK/recv.log" ip netns exec g2 socat -u TCP-LISTEN:9001,reuseaddr OPEN:/dev/null
recv=$BG_PID
wait_for ip netns exec g2 sh -c "ss -ltn | grep -q ':9001 '" || fail "no listener in g2"
ip netns exec g1 socat -u "OPEN:$WORK/blob" TCP:10.7.0.2:9001 || fail "TCP g1 -> g2 failed while capturing"
wait_for pid_gone "$recv" || fail "the receiver in g2 did not finish"
kill -INT "$capg"
wait "$capg" || fail "vdectl capture of gso exited $?: $(cat "$WORK/cap-gso.log")"
expect_rc 0 vdectl -j port list gso
crossed=$(json_get '[.ports[] | select(.description | test("g1"))][0].rx_frames' "$OUT")
tcpdump -r "$CAP/gso.pcapng" -n -e -vv >"$WORK/gso.txt" 2>"$WORK/tcpdump.err" ||
	fail "tcpdump cannot read the offload capture: $(cat "$WORK/tcpdump.err")"
frames=$(grep -c 'ethertype IPv4' "$WORK/gso.txt")
biggest=$(sed -n 's/.*ethertype IPv4 (0x0800), length \([0-9]*\):.*/\1/p' "$WORK/gso.txt" | sort -n | tail -n 1)
log "offload capture: $frames IPv4 frames, the largest $biggest bytes; g1's port received $crossed frames; $(cat "$WORK/cap-gso.log")"
[ "$biggest" -le 1514 ] || fail "a captured frame is $biggest bytes: offload frames were not segmented"
[ "$biggest" -eq 1514 ] || fail "no full-size segment in the capture (largest $biggest)"
[ "$frames" -gt $((crossed * 2)) ] || fail "the capture has $frames frames, g1's port only $crossed: offload frames not cut"
! grep -q 'incorrect' "$WORK/gso.txt" || fail "tcpdump finds bad checksums in the segments: $(grep -m 3 incorrect "$WORK/gso.txt")"
grep -aq 'segmented by vded from an offloaded frame' "$CAP/gso.pcapng" || fail "no pcapng comment marks the segments"

# --- a member who may attach may not capture (exit 4, permission-denied), and the ping goes on
expect_rc 4 vdectl_as "$MEMBER" -j capture lab -w /dev/null
assert_json '.error.code' permission-denied "$OUT"
assert_contains "$ERR" "a capture shows every user's frames" "the refusal"
expect_rc 4 vdectl_as "$MEMBER" -j capture lab --port "$p1" -w /dev/null
expect_rc 0 vdectl_as "$MEMBER" -j network show lab
assert_json '.captures' 0 "$OUT"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "the ping stopped after the refused capture"
# a port that is not there
expect_rc 3 vdectl -j capture lab --port 200 -w /dev/null
# a user who may not even see the network is told it does not exist
expect_rc 3 setpriv --reuid "$OTHER" --regid "$OTHER" --groups "$GS" "$VDECTL_BIN" -s "$SOCK" capture lab -w /dev/null
assert_contains "$ERR" "network 'lab' does not exist" "the hidden network"

# --- captures are counted against their user (each holds a socket buffer): 8 at most over all
# networks, then limit (exit 6); the ping goes on
expect_rc 0 vdectl_as "$OWNER" network create lab2 --group "$GL"
caps=()
for net in lab lab lab lab lab2 lab2 lab2 lab2; do
	# setpriv itself in the background (not a shell function), so that the signal below reaches vdectl
	bg_start setpriv --reuid "$OWNER" --regid "$OWNER" --groups "$GS,$GL" "$VDECTL_BIN" -s "$SOCK" capture "$net" -w /dev/null
	caps+=("$BG_PID")
done
wait_for captures_in lab2 4 || fail "the owner's 8 captures did not start"
wait_for captures_are 4 || fail "the owner's 8 captures did not start"
expect_rc 6 vdectl_as "$OWNER" -j capture lab2 -w /dev/null
assert_json '.error.code' limit "$OUT"
assert_contains "$ERR" "has 8 captures running, the most a user may" "the per-user limit"
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 || fail "no ping with 8 captures running"
for pid in "${caps[@]}"; do
	bg_kill "$pid" INT
done
wait_for captures_are 0 || fail "the owner's captures did not end"

# --- a capture nobody reads: vdectl writes into a pipe whose reader sleeps, so it stops reading and
# vded's side fills up; vded drops (and counts) records while a flood ping crosses the network whole
mkfifo "$WORK/stuck"
bg_start -o "$WORK/cap3.log" bash -c "exec \"$VDECTL_BIN\" -s \"$SOCK\" capture lab -w - >\"$WORK/stuck\""
cap3=$BG_PID
exec 7<"$WORK/stuck"	# opened, never read
wait_for captures_are 1 || fail "the unread capture did not start"
ip netns exec ns1 ping -f -c 3000 -s 1400 -W 3 10.0.0.2 >"$WORK/flood.txt" 2>&1 || fail "flood ping failed: $(cat "$WORK/flood.txt")"
cat "$WORK/flood.txt"
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/flood.txt")
[ "$received" -ge 2970 ] || fail "the flood ping lost more than 1% with an unread capture: $received of 3000"
expect_rc 0 vdectl -j network show lab
assert_json '.captures' 1 "$OUT"
assert_json '.capture_dropped > 0' true "$OUT"
log "records dropped by the unread capture: $(json_get .capture_dropped "$OUT")"
ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.0.0.1 || fail "no ping after the flood"
exec 7<&-
bg_kill "$cap3"
wait_for captures_are 0 || fail "the unread capture was not ended by its reader going away"

# --- deleting the network ends a capture, with an end record that says so (the vde_plug clients go
# first: Debian's vde_plug can crash on the hang-up of a deleted network)
for pid in "${PLUG_PIDS[@]}"; do
	bg_kill "$pid"
done
PLUG_PIDS=()
bg_start -o "$WORK/cap4.log" "$VDECTL_BIN" -s "$SOCK" -j capture lab -w "$CAP/last.pcap"
cap4=$BG_PID
wait_for captures_are 1 || fail "the last capture did not start"
expect_rc 0 vdectl_as "$OWNER" network delete lab
wait_for pid_gone "$cap4" || fail "the capture did not end with its network"
wait "$cap4" || fail "vdectl capture exited $? when the network went: $(cat "$WORK/cap4.log")"
assert_json '.ended' "network deleted" "$(cat "$WORK/cap4.log")"
kill -0 "$VDED_PID" || fail "vded died"
