#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "control/policy.h"
#include "dataplane/network.h"

static struct policy_config policy_cfg = POLICY_DEFAULTS;
static void (*policy_denial_hook)(const struct peer *peer, const char *method, const char *why);

void policy_set_denial_hook(void (*hook)(const struct peer *peer, const char *method, const char *why))
{
	policy_denial_hook = hook;
}

void policy_configure(const struct policy_config *cfg)
{
	policy_cfg = *cfg;
}

const struct policy_config *policy_config(void)
{
	return &policy_cfg;
}

int policy_resolve_group(const char *name, gid_t *gid)
{
	struct group *gr;
	char *end;
	unsigned long n;

	if (!name || !*name)
		return -EINVAL;
	errno = 0;
	n = strtoul(name, &end, 10);
	if (!*end && !errno && n < (gid_t)-1) {
		*gid = (gid_t)n;
		return 0;
	}
	gr = getgrnam(name);
	if (!gr)
		return -ENOENT;
	*gid = gr->gr_gid;
	return 0;
}

int policy_peer_from_socket(int fd, struct peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	memset(peer, 0, sizeof(*peer));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	peer->uid = cred.uid;
	peer->gid = cred.gid;
	peer->pid = cred.pid;
	len = sizeof(peer->groups);
	/* A peer in more than PEER_MAX_GROUPS groups gets ERANGE: it is then judged on its primary group
	 * alone, which can only deny, never grant, more than it has. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer->groups, &len) == 0)
		peer->ngroups = (int)(len / sizeof(gid_t));
	return 0;
}

bool policy_peer_in_group(const struct peer *peer, gid_t gid)
{
	if (gid == POLICY_NO_GROUP)
		return false;
	if (peer->gid == gid)
		return true;
	for (int i = 0; i < peer->ngroups; i++)
		if (peer->groups[i] == gid)
			return true;
	return false;
}

static bool policy_is_admin(const struct peer *peer)
{
	return peer->uid == 0 || policy_peer_in_group(peer, policy_cfg.admin_group);
}

/* The rwx bits of net's mode that apply to peer, like a file's. */
static unsigned policy_class_bits(const struct peer *peer, const struct network *net, const char **cls)
{
	if (peer->uid == net->def.owner_uid) {
		*cls = "owner";
		return (net->def.mode >> 6) & 7;
	}
	if (policy_peer_in_group(peer, net->def.group)) {
		*cls = "group";
		return (net->def.mode >> 3) & 7;
	}
	*cls = "other";
	return net->def.mode & 7;
}

bool policy_peer_is_admin(const struct peer *peer)
{
	return policy_is_admin(peer);
}

bool policy_can_read_all(const struct peer *peer)
{
	return policy_is_admin(peer);
}

bool policy_can_read(const struct peer *peer, const struct network *net)
{
	const char *cls;

	return policy_is_admin(peer) || (policy_class_bits(peer, net, &cls) & 4);
}

static unsigned policy_count_networks(uid_t uid)
{
	unsigned n = 0;

	for (struct network *net = network_first(); net; net = net->next)
		n += net->def.owner_uid == uid;
	return n;
}

static unsigned policy_count_ports(uid_t uid)
{
	unsigned n = 0;

	for (struct network *net = network_first(); net; net = net->next)
		for (struct port *p = net->port_list; p; p = p->net_next)
			n += !p->dead && p->uid == uid;
	return n;
}

static int policy_deny(const struct peer *peer, const char *method, struct vde_error *e, enum proto_err code,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int policy_deny(const struct peer *peer, const char *method, struct vde_error *e, enum proto_err code,
		       const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_notice("denied %s to uid %u pid %d: %s", method, (unsigned)peer->uid, (int)peer->pid, why);
	if (policy_denial_hook)
		policy_denial_hook(peer, method, why);
	return vde_error_set(e, code, code == PROTO_ERR_LIMIT ? ENOSPC : EACCES, "%s", why);
}

int policy_not_found(struct vde_error *e, const char *name)
{
	return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' does not exist", name);
}

static int policy_check_access(const struct peer *peer, const char *method, enum policy_access access,
			       const struct network *net, const struct port *port, struct vde_error *e)
{
	const char *cls;
	unsigned bits;

	switch (access) {
	case POLICY_CONNECT:
		return 0;
	case POLICY_CREATE: {
		gid_t g = policy_cfg.create_group == POLICY_NO_GROUP ? policy_cfg.socket_group : policy_cfg.create_group;
		if (!policy_peer_in_group(peer, g))
			return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
					   "uid %u is not in group %u required to create networks",
					   (unsigned)peer->uid, (unsigned)g);
		if (policy_count_networks(peer->uid) >= policy_cfg.max_networks_per_user)
			return policy_deny(peer, method, e, PROTO_ERR_LIMIT,
					   "uid %u owns %u networks, the most a user may (max_networks_per_user)",
					   (unsigned)peer->uid, policy_cfg.max_networks_per_user);
		return 0;
	}
	case POLICY_READ:
	case POLICY_ATTACH:
		bits = policy_class_bits(peer, net, &cls);
		if (access == POLICY_READ && !(bits & 4))
			return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
					   "uid %u may not see network '%s' (mode %04o, %s has no read)",
					   (unsigned)peer->uid, net->def.name, net->def.mode, cls);
		if (access == POLICY_ATTACH && !(bits & 2)) {
			if (strcmp(cls, "other") == 0)
				return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
						   "uid %u is not in group %u required by network '%s'",
						   (unsigned)peer->uid, (unsigned)net->def.group, net->def.name);
			return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
					   "uid %u may not attach to network '%s' (mode %04o gives the %s no write)",
					   (unsigned)peer->uid, net->def.name, net->def.mode, cls);
		}
		if (access == POLICY_ATTACH && policy_count_ports(peer->uid) >= policy_cfg.max_ports_per_user)
			return policy_deny(peer, method, e, PROTO_ERR_LIMIT,
					   "uid %u has %u ports, the most a user may (max_ports_per_user)",
					   (unsigned)peer->uid, policy_cfg.max_ports_per_user);
		return 0;
	case POLICY_MODIFY:
		if (peer->uid != net->def.owner_uid)
			return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
					   "uid %u is neither the owner (uid %u) of network '%s' nor an admin",
					   (unsigned)peer->uid, (unsigned)net->def.owner_uid, net->def.name);
		return 0;
	case POLICY_CAPTURE:
		/* a member who may attach sees its own frames only; a capture shows everyone's */
		if (peer->uid != net->def.owner_uid)
			return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
					   "uid %u is neither the owner (uid %u) of network '%s' nor an admin: "
					   "a capture shows every user's frames", (unsigned)peer->uid,
					   (unsigned)net->def.owner_uid, net->def.name);
		return 0;
	case POLICY_ADMIN:
		return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
				   "uid %u is not an admin: %s makes host-side resources", (unsigned)peer->uid, method);
	case POLICY_DETACH:
		if (peer->uid != net->def.owner_uid && (!port || port->uid != peer->uid))
			return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
					   "uid %u did not make port %u and does not own network '%s'",
					   (unsigned)peer->uid, port ? port->id : 0, net->def.name);
		return 0;
	}
	return -EINVAL;
}

