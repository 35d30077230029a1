/*
 * vxvde — a network's multicast uplink, wire-compatible with vdeplug4's vxvde:// (doc/vde-wire.md §4):
 * UDP (default port 14789), an 8-byte header carrying the VNI, the group for broadcast and unknown
 * destinations, unicast to the learned address of a known MAC. All vded instances and vdeplug4
 * processes on one segment with the same group and VNI share one Ethernet.
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

struct network;
struct port;

#define VXVDE_DEFAULT_PORT 14789
#define VXVDE_DEFAULT_VNI 1
#define VXVDE_DEFAULT_TTL 1
#define VXVDE_HASHSIZE 1024
#define VXVDE_EXPIRE 128		/* seconds a learned address is trusted */

struct vxvde_spec {
	struct sockaddr_storage group;	/* address and port */
	socklen_t group_len;
	unsigned vni, ttl;
	char ifname[IFNAMSIZ];		/* "" = the kernel's choice */
};

/* Parse "GROUP", "GROUP:PORT", "[V6GROUP]:PORT" or "V6GROUP" into spec (pure). The group must be a
 * multicast address. Returns 0 or -EINVAL. */
int vxvde_parse_group(const char *text, struct vxvde_spec *spec);

/* The 8-byte header of a VNI, and whether a datagram's first 8 bytes are exactly it (pure). */
void vxvde_header(unsigned vni, unsigned char hdr[8]);

enum vxvde_kind {
	VXVDE_IGNORE,			/* not ours: another VNI, not vxvde, too short */
	VXVDE_FRAME,			/* header + an Ethernet frame */
	VXVDE_BYE,			/* header alone: the sender is closing */
};

/* What a received datagram of len bytes is, for our header (pure; the 8 bytes compare as one value). */
enum vxvde_kind vxvde_classify(const unsigned char hdr[8], const uint8_t *d, size_t len);

/* Open the sockets and add the uplink port to net. -EADDRNOTAVAIL and friends with e filled. */
int vxvde_add(struct network *net, const struct vxvde_spec *spec, struct port **out, struct vde_error *e);

#endif
