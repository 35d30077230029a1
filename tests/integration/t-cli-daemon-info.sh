#!/bin/bash
# vdectl convention (issue 12): daemon info lists every feature and every method vded serves. The
# methods come from vded's own table: they must be exactly those doc/protocol.md documents.
. "$(dirname "$0")/lib.sh"
need jq socat setpriv

GS=2100
vded_start -g "$GS"
expect_rc 0 vdectl -j daemon info
info=$OUT
served=$(printf '%s' "$info" | jq -r '.methods[]' | sort)
[ -n "$served" ] || fail "daemon info lists no methods: $info"
documented=$(sed -n 's/^| `\([a-z]*\.[a-z]*\)` |.*/\1/p' "$ROOT/doc/protocol.md" | sort -u)
assert_eq "$served" "$documented" "the methods vded serves against those doc/protocol.md documents"
# every method listed answers something other than "unknown method"; asked by a user who is no
# admin, so that nothing acts (daemon.upgrade would)
for m in $served; do
	out=$(printf '%s\n' "{\"id\":1,\"method\":\"$m\",\"params\":{}}" |
		setpriv --reuid 1001 --regid 1001 --groups "$GS" socat -t 2 - "UNIX-CONNECT:$SOCK")
	case "$out" in *"unknown method"*) fail "$m is listed but unknown: $out" ;; esac
done
for f in attach attach-fd endpoint jumbo tap vxvde slirp uplink netns paging; do
	printf '%s' "$info" | jq -e --arg f "$f" '.features | index($f)' >/dev/null || fail "feature $f is not listed: $info"
done
expect_rc 0 vdectl daemon info
assert_contains "$OUT" "methods:" "daemon info"
assert_contains "$OUT" "network.create" "daemon info"
assert_contains "$OUT" "port.show" "daemon info"
