/*
 * vxlan://[GROUP][/opts] — RFC 7348 VXLAN (doc/vde-wire.md §6): a standard VTEP on UDP 4789 that
 * interoperates with the Linux kernel's vxlan devices and vdeplug4's vxlan://. Flooding goes to
 * the multicast group (or to the one unicast VTEP named instead of a group); learned MACs go to
 * the peer's address on the well-known port. One instance per host and network, as a VTEP.
 */
#include <libvdeplug_mod.h>

#include "vxvde/vxnet.h"

static VDECONN *vxlan_open(char *vde_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	return vxnet_module_open(VXNET_VXLAN, vde_url);
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = vxlan_open,
	VXNET_MODULE_OPS,
};
