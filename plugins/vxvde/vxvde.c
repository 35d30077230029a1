/*
 * vxvde://[GROUP][/opts] — a distributed switch on a multicast group (doc/vde-wire.md §4), wire
 * compatible with vdeplug4's: UDP 14789, 8-byte header 08 00 00 00 | VNI | 00, learning of
 * MAC → peer unicast address, a header-only datagram to the group on close.
 */
#include <libvdeplug_mod.h>

#include "vxnet.h"

static VDECONN *vxvde_open(char *vde_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	return vxnet_module_open(VXNET_VXVDE, vde_url);
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = vxvde_open,
	VXNET_MODULE_OPS,
};