int policy_check_interface(const struct peer *peer, const char *method, const char *ifname, bool has_owner,
			   uid_t owner, bool transient, struct vde_error *e)
{
	if (policy_is_admin(peer))
		return 0;
	if (!has_owner || owner != peer->uid)
		return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
				   "uid %u does not own interface '%s': only admins take over an interface that is not "
				   "their own tap", (unsigned)peer->uid, ifname);
	/* a saved port would take whatever interface has that name next, whoever owns it then */
	if (!transient)
		return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
				   "uid %u may add its tap '%s' only as a transient port (only admins keep one saved)",
				   (unsigned)peer->uid, ifname);
	return 0;
}

int policy_check(const struct peer *peer, const char *method, enum policy_access access,
		 const struct network *net, const struct port *port, struct vde_error *e)
{
	int ret;

	/* as the contract says: these rules are about the caller alone, whatever network is named */
	if (access == POLICY_CONNECT || access == POLICY_CREATE || access == POLICY_ADMIN)
		net = NULL;
	if (peer->uid != 0 && !policy_peer_in_group(peer, policy_cfg.socket_group) && !policy_is_admin(peer))
		return policy_deny(peer, method, e, PROTO_ERR_PERMISSION,
				   "uid %u is not in group %u required to use vded", (unsigned)peer->uid,
				   (unsigned)policy_cfg.socket_group);
	if (policy_is_admin(peer))
		return 0;
	ret = policy_check_access(peer, method, access, net, port, e);
	/* a network the caller may not see does not exist for it: the same answer as for a missing one
	 * (the log line above keeps the real reason) */
	if (ret == -EACCES && net && !policy_can_read(peer, net))
		return policy_not_found(e, net->def.name);
	return ret;
}

unsigned policy_port_max_macs(const struct peer *peer)
{
	return !peer || policy_is_admin(peer) ? 0 : policy_cfg.user_port_max_macs;
}

unsigned policy_port_max_macs_of(uid_t uid, gid_t gid)
{
	struct peer pr = { .uid = uid, .gid = gid, .pid = 0 };
	const struct passwd *pw;
	int n = PEER_MAX_GROUPS;

	if (uid == 0 || !policy_cfg.user_port_max_macs)
		return 0;
	/* the groups the user has now, as the kernel would give its next connection */
	pw = getpwuid(uid);
	if (pw && getgrouplist(pw->pw_name, gid, pr.groups, &n) >= 0)
		pr.ngroups = n;
	return policy_port_max_macs(&pr);
}
