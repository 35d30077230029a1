/*
 * vxlan://[GROUP][/opts] — RFC 7348 VXLAN (doc/vde-wire.md §6): a standard VTEP on UDP 4789 that
 * interoperates with the Linux kernel's vxlan devices and vdeplug4's vxlan://. Flooding goes to
 * the multicast group (or to the one unicast VTEP named instead of a group); learned MACs go to
 * the peer's address on the well-known port. One instance per host and network, as a VTEP.
 */
#include <errno.h>
#include <stdlib.h>

#include <libvdeplug_mod.h>

#include "vxvde/vxnet.h"

struct vxlan_conn {
	void *handle;			/* filled by the loader */
	struct vdeplug_module *module;	/* filled by the loader */
	struct vxnet *net;
};

static VDECONN *vxlan_open(char *vde_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	struct vxlan_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->net = vxnet_open(VXNET_VXLAN, vde_url);
	if (c->net == NULL) {
		int err = errno;

		free(c);
		errno = err;
		return NULL;
	}
	return (VDECONN *)c;
}

static ssize_t vxlan_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	return vxnet_recv(((struct vxlan_conn *)conn)->net, buf, len);
}

static ssize_t vxlan_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	return vxnet_send(((struct vxlan_conn *)conn)->net, buf, len);
}

static int vxlan_datafd(VDECONN *conn)
{
	return vxnet_datafd(((struct vxlan_conn *)conn)->net);
}

static int vxlan_ctlfd(VDECONN *conn)
{
	return -1;
}

static int vxlan_close(VDECONN *conn)
{
	vxnet_close(((struct vxlan_conn *)conn)->net);
	free(conn);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = vxlan_open,
	.vde_recv = vxlan_recv,
	.vde_send = vxlan_send,
	.vde_datafd = vxlan_datafd,
	.vde_ctlfd = vxlan_ctlfd,
	.vde_close = vxlan_close,
};
