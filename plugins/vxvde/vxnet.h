/*
 * vxnet — the multicast UDP core shared by vxvde:// (doc/vde-wire.md §4) and vxlan:// (RFC 7348, §6):
 * option parsing, sockets, MAC → peer learning, encapsulation. The two differ only in the
 * parameters of struct vxnet_kind. vxvde's wire format and its recognition of our own multicast are
 * common/vxproto.c's (shared with vded), the learning table is common/machash.c's.
 */
#ifndef VDE_PLUGINS_VXNET_H
#define VDE_PLUGINS_VXNET_H

#include <sys/types.h>

enum vxnet_kind {
	VXNET_VXVDE,	/* port 14789, exact header match, unicast socket, close datagram */
	VXNET_VXLAN,	/* port 4789, one socket on the well-known port, RFC 7348 VTEP */
};

struct vxnet;

/* Open from the locator's arguments (after "scheme://"; modified in place). Returns NULL with
 * errno: EINVAL (bad option or address), EADDRINUSE, ENODEV (if=), or a socket error. */
struct vxnet *vxnet_open(enum vxnet_kind kind, char *args);
/* vde_recv semantics: a frame length, or 1 when only datagrams addressed to the module itself
 * (a peer's close notice) were waiting, or -1 with errno. */
ssize_t vxnet_recv(struct vxnet *vx, void *buf, size_t len);
/* vde_send semantics: len (also when the kernel dropped the datagram for lack of buffer space), or -1. */
ssize_t vxnet_send(struct vxnet *vx, const void *buf, size_t len);
int vxnet_datafd(const struct vxnet *vx);
/* Says goodbye to the peers (vxvde), closes the sockets and frees vx. */
void vxnet_close(struct vxnet *vx);

#endif
