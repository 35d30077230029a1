/* attach — ports handed to control-socket clients: an AF_UNIX SOCK_DGRAM socketpair, one end bridged
 * into the network, the other sent to the caller with the reply (QEMU: -netdev socket,fd=N). */
#ifndef VDED_ATTACH_H
#define VDED_ATTACH_H

#include "dataplane/network.h"
#include "error.h"

struct peer;

/* Whom a port is made for (borrowed for the call): the caller's credentials, recorded on the port
 * (NULL: vded itself), and the connection the port lives as long as: adopt(conn, port) is called once
 * with the new port (adopt NULL: none). */
struct attach_owner {
	const struct peer *peer;
	void *conn;
	void (*adopt)(void *conn, struct port *p);
};

/* Make the pair, add the port (want_port 0: any) for owner, put the client's end in *fd_out (the
 * caller sends and closes it). Returns 0 with *out set, or -errno with e filled. */
int attach_socketpair(struct network *net, unsigned want_port, const char *description,
		      const struct attach_owner *owner, int *fd_out, struct port **out, struct vde_error *e);

/* Bridge the caller's own descriptor (*fd_in) as a port, with no copy process in between. Only
 * two kinds are taken: an unnamed, non-listening AF_UNIX SOCK_DGRAM/SOCK_SEQPACKET socketpair end
 * made by the requesting process (SO_PEERCRED pid and uid = owner->peer; not one of vded's own ends,
 * not the other end of a pair already in net), or a tap (TUNGETIFF: IFF_TAP with IFF_NO_PI, O_RDWR).
 * Takes *fd_in (sets it to -1) once it is accepted; anything else is -EINVAL (invalid-params) with e
 * naming what the descriptor is ("a UDP socket", "a character device that is not a tap (/dev/zero)"),
 * and *fd_in is left to the caller. */
int attach_fd(struct network *net, unsigned want_port, const char *description,
	      const struct attach_owner *owner, int *fd_in, struct port **out, struct vde_error *e);

/* Bring back the previous life's attach and fd ports of net (keep.h), each on its old id; their
 * control connections re-adopt them later (control_resume). */
void attach_restore(struct network *net);

#endif
