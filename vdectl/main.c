/*
 * vdectl main: the command table and the global options.
 *
 * Grammar: vdectl [-s SOCK] [-t SECONDS] [-j] NOUN VERB [ARGS]. Each NOUN VERB pair is one row of
 * commands[]; its positionals and options are specs that options.c parses by and the help below
 * prints from, so the synopsis, the help text, the usage errors, the params sent and the dispatch
 * cannot drift apart.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "vdectl.h"

#ifndef VDE_VERSION
#define VDE_VERSION "unknown"
#endif

const char *opt_socket;
int opt_json, opt_pretty;
unsigned opt_timeout = VDECTL_TIMEOUT_DEFAULT;

/* ---------------------------------------------------------------- the options of each command */

#define OPT_MISSING_OK(what) \
	{ .name = "missing-ok", .param = "missing_ok", .type = OPT_FLAG, .help = "succeed if " what }

/* A port's switch policy (the "switch" group of port.set, network.attach, tap.add). */
#define SWITCH_OPTS                                                                                             \
	{ .name = "vlan", .arg = "N", .param = "switch.vlan", .type = OPT_UINT, .max = 4094,                    \
	  .help = "an access port of VLAN N: untagged on the port (0: none)" },                                 \
	{ .name = "trunk", .arg = "VLANS", .param = "switch.trunk", .type = OPT_STRING,                          \
	  .help = "a trunk carrying these VLANs tagged: 10,20-30, or all\n(\"\": not a trunk)" },                 \
	{ .name = "native", .arg = "N", .param = "switch.native", .type = OPT_UINT, .max = 4094,                \
	  .help = "a trunk's untagged frames are VLAN N (0: dropped)" },                                        \
	{ .name = "isolated", .param = "switch.isolated", .type = OPT_ONOFF,                                    \
	  .help = "talk only to ports that are not isolated (=off: clear)" },                                   \
	{ .name = "max-macs", .arg = "N", .param = "switch.max_macs", .type = OPT_UINT, .max = 65536,            \
	  .help = "learn at most N source MACs; frames from others are dropped\n(0: no limit)" },               \
	{ .name = "pin-mac", .arg = "MAC", .param = "switch.macs", .type = OPT_LIST,                              \
	  .help = "accept only this source MAC; may be repeated (at most 8)" },                                 \
	{ .name = "storm-broadcast", .arg = "N", .param = "switch.storm_broadcast", .type = OPT_UINT,            \
	  .max = 10000000, .help = "at most N broadcast frames/s from the port (0: no limit)" },                \
	{ .name = "storm-multicast", .arg = "N", .param = "switch.storm_multicast", .type = OPT_UINT,            \
	  .max = 10000000, .help = "at most N multicast frames/s" },                                            \
	{ .name = "storm-unknown", .arg = "N", .param = "switch.storm_unknown", .type = OPT_UINT,               \
	  .max = 10000000, .help = "at most N frames/s to unknown unicast addresses" },                         \
	{ .name = "loop-protect", .param = "switch.loop_protect", .type = OPT_ONOFF,                             \
	  .help = "shut the port when it sends back frames flooded to it\n(=off: clear)" },                     \
	{ .name = "loop-hold", .arg = "SECONDS", .param = "switch.loop_hold", .type = OPT_UINT, .max = 86400,   \
	  .help = "how long a looping port stays shut (0: default 10)" },                                       \
	{ .name = "full-flood", .param = "switch.full_flood", .type = OPT_ONOFF,                                \
	  .help = "with a full MAC table, this secured port's unknown unicast\nstill reaches secured ports" }

#define PORT_DEFAULT_OPT                                                                                        \
	{ .name = "port-default", .arg = "KEY=VALUE", .param = "port_default", .type = OPT_KV,                  \
	  .help = "the switch policy of new ports (a key of 'port set': vlan=10,\n"                              \
		  "isolated=on, max-macs=4, ...); may be repeated" }

