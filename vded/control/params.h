/*
 * params — the control API's parameters: one schema (name, type, range, default) for every key any
 * method takes, and the pure parser that checks a request's params against it. No I/O, no lookups,
 * no daemon state: it is fuzzed alone, the config file's network entries go through it, and a client
 * (vdectl) can take names, ranges and defaults from the same table.
 */
#ifndef VDED_PARAMS_H
#define VDED_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "error.h"
#include "dataplane/network.h"
#include "dataplane/shaper.h"
#include "dataplane/switch.h"

/* One bit per key of the schema: which keys a method allows and requires, and which were given. 64 of
 * them (uint64_t): an enum cannot hold more than an int. */
#define PARAM_NAME             (UINT64_C(1) << 0)
#define PARAM_NETWORK          (UINT64_C(1) << 1)
#define PARAM_DESCRIPTION      (UINT64_C(1) << 2)
#define PARAM_PORT             (UINT64_C(1) << 3)
#define PARAM_EXIST_OK         (UINT64_C(1) << 4)
#define PARAM_MISSING_OK       (UINT64_C(1) << 5)
#define PARAM_MAX_PORTS        (UINT64_C(1) << 6)
#define PARAM_MAC_TABLE_SIZE   (UINT64_C(1) << 7)
#define PARAM_MAC_AGING        (UINT64_C(1) << 8)
#define PARAM_GROUP            (UINT64_C(1) << 9)
#define PARAM_MODE             (UINT64_C(1) << 10)
#define PARAM_FD               (UINT64_C(1) << 11)
#define PARAM_IFNAME           (UINT64_C(1) << 12)
#define PARAM_OWNER            (UINT64_C(1) << 13)
#define PARAM_ADDRESSES        (UINT64_C(1) << 14)
#define PARAM_MTU              (UINT64_C(1) << 15)
#define PARAM_UP               (UINT64_C(1) << 16)
#define PARAM_VXVDE            (UINT64_C(1) << 17)
#define PARAM_VNI              (UINT64_C(1) << 18)
#define PARAM_TTL              (UINT64_C(1) << 19)
#define PARAM_INTERFACE        (UINT64_C(1) << 20)
#define PARAM_SLIRP            (UINT64_C(1) << 21)
#define PARAM_SUBNET           (UINT64_C(1) << 22)
#define PARAM_IPV6             (UINT64_C(1) << 23)
#define PARAM_DNS              (UINT64_C(1) << 24)
#define PARAM_PROTO            (UINT64_C(1) << 25)
#define PARAM_HOST             (UINT64_C(1) << 26)
#define PARAM_GUEST            (UINT64_C(1) << 27)
#define PARAM_NETWORKS         (UINT64_C(1) << 28)
#define PARAM_URL              (UINT64_C(1) << 29)
#define PARAM_OFFSET           (UINT64_C(1) << 30)
#define PARAM_LIMIT            (UINT64_C(1) << 31)
#define PARAM_KINDS            (UINT64_C(1) << 32)
#define PARAM_GATEWAY          (UINT64_C(1) << 37)	/* ns.create: a default route */
/* vxvde peers and membership key (network.create, network.set): taken upward from 33 (others take
 * downward from 46) */
#define PARAM_PEERS            (UINT64_C(1) << 33)
#define PARAM_PEER_PORT        (UINT64_C(1) << 34)
#define PARAM_KEY              (UINT64_C(1) << 35)
#define PARAM_ENCRYPT          (UINT64_C(1) << 36)
/* a kernel VXLAN uplink (network.create) */
#define PARAM_VXLAN            (UINT64_C(1) << 38)
#define PARAM_REMOTE           (UINT64_C(1) << 39)
#define PARAM_DSTPORT          (UINT64_C(1) << 40)
/* interface ports and VM taps (taken from the top, away from the next keys others append) */
#define PARAM_TRANSIENT        (UINT64_C(1) << 63)
#define PARAM_KEEP_IP          (UINT64_C(1) << 62)
#define PARAM_FOR_VM           (UINT64_C(1) << 61)
#define PARAM_MULTI_QUEUE      (UINT64_C(1) << 60)
#define PARAM_MAC              (UINT64_C(1) << 59)
#define PARAM_PORTS            (UINT64_C(1) << 56)
#define PARAM_COUNT            (UINT64_C(1) << 57)
#define PARAM_SNAPLEN          (UINT64_C(1) << 58)
/* port.set: rate limits and impairment (PARAMS_PORT_SHAPING), taken downward from 55 below capture's */
#define PARAM_RATE_IN          (UINT64_C(1) << 55)
#define PARAM_RATE_OUT         (UINT64_C(1) << 54)
#define PARAM_BURST            (UINT64_C(1) << 53)
#define PARAM_DELAY            (UINT64_C(1) << 52)
#define PARAM_JITTER           (UINT64_C(1) << 51)
#define PARAM_LOSS             (UINT64_C(1) << 50)
#define PARAM_DUP              (UINT64_C(1) << 49)
#define PARAM_REORDER          (UINT64_C(1) << 48)
#define PARAM_CLEAR_SHAPING    (UINT64_C(1) << 47)
/* a port's switch policy (a PT_PORTSW group) and the MAC table's static entries (with PARAM_MAC) */
#define PARAM_SWITCH           (UINT64_C(1) << 46)
#define PARAM_PORT_DEFAULT     (UINT64_C(1) << 45)
#define PARAM_VLAN             (UINT64_C(1) << 44)
#define PARAM_STATIC           (UINT64_C(1) << 43)
#define PARAM_VLANS            (UINT64_C(1) << 41)	/* ns.create: an access VLAN per interface */
/* port.set "default": the shaping of every port number without its own */
#define PARAM_SHAPING_DEFAULT  (UINT64_C(1) << 42)

