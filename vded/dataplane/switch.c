#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/switch.h"

#define SWITCH_NIL UINT32_MAX
#define SWITCH_STATIC 1u

/* Loop protection remembers the last frames it flooded (a hash of each, where and when it came in). */
#define SWITCH_LOOP_RING 256
#define SWITCH_LOOP_WINDOW_MS 500	/* a flooded frame that comes back within this is a loop */

struct switch_mac {
	uint8_t mac[6];
	uint16_t vlan;
	uint32_t next;		/* index of the next entry in the bucket or the free list */
	uint32_t last_seen;
	uint16_t port;
	uint8_t flags;		/* SWITCH_STATIC */
};

enum { VL_PLAIN, VL_ACCESS, VL_TRUNK };

/* A storm bucket: tokens in thousandths of a frame, refilled at rate frames/s up to one second's worth. */
struct switch_bucket {
	uint64_t tokens;
	uint64_t last_ms;
};

struct switch_port {
	/* what every frame reads first, from conf */
	uint8_t vmode;		/* VL_* */
	bool secured;
	bool isolated;
	unsigned nmacs;		/* learned (not static) addresses on this port */
	uint64_t shut_until;	/* ms; shut for looping while now < shut_until */
	struct switch_bucket storm[3];	/* broadcast, multicast, unknown unicast */
	struct switch_port_conf conf;
};

struct switch_loop_seen {
	uint64_t hash;
	uint64_t at_ms;
	uint16_t port;		/* where the flooded frame came in */
};

struct vswitch {
	unsigned max_ports, max_macs, aging;
	unsigned used;
	unsigned bucket_bits;
	uint64_t seed;
	uint32_t free_head;	/* recycled entries */
	uint32_t fresh;		/* entries [fresh, max_macs) were never used: no up-front free-list walk */
	uint32_t *buckets;
	struct switch_mac *macs;
	uint8_t *active;
	struct switch_port_stats *stats;
	struct switch_port *pol;
	unsigned nspecial;	/* active ports that are not plain, open and not isolated */
	unsigned nloop;		/* active ports with loop protection */
	uint64_t now_ms;	/* the clock of the last frame (egress judges shut ports by it) */
	struct switch_loop_seen loop_ring[SWITCH_LOOP_RING];
	bool changes_on;
	unsigned nchanges, changes_lost;
	struct switch_mac_change changes[SWITCH_CHANGES_MAX];
};

struct vswitch *switch_new(unsigned max_ports, unsigned max_macs, unsigned aging)
{
	struct vswitch *sw;
	unsigned nbuckets = 16, bits = 4;

	if (max_ports == 0 || max_ports > UINT16_MAX || max_macs == 0 || max_macs >= SWITCH_NIL) {
		errno = EINVAL;
		return NULL;
	}
	while (nbuckets < max_macs) {
		nbuckets <<= 1;
		bits++;
	}
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return NULL;
	sw->max_ports = max_ports;
	sw->max_macs = max_macs;
	sw->aging = aging;
	sw->bucket_bits = bits;
	sw->seed = 0x6a09e667f3bcc908ULL ^ (uint64_t)(uintptr_t)sw;
	sw->free_head = SWITCH_NIL;
	sw->buckets = malloc(nbuckets * sizeof(*sw->buckets));
	/* calloc: pages of a large table stay untouched (not resident) until addresses are learned */
	sw->macs = calloc(max_macs, sizeof(*sw->macs));
	sw->active = calloc(max_ports, 1);
	sw->stats = calloc(max_ports, sizeof(*sw->stats));
	sw->pol = calloc(max_ports, sizeof(*sw->pol));
	if (!sw->buckets || !sw->macs || !sw->active || !sw->stats || !sw->pol) {
		switch_free(sw);
		errno = ENOMEM;
		return NULL;
	}
	memset(sw->buckets, 0xff, nbuckets * sizeof(*sw->buckets));
	return sw;
}

