/*
 * switch://[DIR][[opts]] — an in-process learning switch (MAC+VLAN table with aging, 802.1Q frames forwarded tagged: every port is a trunk).
 * vde:// clients join at DIR (default /tmp/vdenode_USER); the opener is a port itself.
 * Options mode dirmode grp hashsize hashseed expiretime (see netnode.h).
 */
#include <libvdeplug_mod.h>

#include "netnode.h"

static VDECONN *switch_open(char *vde_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	return netnode_open(NETNODE_SWITCH, vde_url, descr);
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = switch_open,
	.vde_recv = netnode_recv,
	.vde_send = netnode_send,
	.vde_datafd = netnode_datafd,
	.vde_ctlfd = netnode_ctlfd,
	.vde_close = netnode_close,
};
