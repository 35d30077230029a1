#!/bin/bash
# Modules cross the library boundary both ways (doc/vde-wire.md §2):
#  - Debian's vlan, agno, slirp and pcap modules load in OUR libvdeplug and pass traffic (vlan and agno
#    nest our ptp:// inside, so the nested vde_open goes through our loader too);
#  - our null, ptp, vlan and agno modules load in DEBIAN's libvdeplug and pass traffic.
# Which module is used is chosen by a VDEPLUGIN_PATH dir of symlinks; tests/tools/vdeio dlopens
# whichever libvdeplug.so.2 LD_LIBRARY_PATH selects and prints its path, which is checked.
. "$(dirname "$0")/../integration/lib.sh"

DEB=/usr/lib/x86_64-linux-gnu/vdeplug
OURS=$BDIR/lib/vdeplug
VDEIO=$BDIR/tests/tools/vdeio
[ -x "$VDEIO" ] || fail "$VDEIO not built"
[ -f /usr/lib/x86_64-linux-gnu/libvdeplug.so.2 ] || skip "Debian's libvdeplug2 is not installed"
for m in vlan agno slirp; do
	[ -f "$DEB/libvdeplug_$m.so" ] || skip "Debian's libvdeplug-$m is not installed"
done
for m in null ptp vlan agno; do
	[ -f "$OURS/libvdeplug_$m.so" ] || fail "our $m module is not built"
done

# moddir NAME SRC:MODULE...: a module dir with each MODULE taken from SRC (deb or ours)
moddir() {
	local d=$WORK/mods-$1 spec src m
	shift
	mkdir -p "$d"
	for spec in "$@"; do
		src=${spec%%:*}
		m=${spec#*:}
		case $src in deb) src=$DEB ;; ours) src=$OURS ;; esac
		ln -sf "$src/libvdeplug_$m.so" "$d/libvdeplug_$m.so"
	done
	echo "$d"
}

# run_ours|run_deb MODDIR VDEIO-ARGS...: vdeio on our / Debian's library; checks which one it ran on
run_on() {
	local which=$1 mods=$2 out rc=0
	shift 2
	rm -rf "$WORK/s"
	mkdir -p "$WORK/s"
	if [ "$which" = ours ]; then
		out=$(LD_LIBRARY_PATH=$BDIR/lib VDEPLUGIN_PATH=$mods "$VDEIO" -t 10 "$@" 2>&1) || rc=$?
	else
		out=$(env -u LD_LIBRARY_PATH VDEPLUGIN_PATH="$mods" "$VDEIO" -t 10 "$@" 2>&1) || rc=$?
	fi
	echo "$out"
	[ "$rc" -eq 0 ] || fail "vdeio on $which library with $(ls "$mods" | tr '\n' ' ') failed ($rc)"
	lib=$(sed -n 's/^lib: //p' <<<"$out")
	if [ "$which" = ours ]; then
		[ "$(readlink -f "$lib")" = "$(readlink -f "$BDIR/lib/libvdeplug.so.2")" ] || fail "ran on $lib, not ours"
	else
		[ "$(readlink -f "$lib")" = "$(readlink -f /usr/lib/x86_64-linux-gnu/libvdeplug.so.2)" ] ||
			fail "ran on $lib, not Debian's"
	fi
}

BC=ffffffffffff
SRC1=020000000001
SRC2=020000000002
# vlan://3: untagged on the VM side <-> tagged 3 on the wire; VLAN 5 frames are not for the VM
VLAN_STEPS=(
	"A>B:$BC.$SRC1.88b5/60:$BC.$SRC1.8100.0003.88b5*"
	"B>A:$BC.$SRC2.8100.0003.88b5/64:$BC.$SRC2.88b5/60"
	"B>A:$BC.$SRC2.8100.0005.88b5/64:!"
	"B>A:$BC.$SRC2.8100.0003.88b5/1518:$BC.$SRC2.88b5/1514"
)
# agno: a key without 'a'/'A' (the reference misreads that hex digit)
printf '0123456789bcdef00fedcb9876543210\n' >"$WORK/agno.key"
AGNO="agno://$WORK/agno.key"
AGNO_STEPS=(
	"A>B:$BC.$SRC1.0800/100"
	"B>A:$BC.$SRC2.86dd/1514"
)

log "Debian's modules in our library"
m=$(moddir d1 deb:vlan ours:ptp)
run_on ours "$m" "vlan://3{ptp://$WORK/s/p}" "ptp://$WORK/s/p" "${VLAN_STEPS[@]}"
m=$(moddir d2 deb:agno ours:ptp)
run_on ours "$m" "$AGNO{ptp://$WORK/s/p}" "$AGNO{ptp://$WORK/s/p}" "${AGNO_STEPS[@]}"
# the wire between them is encrypted: a plain ptp peer sees the outer ethertype 0xa6de, not the payload
run_on ours "$m" "$AGNO{ptp://$WORK/s/p}" "ptp://$WORK/s/p" "A>B:$BC.$SRC1.0800/100:$BC.$SRC1.a6de*"
# slirp answers ARP for its gateway address 10.0.2.2
m=$(moddir d3 deb:slirp)
ARP_REQ="$BC.525400123456.0806.0001.0800.06.04.0001.525400123456.0a00020f.000000000000.0a000202/60"
ARP_REPLY="525400123456.xxxxxxxxxxxx.0806.0001.0800.06.04.0002.xxxxxxxxxxxx.0a000202.525400123456.0a00020f*"
run_on ours "$m" "slirp://" - "A>A:$ARP_REQ:$ARP_REPLY"
if [ -f "$DEB/libvdeplug_pcap.so" ]; then
	# pcap on both ends of a veth pair in this test's namespace
	ip link add va type veth peer name vb
	ip link set va up
	ip link set vb up
	m=$(moddir d4 deb:pcap)
	run_on ours "$m" "pcap://va" "pcap://vb" "A>B:$BC.$SRC1.88b5/60" "B>A:$BC.$SRC2.88b5/200"
else
	log "Debian's libvdeplug-pcap is not installed: pcap not tested"
fi

log "our modules in Debian's library"
m=$(moddir o1 ours:null ours:ptp)
run_on deb "$m" "null://" -
run_on deb "$m" "ptp://$WORK/s/p" "ptp://$WORK/s/p" "A>B:$BC.$SRC1.88b5/60" "B>A:$BC.$SRC2.88b5/1514" \
	"A>B:$BC.$SRC1.88b5/9234"
m=$(moddir o2 ours:vlan deb:ptp)
run_on deb "$m" "vlan://3{ptp://$WORK/s/p}" "ptp://$WORK/s/p" "${VLAN_STEPS[@]}"
m=$(moddir o3 ours:agno deb:ptp)
run_on deb "$m" "$AGNO{ptp://$WORK/s/p}" "$AGNO{ptp://$WORK/s/p}" "${AGNO_STEPS[@]}"
log "ok"
