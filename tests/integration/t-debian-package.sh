#!/bin/bash
# timeout: 1200
# The Debian packages: dpkg-buildpackage -us -uc -b builds vded, vdectl, libvdeplug-vded,
# libvde-vdeplug2 and libvde-vdeplug-dev from a copy of the tree; they are installed with dpkg -i into
# a copy of the bookworm container tree of t-systemd-service, which already holds Debian's vdeplug4
# (vdeplug, libvdeplug2): dpkg must overwrite none of Debian's files, and ldconfig must still give
# Debian's libvdeplug.so.2 to everyone (QEMU, vde_plug) while ours stays in /usr/lib/vde. The postinst
# makes user vded and group vde, /var/lib/vded, and enables vded.socket; booted with systemd, the
# first vdectl starts vded.service, and a program built on the host with `pkg-config vde-vdeplug`
# loads our libvdeplug (its rpath) and attaches to vded's default network through vded://.
# Skips (77) without root, dpkg-buildpackage/debhelper (scripts/deps installs them), systemd-nspawn,
# or when the container tree cannot be made or booted.
. "$(dirname "$0")/lib-nspawn.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i into a container tree, systemd-nspawn)"
for c in dpkg-buildpackage dh dpkg-deb systemd-nspawn nsenter setsid flock jq systemctl pkg-config cc git; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed (scripts/deps installs dpkg-dev, debhelper)"
done

WORK=$(mktemp -d /var/tmp/vde-debian.XXXXXX)
SRC=$WORK/src/vde-0.1.0
CT=$WORK/root

# --- build, from the files git knows (a fresh clone's tree), nothing of our build directories
mkdir -p "$SRC"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$SRC"
log "dpkg-buildpackage in $SRC"
(cd "$SRC" && nice dpkg-buildpackage -us -uc -b -j2) >"$WORK/build.log" 2>&1 ||
	fail "dpkg-buildpackage failed: $(tail -n 30 "$WORK/build.log")"
debs=()
for p in vded vdectl libvdeplug-vded libvde-vdeplug2 libvde-vdeplug-dev; do
	f=$WORK/src/${p}_0.1.0_$(dpkg --print-architecture).deb
	[ -f "$f" ] || fail "dpkg-buildpackage made no $p package"
	debs+=("$f")
done
for f in "${debs[@]}"; do
	log "$(basename "$f"): $(dpkg-deb -f "$f" Depends)"
done
for f in "${debs[@]}"; do
	dpkg-deb -c "$f" | awk '{ print $6 }' >"$f.list"
done
grep -qx './lib/systemd/system/vded.socket' "$WORK/src/vded_"*.deb.list || fail "vded has no vded.socket"
grep -qx './usr/lib/vde/libvdeplug.so.2' "$WORK/src/libvde-vdeplug2_"*.deb.list ||
	fail "libvde-vdeplug2 has no /usr/lib/vde/libvdeplug.so.2"
