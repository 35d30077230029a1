#!/bin/bash
# vdectl convention (issue 12): -j prints the API object on one line; -j -p (or -p alone) prints the
# same object indented over several lines, for people reading JSON. Errors too.
. "$(dirname "$0")/lib.sh"
need jq

vded_start
expect_rc 0 vdectl network create lab --description "a lab"

expect_rc 0 vdectl -j network show lab
one=$OUT
[ "$(printf '%s\n' "$one" | wc -l)" -eq 1 ] || fail "-j is not one line: $one"
expect_rc 0 vdectl -j -p network show lab
pretty=$OUT
[ "$(printf '%s\n' "$pretty" | wc -l)" -gt 5 ] || fail "-j -p is not indented over lines: $pretty"
assert_contains "$pretty" '  "name": "lab"' "-j -p output"
# the same object, whatever the layout
assert_eq "$(printf '%s' "$pretty" | jq -S -c .)" "$(printf '%s' "$one" | jq -S -c .)" "-j -p against -j"
# -p alone means -j -p, and it works after the verb as -j does
expect_rc 0 vdectl network show lab -p
assert_eq "$OUT" "$pretty" "-p after the verb"
expect_rc 0 vdectl --pretty network list
assert_json '.networks[0].name' lab "$OUT"
[ "$(printf '%s\n' "$OUT" | wc -l)" -gt 5 ] || fail "--pretty network list is one line"
# an error object is pretty too
expect_rc 3 vdectl -j -p network show nosuch
[ "$(printf '%s\n' "$OUT" | wc -l)" -gt 3 ] || fail "the error object is not indented: $OUT"
assert_json '.error.code' not-found "$OUT"
expect_rc 0 vdectl -h
assert_contains "$OUT" "-p, --pretty" "vdectl -h"
