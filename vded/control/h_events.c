/* events.subscribe: a snapshot of what the caller may see now, then the connection streams events
 * (control/events.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/events.h"
#include "control/handlers.h"

/* Every network sub may see (and network, if given) with its ports, as network.show shows them.
 * The caller puts it. One reply: a snapshot too large for it is answered too-large (filter by network). */
static struct json_object *events_snapshot(const struct peer *peer, const char *network)
{
	struct json_object *nets = json_object_new_array();
	unsigned n = network_count(), i = n;
	struct network **tmp = calloc(n ? n : 1, sizeof(*tmp));

	if (!tmp)
		return nets;
	/* the registry is newest-first; creation order, as network.list */
	for (struct network *net = network_first(); net && i > 0; net = net->next)
		tmp[--i] = net;
	for (i = 0; i < n; i++) {
		struct json_object *o, *ports;

		if ((network && strcmp(tmp[i]->def.name, network) != 0) || !policy_can_read(peer, tmp[i]))
			continue;
		o = handlers_network_json(tmp[i]);
		ports = json_object_new_array();
		for (unsigned id = 1; id <= tmp[i]->def.max_ports; id++)
			if (tmp[i]->ports[id] && !tmp[i]->ports[id]->dead)
				json_object_array_add(ports, handlers_port_json(tmp[i]->ports[id]));
		json_object_object_add(o, "port_list", ports);
		json_object_array_add(nets, o);
	}
	free(tmp);
	return nets;
}

HANDLER(run_events_subscribe)
{
	const char *network = a->present & PARAM_NETWORK ? a->network : NULL;
	unsigned mask = a->present & PARAM_KINDS ? 0 : EVENTS_DEFAULT;
	struct events_sub *sub;

	if (!ctx->sub || !ctx->sink || !ctx->peer)
		return vde_error_set(e, PROTO_ERR_UNSUPPORTED, EOPNOTSUPP, "events.subscribe needs a control connection");
	if (*ctx->sub)
		return vde_error_set(e, PROTO_ERR_INVALID_REQUEST, EINVAL, "this connection is subscribed already");
	if (network && !handlers_find_network(network, e))
		return -ENOENT;
	for (unsigned i = 0; i < a->nkinds; i++) {
		unsigned bit = events_kind_bit(a->kinds[i]);

		if (!bit)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' is not an event kind (network, port, forward, denial, mac)", a->kinds[i]);
		mask |= bit;
	}
	sub = events_subscribe(ctx->conn, ctx->sink, ctx->peer, network, mask);
	if (!sub)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	*ctx->sub = sub;
	*res = json_object_new_object();
	codec_add_int(*res, "seq", (int64_t)events_seq());
	json_object_object_add(*res, "networks", events_snapshot(ctx->peer, network));
	return 0;
}
