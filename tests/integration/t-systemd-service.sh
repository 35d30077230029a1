#!/bin/bash
# timeout: 900
# vded under a real systemd (PID 1 of a systemd-nspawn container: Debian 12, systemd 252) with the
# shipped units, installed the way a package would be (make install PREFIX=/usr, systemd-sysusers,
# ldconfig, vded.socket enabled). Inside the container it checks:
#   - the boot: sysusers made user vded and group vde, tmpfiles made /run/vde and /var/lib/vded,
#     vded.socket listens (root:vde 0660) and vded.service waits for its first client;
#   - the privilege split: the first `vdectl daemon info` starts vded.service; its main process is
#     root with at most the unit's eight capabilities, its one child (the engine) is user vded with
#     no capability and NoNewPrivs, both in vded.service's cgroup;
#   - a network made at run time carries traffic between two vde_plug clients (taps in two
#     namespaces made inside the container, each client in its own transient unit) and is saved in
#     /var/lib/vded by the engine;
#   - a member of group vde attaches to it, a user outside vde cannot reach the control socket;
#   - `systemctl reload` keeps both processes and the network; `systemctl stop` ends both with
#     ExecMainStatus=0 Result=success and leaves the socket listening; `systemctl start` brings the
#     saved network back;
#   - `systemd-analyze security vded.service` rates it (logged).
# Everything runs in the container's own namespaces (--private-network: only lo); the host's network
# is never touched.
#
# The container tree is a debootstrap (minbase) of bookworm, built once into $VDE_TEST_CACHE
# (default /var/cache/vde-tests; about 2 minutes and 270 MB; built in a temporary directory and renamed
# when complete) and copied fresh for every run. Skips (77) when not root, without systemd-nspawn,
# debootstrap or a reachable mirror (for a cold cache), or when the container does not boot.
# KEEP=1 keeps the run's tree (its path is logged) for a look afterwards.
. "$(dirname "$0")/lib-nspawn.sh"

# prop UNIT PROPERTY: one property of a unit, as systemctl show prints its value.
prop() {
	inside systemctl show -p "$2" --value "$1"
}

# status_field PID FIELD: a field of /proc/PID/status inside the container ("" if PID is gone).
status_field() {
	inside cat "/proc/$1/status" 2>/dev/null | sed -n "s/^$2:[[:space:]]*//p"
}

# endpoint_ports NETWORK N: NETWORK has N vde:// (endpoint) ports.
endpoint_ports() {
	[ "$(inside vdectl -j port list "$1" | jq '[.ports[] | select(.kind == "endpoint")] | length')" = "$2" ]
}

pid_alive() {
	inside test -d "/proc/$1"
}

# ---------------------------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root (systemd-nspawn)"
for c in systemd-nspawn nsenter setsid flock jq systemctl systemd-sysusers make; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed (scripts/deps installs systemd-container)"
done
[ -x "$BDIR/vded/vded" ] || fail "$BDIR/vded/vded not built (run make B=$B)"
# a sanitized build (make asan) needs the sanitizer runtime, which the container does not have
! ldd "$BDIR/vded/vded" 2>/dev/null | grep -q 'libasan\|libubsan' ||
	skip "a sanitized build cannot run in the container (no libasan there): make check covers it"

build_cache

WORK=$(mktemp -d /var/tmp/vde-systemd.XXXXXX)
CT=$WORK/root
log "copying $CACHE to $CT"
cp -a --reflink=auto "$CACHE" "$CT"

# Install as a package would: the files, then its postinst's sysusers and ldconfig, then enable the
# socket (vded.service starts on the first client). tmpfiles.d is left to the boot.
make -s --no-print-directory -C "$ROOT" B="$BDIR" DESTDIR="$CT" PREFIX=/usr install >"$WORK/install.log" 2>&1 ||
	fail "make install failed: $(tail -n 20 "$WORK/install.log")"
