/*
 * vxnet — the multicast UDP core shared by vxvde:// (doc/vde-wire.md §4) and vxlan:// (RFC 7348, §6):
 * option parsing, sockets, MAC → peer learning, encapsulation. The two differ only in the
 * parameters of struct vxnet_kind. vxvde's wire format and its recognition of our own multicast are
 * common/vxproto.c's (shared with vded), the learning table is common/machash.c's.
 */
#ifndef VDE_PLUGINS_VXNET_H
#define VDE_PLUGINS_VXNET_H

#include <sys/types.h>

#include <libvdeplug_mod.h>

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

/*
 * The module entry points of vxvde:// and vxlan:// (libvdeplug_mod.h), which differ only in the kind
 * their open passes: vxnet_module_open(KIND, vde_url) makes the connection (NULL with errno), and
 * VXNET_MODULE_OPS fills the rest of a struct vdeplug_module.
 */
VDECONN *vxnet_module_open(enum vxnet_kind kind, char *vde_url);
ssize_t vxnet_module_recv(VDECONN *conn, void *buf, size_t len, int flags);
ssize_t vxnet_module_send(VDECONN *conn, const void *buf, size_t len, int flags);
int vxnet_module_datafd(VDECONN *conn);
int vxnet_module_ctlfd(VDECONN *conn);
int vxnet_module_close(VDECONN *conn);
#define VXNET_MODULE_OPS .vde_recv = vxnet_module_recv, .vde_send = vxnet_module_send, \
	.vde_datafd = vxnet_module_datafd, .vde_ctlfd = vxnet_module_ctlfd, .vde_close = vxnet_module_close

#endif
