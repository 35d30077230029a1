#!/bin/bash
# What parses hostile input runs without privilege (V11, V12): vded's engine, and the cmd:// helpers
# it starts, run as user vded with no capability and no_new_privs; a helper cannot read a root-only
# file, and the parent that keeps the capabilities runs nothing of the kind. The network keeps
# working for its clients meanwhile.
. "$(dirname "$0")/../integration/lib.sh"
need jq vde_plug ping
getent passwd vded >/dev/null || skip "no user vded (scripts/bootstrap or sysusers.d make it)"
vded_uid=$(id -u vded)

vded_start
engine=$(vdectl -j daemon info | jq -r .engine_pid)
[ "$engine" != null ] && [ "$engine" != "$VDED_PID" ] || fail "no separate engine process: $engine"

# A root-only stand-in for a secret, and a directory the helper may write its findings to.
secret=$WORK/secret
echo "root only" >"$secret"
chmod 0600 "$secret"
out=$WORK/cmd-out
mkdir "$out"
chown vded "$out"
cat >"$WORK/probe.sh" <<EOF
#!/bin/sh
cat /proc/self/status >"$out/status"
if cat "$secret" >"$out/leak" 2>/dev/null; then echo read >"$out/verdict"; else echo refused >"$out/verdict"; fi
exec sleep 600
EOF
chmod 0755 "$WORK/probe.sh"

expect_rc 0 vdectl network create lab
netns_add ns1
netns_add ns2
plug_tap ns1 t1 lab 10.0.0.1/24
plug_tap ns2 t2 lab 10.0.0.2/24
expect_rc 0 vdectl network connect lab "cmd://$WORK/probe.sh"
wait_for test -s "$out/verdict" || fail "the cmd:// helper never ran: $(tail -n 5 "$WORK/vded.log")"

st=$out/status
assert_eq "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")" "$vded_uid $vded_uid $vded_uid $vded_uid" \
	"the cmd:// helper's uids"
for set in CapEff CapPrm CapInh CapAmb; do
	assert_eq "$(awk "/^$set:/ { print \$2 }" "$st")" 0000000000000000 "the cmd:// helper's $set"
done
assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" 1 "the cmd:// helper's NoNewPrivs"
assert_eq "$(cat "$out/verdict")" refused "the cmd:// helper reading a root-only file"
[ ! -s "$out/leak" ] || fail "the cmd:// helper read the root-only file: $(cat "$out/leak")"
# it descends from the engine (through /bin/sh -c), not straight from the privileged process
p=$(awk '/^PPid:/ { print $2 }' "$st")
for ((i = 0; i < 4 && p != engine && p > 1; i++)); do
	[ "$p" != "$VDED_PID" ] || fail "the cmd:// helper was started by the privileged process"
	p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status")
done
assert_eq "$p" "$engine" "the cmd:// helper's ancestor"

# slirp's NAT and every other frame parser live in the engine: same credentials
assert_eq "$(awk '/^Uid:/ { print $3 }' "/proc/$engine/status")" "$vded_uid" "the engine's effective uid"
assert_eq "$(awk '/^CapEff:/ { print $2 }' "/proc/$engine/status")" 0000000000000000 "the engine's CapEff"

# the victim's traffic went on throughout
ip netns exec ns1 ping -c 3 -i 0.2 -W 3 10.0.0.2 >/dev/null || fail "no traffic between the network's clients"
vded_stop
log "ok"