systemd-sysusers --root="$CT" >"$WORK/sysusers.log" 2>&1 || fail "systemd-sysusers: $(cat "$WORK/sysusers.log")"
chroot "$CT" ldconfig
systemctl --root="$CT" enable vded.socket >"$WORK/enable.log" 2>&1 || fail "enable vded.socket: $(cat "$WORK/enable.log")"
# Two local users: alice is in group vde, bob is not.
chroot "$CT" useradd -M -G vde alice
chroot "$CT" useradd -M bob

boot

# --- after the boot: users, directories, the socket; the service waits for a client.
vded_uid=$(inside id -u vded) || fail "no user vded in the container (sysusers.d/vde.conf)"
inside getent group vde >/dev/null || fail "no group vde in the container (sysusers.d/vde.conf)"
assert_eq "$(inside stat -c '%U:%G %a' /run/vde)" "root:root 755" "/run/vde"
assert_eq "$(inside stat -c '%U:%G %a' /var/lib/vded)" "vded:vded 755" "/var/lib/vded after the boot (tmpfiles.d)"
assert_eq "$(inside systemctl is-active vded.socket)" active "vded.socket after the boot"
assert_eq "$(inside stat -c '%U:%G %a %F' /run/vde/vded.sock)" "root:vde 660 socket" "the control socket"
assert_eq "$(inside systemctl is-active vded.service)" inactive "vded.service before any client"
assert_eq "$(inside systemctl is-enabled vded.socket)" enabled "vded.socket"

# --- socket activation: the first client starts vded.service and is answered.
expect_rc 0 vdectl -j daemon info
info=$OUT
assert_eq "$(inside systemctl is-active vded.service)" active "vded.service after the first client"
main=$(prop vded.service MainPID)
log "vded.service: MainPID $main; daemon info: $(jq -c '{pid, engine_pid}' <<<"$info")"
assert_eq "$(jq -r .pid <<<"$info")" "$main" "daemon info's pid (the parent) vs vded.service's MainPID"
engine=$(jq -r .engine_pid <<<"$info")
# The default network of the installed vded.conf is up, and vded had nothing to complain about.
assert_eq "$(jq -r .networks <<<"$info")" 1 "networks in daemon info (the default one of vded.conf)"
errors=$(inside journalctl --no-pager -q -p err -u vded.service)
[ -z "$errors" ] || fail "vded logged errors at its start under systemd: $errors"
[ "$engine" != "$main" ] && [ "$engine" -gt 1 ] || fail "daemon info's engine_pid is '$engine' (main $main)"

# --- the privilege split as systemd runs it.
# The main process: root, with no capability outside the unit's bounding set.
# CAP_CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7, NET_ADMIN 12, NET_RAW 13.
bnd=$((0x30fb))
assert_eq "$(status_field "$main" Uid | awk '{print $1, $2, $3, $4}')" "0 0 0 0" "the main process's uids"
assert_eq "$(status_field "$main" NoNewPrivs)" 1 "the main process's NoNewPrivs (NoNewPrivileges=yes)"
assert_eq "$((0x$(status_field "$main" CapBnd)))" "$bnd" "the main process's bounding set"
eff=$((0x$(status_field "$main" CapEff)))
[ $((eff & ~bnd)) -eq 0 ] || fail "the main process's CapEff $(status_field "$main" CapEff) exceeds the unit's set"
log "main process $main: Uid $(status_field "$main" Uid), CapEff $(status_field "$main" CapEff)"
# The engine: the main process's only child, user vded, nothing else.
children=$(inside ps -o pid= --ppid "$main" | tr -d ' ' | tr '\n' ' ')
assert_eq "$children" "$engine " "the main process's children"
assert_eq "$(status_field "$engine" PPid)" "$main" "the engine's parent"
assert_eq "$(status_field "$engine" Uid | awk '{print $1, $2, $3, $4}')" \
	"$vded_uid $vded_uid $vded_uid $vded_uid" "the engine's uids (user vded)"
vded_gid=$(inside id -g vded)
assert_eq "$(status_field "$engine" Gid | awk '{print $1, $2, $3, $4}')" \
	"$vded_gid $vded_gid $vded_gid $vded_gid" "the engine's gids"
for f in CapInh CapPrm CapEff CapAmb; do
	assert_eq "$(status_field "$engine" "$f")" 0000000000000000 "the engine's $f"