static const struct optspec network_create_opts[] = {
	{ .name = "description", .arg = "TEXT", .param = "description", .type = OPT_STRING,
	  .help = "free text shown by list and show" },
	{ .name = "exist-ok", .param = "exist_ok", .type = OPT_FLAG, .help = "succeed if NAME exists with the settings given" },
	{ .name = "group", .arg = "GROUP", .param = "group", .type = OPT_STRING,
	  .help = "the network's group, a name or number (default: your primary\n"
		  "group; for root, vded's socket group); you must be a member" },
	{ .name = "mode", .arg = "MODE", .param = "mode", .type = OPT_MODE,
	  .help = "octal, e.g. 0660 (default) or 0640 (group may look, not attach)" },
	{ .name = "max-ports", .arg = "N", .param = "max_ports", .type = OPT_UINT, .max = 2147483647,
	  .help = "most ports at once (default 256)" },
	{ .name = "mac-table-size", .arg = "N", .param = "mac_table_size", .type = OPT_UINT, .max = 2147483647,
	  .help = "MAC addresses the switch learns (default 4096)" },
	{ .name = "mac-aging", .arg = "SECONDS", .param = "mac_aging", .type = OPT_UINT, .max = 2147483647,
	  .help = "forget a MAC address unseen for this long (default 300)" },
	{ .name = "vxvde", .arg = "GROUP[:PORT]", .param = "vxvde", .type = OPT_STRING,
	  .help = "join a vxvde multicast group: 239.1.2.3, 239.1.2.3:14789 or\n"
		  "[ff05::1]:14789 (default port 14789)" },
	{ .name = "vni", .arg = "N", .param = "vni", .type = OPT_UINT, .max = 0xffffff, .needs = "vxvde",
	  .help = "vxvde network identifier, 0..16777215 (default 1)" },
	{ .name = "ttl", .arg = "N", .param = "ttl", .type = OPT_UINT, .max = 255, .needs = "vxvde",
	  .help = "multicast TTL, 1..255 (default 1: this link only)" },
	{ .name = "interface", .arg = "IF", .param = "interface", .type = OPT_STRING,
	  .help = "the interface to send and join the group on" },
	{ .name = "peer", .arg = "ADDR[:PORT]", .param = "peers", .type = OPT_LIST, .needs = "vxvde",
	  .help = "a unicast vxvde peer (default port 14790), may be repeated (at most 16):\n"
		  "floods go to it besides the group, and peers it announces are\n"
		  "learned (admins only)" },
	{ .name = "peer-port", .arg = "PORT", .param = "peer_port", .type = OPT_UINT, .min = 1024, .max = 65535,
	  .needs = "vxvde", .help = "the UDP port peers reach this network on, e.g. 14790 for a seed\n"
				   "(default: any; admins only)" },
	{ .name = "key-file", .arg = "PATH", .param = "key", .type = OPT_FILE, .needs = "vxvde",
	  .help = "the network's membership key: a file of 64 hex digits, read by\n"
		  "vdectl; only holders of the key join (not vdeplug4-compatible)" },
	{ .name = "encrypt", .param = "encrypt", .type = OPT_FLAG, .needs = "key-file",
	  .help = "encrypt the datagrams too (the key always authenticates them)" },
	{ .name = "vxlan", .arg = "VNI", .param = "vxlan", .type = OPT_UINT, .max = 0xffffff,
	  .help = "an uplink into a VXLAN fabric: a kernel VXLAN device vdevxVNI\n"
		  "(needs --remote; admins only)" },
	{ .name = "remote", .arg = "IP", .param = "remote", .type = OPT_STRING, .needs = "vxlan",
	  .help = "the remote VTEP, or a multicast group (then with --interface)" },
	{ .name = "dstport", .arg = "PORT", .param = "dstport", .type = OPT_UINT, .min = 1, .max = 65535,
	  .needs = "vxlan", .help = "the VXLAN UDP port (default 4789)" },
	{ .name = "mtu", .arg = "N", .param = "mtu", .type = OPT_UINT, .min = 68, .max = 9216, .needs = "vxlan",
	  .help = "the VXLAN device's MTU (default: the kernel's, the underlay's less 50)" },
	{ .name = "slirp", .param = "slirp", .type = OPT_FLAG,
	  .help = "NAT to the host's networks (libslirp): host .2, DHCP from .15, DNS .3" },
	{ .name = "subnet", .arg = "CIDR", .param = "subnet", .type = OPT_STRING, .needs = "slirp",
	  .help = "the slirp subnet (default 10.0.2.0/24)" },
	{ .name = "ipv6", .param = "ipv6", .type = OPT_FLAG, .needs = "slirp", .help = "slirp IPv6 too (fd00::/64)" },
	{ .name = "dns", .arg = "ADDR", .param = "dns", .type = OPT_STRING, .needs = "slirp",
	  .help = "the slirp DNS address, inside the subnet" },
	PORT_DEFAULT_OPT,
	{ NULL },
};

static const struct optspec network_set_opts[] = {
	{ .name = "group", .arg = "GROUP", .param = "group", .type = OPT_STRING,
	  .help = "new group, a name or number; you must be a member" },
	{ .name = "mode", .arg = "MODE", .param = "mode", .type = OPT_MODE, .help = "new octal mode, e.g. 0660" },
	{ .name = "description", .arg = "TEXT", .param = "description", .type = OPT_STRING,
	  .help = "new description" },
	PORT_DEFAULT_OPT,
	{ .name = "peer", .arg = "ADDR[:PORT]", .param = "peers", .type = OPT_LIST,
	  .help = "the vxvde peers, replacing the configured ones; may be repeated\n(admins only)" },
	{ NULL },
};

static const struct optspec network_attach_opts[] = {
	{ .name = "fd", .arg = "N", .type = OPT_UINT, .max = 2147483647,
	  .help = "descriptor number CMD finds the port on (default 3)" },
	{ .name = "description", .arg = "TEXT", .param = "description", .type = OPT_STRING,
	  .help = "port description (default \"vdectl: CMD user=USER pid=PID\")" },
	{ .name = "port", .arg = "N", .param = "port", .type = OPT_UINT, .max = 2147483647,
	  .help = "ask for port number N" },
	{ .name = "hangup-signal", .arg = "SIG", .type = OPT_STRING,
	  .help = "sent to CMD when vded drops the port or stops (default HUP; 'none': nothing)" },
	SWITCH_OPTS,
	{ NULL },
};

static const struct optspec mac_add_opts[] = {
	{ .name = "vlan", .arg = "N", .param = "vlan", .type = OPT_UINT, .max = 4094,
	  .help = "the VLAN the address lives in (default 0: untagged on plain ports)" },
	{ NULL },
};

static const struct optspec mac_flush_opts[] = {
	{ .name = "port", .arg = "N", .param = "port", .type = OPT_UINT, .max = 2147483647,
	  .help = "only the addresses of port N" },
	{ .name = "static", .param = "static", .type = OPT_FLAG,
	  .help = "static entries too (they go from the definition)" },
	{ NULL },
};

