/* tap.add, tap.remove: host tap interfaces as ports (made by the privileged parent), kept with the definition;
 * VM taps (for_vm) too. Each keeps its MAC across restarts: the one given, else one derived from the
 * network's and the tap's names, saved with the entry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/handlers.h"
#include "backends/tap.h"
#include "log.h"
#include "priv/priv.h"

HANDLER(run_tap_add)
{
	struct network *net = handlers_find_network(a->network, e);
	struct tap_spec spec = { 0 };
	uint8_t mac[6];
	struct switch_port_conf conf;
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	if ((a->present & PARAM_SWITCH) && (ret = handlers_port_policy(net, 0, &a->sw, &conf, e)) < 0)
		return ret;
	snprintf(spec.ifname, sizeof(spec.ifname), "%s", a->ifname);
	if (a->present & PARAM_OWNER) {
		gid_t ignored;
		char *end;
		unsigned long n = strtoul(a->owner, &end, 10);

		/* a number is a uid, with an account or not (as ip tuntap's user): a VM's user may be one */
		if (a->owner[0] >= '0' && a->owner[0] <= '9' && !*end && n < UINT32_MAX)
			spec.owner = (uid_t)n;
		else if (priv_lookup_user(a->owner, &spec.owner, &ignored) < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "user '%s' does not exist", a->owner);
		spec.has_owner = true;
	}
	/* the two lists are declared apart (tap.h, params.h): one copy, sized by both */
	_Static_assert(sizeof(spec.addrs) == sizeof(a->addresses), "tap_spec.addrs and method_args.addresses differ");
	spec.naddrs = a->naddrs;
	memcpy(spec.addrs, a->addresses, sizeof(spec.addrs));
	spec.mtu = a->mtu;
	spec.up = a->up;
	spec.for_vm = a->for_vm;
	spec.multi_queue = a->multi_queue;
	spec.reuse = ctx->replaying;
	if ((a->present & (PARAM_GROUP | PARAM_MULTI_QUEUE)) && !a->for_vm)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'group' and 'multi_queue' are for a VM tap (for_vm)");
	if (a->present & PARAM_GROUP) {
		if (policy_resolve_group(a->group, &spec.group) < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "group '%s' does not exist", a->group);
		spec.has_group = true;
	}
	if (a->present & PARAM_MAC) {
		memcpy(mac, a->mac, sizeof(mac));
	} else {
		char key[NETWORK_NAME_MAX + 20], text[18];

		snprintf(key, sizeof(key), "%s/%s", net->def.name, a->ifname);
		tap_stable_mac(key, 0, mac);
		/* saved with the entry: the MAC stays what it is even if the way to derive it changes */
		snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
			 mac[5]);
		if (a->raw && !ctx->replaying)
			json_object_object_add(a->raw, "mac", json_object_new_string(text));
	}
	spec.mac = mac;
	ret = tap_add(net, &spec, &p, e);
	if (ret < 0)
		return ret;
	/* the policy it asks for, on top of what its id has (saved with the taps entry, so it comes back) */
	if ((a->present & PARAM_SWITCH) && ((ret = handlers_port_policy(net, p->id, &a->sw, &conf, e)) < 0 ||
					    (ret = network_port_configure(p, &conf)) < 0)) {
		network_port_kill(p);
		return ret < 0 && e->message[0] ? ret :
			vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "port %u: the policy does not apply", p->id);
	}
	return handlers_keep_backend(net, "taps", p, a, ctx, res, e);
}

/* Whether net's definition holds a VM tap of that name (its port may be gone with a VM's restart). */
static bool tap_saved_for_vm(const struct network *net, const char *ifname)
{
	struct json_object *list, *v;

	if (!json_object_object_get_ex(net->extras, "taps", &list) || !json_object_is_type(list, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *entry = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(entry, "ifname", &v) && strcmp(json_object_get_string(v), ifname) == 0 &&
		    json_object_object_get_ex(entry, "for_vm", &v) && json_object_get_boolean(v))
			return true;
	}
	return false;
}

HANDLER(run_tap_remove)
{
	struct network *net = handlers_find_network(a->network, e);
	struct port *p;
	bool vm;
	int ret;

	if (!net)
		return -ENOENT;
	p = tap_find(net, a->ifname);
	vm = tap_saved_for_vm(net, a->ifname);
	if (!p && !vm && !a->missing_ok)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no tap '%s'", a->network,
				     a->ifname);
	if (vm && (ret = tap_remove_vm(net, a->ifname, e)) < 0)
		return ret;
	if (p)
		network_port_kill(p);
	if (p || vm)
		log_notice("network %s: %stap %s removed", a->network, vm ? "VM " : "", a->ifname);
	/* every entry of that name: a store written before port.detach forgot taps may hold two */
	handlers_extras_remove_all(net, "taps", "ifname", a->ifname);
	*res = json_object_new_object();
	return 0;
}