done
assert_eq "$(status_field "$engine" NoNewPrivs)" 1 "the engine's NoNewPrivs"
assert_eq "$(status_field "$engine" Seccomp)" 2 "the engine's seccomp mode (SystemCallFilter=)"
for p in "$main" "$engine"; do
	cg=$(inside cat "/proc/$p/cgroup")
	case $cg in */vded.service) ;; *) fail "process $p is in cgroup '$cg', not vded.service's" ;; esac
done
log "engine $engine: Uid $(status_field "$engine" Uid), CapEff $(status_field "$engine" CapEff), NoNewPrivs 1"

# --- a network made at run time carries traffic between two vde_plug clients, each a transient unit
# with its tap in a namespace of its own.
expect_rc 0 vdectl network create lab
inside test -S /run/vde/net/lab/ctl || fail "no endpoint /run/vde/net/lab/ctl: $(inside ls -la /run/vde/net/lab 2>&1)"
# vded's, the network's group, setgid (its sockets get that group) and sticky.
assert_eq "$(inside stat -c '%U:%G %a' /run/vde/net/lab)" "vded:vde 3750" "the endpoint directory of lab"
saved=$(inside find /var/lib/vded -type f -user vded | head -n 1)
[ -n "$saved" ] || fail "the engine saved no definition of lab in /var/lib/vded: $(inside ls -laR /var/lib/vded)"
for i in 1 2; do
	inside ip netns add "ns$i"
	inside ip -n "ns$i" link set lo up
	expect_rc 0 systemd-run --unit="vdetest-plug$i" ip netns exec "ns$i" vde_plug vde:///run/vde/net/lab "tap://t$i"
	wait_for inside ip -n "ns$i" link show "t$i" ||
		fail "vde_plug made no t$i in ns$i: $(inside journalctl --no-pager -u "vdetest-plug$i" | tail -n 5)"
	inside ip -n "ns$i" addr add "10.0.0.$i/24" dev "t$i"
	inside ip -n "ns$i" link set "t$i" up
done
expect_rc 0 ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2
expect_rc 0 ip netns exec ns2 ping -c 3 -i 0.2 -W 3 10.0.0.1
expect_rc 0 vdectl -j port list lab
assert_eq "$(jq '[.ports[] | select(.rx_frames > 0 and .tx_frames > 0)] | length' <<<"$OUT")" 2 \
	"ports of lab that carried frames"
log "two vde_plug clients ping each other through lab"

# A tap made by the root parent (CAP_NET_ADMIN, /dev/net/tun through DevicePolicy=closed) in the
# container's namespace joins lab too.
expect_rc 0 vdectl tap add lab vtap0 --address 10.0.0.9/24 --up
expect_rc 0 ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.9
log "tap vtap0 (made by the parent) answers on lab"
# Daemon-owned namespaces are off under this unit (no CAP_SYS_ADMIN): refused, and vded keeps serving.
rc=0
inside vdectl ns create vdetestns --net lab >"$WORK/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "ns create succeeded under the unit, which grants no CAP_SYS_ADMIN"
grep -q "network namespaces are off" "$WORK/out" || fail "ns create's refusal does not say why: $(cat "$WORK/out")"
log "ns create refused under the unit (exit $rc: $(tail -n 1 "$WORK/out"))"
assert_eq "$(prop vded.service MainPID)" "$main" "MainPID after a refused ns create"
pid_alive "$engine" || fail "the engine $engine is gone after a refused ns create"

# --- a member of group vde attaches, and plugs a vde:// client into the endpoint (through the group
# the setgid directory gave its sockets); someone outside vde cannot even reach the control socket.
expect_rc 0 setpriv --reuid alice --regid alice --init-groups vdectl network attach lab -- true
expect_rc 0 systemd-run --uid=alice --gid=alice -p SupplementaryGroups=vde --unit=vdetest-alice-lab \
	vde_plug vde:///run/vde/net/lab null://
wait_for endpoint_ports lab 3 ||
	fail "alice's vde_plug is not on lab: $(inside journalctl --no-pager -u vdetest-alice-lab | tail -n 5)"