static const struct optspec tap_add_opts[] = {
	{ .name = "owner", .arg = "USER", .param = "owner", .type = OPT_STRING,
	  .help = "the tap device's owner, a user name or number" },
	{ .name = "address", .arg = "CIDR", .param = "addresses", .type = OPT_LIST,
	  .help = "an IPv4 or IPv6 address with its prefix, e.g. 10.0.0.1/24;\nmay be repeated (at most 8)" },
	{ .name = "mtu", .arg = "N", .param = "mtu", .type = OPT_UINT, .max = 2147483647,
	  .help = "the interface MTU, 68..9216" },
	{ .name = "up", .param = "up", .type = OPT_FLAG, .help = "bring the interface up" },
	{ .name = "for-vm", .param = "for_vm", .type = OPT_FLAG,
	  .help = "a persistent tap vded does not open, for QEMU or libvirt\n"
		  "(-netdev tap,ifname=IFNAME; <target dev='IFNAME' managed='no'/>)" },
	{ .name = "group", .arg = "GROUP", .param = "group", .type = OPT_STRING, .needs = "for-vm",
	  .help = "with --for-vm: this group may open the tap too" },
	{ .name = "multi-queue", .param = "multi_queue", .type = OPT_FLAG, .needs = "for-vm",
	  .help = "with --for-vm: a multi-queue tap (QEMU queues=N)" },
	{ .name = "mac", .arg = "MAC", .param = "mac", .type = OPT_STRING,
	  .help = "the interface's MAC address (default: a random one, kept\nwith the definition)" },
	SWITCH_OPTS,
	{ NULL },
};

static const struct optspec port_add_opts[] = {
	{ .name = "transient", .param = "transient", .type = OPT_FLAG,
	  .help = "not saved: the port lives while the interface does" },
	{ .name = "keep-ip", .param = "keep_ip", .type = OPT_FLAG,
	  .help = "leave the host's addresses and IPv6 on the interface" },
	SWITCH_OPTS,
	{ NULL },
};
static const struct optspec port_remove_opts[] = { OPT_MISSING_OK("the network has no such interface port"), { NULL } };

static const struct optspec ns_create_opts[] = {
	{ .name = "net", .arg = "NET[:vlan=N][,...]", .param = "networks", .type = OPT_NAMES,
	  .required = "a namespace needs at least one network",
	  .help = "the networks, in interface order; may be repeated;\n"
		  "NET:vlan=N makes that interface an access port of VLAN N" },
	{ .name = "address", .arg = "[vdeN=]CIDR", .param = "addresses", .type = OPT_LIST,
	  .help = "an address of interface vdeN (default vde0), e.g. 10.0.0.5/24;\nsaved with the namespace; may be repeated (at most 8)" },
	{ .name = "gateway", .arg = "[vdeN=]IP", .param = "gateway", .type = OPT_STRING,
	  .help = "the default route via IP on vdeN (default vde0); saved with the namespace" },
	{ NULL },
};

static const struct optspec capture_opts[] = {
	{ .name = "port", .arg = "ID", .param = "ports", .type = OPT_UINTS, .min = 1, .max = 4096,
	  .help = "only the frames port ID receives and is sent, both ways;\nmay be repeated (at most 16)" },
	{ .name = "count", .arg = "N", .param = "count", .type = OPT_UINT, .min = 1, .max = 4294967295LL,
	  .help = "stop after N frames" },
	{ .name = "snaplen", .arg = "BYTES", .param = "snaplen", .type = OPT_UINT, .min = 64, .max = 262144,
	  .help = "keep at most BYTES of each frame (default 262144: all)" },
	{ .name = "write", .arg = "FILE", .type = OPT_STRING, .shortopt = 'w',
	  .help = "write to FILE, or '-' for standard output (the default)" },
	{ .name = "pcapng", .type = OPT_FLAG, .help = "write pcapng, one interface per port, with directions" },
	{ NULL },
};

static const struct optspec monitor_opts[] = {
	{ .name = "kind", .arg = "KIND[,KIND...]", .param = "kinds", .type = OPT_NAMES,
	  .help = "only these kinds: network, port, forward, denial (admins), mac;\nmay be repeated (default: all but mac)" },
	{ .name = "count", .arg = "N", .type = OPT_UINT, .min = 1, .max = 2147483647,
	  .help = "exit after N events" },
	{ NULL },
};

static const struct optspec topology_opts[] = {
	{ .name = "output", .arg = "dot|json", .type = OPT_STRING, .shortopt = 'o',
	  .help = "dot (default: a Graphviz graph, 'dot -Tsvg' draws it) or json\n(the default with -j)" },
	{ NULL },
};

static const struct optspec stats_opts[] = {
	{ .name = "watch", .arg = "[=SECONDS]", .type = OPT_UINT, .min = 1, .max = 86400, .optional_arg = 1,
	  .help = "a live table like top, made anew every SECONDS (default 2);\nplain lines when not a terminal" },
	{ .name = "interval", .arg = "SECONDS", .type = OPT_UINT, .min = 1, .max = 86400,
	  .help = "without --watch: the rates over this long (default 1)" },
	{ .name = "count", .arg = "N", .type = OPT_UINT, .min = 1, .max = 2147483647, .needs = "watch",
	  .help = "with --watch: stop after N tables" },
	{ .name = "prometheus", .type = OPT_FLAG,
	  .help = "print the counters in the Prometheus text format (no rates)" },
	{ NULL },
};