# none of our files is where Debian's vdeplug4 packages put theirs
if cat "$WORK"/src/*.deb.list | grep -E '^\./usr/(bin/(vde_plug|dpipe|vdens)|include/libvdeplug|lib/[^/]*-linux-gnu/libvdeplug)'; then
	fail "a package ships a file of Debian's vdeplug, vdens or libvdeplug2/-dev"
fi

# --- install into a fresh copy of the container tree, next to Debian's vdeplug4
build_cache
log "copying $CACHE to $CT"
cp -a --reflink=auto "$CACHE" "$CT"
chroot "$CT" dpkg -s libvdeplug2 vdeplug >/dev/null || fail "the container tree lacks Debian's libvdeplug2 and vdeplug"
mkdir "$CT/tmp/debs"
cp "${debs[@]}" "$CT/tmp/debs/"
# (with a /proc for the postinst's systemd-tmpfiles, in a mount namespace that goes with the command)
unshare --mount --propagation private sh -c 'mount -t proc proc "$1/proc" && chroot "$1" sh -c "dpkg -i /tmp/debs/*.deb"' \
	sh "$CT" >"$WORK/dpkg.log" 2>&1 || fail "dpkg -i failed: $(cat "$WORK/dpkg.log")"
cat "$WORK/dpkg.log"
! grep -qi 'overwrit\|divert' "$WORK/dpkg.log" || fail "dpkg replaced another package's file"
chroot "$CT" dpkg -s vded vdectl libvdeplug-vded libvde-vdeplug2 libvde-vdeplug-dev | grep -c '^Status: install ok installed' |
	grep -qx 5 || fail "not every package is installed"
# the system's libvdeplug.so.2 is still Debian's; ours is only in its private directory
sys=$(chroot "$CT" ldconfig -p | awk '$1 == "libvdeplug.so.2" { print $NF }')
deb=$(chroot "$CT" dpkg -L libvdeplug2 | grep '/libvdeplug\.so\.2$' | head -n 1)
assert_eq "$(chroot "$CT" readlink -f "$sys")" "$(chroot "$CT" readlink -f "$deb")" "ldconfig's libvdeplug.so.2 ($sys)"
[ "$(chroot "$CT" dpkg -S /usr/lib/vde/libvdeplug.so.2)" = "libvde-vdeplug2: /usr/lib/vde/libvdeplug.so.2" ] ||
	fail "/usr/lib/vde/libvdeplug.so.2 is not libvde-vdeplug2's"
# the postinst: the user and group, the state directory, the socket enabled
chroot "$CT" getent passwd vded >/dev/null || fail "no user vded after dpkg -i"
chroot "$CT" getent group vde >/dev/null || fail "no group vde after dpkg -i"
assert_eq "$(stat -c '%u:%g' "$CT/var/lib/vded")" "$(chroot "$CT" id -u vded):$(chroot "$CT" id -g vded)" "/var/lib/vded after dpkg -i (tmpfiles.d)"
[ -L "$CT/etc/systemd/system/sockets.target.wants/vded.socket" ] || fail "vded.socket is not enabled"

# --- a program built against the installed development files, on the host
cat >"$WORK/attach.c" <<'EOC'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libvdeplug.h>

/* Open vded://default, say which libvdeplug.so.2 the loader picked, hold the port until stdin ends. */
int main(void)
{
	struct vde_open_args args = { .port = 0, .group = NULL, .mode = 0 };
	VDECONN *c = vde_open("vded://default", "t-debian-package", &args);
	char line[512];
	FILE *maps;

	if (!c) {
		perror("vde_open vded://default");
		return 1;
	}
	maps = fopen("/proc/self/maps", "r");
	while (maps && fgets(line, sizeof(line), maps))
		if (strstr(line, "libvdeplug.so.2")) {
			printf("%s", strchr(line, '/'));
			break;
		}
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	vde_close(c);
	return 0;
}
EOC
flags=$(PKG_CONFIG_LIBDIR=$CT/usr/lib/pkgconfig pkg-config --cflags --libs vde-vdeplug) ||
	fail "pkg-config knows no vde-vdeplug in the installed tree"
log "pkg-config vde-vdeplug: $flags"
# the headers and the library to link are the tree's (-I, -L into $CT); the rpath stays /usr/lib/vde
# shellcheck disable=SC2046
cc -o "$CT/usr/local/bin/vde-attach-test" "$WORK/attach.c" $(printf '%s\n' $flags | sed "s|^-\([IL]\)/|-\1$CT/|") ||
	fail "cannot build against vde-vdeplug.pc"
readelf -d "$CT/usr/local/bin/vde-attach-test" | grep 'R.*PATH.*\[/usr/lib/vde\]' >/dev/null ||
	fail "the program has no rpath to /usr/lib/vde: $(readelf -d "$CT/usr/local/bin/vde-attach-test" | grep PATH)"

# --- boot: the socket listens, the first client starts vded
boot
assert_eq "$(inside systemctl is-enabled vded.socket)" enabled "vded.socket"
assert_eq "$(inside systemctl is-active vded.socket)" active "vded.socket after the boot"
assert_eq "$(inside stat -c '%U:%G %a' /var/lib/vded)" "vded:vded 755" "/var/lib/vded"
expect_rc 0 vdectl -j daemon info
assert_eq "$(inside systemctl is-active vded.service)" active "vded.service after the first client"
log "vded $(jq -r .version <<<"$OUT") answers, pid $(jq -r .pid <<<"$OUT")"
inside test -f /usr/share/man/man1/vdectl.1.gz || fail "vdectl(1) is not installed"
# Debian's vde_plug still runs on Debian's libvdeplug
inside ldd /usr/bin/vde_plug | grep "libvdeplug.so.2 => $sys" >/dev/null || fail "vde_plug does not use Debian's libvdeplug.so.2"

# the program loads ours and gets a port on vded's default network, then gives it back
mkfifo "$CT/root/hold"
inside sh -c 'exec /usr/local/bin/vde-attach-test </root/hold >/root/attach.out 2>&1' &
attach=$!
exec 8<>"$CT/root/hold"	# read-write: never blocks, whether or not the program opened it
wait_for -t 20 test -s "$CT/root/attach.out" || fail "the test program printed nothing"
assert_eq "$(cat "$CT/root/attach.out")" /usr/lib/vde/libvdeplug.so.2 "the libvdeplug.so.2 the program loaded"
expect_rc 0 vdectl -j port list default
assert_eq "$(jq '.ports | length' <<<"$OUT")" 1 "ports on the default network while the program runs"
exec 8>&-
wait "$attach" || fail "the test program failed: $(cat "$CT/root/attach.out")"
