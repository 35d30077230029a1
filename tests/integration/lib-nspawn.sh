#!/bin/bash
# Shared by the tests that boot a Debian 12 container with systemd as PID 1 (t-systemd-service,
# t-debian-package): source it first thing. The container tree is a debootstrap (minbase) of bookworm,
# built once into $VDE_TEST_CACHE (default /var/cache/vde-tests; about 2 minutes and 270 MB; built in
# a temporary directory and renamed when complete) by build_cache, and copied fresh for every run.
# The caller sets WORK (its scratch directory, removed at exit unless KEEP=1) and CT (the tree to boot),
# then boot starts systemd-nspawn on CT (--private-network: only lo; the host's network is never
# touched) and sets NSPAWN and PID1; inside CMD runs CMD in the container. At exit the container is
# powered off and, after a failure, the state of vded's units and the console are shown.
# Helpers: log, skip, fail, inside, expect_rc, wait_for, assert_eq, build_cache, boot.

set -eu
set -o pipefail

TEST_NAME=$(basename "$0" .sh)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${B:-build}
case $B in
/*) BDIR=$B ;;
*) BDIR=$ROOT/$B ;;
esac
CACHE_DIR=${VDE_TEST_CACHE:-/var/cache/vde-tests}
SUITE=bookworm
# What the recipe needs (systemd, dbus, the tools used inside) and vded's run-time libraries; acl for
# getfacl on the endpoint directories.
INCLUDE=systemd,systemd-sysv,dbus,iproute2,iputils-ping,procps,libev4,libjson-c5,libnl-3-200,libnl-route-3-200,libslirp0,libcap2,libnettle8,vdeplug,libvdeplug2,acl
# The cache is keyed by suite and package list: changing either builds a new one.
CACHE=$CACHE_DIR/$SUITE-rootfs-$(printf '%s %s' "$SUITE" "$INCLUDE" | md5sum | cut -c1-10)

WORK=
CT=
NSPAWN=
PID1=
SKIP_REASON=
T0=$SECONDS

log() { echo "# [$((SECONDS - T0))s] $*"; }
skip() {
	SKIP_REASON=$*
	exit 77
}
fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

# inside CMD...: run CMD in all of the container's namespaces, with a clean environment.
inside() {
	nsenter -t "$PID1" -m -u -i -n -p -C -r -w -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		SYSTEMD_PAGER= SYSTEMD_COLORS=0 LANG=C.UTF-8 "$@"
}

# expect_rc RC CMD...: run CMD inside, fail unless it exits with RC; stdout in $OUT, stderr in $ERR.
expect_rc() {
	local want=$1 rc=0
	shift
	inside "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	if [ "$rc" -ne "$want" ]; then
		echo "stdout: $OUT" >&2
		echo "stderr: $ERR" >&2
		fail "'$*' exited $rc inside the container, expected $want"
	fi
}

# wait_for [-t SECONDS] CMD...: poll CMD (on the host; use `inside` for the container) until it succeeds.
wait_for() {
	local secs=10 i
	if [ "$1" = "-t" ]; then
		secs=$2
		shift 2
	fi
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# On any exit: power the container off (nspawn by its PID if it does not go), show what went wrong,
# remove the run's tree. The last line of a skip is its reason.
cleanup() {
	local rc=$? i
	set +e
	trap - EXIT TERM INT
	if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
		if [ -n "$PID1" ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
			echo "---- inside: systemctl status vded.service vded.socket ----"
			inside systemctl --no-pager -l status vded.service vded.socket
			echo "---- inside: journal of vded ----"
			inside journalctl --no-pager -o short-monotonic -u vded.service -u vded.socket | tail -n 60
			echo "---- inside: failed units ----"
			inside systemctl --no-pager --failed
		fi
		[ -n "$PID1" ] && inside systemctl --no-block poweroff >/dev/null 2>&1
		for ((i = 0; i < 300; i++)); do
			kill -0 "$NSPAWN" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$NSPAWN" 2>/dev/null; then
			echo "note: the container did not power off within 30 s; SIGTERM to systemd-nspawn $NSPAWN"
			kill -TERM "$NSPAWN"
			for ((i = 0; i < 50; i++)); do
				kill -0 "$NSPAWN" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$NSPAWN" 2>/dev/null
		fi
		wait "$NSPAWN" 2>/dev/null
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$WORK" ] && [ -f "$WORK/nspawn.log" ]; then
		echo "---- systemd-nspawn console (last 40 lines) ----"
		tail -n 40 "$WORK/nspawn.log"
	fi
	if [ -n "$WORK" ]; then
		if [ -n "${KEEP:-}" ]; then
			echo "kept $WORK"
		elif ! kill -0 "$NSPAWN" 2>/dev/null; then
			rm -rf --one-file-system "$WORK"
		fi
	fi
	[ "$rc" -eq 77 ] && echo "SKIP: $SKIP_REASON"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# The mirror debootstrap uses: the first URI of the system's apt sources.
mirror() {
	local f
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$f" | grep -v -- '-security' | head -n 1 | grep . && return 0
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' "$f" |
			grep -v -- '-security' | head -n 1 | grep . && return 0
	done
	return 1
}

# build_cache: debootstrap the tree once, under a lock (a concurrent run waits for it), into a temporary
# directory renamed when complete, so a half-built tree is never used.
build_cache() {
	local m tmp d
	mkdir -p "$CACHE_DIR"
	chmod 0755 "$CACHE_DIR"
	exec 9>"$CACHE_DIR/.lock"
	flock 9
	if [ -d "$CACHE" ]; then
		flock -u 9
		return 0
	fi
	# Whatever is left of a build that was interrupted: we hold the lock, nobody is building. An
	# interrupted debootstrap may have left /proc or /sys mounted in it.
	for d in "$CACHE_DIR"/.build.*; do
		[ -d "$d" ] || continue
		awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n 1 umount -l
		rm -rf --one-file-system "$d"
	done
	command -v debootstrap >/dev/null 2>&1 || skip "debootstrap not installed (scripts/deps installs it)"
	m=$(mirror) || skip "no Debian mirror in /etc/apt/sources.list{,.d} for debootstrap"
	wget -q -T 10 -t 1 --spider "$m/dists/$SUITE/Release" ||
		skip "the mirror $m is not reachable (needed once, to build $CACHE)"
	tmp=$(mktemp -d "$CACHE_DIR/.build.XXXXXX")
	chmod 0755 "$tmp"
	log "building the container tree from $m (once; log in $CACHE_DIR/debootstrap.log)"
	if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$m" \
		>"$CACHE_DIR/debootstrap.log" 2>&1; then
		tail -n 20 "$CACHE_DIR/debootstrap.log"
		rm -rf --one-file-system "$tmp"
		skip "debootstrap of $SUITE from $m failed (see $CACHE_DIR/debootstrap.log)"
	fi
	echo vdetest >"$tmp/etc/hostname"
	# An empty machine-id: systemd makes a new one at each boot and runs no first-boot setup.
	: >"$tmp/etc/machine-id"
	chroot "$tmp" passwd -d root >/dev/null
	rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
	mv -T "$tmp" "$CACHE"
	flock -u 9
	log "container tree cached in $CACHE"
}

# boot: start systemd-nspawn on the run's tree and wait for the container's PID 1 to be up.
boot() {
	local i c st
	setsid systemd-nspawn -b -D "$CT" --private-network --capability=all --register=no --keep-unit \
		--machine="vdetest-$$" --console=passive >"$WORK/nspawn.log" 2>&1 </dev/null &
	NSPAWN=$!
	# The container's PID 1: the child of nspawn named systemd.
	for ((i = 0; i < 300; i++)); do
		for c in $(ps -o pid= --ppid "$NSPAWN" 2>/dev/null); do
			[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && PID1=$c
		done
		[ -n "$PID1" ] && break
		if ! kill -0 "$NSPAWN" 2>/dev/null; then
			tail -n 20 "$WORK/nspawn.log"
			NSPAWN=
			skip "systemd-nspawn exited before the container's systemd started: $(tail -n 1 "$WORK/nspawn.log")"
		fi
		sleep 0.1
	done
	[ -n "$PID1" ] || skip "no systemd under systemd-nspawn $NSPAWN after 30 s"
	# Until systemd listens on its private socket systemctl gets no answer at all; then --wait
	# returns once the boot is done.
	st=
	for ((i = 0; i < 900; i++)); do
		st=$(timeout 90 nsenter -t "$PID1" -m -u -i -n -p -C -r -w -- /usr/bin/env -i \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin systemctl is-system-running --wait 2>/dev/null) || true
		[ -n "$st" ] && break
		kill -0 "$NSPAWN" 2>/dev/null || break
		sleep 0.1
	done
	case $st in
	running) ;;
	degraded)
		log "the container is degraded; failed units:"
		inside systemctl --no-pager --failed || true
		;;
	*)
		tail -n 20 "$WORK/nspawn.log"
		skip "the container did not boot (is-system-running: '${st:-no answer}')"
		;;
	esac
	log "container up (systemd-nspawn $NSPAWN, PID 1 is $PID1 on the host): $(inside systemctl --version | head -n 1)"
}

