/*
 * tap — tap devices owned by vded: made and configured (netlink) by the privileged process (priv.h),
 * their fd bridged into a network as a port with no relay process. The tap lives as long as its port.
 */
#ifndef VDED_TAP_H
#define VDED_TAP_H

#include <stdbool.h>
#include <net/if.h>
#include <sys/types.h>

#include "error.h"

struct network;
struct port;

#define TAP_MAX_ADDRS 8

struct tap_spec {
	char ifname[IFNAMSIZ];
	bool has_owner;
	uid_t owner;			/* TUNSETOWNER: this user may open the device too */
	unsigned naddrs;
	char addrs[TAP_MAX_ADDRS][64];	/* CIDR, IPv4 or IPv6 */
	unsigned mtu;			/* 0: the kernel's default */
	bool up;
	const uint8_t *mac;		/* NULL: random */
	const char *netns;		/* make it in this vded namespace (NULL: vded's own) */
};

/* Whether name can be an interface name (1..15 chars, no '/', no whitespace, not "." or ".."). */
bool tap_valid_ifname(const char *name);

/* Create the tap, configure it, add it to net as a port of kind "tap". On any failure nothing is left
 * (no interface, no port). -EEXIST if the interface exists, -EINVAL for a bad address. */
int tap_add(struct network *net, const struct tap_spec *spec, struct port **out, struct vde_error *e);
/* The tap port of net named ifname, or NULL. */
struct port *tap_find(struct network *net, const char *ifname);
/* The tap of net named ifname inside vded namespace ns, or NULL. */
struct port *tap_find_ns(struct network *net, const char *ns, const char *ifname);
/* The interface name of a tap port (borrowed), or NULL for other kinds. */
const char *tap_ifname(const struct port *p);

#endif
