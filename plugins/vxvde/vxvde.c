/*
 * vxvde://[GROUP][/opts] — a distributed switch on a multicast group (doc/vde-wire.md §4), wire
 * compatible with vdeplug4's: UDP 14789, 8-byte header 08 00 00 00 | VNI | 00, learning of
 * MAC → peer unicast address, a header-only datagram to the group on close.
 */
#include <errno.h>
#include <stdlib.h>

#include <libvdeplug_mod.h>

#include "vxnet.h"

struct vxvde_conn {
	void *handle;			/* filled by the loader */
	struct vdeplug_module *module;	/* filled by the loader */
	struct vxnet *net;
};

static VDECONN *vxvde_open(char *vde_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	struct vxvde_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->net = vxnet_open(VXNET_VXVDE, vde_url);
	if (c->net == NULL) {
		int err = errno;

		free(c);
		errno = err;
		return NULL;
	}
	return (VDECONN *)c;
}

static ssize_t vxvde_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	return vxnet_recv(((struct vxvde_conn *)conn)->net, buf, len);
}

static ssize_t vxvde_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	return vxnet_send(((struct vxvde_conn *)conn)->net, buf, len);
}

static int vxvde_datafd(VDECONN *conn)
{
	return vxnet_datafd(((struct vxvde_conn *)conn)->net);
}

static int vxvde_ctlfd(VDECONN *conn)
{
	return -1;
}

static int vxvde_close(VDECONN *conn)
{
	vxnet_close(((struct vxvde_conn *)conn)->net);
	free(conn);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = vxvde_open,
	.vde_recv = vxvde_recv,
	.vde_send = vxvde_send,
	.vde_datafd = vxvde_datafd,
	.vde_ctlfd = vxvde_ctlfd,
	.vde_close = vxvde_close,
};
