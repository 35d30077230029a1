/* network.connect, .disconnect: uplinks (vde://, cmd://, ... URLs) as ports, kept with the definition. */
#include <errno.h>

#include "control/handlers.h"
#include "backends/uplink.h"
#include "log.h"

HANDLER(run_network_connect)
{
	struct network *net = handlers_find_network(a->network, e);
	struct port *p;
	int ret;

	if (!net)
		return -ENOENT;
	ret = uplink_add(net, a->url, &p, e);
	if (ret < 0)
		return ret;
	return handlers_keep_backend(net, "uplinks", p, a, ctx, res, e);
}

HANDLER(run_network_disconnect)
{
	struct network *net = handlers_find_network(a->network, e);
	struct port *p;

	if (!net)
		return -ENOENT;
	p = a->port <= net->def.max_ports ? net->ports[a->port] : NULL;
	if (!p || p->dead || !uplink_url(p)) {
		if (a->missing_ok) {
			*res = json_object_new_object();
			return 0;
		}
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' has no uplink on port %u", a->network,
				     a->port);
	}
	log_notice("network %s: uplink %s (port %u) disconnected", a->network, uplink_url(p), p->id);
	handlers_extras_remove(net, "uplinks", "url", uplink_url(p), NULL, NULL);
	network_port_kill(p);
	*res = json_object_new_object();
	return 0;
}
