/*
 * switch — the learning switch of one network: a MAC+VLAN table with aging and static entries, the
 * forwarding decision (one port, flood, or drop), and each port's policy: VLANs (access, trunk with a
 * native VLAN, or plain), isolation, port security (a MAC limit, pinned MACs, move protection, what a
 * full table does), storm control and loop protection, with a counter for every reason a frame is
 * dropped. Pure: no syscalls, no clock (callers pass `now`), no allocation after switch_new(). Port
 * ids are 0..max_ports-1, chosen by the caller.
 *
 * VLANs follow Open vSwitch's tag=/trunks=: inside the switch every frame belongs to one VLAN. A plain
 * port (the default) carries every VLAN as the frames are (untagged = VLAN 0, tagged = the outer tag's
 * VID, 802.1Q 0x8100 or 802.1ad 0x88a8); an access port carries one VLAN untagged; a trunk carries the
 * VLANs of its set tagged, and its native VLAN untagged. switch_ingress() classifies a frame and
 * switch_egress() says, per destination, whether it leaves and whether its tag is kept, pushed or
 * popped; the data path does the tagging (vded/dataplane/network.c) without copying the frame.
 */
#ifndef VDED_SWITCH_H
#define VDED_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#define ETH_MIN_FRAME 14
#define ETH_MAX_FRAME 9234	/* 9216 MTU + 14 header + 4 VLAN tag: vdeplug4's VDE_ETHBUFSIZE */

#define SWITCH_FLOOD (-1)	/* deliver to every active port except the ingress one (switch_egress decides) */
#define SWITCH_DROP (-2)	/* deliver nowhere (invalid frame, a policy's drop, destination behind the ingress) */

#define SWITCH_VLAN_MAX 4094
#define SWITCH_PIN_MAX 8		/* pinned MACs per port */
#define SWITCH_LOOP_HOLD_DEFAULT 10	/* seconds a port that loops stays shut */

struct switch_port_stats {
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped;	/* frames for this port it could not take (socket full, gone) */
	uint64_t rx_errors;	/* datagrams from this port that are not Ethernet frames */
	/* frames from this port dropped by its policy, one counter per reason */
	uint64_t drop_vlan;	/* tagged on an access port, a VLAN the trunk does not carry, untagged without native */
	uint64_t drop_isolated;	/* unicast from an isolated port to another isolated port */
	uint64_t drop_mac_limit;	/* a new source MAC past max_macs */
	uint64_t drop_mac_pin;	/* a source MAC that is not one of the pinned ones */
	uint64_t drop_mac_move;	/* a source MAC that lives on another port, which keeps it (secured or static) */
	uint64_t drop_table_full;	/* unknown unicast kept from secured ports because the table is full */
	uint64_t drop_storm;	/* broadcast, multicast or unknown unicast over the port's limit */
	uint64_t drop_loop;	/* frames that came back (the port was shut) or came while it was shut */
	uint64_t loop_shutdowns;	/* times the port was shut for looping */
};

/* A port's policy. switch_port_conf_init() gives the default: plain, not isolated, no limit. */
struct switch_port_conf {
	uint16_t vlan;			/* 1..4094: an access port of that VLAN; 0: not an access port */
	bool trunk;			/* a trunk of the VLANs in trunk_vlans */
	uint16_t native;		/* a trunk's untagged VLAN (0: untagged frames are dropped) */
	bool isolated;			/* talks only to ports that are not isolated */
	unsigned max_macs;		/* 0: no limit */
	unsigned npinned;		/* >0: only these source MACs are accepted */
	uint32_t storm_broadcast, storm_multicast, storm_unknown;	/* frames/s; 0: no limit */
	bool loop_protect;		/* shut the port when it sends back what was flooded to it */
	uint32_t loop_hold;		/* seconds it then stays shut (0: SWITCH_LOOP_HOLD_DEFAULT) */
	bool full_flood;		/* a secured port's unknown unicast is flooded to every port even with a full
					 * table (default: only to ports that are not secured) */
	/* last, so that the fields every frame reads share a cache line */
	uint8_t pinned[SWITCH_PIN_MAX][6];
	uint64_t trunk_vlans[64];	/* bit v: VLAN v is carried tagged */
};