rc=0
inside setpriv --reuid bob --regid bob --init-groups vdectl network list >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "bob (not in group vde) could use the control socket"
log "alice (group vde) attached to lab; bob (not in vde) was refused (exit $rc)"

# A private network of alice's (mode 0600): she reaches its endpoint through the ACL entry the parent
# sets (fsetxattr under SystemCallFilter=), as a vde:// client in a unit of her own; bob does not.
expect_rc 0 setpriv --reuid alice --regid alice --init-groups vdectl network create alicenet --mode 0600
acl=$(inside getfacl -cp /run/vde/net/alicenet 2>/dev/null | tr '\n' ' ')
# r-x: only vded writes in an endpoint directory; rw on the sockets it makes there, by the default ACL
case $acl in *user:alice:r-x*default:user:alice:rw-*) ;; *) fail "no ACL entry for alice on /run/vde/net/alicenet: $acl" ;; esac
expect_rc 0 systemd-run --uid=alice --gid=alice --unit=vdetest-alice vde_plug vde:///run/vde/net/alicenet null://
wait_for endpoint_ports alicenet 1 ||
	fail "alice's vde_plug is not on alicenet: $(inside journalctl --no-pager -u vdetest-alice | tail -n 5)"
rc=0
inside setpriv --reuid bob --regid bob --init-groups timeout 5 vde_plug vde:///run/vde/net/alicenet null:// \
	>"$WORK/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "bob's vde_plug on alicenet: exit $rc, expected a refusal"
log "alice's vde_plug is on her private alicenet (ACL: $acl); bob's was refused ($(tail -n 1 "$WORK/out"))"

# --- reload: SIGHUP to the main process; both processes and the network stay.
expect_rc 0 systemctl reload vded.service
wait_for inside sh -c "journalctl -u vded.service --no-pager | grep -q 'reload done'" ||
	fail "no 'reload done' in vded's journal after systemctl reload"
assert_eq "$(inside systemctl is-active vded.service)" active "vded.service after reload"
assert_eq "$(prop vded.service MainPID)" "$main" "MainPID after reload"
pid_alive "$engine" || fail "the engine $engine is gone after reload"
expect_rc 0 ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.2
log "reload kept main $main, engine $engine and the traffic"