static const struct optspec network_delete_opts[] = { OPT_MISSING_OK("NAME does not exist"), { NULL } };
static const struct optspec network_disconnect_opts[] = { OPT_MISSING_OK("there is no such uplink"), { NULL } };
static const struct optspec tap_remove_opts[] = { OPT_MISSING_OK("the network has no such tap"), { NULL } };
static const struct optspec forward_remove_opts[] = { OPT_MISSING_OK("there is no such forward"), { NULL } };
static const struct optspec ns_delete_opts[] = { OPT_MISSING_OK("there is no such namespace"), { NULL } };
static const struct optspec port_detach_opts[] = { OPT_MISSING_OK("the port does not exist"), { NULL } };

/* port set: rate limits and impairment (vded's dataplane/shaper.h; its ranges are the authority) */
#define SHAPING_OPTS                                                                                       \
	{ .name = "rate-in", .arg = "BITS", .param = "rate_in", .type = OPT_RATE, .max = 1000000000000LL,     \
	  .help = "police what the port sends: bits/s, with k, M or G (10M);\n"                             \
		  "frames over it are dropped; 0 lifts the limit" },                                         \
	{ .name = "rate-out", .arg = "BITS", .param = "rate_out", .type = OPT_RATE, .max = 1000000000000LL,   \
	  .help = "shape what the port receives to bits/s: frames wait in\n"                               \
		  "its queue (2 MiB), dropped when it is full; 0 lifts it" },                                \
	{ .name = "burst", .arg = "BYTES", .param = "burst", .type = OPT_UINT, .max = 2147483647,            \
	  .help = "bytes a rate lets through at once (default: 10 ms at the\n"                             \
		  "rate, at least 65550)" },                                                                 \
	{ .name = "delay", .arg = "MS", .param = "delay", .type = OPT_UINT, .max = 2147483647,               \
	  .help = "delay what the port receives by MS milliseconds" },                                     \
	{ .name = "jitter", .arg = "MS", .param = "jitter", .type = OPT_UINT, .max = 2147483647,             \
	  .help = "vary the delay by up to +-MS ms (frames keep their order)" },                           \
	{ .name = "loss", .arg = "PCT", .param = "loss", .type = OPT_PERCENT,                                \
	  .help = "lose PCT % of what the port receives, at random" },                                     \
	{ .name = "dup", .arg = "PCT", .param = "dup", .type = OPT_PERCENT,                                  \
	  .help = "send PCT % of what the port receives twice" },                                          \
	{ .name = "reorder", .arg = "PCT", .param = "reorder", .type = OPT_PERCENT,                          \
	  .help = "hold PCT % of frames back to leave after the next one" },                               \
	{ .name = "clear-shaping", .param = "clear_shaping", .type = OPT_FLAG,                               \
	  .help = "lift every rate limit and impairment first" }

static const struct optspec port_set_opts[] = { SWITCH_OPTS, SHAPING_OPTS, { NULL } };

/* ---------------------------------------------------------------- the commands */

#define NETWORK_NAME { "NAME", "name", POS_NETNAME }
#define NETWORK { "NETWORK", "network", POS_NETNAME }

