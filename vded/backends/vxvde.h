/*
 * vxvde — a network's multicast uplink, wire-compatible with vdeplug4's vxvde:// (doc/vde-wire.md §4):
 * UDP (default port 14789), an 8-byte header carrying the VNI, the group for broadcast and unknown
 * destinations, unicast to the learned address of a known MAC. All vded instances and vdeplug4
 * processes on one segment with the same group and VNI share one Ethernet. The wire format is
 * common/vxproto.c's and the learning table common/machash.c's, both shared with the vxvde:// module;
 * this file holds the sockets, the data path hooks and the peer table.
 *
 * Unicast peers (§4.3): besides the group, what goes to everyone also goes by unicast to each peer
 * that is not heard on the group (so no peer gets a frame twice once it is seen there). Peers are the
 * configured ones (never dropped) and those learned from peer announcements, which vded sends every
 * VXVDE_ANNOUNCE_EVERY seconds (and soon after it learns a peer) to its peers only. Announcements
 * are hostile input: at most VXVDE_ANN_RATE are read a second, the table holds VXVDE_PEERS_MAX, and
 * without a key an announced address is taken only if it is on a link of this host (inside the prefix
 * of one of its addresses): a forged announcement cannot aim floods at a host elsewhere. A learned peer
 * that has not announced itself for VXVDE_PEER_EXPIRE seconds is dropped.
 *
 * The membership key (backends/vxseal.h): with one, every datagram sent is sealed and every datagram
 * received must open, else it is dropped and counted (rx_bad_tag). A keyed network does not
 * interoperate with vdeplug4.
 */
#ifndef VDED_VXVDE_H
#define VDED_VXVDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "error.h"
#include "vxproto.h"

struct network;
struct port;

#define VXVDE_DEFAULT_PORT VXPROTO_PORT
#define VXVDE_DEFAULT_VNI VXPROTO_VNI
#define VXVDE_DEFAULT_TTL 1
#define VXVDE_HASHSIZE 1024
#define VXVDE_EXPIRE 128		/* seconds a learned address is trusted */
#define VXVDE_PEERS_CONF 16		/* configured peers of a network */
#define VXVDE_PEERS_MAX 256		/* the peer table: configured and learned */
#define VXVDE_PEER_PORT 14790		/* a peer's default port (vxvde's own port + 1) */
#define VXVDE_ANNOUNCE_EVERY 5		/* seconds between announcements */
#define VXVDE_PEER_EXPIRE 30		/* seconds a learned peer lives without announcing itself */
#define VXVDE_MCAST_SEEN 30		/* seconds a peer heard on the group gets floods from there only */
#define VXVDE_ANN_RATE 50		/* announcements read a second, all senders together */
#define VXVDE_KEYLEN 32

struct vxvde_spec {
	struct sockaddr_storage group;	/* address and port */
	socklen_t group_len;
	unsigned vni, ttl;
	char ifname[IFNAMSIZ];		/* "" = the kernel's choice */
	unsigned npeers;
	union vxproto_addr peers[VXVDE_PEERS_CONF];
	unsigned peer_port;		/* the unicast socket's port; 0: the kernel's choice */
	bool keyed, encrypt;
	uint8_t key[VXVDE_KEYLEN];
};

/* Parse "GROUP", "GROUP:PORT", "[V6GROUP]:PORT" or "V6GROUP" into spec (pure; the codec's
 * vxproto_parse_group). The group must be a multicast address. Returns 0 or -EINVAL. */
int vxvde_parse_group(const char *text, struct vxvde_spec *spec);

/* Parse a peer "ADDR[:PORT]" (numeric; port default VXVDE_PEER_PORT) of the group's family into
 * spec->peers (pure). -EINVAL (not a unicast address, another family) or -ENOSPC (too many). */
int vxvde_parse_peer(const char *text, struct vxvde_spec *spec);

/* Open the sockets and add the uplink port to net. -EADDRNOTAVAIL and friends with e filled. */
int vxvde_add(struct network *net, const struct vxvde_spec *spec, struct port **out, struct vde_error *e);

/* The vxvde port of net, or NULL. */
struct port *vxvde_find(struct network *net);

/* Replace the configured peers of a vxvde port (network.set); learned peers stay. 0 or -EINVAL. */
int vxvde_set_peers(struct port *p, const union vxproto_addr *peers, unsigned n);

#endif
