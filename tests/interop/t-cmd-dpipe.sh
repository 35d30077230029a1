#!/bin/bash
# Our vde_plug and dpipe join a vded network and a Debian vde_switch, each with a tap in its own
# namespace, and the taps ping each other through the cable, in each of the cable forms:
#   dpipe vde_plug vde://LAB = vde_plug vde://SW     (our dpipe, our vde_plug in stream mode)
#   vde_plug vde://LAB = vde_plug vde://SW           (the "= cmd" form)
#   vde_plug vde://LAB vde://SW                      (two plugs in one process)
#   dpipe vde_plug vde://LAB = chop = vde_plug ...   (a middle stage: $ALTERNATE_STDIN/STDOUT)
# and the switch shows the description given with -D.
. "$(dirname "$0")/../integration/lib.sh"
need vde_switch vde_plug ping socat

OUR_PLUG=$BDIR/bin/vde_plug
OUR_DPIPE=$BDIR/bin/dpipe
CHOP=$BDIR/tests/tools/chop
for f in "$OUR_PLUG" "$OUR_DPIPE" "$CHOP"; do
	[ -x "$f" ] || fail "$f not built"
done
[ -f "$BDIR/lib/vdeplug/libvdeplug_vde.so" ] || fail "our vde module is not built"
# our commands on our library and our modules (Debian's plugs stay on Debian's: they are the reference)
unset VDEPLUGIN_PATH
OURENV=(env LD_LIBRARY_PATH="$BDIR/lib")

vded_start
expect_rc 0 vdectl network create lab
LAB=vde://$RUN/net/lab
SW=$WORK/sw
vde_switch -d -s "$SW" -M "$WORK/sw.mgmt" -p "$WORK/sw.pid" >"$WORK/switch.log" 2>&1 ||
	fail "Debian vde_switch did not start"
wait_for test -s "$WORK/sw.pid" || fail "no vde_switch pid file"
BG_PIDS+=("$(cat "$WORK/sw.pid")")

netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
bg_start -o "$WORK/plug-ns2.log" ip netns exec ns2 vde_plug "vde://$SW" tap://t2
wait_for ip -n ns2 link show t2 || fail "Debian vde_plug did not create t2"
ip -n ns2 link set t2 up
ip -n ns2 addr add 10.0.0.2/24 dev t2

# no cable yet: the two sides are apart
if ip netns exec ns1 ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; then
	fail "ping works before any cable"
fi

# cable NAME CMD...: start the cable, ping both ways through it, show its description, remove it
cable() {
	local name=$1
	shift
	log "cable: $name"
	bg_start -o "$WORK/cable-$name.log" "$@"
	local pid=$BG_PID
	ip netns exec ns1 ping -c 3 -i 0.2 -W 5 10.0.0.2 || { cat "$WORK/cable-$name.log"; fail "$name: ns1 -> ns2"; }
	ip netns exec ns2 ping -c 3 -i 0.2 -W 5 10.0.0.1 || fail "$name: ns2 -> ns1"
	# a full-size frame crosses too
	ip netns exec ns1 ping -c 2 -i 0.2 -W 5 -M do -s 1472 10.0.0.2 || fail "$name: 1500-byte ping"
	kill -0 "$pid" 2>/dev/null || fail "$name: the cable exited"
	bg_kill "$pid"
	# with the cable gone the vded port goes away (EOF on the ctl connection)
	wait_for port_count_is lab 1 || fail "$name: the cable's port stayed on lab"
}

cable dpipe "${OURENV[@]}" "$OUR_DPIPE" "$OUR_PLUG" -D dpipe-left "$LAB" = "$OUR_PLUG" -D dpipe-right "vde://$SW"
cable eq-cmd "${OURENV[@]}" "$OUR_PLUG" "$LAB" = "$OUR_PLUG" "vde://$SW"
cable two-plugs "${OURENV[@]}" "$OUR_PLUG" -D cable-descr "$LAB" "vde://$SW"
cable dpipe-chop "${OURENV[@]}" "$OUR_DPIPE" "$OUR_PLUG" "$LAB" = "$CHOP" -z -l -r = "$OUR_PLUG" "vde://$SW"

# the description given with -D reaches the switch, with the user and pid the library appends
log "description"
bg_start -o "$WORK/cable-descr.log" "${OURENV[@]}" "$OUR_PLUG" -D my-cable-descr "$LAB" "vde://$SW"
pid=$BG_PID
ports=""
for ((i = 0; i < 50; i++)); do
	ports=$( (printf 'port/print\n'; sleep 0.3) | socat -t 1 - "UNIX-CONNECT:$WORK/sw.mgmt" 2>/dev/null || true)
	case $ports in *"my-cable-descr user="*" pid=$pid"*) break ;; esac
	sleep 0.1
done
assert_contains "$ports" "my-cable-descr user=root pid=$pid" "vde_switch port/print"
bg_kill "$pid"

vded_stop
log "ok"
