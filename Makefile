# vde — the one build file.
#   make            build everything into $(B)/
#   make check      build, then run unit, integration and interop tests (tests/run)
#   make asan       the same tests on an ASan+UBSan build in build-asan/
#   make bench      benchmarks (tests/bench/run); prints ratios against references
#   make bench-cloud  scale figures of a 10- and 50-host vxvde cloud (tests/bench/cloud)
#   make fuzz       run the libFuzzer targets for FUZZ_SECONDS each (clang)
#   make includes   the include graph of vded's modules, one "A -> B" line per edge (scripts/include-graph)
#   make run        start vded in the foreground with etc/vded.conf
#   make install DESTDIR=... PREFIX=...
#   make deps       install the Debian packages the build and the tests need

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
LIBDIR    ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/libexec
INCDIR    ?= $(PREFIX)/include
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR   ?=

CC        ?= cc
CFLAGS    ?= -O2 -g
SANITIZE  ?=
WERROR    ?=

ifneq ($(SANITIZE),)
B         ?= build-asan
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -DVDE_SANITIZE=1
else
B         ?= build
SAN_FLAGS :=
endif

# Warnings live in their own variable so that `make CFLAGS=...` cannot drop them.
WARNINGS  := -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wmissing-prototypes -Wstrict-prototypes \
	     -Wpointer-arith -Wcast-qual -Wundef -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARNINGS  += -Werror
endif

JSON_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null)
JSON_LIBS   := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
# Debian's libev ships no .pc file.
EV_LIBS     := $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
CAP_LIBS    := -lcap
NL_CFLAGS   := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null || echo -I/usr/include/libnl3)
NL_LIBS     := $(shell pkg-config --libs libnl-route-3.0 2>/dev/null || echo -lnl-route-3 -lnl-3)
SLIRP_LIBS  := -lslirp
# vxvde's membership key (vded/backends/vxseal.c): ChaCha20-Poly1305
NETTLE_LIBS := $(shell pkg-config --libs nettle 2>/dev/null || echo -lnettle)

ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DVDE_VERSION='"$(VERSION)"' -DVDE_LIBDIR='"$(LIBDIR)"' $(WARNINGS) \
	      $(CFLAGS) $(SAN_FLAGS) \
	      -Iinclude -Icommon -Ivded -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)

COMMON_SRC := $(wildcard common/*.c)
VDED_SRC   := $(wildcard vded/*.c vded/*/*.c)
CLIENT_SRC := libvdeclient/vdeclient.c

VDED       := $(B)/vded/vded
VDECTL     := $(B)/vdectl/vdectl

UNIT_SRC   := $(wildcard tests/unit/test-*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
BENCH_SRC  := $(wildcard tests/bench/*.c)
BENCH_BIN  := $(patsubst tests/bench/%.c,$(B)/tests/bench/%,$(BENCH_SRC))
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(B)/tests/fuzz/%-replay,$(FUZZ_SRC))
TESTTOOL_SRC := $(wildcard tests/tools/*.c)
TESTTOOL_BIN := $(patsubst tests/tools/%.c,$(B)/tests/tools/%,$(TESTTOOL_SRC))

.DEFAULT_GOAL := all
obj = $(patsubst %.c,$(B)/%.o,$(1))
.SECONDEXPANSION:

# ---- libvdeplug.so.2 (vdeplug4 drop-in), libvdeplug_mod.so.2 (module helpers), modules, commands ----
# libvdeclient/vdeplug_*.c make libvdeplug.so.2; libvdeclient/mod_*.c make libvdeplug_mod.so.2.
# plugins/NAME.c or plugins/NAME/*.c make $(B)/lib/vdeplug/libvdeplug_NAME.so; a module that needs more
# sources or libraries names them in PLUGIN_EXTRA_NAME / PLUGIN_LIBS_NAME.
# vdectl/cmd_NAME.c make the compatibility commands $(B)/bin/NAME (vde_plug, dpipe, vdens).
PIC_CFLAGS   := -fPIC -fvisibility=hidden
LIBVDEPLUG_SRC := $(wildcard libvdeclient/vdeplug_*.c)
# libvdeplug_mod's exported hash table (vde_find_in_hash...) wraps common/machash.c, the one MAC table.
LIBVDEPLUG_MOD_SRC := $(wildcard libvdeclient/mod_*.c) common/machash.c
LIBVDEPLUG   := $(if $(LIBVDEPLUG_SRC),$(B)/lib/libvdeplug.so.2)
LIBVDEPLUG_MOD := $(if $(LIBVDEPLUG_MOD_SRC),$(B)/lib/libvdeplug_mod.so.2)
PLUGIN_NAMES := $(sort $(patsubst plugins/%.c,%,$(wildcard plugins/*.c)) \
		$(patsubst plugins/%/,%,$(dir $(wildcard plugins/*/*.c))))