enum param_type {
	PT_NAME,	/* a network name (proto_valid_name) */
	PT_TEXT,	/* a string others read: no NUL, nothing text_check() refuses */
	PT_BOOL,
	PT_UINT,	/* an integer in min..max */
	PT_MODE,	/* an octal mode: "0660", or its value as a number; at most max */
	PT_IFNAME,	/* an interface name (proto_valid_ifname) */
	PT_ADDRLIST,	/* at most PARAMS_MAX_ADDRESSES CIDR strings */
	PT_RATE,	/* bits/s: an integer, 0 (no limit) or SHAPER_RATE_MIN..SHAPER_RATE_MAX; a uint64_t */
	PT_PERCENT,	/* a number 0..100, fractions allowed; kept in parts per million (unsigned) */
	PT_NAMELIST,	/* 1 to PARAMS_MAX_NETWORKS network names */
	PT_MAC,		/* a unicast MAC address "02:00:00:00:00:01" (proto_parse_mac) */
	PT_PORTLIST,	/* 1 to PARAMS_MAX_PORTIDS port ids, each 1..NETWORK_MAX_PORTS_LIMIT */
	PT_PEERLIST,	/* 0 to PARAMS_MAX_PEERS strings shorter than 64 bytes (vxvde peers, checked by the handler) */
	PT_WORDLIST,	/* 1 to PARAMS_MAX_WORDS words of a-z and '-', each shorter than PARAMS_WORD_MAX (kinds) */
	PT_PORTSW,	/* an object of a port's switch policy keys (struct params_portsw, below) */
	PT_VLANLIST,	/* up to PARAMS_MAX_NETWORKS VLANs 0..max (0: none), one per network of the request */
};

/*
 * A port's switch policy as a request gives it: the keys of the "switch" object (and of a network's
 * "port_default") and their values. Only the keys in `given` change a policy (params_portsw_apply), so a
 * port.set that names one key leaves the others as they were.
 */
enum {
	PORTSW_VLAN = 1u << 0,
	PORTSW_TRUNK = 1u << 1,
	PORTSW_NATIVE = 1u << 2,
	PORTSW_ISOLATED = 1u << 3,
	PORTSW_MAX_MACS = 1u << 4,
	PORTSW_MACS = 1u << 5,
	PORTSW_STORM_BROADCAST = 1u << 6,
	PORTSW_STORM_MULTICAST = 1u << 7,
	PORTSW_STORM_UNKNOWN = 1u << 8,
	PORTSW_LOOP_PROTECT = 1u << 9,
	PORTSW_LOOP_HOLD = 1u << 10,
	PORTSW_FULL_FLOOD = 1u << 11,
};

struct params_portsw {
	unsigned given;			/* PORTSW_* */
	struct switch_port_conf v;	/* the values of the given keys */
};

#define PARAMS_STORM_MAX 10000000	/* frames/s */
#define PARAMS_MAX_MACS_MAX 65536

/* Apply the given keys of p to *c (vlan and trunk replace each other) and check the result
 * (switch_port_conf_check). 0, or -EINVAL with e naming the problem. Pure. */
int params_portsw_apply(const struct params_portsw *p, struct switch_port_conf *c, struct vde_error *e);


/* Paging: entries per page unless "limit" says otherwise, and the most "limit" may ask for. A page
 * also ends before its entries pass half of PROTO_MAX_REPLY, so any limit is safe. */
#define PARAMS_PORTS_LIMIT 1024
#define PARAMS_MACS_LIMIT 4096
#define PARAMS_NETWORKS_LIMIT 1024
#define PARAMS_LIMIT_MAX 65536

#define PARAMS_MAX_ADDRESSES 8
#define PARAMS_MAX_NETWORKS 8
#define PARAMS_MAX_PORTIDS 16
#define PARAMS_MAX_WORDS 8
#define PARAMS_MAX_PEERS 16		/* VXVDE_PEERS_CONF */
#define PARAMS_WORD_MAX 16
#define PARAMS_DEFAULT_SUBNET "10.0.2.0/24"

/* Every parameter any method takes; `present` says which were given (bit per PARAM_*). What was not
 * given is zero (the handler applies the default the schema names). */
