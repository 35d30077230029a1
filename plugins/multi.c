/*
 * multi://[DIR][[opts]] — a multilink: the opener's frames go to every client, the clients' frames to the opener only (hand-over between links).
 * vde:// clients join at DIR (default /tmp/vdenode_USER); the opener is a port itself.
 * Options mode dirmode grp hashsize hashseed expiretime (see netnode.h).
 */
#include <libvdeplug_mod.h>

#include "switch/netnode.h"

static VDECONN *multi_open(char *vde_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	return netnode_open(NETNODE_MULTI, vde_url, descr);
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = multi_open,
	.vde_recv = netnode_recv,
	.vde_send = netnode_send,
	.vde_datafd = netnode_datafd,
	.vde_ctlfd = netnode_ctlfd,
	.vde_close = netnode_close,
};