PLUGINS      := $(patsubst %,$(B)/lib/vdeplug/libvdeplug_%.so,$(PLUGIN_NAMES))
COMMANDS     := $(patsubst vdectl/cmd_%.c,$(B)/bin/%,$(wildcard vdectl/cmd_*.c))
PLUGIN_EXTRA_vded := libvdeclient/vdeclient.c common/fdpass.c common/proto.c
PLUGIN_LIBS_vded := $(JSON_LIBS)
# agno: AES-128 from nettle; slirp: libslirp (its .pc wants glib's, absent without libglib2.0-dev).
PLUGIN_LIBS_agno := $(NETTLE_LIBS)
PLUGIN_LIBS_slirp := $(shell pkg-config --libs slirp 2>/dev/null || echo -lslirp) -lpthread
PLUGIN_EXTRA_slirp := common/subnet.c
# vxvde/vxlan share plugins/vxvde/vxnet.c and vxvde's wire codec common/vxproto.c (vded's too);
# switch/hub/multi/bonding share plugins/switch/netnode.c (a node thread serving the vde_switch protocol
# of common/vdeproto.c); all learn in common/machash.c, the one MAC+VLAN table (each module has its own
# hidden copy, so it behaves the same whichever libvdeplug_mod, ours or vdeplug4's, is loaded).
PLUGIN_EXTRA_vxvde := common/vxproto.c common/machash.c
PLUGIN_EXTRA_vxlan := plugins/vxvde/vxnet.c common/vxproto.c common/machash.c
PLUGIN_EXTRA_switch := common/vdeproto.c common/machash.c
PLUGIN_LIBS_switch := -lpthread
PLUGIN_EXTRA_hub := plugins/switch/netnode.c common/machash.c common/vdeproto.c
PLUGIN_LIBS_hub := -lpthread
PLUGIN_EXTRA_multi := $(PLUGIN_EXTRA_hub)
PLUGIN_LIBS_multi := -lpthread
PLUGIN_EXTRA_bonding := $(PLUGIN_EXTRA_hub)
PLUGIN_LIBS_bonding := -lpthread
CMD_LIBS_vdens := -lcap
pic = $(patsubst %.c,$(B)/pic/%.o,$(1))

# The shared objects are never sanitized: programs without the sanitizer runtime (QEMU, Debian's
# vde_plug) load them in the interop tests. Their code is sanitized through the unit and fuzz tests.
$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out $(SAN_FLAGS),$(ALL_CFLAGS)) $(PIC_CFLAGS) $(JSON_CFLAGS) -c -o $@ $<

$(B)/lib/libvdeplug.so.2: $(call pic,$(LIBVDEPLUG_SRC)) libvdeclient/libvdeplug.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libvdeplug.so.2 -Wl,--version-script=libvdeclient/libvdeplug.map \
		-o $@ $(call pic,$(LIBVDEPLUG_SRC)) -ldl
	ln -sf libvdeplug.so.2 $(B)/lib/libvdeplug.so.3
	ln -sf libvdeplug.so.2 $(B)/lib/libvdeplug.so

