#!/bin/bash
# Our libvdeplug.so.2 and libvdeplug_mod.so.2 export exactly vdeplug4's symbols (doc/vde-wire.md §1-2),
# with the right SONAMEs, no symbol versions, __vde_version_tag an 8-byte data object, and the extra
# names libvdeplug.so.3 / libvdeplug.so pointing at the same library. Debian's libraries, when
# installed, must export the same lists (this checks the lists themselves).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
case $B in /*) BDIR=$B ;; *) BDIR=$ROOT/$B ;; esac
LIB=$BDIR/lib

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
command -v nm >/dev/null && command -v readelf >/dev/null || { echo "SKIP: binutils missing"; exit 77; }
[ -f "$LIB/libvdeplug.so.2" ] || fail "$LIB/libvdeplug.so.2 not built"
[ -f "$LIB/libvdeplug_mod.so.2" ] || fail "$LIB/libvdeplug_mod.so.2 not built"

want_plug="__vde_version_tag vde_close vde_ctlfd vde_datafd vde_open_real vde_recv vde_send vdestream_close
vdestream_open vdestream_recv vdestream_send"
want_mod="_vde_hash_init strtoullm vde_find_in_hash vde_find_in_hash_update vde_grnam2gid vde_hash_delete
vde_hash_fini vde_parsenestparms vde_parseparms vde_parsepathparms"

# symbols LIB: the defined dynamic symbols, sorted, one per line (nm -D prints versions as name@VER)
symbols() {
	nm -D --defined-only "$1" | awk '{print $3}' | sort
}
sorted() {
	tr -s ' \n' '\n\n' <<<"$1" | sed '/^$/d' | sort
}

for pair in "libvdeplug.so.2:$want_plug" "libvdeplug_mod.so.2:$want_mod"; do
	lib=${pair%%:*}
	want=$(sorted "${pair#*:}")
	got=$(symbols "$LIB/$lib")
	if [ "$got" != "$want" ]; then
		diff <(echo "$want") <(echo "$got") >&2 || true
		fail "$lib exports a different symbol list (< wanted, > ours)"
	fi
	echo "# $lib: $(echo "$got" | wc -l) symbols, as listed"
	case $got in *@*) fail "$lib has versioned symbols" ;; esac
	soname=$(readelf -d "$LIB/$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	[ "$soname" = "$lib" ] || fail "$lib has SONAME '$soname'"
	# same lists as the reference, if it is installed
	for dir in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
		if [ -f "$dir/$lib" ]; then
			ref=$(symbols "$dir/$lib")
			[ "$ref" = "$want" ] || { diff <(echo "$want") <(echo "$ref") >&2 || true; fail "$dir/$lib differs from the list"; }
			echo "# $dir/$lib exports the same list"
			break
		fi
	done
done
[ -z "$(readelf -V "$LIB/libvdeplug.so.2" | grep -i 'version definition\|version needs.*libvdeplug')" ] ||
	fail "libvdeplug.so.2 defines symbol versions"

# __vde_version_tag: a data object of 8 bytes
line=$(nm -D -S --defined-only "$LIB/libvdeplug.so.2" | awk '$4 == "__vde_version_tag"')
[ -n "$line" ] || fail "__vde_version_tag missing"
set -- $line
[ "$3" = D ] || [ "$3" = B ] || fail "__vde_version_tag is of type $3, not data"
[ $((16#$2)) -eq 8 ] || fail "__vde_version_tag has size $((16#$2)), not 8"

# the other names
for n in libvdeplug.so.3 libvdeplug.so; do
	[ -e "$LIB/$n" ] || fail "$LIB/$n missing"
	[ "$(readlink -f "$LIB/$n")" = "$(readlink -f "$LIB/libvdeplug.so.2")" ] || fail "$n is not libvdeplug.so.2"
done

# modules link against the libraries by these SONAMEs only
for m in "$LIB"/vdeplug/libvdeplug_*.so; do
	[ -f "$m" ] || continue
	bad=$(readelf -d "$m" | sed -n 's/.*(NEEDED).*\[\(libvdeplug[^]]*\)\]/\1/p' | grep -v '^libvdeplug\(_mod\)\?\.so\.2$' || true)
	[ -z "$bad" ] || fail "$(basename "$m") needs $bad"
	readelf --dyn-syms -W "$m" | awk '$8 == "vdeplug_ops" && $7 != "UND"' | grep -q . ||
		fail "$(basename "$m") does not export vdeplug_ops (the build hides symbols: mark it visibility(\"default\"))"
done
echo "# ok"
