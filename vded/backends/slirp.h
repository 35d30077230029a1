/*
 * slirp — a network's NAT to the host's own connectivity, through libslirp: DHCP, DNS forwarding,
 * TCP/UDP NAT, and host→guest port forwards that can change at run time. One libslirp instance per
 * network, driven by vded's event loop; it is a port of its network like any other.
 */
#ifndef VDED_SLIRP_H
#define VDED_SLIRP_H

#include <stdbool.h>
#include <netinet/in.h>

#include "error.h"

struct network;
struct port;

struct slirp_spec {
	struct in_addr net, mask;	/* the subnet; host .2, DHCP from .15, DNS .3 unless dns is set */
	struct in_addr dns;		/* 0: subnet .3 */
	bool ipv6;			/* also fd00::/64 with the host at fd00::2 */
};

/* "10.0.2.0/24" → spec (pure; common/subnet.c's parser): a prefix of SUBNET_PREFIX_MIN..MAX (1..27:
 * what libslirp's layout can serve, see subnet.h), the host part zero. -EINVAL otherwise. */
int slirp_parse_subnet(const char *text, struct slirp_spec *spec);

int slirp_backend_add(struct network *net, const struct slirp_spec *spec, struct port **out, struct vde_error *e);

struct slirp_forward {
	bool udp;
	struct in6_addr host_addr;	/* IPv4 v4-mapped; an omitted address is 127.0.0.1 */
	unsigned host_port;
	struct in_addr guest_addr;
	unsigned guest_port;
};

/* Which host addresses non-admins may bind forwards on, from vded.conf's forward_addresses (copied);
 * n_forward_addresses -1 means the default, 127.0.0.1. Call at start and on reload. */
struct vded_config;
void slirp_configure(const struct vded_config *cfg);

/* Parse "[HOSTADDR:]HOSTPORT" and "GUESTADDR:GUESTPORT", both IPv4 (pure). -EINVAL. */
int slirp_parse_forward(const char *proto, const char *host, const char *guest, struct slirp_forward *fw);
/* Whether peer may ask for fw (before slirp_forward_add; not for replays of saved definitions, which
 * were checked when made). Root and admin_group may bind any address and port; anyone else only the
 * addresses in forward_addresses and ports the kernel lets an unprivileged process bind
 * (net.ipv4.ip_unprivileged_port_start). 0, or -EACCES (permission-denied naming the rule). */
struct peer;
int slirp_forward_allowed(const struct peer *peer, const struct slirp_forward *fw, struct vde_error *e);
/* Add/remove a forward on net's slirp; the bind is done with vded's (the engine's) own rights.
 * -ENODEV: net has no slirp; -EADDRINUSE: host port taken; -EACCES: the port needs privilege;
 * -EADDRNOTAVAIL: not an address of this host; -ENOENT: no such forward (remove). */
int slirp_forward_add(struct network *net, const struct slirp_forward *fw, struct vde_error *e);
int slirp_forward_remove(struct network *net, const struct slirp_forward *fw, struct vde_error *e);

/* Save every slirp port's libslirp state for the next life (keep.h): at an exit that leaves ports. */
void slirp_save_all(void);

#endif
