/* ns.create, .delete, .list: network namespaces with interfaces on vded's networks (backends/netns.c). */
#include <errno.h>

#include "control/handlers.h"
#include "control/policy.h"
#include "backends/netns.h"

HANDLER(run_ns_create)
{
	int ret;

	if (a->nvlans > a->nnets)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'vlans' has %u entries for %u networks",
				     a->nvlans, a->nnets);
	ret = netns_create(a->name, a->networks, a->nnets, a->addresses, a->naddrs, a->vlans, a->nvlans, a->gateway, false, e);
	if (ret < 0)
		return ret;
	*res = json_object_new_object();
	return 0;
}

HANDLER(run_ns_delete)
{
	int ret = netns_delete(a->name, a->missing_ok, e);

	if (ret < 0)
		return ret;
	*res = json_object_new_object();
	return 0;
}

/*
 * Whether peer may see a namespace from ns.list: it may read every network the namespace is on
 * (V17). Namespaces are an admin's; one on a network the caller may not see, or on one that is
 * gone, would tell it about that network, and is left out.
 */
static bool ns_visible(const struct peer *peer, struct json_object *ns)
{
	struct json_object *ifs, *v;

	if (!json_object_object_get_ex(ns, "interfaces", &ifs) || !json_object_is_type(ifs, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(ifs); i++) {
		struct network *net;

		if (!json_object_object_get_ex(json_object_array_get_idx(ifs, i), "network", &v) ||
		    !(net = network_find(json_object_get_string(v))) || !policy_can_read(peer, net))
			return false;
	}
	return true;
}

HANDLER(run_ns_list)
{
	struct json_object *all = netns_list_json(), *list, *mine;

	if (!ctx->peer || policy_can_read_all(ctx->peer) ||
	    !json_object_object_get_ex(all, "namespaces", &list) || !json_object_is_type(list, json_type_array)) {
		*res = all;
		return 0;
	}
	mine = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *ns = json_object_array_get_idx(list, i);
		if (ns_visible(ctx->peer, ns))
			json_object_array_add(mine, json_object_get(ns));
	}
	json_object_object_add(all, "namespaces", mine);
	*res = all;
	return 0;
}
