/*
 * seqpacket://FD — an inherited SOCK_SEQPACKET descriptor, one frame per record (doc/vde-wire.md §6).
 * user-mode-linux hands vde_plug such an fd; the module takes ownership of it and closes it on close.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

#define ETH_HLEN_MIN 14

struct seqpacket_conn {
	void *handle;
	struct vdeplug_module *module;
	int fd;
};

static VDECONN *seqpacket_open(char *vnl, char *descr, int interface_version,
			       struct vde_open_args *open_args)
{
	struct seqpacket_conn *c;
	socklen_t optlen = sizeof(int);
	char *end;
	long fd;
	int type;

	errno = 0;
	fd = strtol(vnl, &end, 10);
	if (errno || end == vnl || *end != '\0' || fd < 0 || fd > INT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	/* Refuse anything but a seqpacket socket: a stream would silently merge frames. */
	if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &optlen) < 0)
		return NULL;
	if (type != SOCK_SEQPACKET) {
		errno = EPROTOTYPE;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = (int)fd;
	return (VDECONN *)c;
}

static ssize_t seqpacket_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct seqpacket_conn *c = (struct seqpacket_conn *)conn;
	int more = 0;
	ssize_t n;

	/* A record of 0 bytes is indistinguishable from the peer's EOF: report it as a hang-up.
	 * Runts are dropped here; after the first read only what is already queued is looked at,
	 * so the call never blocks past the readiness that led to it. */
	for (;;) {
		n = recv(c->fd, buf, len, flags | (more ? MSG_DONTWAIT : 0));
		if (n <= 0 || n >= ETH_HLEN_MIN || len < ETH_HLEN_MIN)
			return n;
		more = 1;
	}
}

static ssize_t seqpacket_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct seqpacket_conn *c = (struct seqpacket_conn *)conn;
	ssize_t n;

	do
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

static int seqpacket_datafd(VDECONN *conn)
{
	return ((struct seqpacket_conn *)conn)->fd;
}

static int seqpacket_ctlfd(VDECONN *conn)
{
	return -1;
}

static int seqpacket_close(VDECONN *conn)
{
	struct seqpacket_conn *c = (struct seqpacket_conn *)conn;

	close(c->fd);
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = seqpacket_open,
	.vde_recv = seqpacket_recv,
	.vde_send = seqpacket_send,
	.vde_datafd = seqpacket_datafd,
	.vde_ctlfd = seqpacket_ctlfd,
	.vde_close = seqpacket_close,
};
