/*
 * switch — the learning switch of one network: a MAC+VLAN table with aging, the forwarding decision
 * (one port, flood, or drop) and per-port counters. Pure: no syscalls, no clock (callers pass `now`),
 * no allocation after switch_new(). Port ids are 0..max_ports-1, chosen by the caller.
 */
#ifndef VDED_SWITCH_H
#define VDED_SWITCH_H

#include <stddef.h>
#include <stdint.h>

#define ETH_MIN_FRAME 14
#define ETH_MAX_FRAME 9234	/* 9216 MTU + 14 header + 4 VLAN tag: vdeplug4's VDE_ETHBUFSIZE */

#define SWITCH_FLOOD (-1)	/* deliver to every active port except the ingress one */
#define SWITCH_DROP (-2)	/* deliver nowhere (invalid frame, or destination behind the ingress port) */

struct switch_port_stats {
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped;	/* frames for this port it could not take (socket full, gone) */
	uint64_t rx_errors;	/* datagrams from this port that are not Ethernet frames */
};

struct switch_mac_info {
	uint8_t mac[6];
	uint16_t vlan;
	unsigned port;
	uint32_t last_seen;
};

struct vswitch;

/* A switch for ports 0..max_ports-1 learning at most max_macs addresses, forgotten after aging seconds
 * without traffic. Returns NULL on ENOMEM or invalid sizes (errno set). */
struct vswitch *switch_new(unsigned max_ports, unsigned max_macs, unsigned aging);
void switch_free(struct vswitch *sw);

/* Activate port id (counters zeroed). -EINVAL out of range, -EEXIST already active. */
int switch_port_add(struct vswitch *sw, unsigned port);
/* Deactivate port id and forget every address learned on it. */
void switch_port_remove(struct vswitch *sw, unsigned port);
int switch_port_active(const struct vswitch *sw, unsigned port);
/* Counters of an active port (borrowed, valid until the port is removed); NULL if inactive. */
struct switch_port_stats *switch_port_stats(struct vswitch *sw, unsigned port);

/*
 * A frame of len bytes arrived on in_port at time now (seconds): count it, learn its source and
 * decide where it goes. Returns the destination port id, SWITCH_FLOOD or SWITCH_DROP.
 * Frames shorter than 14 or longer than 9234 bytes are counted as rx_errors and dropped.
 */
int switch_forward(struct vswitch *sw, unsigned in_port, const uint8_t *frame, size_t len, uint32_t now);

/* Forget addresses not seen for `aging` seconds. Returns how many were removed. */
unsigned switch_age(struct vswitch *sw, uint32_t now);

/* Seed the bucket hash (before any address is learned) so a peer cannot aim addresses at one bucket. */
void switch_set_seed(struct vswitch *sw, uint64_t seed);

/* Number of addresses in the table (including not yet aged-out ones). */
unsigned switch_mac_count(const struct vswitch *sw);
/* Call fn for each live address; stops early if fn returns non-zero. */
void switch_mac_foreach(const struct vswitch *sw, uint32_t now,
			int (*fn)(const struct switch_mac_info *info, void *ctx), void *ctx);

#endif
