# Shared by t-flood-control.sh and t-flood-handshake.sh (sourced after lib.sh, with GS, B and FLOW set):
# start vded at RLIMIT_NOFILE 128 with network lab, the helpers as, cpu_ticks and answers_within, and the
# victim's traffic (uid B's two vde:// clients, pid $flow); then $lines0, $hz and $t0 for the checks.

cat >"$WORK/vded-wrap" <<EOF2
#!/bin/sh
exec prlimit --nofile=128:128 "$VDED_BIN" "\$@"
EOF2
chmod 0755 "$WORK/vded-wrap" "$WORK"
REAL_VDED=$VDED_BIN
VDED_BIN=$WORK/vded-wrap
vded_start -f /dev/null -g $GS
VDED_BIN=$REAL_VDED
expect_rc 0 vdectl network create lab

as() {
	local uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --groups $GS "$@"
}
# cpu_ticks: utime+stime of vded and its children (the engine may be a child of VDED_PID).
cpu_ticks() {
	local t=0 p st
	for p in $VDED_PID $(pgrep -P "$VDED_PID" || true); do
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		st=${st##*) }
		# shellcheck disable=SC2086
		set -- $st
		t=$((t + ${12} + ${13}))
	done
	echo $t
}
# answers_within SECS UID: UID's `vdectl daemon info` succeeds within SECS seconds (0: root).
answers_within() {
	local secs=$1 uid=$2 end
	end=$(($(date +%s%N) + secs * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		if [ "$uid" = 0 ]; then
			timeout 1 "$VDECTL_BIN" -s "$SOCK" daemon info >/dev/null 2>&1 && return 0
		else
			timeout 1 setpriv --reuid "$uid" --regid "$uid" --groups $GS "$VDECTL_BIN" -s "$SOCK" daemon info >/dev/null 2>&1 && return 0
		fi
		sleep 0.05
	done
	return 1
}

# The victim: uid B's two endpoint ports, traffic before, during and after the flood.
bg_start -o "$WORK/flow.out" setpriv --reuid $B --regid $B --groups $GS "$FLOW" -t 16 -i 50 -b 2 \
	"vde://$RUN/net/lab" "vde://$RUN/net/lab"
flow=$BG_PID
wait_for grep -q '^ready' "$WORK/flow.out" || fail "the victim's vde:// clients did not start: $(cat "$WORK/flow.out")"
sleep 1

lines0=$(wc -l <"$WORK/vded.log")
hz=$(getconf CLK_TCK)
t0=$(cpu_ticks)
