#!/bin/bash
# V10: kernel socket memory is counted against the user. A plain member (uid 2471) takes its whole
# ports quota (max_ports_per_user, 64) as attach ports over one control connection; the next one is
# refused. vded's sockets for those ports (and for everything else) must have a send buffer the
# kernel's own cap allows an unprivileged process, SO_SNDBUF <= net.core.wmem_max (the kernel reports
# twice the value set: tb <= 2 * wmem_max), i.e. no SO_SNDBUFFORCE; the same for receive buffers.
. "$(dirname "$0")/../integration/lib.sh"
need setpriv jq ss

TOOL=$BDIR/tests/tools/manyports
[ -x "$TOOL" ] || fail "$TOOL not built"
ss -x -a -m -p -O >/dev/null 2>&1 || skip "ss lacks -O (one line per socket)"
GS=2470
A=2471
QUOTA=64
cat >"$WORK/vded.conf" <<EOF2
{ "max_ports_per_user": $QUOTA }
EOF2
vded_start -f "$WORK/vded.conf" -g $GS
chmod 0755 "$WORK"
expect_rc 0 vdectl network create lab --max-ports 512

bg_start -o "$WORK/ports.out" setpriv --reuid $A --regid $A --groups $GS "$TOOL" -a "$SOCK" lab $((QUOTA + 1))
wait_for -t 30 grep -q '^attached' "$WORK/ports.out" || fail "manyports did not finish: $(cat "$WORK/ports.out")"
grep -q "^attached $QUOTA\$" "$WORK/ports.out" || fail "uid $A's quota of $QUOTA ports did not hold: $(cat "$WORK/ports.out")"
grep -q '"limit"' "$WORK/ports.out" || fail "port $((QUOTA + 1)) was not refused with limit: $(cat "$WORK/ports.out")"
[ "$(port_count lab)" = $QUOTA ] || fail "lab has $(port_count lab) ports, expected $QUOTA"

wmem=$(cat /proc/sys/net/core/wmem_max)
rmem=$(cat /proc/sys/net/core/rmem_max)
# vded's sockets (the engine may be a child process of VDED_PID, under the same name).
ss -x -a -m -p -O 2>/dev/null | grep '"vded"' >"$WORK/ss.out" || true
n=$(wc -l <"$WORK/ss.out")
[ "$n" -ge $QUOTA ] || fail "ss shows only $n sockets of vded, expected at least $QUOTA: $(head -n 5 "$WORK/ss.out")"
tb_max=$(grep -o 'tb[0-9]*' "$WORK/ss.out" | tr -d tb | sort -n | tail -n 1)
rb_max=$(grep -o 'rb[0-9]*' "$WORK/ss.out" | tr -d rb | sort -n | tail -n 1)
over=$(awk -v lim=$((2 * wmem)) '{ if (match($0, /tb[0-9]+/)) { v = substr($0, RSTART + 2, RLENGTH - 2) + 0; if (v > lim) c++ } } END { print c + 0 }' "$WORK/ss.out")
[ "$over" = 0 ] || fail "$over of vded's $n sockets have a send buffer over wmem_max ($wmem): up to $tb_max bytes each (SO_SNDBUFFORCE): uid $A pins about $((over * tb_max / 1048576)) MiB of kernel memory"
[ "$rb_max" -le $((2 * rmem)) ] || fail "vded has a socket with a receive buffer of $rb_max bytes, over rmem_max ($rmem) (SO_RCVBUFFORCE)"
# A host whose wmem_max is as large as what vded would force (4 MiB) cannot tell the two apart.
if [ "$tb_max" = $((2 * wmem)) ] && [ "$wmem" -ge 4194304 ]; then
	skip "net.core.wmem_max is $wmem here: a forced 4 MiB send buffer looks like an allowed one (tb $tb_max)"
fi

# The ports work: the user's frames cross (a victim's attach port sees a broadcast).
expect_rc 0 vdectl network attach lab -- sh -c 'test -S /proc/self/fd/3'
kill -0 "$VDED_PID" || fail "vded died"
vded_stop
log "ok ($n sockets, largest tb $tb_max, wmem_max $wmem)"
