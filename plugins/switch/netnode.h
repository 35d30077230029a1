/*
 * netnode — the in-process servers behind hub://, switch://, multi:// and bonding:// (doc/vde-wire.md
 * §3, §6). The opener gets a port of a node that serves the vde_switch protocol on DIR/ctl, so
 * vde:// clients (vdeplug4's vde_plug, QEMU) join it.
 *
 * The node runs in its own thread, and the opener's data fd is one end of a SOCK_SEQPACKET pair:
 * the fd is readable only when a frame for the opener is waiting, so vde_recv always returns a
 * real frame. (vdeplug4 serves the node from inside vde_recv and returns 1, "drop", whenever the
 * work was for other ports: QEMU then hands its guest a 1-byte frame, and -1 would end a vde_plug
 * cable.)
 */
#ifndef VDE_PLUGINS_NETNODE_H
#define VDE_PLUGINS_NETNODE_H

#include <libvdeplug_mod.h>

enum netnode_kind {
	NETNODE_HUB,		/* every frame to every other port */
	NETNODE_SWITCH,		/* MAC+VLAN learning, tagged frames forwarded as they are (trunk) */
	NETNODE_MULTI,		/* opener ↔ all clients: the opener's frames go to every client */
	NETNODE_BONDING,	/* opener ↔ all clients: the opener's frames go to one client in turn */
};

/* vdeplug_ops callbacks for a module of the given kind; `path[opts]` is the locator's argument
 * (options mode dirmode grp hashsize hashseed expiretime). Open fails with NULL + errno:
 * EINVAL (options), EADDRINUSE (a live node already serves DIR), or a file system error. */
VDECONN *netnode_open(enum netnode_kind kind, char *vde_url, char *descr);
ssize_t netnode_recv(VDECONN *conn, void *buf, size_t len, int flags);
ssize_t netnode_send(VDECONN *conn, const void *buf, size_t len, int flags);
int netnode_datafd(VDECONN *conn);
int netnode_ctlfd(VDECONN *conn);
int netnode_close(VDECONN *conn);

#endif