# --- restart: a new vded, and every client stays plugged on its port (the fd store, -K).
ports_of() {
	inside vdectl -j port list "$1" | jq -c '[.ports[] | {id, kind, pid}] | sort_by(.id)'
}
# The longest time without an answer, and the answers lost, of a ping every 50 ms from ns1 while
# something happens to vded: the figures the restart actions are judged by (reported, not asserted).
GAPS=()
gap_start() {
	GAP_PID=$(inside sh -c 'ip netns exec ns1 ping -D -i 0.05 -W 1 10.0.0.2 >/tmp/gap.log 2>&1 & echo $!')
	sleep 1
}
gap_stop() {
	local r
	sleep 1
	inside kill -INT "$GAP_PID"
	sleep 0.3
	r=$(awk '/bytes from/ { t = substr($1, 2, length($1) - 2) + 0; if (p && t - p > m) m = t - p; p = t }
		/transmitted/ { tx = $1; rx = $4 } END { printf "%.2f s, %d of %d lost", m, tx - rx, tx }' \
		<<<"$(inside cat /tmp/gap.log)")
	GAPS+=("$1: longest gap $r")
	log "$1: longest ping gap $r"
}
before=$(ports_of lab)
gap_start
expect_rc 0 systemctl restart vded.service
wait_for inside vdectl daemon info || fail "vded does not answer after systemctl restart"
mainr=$(prop vded.service MainPID)
[ "$mainr" != "$main" ] || fail "systemctl restart left MainPID $main"
assert_eq "$(ports_of lab)" "$before" "lab's ports after systemctl restart"
for u in vdetest-plug1 vdetest-plug2 vdetest-alice vdetest-alice-lab; do
	inside systemctl -q is-active "$u" || fail "vde_plug ($u) ended at systemctl restart"
done
expect_rc 0 ip netns exec ns1 ping -c 2 -i 0.2 -W 3 10.0.0.2
inside journalctl --no-pager -u vded.service | grep -q "resumed" || fail "no 'resumed' in vded's journal"
gap_stop "systemctl restart"
log "restart: main $main -> $mainr, lab's ports $before kept, traffic goes on"
# an upgrade in place: the main process executes vded again, keeping its pid and every port
gap_start
expect_rc 0 vdectl daemon upgrade
upgraded() {
	[ "$(inside vdectl -j daemon info 2>/dev/null | jq -r .engine_pid)" != "$1" ]
}
wait_for upgraded "$(inside vdectl -j daemon info | jq -r .engine_pid)" || true
wait_for inside vdectl daemon info || fail "vded does not answer after daemon upgrade"
gap_stop "vdectl daemon upgrade"
assert_eq "$(prop vded.service MainPID)" "$mainr" "MainPID after daemon upgrade"
assert_eq "$(ports_of lab)" "$before" "lab's ports after daemon upgrade"
# the main process killed: systemd starts vded again after RestartSec=, with the fd store (the
# engine follows its parent out: parent-death signal)
gap_start
inside kill -KILL "$mainr"
restarted() {
	[ "$(prop vded.service NRestarts)" -ge 1 ] && inside systemctl -q is-active vded.service &&
		inside vdectl daemon info
}
wait_for -t 20 restarted || fail "vded.service did not come back after its main process was killed"
gap_stop "kill -9 of the main process (Restart=on-failure, RestartSec=2s)"
assert_eq "$(ports_of lab)" "$before" "lab's ports after kill -9 of the main process"
for u in vdetest-plug1 vdetest-plug2 vdetest-alice vdetest-alice-lab; do
	inside systemctl -q is-active "$u" || fail "vde_plug ($u) ended when vded was killed"
done
mainr=$(prop vded.service MainPID)
main=$mainr
engine=$(inside vdectl -j daemon info | jq -r .engine_pid)

# --- stop: both processes end, cleanly; the socket keeps listening.
expect_rc 0 systemctl stop vded.service
assert_eq "$(prop vded.service ExecMainStatus)" 0 "vded.service's ExecMainStatus after stop"
assert_eq "$(prop vded.service Result)" success "vded.service's Result after stop"
assert_eq "$(inside systemctl is-active vded.service)" inactive "vded.service after stop"
! pid_alive "$main" || fail "the main process $main outlived systemctl stop"
! pid_alive "$engine" || fail "the engine $engine outlived systemctl stop"
assert_eq "$(inside systemctl is-active vded.socket)" active "vded.socket after stopping the service"
inside test -S /run/vde/vded.sock || fail "the control socket is gone after stopping the service"
# The endpoint clients see the hang-up and end.
for u in vdetest-plug1 vdetest-plug2 vdetest-alice vdetest-alice-lab; do
	wait_for inside sh -c "! systemctl -q is-active $u" || fail "vde_plug ($u) still runs 10 s after vded stopped"
done
log "stop: ExecMainStatus=0 Result=success, both processes gone, clients unplugged"

# --- start: explicitly this time; the network made at run time comes back from /var/lib/vded.
expect_rc 0 systemctl start vded.service
main2=$(prop vded.service MainPID)
[ "$main2" != "$main" ] && [ "$main2" -gt 0 ] || fail "MainPID after a new start: '$main2'"
expect_rc 0 vdectl -j network list
assert_eq "$(jq -r '[.networks[].name] | sort | join(" ")' <<<"$OUT")" "alicenet default lab" "networks after a restart"
expect_rc 0 vdectl -j daemon info
assert_eq "$(jq -r .pid <<<"$OUT")" "$main2" "daemon info's pid after a restart"
log "systemctl start: main $main2, lab is back"

# --- the engine dies: the main process starts a new one with every port; systemd sees nothing.
engine2=$(jq -r .engine_pid <<<"$OUT")
expect_rc 0 systemd-run --unit=vdetest-plug3 vde_plug vde:///run/vde/net/lab null://
wait_for endpoint_ports lab 1 || fail "vdetest-plug3 is not on lab"
nrestarts=$(prop vded.service NRestarts)
inside kill -KILL "$engine2"
engine_changed() {
	local e
	e=$(inside vdectl -j daemon info 2>/dev/null | jq -r .engine_pid) && [ -n "$e" ] && [ "$e" != "$engine2" ]
}
wait_for -t 20 engine_changed || fail "no new engine after the engine was killed"
expect_rc 0 vdectl -j daemon info
assert_eq "$(jq -r .pid <<<"$OUT")" "$main2" "the main process after its engine died"
assert_eq "$(jq -r .engine_restarts <<<"$OUT")" 1 "engine_restarts"
assert_eq "$(prop vded.service NRestarts)" "$nrestarts" "NRestarts (systemd did not have to restart vded)"
inside systemctl -q is-active vdetest-plug3 || fail "vde_plug (vdetest-plug3) ended when the engine died"
wait_for endpoint_ports lab 1 || fail "vdetest-plug3's port did not come back"
log "engine $engine2 killed: a new engine ($(jq -r .engine_pid <<<"$OUT")) with every port, main $main2"

# --- systemd's own rating of the sandbox.
expect_rc 0 systemd-analyze security --no-pager vded.service
exposure=$(grep -i 'overall exposure' <<<"$OUT" || true)
[ -n "$exposure" ] || fail "systemd-analyze security printed no exposure: $(tail -n 3 <<<"$OUT")"
log "systemd-analyze security: ${exposure#→ }"

# --- the netns drop-in, shipped in /usr/share/doc/vde/examples: with all of it ns create works and the
# namespace is the host's; with half of it (only the capability) vded refuses to start and says why.
dropin=/etc/systemd/system/vded.service.d/netns.conf
expect_rc 0 mkdir -p /etc/systemd/system/vded.service.d
expect_rc 0 cp /usr/share/doc/vde/examples/vded-netns.conf "$dropin"
expect_rc 0 systemctl daemon-reload
expect_rc 0 systemctl restart vded.service
expect_rc 0 vdectl ns create vdetestns --net lab
inside ip netns list | grep -q '^vdetestns' || fail "the namespace made under the drop-in is not visible: $(inside ip netns list)"
inside ip -n vdetestns link show vde0 >/dev/null || fail "vdetestns has no vde0"
expect_rc 0 vdectl ns delete vdetestns
log "netns drop-in: ns create works, /run/netns/vdetestns visible outside vded"
inside sh -c "printf '[Service]\\nCapabilityBoundingSet=CAP_SYS_ADMIN\\n' >$dropin"
expect_rc 0 systemctl daemon-reload
rc=0
inside systemctl restart vded.service >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "vded started with half of the netns drop-in"
wait_for inside sh -c "journalctl -u vded.service --no-pager | grep -q 'Apply the whole netns drop-in'" ||
	fail "vded did not say why it refused half of the drop-in"
expect_rc 0 rm -f "$dropin"
expect_rc 0 systemctl daemon-reload
expect_rc 0 systemctl reset-failed vded.service
expect_rc 0 systemctl start vded.service
expect_rc 0 vdectl daemon info
log "half a drop-in refused at start; without it vded starts again"
# journalctl -p sees vded's priorities (sd-daemon <N> prefixes on its stderr lines)
inside journalctl -u vded.service --no-pager -p err | grep -q "Apply the whole netns drop-in" ||
	fail "journalctl -p err does not show vded's error line"
inside journalctl -u vded.service --no-pager -p warning | grep -q "ready" &&
	fail "journalctl -p warning shows vded's notice lines"

# vded's journal, for the record.
echo "---- inside: journalctl -u vded.service ----"
inside journalctl --no-pager -q -o short-monotonic -u vded.service || true
echo "----"

expect_rc 0 systemctl stop vded.service
assert_eq "$(prop vded.service Result)" success "vded.service's Result after the second stop"
for g in "${GAPS[@]}"; do
	echo "restart figures: $g"
done
log "PASS in $((SECONDS - T0)) s"
