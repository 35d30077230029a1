#!/bin/bash
# udp:// against Debian's vdeplug4 udp module, IPv4 and IPv6 on lo: one end ours, the other Debian's,
# each cabled to a tap that is then moved into its own namespace; ping both ways.
#   v4: our vde_plug on our library and modules        <->  Debian vde_plug
#   v6: Debian's vde_plug and library with our modules  <->  Debian vde_plug  (bracketed [::1] on our side)
# Then a stranger sends frame-sized datagrams to our port: our module must drop them (the tap sees
# exactly what the Debian end sent) and the cable must survive them.
. "$(dirname "$0")/../integration/lib.sh"
need vde_plug socat ping jq

LIBDIR=$BDIR/lib
DEBMODS=/usr/lib/x86_64-linux-gnu/vdeplug
[ -e "$LIBDIR/vdeplug/libvdeplug_udp.so" ] || fail "our udp module not built"
[ -x "$BDIR/bin/vde_plug" ] || fail "$BDIR/bin/vde_plug not built"

netns_add nsa
netns_add nsb

# link_count NS DEV rx|tx: packets counter.
link_count() {
	ip -n "$1" -j -s link show "$2" | jq -r ".[0].stats64.$3.packets"
}
# tap_into NS TAP ADDR: move a tap made here into NS and configure it (IPv6 off: no stray traffic).
tap_into() {
	wait_for ip link show "$2" || fail "no tap $2"
	ip link set "$2" netns "$1"
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip -n "$1" link set "$2" up
	ip -n "$1" addr add "$3" dev "$2"
}
counts_match() {
	local ta_rx tb_tx
	ta_rx=$(link_count nsa "$1" rx)
	tb_tx=$(link_count nsb "$2" tx)
	[ $((ta_rx - TA_RX0)) -eq $((tb_tx - TB_TX0)) ]
}
# junk_frame: a 60-byte broadcast Ethernet frame (ethertype 0x88b5, local experimental).
junk_frame() {
	printf '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x99\x88\xb5'
	head -c 46 /dev/zero
}

n=0
for round in v4 v6; do
	n=$((n + 1))
	case $round in
	v4)
		ours=(env "LD_LIBRARY_PATH=$LIBDIR" "$BDIR/bin/vde_plug")
		our_vnl="udp://5000->127.0.0.1:5001"
		deb_vnl="udp://5001->127.0.0.1:5000"
		junk_to=(UDP4-SENDTO:127.0.0.1:5000,sourceport=5999)
		;;
	v6)
		ours=(env "VDEPLUGIN_PATH=$LIBDIR/vdeplug:$DEBMODS" vde_plug)
		our_vnl="udp://[::1]:6000->[::1]:6001"
		deb_vnl="udp://::1:6001->::1:6000"
		junk_to=("UDP6-SENDTO:[::1]:6000,sourceport=6999")
		;;
	esac
	ta=ta$n tb=tb$n
	bg_start -o "$WORK/ours-$round.log" "${ours[@]}" "$our_vnl" "tap://$ta"
	ours_pid=$BG_PID
	bg_start -o "$WORK/deb-$round.log" vde_plug "$deb_vnl" "tap://$tb"
	deb_pid=$BG_PID
	tap_into nsa "$ta" "10.$n.0.1/24"
	tap_into nsb "$tb" "10.$n.0.2/24"
	grep -q "$LIBDIR/vdeplug/libvdeplug_udp.so" "/proc/$ours_pid/maps" || fail "$round: our udp module not loaded"
	grep -q "$LIBDIR/vdeplug/libvdeplug_udp.so" "/proc/$deb_pid/maps" && fail "$round: Debian's peer loaded ours"

	ip netns exec nsa ping -c 3 -i 0.2 -W 3 "10.$n.0.2" >"$WORK/ping.log" 2>&1 ||
		fail "$round: ping ours -> Debian failed: $(cat "$WORK/ping.log")"
	ip netns exec nsb ping -c 3 -i 0.2 -W 3 "10.$n.0.1" >"$WORK/ping.log" 2>&1 ||
		fail "$round: ping Debian -> ours failed: $(cat "$WORK/ping.log")"

	TA_RX0=$(link_count nsa "$ta" rx)
	TB_TX0=$(link_count nsb "$tb" tx)
	for i in 1 2 3 4 5; do
		junk_frame | socat -u - "${junk_to[@]}" || fail "$round: socat could not send"
	done
	# traffic after the junk, so the junk has been read (or filtered) when the ping is answered
	ip netns exec nsa ping -c 2 -i 0.2 -W 3 "10.$n.0.2" >"$WORK/ping.log" 2>&1 ||
		fail "$round: ping after the stranger's datagrams failed: $(cat "$WORK/ping.log")"
	kill -0 "$ours_pid" || fail "$round: our end of the cable died on a stranger's datagrams"
	wait_for counts_match "$ta" "$tb" ||
		fail "$round: tap got $(($(link_count nsa "$ta" rx) - TA_RX0)) frames, Debian sent $(($(link_count nsb "$tb" tx) - TB_TX0))"
	bg_kill "$ours_pid"
	bg_kill "$deb_pid"
	log "$round ok"
done
log "ok"
