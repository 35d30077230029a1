#!/bin/bash
# vde_plug's command line (doc/vde-wire.md §7) beyond the cable forms: usage errors, -p/--pidfile, and the
# login-shell mode used for ssh cables (interactive login refused, only "vde_plug ..." may run, never
# "= cmd" or cmd://). No packets leave the process: null:// only.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
case $B in /*) BDIR=$B ;; *) BDIR=$ROOT/$B ;; esac
PLUG=$BDIR/bin/vde_plug
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
[ -x "$PLUG" ] || fail "$PLUG not built"
[ -f "$BDIR/lib/vdeplug/libvdeplug_null.so" ] || fail "our null module is not built"
export LD_LIBRARY_PATH=$BDIR/lib
WORK=$(mktemp -d "${TMPDIR:-/tmp}/t-cmd-vde-plug-opts.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# rc WANT CMD...: run CMD with stdin at EOF, check its exit status
rc() {
	local want=$1 got=0
	shift
	"$@" </dev/null >"$WORK/out" 2>&1 || got=$?
	[ "$got" -eq "$want" ] || { cat "$WORK/out"; fail "'$*' exited $got, expected $want"; }
}

rc 0 "$PLUG" --help
grep -q -- '--port2' "$WORK/out" || fail "--help does not list --port2"
rc 2 "$PLUG" null:// null:// null://
rc 2 "$PLUG" null:// null:// = true
rc 2 "$PLUG" null:// =
rc 2 "$PLUG" --mod 9x null://
rc 2 "$PLUG" --bogus null://
# an unknown scheme is reported with the library's errno
rc 1 "$PLUG" nosuchscheme://x
grep -q "Protocol not supported" "$WORK/out" || fail "unknown scheme: $(cat "$WORK/out")"
# stream mode ends at EOF on stdin
rc 0 "$PLUG" null://
rc 0 "$PLUG" -D descr --port 3 -g "" -m 0770 null://
# = cmd: the command's exit ends the plug; its stdin/stdout are the stream
rc 0 "$PLUG" null:// = true
rc 0 "$PLUG" null:// = sh -c 'test -p /dev/stdin && test -p /dev/stdout'

# -p writes the pid, removed at exit
(sleep 2 | "$PLUG" -p "$WORK/pid" null://) &
bg=$!
for ((i = 0; i < 50; i++)); do [ -s "$WORK/pid" ] && break; sleep 0.1; done
[ -s "$WORK/pid" ] || fail "no pid file"
pid=$(cat "$WORK/pid")
kill -0 "$pid" || fail "pid file names no live process"
[ "$(cat /proc/"$pid"/comm)" = vde_plug ] || fail "pid $pid is $(cat /proc/"$pid"/comm)"
kill -TERM "$pid"
wait "$bg" || true
[ ! -e "$WORK/pid" ] || fail "pid file left after SIGTERM"

# login shell: what sshd runs is "SHELL -c 'COMMAND'"
rc 1 bash -c 'exec -a -vde_plug "$0"' "$PLUG"
grep -q "only runs vde_plug" "$WORK/out" || fail "interactive login: $(cat "$WORK/out")"
rc 1 "$PLUG" -c "ls /"
rc 1 "$PLUG" -c "sh -c vde_plug"
rc 1 "$PLUG" -c "vde_plug null:// = sh"
rc 1 "$PLUG" -c "vde_plug cmd://sh"
rc 1 "$PLUG" -c "vde_plug -p $WORK/x null://"
[ ! -e "$WORK/x" ] || fail "login mode wrote a pid file"
rc 0 "$PLUG" -c "vde_plug null://"
rc 0 "$PLUG" -c "/usr/bin/vde_plug -D remote null://"
echo "# ok"
