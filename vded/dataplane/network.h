/*
 * network — a named network: its definition, its switch and its ports; the registry of
 * all networks; and the data path (drain a port in a batch, switch each frame, flush per destination).
 */
#ifndef VDED_NETWORK_H
#define VDED_NETWORK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <ev.h>
#include <json-c/json.h>

#include "dataplane/port.h"
#include "dataplane/switch.h"
#include "dataplane/shaper.h"
#include "error.h"

#define NETWORK_NAME_MAX 64
#define NETWORK_DESCR_MAX 256
#define NETWORK_MAX_PORTS_LIMIT 4096

struct network_def {
	char name[NETWORK_NAME_MAX];
	char description[NETWORK_DESCR_MAX];
	uid_t owner_uid;
	gid_t group;			/* members may attach (mode permitting) */
	unsigned mode;			/* rw bits for owner, group, other: r = see it, w = attach */
	unsigned max_ports;
	unsigned mac_table_size;
	unsigned mac_aging;
	char vxvde[64];			/* "" or GROUP[:PORT]: a vxvde uplink */
	unsigned vni, ttl;
	char vxvde_if[16];
	unsigned npeers;		/* vxvde unicast peers, as given */
	char peers[16][64];
	unsigned peer_port;		/* 0: the kernel's choice */
	char key[65];			/* "" or the membership key, 64 hex digits (saved 0600, never shown) */
	bool encrypt;
	bool vxlan;			/* a kernel VXLAN uplink: VNI, remote or group, UDP port, MTU */
	unsigned vxlan_vni, dstport, vxlan_mtu;
	char remote[64];
	bool slirp;			/* a libslirp NAT port */
	char subnet[32];
	bool ipv6;
	char dns[16];
};

#define NETWORK_DEF_DEFAULTS { .mode = 0660, .max_ports = 256, .mac_table_size = 4096, .mac_aging = 300 }

struct network {
	struct network_def def;
	struct vswitch *sw;
	struct port **ports;		/* by id, 1..max_ports (0 unused) */
	struct port *port_list;
	unsigned nports;
	unsigned last_port_id;		/* the last id picked for a port that asked for none */
	struct port *tx_dirty;		/* ports with frames queued in the current batch */
	/* Backends added after creation, persisted with the definition and replayed at start through
	 * their methods: {"taps": [tap.add params...], ...}. Owned. */
	struct json_object *extras;
	struct endpoint *endpoint;	/* the endpoint module's, opaque here */
	/* Port policies (switch.h) by id, 1..max_ports: what port.set saved for that id, applied when a
	 * port of that id appears (NULL: none, the default applies); and the default for new ports (NULL:
	 * plain). Owned. */
	struct switch_port_conf **port_conf;
	struct switch_port_conf *port_default;
	struct capture *captures;	/* running captures (capture.c's); NULL: the data path skips them */
	unsigned ncaptures;		/* how many run */
	uint64_t capture_dropped;	/* capture records dropped because a reader was slow */
	/* Rate limits and impairment by port id (1..max_ports), for whichever port has that id now or
	 * later, and at 0 the default for ids without their own; NULL until one is set. Owned. */
	struct shaper_conf *shape_conf;
	struct network *next;
};

/* Module init/exit. */
int network_init(struct ev_loop *loop);
void network_exit(void);

/*
 * What a network's life means to a module above the data plane (the endpoint registers itself, so
 * the data plane knows no backend): created may refuse the network (it is then not made, e filled);
 * changed follows a new owner, group or mode; destroying runs once the ports are gone. One set.
 */
struct network_hooks {
	int (*created)(struct network *net, struct vde_error *e);
	void (*changed)(struct network *net);
	void (*destroying)(struct network *net);
};
void network_set_hooks(const struct network_hooks *hooks);
/* Called as each port is freed (removed for good, not at an exit that leaves ports to the next
 * life): keep.c forgets its descriptors. */
void network_set_port_gone(void (*fn)(struct port *p));

/*
 * Who watches ports come and go (the control module's event bus registers itself; the data plane
 * knows no subscriber). added runs inside network_port_add(), before the backend has named the port
 * (description, owner): an observer that reports it waits for the end of the loop iteration.
 * changed runs when a backend says its port's state changed (network_port_changed: an uplink up or
 * retrying). removed runs in network_port_kill(), while p is whole. One set, or NULL.
 */
struct switch_mac_change;
struct network_observer {
	void (*added)(struct port *p);
	void (*changed)(struct port *p);
	void (*removed)(struct port *p);
	/* MAC addresses learned, moved or aged on net since the last call (n of them, c borrowed for the
	 * call; lost more did not fit the switch's record), after a receive batch or an aging pass; only
	 * while network_set_mac_watch(true). */
	void (*macs)(struct network *net, const struct switch_mac_change *c, unsigned n, unsigned lost);
};
void network_set_observer(const struct network_observer *obs);
/* Whether the observer wants MAC changes: off, the data path spends one test per batch on it. */
void network_set_mac_watch(bool on);
/* A backend's port changed state (what its ops->describe shows): tell the observer. */
void network_port_changed(struct port *p);

