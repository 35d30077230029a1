/*
 * vxlan — a network's uplink into a standard VXLAN fabric: a kernel VXLAN device (made by the
 * privileged parent through netlink, PRIV_OP_VXLAN_CREATE) taken over as an interface port
 * (backends/ifport.h), so frames cross between the network and the kernel's VXLAN data path, which
 * Open vSwitch, FRR's EVPN and data-centre switches speak (doc/vxlan.md). The device is named
 * vdevxVNI and belongs to the network: it goes when the network is deleted. The port is transient
 * (the network's definition makes it again at start, not the interface port table).
 */
#ifndef VDED_VXLAN_H
#define VDED_VXLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "error.h"

struct network;

#define VXLAN_DEFAULT_PORT 4789

struct vxlan_spec {
	uint32_t vni;
	int family;			/* of addr: AF_INET or AF_INET6 */
	uint8_t addr[16];		/* the remote VTEP, or a multicast group (then dev is needed) */
	bool group;
	unsigned dstport;
	unsigned mtu;			/* 0: the kernel's */
	char dev[IFNAMSIZ];		/* "" or the underlay interface */
	char ifname[IFNAMSIZ];		/* vdevxVNI */
};

/* Fill spec from its parts (pure): remote is a numeric IPv4 or IPv6 address, unicast or multicast
 * (a group needs dev). -EINVAL for a bad address or a group without dev. */
int vxlan_spec_init(struct vxlan_spec *spec, uint32_t vni, const char *remote, unsigned dstport, const char *dev,
		    unsigned mtu);

/* Make the device (reuse: an existing VXLAN device of that name is fine) and add it to net as a port. */
int vxlan_add(struct network *net, const struct vxlan_spec *spec, bool reuse, struct vde_error *e);

/* Remove the device of VNI vni (the network is going). Best effort: logs a failure. */
void vxlan_remove(uint32_t vni);

#endif
