/*
 * bonding://[DIR][[opts]] — bonded links: the opener's frames go to the clients in turn (round robin), the clients' frames to the opener only.
 * vde:// clients join at DIR (default /tmp/vdenode_USER); the opener is a port itself.
 * Options mode dirmode grp hashsize hashseed expiretime (see netnode.h).
 */
#include <libvdeplug_mod.h>

#include "switch/netnode.h"

static VDECONN *bonding_open(char *vde_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	return netnode_open(NETNODE_BONDING, vde_url, descr);
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = bonding_open,
	.vde_recv = netnode_recv,
	.vde_send = netnode_send,
	.vde_datafd = netnode_datafd,
	.vde_ctlfd = netnode_ctlfd,
	.vde_close = netnode_close,
};
