/*
 * vxvde — a network's multicast uplink, wire-compatible with vdeplug4's vxvde:// (doc/vde-wire.md §4):
 * UDP (default port 14789), an 8-byte header carrying the VNI, the group for broadcast and unknown
 * destinations, unicast to the learned address of a known MAC. All vded instances and vdeplug4
 * processes on one segment with the same group and VNI share one Ethernet. The wire format is
 * common/vxproto.c's and the learning table common/machash.c's, both shared with the vxvde:// module;
 * this file holds the sockets and the data path hooks.
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

struct vxvde_spec {
	struct sockaddr_storage group;	/* address and port */
	socklen_t group_len;
	unsigned vni, ttl;
	char ifname[IFNAMSIZ];		/* "" = the kernel's choice */
};

/* Parse "GROUP", "GROUP:PORT", "[V6GROUP]:PORT" or "V6GROUP" into spec (pure; the codec's
 * vxproto_parse_group). The group must be a multicast address. Returns 0 or -EINVAL. */
int vxvde_parse_group(const char *text, struct vxvde_spec *spec);

/* Open the sockets and add the uplink port to net. -EADDRNOTAVAIL and friends with e filled. */
int vxvde_add(struct network *net, const struct vxvde_spec *spec, struct port **out, struct vde_error *e);

#endif
