/*
 * policy — who may do what, decided in one place (DESIGN.md "Policy").
 *
 * A network has an owner uid, a group and a mode, like a file. For the class the caller falls in
 * (owner, member of the network's group, other): 'r' lets it see the network (show, port.list,
 * mac.list, and list it), 'w' lets it attach. Root and members of the admin group may do anything.
 * Creating needs root, admin or the create group, within a per-user quota of networks; attaching is
 * held to a per-user quota of ports. Deleting or changing a network: its owner or an admin.
 * Detaching a port: whoever made it, the network's owner, or an admin.
 * Above all of that, only root and members of the control socket's group reach vded at all.
 * Every denial is answered with permission-denied (or limit for a quota) naming the rule, and logged;
 * except on a network the caller may not see, which is answered as if it did not exist (not-found).
 */
#ifndef VDED_POLICY_H
#define VDED_POLICY_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define PEER_MAX_GROUPS 64

/* Who is asking: taken from the kernel at accept (SO_PEERCRED, SO_PEERGROUPS) by the control socket and
 * the endpoint, and judged here; a plain value, copied freely. */
struct peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int ngroups;
	gid_t groups[PEER_MAX_GROUPS];
};

struct network;
struct port;

struct policy_config {
	gid_t socket_group;		/* control socket's group; 0 = root only */
	gid_t create_group;		/* may create networks; (gid_t)-1 = the socket group */
	gid_t admin_group;		/* may do anything; (gid_t)-1 = nobody but root */
	unsigned max_networks_per_user;
	unsigned max_ports_per_user;
	unsigned user_port_max_macs;	/* a MAC limit for the ports of users who are not admins; 0: none */
};

#define POLICY_NO_GROUP ((gid_t)-1)
#define POLICY_DEFAULTS { .socket_group = 0, .create_group = POLICY_NO_GROUP, .admin_group = POLICY_NO_GROUP, \
			  .max_networks_per_user = 16, .max_ports_per_user = 64 }

enum policy_access {
	POLICY_CONNECT,		/* anything not about one network (daemon.info, network.list) */
	POLICY_READ,		/* see one network */
	POLICY_ATTACH,		/* plug a port into it */
	POLICY_CREATE,		/* make a network */
	POLICY_MODIFY,		/* delete it, change its group, mode, description */
	POLICY_DETACH,		/* remove one port */
	POLICY_ADMIN,		/* host-side resources: taps, uplinks (root and the admin group) */
	POLICY_CAPTURE,		/* read every user's frames on one network (its owner, admins) */
};

void policy_configure(const struct policy_config *cfg);
const struct policy_config *policy_config(void);

/* 0 if allowed; else -EACCES (or -ENOSPC for a quota) with e naming the rule, and a log line.
 * net is needed for READ, ATTACH, MODIFY, DETACH; port for DETACH. A caller denied on a network it
 * may not see gets -ENOENT with the same not-found error as for a network that does not exist
 * (policy_not_found()), so that neither the code nor the message tells the two apart. CONNECT, CREATE
 * and ADMIN do not look at net: an admin-only method stays admin-only whatever it names. */
int policy_check(const struct peer *peer, const char *method, enum policy_access access,
		 const struct network *net, const struct port *port, struct vde_error *e);

/* Whether peer may take interface ifname over as a port (port.add; the network's attach right is
 * checked apart): admins may any; a user only its own tap (has_owner: the tun owner is owner), and
 * only as a transient port. 0, or -EACCES with e naming the rule, and a log line. */
int policy_check_interface(const struct peer *peer, const char *method, const char *ifname, bool has_owner,
			   uid_t owner, bool transient, struct vde_error *e);

/* Who hears of each denial besides the log (the event bus): hook gets the caller, the method and the
 * rule's text, borrowed for the call. One hook, or NULL. */
void policy_set_denial_hook(void (*hook)(const struct peer *peer, const char *method, const char *why));

/* The one not-found error for a network name (missing, or hidden from the caller). Returns -ENOENT. */
int policy_not_found(struct vde_error *e, const char *name);

/* The MAC limit of a port peer makes (attach, endpoint): user_port_max_macs for a user who is neither
 * root nor an admin (rule 4: what a user makes is bounded by the config), else 0 (none). */
unsigned policy_port_max_macs(const struct peer *peer);
/* The same for a port that came back from a previous engine (restart.md) and knows only its maker's
 * uid and gid: the groups are looked up as they are now. */
unsigned policy_port_max_macs_of(uid_t uid, gid_t gid);

/* Whether peer may see net, without logging (network.list filters with it). */
bool policy_can_read(const struct peer *peer, const struct network *net);

/* Whether peer sees everything (root and admins): lists need no filter. */
bool policy_can_read_all(const struct peer *peer);

/* Whether peer is root or a member of the admin group (what may aim vded's traffic at an address). */
bool policy_peer_is_admin(const struct peer *peer);

/* Whether peer is a member of gid (primary or supplementary). */
bool policy_peer_in_group(const struct peer *peer, gid_t gid);

/* The peer of a connected UNIX socket, from the kernel (SO_PEERCRED, SO_PEERGROUPS). 0 or -errno. */
int policy_peer_from_socket(int fd, struct peer *peer);

/* A group given by name or number; -ENOENT if no such group. */
int policy_resolve_group(const char *name, gid_t *gid);

#endif
