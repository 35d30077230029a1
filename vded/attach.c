#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attach.h"
#include "log.h"

static const struct port_ops attach_port_ops = {
	.kind = "attach",
	.recv_batch = port_dgram_recv_batch,
	.send_batch = port_dgram_send_batch,
};

int attach_socketpair(struct network *net, unsigned want_port, const char *description,
		      struct request_ctx *ctx, struct port **out, struct vde_error *e)
{
	int sv[2], ret, size = 4 << 20;
	struct port *p;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return vde_error_errno(e, errno, "socketpair: %s", strerror(errno));
	ret = port_dgram_setup(sv[0]);
	if (ret < 0) {
		close(sv[0]);
		close(sv[1]);
		return vde_error_errno(e, ret, "socket setup: %s", strerror(-ret));
	}
	/* The client's end stays blocking (its owner decides), but gets room for bursts toward vded. */
	if (setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	ret = network_port_add(net, sv[0], &attach_port_ops, want_port, &p, e);
	if (ret < 0) {
		close(sv[1]);
		return ret;
	}
	if (ctx->peer) {
		p->uid = ctx->peer->uid;
		p->gid = ctx->peer->gid;
		p->pid = ctx->peer->pid;
	}
	if (description && *description)
		snprintf(p->description, sizeof(p->description), "%s", description);
	else
		snprintf(p->description, sizeof(p->description), "attach pid=%d", (int)p->pid);
	if (ctx->adopt)
		ctx->adopt(ctx->conn, p);
	ctx->fd_out = sv[1];
	log_info("network %s: port %u attached: pid %d uid %u \"%s\"", net->def.name, p->id, (int)p->pid,
		 (unsigned)p->uid, p->description);
	*out = p;
	return 0;
}
