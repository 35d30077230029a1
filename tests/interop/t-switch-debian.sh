#!/bin/bash
# switch://DIR served by our module, joined by Debian's vde_plug (vdeplug4's vde:// client, Debian's
# library). The opener, a Debian vde_plug cabling tap://t0 to switch://, runs twice: on our library
# with our modules, then on Debian's library loading our switch module. Each time: three taps in three
# namespaces ping each other; a known unicast destination is not flooded (MAC learning); an 802.1Q
# tagged frame crosses as it is (trunk); an unplugged client's port goes away; a bad request on ctl
# is answered by closing the connection, and the node keeps serving.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping jq socat

DEBMODS=
for d in /usr/lib/*/vdeplug /usr/lib/vdeplug; do
	[ -e "$d/libvdeplug_vde.so" ] && DEBMODS=$d
done
[ -n "$DEBMODS" ] || skip "Debian's vdeplug modules (libvdeplug2) not installed"
[ -e "$BDIR/lib/libvdeplug.so.2" ] || fail "our libvdeplug.so.2 is not built"
[ -e "$BDIR/lib/vdeplug/libvdeplug_switch.so" ] || fail "our switch module is not built"

mkdir "$WORK/mods"
ln -s "$DEBMODS"/libvdeplug_*.so "$WORK/mods/"
ln -sf "$BDIR/lib/vdeplug/libvdeplug_switch.so" "$WORK/mods/libvdeplug_switch.so"
sysctl -qw net.ipv6.conf.default.disable_ipv6=1
for i in 0 1 2; do
	netns_add "ns$i"
	ip netns exec "ns$i" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done

rx() {
	ip -n "$1" -j -s link show "$2" | jq '.[0].stats64.rx.packets'
}

# tap_into TAP NS ADDR: move a tap made here into NS and configure it.
tap_into() {
	wait_for ip link show "$1" || fail "$1 was not created"
	ip link set "$1" netns "$2"
	ip -n "$2" link set "$1" up
	ip -n "$2" addr add "$3/24" dev "$1"
}

port_files() {
	find "$1" -maxdepth 1 -type s ! -name ctl | wc -l
}

# round LABEL ENV...: one opener with its two clients; everything is stopped at the end.
round() {
	local label=$1 sw=$WORK/sw-$1 opener c1 c2 a b rc
	shift
	bg_start -o "$WORK/opener-$label.log" env "$@" vde_plug tap://t0 "switch://$sw"
	opener=$BG_PID
	wait_for test -S "$sw/ctl" || fail "$label: switch:// did not create $sw/ctl"
	grep -q "$BDIR/lib/vdeplug/libvdeplug_switch.so" "/proc/$opener/maps" || fail "$label: our switch not loaded"
	assert_eq "$(stat -c %a "$sw/ctl")" 600 "$label: default ctl mode"
	tap_into t0 ns0 10.9.0.10
	bg_start -o "$WORK/c1-$label.log" vde_plug "vde://$sw" tap://t1
	c1=$BG_PID
	tap_into t1 ns1 10.9.0.11
	bg_start -o "$WORK/c2-$label.log" vde_plug "vde://$sw" tap://t2
	c2=$BG_PID
	tap_into t2 ns2 10.9.0.12
	assert_eq "$(port_files "$sw")" 2 "$label: data sockets of two clients"

	for a in 0 1 2; do
		for b in 0 1 2; do
			[ "$a" = "$b" ] && continue
			ip netns exec "ns$a" ping -c 2 -i 0.2 -W 3 "10.9.0.1$b" >/dev/null ||
				fail "$label: ping ns$a -> ns$b failed"
		done
	done
	ip netns exec ns1 ping -c 2 -i 0.2 -W 3 -M do -s 1472 10.9.0.12 >/dev/null || fail "$label: 1500-byte ping failed"

	# learning: with neighbours fixed, traffic between two ports reaches nobody else
	for a in 0 1 2; do
		for b in 0 1 2; do
			[ "$a" = "$b" ] && continue
			ip -n "ns$a" neigh replace "10.9.0.1$b" lladdr "$(tap_mac "ns$b" "t$b")" dev "t$a" nud permanent
		done
	done
	a=$(rx ns0 t0)
	b=$(rx ns2 t2)
	ip netns exec ns1 ping -c 10 -i 0.1 -W 3 10.9.0.12 >/dev/null || fail "$label: burst ns1 -> ns2 failed"
	ip netns exec ns0 ping -c 10 -i 0.1 -W 3 10.9.0.11 >/dev/null || fail "$label: burst ns0 -> ns1 failed"
	log "$label: t0 rx +$(($(rx ns0 t0) - a)), t2 rx +$(($(rx ns2 t2) - b)) (a hub would give 30 and 30)"
	# t0 received exactly its 10 echo replies, t2 exactly the 10 requests of the first burst
	assert_eq "$(($(rx ns0 t0) - a))" 10 "$label: frames reaching t0"
	assert_eq "$(($(rx ns2 t2) - b))" 10 "$label: frames reaching t2"
	# 802.1Q: two stream clients (vde_plug on stdin/stdout, 2-byte length framing) X and Y inject
	# tagged frames. A tagged broadcast reaches Y unchanged (trunk); X's MAC learned on VLAN 5 is
	# unknown on VLAN 7, so a frame to it there floods (t0 sees it) while on VLAN 5 it does not.
	stream_client X "$sw" 5
	stream_client Y "$sw" 6
	wait_for port_files_are "$sw" 4 || fail "$label: stream clients did not join"
	a=$(rx ns0 t0)
	send_frame 5 ffffffffffff 02000000000a 0005
	wait_for out_has Y "$(frame_hex ffffffffffff 02000000000a 0005)" ||
		fail "$label: tagged broadcast did not reach Y unchanged"
	assert_eq "$(($(rx ns0 t0) - a))" 1 "$label: tagged broadcast on t0"
	send_frame 6 02000000000a 02000000000b 0005
	wait_for out_has X "$(frame_hex 02000000000a 02000000000b 0005)" ||
		fail "$label: unicast on VLAN 5 did not reach X"
	assert_eq "$(($(rx ns0 t0) - a))" 1 "$label: a learned MAC+VLAN was flooded"
	send_frame 6 02000000000a 02000000000b 0007
	wait_for out_has X "$(frame_hex 02000000000a 02000000000b 0007)" ||
		fail "$label: unicast on VLAN 7 did not flood to X"
	assert_eq "$(($(rx ns0 t0) - a))" 2 "$label: a MAC known on VLAN 5 only was not flooded on VLAN 7"
	bg_kill "$STREAM_X"
	bg_kill "$STREAM_Y"
	exec 5>&- 6>&-
	wait_for port_files_are "$sw" 2 || fail "$label: stream clients' ports still there"

	# a bad request: the node closes the connection (the reference leaves the client hanging)
	printf 'this is not a vde request, but it is long enough to be read in one go ......' >"$WORK/junk"
	rc=0
	timeout 10 socat -t 30 "OPEN:$WORK/junk" "UNIX-CONNECT:$sw/ctl" || rc=$?
	[ "$rc" -ne 124 ] || fail "$label: ctl connection left open after a bad request"
	# a v3 request with a wrong magic number, too
	printf '\xef\xbe\xad\xde\x03\x00\x00\x00\x00\x00\x00\x00' >"$WORK/junk"
	head -c 110 /dev/zero >>"$WORK/junk"
	rc=0
	timeout 10 socat -t 30 "OPEN:$WORK/junk" "UNIX-CONNECT:$sw/ctl" || rc=$?
	[ "$rc" -ne 124 ] || fail "$label: ctl connection left open after a bad magic"
	ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.9.0.10 >/dev/null || fail "$label: node broken by a bad request"

	# unplug: a client's port and its socket file go away, the others keep working
	bg_kill "$c2"
	wait_for port_files_are "$sw" 1 || fail "$label: unplugged client's port still there"
	ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.9.0.10 >/dev/null || fail "$label: ping after unplug failed"

	# closing the switch unplugs its clients and removes its files
	bg_kill "$opener"
	wait_for pid_gone "$c1" || fail "$label: client still running after the switch closed"
	wait_for test ! -e "$sw" || fail "$label: switch directory left behind: $(ls -la "$sw")"
	bg_kill "$c1"
	for a in 0 1 2; do
		ip -n "ns$a" link del "t$a" 2>/dev/null || true
	done
}

# stream_client NAME DIR FD: a Debian vde_plug on DIR in stream mode; frames written to fd FD go in,
# what it receives lands in $WORK/out-NAME. PID in $STREAM_NAME.
stream_client() {
	local fifo=$WORK/in-$1
	rm -f "$fifo" "$WORK/out-$1"
	mkfifo "$fifo"
	eval "exec $3<>\"\$fifo\""
	vde_plug "vde://$2" <"$fifo" >"$WORK/out-$1" 2>"$WORK/stream-$1.log" &
	BG_PIDS+=("$!")
	eval "STREAM_$1=$!"
}

# frame_hex DST SRC VID: a 60-byte 802.1Q frame (ethertype 88b5, zero payload) after its 2-byte length.
frame_hex() {
	printf '003c%s%s8100%s88b5%084d' "$1" "$2" "$3" 0
}

# send_frame FD DST SRC VID
send_frame() {
	local esc
	esc=$(frame_hex "$2" "$3" "$4" | sed 's/../\\x&/g')
	# shellcheck disable=SC2059 # the format is the frame, \xHH escapes only
	printf "$esc" >&"$1"
}

# out_has NAME HEX: stream client NAME has received the framed bytes HEX.
out_has() {
	od -An -tx1 -v "$WORK/out-$1" | tr -d ' \n' | grep -q "$2"
}

port_files_are() {
	[ "$(port_files "$1")" = "$2" ]
}

round ourlib LD_LIBRARY_PATH="$BDIR/lib"
round deblib VDEPLUGIN_PATH="$WORK/mods"
log "ok"