/* At most this many networks (default 1024); network_create answers limit beyond. */
void network_set_max(unsigned max);

struct network *network_find(const char *name);
struct network *network_first(void);	/* iterate with ->next */
unsigned network_count(void);

/* Create a network from def (and its endpoint, through the hooks). -EEXIST, -ENOSPC, ... with e filled. */
int network_create(const struct network_def *def, struct network **out, struct vde_error *e);
/* Tell the hooks that the owner, group or mode changed (the endpoint's files follow). */
void network_apply_policy(struct network *net);
/* Close every port, remove the endpoint, free. */
void network_destroy(struct network *net);

/*
 * Bridge fd into net as a port of the given kind (takes ownership of fd, even on failure).
 * want_id 0 picks the next free id after the last one picked, wrapping at max_ports (an id just freed
 * is not reused at once). Returns 0 with *out set, or -errno with e filled.
 */
int network_port_add(struct network *net, int fd, const struct port_ops *ops, unsigned want_id,
		     struct port **out, struct vde_error *e);
/*
 * Drain one batch from in with recv, switch every frame and flush the destinations: the data path.
 * recv gets the data path's receive batch on loan for the call (struct port_rxbatch: it fills slots and
 * reports each in frame[], and never re-points anything). Kinds with a second descriptor (vxvde's
 * multicast socket) call this from their own watcher with their own recv. Returns the frames received,
 * 0 for none (or when called from inside another batch), or -errno (the port is killed).
 */
int network_port_receive(struct port *in, int (*recv)(struct port *p, struct port_rxbatch *b));
/*
 * The policy of port id (1..max_ports) from now on, copied: applied now if the port exists, and to
 * every port that gets this id later (NULL: none, the network's default applies). 0, -EINVAL (id out of
 * range, or c fails switch_port_conf_check), -ENOMEM.
 */
int network_port_conf_save(struct network *net, unsigned id, const struct switch_port_conf *c);
/* The policy of new ports with no saved policy (copied; NULL: plain). Ports that exist keep theirs. */
int network_port_conf_set_default(struct network *net, const struct switch_port_conf *c);
/* Set one live port's policy (e.g. what network.attach asked for) without saving it. 0 or -errno. */
int network_port_configure(struct port *p, const struct switch_port_conf *c);

/* Give p a MAC limit of max_macs if its policy has none (0: nothing to do). 0 or -errno. */
int network_port_limit_macs(struct port *p, unsigned max_macs);

/* Schedule p's removal: it stops at once and is freed from the loop (safe inside any callback). */
void network_port_kill(struct port *p);

/*
 * Rate limits and impairment for port id of net (1..max_ports), or (id 0) the network's default for every
 * port number without settings of its own: kept for the id, applied at once to the port(s) they reach and
 * to each port that takes such a number later. A conf that asks for nothing clears them. 0, -EINVAL (id
 * out of range) or -ENOMEM (nothing changed).
 */
int network_port_shaping_set(struct network *net, unsigned id, const struct shaper_conf *conf);
/* What port number id runs with: its own settings, else the default; NULL for none (borrowed, valid
 * until the next set). Id 0: the default. */
const struct shaper_conf *network_port_shaping(const struct network *net, unsigned id);
/* Id's own settings only (0: the default), or NULL. */
const struct shaper_conf *network_port_shaping_own(const struct network *net, unsigned id);
/* p's shaper counters (borrowed, valid while p lives), or NULL if p has no shaping. */
const struct shaper_stats *network_port_shaper_stats(const struct port *p);

struct ev_loop *network_loop(void);

/* One piece of a frame as a wire carries it (a segment of an offloaded frame, or the frame). */
struct capture_piece {
	const uint8_t *data;
	uint32_t len;
};

/*
 * What the data path calls while a network has captures (net->captures set): the capture module
 * registers these with its first capture, so the data plane knows no capture code (as the endpoint's
 * hooks). frame: a frame port received (CAPREC_DIR_IN) or was given (CAPREC_DIR_OUT), as its n pieces
 * with CAPREC_F_* flags, borrowed until flush, which ends the batch. port_gone and network_gone: what
 * a capture watches goes. exit: vded stops.
 */
struct network_capture_ops {
	void (*frame)(struct network *net, unsigned port, uint8_t dir, const struct capture_piece *pieces,
		      unsigned n, uint8_t flags);
	void (*flush)(struct network *net);
	void (*port_gone)(struct network *net, unsigned id);
	void (*network_gone)(struct network *net);
	void (*exit)(void);
};
void network_set_capture_ops(const struct network_capture_ops *ops);

#endif
