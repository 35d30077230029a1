#!/bin/bash
# `make install DESTDIR=... PREFIX=/usr` lays out a system: binaries, the configuration, the systemd
# units, sysusers.d and tmpfiles.d snippets, the man pages. The staged files must work: the installed
# vded accepts the installed configuration, systemd's own tools accept the units and snippets (the
# sysusers one makes group vde, the tmpfiles one makes /run/vde 0755), the man pages format cleanly.
# The C API installed for developers is vdeplug4's two headers with our library, in a private directory
# (/usr/lib/vde, /usr/include/vde) that pkg-config's vde-vdeplug names with an rpath: a program built
# with it links and loads ours; vdeclient.h (the tree's internal control client) is not installed.
# Nothing installed by default is a file a Debian package owns (vdeplug's vde_plug and dpipe, vdens,
# libvdeplug-dev's headers), and no libvdeplug.so.2 lands in $LIBDIR to compete with libvdeplug2's in the
# multiarch directory; the installed modules load with the system's libvdeplug. INSTALL_COMPAT=1 adds
# the drop-in (library, headers, commands and their man pages). The bash completion offers every noun
# and verb of `vdectl -h`. A second install keeps an edited configuration; uninstall removes the rest.
. "$(dirname "$0")/lib.sh"
need make install stat

DEST=$WORK/root
mk() {
	make -s --no-print-directory -C "$ROOT" B="$BDIR" DESTDIR="$DEST" PREFIX=/usr "$@"
}

mk install >"$WORK/install.log" 2>&1 || fail "make install failed: $(cat "$WORK/install.log")"

# path mode: each file is there with its mode.
for spec in usr/sbin/vded:755 usr/bin/vdectl:755 etc/vde/vded.conf:644 \
	usr/lib/systemd/system/vded.service:644 usr/lib/systemd/system/vded.socket:644 \
	usr/lib/sysusers.d/vde.conf:644 usr/lib/tmpfiles.d/vde.conf:644 \
	usr/share/man/man8/vded.8:644 usr/share/man/man1/vdectl.1:644 usr/share/man/man5/vded.conf.5:644 \
	usr/lib/vdeplug/libvdeplug_vded.so:755 usr/share/doc/vde/protocol.md:644 usr/share/doc/vde/vde-wire.md:644 \
	usr/share/doc/vde/security.md:644 usr/share/doc/vde/libvirt.md:644 usr/libexec/vde/vde-ifup:755 \
	usr/share/bash-completion/completions/vdectl:644 \
	usr/lib/vde/libvdeplug.so.2:755 usr/lib/vde/libvdeplug_mod.so.2:755 usr/include/vde/libvdeplug.h:644 \
	usr/include/vde/libvdeplug_mod.h:644 usr/lib/pkgconfig/vde-vdeplug.pc:644 usr/lib/pkgconfig/vde-vdeplug-mod.pc:644; do
	f=$DEST/${spec%%:*}
	[ -f "$f" ] || fail "make install did not install ${spec%%:*}"
	assert_eq "$(stat -c %a "$f")" "${spec##*:}" "mode of ${spec%%:*}"
done

for f in usr/bin/vde_plug usr/bin/dpipe usr/bin/vdens usr/lib/libvdeplug.so.2 usr/include/libvdeplug.h; do
	[ ! -e "$DEST/$f" ] || fail "make install without INSTALL_COMPAT=1 installed $f"
done
if command -v dpkg >/dev/null 2>&1; then
	paths=$(cd "$DEST" && find . ! -type d | sed 's|^\.||')
	# dpkg -S prints the owner of each owned path; paths no package owns only make it complain.
	owned=$(dpkg -S $paths 2>/dev/null || true)
	[ -z "$owned" ] || fail "make install PREFIX=/usr would overwrite files of Debian packages: $owned"
fi
if ldd /bin/true >/dev/null 2>&1 && [ -e /usr/lib/x86_64-linux-gnu/libvdeplug.so.2 ]; then
	miss=$(ldd "$DEST/usr/lib/vdeplug/libvdeplug_vded.so" | grep 'not found' || true)
	[ -z "$miss" ] || fail "the installed vded module does not load with the system's libvdeplug: $miss"
fi
# The completion names every noun (its output is read whole: grep -q closing a pipe early would fail it) and every verb of each noun that `vdectl -h` lists.
cmds=$("$DEST/usr/bin/vdectl" -h | sed -n '/^Commands:/,/^Options:/s/^  \([a-z][a-z-]*\) \([a-z][a-z-]*\).*/\1 \2/p')
[ -n "$cmds" ] || fail "no commands parsed from vdectl -h"
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vdectl; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$DEST/usr/share/bash-completion/completions/vdectl" "$DEST/usr/bin/vdectl" "$@"
}
nouns=$(complete_words "")
while read -r noun verb; do
	grep -qx "$noun" <<<"$nouns" || fail "bash completion does not offer noun $noun"
	verbs=$(complete_words "$noun" "")
	grep -qx "$verb" <<<"$verbs" || fail "bash completion does not offer $noun $verb"
