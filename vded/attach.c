#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <net/if.h>
#include <linux/if_tun.h>
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

static const struct port_ops attach_fd_dgram_ops = {
	.kind = "fd",
	.recv_batch = port_dgram_recv_batch,
	.send_batch = port_dgram_send_batch,
};

static const struct port_ops attach_fd_char_ops = {
	.kind = "fd",
	.recv_batch = port_rw_recv_batch,
	.send_batch = port_rw_send_batch,
};

/* Identity and description, and the tie to the control connection, for a new attach port. */
static void attach_finish(struct port *p, const char *description, struct request_ctx *ctx)
{
	if (ctx->peer) {
		p->uid = ctx->peer->uid;
		p->gid = ctx->peer->gid;
		p->pid = ctx->peer->pid;
	}
	if (description && *description)
		snprintf(p->description, sizeof(p->description), "%s", description);
	else
		snprintf(p->description, sizeof(p->description), "%s pid=%d", p->ops->kind, (int)p->pid);
	if (ctx->adopt)
		ctx->adopt(ctx->conn, p);
	log_info("network %s: port %u attached (%s): pid %d uid %u \"%s\"", p->net->def.name, p->id, p->ops->kind,
		 (int)p->pid, (unsigned)p->uid, p->description);
}

int attach_fd(struct network *net, unsigned want_port, const char *description, struct request_ctx *ctx,
	      struct port **out, struct vde_error *e)
{
	const struct port_ops *ops;
	struct stat st;
	int fd = ctx->fd_in, type = 0, ret;
	bool vnet = false;
	socklen_t len = sizeof(type);

	if (fstat(fd, &st) < 0)
		return vde_error_errno(e, errno, "the descriptor: %s", strerror(errno));
	if (S_ISSOCK(st.st_mode)) {
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
		    (type != SOCK_DGRAM && type != SOCK_SEQPACKET))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "the descriptor must be a datagram or seqpacket socket (one frame each), or a tap");
		/* the client shares this socket: leave its flags alone, every call passes MSG_DONTWAIT */
		ops = &attach_fd_dgram_ops;
	} else if (S_ISCHR(st.st_mode)) {
		/* A tap: read/write move one frame each. O_NONBLOCK is on the open file the client
		 * shares; it gave the descriptor away to have it bridged, so that is fine. */
		int flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
			return vde_error_errno(e, errno, "the descriptor: %s", strerror(errno));
		ops = &attach_fd_char_ops;
		/* a tap opened with a virtio-net header says so */
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		vnet = ioctl(fd, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR);
	} else {
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
				     "the descriptor must be a datagram or seqpacket socket, or a tap");
	}
	ctx->fd_in = -1;	/* network_port_add owns it from here, even on failure */
	ret = network_port_add(net, fd, ops, want_port, out, e);
	if (ret < 0)
		return ret;
	(*out)->vnet = vnet;
	attach_finish(*out, description, ctx);
	return 0;
}

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
	ctx->fd_out = sv[1];
	attach_finish(p, description, ctx);
	*out = p;
	return 0;
}
