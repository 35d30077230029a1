#!/bin/bash
# cmd://COMMAND streams a connection through a command's stdin/stdout (vdestream framing, doc/vde-wire.md §5).
#   A: our cmd module (Debian's vde_plug on our library) runs pure-Debian `vde_plug vde://ENDPOINT`
#      in stream mode: the two framings must agree both ways
#   B: Debian's cmd module (pure Debian vde_plug) runs our vde_plug in stream mode on vded://lab
#   A and B sit on one vded network and ping each other.
#   C: our cmd module reads frames from a command that splits them everywhere, inside the 2-byte
#      header too, and mixes in empty frames and a runt: exactly the real frames reach the tap.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping perl jq

LIBDIR=$BDIR/lib
[ -e "$LIBDIR/vdeplug/libvdeplug_cmd.so" ] || fail "our cmd module not built"
[ -x "$BDIR/bin/vde_plug" ] || fail "$BDIR/bin/vde_plug not built"

vded_start
expect_rc 0 vdectl network create lab
netns_add nsa
netns_add nsb
netns_add nsc

bg_start -o "$WORK/a.log" ip netns exec nsa env "LD_LIBRARY_PATH=$LIBDIR" \
	vde_plug tap://ca "cmd://env -u LD_LIBRARY_PATH vde_plug vde://$RUN/net/lab"
pa=$BG_PID
bg_start -o "$WORK/b.log" ip netns exec nsb \
	vde_plug tap://cb "cmd://env LD_LIBRARY_PATH=$LIBDIR $BDIR/bin/vde_plug vded://lab"
pb=$BG_PID
wait_for ip -n nsa link show ca || fail "A: no tap: $(cat "$WORK/a.log")"
wait_for ip -n nsb link show cb || fail "B: no tap: $(cat "$WORK/b.log")"
wait_for port_count_is lab 2 || fail "the commands did not join lab: $(cat "$WORK/a.log" "$WORK/b.log")"
grep -q "$LIBDIR/vdeplug/libvdeplug_cmd.so" "/proc/$pa/maps" || fail "A: our cmd module is not loaded"
grep -q "$LIBDIR/vdeplug/libvdeplug_cmd.so" "/proc/$pb/maps" && fail "B: Debian's plug loaded our cmd module"
ip -n nsa link set ca up
ip -n nsb link set cb up
ip -n nsa addr add 10.8.0.1/24 dev ca
ip -n nsb addr add 10.8.0.2/24 dev cb
ip netns exec nsa ping -c 3 -i 0.2 -W 3 10.8.0.2 >"$WORK/ping.log" 2>&1 || fail "ping A -> B: $(cat "$WORK/ping.log")"
ip netns exec nsb ping -c 3 -i 0.2 -W 3 -s 1400 10.8.0.1 >"$WORK/ping.log" 2>&1 || fail "ping B -> A: $(cat "$WORK/ping.log")"
# closing the cable ends the command (and with it its port)
bg_kill "$pa"
wait_for port_count_is lab 1 || fail "A's command outlived the cable"
log "A <-> B ok"

# C: a generator that writes 20 broadcast frames in pieces, once tap cc is up
cat >"$WORK/gen.pl" <<'PERL'
use strict;
use warnings;
use Time::HiRes qw(sleep);
$| = 1;
my $flags = '/sys/class/net/cc/flags';
sub is_up {
	open(my $fh, '<', $flags) or return 0;
	my $v = <$fh>;
	return 0 unless defined($v);
	chomp($v);
	return hex($v) & 1;
}
for (my $i = 0; !is_up(); $i++) {
	die "cc never came up\n" if $i > 600;
	sleep(0.05);
}
sub piece { syswrite(STDOUT, $_[0]) == length($_[0]) or die "write: $!"; sleep(0.002); }
for my $n (1 .. 20) {
	my $frame = "\xff" x 6 . "\x02\x00\x00\x00\x00" . chr($n) . "\x88\xb5" . chr($n) x 46;
	my $msg = pack('n', length($frame)) . $frame;
	if ($n % 4 == 0) {
		piece(pack('n', 0));			# an empty frame: skipped
		piece(pack('n', 10) . "x" x 10);	# a runt: not a frame
	}
	if ($n % 2) {
		piece(substr($msg, 0, 1));		# split inside the header
		piece(substr($msg, 1, 20));
		piece(substr($msg, 21));
	} else {
		piece(substr($msg, 0, 2));		# split after the header
		piece(substr($msg, 2));
	}
}
sleep(3600);
PERL
bg_start -o "$WORK/c.log" ip netns exec nsc env "LD_LIBRARY_PATH=$LIBDIR" \
	"$BDIR/bin/vde_plug" "cmd://perl $WORK/gen.pl" tap://cc
wait_for ip -n nsc link show cc || fail "C: no tap: $(cat "$WORK/c.log")"
ip netns exec nsc sysctl -qw net.ipv6.conf.cc.disable_ipv6=1
ip -n nsc link set cc up
rx_is() {
	[ "$(ip -n nsc -j -s link show cc | jq -r '.[0].stats64.rx.packets')" = "$1" ]
}
wait_for rx_is 20 ||
	fail "C: tap got $(ip -n nsc -j -s link show cc | jq -r '.[0].stats64.rx.packets') frames, expected 20: $(cat "$WORK/c.log")"
log "C ok"
vded_stop
log "ok"