/* A port is secured when it has a MAC limit or pinned MACs: its addresses do not move away, and it
 * takes no address that lives on another port. */
static inline bool switch_conf_secured(const struct switch_port_conf *c)
{
	return c->max_macs > 0 || c->npinned > 0;
}

static inline bool switch_conf_trunk_has(const struct switch_port_conf *c, unsigned vlan)
{
	return vlan <= SWITCH_VLAN_MAX && (c->trunk_vlans[vlan >> 6] >> (vlan & 63) & 1);
}

static inline void switch_conf_trunk_add(struct switch_port_conf *c, unsigned vlan)
{
	if (vlan >= 1 && vlan <= SWITCH_VLAN_MAX)
		c->trunk_vlans[vlan >> 6] |= UINT64_C(1) << (vlan & 63);
}

/* Inline, so that the control API's pure parser (params.c) checks policies without the switch. */
static inline void switch_port_conf_init(struct switch_port_conf *c)
{
	memset(c, 0, sizeof(*c));
}

/* Whether c is consistent: 0, or -EINVAL with a reason in *why (static text). */
static inline int switch_port_conf_check(const struct switch_port_conf *c, const char **why)
{
	const char *w = NULL;

	if (c->vlan > SWITCH_VLAN_MAX || c->native > SWITCH_VLAN_MAX)
		w = "a VLAN is 1..4094";
	else if (c->vlan && c->trunk)
		w = "a port is an access port (vlan) or a trunk, not both";
	else if (c->native && !c->trunk)
		w = "a native VLAN needs a trunk";
	else if (c->npinned > SWITCH_PIN_MAX)
		w = "at most 8 pinned MACs";
	else if (c->trunk_vlans[0] & 1 || c->trunk_vlans[63] >> 63)
		w = "a trunk carries VLANs 1..4094";
	for (unsigned i = 0; !w && i < c->npinned; i++)
		if (c->pinned[i][0] & 1)
			w = "a pinned MAC must be a unicast address";
	if (w) {
		if (why)
			*why = w;
		return -EINVAL;
	}
	return 0;
}


struct switch_mac_info {
	uint8_t mac[6];
	uint16_t vlan;
	unsigned port;
	uint32_t last_seen;
	bool is_static;
};

struct vswitch;

/* A switch for ports 0..max_ports-1 learning at most max_macs addresses, forgotten after aging seconds
 * without traffic. Returns NULL on ENOMEM or invalid sizes (errno set). */
struct vswitch *switch_new(unsigned max_ports, unsigned max_macs, unsigned aging);
void switch_free(struct vswitch *sw);

/* Activate port id (counters zeroed, the default policy). -EINVAL out of range, -EEXIST already active. */
int switch_port_add(struct vswitch *sw, unsigned port);
/* Deactivate port id and forget every address learned on it (static entries stay). */
void switch_port_remove(struct vswitch *sw, unsigned port);
int switch_port_active(const struct vswitch *sw, unsigned port);
/* Counters of an active port (borrowed, valid until the port is removed); NULL if inactive. */
struct switch_port_stats *switch_port_stats(struct vswitch *sw, unsigned port);

/* Set an active port's policy (copied; checked with switch_port_conf_check). Addresses it learned
 * stay, unless its VLANs change; its storm buckets start full; a shut port stays shut. 0, -EINVAL,
 * -ENOENT (inactive). */
int switch_port_configure(struct vswitch *sw, unsigned port, const struct switch_port_conf *c);
/* An active port's policy (borrowed), or NULL. */
const struct switch_port_conf *switch_port_get_conf(const struct vswitch *sw, unsigned port);
/* Milliseconds (on the callers' clock) until which the port stays shut for looping; 0 if open. */
uint64_t switch_port_shut_until(const struct vswitch *sw, unsigned port);

/* What switch_ingress decided about one frame. */
struct switch_verdict {
	int dst;		/* a port id, SWITCH_FLOOD or SWITCH_DROP */
	uint16_t vlan;		/* the frame's VLAN inside the switch (0: untagged on a plain port) */
	bool tagged;		/* the frame carries an outer tag (4 bytes at offset 12) */
	bool restricted;	/* unknown unicast from a secured port with a full table: not to secured ports */
	bool loop_shut;		/* this frame made the switch shut the ingress port (log it) */
	bool loop_open;		/* the ingress port's hold time was over: it is open again (log it) */
	uint8_t tx;		/* for a unicast dst: switch_egress's answer for it (enum switch_tx) */
};