static const struct command commands[] = {
	{ "network", "create", network_create, { NETWORK_NAME }, network_create_opts, 0, 0,
	  "Create a network (a virtual switch) named NAME.",
	  "You own the network. Who else may see it and attach to it is set by its group and mode,\n"
	  "like a file's: 'r' lets a class (owner, group, others) see it, 'w' lets it attach.\n"
	  "With --vxvde the network also joins a vxvde multicast group (wire-compatible with\n"
	  "vdeplug4's vxvde://), and with --peer it also reaches unicast peers where multicast\n"
	  "cannot go; with --slirp it gets a NAT to the host with DHCP and DNS.\n" },
	{ "network", "set", network_set, { NETWORK_NAME }, network_set_opts, 0, 1,
	  "Change the group, mode or description of a network (its owner or an admin).",
	  "Ports already attached stay attached; the new rule holds for the next attach.\n" },
	{ "network", "delete", network_delete, { NETWORK_NAME }, network_delete_opts, 0, 0,
	  "Delete a network, closing every port on it.", NULL },
	{ "network", "list", network_list, { { NULL } }, NULL, 0, 0, "List the networks.", NULL },
	{ "network", "show", network_show, { NETWORK_NAME }, NULL, 0, 0,
	  "Show a network's settings and ports.", NULL },
	{ "network", "attach", network_attach, { { "NAME", "network", POS_NETNAME } }, network_attach_opts, 1, 0,
	  "Run CMD holding a new port of network NAME as descriptor N.",
	  "The port lives as long as CMD. Each datagram on the descriptor is one Ethernet frame;\n"
	  "QEMU takes it as -netdev socket,id=n0,fd=3. vdectl passes SIGINT, SIGTERM and SIGHUP on\n"
	  "to CMD and exits with CMD's exit status (128+N if CMD was killed by signal N). A restart\n"
	  "of vded keeps the port; when vded really drops it (port detach, network delete, vded\n"
	  "stopped), CMD gets SIGHUP (--hangup-signal), so a supervisor can start it again.\n" },
	{ "network", "connect", network_connect, { NETWORK, { "UVDEL", "url" } }, NULL, 0, 0,
	  "Connect a network to any libvdeplug locator (an uplink), e.g. udp://5000->10.0.0.2:5000.",
	  "The uplink is a port of kind 'uplink'. It is kept with the network's definition, and\n"
	  "reopened with backoff (1 s doubling to 60 s) whenever it fails; 'port list' shows its\n"
	  "state and last error. Admins only.\n" },
	{ "network", "disconnect", network_disconnect, { NETWORK, { "PORT", "port", POS_PORT } },
	  network_disconnect_opts, 0, 0, "Remove the uplink on port number PORT of a network.", NULL },
	{ "tap", "add", tap_add, { NETWORK, { "IFNAME", "ifname" } }, tap_add_opts, 0, 0,
	  "Make a tap interface IFNAME on the host, plugged into a network.",
	  "The tap is kept with the network's definition and made again when vded starts.\n"
	  "Admins only.\n" },
	{ "tap", "remove", tap_remove, { NETWORK, { "IFNAME", "ifname" } }, tap_remove_opts, 0, 0,
	  "Remove a tap interface made by 'tap add'.", NULL },
	{ "forward", "add", forward_add,
	  { NETWORK, { "PROTO", "proto", POS_PROTO, "tcp|udp" }, { "HOST", "host", POS_STRING, "[HOSTADDR:]HOSTPORT" },
	    { "GUEST", "guest", POS_STRING, "GUESTADDR:GUESTPORT" } }, NULL, 0, 0,
	  "Forward a host port to an address inside a slirp network.",
	  "Connections to HOSTADDR:HOSTPORT on the host (HOSTADDR default: every address) reach\n"
	  "GUESTADDR:GUESTPORT inside the network. The network needs --slirp. A host port in use is\n"
	  "an error (exit status 5).\n" },
	{ "forward", "remove", forward_remove,
	  { NETWORK, { "PROTO", "proto", POS_PROTO, "tcp|udp" }, { "HOST", "host", POS_STRING, "[HOSTADDR:]HOSTPORT" } },
	  forward_remove_opts, 0, 0, "Remove a port forward.", NULL },
	{ "forward", "list", forward_list, { NETWORK }, NULL, 0, 0,
	  "List the port forwards of a slirp network.", NULL },
	{ "ns", "create", ns_create, { NETWORK_NAME }, ns_create_opts, 0, 0,
	  "Make a network namespace /run/netns/NAME with interfaces vde0, vde1... on networks.",
	  "The interfaces are up, with stable MAC addresses, in the order of the networks given.\n"
	  "The namespace is made again when vded starts. Admins only.\n" },
	{ "ns", "delete", ns_delete, { NETWORK_NAME }, ns_delete_opts, 0, 0,
	  "Delete a namespace made by 'ns create'.", NULL },
	{ "ns", "list", ns_list, { { NULL } }, NULL, 0, 0, "List vded's namespaces and their interfaces.", NULL },
	{ "ns", "exec", ns_exec, { { "NAME", NULL } }, NULL, 1, 0,
	  "Run CMD inside namespace NAME (as 'ip netns exec'; needs root).",
	  "vdectl enters /run/netns/NAME itself, without asking vded, then runs CMD in place of\n"
	  "itself with a /sys showing the namespace's interfaces. It exits with CMD's status, 127 if\n"
	  "CMD was not found, 126 if it could not be run.\n" },
	{ "port", "list", port_list, { NETWORK }, NULL, 0, 0,
	  "List the ports of a network with their traffic counters.", NULL },
	{ "port", "show", port_show, { NETWORK, { "PORT", "port", POS_PORT } }, NULL, 0, 0,
	  "Show one port of a network: who made it, its counters and its kind's details.", NULL },
	{ "port", "add", port_add, { NETWORK, { "IFNAME", "ifname" } }, port_add_opts, 0, 0,
	  "Take the existing host interface IFNAME over as a port of a network.",
	  "IFNAME may be a tap QEMU or libvirt made, a veth end, a VXLAN device or a NIC. vded\n"
	  "reads and writes its frames (promiscuous, GSO frames whole) and, unless --keep-ip,\n"
	  "removes its addresses and turns IPv6 off on it. The port is kept with the network's\n"
	  "definition and taken again whenever the interface reappears; when the interface\n"
	  "goes, the port goes. Admins may add any interface; a user only a tap it owns, on a\n"
	  "network it may attach to, and only --transient.\n" },
	{ "port", "remove", port_remove, { NETWORK, { "IFNAME", "ifname" } }, port_remove_opts, 0, 0,
	  "Give the interface IFNAME back to the host (it stays; 'port add' took it).", NULL },
	{ "port", "detach", port_detach, { NETWORK, { "PORT", "port", POS_PORT } }, port_detach_opts, 0, 0,
	  "Close port number PORT of a network.", NULL },
	{ "port", "set", port_set, { NETWORK, { "PORT", "port", POS_PORT_OR_DEFAULT, "PORT|default" } }, port_set_opts, 0, 1,
	  "Set the switch policy, rate limits and impairment of port number PORT (owner, admins).",
	  "The settings belong to the port number: they hold for the port attached there now and\n"
	  "for every port that takes the number later (a vde_plug or QEMU asking for it), and are\n"
	  "saved with the network. Options not given keep their value.\n"
	  "VLANs: --vlan makes an access port, --trunk a trunk; a port with neither carries every\n"
	  "VLAN as the frames come. A port with --max-macs or --pin-mac is secured: its addresses do\n"
	  "not move to other ports, and it takes none that lives elsewhere. 'port list -j' counts what\n"
	  "each rule dropped (drop_*).\n"
	  "Rates: 0 turns one off. Delay, jitter, loss, duplication and reordering act on the frames\n"
	  "the port receives from the network, as vde-2's wirefilter did. 'default' in place of a\n"
	  "number sets the rates and impairment of every port number without its own, so that\n"
	  "attaching at another number does not escape them (the switch policy's default is\n"
	  "'network set --port-default').\n" },
	{ "mac", "add", mac_add, { NETWORK, { "MAC", "mac", POS_STRING }, { "PORT", "port", POS_PORT } }, mac_add_opts,
	  0, 0, "Add a static MAC address on port number PORT (its owner or an admin).",
	  "A static address never ages and never moves: frames from another port that claim it\n"
	  "are dropped. It is kept with the network's definition.\n" },
	{ "mac", "flush", mac_flush, { NETWORK }, mac_flush_opts, 0, 0,
	  "Forget the learned MAC addresses of a network (or of one port).", NULL },
	{ "mac", "list", mac_list, { NETWORK }, NULL, 0, 0,
	  "List the MAC addresses a network has learned, with their port and age.", NULL },
	{ "daemon", "info", daemon_info, { { NULL } }, NULL, 0, 0,
	  "Show vded's version, API level, features and methods.", NULL },
	{ "topology", NULL, topology_run, { { NULL } }, topology_opts, 0, 0,
	  "Show the networks, their ports by kind, namespaces and forwards as one graph.",
	  "Networks are boxes, with one node per port: taps and interfaces, uplinks and vxvde,\n"
	  "slirp with its forwards, attached clients; vded's namespaces are dashed boxes around\n"
	  "their interfaces. Only what you may see is shown. Draw it with\n"
	  "'vdectl topology | dot -Tsvg >topology.svg'.\n" },
	{ "capture", NULL, capture_run, { NETWORK }, capture_opts, 0, 0,
	  "Capture the frames crossing a network as pcap (its owner or an admin).",
	  "Without --port, every frame the network receives, once, as it comes in; with --port,\n"
	  "what those ports send and are sent. Frames vded's taps hand over as one offloaded\n"
	  "frame are written as the segments a wire would carry. Ctrl-C (or --count) stops it;\n"
	  "the frames lost because the output could not keep up are reported on standard error\n"
	  "(the network is never slowed). tcpdump -r FILE and wireshark read the file.\n" },
	{ "daemon", "upgrade", daemon_upgrade, { { NULL } }, NULL, 0, 0,
	  "Make vded execute its binary again (a new version after a package upgrade), keeping every port.",
	  "Every client, tap, namespace link and port id stays as it is; frames sent meanwhile wait in\n"
	  "the kernel's buffers. Admins only. See vded(8), RESTARTS.\n" },
	{ "stats", NULL, stats, { { "NETWORK", "network", POS_NETNAME, NULL, 1 } }, stats_opts, 0, 0,
	  "Show the rates of every port and network (frames, bytes, drops per second).",
	  "vdectl reads vded's counters twice and divides what changed by the time between: per\n"
	  "port, and per network the sums of its ports. DROP/s counts frames a port did not take\n"
	  "and datagrams that were not frames. --prometheus prints the counters themselves, for a\n"
	  "node exporter's textfile collector or a scrape (metric names in vdectl(1)).\n" },
	{ "monitor", NULL, monitor, { { "NETWORK", "network", POS_NETNAME, NULL, 1 } }, monitor_opts, 0, 0,
	  "Print what happens in vded as it happens (of NETWORK only, if given).",
	  "First the networks and ports there are now ('=' lines), then one line per event: its\n"
	  "sequence number (a gap means events you did not see), time, kind, action, network and\n"
	  "details. Networks and ports you may not see are not shown; denials only to admins.\n"
	  "With -j, the snapshot and each event as one JSON line (doc/protocol.md).\n" },
};
static const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

