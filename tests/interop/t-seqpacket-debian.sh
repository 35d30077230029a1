#!/bin/bash
# seqpacket://FD: the two ends of one SOCK_SEQPACKET socketpair, inherited by two vde_plugs (the way
# user-mode-linux hands vde_plug its end): ours (Debian's vde_plug and library loading our module)
# and Debian's, each cabled to a tap in its own namespace; ping both ways. When Debian's end exits,
# ours reads the hang-up (0) and its vde_plug ends.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug ping perl

LIBDIR=$BDIR/lib
DEBMODS=/usr/lib/x86_64-linux-gnu/vdeplug
[ -e "$LIBDIR/vdeplug/libvdeplug_seqpacket.so" ] || fail "our seqpacket module not built"

netns_add nsa
netns_add nsb

# The launcher: a seqpacket pair, one end per child (the other end closed in each, so that one
# side's exit is the other's EOF); child pids to a file; TERM is passed on.
cat >"$WORK/pair.pl" <<'PERL'
use strict;
use warnings;
use Socket;
my ($pidfile, $ns_a, $ns_b, $mods) = @ARGV;
$^F = 255;	# descriptors up to 255 survive exec
socketpair(my $a, my $b, AF_UNIX, SOCK_SEQPACKET, 0) or die "socketpair: $!";
my ($fa, $fb) = (fileno($a), fileno($b));
my $pa = fork() // die;
if (!$pa) {
	close($b);
	$ENV{VDEPLUGIN_PATH} = $mods;
	exec('ip', 'netns', 'exec', $ns_a, 'vde_plug', "seqpacket://$fa", 'tap://sa') or die "exec: $!";
}
my $pb = fork() // die;
if (!$pb) {
	close($a);
	exec('ip', 'netns', 'exec', $ns_b, 'vde_plug', "seqpacket://$fb", 'tap://sb') or die "exec: $!";
}
close($a);
close($b);
open(my $fh, '>', $pidfile) or die;
print $fh "$pa $pb\n";
close($fh);
$SIG{TERM} = sub { kill('TERM', $pa, $pb); };
while (waitpid(-1, 0) > 0) { }
PERL
bg_start -o "$WORK/pair.log" perl "$WORK/pair.pl" "$WORK/pids" nsa nsb "$LIBDIR/vdeplug:$DEBMODS"
wait_for test -s "$WORK/pids" || fail "launcher failed: $(cat "$WORK/pair.log")"
read -r ours deb <"$WORK/pids"
wait_for ip -n nsa link show sa || fail "our end made no tap: $(cat "$WORK/pair.log")"
wait_for ip -n nsb link show sb || fail "Debian's end made no tap: $(cat "$WORK/pair.log")"
grep -q "$LIBDIR/vdeplug/libvdeplug_seqpacket.so" "/proc/$ours/maps" || fail "our seqpacket module is not loaded"
grep -q "$LIBDIR/vdeplug/libvdeplug_seqpacket.so" "/proc/$deb/maps" && fail "Debian's end loaded ours"

ip -n nsa link set sa up
ip -n nsb link set sb up
ip -n nsa addr add 10.7.0.1/24 dev sa
ip -n nsb addr add 10.7.0.2/24 dev sb
ip netns exec nsa ping -c 3 -i 0.2 -W 3 10.7.0.2 >"$WORK/ping.log" 2>&1 || fail "ping ours -> Debian: $(cat "$WORK/ping.log")"
ip netns exec nsb ping -c 3 -i 0.2 -W 3 10.7.0.1 >"$WORK/ping.log" 2>&1 || fail "ping Debian -> ours: $(cat "$WORK/ping.log")"

# Debian's end goes: ours must see the hang-up and its vde_plug end
kill -TERM "$deb"
wait_for pid_gone "$ours" || fail "our end did not notice its peer's exit"
log "ok"