struct method_args {
	uint64_t present;
	char name[NETWORK_NAME_MAX];
	char network[NETWORK_NAME_MAX];
	char description[NETWORK_DESCR_MAX];
	unsigned port;
	bool exist_ok, missing_ok, fd;
	unsigned max_ports, mac_table_size, mac_aging;
	unsigned owner_uid;		/* not a parameter: set by the store's replay */
	char group[64];
	unsigned mode;
	char ifname[16];
	char owner[64];
	unsigned naddrs;
	char addresses[PARAMS_MAX_ADDRESSES][64];
	char gateway[64];
	unsigned mtu;
	bool up;
	char vxvde[64];
	unsigned vni, ttl;
	char interface[16];
	bool slirp, ipv6;
	char subnet[32], dns[16];
	char proto[8], host[64], guest[64];
	char url[512];
	unsigned nnets;
	char networks[PARAMS_MAX_NETWORKS][64];
	unsigned nkinds;		/* events.subscribe: the kinds of event wanted */
	char kinds[PARAMS_MAX_WORDS][PARAMS_WORD_MAX];
	unsigned npeers;
	char peers[PARAMS_MAX_PEERS][64];
	unsigned peer_port;
	char key[96];			/* a key file's content: 64 hex digits */
	bool encrypt;
	unsigned vxlan, dstport;
	char remote[64];
	unsigned offset, limit;		/* paging (doc/protocol.md "Paging") */
	bool transient, keep_ip, for_vm, multi_queue;
	uint8_t mac[6];
	unsigned nportids;		/* capture.start: "ports" */
	unsigned portids[PARAMS_MAX_PORTIDS];
	unsigned count, snaplen;
	uint64_t rate_in, rate_out;	/* port.set's shaping: bits/s */
	unsigned burst, delay, jitter;	/* bytes, ms, ms */
	unsigned loss, dup, reorder;	/* parts per million */
	bool clear_shaping;
	struct params_portsw sw;	/* "switch": a port's policy (port.set, network.attach, tap.add) */
	struct params_portsw port_default;	/* "port_default": the network's policy for new ports */
	unsigned vlan;
	bool is_static;
	unsigned nvlans;		/* ns.create: "vlans" */
	unsigned vlans[PARAMS_MAX_NETWORKS];
	bool shaping_default;		/* port.set "default": the shaping of every port number without its own */
	struct json_object *raw;	/* the params object as sent (borrowed, valid during the call) */
};

/* One key of the schema. min/max bound PT_UINT and PT_MODE; dflt is the value an absent key means,
 * as text (NULL: none, or it depends on the method or the caller). off/size locate its field in
 * struct method_args. */
struct param_spec {
	const char *key;
	uint64_t bit;
	enum param_type type;
	unsigned min, max;
	const char *dflt;
	size_t off, size;
};

/* The schema, in a stable order (borrowed, static). */
extern const struct param_spec params_schema[];
extern const size_t params_schema_count;

/* The spec of key, or NULL. */
const struct param_spec *params_lookup(const char *key);
/* The spec of one bit (a single PARAM_*), or NULL. */
const struct param_spec *params_spec(uint64_t bit);

/* Check params (an object, or NULL for none) against the schema for method (its name is only for the
 * messages): every key must be in allowed, every key of required present, each value of its type and
 * range. Fills a (zeroed first; a->raw = params, borrowed). Returns 0, or -EINVAL with e filled
 * (invalid-request if params is not an object, else invalid-params naming the key). Pure. */
int params_parse(const char *method, uint64_t allowed, uint64_t required, struct json_object *params,
		 struct method_args *a, struct vde_error *e);

/* network.create's keys: its table entry, the config file and the store's replay share them. */
#define PARAMS_NETWORK_CREATE_ALLOWED                                                                         \
	(PARAM_NAME | PARAM_DESCRIPTION | PARAM_EXIST_OK | PARAM_MAX_PORTS | PARAM_MAC_TABLE_SIZE |            \
	 PARAM_MAC_AGING | PARAM_GROUP | PARAM_MODE | PARAM_VXVDE | PARAM_VNI | PARAM_TTL | PARAM_INTERFACE | \
	 PARAM_SLIRP | PARAM_SUBNET | PARAM_IPV6 | PARAM_DNS | PARAM_PORT_DEFAULT | PARAM_PEERS | PARAM_PEER_PORT |  \
	 PARAM_KEY | PARAM_ENCRYPT | PARAM_VXLAN | PARAM_REMOTE | PARAM_DSTPORT | PARAM_MTU)
#define PARAMS_NETWORK_CREATE_REQUIRED PARAM_NAME

/* port.set's keys of rate limits and impairment (dataplane/shaper.h): its table entry and the replay
 * of a saved port's settings share them. */
#define PARAMS_PORT_SHAPING                                                                              \
	(PARAM_RATE_IN | PARAM_RATE_OUT | PARAM_BURST | PARAM_DELAY | PARAM_JITTER | PARAM_LOSS | PARAM_DUP | \
	 PARAM_REORDER | PARAM_CLEAR_SHAPING)

/* params_parse() with network.create's keys. */
int params_parse_network_create(struct json_object *params, struct method_args *a, struct vde_error *e);

#endif