/* ---------------------------------------------------------------- help and usage, from the table */

/* "--mode MODE", but "--watch[=SECONDS]": an optional argument is glued to its option. */
#define ARG_SEP(o) ((o)->arg && !(o)->optional_arg ? " " : "")

/* Lines of help are kept within this many columns where the text allows. */
#define HELP_COLUMNS 80

static const char common_options[] =
	"  -s, --socket SOCK          control socket (default: $VDED_SOCKET, else\n"
	"                             " VDED_DEFAULT_SOCKET ")\n"
	"  -j, --json                 print the result object as one line of JSON\n"
	"  -p, --pretty               print it as indented JSON (implies -j)\n"
	"  -h, --help                 show this help\n";

/* Append printf output to buf of size, keeping it NUL-terminated when it does not fit. */
static void __attribute__((format(printf, 3, 4))) append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* "NOUN VERB" of cmd, or "NOUN" for a command that is its noun alone (static buffer). */
static const char *command_words(const struct command *cmd)
{
	static char words[64];

	snprintf(words, sizeof(words), "%s%s%s", cmd->noun, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
	return words;
}

/*
 * "NAME [--opt ARG]... [--] CMD [ARGS...]" of cmd into buf. brief: the optional options as one
 * "[OPTIONS]", for the lists where a command's every option would not fit on its line.
 */
static void synopsis(const struct command *cmd, int brief, char *buf, size_t size)
{
	const struct optspec *o;
	int optional = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < MAX_POS && cmd->pos[i].name; i++)
		append(buf, size, cmd->pos[i].optional ? " [%s]" : " %s",
		       cmd->pos[i].synopsis ? cmd->pos[i].synopsis : cmd->pos[i].name);
	for (o = cmd->opts; o && o->name; o++) {
		if (o->required)
			append(buf, size, " --%s%s%s", o->name, ARG_SEP(o), o->arg ? o->arg : "");
		else if (brief)
			optional = 1;
		else
			append(buf, size, " [--%s%s%s]%s", o->name, ARG_SEP(o), o->arg ? o->arg : "",
			       o->type == OPT_LIST || o->type == OPT_UINTS ? "..." : "");
	}
	if (optional)
		append(buf, size, " [OPTIONS]");
	if (cmd->takes_command)
		append(buf, size, " [--] CMD [ARGS...]");
}

