/*
 * ifport — interface ports: an existing host interface (a tap QEMU or libvirt made, a VM tap of
 * vded's, a veth end, a VXLAN device, a NIC) taken over as a port of a network through an AF_PACKET
 * socket that the privileged parent opens, binds and sets up (priv_packet_open: promiscuous,
 * virtio-net header, outgoing frames ignored, link up, host addresses off unless keep_ip). The
 * port owns that socket; the interface stays the host's (removing the port leaves it there).
 *
 * Link events: a NETLINK_ROUTE socket of the engine's own (RTMGRP_LINK needs no capability) sees
 * interfaces go, and their ports go with them (counted, logged), and come, and then calls the hook
 * the control layer set, which re-adopts the saved interface ports of that name.
 */
#ifndef VDED_IFPORT_H
#define VDED_IFPORT_H

#include <stdbool.h>
#include <net/if.h>
#include <sys/types.h>

#include "error.h"

struct network;
struct port;

struct ifport_spec {
	char ifname[IFNAMSIZ];
	bool keep_ip;			/* leave the host's addresses and IPv6 on it */
	bool transient;			/* not saved: the port lives while the interface does */
	bool vm_tap;			/* the VM tap vded made for it (tap add --for-vm): tap remove removes it */
	bool admin;			/* an admin's (or the definition's): its receive buffer may be forced */
};

/* What the engine sees of an interface in vded's namespace (rtnetlink, no capability): its index, and
 * its tun/tap owner (has_owner false: no tap, or a tap without owner). -ENODEV if there is none. */
struct ifport_info {
	unsigned ifindex;
	bool is_tun, persist, has_owner;
	uid_t owner;
};
int ifport_lookup(const char *ifname, struct ifport_info *info);

/* Take ifname over as a port of net. info: what the caller checked (its ifindex is held to the
 * interface the parent opens). -EEXIST if ifname is a port of any network already. */
int ifport_add(struct network *net, const struct ifport_spec *spec, const struct ifport_info *info,
	       struct port **out, struct vde_error *e);
/* The interface port of net named ifname, or NULL; ifport_find_any looks in every network. */
struct port *ifport_find(struct network *net, const char *ifname);
struct port *ifport_find_any(const char *ifname);
/* The interface name of an interface port (borrowed), or NULL for other kinds; its spec as added. */
const char *ifport_ifname(const struct port *p);
const struct ifport_spec *ifport_spec_of(const struct port *p);

/* After an engine restart: bring back net's transient interface ports from the previous life's kept
 * packet sockets (saved ones come back through their definition). */
void ifport_restore(struct network *net);
/* Start watching link events (idempotent); appeared(ifname) runs from the loop when an interface
 * that is no port comes up or is made. 0 or -errno. */
int ifport_watch(void (*appeared)(const char *ifname));
/* Interface ports removed because their interface went away, since start. */
unsigned long ifport_gone_count(void);

#endif
