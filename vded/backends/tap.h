/*
 * tap — tap devices owned by vded: made and configured (netlink) by the privileged process (priv.h),
 * their fd bridged into a network as a port with no relay process. The tap lives as long as its port.
 * A VM tap (for_vm) is made persistent and left closed, for QEMU to open its queues; it is joined to the
 * network as an interface port (ifport.h), and lives until tap_remove_vm.
 */
#ifndef VDED_TAP_H
#define VDED_TAP_H

#include <stdbool.h>
#include <stdint.h>
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
	const char *gateway;		/* an IP address: the default route via it (NULL: none) */
	bool for_vm;			/* a VM tap: persistent, not opened by vded */
	bool has_group;			/* VM tap: TUNSETGROUP */
	gid_t group;
	bool multi_queue;		/* VM tap: IFF_MULTI_QUEUE */
	bool reuse;			/* VM tap: one of that name from before a restart is taken as it is */
};

/* A MAC that stays the same for key's i-th interface across restarts (a namespace and its index, a
 * network and a tap's name): locally administered, unicast. */
void tap_stable_mac(const char *key, unsigned i, uint8_t mac[6]);

/* Whether name can be an interface name (1..15 chars, no '/', no whitespace, not "." or ".."). */
bool tap_valid_ifname(const char *name);

/* Create the tap, configure it, add it to net as a port of kind "tap". On any failure nothing is left
 * (no interface, no port). -EEXIST if the interface exists, -EINVAL for a bad address. */
int tap_add(struct network *net, const struct tap_spec *spec, struct port **out, struct vde_error *e);
/* Remove VM tap ifname: its port (if any) and the persistent interface. 0, or -errno with e filled. */
int tap_remove_vm(struct network *net, const char *ifname, struct vde_error *e);
/* Whether p is the port of a VM tap. */
bool tap_is_vm(const struct port *p);
/* The tap port of net named ifname, or NULL. */
struct port *tap_find(struct network *net, const char *ifname);
/* The tap of net named ifname inside vded namespace ns, or NULL. */
struct port *tap_find_ns(struct network *net, const char *ns, const char *ifname);
/* The interface name of a tap port (borrowed), or NULL for other kinds. */
const char *tap_ifname(const struct port *p);

#endif