/*
 * A frame of len bytes arrived on in_port at time now_ms (milliseconds on the caller's monotonic clock):
 * count it, apply the port's policy, learn its source and decide where it goes (v filled; v->dst is
 * returned too). Frames shorter than 14 or longer than 9234 bytes are counted as rx_errors and dropped.
 */
int switch_ingress(struct vswitch *sw, unsigned in_port, const uint8_t *frame, size_t len, uint64_t now_ms,
		   struct switch_verdict *v);

/* switch_ingress at now seconds, for callers that need only the destination. */
int switch_forward(struct vswitch *sw, unsigned in_port, const uint8_t *frame, size_t len, uint32_t now);

/* How a frame leaves a port. */
enum switch_tx {
	SWITCH_TX_DROP,		/* it does not go to this port */
	SWITCH_TX_ASIS,		/* sent as received */
	SWITCH_TX_POP,		/* sent without its outer tag (4 bytes at 12) */
	SWITCH_TX_PUSH,		/* sent with a tag of v->vlan inserted at 12 (0x8100) */
};

/* Whether and how the frame of verdict v from in_port leaves out_port (an active port). For the one
 * destination of a unicast frame switch_ingress has already asked: v->tx. */
enum switch_tx switch_egress(const struct vswitch *sw, unsigned in_port, unsigned out_port,
			     const struct switch_verdict *v);

/* True while every active port is plain, open and not isolated: every frame then leaves as it came
 * and the data path may skip switch_egress. */
bool switch_is_plain(const struct vswitch *sw);

/* Forget addresses not seen for `aging` seconds (static entries stay). Returns how many were removed. */
unsigned switch_age(struct vswitch *sw, uint32_t now);

/* A static entry: mac+vlan lives on port (which need not be active yet) until removed; learning never
 * moves it, aging never removes it. An address learned before becomes static. 0, -EINVAL (a group
 * address, a VLAN or port out of range), -ENOSPC (table full). */
int switch_mac_add_static(struct vswitch *sw, const uint8_t mac[6], uint16_t vlan, unsigned port);
/* Forget the entry of mac+vlan, static or not. 0, or -ENOENT. */
int switch_mac_forget(struct vswitch *sw, const uint8_t mac[6], uint16_t vlan);
/* Forget learned addresses, of one port or (port < 0) all; with statics, static entries too.
 * Returns how many went. */
unsigned switch_mac_flush(struct vswitch *sw, int port, bool statics);

/* Seed the bucket hash (before any address is learned) so a peer cannot aim addresses at one bucket. */
void switch_set_seed(struct vswitch *sw, uint64_t seed);

/*
 * Changes of the MAC table, for whoever watches them (vded's events): off by default, and then they
 * cost one test on the learning path. On, the switch records each address learned, moved to another
 * port or aged out, up to SWITCH_CHANGES_MAX between two switch_changes_take(); more are only counted.
 */
#define SWITCH_MAC_LEARNED 1
#define SWITCH_MAC_MOVED 2
#define SWITCH_MAC_AGED 3
#define SWITCH_CHANGES_MAX 64

struct switch_mac_change {
	uint8_t mac[6];
	uint16_t vlan;
	uint16_t port;		/* where it is now (aged: where it was) */
	uint16_t from;		/* moved: where it was */
	uint8_t what;		/* SWITCH_MAC_* */
};

/* Record changes from now on (on), or stop and forget those recorded (off). */
void switch_changes_enable(struct vswitch *sw, bool on);
/* The changes recorded since the last call, oldest first (*n of them; borrowed until the next call
 * into the switch), and in *lost how many did not fit; both are cleared. */
const struct switch_mac_change *switch_changes_take(struct vswitch *sw, unsigned *n, unsigned *lost);

/* Number of addresses in the table (including not yet aged-out ones). */
unsigned switch_mac_count(const struct vswitch *sw);
/* Call fn for each live address; stops early if fn returns non-zero. */
void switch_mac_foreach(const struct vswitch *sw, uint32_t now,
			int (*fn)(const struct switch_mac_info *info, void *ctx), void *ctx);

#endif