$(B)/lib/libvdeplug_mod.so.2: $(call pic,$(LIBVDEPLUG_MOD_SRC)) libvdeclient/libvdeplug_mod.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libvdeplug_mod.so.2 \
		-Wl,--version-script=libvdeclient/libvdeplug_mod.map -o $@ $(call pic,$(LIBVDEPLUG_MOD_SRC))
	ln -sf libvdeplug_mod.so.2 $(B)/lib/libvdeplug_mod.so

$(B)/lib/vdeplug/libvdeplug_%.so: $$(call pic,$$(wildcard plugins/$$*.c plugins/$$*/*.c) $$(PLUGIN_EXTRA_$$*)) \
		$(LIBVDEPLUG) $(LIBVDEPLUG_MOD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -o $@ $(filter %.o,$^) -L$(B)/lib -lvdeplug_mod -lvdeplug $(PLUGIN_LIBS_$*)

$(B)/bin/%: $(B)/vdectl/cmd_%.o $(LIBVDEPLUG) $(LIBVDEPLUG_MOD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< -L$(B)/lib -lvdeplug -lvdeplug_mod -Wl,-rpath,'$$ORIGIN/../lib' $(CMD_LIBS_$*)

.PHONY: all check asan bench bench-cloud fuzz includes run programs install uninstall clean deps
all: $(VDED) $(VDECTL) $(LIBVDEPLUG) $(LIBVDEPLUG_MOD) $(PLUGINS) $(COMMANDS) $(UNIT_BIN) $(BENCH_BIN) \
	$(FUZZ_REPLAY) $(TESTTOOL_BIN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(JSON_CFLAGS) $(NL_CFLAGS) -c -o $@ $<

$(VDED): $(call obj,$(VDED_SRC) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EV_LIBS) $(JSON_LIBS) $(CAP_LIBS) $(NL_LIBS) $(SLIRP_LIBS) $(NETTLE_LIBS)

$(VDECTL): $(call obj,$(filter-out vdectl/cmd_%.c,$(wildcard vdectl/*.c)) $(CLIENT_SRC) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(JSON_LIBS)

# Unit tests: tests/unit/test-NAME.c links with its module (vded/NAME.c or vded/DIR/NAME.c) and common/.
# A test that needs more lists it in UNIT_EXTRA_test-NAME.
UNIT_EXTRA_test-methods := $(filter-out vded/main.c vded/control/methods.c,$(VDED_SRC))
UNIT_EXTRA_test-events := $(filter-out vded/main.c vded/control/events.c,$(VDED_SRC))
UNIT_EXTRA_test-uvdel := libvdeclient/mod_parse.c libvdeclient/mod_util.c libvdeclient/mod_hash.c \
	libvdeclient/vdeplug_open.c
UNIT_EXTRA_test-vdestream := libvdeclient/vdeplug_stream.c
UNIT_EXTRA_test-pcap := vdectl/pcap.c
UNIT_EXTRA_test-params := vded/error.c
UNIT_EXTRA_test-codec := vded/control/params.c vded/error.c
UNIT_EXTRA_test-policy := vded/error.c
UNIT_EXTRA_test-store := vded/control/codec.c vded/error.c
UNIT_EXTRA_test-priv := vded/priv/vnl.c vded/priv/keeper.c vded/priv/sdnotify.c vded/error.c
# The data path alone: network.c with its ports, switch and offloads; the test stubs the endpoint.
UNIT_EXTRA_test-network := vded/dataplane/capture.c vded/dataplane/port.c vded/dataplane/shaper.c vded/dataplane/switch.c vded/dataplane/offload.c vded/error.c
# It links only the libraries in UNIT_LIBS_test-NAME (common/ needs none).
UNIT_LIBS_test-listener := $(EV_LIBS)
UNIT_LIBS_test-network := $(EV_LIBS) $(JSON_LIBS)
UNIT_LIBS_test-priv := $(CAP_LIBS) $(NL_LIBS)
UNIT_LIBS_test-uvdel := -ldl
UNIT_LIBS_test-params := $(JSON_LIBS)
UNIT_LIBS_test-vxseal := $(NETTLE_LIBS)
UNIT_LIBS_test-codec := $(JSON_LIBS)
UNIT_LIBS_test-store := $(JSON_LIBS)
# The method table still reaches every backend (issue 9), so its test links all of vded's libraries.
UNIT_LIBS_test-methods := $(EV_LIBS) $(JSON_LIBS) $(CAP_LIBS) $(NL_LIBS) $(SLIRP_LIBS) $(NETTLE_LIBS)
UNIT_LIBS_test-events := $(EV_LIBS) $(JSON_LIBS) $(CAP_LIBS) $(NL_LIBS) $(SLIRP_LIBS) $(NETTLE_LIBS)
unit_objs = $(call obj,$(sort $(wildcard vded/$(1).c vded/*/$(1).c) $(UNIT_EXTRA_test-$(1))))
$(B)/tests/unit/test-%: $(B)/tests/unit/test-%.o $$(call unit_objs,$$*) $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(call unit_objs,$*) $(call obj,$(COMMON_SRC)) $(UNIT_LIBS_test-$*)

