# The setup the layer-2 attack scenarios share (t-mac-steal, t-mac-flood): vded with socket group GS,
# l2attack.py where uid A can read it, two networks of group GS, "open" (plain ports) and "secured"
# (new ports get port_default KEY=VALUE, $1), each with two victim namespaces plugged by Debian's
# vde_plug (o1 10.0.0.1, o2 10.0.0.2 on open; s1 10.0.1.1, s2 10.0.1.2 on secured) that ping.
# Source it after lib.sh.
GS=2470
A=2471

l2_setup() {
	vded_start -f /dev/null -g $GS
	chmod 0755 "$WORK"
	cp "$(dirname "${BASH_SOURCE[0]}")/l2attack.py" "$WORK/l2attack.py"
	chmod 0644 "$WORK/l2attack.py"
	for net in open secured; do
		expect_rc 0 vdectl network create $net --group $GS --mode 0660
	done
	expect_rc 0 vdectl network set secured --port-default "$1"
	netns_add o1; netns_add o2; netns_add s1; netns_add s2
	plug_tap o1 t1 open 10.0.0.1/24
	plug_tap o2 t2 open 10.0.0.2/24
	plug_tap s1 t1 secured 10.0.1.1/24
	plug_tap s2 t2 secured 10.0.1.2/24
	ip netns exec o1 ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null || fail "no ping on open"
	ip netns exec s1 ping -c 2 -i 0.2 -W 2 10.0.1.2 >/dev/null || fail "no ping on secured"
}