/*
 * Print prefix and text, breaking text at its blanks outside brackets (so "[--mode MODE]" stays whole)
 * before HELP_COLUMNS; continuation lines start with indent blanks.
 */
static void print_wrapped(FILE *f, const char *prefix, const char *text, int indent)
{
	int col = fprintf(f, "%s", prefix);
	const char *p = text;

	while (*p) {
		const char *word = p;
		int depth = 0;
		size_t len;

		/* a word runs to the next blank at bracket depth 0, its leading blank included */
		if (*p == ' ')
			p++;
		while (*p && (*p != ' ' || depth > 0)) {
			depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
			p++;
		}
		len = (size_t)(p - word);
		if (col > indent && col + (int)len > HELP_COLUMNS && *word == ' ') {
			col = fprintf(f, "\n%*s", indent, "") - 1;
			word++;
			len--;
		}
		col += fprintf(f, "%.*s", (int)len, word);
	}
	fputc('\n', f);
}

/* "usage: vdectl [-s SOCK] [-j] NOUN VERB ..." with every option, wrapped. */
static void print_usage_command(FILE *f, const struct command *cmd)
{
	char prefix[128], syn[1024];

	snprintf(prefix, sizeof(prefix), "usage: vdectl [-s SOCK] [-j] %s", command_words(cmd));
	synopsis(cmd, 0, syn, sizeof(syn));
	print_wrapped(f, prefix, syn, 8);
}

/* One line per command of cmd's noun: every option if the line fits, else "[OPTIONS]". */
static void print_usage_noun(FILE *f, const char *noun)
{
	const char *prefix = "usage: ";
	char line[1280], syn[1024];

	for (size_t i = 0; i < ncommands; i++) {
		const struct command *cmd = &commands[i];

		if (strcmp(cmd->noun, noun) != 0)
			continue;
		synopsis(cmd, 0, syn, sizeof(syn));
		snprintf(line, sizeof(line), "%svdectl [-s SOCK] [-j] %s%s", prefix, command_words(cmd), syn);
		if (strlen(line) > HELP_COLUMNS) {
			synopsis(cmd, 1, syn, sizeof(syn));
			snprintf(line, sizeof(line), "%svdectl [-s SOCK] [-j] %s%s", prefix, command_words(cmd), syn);
		}
		fprintf(f, "%s\n", line);
		prefix = "       ";
	}
}

static void print_usage_top(FILE *f)
{
	fputs("usage: vdectl [-s SOCK] [-t SECONDS] [-j [-p]] NOUN [VERB] [ARGS...]\n"
	      "       vdectl -h | --version\n", f);
}

static void __attribute__((noreturn)) help_top(void)
{
	char syn[1024];

	print_usage_top(stdout);
	fputs("\nControl vded, the VDE network daemon.\n\nCommands:\n", stdout);
	for (size_t i = 0; i < ncommands; i++) {
		const struct command *cmd = &commands[i];

		synopsis(cmd, 0, syn, sizeof(syn));
		if (2 + strlen(command_words(cmd)) + strlen(syn) > HELP_COLUMNS)
			synopsis(cmd, 1, syn, sizeof(syn));
		printf("  %s%s\n        %s\n", command_words(cmd), syn, cmd->summary);
	}
	printf("\nOptions:\n%s"
	       "  -t, --timeout SECONDS      give up if vded does not answer within SECONDS\n"
	       "                             (default: $VDECTL_TIMEOUT, else %d; 0: never),\n"
	       "                             before NOUN only\n"
	       "      --version              print the version\n", common_options, VDECTL_TIMEOUT_DEFAULT);
	fputs("\nRun 'vdectl NOUN -h' for the commands of a noun, 'vdectl NOUN VERB -h' for the options\n"
	      "of a command.\n"
	      "Exit status: 0 ok, 1 error, 2 usage or invalid argument, 3 not found, 4 permission denied,\n"
	      "5 exists, 6 limit reached.\n", stdout);
	exit(VDECTL_OK);
}

static void __attribute__((noreturn)) help_noun(const char *noun)
{
	int width = 6;	/* the verbs line up, under the longest */

	print_usage_noun(stdout, noun);
	putchar('\n');
	for (size_t i = 0; i < ncommands; i++)
		if (strcmp(commands[i].noun, noun) == 0 && (int)strlen(commands[i].verb) > width)
			width = (int)strlen(commands[i].verb);
	for (size_t i = 0; i < ncommands; i++)
		if (strcmp(commands[i].noun, noun) == 0)
			printf("  %-*s  %s\n", width, commands[i].verb, commands[i].summary);
	printf("\nRun 'vdectl %s VERB -h' for the options of a command.\n", noun);
	exit(VDECTL_OK);
}