done <<<"$cmds"
opts=$(complete_words network create --ex)
grep -qx -- --exist-ok <<<"$opts" || fail "bash completion does not offer network create --exist-ok"

[ ! -e "$DEST/usr/include/vdeclient.h" ] || fail "make install installed vdeclient.h, which no installed library backs"
# pkg-config: the private directory, and an rpath to it; a program built with it loads our library
if command -v pkg-config >/dev/null 2>&1 && command -v cc >/dev/null 2>&1; then
	flags=$(PKG_CONFIG_LIBDIR=$DEST/usr/lib/pkgconfig pkg-config --cflags --libs vde-vdeplug) ||
		fail "pkg-config does not know the installed vde-vdeplug"
	flags=$(echo $flags)	# pkg-config ends with a blank
	assert_eq "$flags" "-I/usr/include/vde -L/usr/lib/vde -Wl,-rpath,/usr/lib/vde -lvdeplug" "pkg-config vde-vdeplug"
	assert_eq "$(echo $(PKG_CONFIG_LIBDIR=$DEST/usr/lib/pkgconfig pkg-config --libs vde-vdeplug-mod))" \
		"-L/usr/lib/vde -lvdeplug_mod -Wl,-rpath,/usr/lib/vde -lvdeplug" "pkg-config vde-vdeplug-mod"
	printf '#include <stddef.h>\n#include <libvdeplug.h>\nint main(void) { VDECONN *c = vde_open("null://", "t", NULL); return !c || vde_close(c); }\n' \
		>"$WORK/pc.c"
	# shellcheck disable=SC2046
	cc -o "$WORK/pc" "$WORK/pc.c" $(printf '%s\n' $flags | sed "s|^-\([IL]\)/|-\1$DEST/|") >"$WORK/cc.log" 2>&1 ||
		fail "a program built with pkg-config vde-vdeplug does not build: $(cat "$WORK/cc.log")"
	readelf -d "$WORK/pc" | grep 'R.*PATH.*\[/usr/lib/vde\]' >/dev/null || fail "no rpath to /usr/lib/vde in a vde-vdeplug program"
	LD_LIBRARY_PATH=$DEST/usr/lib/vde "$WORK/pc" || fail "a vde-vdeplug program cannot open null://"
fi
mk install INSTALL_COMPAT=1 >"$WORK/install-compat.log" 2>&1 ||
	fail "make install INSTALL_COMPAT=1 failed: $(cat "$WORK/install-compat.log")"
for spec in usr/include/libvdeplug.h:644 usr/include/libvdeplug_mod.h:644 usr/lib/libvdeplug.so.2:755 \
	usr/lib/libvdeplug_mod.so.2:755 usr/bin/vde_plug:755 usr/bin/dpipe:755 usr/bin/vdens:755 \
	usr/share/man/man1/vde_plug.1:644 usr/share/man/man1/vdens.1:644 usr/share/man/man1/dpipe.1:644; do
	f=$DEST/${spec%%:*}
	[ -f "$f" ] || fail "make install INSTALL_COMPAT=1 did not install ${spec%%:*}"
	assert_eq "$(stat -c %a "$f")" "${spec##*:}" "mode of ${spec%%:*}"
done
for l in libvdeplug.so libvdeplug.so.3 libvdeplug_mod.so; do
	[ "$(readlink "$DEST/usr/lib/$l")" = "${l%%.so*}.so.2" ] || fail "usr/lib/$l is not a link to ${l%%.so*}.so.2"
done
if command -v cc >/dev/null 2>&1; then
	cat >"$WORK/plug.c" <<'EOF'
#include <libvdeplug_mod.h>
int main(void)
{
	VDECONN *c = vde_open("null://", "t-install", NULL);

	return c && vde_close(c) == 0 && strtoullm("1k") == 1024 ? 0 : 1;
}
EOF
	cc -std=gnu11 -Wall -Werror -I"$DEST/usr/include" -o "$WORK/plug" "$WORK/plug.c" \
		-L"$DEST/usr/lib" -lvdeplug -lvdeplug_mod >"$WORK/cc.log" 2>&1 ||
		fail "a program against the installed headers and libraries does not build: $(cat "$WORK/cc.log")"
	LD_LIBRARY_PATH=$DEST/usr/lib "$WORK/plug" || fail "a program on the installed library cannot open null://"
fi

# The installed programs run, and the installed configuration is valid and keeps the default network.
expect_rc 0 "$DEST/usr/sbin/vded" -n -f "$DEST/etc/vde/vded.conf"
assert_contains "$OUT" "configuration OK" "vded -n on the installed configuration"
expect_rc 0 "$DEST/usr/bin/vdectl" --version
grep -q '"name": *"default"' "$DEST/etc/vde/vded.conf" || fail "the installed configuration lost the default network"

