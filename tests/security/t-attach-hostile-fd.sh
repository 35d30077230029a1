#!/bin/bash
# V6, V8, V9: a member of a network's group (uid 2471) hands vded hostile descriptors with
# network.attach {"fd": true}: an AF_UNIX datagram socket connected to a listener the test owns, a UDP
# socket connected to another, a netlink socket, /dev/zero, a ptmx, and the peer of its own
# already-attached socketpair end (a self-loop). Each must be refused with invalid-params and a message;
# the listeners must receive nothing (vded must not send the user's frames, with root's credentials,
# to a service), and a victim's broadcast between two good ports must arrive exactly once (no loop, no
# flood of /dev/zero "frames"). A good socketpair end and a real tap the user may open still work.
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq ip

TOOL=$BDIR/tests/tools/fdattack
[ -x "$TOOL" ] || fail "$TOOL not built"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
GS=2470
A=2471
vded_start -f /dev/null -g $GS
chmod 0755 "$WORK"
expect_rc 0 vdectl network create lab

as_a() {
	setpriv --reuid $A --regid $A --groups $GS "$@"
}

# attack KIND [ARG]: run the tool as the attacker; its output is in $WORK/KIND.out.
attack() {
	local kind=$1
	shift
	timeout 20 setpriv --reuid $A --regid $A --groups $GS "$TOOL" "$SOCK" lab "$kind" "$@" >"$WORK/$kind.out" 2>&1 ||
		fail "fdattack $kind did not run: $(cat "$WORK/$kind.out")"
	REPLY_LINE=$(sed -n 's/^attack: //p' "$WORK/$kind.out")
	VICTIM=$(sed -n 's/^victim: \([0-9]*\) frames$/\1/p' "$WORK/$kind.out")
}

# refused_fd WHAT KIND [ARG]: the hostile descriptor is refused with invalid-params and a message, and
# the victim's broadcast arrives once. Misses are collected in BAD: the failure lists all of them.
BAD=()
refused_fd() {
	local what=$1
	shift
	attack "$@"
	if [ "$(json_get '.error.code // "accepted"' "$REPLY_LINE")" != invalid-params ]; then
		BAD+=("vded took $what as a port of uid $A (wanted invalid-params): $REPLY_LINE")
	elif [ -z "$(json_get '.error.message // ""' "$REPLY_LINE")" ]; then
		BAD+=("the refusal of $what says nothing: $REPLY_LINE")
	fi
	[ "$VICTIM" = 1 ] || BAD+=("after uid $A's $what, a victim's one broadcast came out ${VICTIM:-?} times (1 expected)")
}

# V6: sockets connected elsewhere. The listeners belong to root; the attacker may write to them itself,
# but vded must not become its sender.
bg_start -o "$WORK/listen-unix.log" "$TOOL" -l "unix:$WORK/listen.sock" 6
lu=$BG_PID
bg_start -o "$WORK/listen-udp.log" "$TOOL" -l udp:5555 6
ld=$BG_PID
wait_for grep -q listening "$WORK/listen-unix.log" || fail "the unix listener did not start"
wait_for grep -q listening "$WORK/listen-udp.log" || fail "the udp listener did not start"
refused_fd "an AF_UNIX datagram socket connected to root's listener" unix "$WORK/listen.sock"
refused_fd "a UDP socket connected to 127.0.0.1:5555" udp 5555
wait "$lu" || true
wait "$ld" || true
got=$(sed -n 's/^got //p' "$WORK/listen-unix.log")
[ "$got" = 0 ] || BAD+=("root's AF_UNIX listener received ${got:-?} datagrams sent by vded for uid $A")
got=$(sed -n 's/^got //p' "$WORK/listen-udp.log")
[ "$got" = 0 ] || BAD+=("root's UDP listener received ${got:-?} datagrams sent by vded for uid $A")

refused_fd "a netlink socket" netlink
# V9: character devices that are not taps.
refused_fd "/dev/zero" open /dev/zero
refused_fd "a ptmx" open /dev/ptmx
# V8: the peer of its own attached socketpair end: one broadcast would loop for ever.
refused_fd "the peer of its own attached port (a self-loop)" selfloop
[ ${#BAD[@]} = 0 ] || fail "$(printf '%s\n' "${BAD[@]}")"

# What is legitimate still works: a socketpair end...
attack pair
[ "$(json_get '.result.port.kind // .error.code' "$REPLY_LINE")" = fd ] || fail "a good socketpair end was refused: $REPLY_LINE"
[ "$VICTIM" = 1 ] || fail "with a good socketpair attached, a broadcast came out ${VICTIM:-?} times"
# ... and a tap the user may open (made for uid A by root here, on a /dev/net/tun opened by root, which
# is 0600 on some hosts; vdens opens one in its own user namespace).
ip tuntap add dev utap0 mode tap user $A
ip link set utap0 up
tap_rx() {
	ip -j -s link show utap0 | jq '.[0].stats64.rx.packets'
}
rx0=$(tap_rx)
attack tap utap0 3<>/dev/net/tun
[ "$(json_get '.result.port.kind // .error.code' "$REPLY_LINE")" = fd ] || fail "uid $A's own tap was refused: $REPLY_LINE"
[ "$VICTIM" = 1 ] || fail "with a tap attached, a broadcast came out ${VICTIM:-?} times"
# (the interface's counters, from this namespace: /sys shows the host's)
rx=$(($(tap_rx) - rx0))
[ "$rx" -ge 1 ] || fail "the tap got no frame from vded (rx +$rx)"

# Nothing hostile stayed attached: every port went with the tool's connection.
wait_for port_count_is lab 0 || fail "ports outlived the attacker's connections: $(vdectl port list lab)"
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok"