/* One "      --name ARG    help" entry, its continuation lines aligned under the help. */
static void print_option_help(const struct optspec *o)
{
	char flag[64];
	const char *h = o->help;

	snprintf(flag, sizeof(flag), "--%s%s%s", o->name, ARG_SEP(o), o->arg ? o->arg : "");
	if (o->shortopt)
		printf("  -%c, %-22s %.*s\n", o->shortopt, flag, (int)strcspn(h, "\n"), h);
	else
		printf("      %-22s %.*s\n", flag, (int)strcspn(h, "\n"), h);
	while ((h = strchr(h, '\n')) != NULL) {
		h++;
		printf("%29s%.*s\n", "", (int)strcspn(h, "\n"), h);
	}
}

void help_command(const struct command *cmd)
{
	print_usage_command(stdout, cmd);
	printf("\n%s\n", cmd->summary);
	if (cmd->details)
		printf("\n%s", cmd->details);
	fputs("\nOptions:\n", stdout);
	for (const struct optspec *o = cmd->opts; o && o->name; o++)
		print_option_help(o);
	fputs(common_options, stdout);
	exit(VDECTL_OK);
}

void usage_fail(const char *noun, const struct command *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vdectl: %s\n", msg);
	/* with -j, the same error object vded would send for a bad parameter: one class, one answer */
	print_json_error(NULL, proto_err_code(PROTO_ERR_INVALID_PARAMS), EINVAL, msg);
	if (cmd)
		print_usage_command(stderr, cmd);
	else if (noun)
		print_usage_noun(stderr, noun);
	else
		print_usage_top(stderr);
	exit(VDECTL_USAGE);
}

/* ---------------------------------------------------------------- main */

static int noun_known(const char *noun)
{
	for (size_t i = 0; i < ncommands; i++)
		if (strcmp(commands[i].noun, noun) == 0)
			return 1;
	return 0;
}

/* Long-only options get values above any char so they never collide with short options. */
enum { OPT_VERSION = 256 };

int parse_timeout(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	/* strtoul would take blanks, a sign and an empty string */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > VDECTL_TIMEOUT_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Parse argv (argv[0]: the verb, or the noun of a command that has none) by cmd's row and run it. */
static int run_command(const struct command *cmd, int argc, char **argv)
{
	struct request req;
	int ret;

	request_parse(&req, cmd, argc, argv);
	ret = cmd->run(cmd, &req);
	request_free(&req);
	call_close();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errmsg("write error: %s", strerror(errno));
		return VDECTL_ERROR;
	}
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *noun, *verb, *timeout = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hjps:t:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help_top();
			break;
		case 'j':
			opt_json = 1;
			break;
		case 'p':
			opt_json = opt_pretty = 1;
			break;
		case 's':
			opt_socket = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &opt_timeout) < 0)
				usage_fail(NULL, NULL, "timeout '%s' is not a number of seconds (0..%d)", optarg,
					   VDECTL_TIMEOUT_MAX);
			timeout = optarg;
			break;
		case OPT_VERSION:
			printf("vdectl %s\n", VDE_VERSION);
			return VDECTL_OK;
		case ':':
			usage_fail(NULL, NULL, "option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256 && strncmp(argv[optind - 1], "--", 2) != 0)
				usage_fail(NULL, NULL, "unknown option '-%c'", optopt);
			usage_fail(NULL, NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	/* -t wins over the environment, which wins over the default */
	if (!timeout && (timeout = getenv("VDECTL_TIMEOUT")) != NULL && *timeout &&
	    parse_timeout(timeout, &opt_timeout) < 0)
		usage_fail(NULL, NULL, "VDECTL_TIMEOUT '%s' is not a number of seconds (0..%d)", timeout,
			   VDECTL_TIMEOUT_MAX);
	if (optind >= argc)
		usage_fail(NULL, NULL, "missing command (try 'vdectl -h')");
	noun = argv[optind];
	if (!noun_known(noun))
		usage_fail(NULL, NULL, "unknown command '%s' (try 'vdectl -h')", noun);
	for (size_t i = 0; i < ncommands; i++) {
		const struct command *cmd = &commands[i];

		if (cmd->verb || strcmp(cmd->noun, noun) != 0)
			continue;
		/* a command that is its noun alone sees argv[0] = NOUN */
		return run_command(cmd, argc - optind, argv + optind);
	}
	if (optind + 1 >= argc)
		usage_fail(noun, NULL, "missing VERB after '%s'", noun);
	verb = argv[optind + 1];
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0)
		help_noun(noun);
	if (verb[0] == '-')
		usage_fail(noun, NULL, "unknown option '%s'", verb);
	for (size_t i = 0; i < ncommands; i++) {
		const struct command *cmd = &commands[i];

		if (!cmd->verb || strcmp(cmd->noun, noun) != 0 || strcmp(cmd->verb, verb) != 0)
			continue;
		/* the command sees argv[0] = VERB, like a program of its own */
		return run_command(cmd, argc - optind - 1, argv + optind + 1);
	}
	usage_fail(noun, NULL, "unknown verb '%s' for '%s'", verb, noun);
}