void switch_free(struct vswitch *sw)
{
	if (!sw)
		return;
	free(sw->buckets);
	free(sw->macs);
	free(sw->active);
	free(sw->stats);
	free(sw->pol);
	free(sw);
}

void switch_set_seed(struct vswitch *sw, uint64_t seed)
{
	if (sw->used == 0)
		sw->seed = seed;
}

static inline unsigned switch_hash(const struct vswitch *sw, const uint8_t *mac, uint16_t vlan)
{
	uint64_t k = (uint64_t)mac[0] | (uint64_t)mac[1] << 8 | (uint64_t)mac[2] << 16 |
		     (uint64_t)mac[3] << 24 | (uint64_t)mac[4] << 32 | (uint64_t)mac[5] << 40 |
		     (uint64_t)vlan << 48;

	k ^= sw->seed;
	k *= 0x9e3779b97f4a7c15ULL;
	k ^= k >> 29;
	return (unsigned)(k >> (64 - sw->bucket_bits));
}

static inline int switch_expired(const struct vswitch *sw, const struct switch_mac *m, uint32_t now)
{
	return !(m->flags & SWITCH_STATIC) && now - m->last_seen > sw->aging;
}

static struct switch_mac *switch_find(struct vswitch *sw, const uint8_t *mac, uint16_t vlan)
{
	uint32_t i = sw->buckets[switch_hash(sw, mac, vlan)];

	while (i != SWITCH_NIL) {
		struct switch_mac *m = &sw->macs[i];
		if (m->vlan == vlan && memcmp(m->mac, mac, 6) == 0)
			return m;
		i = m->next;
	}
	return NULL;
}

static void switch_release(struct vswitch *sw, uint32_t *link)
{
	uint32_t i = *link;
	struct switch_mac *m = &sw->macs[i];

	if (!(m->flags & SWITCH_STATIC) && m->port < sw->max_ports && sw->pol[m->port].nmacs)
		sw->pol[m->port].nmacs--;
	*link = m->next;
	m->next = sw->free_head;
	sw->free_head = i;
	sw->used--;
}

/* A new entry for mac+vlan on port, or NULL if the table is full. */
static struct switch_mac *switch_insert(struct vswitch *sw, const uint8_t *mac, uint16_t vlan, unsigned port,
					uint32_t now)
{
	struct switch_mac *m;
	unsigned b;
	uint32_t i;

	if (sw->free_head != SWITCH_NIL) {
		i = sw->free_head;
		sw->free_head = sw->macs[i].next;
	} else if (sw->fresh < sw->max_macs) {
		i = sw->fresh++;
	} else {
		return NULL;
	}
	m = &sw->macs[i];
	memcpy(m->mac, mac, 6);
	m->vlan = vlan;
	m->port = (uint16_t)port;
	m->last_seen = now;
	m->flags = 0;
	b = switch_hash(sw, mac, vlan);
	m->next = sw->buckets[b];
	sw->buckets[b] = i;
	sw->used++;
	return m;
}

static inline bool switch_table_full(const struct vswitch *sw)
{
	return sw->free_head == SWITCH_NIL && sw->fresh >= sw->max_macs;
}

/* Whether the frame is special for the plain fast path: recompute after any change of policy. */
static bool switch_port_special(const struct vswitch *sw, unsigned port)
{
	const struct switch_port *sp = &sw->pol[port];

	return sp->vmode != VL_PLAIN || sp->isolated || sp->shut_until;
}

static void switch_recount(struct vswitch *sw)
{
	sw->nspecial = 0;
	sw->nloop = 0;
	for (unsigned p = 0; p < sw->max_ports; p++) {
		if (!sw->active[p])
			continue;
		sw->nspecial += switch_port_special(sw, p);
		sw->nloop += sw->pol[p].conf.loop_protect;
	}
}

int switch_port_add(struct vswitch *sw, unsigned port)
{
	if (port >= sw->max_ports)
		return -EINVAL;
	if (sw->active[port])
		return -EEXIST;
	sw->active[port] = 1;
	memset(&sw->stats[port], 0, sizeof(sw->stats[port]));
	/* the addresses of a port are forgotten when it goes, so nmacs starts at 0 */
	memset(&sw->pol[port], 0, sizeof(sw->pol[port]));
	switch_recount(sw);
	return 0;
}

static unsigned switch_sweep(struct vswitch *sw, int (*match)(const struct vswitch *, const struct switch_mac *,
							      uint32_t), uint32_t arg);
static int switch_match_port(const struct vswitch *sw, const struct switch_mac *m, uint32_t port);

int switch_port_configure(struct vswitch *sw, unsigned port, const struct switch_port_conf *c)
{
	struct switch_port *sp;

	if (!switch_port_active(sw, port))
		return -ENOENT;
	if (switch_port_conf_check(c, NULL) < 0)
		return -EINVAL;
	sp = &sw->pol[port];
	/* what it learned belongs to the VLANs it had: forget it when they change */
	if (sp->conf.vlan != c->vlan || sp->conf.trunk != c->trunk || sp->conf.native != c->native ||
	    memcmp(sp->conf.trunk_vlans, c->trunk_vlans, sizeof(c->trunk_vlans)) != 0)
		switch_sweep(sw, switch_match_port, port);
	sp->conf = *c;
	sp->vmode = c->vlan ? VL_ACCESS : c->trunk ? VL_TRUNK : VL_PLAIN;
	sp->secured = switch_conf_secured(c);
	sp->isolated = c->isolated;
	memset(sp->storm, 0, sizeof(sp->storm));	/* last_ms 0: the first frame finds them full */
	if (!c->loop_protect)
		sp->shut_until = 0;
	switch_recount(sw);
	return 0;
}

const struct switch_port_conf *switch_port_get_conf(const struct vswitch *sw, unsigned port)
{
	return switch_port_active(sw, port) ? &sw->pol[port].conf : NULL;
}

uint64_t switch_port_shut_until(const struct vswitch *sw, unsigned port)
{
	return switch_port_active(sw, port) ? sw->pol[port].shut_until : 0;
}

bool switch_is_plain(const struct vswitch *sw)
{
	return sw->nspecial == 0;
}

/* Remove every entry for which match() holds; returns how many. */
/* Note one change of the table, if someone watches (switch_changes_enable). */
static void switch_change(struct vswitch *sw, const struct switch_mac *m, unsigned from, uint8_t what)
{
	struct switch_mac_change *c;

	if (sw->nchanges == SWITCH_CHANGES_MAX) {
		sw->changes_lost++;
		return;
	}
	c = &sw->changes[sw->nchanges++];
	memcpy(c->mac, m->mac, 6);
	c->vlan = m->vlan;
	c->port = m->port;
	c->from = (uint16_t)from;
	c->what = what;
}

void switch_changes_enable(struct vswitch *sw, bool on)
{
	sw->changes_on = on;
	sw->nchanges = sw->changes_lost = 0;
}

const struct switch_mac_change *switch_changes_take(struct vswitch *sw, unsigned *n, unsigned *lost)
{
	*n = sw->nchanges;
	*lost = sw->changes_lost;
	sw->nchanges = sw->changes_lost = 0;
	return sw->changes;
}

/* Remove every entry match() picks; what (SWITCH_MAC_AGED) notes each as a change, 0 does not. */
static unsigned switch_sweep_as(struct vswitch *sw, int (*match)(const struct vswitch *, const struct switch_mac *,
								 uint32_t), uint32_t arg, uint8_t what)
{
	unsigned removed = 0, nbuckets = 1u << sw->bucket_bits;

	if (sw->used == 0)
		return 0;
	for (unsigned b = 0; b < nbuckets; b++) {
		uint32_t *link = &sw->buckets[b];
		while (*link != SWITCH_NIL) {
			if (match(sw, &sw->macs[*link], arg)) {
				if (what && sw->changes_on)
					switch_change(sw, &sw->macs[*link], 0, what);
				switch_release(sw, link);
				removed++;
			} else {
				link = &sw->macs[*link].next;
			}
		}
	}
	return removed;
}

static int switch_match_port(const struct vswitch *sw, const struct switch_mac *m, uint32_t port)
{
	return m->port == port && !(m->flags & SWITCH_STATIC);
}

static int switch_match_port_all(const struct vswitch *sw, const struct switch_mac *m, uint32_t port)
{
	return m->port == port;
}

static int switch_match_learned(const struct vswitch *sw, const struct switch_mac *m, uint32_t unused)
{
	return !(m->flags & SWITCH_STATIC);
}

static int switch_match_any(const struct vswitch *sw, const struct switch_mac *m, uint32_t unused)
{
	return 1;
}

static int switch_match_expired(const struct vswitch *sw, const struct switch_mac *m, uint32_t now)
{
	return switch_expired(sw, m, now);
}

void switch_port_remove(struct vswitch *sw, unsigned port)
{
	if (port >= sw->max_ports || !sw->active[port])
		return;
	sw->active[port] = 0;
	switch_sweep(sw, switch_match_port, port);
	switch_recount(sw);
}

int switch_port_active(const struct vswitch *sw, unsigned port)
{
	return port < sw->max_ports && sw->active[port];
}

struct switch_port_stats *switch_port_stats(struct vswitch *sw, unsigned port)
{
	return switch_port_active(sw, port) ? &sw->stats[port] : NULL;
}

static unsigned switch_sweep(struct vswitch *sw, int (*match)(const struct vswitch *, const struct switch_mac *,
							      uint32_t), uint32_t arg)
{
	return switch_sweep_as(sw, match, arg, 0);
}

unsigned switch_age(struct vswitch *sw, uint32_t now)
{
	return switch_sweep_as(sw, switch_match_expired, now, SWITCH_MAC_AGED);
}

unsigned switch_mac_count(const struct vswitch *sw)
{
	return sw->used;
}

int switch_mac_add_static(struct vswitch *sw, const uint8_t mac[6], uint16_t vlan, unsigned port)
{
	struct switch_mac *m;

	if ((mac[0] & 1) || vlan > SWITCH_VLAN_MAX || port >= sw->max_ports)
		return -EINVAL;
	m = switch_find(sw, mac, vlan);
	if (m) {
		if (!(m->flags & SWITCH_STATIC) && m->port < sw->max_ports && sw->pol[m->port].nmacs)
			sw->pol[m->port].nmacs--;
	} else {
		m = switch_insert(sw, mac, vlan, port, 0);
		if (!m)
			return -ENOSPC;
	}
	m->port = (uint16_t)port;
	m->flags |= SWITCH_STATIC;
	return 0;
}

int switch_mac_forget(struct vswitch *sw, const uint8_t mac[6], uint16_t vlan)
{
	uint32_t *link = &sw->buckets[switch_hash(sw, mac, vlan)];

	while (*link != SWITCH_NIL) {
		const struct switch_mac *m = &sw->macs[*link];

		if (m->vlan == vlan && memcmp(m->mac, mac, 6) == 0) {
			switch_release(sw, link);
			return 0;
		}
		link = &sw->macs[*link].next;
	}
	return -ENOENT;
}

unsigned switch_mac_flush(struct vswitch *sw, int port, bool statics)
{
	if (port >= 0)
		return switch_sweep(sw, statics ? switch_match_port_all : switch_match_port, (uint32_t)port);
	return switch_sweep(sw, statics ? switch_match_any : switch_match_learned, 0);
}

/* The outer 802.1Q / 802.1ad tag of a frame: 1 with its VID in *vid, or 0 when untagged. */
static inline int switch_frame_tag(const uint8_t *frame, size_t len, uint16_t *vid)
{
	if (len >= 18 && ((frame[12] == 0x81 && frame[13] == 0x00) || (frame[12] == 0x88 && frame[13] == 0xa8))) {
		*vid = (uint16_t)(((frame[14] << 8) | frame[15]) & 0x0fff);
		return 1;
	}
	return 0;
}

/* A storm bucket at rate frames/s takes one frame at now: true if it may pass. */
static bool switch_bucket_take(struct switch_bucket *b, uint32_t rate, uint64_t now)
{
	uint64_t cap = (uint64_t)rate * 1000;

	if (now > b->last_ms || b->last_ms == 0) {
		uint64_t add = b->last_ms == 0 ? cap : (now - b->last_ms) * rate;
		b->tokens = b->tokens + add > cap ? cap : b->tokens + add;
		b->last_ms = now ? now : 1;
	}
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
}

/* What loop protection compares: the addresses and the payload after any outer tag, so a frame that
 * was popped or pushed on its way out and back is the same frame. */
static uint64_t switch_loop_hash(const uint8_t *frame, size_t len, bool tagged)
{
	size_t off = tagged ? 16 : 12, end = len < off + 52 ? len : off + 52;
	uint64_t h = 0xcbf29ce484222325ULL ^ (len - off);

	for (size_t i = 0; i < 12; i++)
		h = (h ^ frame[i]) * 0x100000001b3ULL;
	for (size_t i = off; i < end; i++)
		h = (h ^ frame[i]) * 0x100000001b3ULL;
	return h;
}

static inline bool switch_port_shut(const struct switch_port *sp, uint64_t now)
{
	return sp->shut_until && now < sp->shut_until;
}

int switch_ingress(struct vswitch *sw, unsigned in_port, const uint8_t *frame, size_t len, uint64_t now_ms,
		   struct switch_verdict *v)
{
	struct switch_port_stats *st;
	struct switch_port *sp;
	struct switch_mac *m, *d = NULL;
	uint32_t now = (uint32_t)(now_ms / 1000);
	uint16_t vid = 0, vlan;
	bool tagged, group, flood;
	uint64_t lh = 0;

	v->dst = SWITCH_DROP;
	v->vlan = 0;
	v->tagged = false;
	v->restricted = false;
	v->loop_shut = false;
	v->loop_open = false;
	v->tx = SWITCH_TX_ASIS;
	if (in_port >= sw->max_ports || !sw->active[in_port])
		return SWITCH_DROP;
	sw->now_ms = now_ms;
	st = &sw->stats[in_port];
	sp = &sw->pol[in_port];
	if (len < ETH_MIN_FRAME || len > ETH_MAX_FRAME) {
		st->rx_errors++;
		return SWITCH_DROP;
	}
	st->rx_frames++;
	st->rx_bytes += len;
	if (sp->shut_until) {
		if (switch_port_shut(sp, now_ms)) {
			st->drop_loop++;
			return SWITCH_DROP;
		}
		sp->shut_until = 0;	/* the hold time is over: open again */
		v->loop_open = true;
		switch_recount(sw);
	}
	tagged = switch_frame_tag(frame, len, &vid);
	/* classify: the VLAN the frame belongs to inside the switch */
	switch (sp->vmode) {
	case VL_ACCESS:
		if (tagged && vid) {
			st->drop_vlan++;
			return SWITCH_DROP;
		}
		vlan = sp->conf.vlan;
		break;
	case VL_TRUNK:
		if (!tagged || !vid) {
			if (!sp->conf.native) {
				st->drop_vlan++;
				return SWITCH_DROP;
			}
			vlan = sp->conf.native;
		} else if (switch_conf_trunk_has(&sp->conf, vid)) {
			vlan = vid;
		} else {
			st->drop_vlan++;
			return SWITCH_DROP;
		}
		break;
	default:
		vlan = tagged ? vid : 0;
		break;
	}
	v->vlan = vlan;
	v->tagged = tagged;
	group = frame[0] & 1;
	if (!group) {
		d = switch_find(sw, frame, vlan);
		if (d && (switch_expired(sw, d, now) || !sw->active[d->port]))
			d = NULL;
	}
	flood = group || !d;
	/* a frame the network flooded a moment ago, coming in again on another port: that port loops */
	if (flood && sw->nloop) {
		lh = switch_loop_hash(frame, len, tagged);
		if (sp->conf.loop_protect) {
			const struct switch_loop_seen *seen = &sw->loop_ring[lh % SWITCH_LOOP_RING];

			if (seen->hash == lh && seen->at_ms && now_ms - seen->at_ms <= SWITCH_LOOP_WINDOW_MS &&
			    seen->port != in_port) {
				sp->shut_until = now_ms + 1000ULL * (sp->conf.loop_hold ? sp->conf.loop_hold :
								     SWITCH_LOOP_HOLD_DEFAULT);
				st->loop_shutdowns++;
				st->drop_loop++;
				switch_sweep(sw, switch_match_port, in_port);	/* what it learned is suspect */
				switch_recount(sw);
				v->loop_shut = true;
				return SWITCH_DROP;
			}
		}
	}
	/* learn the source, as the port's security allows; group sources are forged or broken: never */
	if (!(frame[6] & 1)) {
		const uint8_t *src = frame + 6;

		if (sp->conf.npinned) {
			unsigned i;
			for (i = 0; i < sp->conf.npinned; i++)
				if (memcmp(sp->conf.pinned[i], src, 6) == 0)
					break;
			if (i == sp->conf.npinned) {
				st->drop_mac_pin++;
				return SWITCH_DROP;
			}
		}
		m = switch_find(sw, src, vlan);
		if (m && m->port != in_port) {
			bool live = !switch_expired(sw, m, now) && sw->active[m->port];

			if ((m->flags & SWITCH_STATIC) ||
			    (live && (sw->pol[m->port].secured || sp->secured))) {
				/* the address stays where it is: a secured or static owner keeps it, and a
				 * secured port takes no address that lives elsewhere */
				st->drop_mac_move++;
				return SWITCH_DROP;
			}
			if (sp->conf.max_macs && sp->nmacs >= sp->conf.max_macs) {
				st->drop_mac_limit++;
				return SWITCH_DROP;
			}
			/* a station that moved is learned on its new port */
			if (m->port < sw->max_ports && sw->pol[m->port].nmacs)
				sw->pol[m->port].nmacs--;
			unsigned from = m->port;
			m->port = (uint16_t)in_port;
			if (sw->changes_on)
				switch_change(sw, m, from, SWITCH_MAC_MOVED);
			sp->nmacs++;
			m->last_seen = now;
		} else if (m) {
			if (!(m->flags & SWITCH_STATIC))
				m->last_seen = now;
		} else if (sp->conf.max_macs && sp->nmacs >= sp->conf.max_macs) {
			st->drop_mac_limit++;
			return SWITCH_DROP;
		} else if ((m = switch_insert(sw, src, vlan, in_port, now)) != NULL) {
			sp->nmacs++;
			if (sw->changes_on)
				switch_change(sw, m, 0, SWITCH_MAC_LEARNED);
		}
		/* else the table is full: the frame is still forwarded, the address just is not learned */
	}
	/* storm control: broadcast, multicast and unknown unicast, each within its own rate */
	if (flood) {
		unsigned cls = !group ? 2 : memcmp(frame, "\xff\xff\xff\xff\xff\xff", 6) == 0 ? 0 : 1;
		uint32_t rate = cls == 0 ? sp->conf.storm_broadcast : cls == 1 ? sp->conf.storm_multicast :
					   sp->conf.storm_unknown;

		if (rate && !switch_bucket_take(&sp->storm[cls], rate, now_ms)) {
			st->drop_storm++;
			return SWITCH_DROP;
		}
		if (!group && sp->secured && !sp->conf.full_flood && switch_table_full(sw)) {
			v->restricted = true;
			st->drop_table_full++;
		}
		if (sw->nloop) {
			struct switch_loop_seen *seen = &sw->loop_ring[lh % SWITCH_LOOP_RING];

			/* a frame that is already in flight keeps its first ingress */
			if (!(seen->hash == lh && now_ms - seen->at_ms <= SWITCH_LOOP_WINDOW_MS)) {
				seen->hash = lh;
				seen->port = (uint16_t)in_port;
			}
			seen->at_ms = now_ms ? now_ms : 1;
		}
		v->dst = SWITCH_FLOOD;
		return SWITCH_FLOOD;
	}
	if (d->port == in_port)
		return SWITCH_DROP;
	v->tx = sw->nspecial ? (uint8_t)switch_egress(sw, in_port, d->port, v) : SWITCH_TX_ASIS;
	if (v->tx == SWITCH_TX_DROP) {
		if (sp->isolated && sw->pol[d->port].isolated)
			st->drop_isolated++;
		else if (switch_port_shut(&sw->pol[d->port], now_ms))
			st->drop_loop++;
		else
			st->drop_vlan++;
		return SWITCH_DROP;
	}
	v->dst = d->port;
	return d->port;
}

int switch_forward(struct vswitch *sw, unsigned in_port, const uint8_t *frame, size_t len, uint32_t now)
{
	struct switch_verdict v;

	return switch_ingress(sw, in_port, frame, len, (uint64_t)now * 1000, &v);
}

enum switch_tx switch_egress(const struct vswitch *sw, unsigned in_port, unsigned out_port,
			     const struct switch_verdict *v)
{
	const struct switch_port *op = &sw->pol[out_port];

	if (out_port == in_port || out_port >= sw->max_ports)
		return SWITCH_TX_DROP;
	if (op->isolated && sw->pol[in_port].isolated)
		return SWITCH_TX_DROP;
	if (op->shut_until && switch_port_shut(op, sw->now_ms))
		return SWITCH_TX_DROP;
	if (v->restricted && op->secured)
		return SWITCH_TX_DROP;
	switch (op->vmode) {
	case VL_ACCESS:
		if (v->vlan != op->conf.vlan)
			return SWITCH_TX_DROP;
		return v->tagged ? SWITCH_TX_POP : SWITCH_TX_ASIS;
	case VL_TRUNK:
		if (v->vlan && v->vlan == op->conf.native)
			return v->tagged ? SWITCH_TX_POP : SWITCH_TX_ASIS;
		if (!v->vlan || !switch_conf_trunk_has(&op->conf, v->vlan))
			return SWITCH_TX_DROP;
		return v->tagged ? SWITCH_TX_ASIS : SWITCH_TX_PUSH;
	default:
		/* a plain port carries every VLAN: what belongs to a VLAN leaves tagged */
		return v->vlan && !v->tagged ? SWITCH_TX_PUSH : SWITCH_TX_ASIS;
	}
}

void switch_mac_foreach(const struct vswitch *sw, uint32_t now,
			int (*fn)(const struct switch_mac_info *info, void *ctx), void *ctx)
{
	unsigned nbuckets = 1u << sw->bucket_bits;

	for (unsigned b = 0; b < nbuckets; b++) {
		for (uint32_t i = sw->buckets[b]; i != SWITCH_NIL; i = sw->macs[i].next) {
			const struct switch_mac *m = &sw->macs[i];
			struct switch_mac_info info;

			if (switch_expired(sw, m, now))
				continue;
			memcpy(info.mac, m->mac, 6);
			info.vlan = m->vlan;
			info.port = m->port;
			info.last_seen = (m->flags & SWITCH_STATIC) ? now : m->last_seen;
			info.is_static = (m->flags & SWITCH_STATIC) != 0;
			if (fn(&info, ctx))
				return;
		}
	}
}