# The units run the installed binary and carry the hardening the daemon relies on.
unit=$DEST/usr/lib/systemd/system/vded.service
grep -qE '^ExecStart=/usr/sbin/vded -F( |$)' "$unit" || fail "vded.service does not run /usr/sbin/vded -F"
grep -qx 'Type=notify' "$unit" || fail "vded.service is not Type=notify"
grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_CHOWN CAP_FOWNER CAP_FSETID CAP_DAC_OVERRIDE CAP_SETUID CAP_SETGID CAP_KILL' "$unit" ||
	fail "vded.service's capability bounding set is not the privileged process's eight"
! grep -q '^PrivateTmp=yes' "$unit" || fail "PrivateTmp would hide vde:// clients' sockets under /tmp"
grep -qx 'ListenStream=/run/vde/vded.sock' "$DEST/usr/lib/systemd/system/vded.socket" ||
	fail "vded.socket does not listen on /run/vde/vded.sock"

if command -v systemd-analyze >/dev/null 2>&1; then
	# Verify against the staged binary (the unit names /usr/sbin/vded, not installed on this host).
	mkdir "$WORK/units"
	sed "s|^ExecStart=/usr/sbin/vded|ExecStart=$DEST/usr/sbin/vded|" "$unit" >"$WORK/units/vded.service"
	cp "$DEST/usr/lib/systemd/system/vded.socket" "$WORK/units/"
	(cd "$WORK/units" && systemd-analyze verify --man=no ./vded.socket ./vded.service) >"$WORK/verify.log" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$WORK/verify.log")"
	[ ! -s "$WORK/verify.log" ] || fail "systemd-analyze verify complained: $(cat "$WORK/verify.log")"
else
	log "systemd-analyze not installed: units not verified"
fi
if command -v systemd-sysusers >/dev/null 2>&1 && command -v systemd-tmpfiles >/dev/null 2>&1; then
	mkdir -p "$DEST/etc"
	systemd-sysusers --root="$DEST" >"$WORK/sysusers.log" 2>&1 || fail "systemd-sysusers: $(cat "$WORK/sysusers.log")"
	grep -q '^vde:x:[0-9]*:' "$DEST/etc/group" || fail "sysusers.d/vde.conf did not create group vde"
	systemd-tmpfiles --root="$DEST" --create "$DEST/usr/lib/tmpfiles.d/vde.conf" >"$WORK/tmpfiles.log" 2>&1 ||
		fail "systemd-tmpfiles: $(cat "$WORK/tmpfiles.log")"
	assert_eq "$(stat -c '%a %u %g' "$DEST/run/vde")" "755 0 0" "/run/vde made by tmpfiles.d"
	# vded accepts what tmpfiles made (its run dir must not be writable by others).
	expect_rc 0 "$DEST/usr/sbin/vded" -n --run-dir "$DEST/run/vde" -f "$DEST/etc/vde/vded.conf"
else
	log "systemd-sysusers/systemd-tmpfiles not installed: snippets not exercised"
fi
if command -v groff >/dev/null 2>&1; then
	for m in man8/vded.8 man1/vdectl.1 man5/vded.conf.5 man1/vde_plug.1 man1/vdens.1 man1/dpipe.1; do
		warn=$(groff -man -Tutf8 -ww -z "$DEST/usr/share/man/$m" 2>&1) || fail "groff failed on $m"
		[ -z "$warn" ] || fail "groff warns on $m: $warn"
	done
fi

# An edited configuration survives a second install.
echo '// edited by the administrator' >>"$DEST/etc/vde/vded.conf"
mk install >"$WORK/install2.log" 2>&1 || fail "second make install failed: $(cat "$WORK/install2.log")"
grep -q 'edited by the administrator' "$DEST/etc/vde/vded.conf" || fail "make install overwrote an edited vded.conf"

mk uninstall >"$WORK/uninstall.log" 2>&1 || fail "make uninstall failed: $(cat "$WORK/uninstall.log")"
[ -f "$DEST/usr/bin/vde_plug" ] || fail "make uninstall without INSTALL_COMPAT=1 removed the drop-in's vde_plug"
mk uninstall INSTALL_COMPAT=1 >"$WORK/uninstall.log" 2>&1 || fail "make uninstall failed: $(cat "$WORK/uninstall.log")"
left=$(cd "$DEST" && find . -type f ! -path ./etc/vde/vded.conf ! -path './etc/group*' ! -path './etc/gshadow*' \
	! -path './etc/passwd*' ! -path './etc/shadow*' ! -path ./etc/.pwd.lock | sort)
[ -z "$left" ] || fail "make uninstall left files behind: $left"
[ -f "$DEST/etc/vde/vded.conf" ] || fail "make uninstall removed the configuration"

log "ok"
