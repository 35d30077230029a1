#include <errno.h>

#include "log.h"
#include "methods.h"
#include "policy.h"

static gid_t policy_group;

void policy_set_group(gid_t group)
{
	policy_group = group;
}

static bool peer_in_group(const struct peer *peer, gid_t gid)
{
	if (peer->gid == gid)
		return true;
	for (int i = 0; i < peer->ngroups; i++)
		if (peer->groups[i] == gid)
			return true;
	return false;
}

int policy_check(const struct peer *peer, const char *method, bool write, const struct network *net,
		 struct vde_error *e)
{
	if (peer->uid == 0)
		return 0;
	if (policy_group != 0 && peer_in_group(peer, policy_group))
		return 0;
	log_notice("denied %s to uid %u pid %d: not root and not in group %u", method, (unsigned)peer->uid,
		   (int)peer->pid, (unsigned)policy_group);
	return vde_error_set(e, PROTO_ERR_PERMISSION, EACCES, "uid %u is not in group %u required to use vded",
			     (unsigned)peer->uid, (unsigned)policy_group);
}