# Benchmark helpers and test tools: one standalone program per file, plus the client library.
# swbench measures the switch itself, so it links it too.
$(B)/tests/bench/swbench: $(call obj,vded/dataplane/switch.c)
$(B)/tests/bench/%: $(B)/tests/bench/%.o $(call obj,$(CLIENT_SRC) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(JSON_LIBS) -ldl
# Test tools load libvdeplug (Debian's, whose RTLD_DEEPBIND the sanitizers refuse, or ours), so they are
# never sanitized: built from source in one step, without the sanitizer flags.
$(B)/tests/tools/%: tests/tools/%.c $(CLIENT_SRC) $(COMMON_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out $(SAN_FLAGS) -MMD -MP,$(ALL_CFLAGS)) $(JSON_CFLAGS) $(LDFLAGS) -o $@ $^ $(JSON_LIBS) -ldl

# Fuzz targets: a replay main() for `make check`, libFuzzer builds for `make fuzz`. tests/fuzz/NAME.c links
# with what it fuzzes, FUZZ_EXTRA_NAME (and what that needs), and common/; and only the libraries in
# FUZZ_LIBS_NAME. fuzz-uvdel and fuzz-vdestream include the library's parsers themselves; fuzz-vxvde
# (common/vxproto.c) and fuzz-vde-request (common/vdeproto.c) need nothing but common/.
FUZZ_EXTRA_fuzz-switch := vded/dataplane/switch.c
FUZZ_EXTRA_fuzz-offload := vded/dataplane/offload.c
FUZZ_EXTRA_fuzz-rxbatch := vded/dataplane/port.c
FUZZ_EXTRA_fuzz-config := vded/control/config.c vded/control/params.c vded/error.c
FUZZ_LIBS_fuzz-config := $(JSON_LIBS)
FUZZ_EXTRA_fuzz-params := vded/control/params.c vded/error.c
FUZZ_LIBS_fuzz-params := $(JSON_LIBS)
# fuzz-control drives the method table, whose handlers reach every backend: it links the engine
# without its process (main.c), its socket (control.c) and its config file (config.c).
FUZZ_EXTRA_fuzz-control := $(filter-out vded/main.c vded/control/control.c vded/control/config.c,$(VDED_SRC))
FUZZ_LIBS_fuzz-control := $(EV_LIBS) $(JSON_LIBS) $(CAP_LIBS) $(NL_LIBS) $(SLIRP_LIBS) $(NETTLE_LIBS)
$(B)/tests/fuzz/%-replay: tests/fuzz/%.c tests/fuzz/replay.c $$(call obj,$$(FUZZ_EXTRA_$$*) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(JSON_CFLAGS) $(ALL_LDFLAGS) -o $@ tests/fuzz/$*.c tests/fuzz/replay.c \
		$(call obj,$(FUZZ_EXTRA_$*) $(COMMON_SRC)) $(FUZZ_LIBS_$*)

# One clang build and run per target, from the same FUZZ_EXTRA_/FUZZ_LIBS_ lists as the replays.
FUZZ_SECONDS ?= 30
# make fuzz FUZZ=fuzz-params: only the targets named
FUZZ ?= $(FUZZ_NAMES)
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
fuzz:
	@set -e; mkdir -p build-fuzz; $(foreach n,$(FUZZ), \
	  echo "fuzz: $(n)"; mkdir -p tests/fuzz/corpus/$(n); \
	  clang -std=gnu11 -D_GNU_SOURCE -DVDE_VERSION='"$(VERSION)"' -g -O1 -fsanitize=fuzzer,address,undefined \
	    -Iinclude -Icommon -Ivded $(JSON_CFLAGS) $(NL_CFLAGS) -o build-fuzz/$(n) tests/fuzz/$(n).c \
	    $(FUZZ_EXTRA_$(n)) $(COMMON_SRC) $(FUZZ_LIBS_$(n)); \
	  ./build-fuzz/$(n) -max_total_time=$(FUZZ_SECONDS) -max_len=70000 tests/fuzz/corpus/$(n);)
# make fuzz-files-NAME: the sources and libraries fuzz target NAME is built with.
fuzz-files-%:
	@echo $(FUZZ_EXTRA_$*) $(COMMON_SRC) $(FUZZ_LIBS_$*)

check: all
	B=$(B) tests/run

asan:
	$(MAKE) SANITIZE=address,undefined check

bench: all
	B=$(B) tests/bench/run; rc=$$?; B=$(B) tests/bench/ifport || rc=1; exit $$rc

# scale figures of a vxvde cloud of 10 and 50 hosts (tests/bench/cloud; CLOUD_HOSTS, CLOUD_MODES)
bench-cloud: all
	B=$(B) tests/bench/cloud

run: $(VDED) $(VDECTL)
	$(VDED) -F -f etc/vded.conf

deps:
	scripts/deps

# tests/static/t-include-circles.sh fails when this graph has a circle.
includes:
	@scripts/include-graph vded

# Units and snippets go where systemd looks for packaged ones (PREFIX=/usr: /usr/lib/systemd/system).
# An existing $(SYSCONFDIR)/vde/vded.conf is left alone: it may hold the administrator's edits.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d

PLUGIN_FILES := $(notdir $(PLUGINS))
COMMAND_FILES := $(notdir $(COMMANDS))
# For developers, the installed C API is vdeplug4's: libvdeplug.h and libvdeplug_mod.h with our
# libvdeplug.so.2 and libvdeplug_mod.so.2, in a private directory (PRIVLIBDIR, PRIVINCDIR) that no
# Debian package owns and the dynamic loader does not search, so they neither replace Debian's
# libvdeplug2 (QEMU's, vde_plug's) nor lose to it: vde-vdeplug.pc (and vde-vdeplug-mod.pc for modules)
# give -I, -L and an rpath to that directory, and a program built with them loads ours.
# include/vdeclient.h is not installed: it is this tree's own client of doc/protocol.md, compiled into
# vdectl, the vded:// module and the test tools, and its calls trade json-c objects, so an installed
# library behind it would make json-c's ABI part of ours. Other programs speak the protocol (NDJSON on a
# socket) or open vded://NETWORK through libvdeplug.
HEADERS := include/libvdeplug.h include/libvdeplug_mod.h
PRIVLIBDIR ?= $(LIBDIR)/vde
PRIVINCDIR ?= $(INCDIR)/vde
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
PKGCONFIGS := vde-vdeplug vde-vdeplug-mod
DOCDIR ?= $(PREFIX)/share/doc/vde
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCS := doc/protocol.md doc/vde-wire.md doc/security.md doc/libvirt.md doc/restart.md
COMMAND_MANS := $(patsubst %,doc/%.1,$(COMMAND_FILES))

# The vdeplug4 drop-in (libvdeplug.so.2, libvdeplug_mod.so.2, their headers, vde_plug, dpipe, vdens and
# their man pages) has the same file names as Debian's vdeplug, vdens, libvdeplug2 and libvdeplug-dev,
# so it is installed only with INSTALL_COMPAT=1. By default nothing a package may own is written: vded,
# vdectl and the modules in $(LIBDIR)/vdeplug/, where Debian's libvdeplug (QEMU's) also looks
# (/usr/lib/vdeplug/ with PREFIX=/usr; elsewhere set VDEPLUGIN_PATH), so vded:// works through it.
INSTALL_COMPAT ?= 0
ifeq ($(INSTALL_COMPAT),1)
COMPAT_DEPS := $(LIBVDEPLUG) $(LIBVDEPLUG_MOD) $(COMMANDS)
endif

# What install puts in place, built (the packaging builds this, not the tests).
programs: $(VDED) $(VDECTL) $(LIBVDEPLUG) $(LIBVDEPLUG_MOD) $(PLUGINS) $(COMMANDS)

install: $(VDED) $(VDECTL) $(LIBVDEPLUG) $(LIBVDEPLUG_MOD) $(PLUGINS) $(COMPAT_DEPS)
	install -d $(DESTDIR)$(LIBDIR)/vdeplug
	install -m 0755 $(PLUGINS) $(DESTDIR)$(LIBDIR)/vdeplug/
	install -d $(DESTDIR)$(PRIVLIBDIR) $(DESTDIR)$(PRIVINCDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(LIBVDEPLUG) $(LIBVDEPLUG_MOD) $(DESTDIR)$(PRIVLIBDIR)/
	ln -sf libvdeplug.so.2 $(DESTDIR)$(PRIVLIBDIR)/libvdeplug.so
	ln -sf libvdeplug_mod.so.2 $(DESTDIR)$(PRIVLIBDIR)/libvdeplug_mod.so
	install -m 0644 $(HEADERS) $(DESTDIR)$(PRIVINCDIR)/
	for pc in $(PKGCONFIGS); do \
		sed -e 's|@PRIVLIBDIR@|$(PRIVLIBDIR)|' -e 's|@PRIVINCDIR@|$(PRIVINCDIR)|' -e 's|@VERSION@|$(VERSION)|' \
			contrib/pkgconfig/$$pc.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/$$pc.pc || exit 1; \
		chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/$$pc.pc; \
	done
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/vde $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(VDED) $(DESTDIR)$(SBINDIR)/vded
	install -m 0755 $(VDECTL) $(DESTDIR)$(BINDIR)/vdectl
	install -d $(DESTDIR)$(LIBEXECDIR)/vde
	install -m 0755 libexec/vde-ifup $(DESTDIR)$(LIBEXECDIR)/vde/vde-ifup
	ln -sf vde-ifup $(DESTDIR)$(LIBEXECDIR)/vde/vde-ifdown
	[ -e $(DESTDIR)$(SYSCONFDIR)/vde/vded.conf ] || \
		install -m 0644 etc/vded.conf $(DESTDIR)$(SYSCONFDIR)/vde/vded.conf
	install -m 0644 doc/vded.8 $(DESTDIR)$(MANDIR)/man8/vded.8
	install -m 0644 doc/vdectl.1 $(DESTDIR)$(MANDIR)/man1/vdectl.1
	install -m 0644 doc/vded.conf.5 $(DESTDIR)$(MANDIR)/man5/vded.conf.5
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 contrib/bash-completion/vdectl $(DESTDIR)$(BASHCOMPDIR)/vdectl
	sed 's|/usr/sbin/vded|$(SBINDIR)/vded|' systemd/vded.service >$(DESTDIR)$(SYSTEMDUNITDIR)/vded.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vded.service
	install -m 0644 systemd/vded.socket $(DESTDIR)$(SYSTEMDUNITDIR)/vded.socket
	install -m 0644 systemd/sysusers.d/vde.conf $(DESTDIR)$(SYSUSERSDIR)/vde.conf
	install -m 0644 systemd/tmpfiles.d/vde.conf $(DESTDIR)$(TMPFILESDIR)/vde.conf
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 systemd/vded-netns.conf $(DESTDIR)$(DOCDIR)/examples/vded-netns.conf
ifeq ($(INSTALL_COMPAT),1)
	install -d $(DESTDIR)$(INCDIR)
	install -m 0755 $(LIBVDEPLUG) $(LIBVDEPLUG_MOD) $(DESTDIR)$(LIBDIR)/
	ln -sf libvdeplug.so.2 $(DESTDIR)$(LIBDIR)/libvdeplug.so.3
	ln -sf libvdeplug.so.2 $(DESTDIR)$(LIBDIR)/libvdeplug.so
	ln -sf libvdeplug_mod.so.2 $(DESTDIR)$(LIBDIR)/libvdeplug_mod.so
	install -m 0644 $(HEADERS) $(DESTDIR)$(INCDIR)/
	install -m 0755 $(COMMANDS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(COMMAND_MANS) $(DESTDIR)$(MANDIR)/man1/
endif

# The configuration file stays (it may hold the administrator's edits), as with a package. The drop-in's
# files are removed only with INSTALL_COMPAT=1, so that a plain uninstall never touches a package's.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vded $(DESTDIR)$(BINDIR)/vdectl $(DESTDIR)$(MANDIR)/man8/vded.8 \
		$(DESTDIR)$(MANDIR)/man1/vdectl.1 $(DESTDIR)$(MANDIR)/man5/vded.conf.5 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vded.service $(DESTDIR)$(SYSTEMDUNITDIR)/vded.socket \
		$(DESTDIR)$(SYSUSERSDIR)/vde.conf $(DESTDIR)$(TMPFILESDIR)/vde.conf \
		$(addprefix $(DESTDIR)$(LIBDIR)/vdeplug/,$(PLUGIN_FILES)) \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS))) $(DESTDIR)$(BASHCOMPDIR)/vdectl \
		$(DESTDIR)$(LIBEXECDIR)/vde/vde-ifup $(DESTDIR)$(LIBEXECDIR)/vde/vde-ifdown \
		$(DESTDIR)$(DOCDIR)/examples/vded-netns.conf \
		$(addprefix $(DESTDIR)$(PRIVLIBDIR)/,libvdeplug.so.2 libvdeplug.so libvdeplug_mod.so.2 libvdeplug_mod.so) \
		$(addprefix $(DESTDIR)$(PRIVINCDIR)/,$(notdir $(HEADERS))) \
		$(patsubst %,$(DESTDIR)$(PKGCONFIGDIR)/%.pc,$(PKGCONFIGS))
ifeq ($(INSTALL_COMPAT),1)
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(COMMAND_FILES)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(COMMAND_MANS))) \
		$(addprefix $(DESTDIR)$(LIBDIR)/,libvdeplug.so.2 libvdeplug.so.3 libvdeplug.so libvdeplug_mod.so.2 \
			libvdeplug_mod.so) $(addprefix $(DESTDIR)$(INCDIR)/,$(notdir $(HEADERS)))
endif
	-rmdir $(DESTDIR)$(LIBDIR)/vdeplug $(DESTDIR)$(DOCDIR) $(DESTDIR)$(LIBEXECDIR)/vde $(DESTDIR)$(PRIVLIBDIR) \
		$(DESTDIR)$(PRIVINCDIR) 2>/dev/null

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
.SECONDARY:
