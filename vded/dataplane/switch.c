#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/switch.h"

#define SWITCH_NIL UINT32_MAX

struct switch_mac {
	uint8_t mac[6];
	uint16_t vlan;
	uint32_t next;		/* index of the next entry in the bucket or the free list */
	uint32_t last_seen;
	uint16_t port;
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
	if (!sw->buckets || !sw->macs || !sw->active || !sw->stats) {
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
	return now - m->last_seen > sw->aging;
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

	*link = sw->macs[i].next;
	sw->macs[i].next = sw->free_head;
	sw->free_head = i;
	sw->used--;
}

static void switch_learn(struct vswitch *sw, const uint8_t *mac, uint16_t vlan, unsigned port, uint32_t now)
{
	struct switch_mac *m = switch_find(sw, mac, vlan);
	unsigned b;
	uint32_t i;

	if (m) {
		m->port = (uint16_t)port;	/* a station that moved is learned on its new port */
		m->last_seen = now;
		return;
	}
	if (sw->free_head != SWITCH_NIL) {
		i = sw->free_head;
		sw->free_head = sw->macs[i].next;
	} else if (sw->fresh < sw->max_macs) {
		i = sw->fresh++;
	} else {
		/* Table full: the frame is still forwarded, the address just is not learned (flooded). */
		return;
	}
	m = &sw->macs[i];
	memcpy(m->mac, mac, 6);
	m->vlan = vlan;
	m->port = (uint16_t)port;
	m->last_seen = now;
	b = switch_hash(sw, mac, vlan);
	m->next = sw->buckets[b];
	sw->buckets[b] = i;
	sw->used++;
}

int switch_port_add(struct vswitch *sw, unsigned port)
{
	if (port >= sw->max_ports)
		return -EINVAL;
	if (sw->active[port])
		return -EEXIST;
	sw->active[port] = 1;
	memset(&sw->stats[port], 0, sizeof(sw->stats[port]));
	return 0;
}

/* Remove every entry for which match() holds; returns how many. */
static unsigned switch_sweep(struct vswitch *sw, int (*match)(const struct vswitch *, const struct switch_mac *,
							      uint32_t), uint32_t arg)
{
	unsigned removed = 0, nbuckets = 1u << sw->bucket_bits;

	if (sw->used == 0)
		return 0;
	for (unsigned b = 0; b < nbuckets; b++) {
		uint32_t *link = &sw->buckets[b];
		while (*link != SWITCH_NIL) {
			if (match(sw, &sw->macs[*link], arg)) {
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
	return m->port == port;
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
}

int switch_port_active(const struct vswitch *sw, unsigned port)
{
	return port < sw->max_ports && sw->active[port];
}

struct switch_port_stats *switch_port_stats(struct vswitch *sw, unsigned port)
{
	return switch_port_active(sw, port) ? &sw->stats[port] : NULL;
}

unsigned switch_age(struct vswitch *sw, uint32_t now)
{
	return switch_sweep(sw, switch_match_expired, now);
}

unsigned switch_mac_count(const struct vswitch *sw)
{
	return sw->used;
}

/* The 802.1Q / 802.1ad VLAN id of a frame, 0 when untagged. */
static inline uint16_t switch_frame_vlan(const uint8_t *frame, size_t len)
{
	if (len >= 18 && ((frame[12] == 0x81 && frame[13] == 0x00) || (frame[12] == 0x88 && frame[13] == 0xa8)))
		return (uint16_t)(((frame[14] << 8) | frame[15]) & 0x0fff);
	return 0;
}

int switch_forward(struct vswitch *sw, unsigned in_port, const uint8_t *frame, size_t len, uint32_t now)
{
	struct switch_port_stats *st;
	struct switch_mac *m;
	uint16_t vlan;

	if (in_port >= sw->max_ports || !sw->active[in_port])
		return SWITCH_DROP;
	st = &sw->stats[in_port];
	if (len < ETH_MIN_FRAME || len > ETH_MAX_FRAME) {
		st->rx_errors++;
		return SWITCH_DROP;
	}
	st->rx_frames++;
	st->rx_bytes += len;
	vlan = switch_frame_vlan(frame, len);
	/* Group source addresses are forged or broken: never learn them. */
	if (!(frame[6] & 1))
		switch_learn(sw, frame + 6, vlan, in_port, now);
	if (frame[0] & 1)
		return SWITCH_FLOOD;
	m = switch_find(sw, frame, vlan);
	if (!m || switch_expired(sw, m, now) || !sw->active[m->port])
		return SWITCH_FLOOD;
	if (m->port == in_port)
		return SWITCH_DROP;
	return m->port;
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
			info.last_seen = m->last_seen;
			if (fn(&info, ctx))
				return;
		}
	}
}
