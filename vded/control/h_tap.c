/* tap.add, tap.remove: host tap interfaces as ports (made by the privileged parent), kept with the definition. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/handlers.h"
#include "backends/tap.h"
#include "log.h"
#include "priv/priv.h"

HANDLER(run_tap_add)
{
	struct network *net = handlers_find_network(a->network, e);
	struct tap_spec spec = { 0 };
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	snprintf(spec.ifname, sizeof(spec.ifname), "%s", a->ifname);
	if (a->present & PARAM_OWNER) {
		gid_t ignored;
		if (priv_lookup_user(a->owner, &spec.owner, &ignored) < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "user '%s' does not exist", a->owner);
		spec.has_owner = true;
	}
	/* the two lists are declared apart (tap.h, params.h): one copy, sized by both */
	_Static_assert(sizeof(spec.addrs) == sizeof(a->addresses), "tap_spec.addrs and method_args.addresses differ");
	spec.naddrs = a->naddrs;
	memcpy(spec.addrs, a->addresses, sizeof(spec.addrs));
	spec.mtu = a->mtu;
	spec.up = a->up;
	ret = tap_add(net, &spec, &p, e);
	if (ret < 0)
		return ret;
	return handlers_keep_backend(net, "taps", p, a, ctx, res, e);
}

HANDLER(run_tap_remove)
{
	struct network *net = handlers_find_network(a->network, e);
	struct port *p;

	if (!net)
		return -ENOENT;
	p = tap_find(net, a->ifname);
	if (!p && !a->missing_ok)
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no tap '%s'", a->network,
				     a->ifname);
	if (p) {
		log_notice("network %s: tap %s removed", a->network, a->ifname);
		network_port_kill(p);
	}
	/* every entry of that name: a store written before port.detach forgot taps may hold two */
	handlers_extras_remove_all(net, "taps", "ifname", a->ifname);
	*res = json_object_new_object();
	return 0;
}
