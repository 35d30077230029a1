/* attach — ports handed to control-socket clients: an AF_UNIX SOCK_DGRAM socketpair, one end bridged
 * into the network, the other sent to the caller with the reply (QEMU: -netdev socket,fd=N). */
#ifndef VDED_ATTACH_H
#define VDED_ATTACH_H

#include "methods.h"

/* Make the pair, add the port (want_port 0: any) owned by ctx's connection, put the client's end in
 * ctx->fd_out. Returns 0 with *out set, or -errno with e filled. */
int attach_socketpair(struct network *net, unsigned want_port, const char *description,
		      struct request_ctx *ctx, struct port **out, struct vde_error *e);

/* Bridge the caller's own descriptor (ctx->fd_in: a datagram or seqpacket socket, or a tap it opened
 * in its own namespace) as a port, with no copy process in between. Takes ctx->fd_in (sets it to -1)
 * on success. -EINVAL (invalid-params) for a stream socket or a regular file. */
int attach_fd(struct network *net, unsigned want_port, const char *description, struct request_ctx *ctx,
	      struct port **out, struct vde_error *e);

#endif
