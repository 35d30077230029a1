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

/* "10.0.2.0/24" → spec (pure): a prefix of 8..28 bits, the host part zero. -EINVAL otherwise. */
int slirp_parse_subnet(const char *text, struct slirp_spec *spec);

int slirp_backend_add(struct network *net, const struct slirp_spec *spec, struct port **out, struct vde_error *e);

struct slirp_forward {
	bool udp;
	struct in_addr host_addr;	/* 0: any */
	unsigned host_port;
	struct in_addr guest_addr;
	unsigned guest_port;
};

/* Parse "[HOSTADDR:]HOSTPORT" and "GUESTADDR:GUESTPORT" (pure). -EINVAL. */
int slirp_parse_forward(const char *proto, const char *host, const char *guest, struct slirp_forward *fw);
/* Add/remove a forward on net's slirp. -ENODEV: net has no slirp; -EADDRINUSE: host port taken;
 * -ENOENT: no such forward (remove). */
int slirp_forward_add(struct network *net, const struct slirp_forward *fw, struct vde_error *e);
int slirp_forward_remove(struct network *net, const struct slirp_forward *fw, struct vde_error *e);

#endif
