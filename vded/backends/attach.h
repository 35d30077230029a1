/* attach — ports handed to control-socket clients: an AF_UNIX SOCK_DGRAM socketpair, one end bridged
 * into the network, the other sent to the caller with the reply (QEMU: -netdev socket,fd=N). */
#ifndef VDED_ATTACH_H
#define VDED_ATTACH_H

#include "control/methods.h"

/* Make the pair, add the port (want_port 0: any) owned by ctx's connection, put the client's end in
 * ctx->fd_out. Returns 0 with *out set, or -errno with e filled. */
int attach_socketpair(struct network *net, unsigned want_port, const char *description,
		      struct request_ctx *ctx, struct port **out, struct vde_error *e);

/* Bridge the caller's own descriptor (ctx->fd_in) as a port, with no copy process in between. Only
 * two kinds are taken: an unnamed, non-listening AF_UNIX SOCK_DGRAM/SOCK_SEQPACKET socketpair end
 * made by the requesting process (SO_PEERCRED pid and uid = ctx->peer; not one of vded's own ends, not
 * the other end of a pair already in net), or a tap (TUNGETIFF: IFF_TAP with IFF_NO_PI, O_RDWR).
 * Takes ctx->fd_in (sets it to -1) on success; anything else is -EINVAL (invalid-params) with e naming
 * what the descriptor is ("a UDP socket", "a character device that is not a tap (/dev/zero)"). */
int attach_fd(struct network *net, unsigned want_port, const char *description, struct request_ctx *ctx,
	      struct port **out, struct vde_error *e);

#endif
